/**
 * The vitest configuration StrykerJS runs (stryker.config.mjs): one project, no
 * PostgreSQL leg, only the test files of the module under mutation when
 * CLEO_MUTATION_TESTS names them (comma-separated globs).
 */
import { chmodSync } from 'node:fs'
import { basename } from 'node:path'

import { defineConfig } from 'vitest/config'

// Stryker creates its sandbox 0700 (mkdtemp); a test that runs a fixture as an
// unprivileged user (runuser -u nobody, in bad-files.test.ts) must be able to read it.
if (basename(process.cwd()).startsWith('sandbox-')) chmodSync(process.cwd(), 0o755)

const only = process.env['CLEO_MUTATION_TESTS']?.split(',').filter((glob) => glob !== '')

export default defineConfig({
  test: {
    include: only && only.length > 0 ? only : ['test/**/*.test.ts'],
    exclude: ['test/dist/**', 'test/postgres/**', '**/node_modules/**', '.stryker-tmp/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
