import { describe, expect, it } from 'vitest'

import { DaemonStore } from '../../src/daemon/daemon-store.js'
import type { HookDelivery } from '../../src/daemon/hook-outbox.js'
import { HOOK_OUTBOX_QUEUE } from '../../src/daemon/hook-outbox.js'
import { CleoWorkspace } from '../../src/workspace/workspace.js'
import { expectCode } from '../helpers.js'
import { diskDirs, daemonSetup } from './daemon-fixtures.js'

const setup = daemonSetup()

const seen = (log: Array<HookDelivery<{ n: number }>>) => log.map((d) => `${d.event.sessionId}:${d.event.eventType}:${d.event.data?.n}`)

describe('hook outbox', () => {
  it('follows the sequence diagram: the hook side inserts, the daemon claims, processes, marks done', async () => {
    const { daemon } = await setup()
    await daemon.sessions.create({ id: 's1', agent: 'claude', computer: 'mbp' })
    const { outcome, job } = await daemon.hooks.enqueue({ sessionId: 's1', eventType: 'stop', data: { n: 1 } })
    expect(outcome).toBe('enqueued')
    expect(job.status).toBe('pending')
    const log: Array<HookDelivery<{ n: number }>> = []
    const report = await daemon.hooks.process<{ n: number }>((d) => void log.push(d), { owner: 'daemon-1' })
    expect(report).toMatchObject({ claimed: 1, delivered: 1 })
    expect(log[0]!.session.agent).toBe('claude')
    expect(log[0]!.event).toEqual({ sessionId: 's1', eventType: 'stop', critical: true, data: { n: 1 } })
    expect((await daemon.hooks.stats()).done).toBe(1)
    expect((await daemon.hooks.process(() => {})).claimed).toBe(0)
  })

  it('keeps per-session order; sessions run independently', async () => {
    const { daemon } = await setup()
    for (const id of ['a', 'b']) await daemon.sessions.create({ id })
    for (let n = 1; n <= 3; n++) {
      await daemon.hooks.enqueue({ sessionId: 'a', eventType: 'user_prompt_submit', data: { n } })
      await daemon.hooks.enqueue({ sessionId: 'b', eventType: 'agent_stop', data: { n } })
    }
    const log: Array<HookDelivery<{ n: number }>> = []
    const report = await daemon.hooks.drain<{ n: number }>((d) => void log.push(d))
    expect(report.delivered).toBe(6)
    const of = (s: string) => seen(log).filter((e) => e.startsWith(`${s}:`))
    expect(of('a')).toEqual(['a:user_prompt_submit:1', 'a:user_prompt_submit:2', 'a:user_prompt_submit:3'])
    expect(of('b')).toEqual(['b:agent_stop:1', 'b:agent_stop:2', 'b:agent_stop:3'])
  })

  it('coalesces bursty events latest-wins at enqueue; never coalesces critical ones', async () => {
    const { daemon } = await setup()
    await daemon.sessions.create({ id: 's1' })
    await daemon.hooks.enqueue({ sessionId: 's1', eventType: 'user_prompt_submit', data: { n: 1 } })
    await daemon.hooks.enqueue({ sessionId: 's1', eventType: 'tool_use', data: { n: 2 } })
    await daemon.hooks.enqueue({ sessionId: 's1', eventType: 'tool_done', data: { n: 3 } })
    const replaced = await daemon.hooks.enqueue({ sessionId: 's1', eventType: 'tool_use', data: { n: 4 } })
    expect(replaced.outcome).toBe('coalesced')
    await daemon.hooks.enqueue({ sessionId: 's1', eventType: 'agent_stop', data: { n: 5 } })
    await daemon.hooks.enqueue({ sessionId: 's1', eventType: 'agent_stop', data: { n: 6 } }) // critical: both kept
    await daemon.hooks.enqueue({ sessionId: 's1', eventType: 'error', data: { n: 7 }, critical: true })
    expect((await daemon.hooks.stats()).depth).toBe(6)
    const log: Array<HookDelivery<{ n: number }>> = []
    await daemon.hooks.drain<{ n: number }>((d) => void log.push(d))
    expect(seen(log)).toEqual([
      's1:user_prompt_submit:1',
      's1:tool_done:3',
      's1:tool_use:4',
      's1:agent_stop:5',
      's1:agent_stop:6',
      's1:error:7',
    ])
  })

  it('records an orphan event (unknown session) as a dead letter with an orphan reason, never as delivered', async () => {
    const { daemon, clock } = await setup({ hooks: { orphanAttempts: 2 } })
    await daemon.hooks.enqueue({ sessionId: 'ghost', eventType: 'stop', data: { n: 1 } })
    const handled: unknown[] = []
    const first = await daemon.hooks.process((d) => void handled.push(d))
    expect(first).toMatchObject({ claimed: 1, orphanRetried: 1, delivered: 0 }) // the session row may be late
    clock.advance(60_000)
    const second = await daemon.hooks.process((d) => void handled.push(d))
    expect(second).toMatchObject({ claimed: 1, orphaned: 1, delivered: 0 })
    expect(handled).toEqual([])
    const stats = await daemon.hooks.stats()
    expect(stats).toMatchObject({ done: 0, dead: 1, depth: 0 })
    const [orphan] = await daemon.hooks.orphans()
    expect(orphan!.reason).toBe('rejected')
    expect(orphan!.error).toMatch(/^orphan: session "ghost" is not in tasks\.db/)
    expect(orphan!.job.payload.sessionId).toBe('ghost')
  })

  it('delivers an event whose session row arrives late (within the orphan attempts)', async () => {
    const { daemon, clock } = await setup()
    await daemon.hooks.enqueue({ sessionId: 'late', eventType: 'session_start' })
    expect((await daemon.hooks.process(() => {})).orphanRetried).toBe(1)
    await daemon.sessions.create({ id: 'late' })
    clock.advance(60_000)
    expect((await daemon.hooks.process(() => {})).delivered).toBe(1)
    expect(await daemon.hooks.orphans()).toEqual([])
  })

  it('a failing event is retried with backoff and holds back only its own session; dead-lettered at maxAttempts', async () => {
    const { daemon, clock } = await setup({ hooks: { maxAttempts: 3 } })
    for (const id of ['a', 'b']) await daemon.sessions.create({ id })
    await daemon.hooks.enqueue({ sessionId: 'a', eventType: 'stop', data: { n: 1 } })
    await daemon.hooks.enqueue({ sessionId: 'a', eventType: 'stop', data: { n: 2 } })
    await daemon.hooks.enqueue({ sessionId: 'b', eventType: 'stop', data: { n: 1 } })
    const log: string[] = []
    const handler = (d: HookDelivery<{ n: number }>) => {
      if (d.event.sessionId === 'a' && d.event.data?.n === 1) throw new Error('coordinator down')
      log.push(`${d.event.sessionId}:${d.event.data?.n}`)
    }
    const first = await daemon.hooks.drain(handler)
    expect(first).toMatchObject({ retried: 1, delivered: 1 })
    expect(log).toEqual(['b:1']) // a:2 waits behind a:1
    clock.advance(3_600_000)
    expect(await daemon.hooks.drain(handler)).toMatchObject({ retried: 1 })
    clock.advance(3_600_000)
    expect(await daemon.hooks.drain(handler)).toMatchObject({ dead: 1, delivered: 1 })
    expect(log).toEqual(['b:1', 'a:2'])
    const [letter] = await daemon.hooks.deadLetters()
    expect(letter).toMatchObject({ reason: 'max_attempts', error: 'coordinator down', attempts: 3 })
  })

  it('prunes delivered events', async () => {
    const { daemon, clock } = await setup()
    await daemon.sessions.create({ id: 's' })
    await daemon.hooks.enqueue({ sessionId: 's', eventType: 'stop' })
    await daemon.hooks.drain(() => {})
    expect(await daemon.hooks.prune({ olderThanMs: 1000 })).toBe(0)
    clock.advance(1000)
    expect(await daemon.hooks.prune({ olderThanMs: 1000 })).toBe(1)
  })

  it('validates events', async () => {
    const { daemon } = await setup()
    await expectCode(daemon.hooks.enqueue({ sessionId: '', eventType: 'stop' }), 'VALIDATION')
    await expectCode(daemon.hooks.enqueue({ sessionId: 's', eventType: 'bad type!' }), 'VALIDATION')
  })

  it('drains a backlog in order after a restart (reopened from disk), including an event whose worker crashed', async () => {
    const { projectDir, globalDir } = diskDirs()
    const first = await CleoWorkspace.open(projectDir, { globalDir })
    const before = DaemonStore.from(first)
    try {
      await before.sessions.create({ id: 's1' })
      await before.sessions.create({ id: 's2' })
      for (let n = 1; n <= 20; n++) {
        await before.hooks.enqueue({ sessionId: n % 2 ? 's1' : 's2', eventType: 'user_prompt_submit', data: { n } })
      }
      // a daemon claimed the head of s1 and died without acking
      const [claimed] = await first.conduit.queue.claim(1, { queue: HOOK_OUTBOX_QUEUE, owner: 'crashed', leaseMs: 50 })
      expect(claimed!.payload).toMatchObject({ data: { n: 1 } })
    } finally {
      await first.close()
    }
    await new Promise((resolve) => setTimeout(resolve, 60))

    const second = await CleoWorkspace.open(projectDir, { globalDir })
    try {
      const daemon = DaemonStore.from(second)
      expect((await daemon.sessions.recover()).map((s) => s.id).sort()).toEqual(['s1', 's2'])
      expect((await daemon.hooks.stats()).depth).toBe(20)
      const log: Array<HookDelivery<{ n: number }>> = []
      const report = await daemon.hooks.drain<{ n: number }>((d) => void log.push(d), { owner: 'restarted' })
      expect(report.delivered).toBe(20)
      const order = (s: string) => log.filter((d) => d.event.sessionId === s).map((d) => d.event.data!.n)
      expect(order('s1')).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19])
      expect(order('s2')).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20])
      expect(log.find((d) => d.event.data!.n === 1)!.attempt).toBe(2) // the crashed claim counted
    } finally {
      await second.close()
    }
  })
})
