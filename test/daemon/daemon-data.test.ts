/** Issue 17 item 6: voice assignments, system settings and the durable command queue. */
import { describe, expect, it } from 'vitest'

import { DAEMON_COMMAND_QUEUE } from '../../src/daemon/daemon-commands.js'
import { PermanentHookFailure } from '../../src/daemon/hook-outbox.js'
import { expectCode } from '../helpers.js'
import { daemonSetup, T0 } from './daemon-fixtures.js'

const setup = daemonSetup()

describe('the daemon data of the design', () => {
  it('settings: set, get, overwrite, list, delete; JSON values; validated', async () => {
    const { daemon, clock } = await setup()
    expect(await daemon.settings.get('registry.telegram.messageId')).toBeUndefined()
    await daemon.settings.set('registry.telegram.messageId', 8812)
    clock.advance(1000)
    const again = await daemon.settings.set('registry.telegram.messageId', 8813)
    expect(again).toMatchObject({ value: 8813, createdAt: new Date(T0).toISOString(), updatedAt: new Date(T0 + 1000).toISOString() })
    await daemon.settings.set('registry.discord', { channel: 'c', messageId: '1' })
    expect(await daemon.settings.get('registry.discord')).toEqual({ channel: 'c', messageId: '1' })
    const page = await daemon.settings.list({ limit: 1 })
    expect(page.items.map((s) => s.key)).toEqual(['registry.discord'])
    expect((await daemon.settings.list({ cursor: page.nextCursor! })).items.map((s) => s.key)).toEqual(['registry.telegram.messageId'])
    expect(await daemon.settings.delete('registry.discord')).toBe(true)
    expect(await daemon.settings.delete('registry.discord')).toBe(false)
    await expectCode(daemon.settings.set('', 1), 'VALIDATION')
    await expectCode(daemon.settings.set('k', undefined), 'VALIDATION')
    await expectCode(daemon.settings.set('k', 'x'.repeat(70_000)), 'VALIDATION')
  })

  it('voices: assign (upsert), get, remove, sweep by age (7 days by default)', async () => {
    const { daemon, clock } = await setup()
    await daemon.voices.assign('s1', { service: 'elevenlabs', voice: 'Rachel' })
    clock.advance(86_400_000)
    await daemon.voices.assign('native-2', { service: 'openai', voice: '' })
    await daemon.voices.assign('s1', { service: 'elevenlabs', voice: 'Adam' })
    expect(await daemon.voices.get('s1')).toMatchObject({ service: 'elevenlabs', voice: 'Adam', assignedAt: new Date(T0 + 86_400_000).toISOString() })
    clock.advance(7 * 86_400_000 - 1)
    expect(await daemon.voices.sweep()).toBe(0)
    clock.advance(1)
    expect(await daemon.voices.sweep()).toBe(2)
    expect(await daemon.voices.get('s1')).toBeNull()
    await daemon.voices.assign('s3', { service: 'macos', voice: 'Samantha' })
    expect(await daemon.voices.remove('s3')).toBe(true)
    await expectCode(daemon.voices.assign('s4', { service: '', voice: 'x' }), 'VALIDATION')
  })

  it('commands: durable, deduplicated, in order per session, retried with capped backoff, dead-lettered, replayable', async () => {
    const { ws, daemon, clock } = await setup({ commands: { maxAttempts: 2 } })
    await daemon.commands.enqueue({ command: 'send_keys', args: { text: 'a' }, sessionId: 's1', idempotencyKey: 'tg:1' })
    expect((await daemon.commands.enqueue({ command: 'send_keys', args: { text: 'a' }, sessionId: 's1', idempotencyKey: 'tg:1' })).outcome).toBe(
      'deduplicated',
    )
    await daemon.commands.enqueue({ command: 'send_keys', args: { text: 'b' }, sessionId: 's1' })
    await daemon.commands.enqueue({ command: 'end_session', sessionId: 's2' })
    await daemon.commands.enqueue({ command: 'bogus' })
    await ws.conduit.queue.enqueue({ queue: DAEMON_COMMAND_QUEUE, payload: { no: 'command' } }) // another process's garbage
    const seen: string[] = []
    const first = await daemon.commands.process<{ text?: string }>(({ command }) => {
      seen.push(`${command.command}:${command.args?.text ?? ''}`)
      if (command.command === 'end_session') throw new Error('tmux not ready')
      if (command.command === 'bogus') throw new PermanentHookFailure('unknown command')
    })
    // s1's second command waits behind its first (ordered per session)
    expect(seen).toEqual(['send_keys:a', 'end_session:', 'bogus:'])
    expect(first).toEqual({ claimed: 4, done: 1, retried: 1, dead: 2, lost: 0 })
    const job = (await ws.conduit.queue.stats(DAEMON_COMMAND_QUEUE))
    expect(job.delayed).toBe(1)
    clock.advance(60_000) // the capped backoff has passed
    const second = await daemon.commands.process(({ command }) => {
      if (command.command === 'end_session') throw new Error('still not ready')
    })
    expect(second).toEqual({ claimed: 2, done: 1, retried: 0, dead: 1, lost: 0 })
    const letters = await daemon.commands.deadLetters()
    expect(letters.map((l) => [l.reason, l.job.payload.command ?? null])).toEqual([
      ['rejected', 'bogus'],
      ['rejected', null],
      ['max_attempts', 'end_session'],
    ])
    expect(letters[1]!.error).toMatch(/^malformed: /)
    const { replayed } = await daemon.commands.replay({ jobIds: [letters[2]!.job.id] })
    expect(replayed).toEqual([letters[2]!.job.id])
    expect((await daemon.commands.process(() => {})).done).toBe(1)
    expect((await daemon.commands.stats()).depth).toBe(0)
    await expectCode(daemon.commands.enqueue({ command: 'bad name!' }), 'VALIDATION')
  })
})
