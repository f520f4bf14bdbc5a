/** Issue 17 item 3: pending deletions follow their session, whatever ends it. */
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'

import { afterEach, describe, expect, it } from 'vitest'

import { DaemonStore } from '../../src/daemon/daemon-store.js'
import { uxCleanupQueue } from '../../src/daemon/ux-cleanup.js'
import { CleoWorkspace } from '../../src/workspace/workspace.js'
import { expectCode } from '../helpers.js'
import { diskDirs, openDaemon } from './daemon-fixtures.js'

const workspaces: CleoWorkspace[] = []
afterEach(async () => {
  for (const ws of workspaces.splice(0)) await ws.close()
})

async function setup() {
  const opened = await openDaemon()
  workspaces.push(opened.ws)
  return opened
}

async function registerBoth(daemon: DaemonStore, sessionId: string) {
  await daemon.cleanup.register({ sessionId, messageId: `${sessionId}-u`, deletionType: 'user_input' })
  await daemon.cleanup.register({ sessionId, messageId: `${sessionId}-f`, deletionType: 'feedback' })
}

const pending = async (daemon: DaemonStore, sessionId: string) =>
  (await daemon.cleanup.count(sessionId, 'user_input')).pending + (await daemon.cleanup.count(sessionId, 'feedback')).pending

describe('pending deletions follow their session', () => {
  it('refuses to register for an unknown or ended session', async () => {
    const { daemon } = await setup()
    await expectCode(daemon.cleanup.register({ sessionId: 'ghost', messageId: 'm', deletionType: 'user_input' }), 'NOT_FOUND')
    await daemon.sessions.create({ id: 's1' })
    await daemon.sessions.close('s1')
    await expectCode(daemon.cleanup.register({ sessionId: 's1', messageId: 'm', deletionType: 'user_input' }), 'INVARIANT')
    expect(await pending(daemon, 's1')).toBe(0)
    expect(await pending(daemon, 'ghost')).toBe(0)
  })

  it('ending a session by any path purges its queues: tasks.sessions.end, markOrphaned, daemon.sessions.close', async () => {
    const { ws, daemon, clock } = await setup()
    for (const id of ['ended', 'orphan', 'closed', 'alive']) {
      await daemon.sessions.create({ id })
      await registerBoth(daemon, id)
    }
    await ws.tasks.sessions.end('ended')
    clock.advance(60_000)
    await daemon.sessions.touch('alive')
    await daemon.sessions.touch('closed')
    expect(await ws.tasks.sessions.markOrphaned({ idleMs: 30_000 })).toEqual(['orphan'])
    // Nothing in the daemon ran yet; the end events are recorded in tasks.db. The next daemon step purges them all.
    const { purgedDeletions } = await daemon.sessions.close('closed')
    expect(purgedDeletions).toBe(2)
    for (const id of ['ended', 'orphan', 'closed']) expect(await pending(daemon, id), id).toBe(0)
    expect(await pending(daemon, 'alive')).toBe(2)
    expect(await ws.tasks.sessions.endEvents()).toEqual([])
  })

  it('the daemon loop (hooks.process) purges the deletions of a session ended elsewhere', async () => {
    const { ws, daemon } = await setup()
    await daemon.sessions.create({ id: 's1' })
    await registerBoth(daemon, 's1')
    await ws.tasks.sessions.end('s1') // not through the daemon
    expect(await pending(daemon, 's1')).toBe(2)
    await daemon.hooks.process(() => {})
    expect(await pending(daemon, 's1')).toBe(0)
    expect(await ws.tasks.sessions.endEvents()).toEqual([])
  })

  it('reconcile purges sessions ended by another process writing plain SQL', async () => {
    const dirs = diskDirs()
    const ws = await CleoWorkspace.open(dirs.projectDir, { globalDir: dirs.globalDir })
    workspaces.push(ws)
    const daemon = DaemonStore.from(ws)
    await daemon.sessions.create({ id: 's1' })
    await registerBoth(daemon, 's1')
    const foreign = new DatabaseSync(join(dirs.projectDir, '.cleo', 'tasks.db'))
    foreign.exec('PRAGMA busy_timeout = 5000')
    foreign.exec(`UPDATE sessions SET status = 'ended', ended_at = 1767225600000 WHERE id = 's1'`)
    foreign.exec(`DELETE FROM sessions WHERE id = 's1'`)
    foreign.close()
    // take() of a gone session returns nothing and purges; reconcile() forgets the event.
    expect(await daemon.cleanup.take('s1', 'user_input')).toEqual([])
    expect(await daemon.cleanup.reconcile()).toEqual({ s1: 0 })
    expect(await pending(daemon, 's1')).toBe(0)
  })

  it('ws.check() reports ux-cleanup queues of gone or ended sessions and ws.repair() removes them', async () => {
    const { ws, daemon } = await setup()
    await daemon.sessions.create({ id: 'alive' })
    await registerBoth(daemon, 'alive')
    // Left behind by an older version or a crashed daemon: queues of a missing and of an ended session.
    await ws.conduit.queue.enqueue({
      queue: uxCleanupQueue('gone', 'user_input'),
      payload: { sessionId: 'gone', messageId: 'm1', deletionType: 'user_input' },
      dedupKey: 'm1',
    })
    await ws.tasks.sessions.upsert({ id: 'ended', status: 'active' })
    await ws.conduit.queue.enqueue({
      queue: uxCleanupQueue('ended', 'feedback'),
      payload: { sessionId: 'ended', messageId: 'm2', deletionType: 'feedback' },
      dedupKey: 'm2',
    })
    await ws.tasks.sessions.end('ended')
    const report = await ws.check()
    const finding = report.findings.find((f) => f.check === 'refs.ux-cleanup-sessions')
    expect(finding).toMatchObject({ store: 'conduit', code: 'dangling-cleanup-queue', repairable: true })
    expect((finding!.details!['dangling'] as string[]).sort()).toEqual(['ux-cleanup:feedback:ended', 'ux-cleanup:user_input:gone'])
    const repair = await ws.repair()
    expect(repair.actions.find((a) => a.check === 'refs.ux-cleanup-sessions')).toMatchObject({ changes: 2, ok: true })
    expect((await ws.check()).findings.filter((f) => f.check === 'refs.ux-cleanup-sessions')).toEqual([])
    expect(await pending(daemon, 'alive')).toBe(2)
  })
})
