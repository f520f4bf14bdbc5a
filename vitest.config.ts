import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/dist/**', '.stryker-tmp/**'],
          // A throw-away PostgreSQL server (or $CLEO_TEST_PG_URL) for the PostgreSQL leg of the contract suites.
          globalSetup: ['test/postgres/global-setup.ts'],
          pool: 'forks',
          // Generous: a timeout only bites a hung test, and many tests start real child
          // processes, which a loaded machine (npm run test:stress) schedules slowly.
          testTimeout: 120_000,
          hookTimeout: 120_000,
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
