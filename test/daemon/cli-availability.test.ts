/** Issue 17 item 7: availability of agent CLIs without ceremony; agent_availability STRICT. */
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'

import { afterEach, describe, expect, it } from 'vitest'

import { DAEMON_AGENT_DESCRIPTION } from '../../src/daemon/daemon-agents.js'
import { DaemonStore } from '../../src/daemon/daemon-store.js'
import { CleoWorkspace } from '../../src/workspace/workspace.js'
import { diskDirs, openDaemon, T0 } from './daemon-fixtures.js'

const workspaces: CleoWorkspace[] = []
afterEach(async () => {
  for (const ws of workspaces.splice(0)) await ws.close()
})

describe('agent CLI availability without ceremony', () => {
  it('reportRateLimit of an unregistered CLI creates a minimal identity and records the limit', async () => {
    const { ws, daemon, clock } = await openDaemon()
    workspaces.push(ws)
    const marked = await daemon.agents.reportRateLimit('claude', { retryAfterMs: 60_000, reason: 'HTTP 429' })
    expect(marked).toMatchObject({ agentId: 'claude', state: 'unavailable', reason: 'HTTP 429', until: new Date(T0 + 60_000).toISOString() })
    const identity = await ws.signaldock.agents.get('claude')
    expect(identity).toMatchObject({ agentId: 'claude', name: 'claude', description: DAEMON_AGENT_DESCRIPTION })
    // track() creates only what is missing, and leaves registered agents untouched
    await ws.signaldock.agents.register({ agentId: 'codex', name: 'Codex CLI' })
    expect(await daemon.agents.track(['claude', 'codex', 'gemini'])).toEqual(['gemini'])
    expect((await ws.signaldock.agents.get('codex'))!.name).toBe('Codex CLI')
    const choice = await daemon.agents.select(['claude', 'gemini'])
    expect(choice).toMatchObject({ agentId: 'gemini', skipped: [{ agentId: 'claude', reason: 'unavailable' }] })
    await daemon.agents.reportDegraded('gemini', { reason: 'slow', forMs: 1000 })
    expect((await daemon.agents.get('gemini'))!.state).toBe('degraded')
    await daemon.agents.reportAvailable('qwen') // unknown: created, available
    expect((await daemon.agents.get('qwen'))!.state).toBe('available')
    clock.advance(60_000)
    expect((await daemon.agents.select(['claude'])).agentId).toBe('claude')
  })

  it('agent_availability is STRICT: another process cannot write text where epoch ms belong', async () => {
    const dirs = diskDirs()
    const ws = await CleoWorkspace.open(dirs.projectDir, { globalDir: dirs.globalDir })
    workspaces.push(ws)
    const daemon = DaemonStore.from(ws)
    await daemon.agents.reportRateLimit('claude', { retryAfterMs: 60_000 })
    const db = new DatabaseSync(join(dirs.globalDir, 'signaldock.db'))
    try {
      db.exec('PRAGMA busy_timeout = 5000')
      expect(String((db.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'agent_availability'`).get() as { sql: string }).sql)).toMatch(
        /\)\s*STRICT$/,
      )
      expect(() => db.exec(`UPDATE agent_availability SET until_at = '2026-01-01T01:00:00Z'`)).toThrow(/cannot store TEXT value in INTEGER column/)
      expect(() => db.exec(`UPDATE agent_availability SET updated_at = 'yesterday'`)).toThrow(/cannot store TEXT value/)
    } finally {
      db.close()
    }
    // … so get() keeps working
    expect((await daemon.agents.get('claude'))!.state).toBe('unavailable')
  })
})

describe('signaldock 0005 converts what a lax table held', () => {
  it('text and real times become integer epoch ms; an unreadable row is dropped; get() works again', async () => {
    const { openStoreDatabase } = await import('../../src/sqlite/store-repository.js')
    const { SIGNALDOCK_STORE } = await import('../../src/signaldock/signaldock.store.js')
    const { SignaldockRepository } = await import('../../src/signaldock/signaldock-repository.js')
    const { signaldockMigrations } = await import('../../migrations/signaldock/index.js')
    const dirs = diskDirs()
    const file = join(dirs.globalDir, 'signaldock.db')
    // The file as it was before 0005 (agent_availability not STRICT) …
    const before = { ...signaldockMigrations }
    delete (before as Record<string, unknown>)['0005_strict_agent_availability']
    const old = await openStoreDatabase(Object.freeze({ ...SIGNALDOCK_STORE, migrations: Object.freeze(before) }), file)
    await old.close()
    // … where another process wrote ISO text and a real into the epoch-ms columns.
    const foreign = new DatabaseSync(file)
    foreign.exec('PRAGMA foreign_keys = ON')
    for (const slug of ['iso', 'real', 'digits', 'junk']) {
      foreign.exec(`INSERT INTO agents (id, agent_id, name, created_at, updated_at) VALUES ('id-${slug}', '${slug}', '${slug}', 0, 0)`)
    }
    foreign.exec(`INSERT INTO agent_availability (agent_id, state, until_at, reason, updated_at) VALUES
      ('id-iso', 'unavailable', '2026-01-01T01:00:00+01:00', 'r', '2026-01-01T00:00:00Z'),
      ('id-real', 'unavailable', ${T0 + 60_000}.5, 'r', ${T0}.25),
      ('id-digits', 'degraded', '${T0 + 1000}', 'r', '${T0}'),
      ('id-junk', 'unavailable', 'next tuesday', 'r', ${T0})`)
    foreign.close()
    const repo = await SignaldockRepository.open(file, { clock: () => T0 })
    try {
      const rows = await (repo.kysely as unknown as import('kysely').Kysely<any>)
        .selectFrom('agent_availability')
        .select(['agent_id', 'until_at', 'updated_at', (eb) => eb.fn('typeof', ['until_at']).as('t')])
        .orderBy('agent_id')
        .execute()
      expect(rows).toEqual([
        { agent_id: 'id-digits', until_at: T0 + 1000, updated_at: T0, t: 'integer' },
        { agent_id: 'id-iso', until_at: T0, updated_at: T0, t: 'integer' },
        { agent_id: 'id-real', until_at: T0 + 60_000, updated_at: T0, t: 'integer' },
      ])
      expect((await repo.availability.get('real'))!.state).toBe('unavailable')
      expect((await repo.availability.get('junk'))!.state).toBe('available') // its unreadable row is gone
    } finally {
      await repo.close()
    }
  })
})
