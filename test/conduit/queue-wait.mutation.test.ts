/**
 * `conduit.queue.wait` in one process (issue 14 item 14): what counts as claimable,
 * when a waiter with nothing claimable checks again, and its refusals. The mutation
 * run of the queue module runs this file (test/conduit/wait.test.ts forks child
 * processes, which run the code unmutated). The timing tests run on SQLite in memory
 * (no poller: only this process's writes and the waiter's own due timer wake it) with
 * fake `setTimeout` and the repository's manual clock moved together. They come first:
 * the statements are compiled on first use in the file, and the first test to run NEXT_DUE
 * must be one that sees when the waiter wakes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'

import type { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import { expectCode } from '../helpers.js'
import { CONDUIT_ENGINES, openTestConduit } from './conduit-fixtures.js'

describe('queue.wait wakes by the clock (SQLite in memory, fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  /** A conduit on fake timers; `tick` moves its clock and the timers together; `checks` counts the waiter's checks. */
  async function setup() {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { conduit, clock } = await openTestConduit()
    const tick = async (ms: number) => {
      clock.advance(ms)
      await vi.advanceTimersByTimeAsync(ms)
    }
    return { conduit, clock, tick }
  }

  /** A pending wait and whether it has settled yet. */
  async function waitOn(conduit: ConduitRepository, queue = 'q') {
    const state: { result?: unknown } = {}
    const promise = conduit.queue.wait(queue).then((result) => (state.result = result))
    await vi.advanceTimersByTimeAsync(0) // the first check
    return { state, promise }
  }

  it('both: the earlier of the next due job and the next lease expiry wakes it, whichever comes first', async () => {
    for (const [delayMs, leaseMs] of [
      [2_000, 7_000],
      [7_000, 2_000],
    ] as const) {
      const { conduit, tick } = await setup()
      await conduit.queue.enqueue({ queue: 'q', payload: 'leased' })
      await conduit.queue.claim(1, { queue: 'q', owner: 'w', leaseMs })
      await conduit.queue.enqueue({ queue: 'q', payload: 'delayed', delayMs })
      const snapshot = vi.spyOn(conduit.engine, 'snapshot')
      const { state, promise } = await waitOn(conduit)
      await tick(1_999)
      expect(state.result).toBeUndefined()
      expect(snapshot).toHaveBeenCalledTimes(1) // one check, then nothing until the earlier time
      await tick(1)
      expect(state.result).toEqual({ ready: true })
      expect(snapshot).toHaveBeenCalledTimes(2)
      await promise
      await conduit.close()
      vi.useRealTimers()
    }
  })

  it('a delayed job: the waiter checks again exactly when it falls due, and not in between', async () => {
    const { conduit, tick } = await setup()
    await conduit.queue.enqueue({ queue: 'q', payload: 1, delayMs: 5_000 })
    const snapshot = vi.spyOn(conduit.engine, 'snapshot')
    const { state, promise } = await waitOn(conduit)
    expect(snapshot).toHaveBeenCalledTimes(1)
    await tick(4_999)
    expect(state.result).toBeUndefined()
    expect(snapshot).toHaveBeenCalledTimes(1) // no busy re-checking while nothing can change
    await tick(1)
    expect(state.result).toEqual({ ready: true })
    await promise
    expect(snapshot).toHaveBeenCalledTimes(2)
    await conduit.close()
  })

  it('a lease expiring: the waiter checks again exactly then (no pending job at all)', async () => {
    const { conduit, tick } = await setup()
    await conduit.queue.enqueue({ queue: 'q', payload: 1 })
    await conduit.queue.claim(1, { queue: 'q', owner: 'w', leaseMs: 3_000 })
    const snapshot = vi.spyOn(conduit.engine, 'snapshot')
    const { state, promise } = await waitOn(conduit)
    await tick(2_999)
    expect(state.result).toBeUndefined()
    expect(snapshot).toHaveBeenCalledTimes(1)
    await tick(1)
    expect(state.result).toEqual({ ready: true })
    await promise
    await conduit.close()
  })

  it('nothing pending or leased in the queue: the waiter arms no timer and checks again only on a write', async () => {
    const { conduit, tick } = await setup()
    await conduit.queue.enqueue({ queue: 'other', payload: 1, delayMs: 1_000 })
    const snapshot = vi.spyOn(conduit.engine, 'snapshot')
    const { state, promise } = await waitOn(conduit)
    expect(vi.getTimerCount()).toBe(0)
    await tick(10_000)
    expect(state.result).toBeUndefined()
    expect(snapshot).toHaveBeenCalledTimes(1)
    await conduit.queue.enqueue({ queue: 'q', payload: 2 })
    await promise
    expect(state.result).toEqual({ ready: true })
    await conduit.close()
  })
})

describe.each(CONDUIT_ENGINES)('queue.wait (mutation tests) on %s', (engine) => {
  const openOn = () => openTestConduit({}, engine)
  const now = (conduit: ConduitRepository, queue = 'q') => conduit.queue.wait(queue, { timeoutMs: 0 })

  it('ready at once for a due pending job alone and for an expired lease with attempts left alone; not for nothing, a delayed job, another queue, a live lease, an exhausted lease', async () => {
    const { conduit, clock } = await openOn()
    expect(await now(conduit)).toEqual({ ready: false })
    await conduit.queue.enqueue({ queue: 'other', payload: 'elsewhere' })
    await conduit.queue.enqueue({ queue: 'q', payload: 'later', delayMs: 10_000 })
    expect(await now(conduit)).toEqual({ ready: false })
    expect(await now(conduit, 'other')).toEqual({ ready: true })

    // a due pending job, nothing leased
    const { job } = await conduit.queue.enqueue({ queue: 'q', payload: 'due', maxAttempts: 2 })
    expect(await now(conduit)).toEqual({ ready: true })
    expect(await conduit.queue.wait('q')).toEqual({ ready: true })

    // leased (live): nothing claimable
    const [first] = await conduit.queue.claim(1, { queue: 'q', owner: 'w', leaseMs: 1_000 })
    expect(first!.id).toBe(job.id)
    expect(await now(conduit)).toEqual({ ready: false })
    // its lease expired, one attempt left, no pending job due: claimable
    clock.advance(1_000)
    expect(await now(conduit)).toEqual({ ready: true })
    // taken again (its last attempt), expired again: exhausted, not claimable
    const [second] = await conduit.queue.claim(1, { queue: 'q', owner: 'w', leaseMs: 1_000 })
    expect(second).toMatchObject({ id: job.id, attempts: 2 })
    clock.advance(1_000)
    expect(await now(conduit)).toEqual({ ready: false })
    await conduit.close()
  })

  it('an ordered job behind a pending head that is not due yet is not claimable; a job of no partition is', async () => {
    const { conduit } = await openOn()
    await conduit.queue.enqueue({ queue: 'q', payload: 'head', partitionKey: 'p', ordered: true, delayMs: 5_000 })
    await conduit.queue.enqueue({ queue: 'q', payload: 'next', partitionKey: 'p', ordered: true })
    expect(await now(conduit)).toEqual({ ready: false })
    await conduit.queue.enqueue({ queue: 'q', payload: 'free' })
    expect(await now(conduit)).toEqual({ ready: true })
    await conduit.close()
  })

  it('inside conduit.transaction() it is VALIDATION naming conduit.queue.wait; a bad queue name is VALIDATION at queue', async () => {
    const { conduit } = await openOn()
    await conduit.queue.enqueue({ queue: 'q', payload: 1 })
    await conduit.transaction(async (tx) => {
      const e = await expectCode(tx.queue.wait('q', { timeoutMs: 0 }), 'VALIDATION')
      expect(e.details).toMatchObject({ operation: 'conduit.queue.wait' })
      expect(e.message).toMatch(/^VALIDATION: conduit\.queue\.wait: cannot wait inside conduit\.transaction\(\)/)
    })
    const badName = await expectCode(conduit.queue.wait('', { timeoutMs: 0 }), 'VALIDATION')
    expect(badName.details).toMatchObject({ operation: 'conduit.queue.wait', path: ['queue'] })
    const badOption = await expectCode(conduit.queue.wait('q', { timeoutMs: -1 }), 'VALIDATION')
    expect(badOption.details).toMatchObject({ operation: 'conduit.queue.wait', path: ['timeoutMs'] })
    await conduit.close()
  })
})
