/** Issue 17 item 1: the daemon's session fields as typed, indexed columns. */
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { DaemonStore } from '../../src/daemon/daemon-store.js'
import { CleoWorkspace } from '../../src/workspace/workspace.js'
import { expectCode } from '../helpers.js'
import { diskDirs, daemonSetup, T0 } from './daemon-fixtures.js'

const setup = daemonSetup()

describe('daemon session columns', () => {
  it('stores the typed fields as columns, keeps the rest in metadata, merges adapter metadata', async () => {
    const { daemon } = await setup()
    const created = await daemon.sessions.create({
      id: 's1',
      agent: 'claude',
      computer: 'mbp',
      nativeSessionId: 'native-1',
      projectPath: '/src/app',
      thinkingMode: 'slow',
      initiator: 'alice@example.com',
      adapterMetadata: { telegram: { topicId: 7 } },
      metadata: { color: 'blue' },
    })
    expect(created).toMatchObject({
      nativeSessionId: 'native-1',
      projectPath: '/src/app',
      thinkingMode: 'slow',
      initiator: 'alice@example.com',
      adapterMetadata: { telegram: { topicId: 7 } },
      metadata: { color: 'blue' },
      lastActivityAt: new Date(T0).toISOString(),
    })
    const updated = await daemon.sessions.update('s1', { thinkingMode: 'fast', adapterMetadata: { discord: { threadId: 'x' } } })
    expect(updated.thinkingMode).toBe('fast')
    expect(updated.adapterMetadata).toEqual({ telegram: { topicId: 7 }, discord: { threadId: 'x' } })
  })

  it('finds a session by native id (unique when set: CONFLICT for a second session)', async () => {
    const { daemon } = await setup()
    await daemon.sessions.create({ id: 's1', nativeSessionId: 'n-1' })
    await daemon.sessions.create({ id: 's2' })
    await daemon.sessions.create({ id: 's3' }) // several sessions without one are fine
    expect((await daemon.sessions.findByNativeId('n-1'))?.id).toBe('s1')
    expect(await daemon.sessions.findByNativeId('n-unknown')).toBeNull()
    await expectCode(daemon.sessions.update('s2', { nativeSessionId: 'n-1' }), 'CONFLICT')
    await daemon.sessions.update('s2', { nativeSessionId: 'n-2' })
    expect((await daemon.sessions.findByNativeId('n-2'))?.id).toBe('s2')
  })

  it('lists by last activity (most recent first), by computer and status, a page at a time', async () => {
    const { daemon, clock } = await setup()
    for (const [id, computer] of [['a', 'mbp'], ['b', 'mbp'], ['c', 'linux'], ['d', 'mbp']] as const) {
      await daemon.sessions.create({ id, computer })
      clock.advance(10_000)
    }
    await daemon.sessions.activate('b', 'tc_b')
    clock.advance(10_000)
    expect(await daemon.sessions.touch('a')).toBe(true)
    const all = await daemon.sessions.list({ orderBy: 'lastActivity' })
    expect(all.items.map((s) => s.id)).toEqual(['a', 'b', 'd', 'c'])
    const mbp = await daemon.sessions.list({ computer: 'mbp', limit: 2 })
    expect(mbp.items.map((s) => s.id)).toEqual(['a', 'b'])
    const next = await daemon.sessions.list({ computer: 'mbp', limit: 2, cursor: mbp.nextCursor! })
    expect(next.items.map((s) => s.id)).toEqual(['d'])
    expect(next.nextCursor).toBeNull()
    expect((await daemon.sessions.list({ status: 'active' })).items.map((s) => s.id)).toEqual(['b'])
    await expectCode(daemon.sessions.list({ orderBy: 'title' as never }), 'VALIDATION')
    await expectCode(daemon.sessions.list({ computer: 'mbp', bogus: 1 } as never), 'VALIDATION')
  })

  it('touch moves last activity without an audit row, coalesces within the interval, refuses closed sessions', async () => {
    const { ws, daemon, clock } = await setup({ sessions: { touchCoalesceMs: 5_000 } })
    await daemon.sessions.create({ id: 's1' })
    const audits = async () => (await ws.tasks.audit.list({ entityType: 'session', entityId: 's1' })).items.length
    const before = await audits()
    clock.advance(10_000)
    expect(await daemon.sessions.touch('s1')).toBe(true)
    clock.advance(1_000)
    expect(await daemon.sessions.touch('s1')).toBe(false) // coalesced
    expect((await daemon.sessions.get('s1'))!.lastActivityAt).toBe(new Date(T0 + 10_000).toISOString())
    clock.advance(5_000)
    expect(await daemon.sessions.touch('s1')).toBe(true)
    expect((await daemon.sessions.get('s1'))!.lastActivityAt).toBe(new Date(T0 + 16_000).toISOString())
    expect(await audits()).toBe(before)
    // touched sessions are not orphaned
    clock.advance(1_000)
    expect(await ws.tasks.sessions.markOrphaned({ idleMs: 5_000 })).toEqual([])
    await daemon.sessions.close('s1')
    await expectCode(daemon.sessions.touch('s1'), 'NOT_FOUND')
    await expectCode(daemon.sessions.touch('nope'), 'NOT_FOUND')
  })

  it('the columns are indexed: lookups by native id, computer and activity use the indexes', async () => {
    const dirs = diskDirs()
    const ws = await CleoWorkspace.open(dirs.projectDir, { globalDir: dirs.globalDir })
    const daemon = DaemonStore.from(ws)
    await daemon.sessions.create({ id: 's1', computer: 'mbp', nativeSessionId: 'n1' })
    await ws.close()
    const db = new DatabaseSync(join(dirs.projectDir, '.cleo', 'tasks.db'))
    try {
      const plan = (query: string) =>
        (db.prepare(`EXPLAIN QUERY PLAN ${query}`).all() as Array<{ detail: string }>).map((row) => row.detail).join(' | ')
      expect(plan(`SELECT * FROM sessions WHERE native_session_id = 'n1'`)).toContain('sessions_native_session_idx')
      expect(plan(`SELECT * FROM sessions WHERE computer = 'mbp' ORDER BY last_activity_at DESC, id DESC LIMIT 10`)).toContain(
        'sessions_computer_activity_idx',
      )
      expect(plan(`SELECT * FROM sessions ORDER BY last_activity_at DESC, id DESC LIMIT 10`)).toContain('sessions_activity_idx')
    } finally {
      db.close()
    }
  })
})
