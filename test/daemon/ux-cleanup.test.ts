import { afterEach, describe, expect, it } from 'vitest'

import type { CleoWorkspace } from '../../src/workspace/workspace.js'
import { expectCode } from '../helpers.js'
import { openDaemon } from './daemon-fixtures.js'

const workspaces: CleoWorkspace[] = []
afterEach(async () => {
  for (const ws of workspaces.splice(0)) await ws.close()
})

async function setup(options: Parameters<typeof openDaemon>[0] = {}) {
  const opened = await openDaemon(options)
  workspaces.push(opened.ws)
  await opened.daemon.sessions.create({ id: 's1' })
  await opened.daemon.sessions.create({ id: 's2' })
  return opened
}

describe('UX cleanup registry', () => {
  it('registers idempotently and takes the ids of one session and type only', async () => {
    const { daemon } = await setup()
    expect(await daemon.cleanup.register({ sessionId: 's1', messageId: 'm1', deletionType: 'user_input' })).toBe(true)
    expect(await daemon.cleanup.register({ sessionId: 's1', messageId: 'm1', deletionType: 'user_input' })).toBe(false)
    await daemon.cleanup.register({ sessionId: 's1', messageId: 'm2', deletionType: 'user_input' })
    await daemon.cleanup.register({ sessionId: 's1', messageId: 'f1', deletionType: 'feedback' })
    await daemon.cleanup.register({ sessionId: 's2', messageId: 'm9', deletionType: 'user_input' })
    const taken = await daemon.cleanup.take('s1', 'user_input')
    expect(taken.map((t) => t.messageId)).toEqual(['m1', 'm2'])
    expect(await daemon.cleanup.take('s1', 'user_input')).toEqual([]) // claimed: no double delete
    expect((await daemon.cleanup.take('s1', 'feedback')).map((t) => t.messageId)).toEqual(['f1'])
  })

  it('removes each id only on its own confirmation, never the whole session set', async () => {
    const { daemon } = await setup()
    await daemon.cleanup.register({ sessionId: 's1', messageId: 'm1', deletionType: 'user_input' })
    await daemon.cleanup.register({ sessionId: 's1', messageId: 'm2', deletionType: 'user_input' })
    const [m1, m2] = await daemon.cleanup.take('s1', 'user_input')
    // registered between the read and the clear: TeleClaude lost this one
    await daemon.cleanup.register({ sessionId: 's1', messageId: 'm3', deletionType: 'user_input' })
    await daemon.cleanup.confirm(m1!)
    expect((await daemon.cleanup.count('s1', 'user_input')).pending).toBe(2) // m2 (claimed) and m3
    await daemon.cleanup.confirm(m2!)
    expect((await daemon.cleanup.take('s1', 'user_input')).map((t) => t.messageId)).toEqual(['m3'])
  })

  it('retries a failed deletion with backoff, then gives up after the limit', async () => {
    const { daemon, clock } = await setup({ cleanup: { maxAttempts: 3 } })
    await daemon.cleanup.register({ sessionId: 's1', messageId: 'm1', deletionType: 'feedback' })
    const [first] = await daemon.cleanup.take('s1', 'feedback')
    const retry = await daemon.cleanup.fail(first!, 'HTTP 500')
    expect(retry.outcome).toBe('retry')
    expect(await daemon.cleanup.take('s1', 'feedback')).toEqual([]) // backing off
    clock.advance(3_600_000)
    const [second] = await daemon.cleanup.take('s1', 'feedback')
    expect(second).toMatchObject({ messageId: 'm1', attempt: 2 })
    expect((await daemon.cleanup.fail(second!, 'HTTP 500')).outcome).toBe('retry')
    clock.advance(3_600_000)
    const [third] = await daemon.cleanup.take('s1', 'feedback')
    expect(await daemon.cleanup.fail(third!, 'HTTP 500')).toEqual({ outcome: 'dead', reason: 'max_attempts' })
    clock.advance(3_600_000)
    expect(await daemon.cleanup.take('s1', 'feedback')).toEqual([])
    const [given] = await daemon.cleanup.failed('s1')
    expect(given).toMatchObject({ reason: 'max_attempts', error: 'HTTP 500', attempts: 3 })
    expect(given!.job.payload).toEqual({ sessionId: 's1', messageId: 'm1', deletionType: 'feedback' })
    expect(await daemon.cleanup.count('s1', 'feedback')).toEqual({ pending: 0, failed: 1 })
  })

  it('a confirmation after losing the lease is refused (fenced)', async () => {
    const { daemon, clock } = await setup()
    await daemon.cleanup.register({ sessionId: 's1', messageId: 'm1', deletionType: 'user_input' })
    const [slow] = await daemon.cleanup.take('s1', 'user_input', { owner: 'w1', leaseMs: 1000 })
    clock.advance(1001)
    const [fast] = await daemon.cleanup.take('s1', 'user_input', { owner: 'w2' })
    await expectCode(daemon.cleanup.confirm(slow!), 'LEASE_LOST')
    await daemon.cleanup.confirm(fast!)
  })

  it('rows go with their session: closing it purges every pending, claimed and failed entry', async () => {
    const { daemon } = await setup({ cleanup: { maxAttempts: 1 } })
    for (const messageId of ['a', 'b', 'c']) await daemon.cleanup.register({ sessionId: 's1', messageId, deletionType: 'user_input' })
    await daemon.cleanup.register({ sessionId: 's1', messageId: 'f', deletionType: 'feedback' })
    await daemon.cleanup.register({ sessionId: 's2', messageId: 'keep', deletionType: 'user_input' })
    const [a, b] = await daemon.cleanup.take('s1', 'user_input', { limit: 2 })
    await daemon.cleanup.fail(a!, 'gone') // dead
    const { purgedDeletions, session } = await daemon.sessions.close('s1')
    expect(session.status).toBe('ended')
    expect(purgedDeletions).toBe(4)
    expect(await daemon.cleanup.count('s1', 'user_input')).toEqual({ pending: 0, failed: 0 })
    expect(await daemon.cleanup.failed('s1')).toEqual([])
    await daemon.cleanup.confirm(b!) // its row already went with the session: no error
    expect((await daemon.cleanup.take('s2', 'user_input')).map((t) => t.messageId)).toEqual(['keep'])
  })

  it('validates input', async () => {
    const { daemon } = await setup()
    await expectCode(daemon.cleanup.register({ sessionId: 's1', messageId: 'm', deletionType: 'other' as 'feedback' }), 'VALIDATION')
    await expectCode(daemon.cleanup.take('s1', 'nope' as 'feedback'), 'VALIDATION')
  })
})
