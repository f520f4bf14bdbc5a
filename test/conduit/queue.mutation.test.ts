/**
 * The delivery queue, the details the mutation run of `src/conduit/delivery-queue*.ts`
 * showed untested (issue 14 item 14): every query's parameters (each queue sees only its
 * own jobs), the stored fields of a job, stats, the batch's order, boundaries of the
 * limits, the validation and lease errors, and purgeQueue.
 *
 * The first test drives every query of the queue: they are compiled once, on first use
 * in a test file, so a broken query must show up in the test that compiles it.
 */
import { describe, expect, it } from 'vitest'

import { CONDUIT_LIMITS } from '../../src/conduit/conduit.schemas.js'
import { expectCode } from '../helpers.js'
import { CONDUIT_ENGINES, openTestConduit, rows, T0 } from './conduit-fixtures.js'

describe.each(CONDUIT_ENGINES)('delivery queue (mutation tests) on %s', (engine) => {
  const openOn = (options: Parameters<typeof openTestConduit>[0] = {}) => openTestConduit(options, engine)

  const iso = (ms: number) => new Date(ms).toISOString()

  describe('delivery queue: every query, each queue on its own', () => {
    it('enqueue (dedup, coalesce), claim, reclaim, extend, ack, nack (retry, supersede, reject), exhausted leases, stats, dead letters, replay, prune, purgeQueue', async () => {
      const { conduit, clock } = await openOn()
      const q = conduit.queue

      // INSERT_JOB stores every field; GET_JOB reads it back
      const a1 = await q.enqueue({ queue: 'a', payload: { n: 1 }, partitionKey: 'p', ordered: true, dedupKey: 'd1', maxAttempts: 2 })
      expect(a1.outcome).toBe('enqueued')
      expect(a1.job).toMatchObject({
        queue: 'a',
        payload: { n: 1 },
        status: 'pending',
        partitionKey: 'p',
        ordered: true,
        dedupKey: 'd1',
        coalesceKey: null,
        attempts: 0,
        maxAttempts: 2,
        availableAt: iso(T0),
        createdAt: iso(T0),
        finishedAt: null,
        lease: null,
        messageId: null,
        recipientId: null,
      })
      expect(await q.get(a1.job.id)).toEqual(a1.job)
      // GET_JOB_BY_DEDUP_KEY: per queue
      expect(await q.enqueue({ queue: 'a', payload: 9, dedupKey: 'd1' })).toMatchObject({ outcome: 'deduplicated', job: { id: a1.job.id } })
      const b1 = await q.enqueue({ queue: 'b', payload: 'b1', dedupKey: 'd1', maxAttempts: 1 })
      expect(b1.outcome).toBe('enqueued')
      // DELETE_PENDING_COALESCED: per queue and key
      const c1 = await q.enqueue({ queue: 'a', payload: 'c1', coalesceKey: 'k', delayMs: 5_000 })
      const bk = await q.enqueue({ queue: 'b', payload: 'bk', coalesceKey: 'k' })
      const c2 = await q.enqueue({ queue: 'a', payload: 'c2', coalesceKey: 'k', delayMs: 5_000 })
      expect(c2).toMatchObject({ outcome: 'coalesced', replacedJobId: c1.job.id, job: { coalesceKey: 'k', availableAt: iso(T0 + 5_000) } })
      expect(await q.get(c1.job.id)).toBeUndefined()
      expect((await q.get(bk.job.id))?.status).toBe('pending')

      // claim one: the oldest claimable job of the queue
      const [x] = await q.claim(1, { queue: 'a', owner: 'w', leaseMs: 1_000 })
      expect(x).toMatchObject({ id: a1.job.id, status: 'leased', attempts: 1, lease: { jobId: a1.job.id, owner: 'w', token: 1, expiresAt: iso(T0 + 1_000) } })
      // EXTEND_LEASE: from now
      clock.advance(500)
      expect(await q.extend(x!.lease, { leaseMs: 2_000 })).toEqual({ jobId: a1.job.id, owner: 'w', token: 1, expiresAt: iso(T0 + 2_500) })
      expect((await q.get(a1.job.id))?.lease?.expiresAt).toBe(iso(T0 + 2_500))
      // the lease lapses; the job (attempt 1 of 2) is taken again, with the next token, by a claim on its queue only
      const [y] = await q.claim(1, { queue: 'b', owner: 'v', leaseMs: 1_000 }) // b1, its last attempt
      expect(y).toMatchObject({ id: b1.job.id, attempts: 1 })
      clock.set(T0 + 2_500)
      const [again] = await q.claim(1, { queue: 'a', owner: 'w2', leaseMs: 1_000 })
      expect(again).toMatchObject({ id: a1.job.id, attempts: 2, lease: { owner: 'w2', token: 2, expiresAt: iso(T0 + 3_500) } })
      // the stale lease cannot ack; the live one can (ACK_JOB)
      const stale = await expectCode(q.ack(x!.lease), 'LEASE_LOST')
      expect(stale.details).toEqual({ jobId: a1.job.id, status: 'leased', token: 2 })
      expect(stale.message).toBe(`LEASE_LOST: cannot ack job ${a1.job.id}: the lease of "w" (token 1) is no longer held (job is leased, token 2)`)
      await q.ack(again!.lease)
      expect(await q.get(a1.job.id)).toMatchObject({ status: 'done', finishedAt: iso(T0 + 2_500), lease: null })
      // b1's lease lapsed on its last attempt: a claim on 'a' leaves it alone, a claim on 'b' dead-letters it
      expect((await q.get(b1.job.id))?.status).toBe('leased')
      clock.set(T0 + 5_000)
      const batch = await q.claim(5, { queue: 'b', owner: 'v', leaseMs: 1_000 })
      expect(batch.map((j) => j.id)).toEqual([bk.job.id])
      expect(await q.get(b1.job.id)).toMatchObject({ status: 'dead', finishedAt: iso(T0 + 5_000) })
      const [letterB] = await q.deadLetters({ queue: 'b' })
      expect(letterB).toMatchObject({ reason: 'lease_expired', attempts: 1, deadAt: iso(T0 + 5_000), job: { id: b1.job.id } })

      // nack: retry (RETRY_JOB), with the default backoff: 1 s × (½ + ½ × 0.5) = 750 ms
      const [c] = await q.claim(1, { queue: 'a', owner: 'w', leaseMs: 1_000 })
      expect(c!.id).toBe(c2.job.id)
      expect(await q.nack(c!.lease, { error: 'boom' })).toEqual({ outcome: 'retry', availableAt: iso(T0 + 5_750), delayMs: 750 })
      expect(await q.get(c2.job.id)).toMatchObject({ status: 'pending', lastError: 'boom', lease: null, availableAt: iso(T0 + 5_750) })
      // supersede: a newer job with its coalesce key waits (SUPERSEDE_JOB, PENDING_COALESCED_EXISTS)
      clock.set(T0 + 6_000)
      const [c2b] = await q.claim(1, { queue: 'a', owner: 'w', leaseMs: 1_000 })
      const c3 = await q.enqueue({ queue: 'a', payload: 'c3', coalesceKey: 'k' })
      expect(await q.nack(c2b!.lease, { error: 'late' })).toEqual({ outcome: 'superseded' })
      expect(await q.get(c2.job.id)).toMatchObject({ status: 'done', lastError: `superseded by job ${c3.job.id}` })
      // reject: KILL_JOB and INSERT_DEAD_LETTER
      const [c3c] = await q.claim(1, { queue: 'a', owner: 'w', leaseMs: 1_000 })
      expect(await q.nack(c3c!.lease, { retry: false, error: 'bad' })).toEqual({ outcome: 'dead', reason: 'rejected' })
      const [letterA] = await q.deadLetters({ queue: 'a' })
      expect(letterA).toMatchObject({ reason: 'rejected', error: 'bad', attempts: 1, deadAt: iso(T0 + 6_000), job: { id: c3.job.id, status: 'dead' } })
      expect((await q.deadLetters()).map((d) => d.job.id).sort()).toEqual([b1.job.id, c3.job.id].sort())

      // stats per queue (PENDING_STATS, LEASED_STATS, FINISHED_STATS)
      await q.enqueue({ queue: 'a', payload: 'later', delayMs: 60_000 })
      clock.set(T0 + 10_000)
      const [bkLeased] = [batch[0]!] // bk is leased until T0 + 6_000: expired now
      expect(bkLeased.lease?.expiresAt).toBe(iso(T0 + 6_000))
      await q.enqueue({ queue: 'b', payload: 'ready' })
      // the first stats (LEASED_STATS compiles here): a live lease in a queue of its own is counted as leased
      await q.enqueue({ queue: 'c', payload: 'c' })
      await q.claim(1, { queue: 'c', owner: 'w', leaseMs: 60_000 })
      expect(await q.stats('c')).toMatchObject({ ready: 0, leased: 1, expiredLeases: 0, depth: 1 })
      expect(await q.stats('a')).toEqual({
        queue: 'a',
        ready: 0,
        delayed: 1,
        leased: 0,
        expiredLeases: 0,
        depth: 1,
        done: 2,
        dead: 1,
        oldestReadyAgeMs: null,
        oldestAgeMs: 4_000,
      })
      expect(await q.stats('b')).toEqual({
        queue: 'b',
        ready: 1,
        delayed: 0,
        leased: 0,
        expiredLeases: 1,
        depth: 2,
        done: 0,
        dead: 1,
        oldestReadyAgeMs: 0,
        oldestAgeMs: 10_000,
      })

      // replay (REPLAY_JOB, CLOSE_DEAD_LETTER) in queue a only
      expect(await q.replayDeadLetters({ queue: 'a' })).toEqual({ replayed: [c3.job.id], skipped: [] })
      expect(await q.get(c3.job.id)).toMatchObject({ status: 'pending', attempts: 0, finishedAt: null })
      expect(await q.deadLetters({ queue: 'a' })).toEqual([])
      expect((await q.get(b1.job.id))?.status).toBe('dead')

      // prune done jobs: by queue, then everywhere
      clock.set(T0 + 100_000)
      await q.enqueue({ queue: 'b', payload: 'done soon' })
      expect(await q.prune({ queue: 'b', olderThanMs: 1 })).toBe(0)
      expect(await q.prune({ queue: 'a', olderThanMs: 1 })).toBe(2)
      expect(await q.get(a1.job.id)).toBeUndefined()

      // purgeQueue: every job of the queue, whatever its state; the other queue untouched
      const before = await q.stats('a')
      expect(await q.purgeQueue('b')).toBe(4) // bk (leased), b1 (dead), 'ready', 'done soon'
      expect(await q.stats('b')).toMatchObject({ ready: 0, delayed: 0, leased: 0, expiredLeases: 0, done: 0, dead: 0 })
      expect(await q.stats('a')).toEqual(before)
      await conduit.close()
    })
  })

  describe('delivery queue: what the results say', () => {
    it('a batch comes back oldest first, though it is dealt out across partitions', async () => {
      const { conduit, clock } = await openOn()
      const ids: number[] = []
      for (const partition of ['p', 'p', 'p', 'r']) {
        ids.push((await conduit.queue.enqueue({ payload: partition, partitionKey: partition })).job.id)
        clock.advance(10)
      }
      const batch = await conduit.queue.claim(3, { owner: 'w', leaseMs: 1_000 })
      // dealt: p's oldest, r, then p's second; returned by age
      expect(batch.map((j) => j.id)).toEqual([ids[0], ids[1], ids[3]])
      await conduit.close()
    })

    it('a job carries `ordered: false` unless asked, and its lease only while leased', async () => {
      const { conduit } = await openOn()
      const { job } = await conduit.queue.enqueue({ payload: 1, partitionKey: 'p' })
      expect(job).toMatchObject({ ordered: false, lease: null })
      const [claimed] = await conduit.queue.claim(1, { owner: 'w', leaseMs: 1_000 })
      expect(claimed!.lease).not.toBeNull()
      await conduit.queue.ack(claimed!.lease)
      expect((await conduit.queue.get(job.id))!.lease).toBeNull()
      await conduit.close()
    })

    it('nack with a partial backoff fills the rest from the defaults; a coalesced job with no newer one retries', async () => {
      const { conduit, clock } = await openOn()
      await conduit.queue.enqueue({ payload: 1, coalesceKey: 'k', maxAttempts: 20 })
      for (let attempt = 1; attempt <= 12; attempt++) {
        const [job] = await conduit.queue.claim(1, { owner: 'w', leaseMs: 1_000 })
        const result = await conduit.queue.nack(job!.lease, { backoff: { baseMs: 100_000 } })
        // ceiling min(300 000, 100 000 × 2^(attempt-1)), equal jitter at random 0.5: ¾ of it
        const ceiling = Math.min(300_000, 100_000 * 2 ** (attempt - 1))
        expect(result).toMatchObject({ outcome: 'retry', delayMs: Math.round(ceiling * 0.75) })
        clock.advance(result.outcome === 'retry' ? result.delayMs : 0)
      }
      await conduit.close()
    })

    it('errors up to the limit are kept whole; longer ones are cut at the limit', async () => {
      const { conduit } = await openOn()
      for (const length of [CONDUIT_LIMITS.maxErrorLength, CONDUIT_LIMITS.maxErrorLength + 1]) {
        const { job } = await conduit.queue.enqueue({ payload: length })
        const [claimed] = await conduit.queue.claim(1, { owner: 'w', leaseMs: 1_000 })
        await conduit.queue.nack(claimed!.lease, { error: 'e'.repeat(length), retry: false })
        expect((await conduit.queue.get(job.id))!.lastError).toBe('e'.repeat(CONDUIT_LIMITS.maxErrorLength))
      }
      await conduit.close()
    })

    it('a payload of exactly the size limit is accepted; one byte more is refused', async () => {
      const { conduit } = await openOn()
      const fits = 'x'.repeat(CONDUIT_LIMITS.maxJobPayloadBytes - 2) // JSON adds the quotes
      expect((await conduit.queue.enqueue({ payload: fits })).outcome).toBe('enqueued')
      await expectCode(conduit.queue.enqueue({ payload: `${fits}x` }), 'VALIDATION')
      await conduit.close()
    })

    it('dead letters, replay and purge select by ids and queue; an empty id list selects nothing', async () => {
      const { conduit } = await openOn()
      const dead: number[] = []
      for (const queue of ['a', 'a', 'b']) {
        const { job } = await conduit.queue.enqueue({ queue, payload: 1 })
        const [claimed] = await conduit.queue.claim(1, { queue, owner: 'w', leaseMs: 1_000 })
        await conduit.queue.nack(claimed!.lease, { retry: false })
        dead.push(job.id)
      }
      expect(await conduit.queue.purgeDeadLetters({ jobIds: [] })).toBe(0)
      expect(await conduit.queue.replayDeadLetters({ jobIds: [] })).toEqual({ replayed: [], skipped: [] })
      expect(await conduit.queue.purgeDeadLetters({ jobIds: [dead[0]!, dead[2]!], queue: 'a' })).toBe(1)
      expect((await conduit.queue.deadLetters()).map((d) => d.job.id)).toEqual([dead[1], dead[2]])
      expect(await conduit.queue.purgeDeadLetters({ queue: 'b' })).toBe(1)
      expect((await conduit.queue.deadLetters()).map((d) => d.job.id)).toEqual([dead[1]])
      await conduit.close()
    })
  })

  describe('delivery queue: refusals name the operation and the field', () => {
    it('payloads that are not JSON, or missing, are VALIDATION at payload; enqueueMany names the item', async () => {
      const { conduit } = await openOn()
      const big = await expectCode(conduit.queue.enqueue({ payload: 10n } as never), 'VALIDATION')
      expect(big.message).toMatch(/^VALIDATION: conduit\.queue\.enqueue\[0\]: payload is not JSON-serialisable \(/)
      expect(big.details).toEqual({ operation: 'conduit.queue.enqueue[0]', path: ['payload'] })
      const missing = await expectCode(conduit.queue.enqueue({ payload: undefined } as never), 'VALIDATION')
      expect(missing.message).toBe('VALIDATION: conduit.queue.enqueue[0]: payload is required and must be a JSON value')
      expect(missing.details).toEqual({ operation: 'conduit.queue.enqueue[0]', path: ['payload'] })
      const second = await expectCode(conduit.queue.enqueueMany([{ payload: 1 }, { payload: 2, maxAttempts: 0 }]), 'VALIDATION')
      expect(second.details).toMatchObject({ operation: 'conduit.queue.enqueue[1]' })
      await conduit.close()
    })

    it('every method names itself in a VALIDATION', async () => {
      const { conduit } = await openOn()
      const q = conduit.queue
      const badLease = { jobId: 0, owner: 'w', token: 1 }
      const cases: Array<[string, () => Promise<unknown>]> = [
        ['conduit.queue.claim', () => q.claim(1, { owner: '', leaseMs: 1_000 })],
        ['conduit.queue.claim(limit)', () => q.claim(0, { owner: 'w', leaseMs: 1_000 })],
        ['conduit.queue.extend', () => q.extend(badLease, { leaseMs: 1_000 })],
        ['conduit.queue.extend', () => q.extend({ jobId: 1, owner: 'w', token: 1 }, { leaseMs: -1 })],
        ['conduit.queue.ack', () => q.ack(badLease)],
        ['conduit.queue.nack', () => q.nack(badLease)],
        ['conduit.queue.nack', () => q.nack({ jobId: 1, owner: 'w', token: 1 }, { delayMs: -1 })],
        ['conduit.queue.stats', () => q.stats('')],
        ['conduit.queue.prune', () => q.prune({ olderThanMs: -1 })],
        ['conduit.queue.deadLetters', () => q.deadLetters({ limit: 0 })],
        ['conduit.queue.replayDeadLetters', () => q.replayDeadLetters({ limit: -1 } as never)],
        ['conduit.queue.purgeDeadLetters', () => q.purgeDeadLetters({ limit: -1 } as never)],
        ['conduit.queue.purgeQueue', () => q.purgeQueue('')],
      ]
      for (const [operation, call] of cases) {
        const e = await expectCode(call(), 'VALIDATION')
        expect(e.details, operation).toMatchObject({ operation })
      }
      expect((await expectCode(q.stats(''), 'VALIDATION')).details).toMatchObject({ path: ['queue'] })
      expect((await expectCode(q.purgeQueue(''), 'VALIDATION')).details).toMatchObject({ path: ['queue'] })
      await conduit.close()
    })

    it('extend, ack and nack of a finished job are LEASE_LOST naming the action; of an unknown job NOT_FOUND naming it', async () => {
      const { conduit } = await openOn()
      const { job } = await conduit.queue.enqueue({ payload: 1 })
      const [claimed] = await conduit.queue.claim(1, { owner: 'w', leaseMs: 1_000 })
      await conduit.queue.ack(claimed!.lease)
      for (const [action, call] of [
        ['extend', () => conduit.queue.extend(claimed!.lease, { leaseMs: 1_000 })],
        ['ack', () => conduit.queue.ack(claimed!.lease)],
        ['nack', () => conduit.queue.nack(claimed!.lease)],
      ] as const) {
        const e = await expectCode(call(), 'LEASE_LOST')
        expect(e.message).toBe(`LEASE_LOST: cannot ${action} job ${job.id}: the lease of "w" (token 1) is no longer held (job is done, token 1)`)
      }
      const unknown = await expectCode(conduit.queue.ack({ jobId: 999, owner: 'w', token: 1 }), 'NOT_FOUND')
      expect(unknown.details).toMatchObject({ id: 999 })
      expect(unknown.message).toContain('delivery job')
      await conduit.close()
    })
  })

  describe('delivery queue: fairness windows, ties, backoff, fences, message dead letters', () => {
    /** `before` jobs of partition A, then one of partition B, all due at once; the ids of a claim of `limit`. */
    async function claimBehind(conduit: Awaited<ReturnType<typeof openOn>>['conduit'], queue: string, before: number, limit: number) {
      const inputs = Array.from({ length: before }, (_, i) => ({ queue, payload: i, partitionKey: 'A' }))
      const jobs = await conduit.queue.enqueueMany([...inputs, { queue, payload: 'b', partitionKey: 'B' }])
      const b = jobs[jobs.length - 1]!.job.id
      const batch = await conduit.queue.claim(limit, { queue, owner: 'w', leaseMs: 1_000 })
      expect(batch).toHaveLength(limit)
      return batch.some((job) => job.id === b)
    }

    it('a batch of 7 deals among the oldest 256 claimable jobs: a partition whose oldest job is the 256th is dealt in, the 257th is not', async () => {
      const { conduit } = await openOn()
      expect(await claimBehind(conduit, 'in', 255, 7)).toBe(true)
      expect(await claimBehind(conduit, 'out', 256, 7)).toBe(false)
      await conduit.close()
    })

    it('a batch of 17 deals among the oldest 17 × 16 = 272 claimable jobs', async () => {
      const { conduit } = await openOn()
      expect(await claimBehind(conduit, 'in', 271, 17)).toBe(true)
      expect(await claimBehind(conduit, 'out', 272, 17)).toBe(false)
      await conduit.close()
    })

    it('a batch with a reclaimed expired job and a pending job due at the same time comes back in id order', async () => {
      const { conduit, clock } = await openOn()
      const first = await conduit.queue.enqueue({ payload: 1 })
      const second = await conduit.queue.enqueue({ payload: 2 })
      const [taken] = await conduit.queue.claim(1, { owner: 'w', leaseMs: 1_000 })
      expect(taken!.id).toBe(first.job.id)
      clock.advance(1_000)
      const batch = await conduit.queue.claim(4, { owner: 'v', leaseMs: 1_000 })
      expect(batch.map((job) => job.id)).toEqual([first.job.id, second.job.id])
      await conduit.close()
    })

    it('nack with only a jitter given uses that jitter (none: the whole delay; full: random × delay); without one, equal jitter', async () => {
      const { conduit, clock } = await openOn()
      await conduit.queue.enqueue({ payload: 1, maxAttempts: 5 })
      // attempt n: ceiling 1 s × 2^(n-1); random is 0.5
      const expected = [
        [{ jitter: 'none' }, 1_000],
        [{ jitter: 'full' }, 1_000],
        [{ maxMs: 60_000 }, 3_000],
      ] as const
      for (const [backoff, delayMs] of expected) {
        const [job] = await conduit.queue.claim(1, { owner: 'w', leaseMs: 1_000 })
        expect(await conduit.queue.nack(job!.lease, { backoff })).toMatchObject({ outcome: 'retry', delayMs })
        clock.advance(delayMs)
      }
      await conduit.close()
    })

    it('ack with a writer lease that was taken over is LEASE_LOST naming conduit.queue.ack, and the job stays leased; the holder’s ack passes', async () => {
      const { conduit, clock } = await openOn()
      const { job } = await conduit.queue.enqueue({ payload: 1 })
      const deposed = await conduit.leases.acquire('daemon', { owner: 'daemon-a', ttlMs: 1_000 })
      const [claimed] = await conduit.queue.claim(1, { owner: 'w', leaseMs: 60_000 })
      clock.advance(1_001)
      const holder = await conduit.leases.acquire('daemon', { owner: 'daemon-b', ttlMs: 1_000 })
      const e = await expectCode(conduit.queue.ack(claimed!.lease, { writerLease: deposed }), 'LEASE_LOST')
      expect(e.message).toMatch(/^LEASE_LOST: conduit\.queue\.ack: writer lease "daemon" is no longer held by "daemon-a"/)
      expect((await conduit.queue.get(job.id))!.status).toBe('leased')
      await conduit.queue.ack(claimed!.lease, { writerLease: holder })
      expect((await conduit.queue.get(job.id))!.status).toBe('done')
      await conduit.close()
    })

    // Bypassing the json_valid CHECK takes a SQLite pragma.
    it.runIf(engine === 'sqlite')('a stored payload that is not JSON reads as CORRUPT naming the column delivery_jobs.payload', async () => {
      const { conduit } = await openOn()
      const { job } = await conduit.queue.enqueue({ payload: 1 })
      await rows(conduit, 'PRAGMA ignore_check_constraints = ON')
      await rows(conduit, `UPDATE delivery_jobs SET payload = '{' WHERE id = ${job.id}`)
      const e = await expectCode(conduit.queue.get(job.id), 'CORRUPT')
      expect(e.message).toContain('column delivery_jobs.payload holds invalid JSON')
      await conduit.close()
    })

    it('deadLetters({ messageId, queue }) keeps the queue filter: the message’s letters of that queue only', async () => {
      const { conduit } = await openOn({ agents: ['alice', 'bob'] })
      const sent = await conduit.messages.send({ from: 'alice', to: 'bob', content: 'hi', deliver: { queue: 'mail' } })
      const [job] = await conduit.queue.claim(1, { queue: 'mail', owner: 'w', leaseMs: 1_000 })
      expect(job!.messageId).toBe(sent.message.id)
      await conduit.queue.nack(job!.lease, { retry: false, error: 'unreachable' })
      const ofMessage = (queue?: string) =>
        conduit.queue.deadLetters({ messageId: sent.message.id, ...(queue === undefined ? {} : { queue }) }).then((letters) => letters.map((l) => l.job.id))
      expect(await ofMessage('mail')).toEqual([job!.id])
      expect(await ofMessage('other')).toEqual([])
      expect(await ofMessage()).toEqual([job!.id])
      await conduit.close()
    })
  })

  describe('delivery queue: more of what the results say', () => {
    it('a batch comes back by availability, then id, whatever order the rows were taken in', async () => {
      const { conduit, clock } = await openOn()
      const late = await conduit.queue.enqueue({ payload: 'late', delayMs: 100 }) // lower id, available later
      const early = await conduit.queue.enqueue({ payload: 'early' })
      const same = await conduit.queue.enqueue({ payload: 'same' })
      clock.advance(200)
      const batch = await conduit.queue.claim(3, { owner: 'w', leaseMs: 1_000 })
      expect(batch.map((j) => j.id)).toEqual([early.job.id, same.job.id, late.job.id])
      await conduit.close()
    })

    it('stats count live and expired leases apart, and depth adds every state', async () => {
      const { conduit, clock } = await openOn()
      for (let i = 0; i < 4; i++) await conduit.queue.enqueue({ payload: i })
      await conduit.queue.claim(1, { owner: 'w', leaseMs: 1_000 })
      clock.advance(500)
      await conduit.queue.claim(2, { owner: 'w', leaseMs: 10_000 })
      clock.advance(600) // the first lease expired, the other two live
      expect(await conduit.queue.stats()).toMatchObject({ ready: 1, delayed: 0, leased: 2, expiredLeases: 1, depth: 4 })
      await conduit.close()
    })

    it('a job out of attempts is dead-lettered with reason max_attempts', async () => {
      const { conduit } = await openOn()
      const { job } = await conduit.queue.enqueue({ payload: 1, maxAttempts: 1 })
      const [claimed] = await conduit.queue.claim(1, { owner: 'w', leaseMs: 1_000 })
      expect(await conduit.queue.nack(claimed!.lease, { error: 'x' })).toEqual({ outcome: 'dead', reason: 'max_attempts' })
      expect((await conduit.queue.deadLetters()).map((d) => [d.job.id, d.reason])).toEqual([[job.id, 'max_attempts']])
      await conduit.close()
    })

    it('dead-letter history filters by job, queue and recipient; its cursor is exactly h1.<id>; a full last page has no cursor', async () => {
      const { conduit } = await openOn()
      const ids: number[] = []
      for (const queue of ['a', 'b']) {
        const { job } = await conduit.queue.enqueue({ queue, payload: queue })
        const [claimed] = await conduit.queue.claim(1, { queue, owner: 'w', leaseMs: 1_000 })
        await conduit.queue.nack(claimed!.lease, { retry: false })
        ids.push(job.id)
      }
      expect((await conduit.queue.deadLetterHistory({ jobId: ids[0]! })).items.map((h) => h.jobId)).toEqual([ids[0]])
      expect((await conduit.queue.deadLetterHistory({ queue: 'b' })).items.map((h) => h.jobId)).toEqual([ids[1]])
      expect((await conduit.queue.deadLetterHistory({ recipientId: 'nobody' })).items).toEqual([])
      const full = await conduit.queue.deadLetterHistory({ limit: 2 })
      expect(full.items).toHaveLength(2)
      expect(full.nextCursor).toBeNull()
      const page = await conduit.queue.deadLetterHistory({ limit: 1 })
      expect(page.nextCursor).toMatch(/^h1\.\d+$/)
      const id = Number(page.nextCursor!.slice(3))
      expect((await conduit.queue.deadLetterHistory({ limit: 1, cursor: `h1.${id}` })).items).toHaveLength(1)
      expect((await conduit.queue.deadLetterHistory({ cursor: `h1.${id * 100 + 12}` })).items).toHaveLength(2) // more than one digit
      for (const cursor of [`xh1.${id}`, `h1.${id}x`, 'h1.']) {
        const e = await expectCode(conduit.queue.deadLetterHistory({ cursor }), 'VALIDATION')
        expect(e.message).toBe('VALIDATION: conduit.queue.deadLetterHistory: cursor: not a cursor of this list')
        expect(e.details).toMatchObject({ path: ['cursor'] })
      }
      expect((await expectCode(conduit.queue.deadLetterHistory({ limit: 0 }), 'VALIDATION')).details).toMatchObject({
        operation: 'conduit.queue.deadLetterHistory',
      })
      await conduit.close()
    })
  })
})
