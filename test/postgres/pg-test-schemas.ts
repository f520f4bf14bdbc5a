/**
 * The run's PostgreSQL server, as the contract suites of every store see it (see
 * `global-setup.ts`): its URL (or why there is none) and fresh schemas, dropped
 * after each test — a database that keeps growing slows every migration's
 * introspection.
 */
import { randomBytes } from 'node:crypto'

import pg from 'pg'
import { afterAll, afterEach, inject } from 'vitest'

const provided = inject('cleoPostgres') ?? { url: null, reason: 'the unit project global setup did not run' }
/** The run's PostgreSQL database URL, or null (with the reason in {@link POSTGRES_SKIP_REASON}). */
export const POSTGRES_URL: string | null = provided.url
/** Why there is no PostgreSQL leg in this run, or null. */
export const POSTGRES_SKIP_REASON: string | null = provided.reason

const schemasOfTest: string[] = []
let admin: pg.Pool | undefined
let schemas = 0

/** A schema name no other test uses; dropped after the test. */
export function freshSchema(prefix = 't'): string {
  const schema = `${prefix}_${process.pid}_${++schemas}_${randomBytes(3).toString('hex')}`
  schemasOfTest.push(schema)
  return schema
}

/**
 * Registers the drop of the test's schemas after `closeStores` (the suite's own
 * cleanup, which must close every store first). Call once per test file.
 */
export function dropSchemasAfterEach(closeStores: () => Promise<unknown>): void {
  afterEach(async () => {
    await closeStores()
    for (const schema of schemasOfTest.splice(0)) {
      admin ??= new pg.Pool({ connectionString: POSTGRES_URL!, max: 1 })
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    }
  })
  afterAll(async () => {
    await admin?.end()
    admin = undefined
  })
}
