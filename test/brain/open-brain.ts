/**
 * Opens a fresh brain store with a manual clock for the brain contract suites: in
 * memory on SQLite, or (issue 21) in a fresh schema of the run's PostgreSQL server.
 */
import type { RawBuilder } from 'kysely'

import type { BrainRepositoryOptions } from '../../src/brain/index.js'
import { BrainRepository } from '../../src/brain/index.js'
import { manualClock } from '../../src/sqlite/clock.js'
import { dropSchemasAfterEach, freshSchema, POSTGRES_URL } from '../postgres/pg-test-schemas.js'
import { T0 } from './brain-helpers.js'

const open: BrainRepository[] = []

// Closes every store of the test, then drops its PostgreSQL schemas (if any).
dropSchemasAfterEach(() => Promise.allSettled(open.splice(0).map((brain) => brain.close())))

/** The engines of the brain contract suites: SQLite always, PostgreSQL when the run has a server. */
export type BrainEngineName = 'sqlite' | 'postgres'
export const BRAIN_ENGINES: readonly BrainEngineName[] = POSTGRES_URL === null ? ['sqlite'] : ['sqlite', 'postgres']

/**
 * A fresh store on a manual clock starting at {@link T0}, closed after the test: in
 * memory on SQLite; in a fresh schema on PostgreSQL, or in `schema` (from
 * `freshSchema`) when given (the options both opens take are passed on; SQLite-only
 * ones are not).
 */
export async function openBrainOn(
  engine: BrainEngineName,
  options: BrainRepositoryOptions = {},
  schema?: string,
): Promise<{ brain: BrainRepository; clock: ReturnType<typeof manualClock> }> {
  const clock = manualClock(T0)
  let brain: BrainRepository
  if (engine === 'postgres') {
    const { mmapSize: _mmap, synchronous: _sync, statementCacheSize: _cache, backupsKept: _kept, ...shared } = options
    brain = await BrainRepository.openPostgres(POSTGRES_URL!, { schema: schema ?? freshSchema('brain'), clock, ...shared })
  } else {
    brain = await BrainRepository.open(':memory:', { clock, ...options })
  }
  open.push(brain)
  return { brain, clock }
}

/**
 * Runs a Kysely `sql` statement on the store through its engine, on either engine
 * (on PostgreSQL in the store's schema), integers as numbers.
 */
export async function execSql<T = Record<string, unknown>>(brain: BrainRepository, query: RawBuilder<T>): Promise<T[]> {
  const compiled = query.compile(brain.engine.kysely)
  return brain.engine.write((x) => x.all(compiled))
}

