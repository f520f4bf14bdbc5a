// @ts-check
/**
 * Mutation testing (StrykerJS) of the core modules: `npm run test:mutation`. Not part
 * of `npm test`: a run takes minutes to hours on a small machine.
 *
 * Run it a module at a time (the tests each mutant runs are then only the related test
 * files, so it is feasible on 2 cores):
 *
 *   CLEO_MUTATION_MODULE=kdf npm run test:mutation
 *   npm run test:mutation -- --mutate src/kdf/api-key-kdf.ts      # any file(s)
 *
 * Modules: see MODULES below. Without CLEO_MUTATION_MODULE every module's files are
 * mutated and vitest picks the related tests of each mutated file (`vitest.related`).
 * Reports: reports/mutation/<module>.html and .json (git-ignored).
 */

import { readdirSync } from 'node:fs'

/** The engine's files (`src/sqlite/*.ts`) other than `except`, as explicit paths (no negated globs: in
 * a run of every module a negation would also drop the file from the module that lists it). */
const engineFiles = (...except) =>
  readdirSync('src/sqlite')
    .filter((name) => name.endsWith('.ts') && !except.includes(name))
    .sort()
    .map((name) => `src/sqlite/${name}`)

/** The engine's query path: its own part (`engine-query`). */
const QUERY_FILES = [
  'src/sqlite/query-template.ts',
  'src/sqlite/statement-cache.ts',
  'src/sqlite/node-sqlite-driver.ts',
  'src/sqlite/node-sqlite-dialect.ts',
  'src/sqlite/node-sqlite-dialect.root.ts',
  'src/sqlite/node-sqlite-dialect-config.ts',
  'src/sqlite/kysely-handle.ts',
]

/** Each module: the files mutated and the test files run against its mutants. */
const MODULES = {
  kdf: { mutate: ['src/kdf/api-key-kdf.ts'], tests: ['test/kdf/api-key-kdf.test.ts', 'test/kdf/credential-cipher.test.ts'] },
  visibility: { mutate: ['src/signaldock/agent-visibility.ts'], tests: ['test/signaldock/visibility.test.ts'] },
  claims: { mutate: ['src/tasks/task-claims.ts'], tests: ['test/tasks/claims.test.ts', 'test/tasks/claims.mutation.test.ts', 'test/tasks/dependencies.test.ts'] },
  dependencies: { mutate: ['src/tasks/task-dependencies.ts'], tests: ['test/tasks/dependencies.test.ts', 'test/tasks/dependencies.mutation.test.ts', 'test/tasks/claims.test.ts', 'test/tasks/rules.property.test.ts'] },
  // Not test/conduit/queue-workers.test.ts nor test/reliability/backup-crash.test.ts: their workers are
  // child processes, which run the code unmutated (the vitest runner activates a mutant only in its own
  // worker), so per mutant they cost a multi-process run and can only catch what their parent process
  // calls (enqueue, stats, deadLetters / list, restore), which the in-process tests cover.
  queue: { mutate: ['src/conduit/delivery-queue.ts', 'src/conduit/delivery-queue.queries.ts'], tests: ['test/conduit/queue.test.ts', 'test/conduit/queue-backoff.test.ts', 'test/conduit/queue.mutation.test.ts', 'test/conduit/queue-wait.mutation.test.ts', 'test/conduit/queue-postgres.mutation.test.ts', 'test/conduit/message-deliveries.test.ts'] },
  migrations: { mutate: ['src/sqlite/migrate.ts'], tests: ['test/sqlite/*.test.ts', 'test/reliability/engine-crash.test.ts'] },
  engine: { mutate: engineFiles('migrate.ts'), tests: ['test/sqlite/*.test.ts'] },
  // The engine in parts, each with the tests that exercise it (the whole engine is
  // ~2,000 mutants: hours on 2 cores). Together they are the files of `engine`;
  // `engine-rest` is the small helpers (options, ids, paging, JSON, the store engine and repository).
  'engine-errors': { mutate: ['src/sqlite/errors.ts'], tests: ['test/sqlite/primitives.test.ts', 'test/sqlite/fs-error-codes.test.ts', 'test/sqlite/error-narrowing.test.ts', 'test/sqlite/errors.mutation.test.ts'] },
  'engine-database': { mutate: ['src/sqlite/database.ts', 'src/sqlite/busy-retry.ts'], tests: ['test/sqlite/database.test.ts', 'test/sqlite/driver.test.ts', 'test/sqlite/row-reader.test.ts', 'test/sqlite/database.mutation.test.ts', 'test/sqlite/busy-retry.mutation.test.ts'] },
  'engine-open': { mutate: ['src/sqlite/open-database.ts'], tests: ['test/sqlite/open-database.test.ts', 'test/sqlite/open-database.mutation.test.ts', 'test/sqlite/memory-template.test.ts', 'test/reliability/bad-files.test.ts', 'test/reliability/store-paths.test.ts'] },
  'engine-validate': { mutate: ['src/sqlite/validate.ts', 'src/sqlite/input-guard.ts'], tests: ['test/sqlite/primitives.test.ts', 'test/sqlite/input-guard.test.ts', 'test/sqlite/validate.mutation.test.ts'] },
  // The query path (templates, the statement cache, the Kysely driver and dialect) and the change watch
  // are run by nearly every test: with all of test/sqlite as their tests a run of engine-rest needed
  // hours. Each has its own part and its own tests.
  'engine-query': { mutate: QUERY_FILES, tests: ['test/sqlite/driver.test.ts', 'test/sqlite/row-reader.test.ts', 'test/sqlite/database.test.ts', 'test/sqlite/engine-query.mutation.test.ts'] },
  'engine-watch': { mutate: ['src/sqlite/change-watch.ts'], tests: ['test/sqlite/change-watch.test.ts', 'test/sqlite/change-watch.mutation.test.ts'] },
  'engine-rest': {
    mutate: engineFiles('migrate.ts', 'errors.ts', 'database.ts', 'busy-retry.ts', 'open-database.ts', 'validate.ts', 'input-guard.ts', 'change-watch.ts', ...QUERY_FILES.map((f) => f.slice('src/sqlite/'.length))),
    tests: ['test/sqlite/engine-rest.mutation.test.ts', 'test/sqlite/fts-query.test.ts', 'test/sqlite/iso-format.test.ts', 'test/sqlite/primitives.test.ts', 'test/sqlite/concurrency.test.ts'],
  },
  backup: { mutate: ['src/workspace/backup.ts'], tests: ['test/workspace/backup-*.test.ts', 'test/workspace/backup.mutation.test.ts'] },
}

const name = process.env.CLEO_MUTATION_MODULE ?? ''
if (name !== '' && !(name in MODULES)) {
  throw new Error(`CLEO_MUTATION_MODULE must be one of ${Object.keys(MODULES).join(', ')} (got ${name})`)
}
// Every module: the engine's parts are left out (the engine module holds their files).
const selected =
  name === ''
    ? Object.entries(MODULES)
        .filter(([key]) => !key.startsWith('engine-'))
        .map(([, m]) => m)
    : [MODULES[/** @type {keyof typeof MODULES} */ (name)]]
// Read by vitest.stryker.config.ts in the test-runner processes (they inherit the environment).
if (name !== '') process.env.CLEO_MUTATION_TESTS = selected.flatMap((m) => m.tests).join(',')
const report = name === '' ? 'all' : name

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.stryker.config.ts', related: name === '' },
  mutate: selected.flatMap((m) => m.mutate),
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  concurrency: Number(process.env.CLEO_MUTATION_CONCURRENCY ?? 1),
  timeoutMS: 60_000,
  timeoutFactor: 3,
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  ignorePatterns: ['dist', 'coverage', 'reports', 'bench/results', '.tmp', '*.tgz'],
  // Incremental: a later run of the same module re-tests only the mutants whose code changed, the
  // survivors a new or changed test covers, and the kills whose killing test changed; the rest is reused
  // from reports/mutation/<module>.incremental.json. `--force` re-tests everything.
  incremental: true,
  incrementalFile: `reports/mutation/${report}.incremental.json`,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${report}.html` },
  jsonReporter: { fileName: `reports/mutation/${report}.json` },
  thresholds: { high: 90, low: 80, break: null },
}
