/**
 * The delivery queue's PostgreSQL-only locks (issue 14 item 14), each shown against a
 * lock another transaction holds (a plain `pg` client, in the store's schema):
 * - a claim's walks lock their rows `FOR UPDATE SKIP LOCKED`: a job another
 *   transaction holds is skipped, without waiting;
 * - the reaping of exhausted leases skips a row another transaction holds too;
 * - an ordered enqueue takes its partition's advisory lock: while another transaction
 *   holds it, the enqueue waits (here: until `busyTimeoutMs`, then `BUSY`); another
 *   partition, or an unordered job, does not wait.
 * Only when the run has a PostgreSQL server. Statements compile on first use in a file:
 * the reaping test comes first (it compiles the reaping statement) and claims batches of
 * two, so the claim of one job compiles in the test that locks a claimable job.
 */
import { randomUUID } from 'node:crypto'

import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'

import type { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import { expectCode } from '../helpers.js'
import { POSTGRES_URL } from '../postgres/pg-test-schemas.js'
import { openTestConduit, rows } from './conduit-fixtures.js'

describe.runIf(POSTGRES_URL !== null)('delivery queue locks on postgres (mutation tests)', () => {
  const clients: pg.Client[] = []
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.end()
  })

  /** A conduit whose lock waits give up after 1 s, and a second connection in a transaction on its schema. */
  async function setup(): Promise<{ conduit: ConduitRepository; clock: Awaited<ReturnType<typeof openTestConduit>>['clock']; other: pg.Client }> {
    const { conduit, clock } = await openTestConduit({ busyTimeoutMs: 1_000 }, 'postgres')
    const [{ schema }] = (await rows<{ schema: string }>(conduit, 'SELECT current_schema() AS schema')) as [{ schema: string }]
    const other = new pg.Client({ connectionString: POSTGRES_URL! })
    await other.connect()
    clients.push(other)
    await other.query(`SET search_path TO "${schema}"`)
    await other.query('BEGIN')
    return { conduit, clock, other }
  }

  it('a claim skips an exhausted lease another transaction holds (no dead letter yet), and reaps it once released', async () => {
    const { conduit, clock, other } = await setup()
    const queue = `q-${randomUUID()}`
    const exhausted = await conduit.queue.enqueue({ queue, payload: 'x', maxAttempts: 1 })
    await conduit.queue.claim(2, { queue, owner: 'w', leaseMs: 1_000 })
    const waiting = await conduit.queue.enqueue({ queue, payload: 'y' })
    clock.advance(1_000)
    await other.query('SELECT id FROM delivery_jobs WHERE id = $1 FOR UPDATE', [exhausted.job.id])
    expect((await conduit.queue.claim(2, { queue, owner: 'v', leaseMs: 1_000 })).map((j) => j.id)).toEqual([waiting.job.id])
    expect((await conduit.queue.get(exhausted.job.id))!.status).toBe('leased')
    expect(await conduit.queue.deadLetters({ queue })).toEqual([])
    await other.query('ROLLBACK')
    expect(await conduit.queue.claim(2, { queue, owner: 'v', leaseMs: 1_000 })).toEqual([])
    expect((await conduit.queue.deadLetters({ queue })).map((l) => [l.job.id, l.reason])).toEqual([[exhausted.job.id, 'lease_expired']])
  })

  it('a claim skips a job another transaction holds, without waiting, and takes it once released', async () => {
    const { conduit, other } = await setup()
    const queue = `q-${randomUUID()}`
    const first = await conduit.queue.enqueue({ queue, payload: 1 })
    const second = await conduit.queue.enqueue({ queue, payload: 2 })
    await other.query('SELECT id FROM delivery_jobs WHERE id = $1 FOR UPDATE', [first.job.id])
    expect((await conduit.queue.claim(1, { queue, owner: 'w', leaseMs: 1_000 })).map((j) => j.id)).toEqual([second.job.id])
    await other.query('ROLLBACK')
    expect((await conduit.queue.claim(1, { queue, owner: 'w', leaseMs: 1_000 })).map((j) => j.id)).toEqual([first.job.id])
  })

  it('an ordered enqueue waits for its partition’s lock; another partition and an unordered job do not', async () => {
    const { conduit, other } = await setup()
    const queue = `q-${randomUUID()}`
    await other.query('SELECT pg_advisory_xact_lock(hashtext($1::text), hashtext($2::text))', [queue, 'p'])
    await expectCode(conduit.queue.enqueue({ queue, payload: 1, partitionKey: 'p', ordered: true }), 'BUSY')
    expect((await conduit.queue.enqueue({ queue, payload: 2, partitionKey: 'r', ordered: true })).outcome).toBe('enqueued')
    expect((await conduit.queue.enqueue({ queue, payload: 3, partitionKey: 'p' })).outcome).toBe('enqueued')
    await other.query('ROLLBACK')
    expect((await conduit.queue.enqueue({ queue, payload: 4, partitionKey: 'p', ordered: true })).outcome).toBe('enqueued')
  })
})
