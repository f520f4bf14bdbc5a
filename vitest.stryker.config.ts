/**
 * The vitest configuration StrykerJS runs (stryker.config.mjs): one project, no
 * PostgreSQL leg, only the test files of the module under mutation when
 * CLEO_MUTATION_TESTS names them (comma-separated globs).
 */
import { defineConfig } from 'vitest/config'

const only = process.env['CLEO_MUTATION_TESTS']?.split(',').filter((glob) => glob !== '')

export default defineConfig({
  test: {
    include: only && only.length > 0 ? only : ['test/**/*.test.ts'],
    exclude: ['test/dist/**', 'test/postgres/**', '**/node_modules/**', '.stryker-tmp/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
