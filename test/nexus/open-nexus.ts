/**
 * Opens a fresh nexus store for the nexus contract suites (issue 21): in memory on
 * SQLite, or in a fresh schema of the run's PostgreSQL server.
 */
import type { RawBuilder } from 'kysely'

import type { Clock } from '../../src/sqlite/clock.js'
import { manualClock } from '../../src/sqlite/clock.js'
import { NexusRepository } from '../../src/nexus/index.js'
import { dropSchemasAfterEach, freshSchema, POSTGRES_URL } from '../postgres/pg-test-schemas.js'

const open: NexusRepository[] = []

// Closes every store of the test, then drops its PostgreSQL schemas (if any).
dropSchemasAfterEach(() => Promise.allSettled(open.splice(0).map((repo) => repo.close())))

/** 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1)

/** The engines of the nexus contract suites: SQLite always, PostgreSQL when the run has a server. */
export type NexusEngineName = 'sqlite' | 'postgres'
export const NEXUS_ENGINES: readonly NexusEngineName[] = POSTGRES_URL === null ? ['sqlite'] : ['sqlite', 'postgres']

/**
 * A fresh store, closed after the test, on `clock` (default: a manual clock at
 * {@link T0}): in memory on SQLite; in a fresh schema on PostgreSQL.
 */
export async function openNexus(engine: NexusEngineName, options: { clock?: Clock } = {}) {
  const clock = options.clock ?? manualClock(T0)
  const nexus =
    engine === 'postgres'
      ? await NexusRepository.openPostgres(POSTGRES_URL!, { schema: freshSchema('nexus'), clock })
      : await NexusRepository.open(':memory:', { clock })
  open.push(nexus)
  return nexus
}

/**
 * `count` repositories on one fresh PostgreSQL schema, each with its own pool (as
 * separate hosts would be), on one manual clock; closed after the test. Their busy
 * timeout is a minute: a loaded machine must not turn a retried race into `BUSY`.
 */
export async function openNexusSharingSchema(count: number) {
  const clock = manualClock(T0)
  const schema = freshSchema('nexus')
  const hosts: NexusRepository[] = []
  // The first open creates and migrates the schema; the others find it ready.
  for (let i = 0; i < count; i++) {
    const nexus = await NexusRepository.openPostgres(POSTGRES_URL!, { schema, clock, poolSize: 2, busyTimeoutMs: 60_000 })
    open.push(nexus)
    hosts.push(nexus)
  }
  return { hosts, clock, schema }
}

/**
 * Runs a Kysely `sql` statement (parameters allowed) on the repository's store
 * through its engine, on either engine: on PostgreSQL in the store's schema (raw
 * SQL run on `nexus.kysely` would not find the tables there).
 */
export async function execSql<T = Record<string, unknown>>(nexus: NexusRepository, query: RawBuilder<T>): Promise<T[]> {
  const compiled = query.compile(nexus.engine.kysely)
  return nexus.engine.write((x) => x.all(compiled))
}
