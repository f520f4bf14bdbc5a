/**
 * Shared setup of the conduit suites: a fresh repository on a manual clock, with a
 * fixed "random" for backoff jitter, and agents attached — in memory on SQLite, or
 * (the contract suites, issue 20) in a fresh schema of the run's PostgreSQL server.
 */
import { CompiledQuery } from 'kysely'

import { join } from 'node:path'

import { manualClock } from '../../src/sqlite/clock.js'
import { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import type { ConduitRepositoryOptions } from '../../src/conduit/conduit-repository.js'
import { openConduitTarget } from '../fixtures/conduit-target.js'
import { tempDir } from '../helpers.js'
import { dropSchemasAfterEach, freshSchema, POSTGRES_URL } from '../postgres/pg-test-schemas.js'

export const T0 = Date.UTC(2026, 3, 1, 12, 0, 0)

export interface TestConduit {
  conduit: ConduitRepository
  clock: ReturnType<typeof manualClock>
}

/** The engines of the conduit contract suites: SQLite always, PostgreSQL when the run has a server. */
export type ConduitEngineName = 'sqlite' | 'postgres'
export const CONDUIT_ENGINES: readonly ConduitEngineName[] = POSTGRES_URL === null ? ['sqlite'] : ['sqlite', 'postgres']

const openedOnServer: ConduitRepository[] = []
dropSchemasAfterEach(() => Promise.allSettled(openedOnServer.splice(0).map((conduit) => conduit.close())))

/**
 * A fresh conduit at T0 (random = 0.5 unless given): in memory (or at `path`) on
 * SQLite; in a fresh schema on PostgreSQL, closed after the test.
 */
export async function openTestConduit(
  options: { agents?: string[]; path?: string } & ConduitRepositoryOptions = {},
  engine: ConduitEngineName = 'sqlite',
): Promise<TestConduit> {
  const clock = manualClock(T0)
  const { agents = [], path = ':memory:', ...rest } = options
  let conduit: ConduitRepository
  if (engine === 'postgres') {
    const { random, referenceGuard } = rest
    conduit = await ConduitRepository.openPostgres(POSTGRES_URL!, {
      schema: freshSchema('conduit'),
      clock: rest.clock ?? clock,
      random: random ?? (() => 0.5),
      ...(referenceGuard === undefined ? {} : { referenceGuard }),
      ...(rest.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: rest.busyTimeoutMs }),
    })
    openedOnServer.push(conduit)
  } else {
    conduit = await ConduitRepository.open(path, { clock, random: () => 0.5, ...rest })
  }
  for (const agent of agents) await conduit.agentRefs.attach(agent)
  return { conduit, clock }
}

/**
 * Runs raw SQL (no parameters) on the repository's store, on either engine (for
 * assertions on stored rows and for arranging states the API cannot reach); on
 * PostgreSQL in the store's schema, integers as numbers as on SQLite.
 */
export async function rows<T = Record<string, unknown>>(conduit: ConduitRepository, query: string): Promise<T[]> {
  const statement = CompiledQuery.raw(query) as CompiledQuery<T>
  return conduit.engine.write((x) => x.all(statement))
}

/**
 * A store that several repositories or processes open (`openConduitTarget`), with
 * `agents` attached: a fresh conduit.db path on SQLite, a fresh schema as JSON on
 * PostgreSQL (dropped after the test).
 */
export async function sharedTestTarget(engine: ConduitEngineName, agents: readonly string[] = ['alice', 'bob']): Promise<string> {
  const target =
    engine === 'postgres' ? JSON.stringify({ postgres: POSTGRES_URL, schema: freshSchema('conduit') }) : join(tempDir('conduit-shared-'), 'conduit.db')
  const conduit = await openConduitTarget(target)
  try {
    for (const agent of agents) await conduit.agentRefs.attach(agent)
  } finally {
    await conduit.close()
  }
  return target
}
