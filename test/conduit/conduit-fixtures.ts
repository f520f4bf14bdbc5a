/**
 * Shared setup of the conduit suites: an in-memory repository on a manual clock,
 * with a fixed "random" for backoff jitter, and agents attached.
 */
import { manualClock } from '../../src/sqlite/clock.js'
import { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import type { ConduitRepositoryOptions } from '../../src/conduit/conduit-repository.js'

export const T0 = Date.UTC(2026, 3, 1, 12, 0, 0)

export interface TestConduit {
  conduit: ConduitRepository
  clock: ReturnType<typeof manualClock>
}

/** A fresh in-memory conduit at T0 (random = 0.5 unless given). */
export async function openTestConduit(
  options: { agents?: string[]; path?: string } & ConduitRepositoryOptions = {},
): Promise<TestConduit> {
  const clock = manualClock(T0)
  const { agents = [], path = ':memory:', ...rest } = options
  const conduit = await ConduitRepository.open(path, { clock, random: () => 0.5, ...rest })
  for (const agent of agents) await conduit.agentRefs.attach(agent)
  return { conduit, clock }
}

/** Runs raw SQL through the repository's Kysely (for assertions on stored rows). */
export async function rows<T = Record<string, unknown>>(conduit: ConduitRepository, query: string): Promise<T[]> {
  const { sql } = await import('kysely')
  const result = await sql.raw<T>(query).execute(conduit.kysely)
  return result.rows
}
