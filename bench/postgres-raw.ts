/**
 * The raw `pg` contender of `bench/postgres.ts`: the claim → ack cycle as the exact
 * statements cleo-store sends to PostgreSQL, replayed on one plain `pg.Client`.
 *
 * - {@link captureCycle} runs one `queue.claim(1)` and one `queue.ack` through the
 *   repository on a pool whose clients record every `query(text, values)`. Each
 *   recorded statement is either fixed text without parameters (`BEGIN …; SET LOCAL
 *   search_path …`, `NOTIFY …; COMMIT`) or the PostgreSQL text of one of the queue's
 *   query templates; any other statement fails the capture (the bench must then learn
 *   it). A template's parameters become a layout of roles (`now`, `owner`, `id`, …)
 *   and literals, read from the template itself; the capture checks that the layout,
 *   filled with the capture's own arguments, gives back the recorded values.
 * - {@link replayClaim} / {@link replayAck} send those texts with the layout filled
 *   per job, in the same transactions; the ack (SERIALIZABLE) is retried whole on a
 *   serialization failure or deadlock, with the same full-jitter backoff as
 *   cleo-store's default PostgreSQL retry (base 5 ms, cap 100 ms).
 */
import { setTimeout as sleep } from 'node:timers/promises'

import type pg from 'pg'

import type { ConduitRepository } from '../src/conduit/conduit-repository.js'
import {
  ACK_JOB,
  claimJobsTemplate,
  DEAD_LETTER_EXHAUSTED_LEASES,
  KILL_EXHAUSTED_LEASES,
} from '../src/conduit/delivery-queue.queries.js'
import type { QueryTemplate } from '../src/sqlite/query-template.js'

/** A parameter slot: filled per call from a role, or always the same literal. */
type Slot = { readonly role: string } | { readonly literal: unknown }

/** One statement of a replayed transaction. */
export interface RecipeStep {
  readonly text: string
  /** Empty for fixed text (sent with `[]`, as cleo-store sends it: the simple query protocol). */
  readonly slots: readonly Slot[]
  /** Which queue template it is (`null` for fixed text), for the report. */
  readonly template: string | null
}

/** The claim and the ack transactions, as cleo-store sent them. */
export interface Recipe {
  readonly claim: readonly RecipeStep[]
  readonly ack: readonly RecipeStep[]
  /** Index in `claim` of the statement returning the claimed rows. */
  readonly claimStep: number
  /** Index in `ack` of the fenced UPDATE (must change one row). */
  readonly ackStep: number
}

const MARK = '\u0000role:'

/** The templates a claim(1) → ack cycle may send, by name. */
function knownTemplates(): ReadonlyMap<string, QueryTemplate<any, unknown>> {
  return new Map<string, QueryTemplate<any, unknown>>([
    ['DEAD_LETTER_EXHAUSTED_LEASES', DEAD_LETTER_EXHAUSTED_LEASES],
    ['KILL_EXHAUSTED_LEASES', KILL_EXHAUSTED_LEASES],
    ['claimJobsTemplate(1)', claimJobsTemplate(1)],
    ['ACK_JOB', ACK_JOB],
  ])
}

/** The slot layout of a template: bind it with markers in place of every named argument. */
function layout(tpl: QueryTemplate<any, unknown>): Slot[] {
  const markers = new Proxy({}, { get: (_target, name) => `${MARK}${String(name)}` })
  return tpl.bindFor('postgres', markers, (value) =>
    typeof value === 'string' && value.startsWith(MARK) ? { role: value.slice(MARK.length) } : { literal: value },
  )
}

/** The values of a step for one call. */
export function fill(step: RecipeStep, roles: Readonly<Record<string, unknown>>): unknown[] {
  return step.slots.map((slot) => {
    if ('literal' in slot) return slot.literal
    if (!(slot.role in roles)) throw new Error(`no value for role ${slot.role} in ${step.template ?? 'fixed text'}`)
    return roles[slot.role]
  })
}

interface Recorded {
  readonly text: string
  readonly values: readonly unknown[]
  rows: Array<Record<string, unknown>>
}

/**
 * Wraps `pool.connect` so that, while `recording()` is true, every `query(text, values)`
 * of its clients is recorded with its result rows.
 */
function recordingPool(pool: pg.Pool, recording: () => boolean, seen: Recorded[]): void {
  const wrapped = new WeakSet<object>()
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>
  ;(pool as unknown as { connect: () => Promise<pg.PoolClient> }).connect = async () => {
    const client = await connect()
    if (!wrapped.has(client)) {
      wrapped.add(client)
      const query = client.query.bind(client) as (text: unknown, values?: unknown) => Promise<pg.QueryResult>
      ;(client as unknown as { query: typeof query }).query = async (text, values) => {
        const result = await query(text, values)
        if (recording() && typeof text === 'string') seen.push({ text, values: (values as unknown[] | undefined) ?? [], rows: result.rows })
        return result
      }
    }
    return client
  }
}

function toStep(recorded: Recorded, templates: ReadonlyMap<string, QueryTemplate<any, unknown>>, roles: Record<string, unknown>): RecipeStep {
  for (const [name, tpl] of templates) {
    if (tpl.sqlFor('postgres') !== recorded.text) continue
    const step: RecipeStep = { text: recorded.text, slots: layout(tpl), template: name }
    const expected = JSON.stringify(fill(step, roles))
    if (expected !== JSON.stringify(recorded.values)) {
      throw new Error(`capture: ${name} was sent with ${JSON.stringify(recorded.values)}, its layout gives ${expected}`)
    }
    return step
  }
  if (recorded.values.length > 0) throw new Error(`capture: a statement the bench does not know: ${recorded.text.slice(0, 200)}`)
  return { text: recorded.text, slots: [], template: null }
}

/**
 * Runs one claim(1) → ack through cleo-store on `pool` (queue `queue`, which must
 * hold exactly one claimable job) and returns the statements it sent.
 * `open` opens the repository on the pool with the given clock.
 */
export async function captureCycle(
  pool: pg.Pool,
  open: (pool: pg.Pool, clock: () => number) => Promise<ConduitRepository>,
  queue: string,
): Promise<Recipe> {
  const seen: Recorded[] = []
  let recording = false
  recordingPool(pool, () => recording, seen)
  const now = Date.now()
  const conduit = await open(pool, () => now)
  try {
    await conduit.queue.enqueue({ queue, payload: { capture: true } })
    const owner = 'capture-owner'
    const leaseMs = 60_000
    recording = true
    const [job] = await conduit.queue.claim(1, { queue, owner, leaseMs })
    const claimed = seen.length
    if (job === undefined) throw new Error('capture: the claim returned no job')
    await conduit.queue.ack(job.lease)
    recording = false
    const roles = { queue, owner, now, expiresAt: now + leaseMs, id: job.id, token: job.lease.token }
    const templates = knownTemplates()
    const claim = seen.slice(0, claimed).map((r) => toStep(r, templates, roles))
    const ack = seen.slice(claimed).map((r) => toStep(r, templates, roles))
    const claimStep = claim.findIndex((s) => s.template === 'claimJobsTemplate(1)')
    const ackStep = ack.findIndex((s) => s.template === 'ACK_JOB')
    if (claimStep < 0 || ackStep < 0) throw new Error('capture: no claim or no ack statement was sent')
    if (Number(seen[claimStep]!.rows[0]?.['id']) !== job.id) throw new Error('capture: the claim statement did not return the job')
    return { claim, ack, claimStep, ackStep }
  } finally {
    recording = false
    await conduit.close()
  }
}

/**
 * The recipe with its ack transaction begun `READ COMMITTED` instead of `SERIALIZABLE`
 * (a diagnostic contender: what the ack's isolation costs when workers run side by side).
 */
export function ackReadCommitted(recipe: Recipe): Recipe {
  const [begin, ...rest] = recipe.ack
  if (begin === undefined || !begin.text.includes('ISOLATION LEVEL SERIALIZABLE')) throw new Error('the ack does not begin SERIALIZABLE')
  return { ...recipe, ack: [{ ...begin, text: begin.text.replace('ISOLATION LEVEL SERIALIZABLE', 'ISOLATION LEVEL READ COMMITTED') }, ...rest] }
}

/** SQLSTATEs cleo-store retries a whole transaction on (`BUSY`) that a claim → ack can meet. */
const RETRIED = new Set(['40001', '40P01'])

async function transaction(
  client: pg.Client,
  steps: readonly RecipeStep[],
  roles: Readonly<Record<string, unknown>>,
  keep: number,
): Promise<pg.QueryResult> {
  let kept: pg.QueryResult | undefined
  try {
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!
      const result = await client.query(step.text, fill(step, roles))
      if (i === keep) kept = result
    }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  }
  return kept!
}

/** One claim transaction; the claimed job, or null when none was left. */
export async function replayClaim(
  client: pg.Client,
  recipe: Recipe,
  roles: { queue: string; owner: string; leaseMs: number },
): Promise<{ id: number; token: number } | null> {
  const now = Date.now()
  const result = await transaction(client, recipe.claim, { queue: roles.queue, owner: roles.owner, now, expiresAt: now + roles.leaseMs }, recipe.claimStep)
  const row = result.rows[0] as { id: unknown; lease_token: unknown } | undefined
  return row === undefined ? null : { id: Number(row.id), token: Number(row.lease_token) }
}

/** One ack transaction, retried whole on a serialization failure; returns the number of retries. */
export async function replayAck(client: pg.Client, recipe: Recipe, job: { id: number; token: number; owner: string }): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await transaction(client, recipe.ack, { ...job, now: Date.now() }, recipe.ackStep)
      if (result.rowCount !== 1) throw new Error(`raw ack of job ${job.id} changed ${result.rowCount} rows`)
      return attempt - 1
    } catch (error) {
      if (!RETRIED.has(String((error as { code?: unknown }).code)) || attempt > 1000) throw error
      await sleep(Math.random() * Math.min(100, 5 * 2 ** (attempt - 1)))
    }
  }
}
