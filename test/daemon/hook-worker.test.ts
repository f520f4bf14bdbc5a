/** Issue 17 item 2: the hook worker never wedges on one event. */
import { describe, expect, it } from 'vitest'

import { HOOK_MALFORMED_ERROR_PREFIX, HOOK_OUTBOX_QUEUE, PermanentHookFailure } from '../../src/daemon/hook-outbox.js'
import { daemonSetup } from './daemon-fixtures.js'

const setup = daemonSetup()

describe('hook worker never wedges', () => {
  it('a nack that gets LEASE_LOST is counted as lost, and the rest of the batch is still handled', async () => {
    const { ws, daemon, clock } = await setup()
    for (const id of ['a', 'b', 'c']) await daemon.sessions.create({ id })
    for (const id of ['a', 'b', 'c']) await daemon.hooks.enqueue({ sessionId: id, eventType: 'agent_stop' })
    const handled: string[] = []
    const report = await daemon.hooks.process(
      async ({ event }) => {
        handled.push(event.sessionId)
        if (event.sessionId === 'a') {
          // While 'a' is handled, its lease expires and another daemon reclaims it.
          clock.advance(31_000)
          const taken = await ws.conduit.queue.claim(10, { queue: HOOK_OUTBOX_QUEUE, owner: 'rival', leaseMs: 600_000 })
          expect(taken.map((job) => (job.payload as { sessionId: string }).sessionId)).toContain('a')
          throw new Error('handler failed after the lease was lost')
        }
      },
      { owner: 'daemon-1', leaseMs: 30_000 },
    )
    // b and c were reclaimed by the rival too (their leases expired): the nack of 'a' and
    // the acks of b and c were refused; counted as lost, never thrown.
    expect(report).toMatchObject({ claimed: 3, lost: 3, delivered: 0, retried: 0 })
    expect(handled).toEqual(['a', 'b', 'c'])
    const stats = await daemon.hooks.stats()
    expect(stats.leased).toBe(3) // all held by the rival now, none left by daemon-1
  })

  it('an ack refused after a takeover does not leave the batch leased', async () => {
    const { ws, daemon, clock } = await setup()
    for (const id of ['a', 'b']) await daemon.sessions.create({ id })
    for (const id of ['a', 'b']) await daemon.hooks.enqueue({ sessionId: id, eventType: 'agent_stop' })
    let first = true
    const report = await daemon.hooks.process(
      async () => {
        if (!first) return
        first = false
        clock.advance(31_000)
        await ws.conduit.queue.claim(1, { queue: HOOK_OUTBOX_QUEUE, owner: 'rival', leaseMs: 600_000 })
      },
      { owner: 'daemon-1', leaseMs: 30_000 },
    )
    expect(report).toMatchObject({ claimed: 2, lost: 1, delivered: 1 })
  })

  it('dead-letters a malformed event written by another process as rejected, with the reason, and goes on', async () => {
    const { ws, daemon } = await setup()
    await daemon.sessions.create({ id: 's1' })
    // Written by another process: no session id, or one the schema refuses.
    await ws.conduit.queue.enqueue({ queue: HOOK_OUTBOX_QUEUE, payload: { eventType: 'stop' }, partitionKey: 'x', ordered: true })
    await ws.conduit.queue.enqueue({ queue: HOOK_OUTBOX_QUEUE, payload: { sessionId: '', eventType: 'stop' } })
    await ws.conduit.queue.enqueue({ queue: HOOK_OUTBOX_QUEUE, payload: 'not an object' })
    await daemon.hooks.enqueue({ sessionId: 's1', eventType: 'agent_stop', data: { ok: true } })
    const delivered: string[] = []
    const report = await daemon.hooks.drain(({ event }) => void delivered.push(event.sessionId))
    expect(report).toMatchObject({ rejected: 3, delivered: 1 })
    expect(delivered).toEqual(['s1'])
    const letters = await daemon.hooks.deadLetters()
    expect(letters).toHaveLength(3)
    for (const letter of letters) {
      expect(letter.reason).toBe('rejected')
      expect(letter.error).toMatch(new RegExp(`^${HOOK_MALFORMED_ERROR_PREFIX} `))
      expect(letter.attempts).toBe(1)
    }
    expect(letters[0]!.error).toContain('sessionId')
    expect(await daemon.hooks.orphans()).toEqual([])
    // Nothing is left to claim: the pass never rejects again.
    expect((await daemon.hooks.process(() => {})).claimed).toBe(0)
  })

  it('a handler can declare a failure permanent: dead-lettered at once', async () => {
    const { daemon } = await setup({ hooks: { maxAttempts: 10 } })
    await daemon.sessions.create({ id: 's1' })
    await daemon.hooks.enqueue({ sessionId: 's1', eventType: 'agent_stop' })
    await daemon.hooks.enqueue({ sessionId: 's1', eventType: 'session_end' })
    const seen: string[] = []
    const report = await daemon.hooks.drain(({ event }) => {
      seen.push(event.eventType)
      if (event.eventType === 'agent_stop') throw new PermanentHookFailure('unsupported payload version')
    })
    expect(report).toMatchObject({ rejected: 1, delivered: 1, retried: 0 })
    expect(seen).toEqual(['agent_stop', 'session_end'])
    const [letter] = await daemon.hooks.deadLetters()
    expect(letter).toMatchObject({ reason: 'rejected', error: 'unsupported payload version', attempts: 1 })
    // Any error marked permanent counts too.
    await daemon.hooks.enqueue({ sessionId: 's1', eventType: 'error' })
    const marked = await daemon.hooks.process(() => {
      throw Object.assign(new Error('bad request'), { permanent: true })
    })
    expect(marked).toMatchObject({ rejected: 1 })
  })

  it('caps the backoff of a failing event at 60 s by default; configurable', async () => {
    for (const [options, cap] of [
      [{}, 60_000],
      [{ hooks: { backoff: { maxMs: 5_000 } } }, 5_000],
    ] as const) {
      const { ws, daemon, clock } = await setup({ ...options, hooks: { ...(options as { hooks?: object }).hooks, maxAttempts: 20 } })
      await daemon.sessions.create({ id: 's1' })
      const { job } = await daemon.hooks.enqueue({ sessionId: 's1', eventType: 'agent_stop' })
      const delays: number[] = []
      for (let attempt = 1; attempt <= 12; attempt++) {
        const report = await daemon.hooks.process(() => {
          throw new Error('down')
        })
        expect(report.retried).toBe(1)
        const stored = (await ws.conduit.queue.get(job.id))!
        delays.push(Date.parse(stored.availableAt) - clock())
        clock.set(Date.parse(stored.availableAt))
      }
      expect(Math.max(...delays)).toBeLessThanOrEqual(cap)
      // The later delays sit at the cap's jittered range, not beyond it.
      expect(delays[11]!).toBeGreaterThanOrEqual(cap / 2)
    }
  })
})
