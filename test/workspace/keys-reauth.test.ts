/**
 * Keys in backups, restores onto another machine, re-authentication, salt loss
 * (issue 16 items 2–4): `includeKeys` copies the key files and a restore into a new
 * global directory opens every sealed credential; without them, on a machine with
 * other key files, agents are marked `requiresReauth` (listed, reported by
 * `ws.check()`, typed error on read — never `CORRUPT`); key files created while
 * sealed keys exist mark every agent at that open; telemetry.db is never backed up.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { CleoWorkspace } from '../../src/index.js'
import { expectCode, tempDir } from '../helpers.js'

const KEY_A = `sk_live_${'ab'.repeat(32)}`
const KEY_B = `sk_live_${'cd'.repeat(32)}`

async function machineWithAgent() {
  const project = tempDir()
  const globalDir = join(tempDir(), 'global')
  const ws = await CleoWorkspace.open(project, { globalDir })
  await ws.agents.register({ agentId: 'cleo-prime', name: 'Cleo Prime', apiKey: KEY_A, attach: true })
  return { project, globalDir, ws, backups: join(tempDir(), 'backups') }
}

/** Another machine: its own global directory, with key files of its own. */
async function otherMachine() {
  const project = tempDir()
  const globalDir = join(tempDir(), 'other-global')
  const ws = await CleoWorkspace.open(project, { globalDir })
  await ws.agents.register({ agentId: 'local-agent', name: 'Local', apiKey: KEY_B })
  await ws.close()
  return { project, globalDir }
}

describe('backups with keys and restores onto another machine', () => {
  it('includeKeys copies machine-key and global-salt (0600, in the manifest); a restore into a new global directory opens every credential', async () => {
    const { ws, backups } = await machineWithAgent()
    const plain = await ws.backup(backups)
    expect(plain.manifest.keys).toBeUndefined()
    expect(readdirSync(plain.path)).not.toContain('machine-key')
    const backup = await ws.backup(backups, { includeKeys: true })
    await ws.close()
    expect(backup.manifest.keys?.map((k) => k.name)).toEqual(['machine-key', 'global-salt'])
    for (const name of ['machine-key', 'global-salt']) {
      expect(statSync(join(backup.path, name)).mode & 0o777).toBe(0o600)
      expect(readFileSync(join(backup.path, name))).toHaveLength(32)
    }

    const newProject = tempDir()
    const newGlobal = join(tempDir(), 'new-global')
    const result = await CleoWorkspace.restore(backup.path, newProject, { globalDir: newGlobal })
    expect(result.keys).toEqual([
      { name: 'machine-key', outcome: 'created' },
      { name: 'global-salt', outcome: 'created' },
    ])
    expect(statSync(join(newGlobal, 'machine-key')).mode & 0o777).toBe(0o600)
    await using restored = await CleoWorkspace.open(newProject, { globalDir: newGlobal })
    expect(await restored.agents.credential('cleo-prime')).toBe(KEY_A)
    expect(await restored.agents.verifyApiKey('cleo-prime', KEY_A)).toBe(true)
    expect(await restored.agents.list({ global: true, requiresReauth: true })).toEqual([])
  })

  it('never overwrites other key files: CONFLICT before anything is touched, unless includeKeys: false', async () => {
    const { ws, backups } = await machineWithAgent()
    const backup = await ws.backup(backups, { includeKeys: true })
    await ws.close()
    const other = await otherMachine()
    const before = readFileSync(join(other.globalDir, 'machine-key'))
    const signaldockBefore = readFileSync(join(other.globalDir, 'signaldock.db'))
    await expect(CleoWorkspace.restore(backup.path, other.project, { globalDir: other.globalDir })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'other-keys' },
    })
    expect(readFileSync(join(other.globalDir, 'machine-key')).equals(before)).toBe(true)
    expect(readFileSync(join(other.globalDir, 'signaldock.db')).equals(signaldockBefore)).toBe(true)
    const result = await CleoWorkspace.restore(backup.path, other.project, { globalDir: other.globalDir, includeKeys: false })
    expect(result.keys).toEqual([])
    expect(readFileSync(join(other.globalDir, 'machine-key')).equals(before)).toBe(true)
  })

  it('without keys, on a machine with other key files: agents are marked requiresReauth, listed, reported, and reads say re-authenticate', async () => {
    const { ws, backups } = await machineWithAgent()
    const backup = await ws.backup(backups)
    await ws.close()
    const other = await otherMachine()
    await CleoWorkspace.restore(backup.path, other.project, { globalDir: other.globalDir })

    await using restored = await CleoWorkspace.open(other.project, { globalDir: other.globalDir })
    const marked = await restored.agents.list({ global: true, requiresReauth: true })
    expect(marked.map((a) => a.agent.agentId)).toEqual(['cleo-prime'])
    expect((await restored.agents.list({ requiresReauth: true })).map((a) => a.agent.agentId)).toEqual(['cleo-prime'])
    const error = await expectCode(restored.agents.credential('cleo-prime'), 'KEY_FILE')
    expect(error.details).toMatchObject({ reason: 'requires-reauth', agentId: 'cleo-prime' })
    expect(error.message).not.toContain(KEY_A)
    await expect(restored.agents.verifyApiKey('cleo-prime', KEY_A)).rejects.toMatchObject({
      code: 'KEY_FILE',
      details: { reason: 'requires-reauth' },
    })
    const report = await restored.check()
    expect(report.findings.filter((f) => f.check === 'agents.requires-reauth')).toMatchObject([
      { store: 'signaldock', code: 'requires-reauth', details: { agents: ['cleo-prime'], count: 1 } },
    ])

    // Re-authentication: register again with the key; the mark goes.
    await restored.agents.register({ agentId: 'cleo-prime', name: 'Cleo Prime', apiKey: KEY_A })
    expect(await restored.agents.credential('cleo-prime')).toBe(KEY_A)
    expect(await restored.agents.list({ global: true, requiresReauth: true })).toEqual([])
    expect((await restored.check()).findings.filter((f) => f.check === 'agents.requires-reauth')).toEqual([])
  })
})

describe('salt loss is never silent', () => {
  it('key files created while signaldock holds sealed keys mark every affected agent during that open', async () => {
    const { ws, project, globalDir } = await machineWithAgent()
    await ws.agents.register({ agentId: 'second', name: 'Second', apiKey: KEY_B })
    await ws.agents.register({ agentId: 'keyless', name: 'No key' })
    await ws.close()
    rmSync(join(globalDir, 'global-salt'))

    await using reopened = await CleoWorkspace.open(project, { globalDir })
    expect(existsSync(join(globalDir, 'global-salt'))).toBe(true) // created again, during the open
    const marked = await reopened.agents.list({ global: true, requiresReauth: true })
    expect(marked.map((a) => a.agent.agentId)).toEqual(['cleo-prime', 'second'])
    const [finding] = (await reopened.check()).findings.filter((f) => f.check === 'agents.requires-reauth')
    expect(finding).toMatchObject({ severity: 'error', details: { agents: ['cleo-prime', 'second'] } })
    await expectCode(reopened.agents.credential('second'), 'KEY_FILE')
  })

  it('a workspace without sealed keys creates no key files at open', async () => {
    const globalDir = join(tempDir(), 'global')
    await using ws = await CleoWorkspace.open(tempDir(), { globalDir })
    expect(existsSync(join(globalDir, 'machine-key'))).toBe(false)
    expect(await ws.agents.list({ global: true, requiresReauth: true })).toEqual([])
  })
})

describe('telemetry.db is never part of a workspace backup', () => {
  it('an opted-in workspace backs up every store but telemetry', async () => {
    const globalDir = join(tempDir(), 'global')
    await using ws = await CleoWorkspace.open(tempDir(), { globalDir, telemetry: true })
    expect(ws.telemetry).not.toBeNull()
    const backup = await ws.backup(join(tempDir(), 'backups'))
    expect(backup.manifest.stores.map((s) => s.store)).toEqual(['tasks', 'brain', 'conduit', 'signaldock', 'nexus'])
    expect(readdirSync(backup.path)).not.toContain('telemetry.db')
    await expectCode(ws.backup(join(tempDir(), 'b2'), { stores: ['telemetry'] }), 'VALIDATION')
  })
})
