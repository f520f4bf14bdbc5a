/** Issue 17 item 4: the daemon lock fences daemon writes; keepAlive heartbeats. */
import { afterEach, describe, expect, it } from 'vitest'

import { DaemonStore } from '../../src/daemon/daemon-store.js'
import type { CleoWorkspace } from '../../src/workspace/workspace.js'
import { expectCode } from '../helpers.js'
import { openDaemon } from './daemon-fixtures.js'

const workspaces: CleoWorkspace[] = []
afterEach(async () => {
  for (const ws of workspaces.splice(0)) await ws.close()
})

async function setup() {
  const opened = await openDaemon()
  workspaces.push(opened.ws)
  return opened
}

describe('the daemon lock fences daemon writes', () => {
  it('after a takeover, the deposed daemon store gets LEASE_LOST for sessions, touch, cleanup confirm and cache put', async () => {
    const { ws, daemon: old, clock } = await setup()
    await old.lock.acquire('daemon-old', { ttlMs: 30_000 })
    await old.sessions.create({ id: 's1' })
    await old.cleanup.register({ sessionId: 's1', messageId: 'm1', deletionType: 'user_input' })
    const [item] = await old.cleanup.take('s1', 'user_input', { leaseMs: 600_000 })
    await old.cache.put('computers:mbp', { cpu: 1 })

    // The old daemon hangs past its TTL; a new daemon takes over.
    clock.advance(31_000)
    const fresh = DaemonStore.from(ws)
    const lease = await fresh.lock.acquire('daemon-new', { ttlMs: 30_000 })
    expect(lease.token).toBe(2)

    await expectCode(old.sessions.activate('s1', 'tc_1'), 'LEASE_LOST')
    await expectCode(old.sessions.update('s1', { title: 'x' }), 'LEASE_LOST')
    await expectCode(old.sessions.create({ id: 's2' }), 'LEASE_LOST')
    await expectCode(old.sessions.close('s1'), 'LEASE_LOST')
    await expectCode(old.sessions.touch('s1'), 'LEASE_LOST')
    await expectCode(old.cleanup.confirm(item!), 'LEASE_LOST')
    await expectCode(old.cache.put('computers:mbp', { cpu: 2 }), 'LEASE_LOST')
    // Nothing the deposed daemon tried was written.
    expect((await fresh.sessions.get('s1'))!.status).toBe('creating')
    expect(await fresh.sessions.get('s2')).toBeNull()
    expect((await fresh.cache.get('computers:mbp')).value).toEqual({ cpu: 1 })
    expect((await fresh.cleanup.count('s1', 'user_input')).pending).toBe(1)

    // The new holder writes; a store that holds no lease (a hook process) is not fenced.
    await fresh.sessions.activate('s1', 'tc_1')
    await fresh.cache.put('computers:mbp', { cpu: 3 })
    const hookSide = DaemonStore.from(ws)
    await hookSide.sessions.update('s1', { title: 'from a hook process' })
    await hookSide.hooks.enqueue({ sessionId: 's1', eventType: 'stop' })
    await fresh.lock.release(lease)
    expect(fresh.lock.held()).toBeNull()
  })

  it('keepAlive heartbeats until aborted, and rejects with LEASE_LOST once the lease was taken over', async () => {
    const { ws, daemon, clock } = await setup()
    const lease = await daemon.lock.acquire('daemon-a', { ttlMs: 30_000 })
    await expectCode(DaemonStore.from(ws).lock.keepAlive({ intervalMs: 1 }), 'INVARIANT') // holds nothing

    // Heartbeats move the expiry: wait (by polling the row, not the clock) until one happened.
    const stop = new AbortController()
    const alive = daemon.lock.keepAlive({ intervalMs: 1, ttlMs: 30_000, signal: stop.signal })
    clock.advance(20_000)
    for (;;) {
      const status = await daemon.lock.status()
      if (Date.parse(status!.expiresAt) > Date.parse(lease.expiresAt)) break
      await new Promise((resolve) => setImmediate(resolve))
    }
    stop.abort()
    await expect(alive).resolves.toBeUndefined()
    expect(daemon.lock.held()?.token).toBe(lease.token)

    // Taken over while keepAlive runs: it rejects with LEASE_LOST.
    const running = daemon.lock.keepAlive({ intervalMs: 1, ttlMs: 30_000 })
    const rival = DaemonStore.from(ws)
    clock.advance(120_000)
    await rival.lock.acquire('daemon-b', { ttlMs: 30_000 })
    await expectCode(running, 'LEASE_LOST')
    expect(daemon.lock.held()).toBeNull()
    await expectCode(daemon.lock.keepAlive({ signal: AbortSignal.abort(), bogus: 1 } as never), 'VALIDATION')
  })
})
