import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/dist/**'],
          // A throw-away PostgreSQL server (or $CLEO_TEST_PG_URL) for the PostgreSQL leg of the contract suites.
          globalSetup: ['test/postgres/global-setup.ts'],
          pool: 'forks',
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'dist',
          include: ['test/dist/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 60_000,
        },
      },
    ],
  },
})
