/**
 * The vitest configuration StrykerJS runs (stryker.config.mjs): one project, only the
 * test files of the module under mutation when CLEO_MUTATION_TESTS names them
 * (comma-separated globs). The PostgreSQL leg of the contract suites runs only with
 * CLEO_MUTATION_POSTGRES=1 (the suite's global setup then starts a throw-away server,
 * or uses $CLEO_TEST_PG_URL): it makes a run slower and reaches the PostgreSQL-only code.
 */
import { chmodSync } from 'node:fs'
import { basename } from 'node:path'

import { defineConfig } from 'vitest/config'

// Stryker creates its sandbox 0700 (mkdtemp); a test that runs a fixture as an
// unprivileged user (runuser -u nobody, in bad-files.test.ts) must be able to read it.
if (basename(process.cwd()).startsWith('sandbox-')) chmodSync(process.cwd(), 0o755)

const only = process.env['CLEO_MUTATION_TESTS']?.split(',').filter((glob) => glob !== '')
const postgres = process.env['CLEO_MUTATION_POSTGRES'] === '1'

export default defineConfig({
  test: {
    include: only && only.length > 0 ? only : ['test/**/*.test.ts'],
    exclude: ['test/dist/**', 'test/postgres/**', '**/node_modules/**', '.stryker-tmp/**'],
    ...(postgres ? { globalSetup: ['test/postgres/global-setup.ts'] } : {}),
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
