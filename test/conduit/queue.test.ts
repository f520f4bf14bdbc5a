/**
 * The delivery queue, in one process on a manual clock: leases and fencing,
 * backoff, dead letters, ordering, fairness, dedup, coalescing, pruning, stats.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import type { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import { CONDUIT_LIMITS } from '../../src/conduit/conduit.schemas.js'
import { expectCode } from '../helpers.js'
import { CONDUIT_ENGINES, openTestConduit, rows, T0 } from './conduit-fixtures.js'

describe.each(CONDUIT_ENGINES)('delivery queue on %s', (engine) => {
  let conduit: ConduitRepository
  let clock: Awaited<ReturnType<typeof openTestConduit>>['clock']

  beforeEach(async () => {
    ;({ conduit, clock } = await openTestConduit({}, engine))
  })
  afterEach(async () => {
    await conduit.close()
  })

  const lease = { owner: 'w1', leaseMs: 1000 }

  describe('enqueue, claim, ack', () => {
    it('delivers a job once and records it done', async () => {
      const { job, outcome } = await conduit.queue.enqueue({ queue: 'q', payload: { hello: 'world' } })
      expect(outcome).toBe('enqueued')
      expect(job).toMatchObject({ status: 'pending', attempts: 0, maxAttempts: 6, payload: { hello: 'world' }, lease: null })

      const [claimed, ...rest] = await conduit.queue.claim(5, { queue: 'q', ...lease })
      expect(rest).toEqual([])
      expect(claimed).toMatchObject({ id: job.id, status: 'leased', attempts: 1 })
      expect(claimed!.lease).toEqual({ jobId: job.id, owner: 'w1', token: 1, expiresAt: new Date(T0 + 1000).toISOString() })
      expect(await conduit.queue.claim(5, { queue: 'q', ...lease })).toEqual([])

      await conduit.queue.ack(claimed!.lease)
      expect(await conduit.queue.get(job.id)).toMatchObject({ status: 'done', finishedAt: new Date(T0).toISOString(), lease: null })
      expect(await conduit.queue.claim(5, { queue: 'q', ...lease })).toEqual([])
    })

    it('claims only from the named queue, oldest first', async () => {
      await conduit.queue.enqueue({ queue: 'a', payload: 1 })
      clock.advance(1)
      await conduit.queue.enqueue({ queue: 'b', payload: 2 })
      clock.advance(1)
      await conduit.queue.enqueue({ queue: 'a', payload: 3 })
      const jobs = await conduit.queue.claim(10, { queue: 'a', ...lease })
      expect(jobs.map((j) => j.payload)).toEqual([1, 3])
      expect((await conduit.queue.claim(10, { ...lease })).length).toBe(0) // 'default' is empty
    })

    it('does not hand out a delayed job before its time', async () => {
      await conduit.queue.enqueue({ payload: 'later', delayMs: 5000 })
      expect(await conduit.queue.claim(1, lease)).toEqual([])
      clock.advance(4999)
      expect(await conduit.queue.claim(1, lease)).toEqual([])
      clock.advance(1)
      expect((await conduit.queue.claim(1, lease)).map((j) => j.payload)).toEqual(['later'])
    })

    it('enqueueMany is one transaction: an invalid item writes nothing', async () => {
      await expectCode(conduit.queue.enqueueMany([{ payload: 1 }, { payload: 2, maxAttempts: 0 }]), 'VALIDATION')
      expect((await conduit.queue.stats()).depth).toBe(0)
      const results = await conduit.queue.enqueueMany([{ payload: 1 }, { payload: 2 }])
      expect(results.map((r) => r.job.payload)).toEqual([1, 2])
    })
  })

  describe('leases and fencing', () => {
    it('a worker whose lease expired and was reclaimed gets LEASE_LOST on ack, nack and extend', async () => {
      await conduit.queue.enqueue({ payload: 'x' })
      const [first] = await conduit.queue.claim(1, { owner: 'slow', leaseMs: 1000 })
      clock.advance(1000)
      const [second] = await conduit.queue.claim(1, { owner: 'fast', leaseMs: 1000 })
      expect(second!.id).toBe(first!.id)
      expect(second!.lease.token).toBe(first!.lease.token + 1)
      expect(second!.attempts).toBe(2)

      const lost = await expectCode(conduit.queue.ack(first!.lease), 'LEASE_LOST')
      expect(lost.details).toMatchObject({ jobId: first!.id, status: 'leased', token: 2 })
      await expectCode(conduit.queue.nack(first!.lease, { error: 'late' }), 'LEASE_LOST')
      await expectCode(conduit.queue.extend(first!.lease, { leaseMs: 1000 }), 'LEASE_LOST')

      await conduit.queue.ack(second!.lease)
      expect(await conduit.queue.get(first!.id)).toMatchObject({ status: 'done' })
      // Once done, even the last owner cannot ack again.
      await expectCode(conduit.queue.ack(second!.lease), 'LEASE_LOST')
    })

    it('the same owner name with an old token is still fenced out', async () => {
      await conduit.queue.enqueue({ payload: 'x' })
      const [first] = await conduit.queue.claim(1, { owner: 'w', leaseMs: 10 })
      clock.advance(10)
      const [again] = await conduit.queue.claim(1, { owner: 'w', leaseMs: 10 })
      await expectCode(conduit.queue.ack(first!.lease), 'LEASE_LOST')
      await expectCode(conduit.queue.ack({ ...again!.lease, owner: 'someone-else' }), 'LEASE_LOST')
      await conduit.queue.ack(again!.lease)
    })

    it('an expired lease that nobody reclaimed is still honoured', async () => {
      await conduit.queue.enqueue({ payload: 'x' })
      const [job] = await conduit.queue.claim(1, lease)
      clock.advance(5000)
      await conduit.queue.ack(job!.lease)
      expect((await conduit.queue.get(job!.id))!.status).toBe('done')
    })

    it('extend keeps the job from being reclaimed', async () => {
      await conduit.queue.enqueue({ payload: 'x' })
      const [job] = await conduit.queue.claim(1, lease)
      clock.advance(900)
      const renewed = await conduit.queue.extend(job!.lease, { leaseMs: 1000 })
      expect(renewed).toEqual({ ...job!.lease, expiresAt: new Date(T0 + 1900).toISOString() })
      clock.advance(500) // past the original expiry, within the renewed one
      expect(await conduit.queue.claim(1, { owner: 'w2', leaseMs: 1000 })).toEqual([])
      clock.advance(500)
      expect((await conduit.queue.claim(1, { owner: 'w2', leaseMs: 1000 })).length).toBe(1)
    })

    it('acking an unknown job is NOT_FOUND; a malformed lease is VALIDATION', async () => {
      await expectCode(conduit.queue.ack({ jobId: 999, owner: 'w', token: 1 }), 'NOT_FOUND')
      await expectCode(conduit.queue.ack({ jobId: 0, owner: 'w', token: 1 }), 'VALIDATION')
      await expectCode(conduit.queue.ack({ jobId: 1, owner: '', token: 1 }), 'VALIDATION')
    })

    it('a crashed worker loses nothing: the job comes back after the lease', async () => {
      await conduit.queue.enqueue({ payload: 'important' })
      await conduit.queue.claim(1, { owner: 'crashed', leaseMs: 30_000 })
      expect(await conduit.queue.stats()).toMatchObject({ leased: 1, expiredLeases: 0 })
      clock.advance(29_999)
      expect(await conduit.queue.claim(1, { owner: 'rescuer', leaseMs: 30_000 })).toEqual([])
      clock.advance(1)
      expect(await conduit.queue.stats()).toMatchObject({ leased: 0, expiredLeases: 1 })
      const [rescued] = await conduit.queue.claim(1, { owner: 'rescuer', leaseMs: 30_000 })
      expect(rescued).toMatchObject({ payload: 'important', attempts: 2, lease: { owner: 'rescuer', token: 2 } })
    })
  })

  describe('nack, backoff and dead letters', () => {
    it('retries with exponential backoff and injected jitter', async () => {
      await conduit.queue.enqueue({ payload: 'x', maxAttempts: 10 })
      const delays: number[] = []
      for (let i = 0; i < 4; i++) {
        const [job] = await conduit.queue.claim(1, lease)
        const result = await conduit.queue.nack(job!.lease, { error: `fail ${i}`, backoff: { baseMs: 100, maxMs: 10_000 } })
        if (result.outcome !== 'retry') throw new Error('expected a retry')
        delays.push(result.delayMs)
        expect(await conduit.queue.claim(1, lease)).toEqual([]) // backing off
        clock.advance(result.delayMs)
      }
      // equal jitter with random() = 0.5: 3/4 of 100·2^(n-1)
      expect(delays).toEqual([75, 150, 300, 600])
      const job = (await conduit.queue.claim(1, lease))[0]!
      expect(job).toMatchObject({ attempts: 5, lastError: 'fail 3' })
    })

    it('nack with delayMs waits exactly that long', async () => {
      await conduit.queue.enqueue({ payload: 'x' })
      const [job] = await conduit.queue.claim(1, lease)
      expect(await conduit.queue.nack(job!.lease, { delayMs: 12_345 })).toEqual({
        outcome: 'retry',
        delayMs: 12_345,
        availableAt: new Date(T0 + 12_345).toISOString(),
      })
    })

    it('dead-letters at maxAttempts, job and dead letter in one transaction', async () => {
      const { job } = await conduit.queue.enqueue({ queue: 'q', payload: 'poison', maxAttempts: 3 })
      for (let attempt = 1; attempt <= 3; attempt++) {
        const [claimed] = await conduit.queue.claim(1, { queue: 'q', ...lease })
        expect(claimed!.attempts).toBe(attempt)
        const result = await conduit.queue.nack(claimed!.lease, { error: `boom ${attempt}`, delayMs: 0 })
        expect(result.outcome).toBe(attempt < 3 ? 'retry' : 'dead')
      }
      expect(await conduit.queue.claim(1, { queue: 'q', ...lease })).toEqual([])
      expect(await conduit.queue.get(job.id)).toMatchObject({ status: 'dead', attempts: 3, lastError: 'boom 3' })
      const [letter] = await conduit.queue.deadLetters({ queue: 'q' })
      expect(letter).toMatchObject({ reason: 'max_attempts', error: 'boom 3', attempts: 3, job: { id: job.id, status: 'dead' } })
      expect(await conduit.queue.stats('q')).toMatchObject({ dead: 1, depth: 0 })
    })

    it('nack({ retry: false }) dead-letters at once as rejected', async () => {
      await conduit.queue.enqueue({ payload: 'bad' })
      const [job] = await conduit.queue.claim(1, lease)
      expect(await conduit.queue.nack(job!.lease, { error: 'malformed', retry: false })).toEqual({ outcome: 'dead', reason: 'rejected' })
      expect((await conduit.queue.deadLetters())[0]).toMatchObject({ reason: 'rejected', error: 'malformed', attempts: 1 })
    })

    it('a job whose worker died on its last attempt is dead-lettered as lease_expired by the next claim', async () => {
      const { job } = await conduit.queue.enqueue({ payload: 'crasher', maxAttempts: 2 })
      await conduit.queue.claim(1, { owner: 'a', leaseMs: 100 })
      clock.advance(100)
      const [second] = await conduit.queue.claim(1, { owner: 'b', leaseMs: 100 })
      expect(second!.attempts).toBe(2)
      clock.advance(100)
      expect(await conduit.queue.claim(1, { owner: 'c', leaseMs: 100 })).toEqual([])
      expect(await conduit.queue.get(job.id)).toMatchObject({ status: 'dead' })
      expect((await conduit.queue.deadLetters())[0]).toMatchObject({ reason: 'lease_expired', attempts: 2 })
      await expectCode(conduit.queue.ack(second!.lease), 'LEASE_LOST')
      // The dead job and its letter were written together: exactly one open letter.
      expect(await rows(conduit, 'SELECT count(*) AS n FROM dead_letters')).toEqual([{ n: 1 }])
    })

    it('truncates very long errors instead of refusing them', async () => {
      await conduit.queue.enqueue({ payload: 'x' })
      const [job] = await conduit.queue.claim(1, lease)
      await conduit.queue.nack(job!.lease, { error: 'e'.repeat(10_000), retry: false })
      expect((await conduit.queue.get(job!.id))!.lastError!.length).toBe(CONDUIT_LIMITS.maxErrorLength)
    })

    it('replays dead letters (same id, attempts reset) and keeps the letter as history', async () => {
      const { job } = await conduit.queue.enqueue({ queue: 'q', payload: 'p', maxAttempts: 1 })
      const [claimed] = await conduit.queue.claim(1, { queue: 'q', ...lease })
      await conduit.queue.nack(claimed!.lease, { error: 'down' })
      clock.advance(60_000)
      expect(await conduit.queue.replayDeadLetters({ queue: 'q' })).toEqual({ replayed: [job.id], skipped: [] })
      expect(await conduit.queue.deadLetters({ queue: 'q' })).toEqual([])
      expect(await rows(conduit, 'SELECT replayed_at FROM dead_letters')).toEqual([{ replayed_at: T0 + 60_000 }])
      const [again] = await conduit.queue.claim(1, { queue: 'q', ...lease })
      expect(again).toMatchObject({ id: job.id, attempts: 1, lastError: 'down' })
      expect(again!.lease.token).toBe(2)
      await conduit.queue.ack(again!.lease)
    })

    it('purges dead letters by queue, ids and age', async () => {
      const ids: number[] = []
      for (const queue of ['a', 'a', 'b']) {
        const { job } = await conduit.queue.enqueue({ queue, payload: queue })
        const [claimed] = await conduit.queue.claim(1, { queue, ...lease })
        await conduit.queue.nack(claimed!.lease, { retry: false })
        ids.push(job.id)
        clock.advance(1000)
      }
      expect(await conduit.queue.purgeDeadLetters({ queue: 'a', olderThanMs: 2500 })).toBe(1)
      expect(await conduit.queue.purgeDeadLetters({ jobIds: [ids[2]!] })).toBe(1)
      expect((await conduit.queue.deadLetters()).map((l) => l.job.id)).toEqual([ids[1]])
      expect(await rows(conduit, 'SELECT job_id FROM dead_letters')).toEqual([{ job_id: ids[1] }])
      await expectCode(conduit.queue.purgeDeadLetters({}), 'VALIDATION')
    })

    it('pages dead letters with after', async () => {
      for (let i = 0; i < 3; i++) {
        await conduit.queue.enqueue({ payload: i })
        const [claimed] = await conduit.queue.claim(1, lease)
        await conduit.queue.nack(claimed!.lease, { retry: false })
      }
      const first = await conduit.queue.deadLetters({ limit: 2 })
      const next = await conduit.queue.deadLetters({ limit: 2, after: first[1]!.id })
      expect([...first, ...next].map((l) => l.job.payload)).toEqual([0, 1, 2])
    })
  })

  describe('ordering and fairness', () => {
    it('ordered partitions run strictly in order; a failed head blocks only its partition', async () => {
      for (const i of [1, 2, 3]) await conduit.queue.enqueue({ payload: `A${i}`, partitionKey: 'A', ordered: true })
      for (const i of [1, 2]) await conduit.queue.enqueue({ payload: `B${i}`, partitionKey: 'B', ordered: true })

      let batch = await conduit.queue.claim(10, lease)
      expect(batch.map((j) => j.payload)).toEqual(['A1', 'B1']) // one head per ordered partition
      const [a1, b1] = batch
      await conduit.queue.nack(a1!.lease, { delayMs: 10_000 }) // A's head fails and backs off
      await conduit.queue.ack(b1!.lease)

      batch = await conduit.queue.claim(10, lease)
      expect(batch.map((j) => j.payload)).toEqual(['B2']) // A2 waits behind A1; B goes on
      await conduit.queue.ack(batch[0]!.lease)
      expect(await conduit.queue.claim(10, lease)).toEqual([])

      clock.advance(10_000)
      batch = await conduit.queue.claim(10, lease)
      expect(batch.map((j) => j.payload)).toEqual(['A1'])
      await conduit.queue.ack(batch[0]!.lease)
      for (const expected of ['A2', 'A3']) {
        batch = await conduit.queue.claim(10, lease)
        expect(batch.map((j) => j.payload)).toEqual([expected])
        await conduit.queue.ack(batch[0]!.lease)
      }
    })

    it('a leased head (even with an expired lease) keeps its partition blocked until reclaimed and finished', async () => {
      await conduit.queue.enqueue({ payload: 'A1', partitionKey: 'A', ordered: true })
      await conduit.queue.enqueue({ payload: 'A2', partitionKey: 'A', ordered: true })
      const [head] = await conduit.queue.claim(10, { owner: 'dies', leaseMs: 100 })
      expect(await conduit.queue.claim(10, lease)).toEqual([])
      clock.advance(100)
      const again = await conduit.queue.claim(10, lease)
      expect(again.map((j) => j.payload)).toEqual(['A1']) // the head, reclaimed — not A2
      expect(again[0]!.lease.token).toBe(head!.lease.token + 1)
    })

    it('a dead head unblocks its partition', async () => {
      await conduit.queue.enqueue({ payload: 'A1', partitionKey: 'A', ordered: true, maxAttempts: 1 })
      await conduit.queue.enqueue({ payload: 'A2', partitionKey: 'A', ordered: true })
      const [head] = await conduit.queue.claim(10, lease)
      await conduit.queue.nack(head!.lease, { error: 'x' })
      expect((await conduit.queue.claim(10, lease)).map((j) => j.payload)).toEqual(['A2'])
    })

    it('unordered jobs of one partition run in parallel', async () => {
      for (const i of [1, 2, 3]) await conduit.queue.enqueue({ payload: i, partitionKey: 'A' })
      expect((await conduit.queue.claim(10, lease)).map((j) => j.payload)).toEqual([1, 2, 3])
    })

    it('one busy partition does not fill a claim batch while others wait', async () => {
      for (let i = 0; i < 100; i++) await conduit.queue.enqueue({ payload: `busy-${i}`, partitionKey: 'busy' })
      clock.advance(1)
      await conduit.queue.enqueue({ payload: 'quiet-0', partitionKey: 'quiet' })
      await conduit.queue.enqueue({ payload: 'solo' })
      const batch = await conduit.queue.claim(4, lease)
      expect(batch.map((j) => j.payload).sort()).toEqual(['busy-0', 'busy-1', 'quiet-0', 'solo'])
    })

    it('jobs of a blocked partition take no slot in a batch', async () => {
      await conduit.queue.enqueue({ payload: 'A1', partitionKey: 'A', ordered: true })
      for (let i = 2; i <= 50; i++) await conduit.queue.enqueue({ payload: `A${i}`, partitionKey: 'A', ordered: true })
      await conduit.queue.enqueue({ payload: 'B1', partitionKey: 'B', ordered: true })
      const [a1] = await conduit.queue.claim(1, lease)
      expect(a1!.payload).toBe('A1')
      expect((await conduit.queue.claim(5, lease)).map((j) => j.payload)).toEqual(['B1'])
    })

    it('a single claim takes the globally oldest claimable job', async () => {
      await conduit.queue.enqueue({ payload: 'x', partitionKey: 'A' })
      await conduit.queue.enqueue({ payload: 'y', partitionKey: 'A' })
      await conduit.queue.enqueue({ payload: 'z', partitionKey: 'B' })
      const taken: unknown[] = []
      for (let i = 0; i < 3; i++) taken.push((await conduit.queue.claim(1, lease))[0]!.payload)
      expect(taken).toEqual(['x', 'y', 'z'])
    })

    it('ordered without a partition key is VALIDATION', async () => {
      const error = await expectCode(conduit.queue.enqueue({ payload: 1, ordered: true }), 'VALIDATION')
      expect(error.details?.path).toEqual(['partitionKey'])
    })
  })

  describe('dedup and coalescing', () => {
    it('a dedup key yields one job per queue while the job is kept', async () => {
      const first = await conduit.queue.enqueue({ queue: 'q', payload: 1, dedupKey: 'k' })
      const second = await conduit.queue.enqueue({ queue: 'q', payload: 2, dedupKey: 'k' })
      expect(second).toMatchObject({ outcome: 'deduplicated', job: { id: first.job.id, payload: 1 } })
      const otherQueue = await conduit.queue.enqueue({ queue: 'r', payload: 3, dedupKey: 'k' })
      expect(otherQueue.outcome).toBe('enqueued')

      const [job] = await conduit.queue.claim(1, { queue: 'q', ...lease })
      await conduit.queue.ack(job!.lease)
      expect((await conduit.queue.enqueue({ queue: 'q', payload: 4, dedupKey: 'k' })).outcome).toBe('deduplicated')
      clock.advance(1000)
      expect(await conduit.queue.prune({ queue: 'q', olderThanMs: 1000 })).toBe(1)
      expect((await conduit.queue.enqueue({ queue: 'q', payload: 5, dedupKey: 'k' })).outcome).toBe('enqueued')
    })

    it('dedup inside one enqueueMany batch', async () => {
      const results = await conduit.queue.enqueueMany([
        { payload: 1, dedupKey: 'same' },
        { payload: 2, dedupKey: 'same' },
      ])
      expect(results.map((r) => r.outcome)).toEqual(['enqueued', 'deduplicated'])
      expect((await conduit.queue.stats()).ready).toBe(1)
    })

    it('coalescing replaces the pending job: latest wins, at the back of its partition', async () => {
      const first = await conduit.queue.enqueue({ payload: 'tool-1', partitionKey: 's', ordered: true, coalesceKey: 'tool' })
      await conduit.queue.enqueue({ payload: 'stop', partitionKey: 's', ordered: true })
      const latest = await conduit.queue.enqueue({ payload: 'tool-2', partitionKey: 's', ordered: true, coalesceKey: 'tool' })
      expect(latest).toMatchObject({ outcome: 'coalesced', replacedJobId: first.job.id })
      expect(await conduit.queue.get(first.job.id)).toBeUndefined()
      const order: unknown[] = []
      for (;;) {
        const [job] = await conduit.queue.claim(1, lease)
        if (!job) break
        order.push(job.payload)
        await conduit.queue.ack(job.lease)
      }
      expect(order).toEqual(['stop', 'tool-2'])
    })

    it('a claimed job is not coalesced; a newer pending one supersedes it on nack', async () => {
      await conduit.queue.enqueue({ payload: 'v1', coalesceKey: 'state' })
      const [running] = await conduit.queue.claim(1, lease)
      const v2 = await conduit.queue.enqueue({ payload: 'v2', coalesceKey: 'state' })
      expect(v2.outcome).toBe('enqueued')
      expect(await conduit.queue.nack(running!.lease, { error: 'oops' })).toEqual({ outcome: 'superseded' })
      expect(await conduit.queue.get(running!.id)).toMatchObject({ status: 'done', lastError: `superseded by job ${v2.job.id}` })
      expect((await conduit.queue.claim(5, lease)).map((j) => j.payload)).toEqual(['v2'])
    })

    it('replay skips a dead job whose coalesce key a newer pending job holds', async () => {
      await conduit.queue.enqueue({ payload: 'v1', coalesceKey: 'state' })
      const [running] = await conduit.queue.claim(1, lease)
      await conduit.queue.nack(running!.lease, { retry: false })
      await conduit.queue.enqueue({ payload: 'v2', coalesceKey: 'state' })
      expect(await conduit.queue.replayDeadLetters({ queue: 'default' })).toEqual({ replayed: [], skipped: [running!.id] })
    })
  })

  describe('prune and stats', () => {
    it('prunes done jobs by age only', async () => {
      for (let i = 0; i < 3; i++) await conduit.queue.enqueue({ queue: 'q', payload: i })
      const jobs = await conduit.queue.claim(3, { queue: 'q', ...lease })
      await conduit.queue.ack(jobs[0]!.lease)
      clock.advance(10_000)
      await conduit.queue.ack(jobs[1]!.lease)
      await conduit.queue.nack(jobs[2]!.lease, { retry: false }) // dead: never pruned
      expect(await conduit.queue.prune({ queue: 'q', olderThanMs: 10_001 })).toBe(0)
      expect(await conduit.queue.prune({ queue: 'q', olderThanMs: 10_000 })).toBe(1)
      expect(await conduit.queue.prune({ olderThanMs: 0 })).toBe(1)
      expect(await conduit.queue.stats('q')).toMatchObject({ done: 0, dead: 1 })
    })

    it('prune respects its limit', async () => {
      for (let i = 0; i < 5; i++) await conduit.queue.enqueue({ payload: i })
      for (const job of await conduit.queue.claim(5, lease)) await conduit.queue.ack(job.lease)
      expect(await conduit.queue.prune({ olderThanMs: 0, limit: 2 })).toBe(2)
      expect(await conduit.queue.prune({ olderThanMs: 0, limit: 10 })).toBe(3)
    })

    it('reports depth by state and the oldest ages on the injected clock', async () => {
      await conduit.queue.enqueue({ queue: 'q', payload: 'old' })
      clock.advance(1000)
      await conduit.queue.enqueue({ queue: 'q', payload: 'ready' })
      await conduit.queue.enqueue({ queue: 'q', payload: 'delayed', delayMs: 60_000 })
      clock.advance(500)
      await conduit.queue.claim(1, { queue: 'q', owner: 'w', leaseMs: 100 })
      clock.advance(250)
      expect(await conduit.queue.stats('q')).toEqual({
        queue: 'q',
        ready: 1,
        delayed: 1,
        leased: 0,
        expiredLeases: 1,
        depth: 3,
        done: 0,
        dead: 0,
        oldestReadyAgeMs: 750,
        oldestAgeMs: 1750,
      })
      expect((await conduit.queue.stats('empty')).oldestAgeMs).toBeNull()
    })
  })

  describe('validation', () => {
    it('refuses an oversized payload with the limit', async () => {
      const error = await expectCode(
        conduit.queue.enqueue({ payload: 'x'.repeat(CONDUIT_LIMITS.maxJobPayloadBytes) }),
        'VALIDATION',
      )
      expect(error.details).toMatchObject({ path: ['payload'], limit: CONDUIT_LIMITS.maxJobPayloadBytes })
    })

    it('refuses payloads that are not JSON', async () => {
      await expectCode(conduit.queue.enqueue({ payload: undefined }), 'VALIDATION')
      await expectCode(conduit.queue.enqueue({ payload: 10n }), 'VALIDATION')
      const circular: Record<string, unknown> = {}
      circular.self = circular
      await expectCode(conduit.queue.enqueue({ payload: circular }), 'VALIDATION')
    })

    it('refuses bad claim arguments', async () => {
      await expectCode(conduit.queue.claim(0, lease), 'VALIDATION')
      await expectCode(conduit.queue.claim(1.5, lease), 'VALIDATION')
      await expectCode(conduit.queue.claim(1, { owner: 'w', leaseMs: 0 }), 'VALIDATION')
      await expectCode(conduit.queue.claim(1, { owner: '', leaseMs: 10 }), 'VALIDATION')
      await expectCode(conduit.queue.claim(1, { ...lease, unknown: 1 } as never), 'VALIDATION')
    })
  })
})
