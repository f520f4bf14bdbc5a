import { afterEach, describe, expect, it } from 'vitest'

import { DaemonStore } from '../../src/daemon/daemon-store.js'
import { CleoWorkspace } from '../../src/workspace/workspace.js'
import { diskDirs, openDaemon, T0 } from './daemon-fixtures.js'

const workspaces: CleoWorkspace[] = []
afterEach(async () => {
  for (const ws of workspaces.splice(0)) await ws.close()
})

describe('session lifecycle persistence', () => {
  it('creating → active with terminal name → metadata updates → closed with closed_at, as idempotent upserts', async () => {
    const { ws, daemon, clock } = await openDaemon()
    workspaces.push(ws)
    const created = await daemon.sessions.create({ id: 'c0ffee', agent: 'claude', computer: 'mbp' })
    expect(created).toMatchObject({ status: 'creating', agent: 'claude', computer: 'mbp', terminalName: null })
    expect(await daemon.sessions.create({ id: 'c0ffee', agent: 'claude', computer: 'mbp' })).toEqual(created) // replay
    clock.advance(1000)
    const active = await daemon.sessions.activate('c0ffee', 'tc_c0ffee')
    expect(active).toMatchObject({ status: 'active', terminalName: 'tc_c0ffee' })
    await daemon.sessions.update('c0ffee', { title: 'Fix the parser', metadata: { thinking: 'high' } })
    const updated = await daemon.sessions.update('c0ffee', { metadata: { model: 'opus' } })
    expect(updated).toMatchObject({ title: 'Fix the parser', metadata: { thinking: 'high', model: 'opus' } })
    expect((await daemon.sessions.create({ id: 'c0ffee' })).status).toBe('active') // never moves back
    clock.advance(1000)
    await daemon.cache.put('sessions:c0ffee', { status: 'active' })
    const { session } = await daemon.sessions.close('c0ffee')
    expect(session).toMatchObject({ status: 'ended', endedAt: new Date(T0 + 2000).toISOString() })
    expect((await daemon.cache.get('sessions:c0ffee')).state).toBe('missing')
    expect((await daemon.sessions.close('c0ffee')).session.endedAt).toBe(session.endedAt) // idempotent
    expect((await daemon.sessions.activate('c0ffee', 'tc_again')).status).toBe('ended') // a closed session stays closed
    expect(await daemon.sessions.recover()).toEqual([])
  })

  it('a restart recovers every open session from disk', async () => {
    const { projectDir, globalDir } = diskDirs()
    const first = await CleoWorkspace.open(projectDir, { globalDir })
    try {
      const daemon = DaemonStore.from(first)
      await daemon.sessions.create({ id: 'creating' })
      await daemon.sessions.create({ id: 'active' })
      await daemon.sessions.activate('active', 'tc_1')
      await daemon.sessions.create({ id: 'headless' })
      await daemon.sessions.activate('headless', null)
      await daemon.sessions.create({ id: 'closed' })
      await daemon.sessions.close('closed')
    } finally {
      await first.close()
    }
    const second = await CleoWorkspace.open(projectDir, { globalDir })
    workspaces.push(second)
    const open = await DaemonStore.from(second).sessions.recover()
    expect(Object.fromEntries(open.map((s) => [s.id, [s.status, s.terminalName]]))).toEqual({
      creating: ['creating', null],
      active: ['active', 'tc_1'],
      headless: ['active', null],
    })
  })
})

describe('agent availability and fallback', () => {
  it('falls back past unavailable agents, to degraded only when allowed, and recovers when the time passes', async () => {
    const { ws, daemon, clock } = await openDaemon()
    workspaces.push(ws)
    for (const agentId of ['claude', 'codex', 'gemini']) await ws.signaldock.agents.register({ agentId, name: agentId })
    expect((await daemon.agents.select(['claude', 'codex'])).agentId).toBe('claude')

    await daemon.agents.reportRateLimit('claude', { retryAfterMs: 60_000, reason: 'HTTP 429' })
    await daemon.agents.availability.markDegraded('codex', { reason: 'slow' })
    const choice = await daemon.agents.select(['claude', 'codex', 'gemini'])
    expect(choice).toMatchObject({ agentId: 'gemini', state: 'available' })
    expect(choice.skipped.map((s) => [s.agentId, s.reason, s.detail])).toEqual([
      ['claude', 'unavailable', 'HTTP 429'],
      ['codex', 'degraded', 'slow'],
    ])
    expect((await daemon.agents.select(['claude', 'codex'])).agentId).toBeNull() // fail closed
    expect(await daemon.agents.select(['claude', 'codex'], { allowDegraded: true })).toMatchObject({ agentId: 'codex', state: 'degraded' })

    clock.advance(60_000) // the rate limit expires by itself, checked in the query
    expect((await daemon.agents.select(['claude', 'codex'])).agentId).toBe('claude')
  })
})
