import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

import { afterEach, describe, expect, it } from 'vitest'

import type { CleoWorkspace } from '../../src/workspace/workspace.js'
import { expectCode, REPO_ROOT, runFixture } from '../helpers.js'
import { diskDirs, openDaemon, T0 } from './daemon-fixtures.js'

const workspaces: CleoWorkspace[] = []
afterEach(async () => {
  for (const ws of workspaces.splice(0)) await ws.close()
})

/** Project and global directories, and a clock file every daemon process reads its time from. */
function lockDirs(): { projectDir: string; globalDir: string; clockFile: string; setClock(ms: number): void } {
  const dirs = diskDirs()
  const clockFile = join(dirs.globalDir, '..', 'clock')
  const setClock = (ms: number): void => writeFileSync(clockFile, String(ms))
  setClock(T0)
  return { ...dirs, clockFile, setClock }
}

async function lockIn(dirs: { projectDir: string; globalDir: string; clockFile: string }, owner: string, ttlMs: number, mode: string) {
  const { stdout } = await runFixture('daemon-lock.ts', [dirs.projectDir, dirs.globalDir, owner, String(ttlMs), mode, dirs.clockFile])
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { ok: boolean; code?: string; token?: number; details?: { holder?: string } }
}

describe('single-writer daemon lock', () => {
  it('one owner at a time; renewal by the holder; CONFLICT for another; takeover after expiry with a larger token', async () => {
    const { ws, daemon, clock } = await openDaemon()
    workspaces.push(ws)
    const a = await daemon.lock.acquire('daemon-a', { ttlMs: 30_000 })
    expect(a.token).toBe(1)
    expect((await daemon.lock.acquire('daemon-a', { ttlMs: 30_000 })).token).toBe(1) // renewal
    const refused = await expectCode(daemon.lock.acquire('daemon-b'), 'CONFLICT')
    expect(refused.details).toMatchObject({ holder: 'daemon-a' })
    clock.advance(20_000)
    await daemon.lock.heartbeat(a, { ttlMs: 30_000 })
    clock.advance(20_000)
    await expectCode(daemon.lock.acquire('daemon-b'), 'CONFLICT') // the heartbeat kept it
    clock.advance(10_000) // expired: daemon-a crashed
    const b = await daemon.lock.acquire('daemon-b')
    expect(b.token).toBe(2)
    await expectCode(daemon.lock.heartbeat(a), 'LEASE_LOST') // the old holder learns it lost the lock
    await expectCode(daemon.lock.release(a), 'LEASE_LOST')
    expect(await daemon.lock.status()).toMatchObject({ owner: 'daemon-b', held: true, token: 2 })
    await daemon.lock.release(b)
    await daemon.lock.release(b) // idempotent
    expect(await daemon.lock.status()).toMatchObject({ owner: null, held: false })
    expect((await daemon.lock.acquire('daemon-a')).token).toBe(3)
  })

  it('a second daemon process gets CONFLICT while the first holds the lock; takes over after the first crashes', async () => {
    // The processes read their time from a file: the lease expires when the test says
    // so, not when a busy machine happens to start a process late.
    const dirs = lockDirs()
    expect(await lockIn(dirs, 'daemon-1', 60_000, 'release')).toMatchObject({ ok: true, token: 1 })
    // daemon-1 again, and it "crashes" holding a 4 s lease
    expect(await lockIn(dirs, 'daemon-1', 4000, 'crash')).toMatchObject({ ok: true, token: 2 })
    dirs.setClock(T0 + 3999)
    const second = await lockIn(dirs, 'daemon-2', 60_000, 'release')
    expect(second).toMatchObject({ ok: false, code: 'CONFLICT', details: { holder: 'daemon-1' } })
    dirs.setClock(T0 + 4001)
    expect(await lockIn(dirs, 'daemon-2', 60_000, 'release')).toMatchObject({ ok: true, token: 3 })
  })

  it('two daemon processes running at once: exactly one holds the lock', async () => {
    const dirs = lockDirs()
    const holder = spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'test/fixtures/daemon-lock.ts'), dirs.projectDir, dirs.globalDir, 'daemon-1', '600', 'hold', dirs.clockFile],
      { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
    )
    const lines = createInterface({ input: holder.stdout })[Symbol.asyncIterator]()
    const nextLine = async (): Promise<unknown> => JSON.parse(String((await lines.next()).value))
    const exited = new Promise((resolve) => holder.once('exit', resolve))
    try {
      expect(await nextLine()).toMatchObject({ ok: true, token: 1 })
      // daemon-1 heartbeats its 600 ms lease (handshake: the test says when) …
      dirs.setClock(T0 + 500)
      holder.stdin.write('beat\n')
      expect(await nextLine()).toMatchObject({ beat: true, token: 1 })
      // … so after longer than a TTL since it took the lock, it still holds it.
      dirs.setClock(T0 + 800)
      expect(await lockIn(dirs, 'daemon-2', 60_000, 'release')).toMatchObject({ ok: false, code: 'CONFLICT' })
    } finally {
      holder.stdin.end() // daemon-1 shuts down and releases
      await exited
    }
    expect(await lockIn(dirs, 'daemon-2', 60_000, 'release')).toMatchObject({ ok: true, token: 2 })
  })

  it('validates the owner and the TTL', async () => {
    const { ws, daemon } = await openDaemon()
    workspaces.push(ws)
    await expectCode(daemon.lock.acquire(''), 'VALIDATION')
    await expectCode(daemon.lock.acquire('a', { ttlMs: 0 }), 'VALIDATION')
  })
})
