import { randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, realpathSync, statSync } from 'node:fs'
import { join } from 'node:path'

import type { Kysely } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'

import { CredentialCipher } from '../../src/kdf/credential-cipher.js'
import type { AgentVisibilityRef } from '../../src/signaldock/agent-visibility.js'
import { SignaldockRepository } from '../../src/signaldock/signaldock-repository.js'
import { CleoStoreError } from '../../src/sqlite/errors.js'
import { manualClock } from '../../src/sqlite/clock.js'
import { TasksRepository } from '../../src/tasks/tasks-repository.js'
import { CleoWorkspace } from '../../src/workspace/workspace.js'
import type { KnownProjects } from '../../src/workspace/agents.js'
import { WorkspaceAgents, memoryAgentRefStore } from '../../src/workspace/agents.js'
import { expectCode, tempDir } from '../helpers.js'
import type { SignaldockEngine } from './helpers.js'
import { ENGINES, T0 } from './helpers.js'

const KEY = 'sk_live_' + '0123456789abcdef'.repeat(4)

interface Fixture {
  agents: WorkspaceAgents
  signaldock: SignaldockRepository
  tasks: TasksRepository
  refs: ReturnType<typeof memoryAgentRefStore>
  others: Map<string, AgentVisibilityRef[] | Error | null>
  projectDir: string
  clock: ReturnType<typeof manualClock>
}

const opened: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close()
})

/** ws.agents over real stores (signaldock on the engine), with fakes for conduit's refs and nexus's projects. */
async function fixture(engine: SignaldockEngine): Promise<Fixture> {
  const { repo: signaldock, clock } = await engine.open()
  const tasks = await TasksRepository.open(':memory:', { clock })
  opened.push(signaldock, tasks)
  const root = tempDir()
  const projectDir = join(root, 'here')
  mkdirSync(projectDir)
  const refs = memoryAgentRefStore(clock)
  const others = new Map<string, AgentVisibilityRef[] | Error | null>()
  const projects: KnownProjects = {
    async listProjectDirs() {
      return [projectDir, ...others.keys()]
    },
    async readProjectRefs(dir) {
      const entry = [...others.entries()].find(([key]) => join(key) === dir)?.[1] ?? null
      if (entry instanceof Error) throw entry
      return entry
    },
  }
  const material = { machineKey: randomBytes(32), globalSalt: randomBytes(32) }
  const agents = new WorkspaceAgents({ projectDir, globalDir: null, signaldock, tasks, refs, projects, keys: () => material })
  return { agents, signaldock, tasks, refs, others, projectDir, clock }
}

function otherProject(f: Fixture, name: string, refs: AgentVisibilityRef[] | Error | null): string {
  const dir = join(f.projectDir, '..', name)
  mkdirSync(dir, { recursive: true })
  f.others.set(dir, refs)
  return dir
}

for (const engine of ENGINES) {
  describe(`ws.agents.register [${engine.name}]`, () => {
    it('writes signaldock first, then the sealed credential into the tasks.db cache; the key is never stored in clear', async () => {
      const f = await fixture(engine)
      const result = await f.agents.register({ agentId: 'cleo-prime', name: 'Cleo Prime', apiKey: KEY, capabilities: ['chat'] })
      expect(result).toMatchObject({ created: true, cached: true, ref: null })
      const global = (await f.signaldock.agents.get('cleo-prime'))!
      expect(global.apiKeyEncrypted).not.toBeNull()
      expect(global.apiKeyEncrypted).not.toContain(KEY)
      const cached = (await f.tasks.credentials.get('cleo-prime'))!
      expect(cached.apiKeyEncrypted).toBe(global.apiKeyEncrypted)
      for (const db of [f.signaldock.kysely, f.tasks.kysely] as unknown as Array<Kysely<any>>) {
        const tables = ['agents', 'agent_credentials']
        for (const table of tables) {
          const rows = await db.selectFrom(table).selectAll().execute().catch(() => [])
          expect(JSON.stringify(rows)).not.toContain(KEY)
        }
      }
      expect(await f.agents.credential('cleo-prime')).toBe(KEY)
      expect(await f.agents.verifyApiKey('cleo-prime', KEY)).toBe(true)
      expect(await f.agents.verifyApiKey('cleo-prime', KEY.replace(/f$/, 'e'))).toBe(false)
      expect(await f.agents.credential('nobody')).toBeNull()
      expect(await f.agents.verifyApiKey('nobody', KEY)).toBe(false)

      // Rotation and removal of the key reach the cache too; a stale key is never kept.
      await f.agents.register({ agentId: 'cleo-prime', name: 'Cleo Prime', apiKey: KEY + 'v2' })
      expect(await f.agents.credential('cleo-prime')).toBe(KEY + 'v2')
      expect(f.agents.cipher().open('cleo-prime', (await f.tasks.credentials.get('cleo-prime'))!.apiKeyEncrypted)).toBe(KEY + 'v2')
      const cleared = await f.agents.register({ agentId: 'cleo-prime', name: 'Cleo Prime', apiKeyEncrypted: null, apiKeyHash: null })
      expect(cleared.cached).toBe(false)
      expect(await f.tasks.credentials.get('cleo-prime')).toBeNull()
      expect(await f.agents.credential('cleo-prime')).toBeNull()
    })

    it('is idempotent by slug, and can attach in the same call', async () => {
      const f = await fixture(engine)
      await f.agents.register({ agentId: 'a', name: 'A' })
      const again = await f.agents.register({ agentId: 'a', name: 'A2', attach: { role: 'lead' } })
      expect(again).toMatchObject({ created: false, cached: false, ref: { agentId: 'a', enabled: true, role: 'lead' } })
      expect((await f.agents.list()).map((row) => row.agent.name)).toEqual(['A2'])
      await expectCode(f.agents.register({ agentId: 'a', name: 'A', apiKey: KEY, apiKeyEncrypted: 'x' }), 'VALIDATION')
      await expectCode(f.agents.register({ agentId: 'a', name: 'A', apiKey: '' }), 'VALIDATION')
    })

    it('if the cache write fails, the global identity is already there and a re-run completes', async () => {
      const f = await fixture(engine)
      const material = { machineKey: randomBytes(32), globalSalt: randomBytes(32) }
      const broken = await TasksRepository.open(':memory:')
      await broken.close()
      const deps = { projectDir: f.projectDir, globalDir: null, signaldock: f.signaldock, refs: f.refs, keys: () => material }
      const projects: KnownProjects = { listProjectDirs: async () => [], readProjectRefs: async () => null }
      const failing = new WorkspaceAgents({ ...deps, tasks: broken, projects })
      await expectCode(failing.register({ agentId: 'a', name: 'A', apiKey: KEY }), 'CLOSED')
      expect((await f.signaldock.agents.get('a'))!.apiKeyEncrypted).not.toBeNull() // signaldock was written first

      const healthy = new WorkspaceAgents({ ...deps, tasks: f.tasks, projects })
      expect(await healthy.verifyApiKey('a', KEY)).toBe(true) // readable from the source of truth meanwhile
      const rerun = await healthy.register({ agentId: 'a', name: 'A' })
      expect(rerun).toMatchObject({ created: false, cached: true })
      expect(await healthy.credential('a')).toBe(KEY)
    })

    it('a credential sealed under other key files needs re-authentication (KEY_FILE); a tampered one is CORRUPT — never garbage', async () => {
      const f = await fixture(engine)
      const foreign = CredentialCipher.fromKeyMaterial({ machineKey: randomBytes(32), globalSalt: randomBytes(32) })
      await f.signaldock.agents.register({ agentId: 'a', name: 'A', apiKeyEncrypted: foreign.seal('a', KEY) })
      const error = await expectCode(f.agents.credential('a'), 'KEY_FILE')
      expect(error.details?.['reason']).toBe('requires-reauth')
      expect((error.cause as { details?: Record<string, unknown> }).details?.['reason']).toBe('other-key')
      const mine = f.agents.cipher().seal('b', KEY)
      const bytes = Buffer.from(mine, 'base64')
      bytes[bytes.length - 1]! ^= 1
      await f.signaldock.agents.register({ agentId: 'b', name: 'B', apiKeyEncrypted: bytes.toString('base64') })
      await expectCode(f.agents.verifyApiKey('b', KEY), 'CORRUPT')
    })
  })
}

for (const engine of ENGINES) {
  describe(`ws.agents.attach / detach / list [${engine.name}]`, () => {
    it('attach needs a registered agent; detach hides it; re-attach re-enables', async () => {
      const f = await fixture(engine)
      await expectCode(f.agents.attach('ghost'), 'NOT_FOUND')
      await f.agents.register({ agentId: 'a', name: 'A' })
      await f.agents.register({ agentId: 'b', name: 'B' })
      const attached = await f.agents.attach('a', { role: 'worker' })
      expect(attached).toMatchObject({ attached: true, ref: { enabled: true, role: 'worker', attachedAt: new Date(T0).toISOString() } })
      expect((await f.agents.list()).map((r) => r.agent.agentId)).toEqual(['a'])

      const detached = await f.agents.detach('a')
      expect(detached).toMatchObject({ agentId: 'a', enabled: false, role: 'worker' })
      await expectCode(f.agents.detach('b'), 'NOT_FOUND')
      expect(await f.agents.list()).toEqual([])
      expect((await f.agents.list({ includeDisabled: true })).map((r) => [r.agent.agentId, r.attached])).toEqual([['a', false]])
      expect((await f.agents.list({ global: true })).map((r) => [r.agent.agentId, r.attached, r.ref])).toEqual([
        ['a', false, null],
        ['b', false, null],
      ])
      expect((await f.signaldock.agents.get('a'))).not.toBeNull() // identity kept

      f.clock.advance(1000)
      const again = await f.agents.attach('a', { role: 'lead' })
      // Re-attaching keeps the first attachedAt, as conduit.db does (the contract suite checks both stores).
      expect(again.ref).toMatchObject({ enabled: true, role: 'lead', attachedAt: new Date(T0).toISOString() })
      expect((await f.agents.get('a'))!.attached).toBe(true)
      expect((await f.agents.get('b'))).toMatchObject({ attached: false, ref: null })
      expect(await f.agents.get('ghost')).toBeNull()
    })

    it('list filters by activity and never shows a dangling ref', async () => {
      const f = await fixture(engine)
      await f.agents.register({ agentId: 'a', name: 'A', attach: true })
      await f.agents.register({ agentId: 'b', name: 'B', attach: true, isActive: false })
      expect((await f.agents.list({ active: true })).map((r) => r.agent.agentId)).toEqual(['a'])
      await f.signaldock.agents.remove('a') // behind the workspace's back
      expect((await f.agents.list()).map((r) => r.agent.agentId)).toEqual(['b'])
      expect((await f.refs.list()).map((r) => r.agentId)).toEqual(['a', 'b'])
    })
  })
}

for (const engine of ENGINES) {
  describe(`ws.agents.remove [${engine.name}]`, () => {
    it('remove deletes the project ref and the cached credential, never the identity', async () => {
      const f = await fixture(engine)
      await f.agents.register({ agentId: 'a', name: 'A', apiKey: KEY, attach: true })
      const result = await f.agents.remove('a')
      expect(result).toMatchObject({ agentRemoved: false, refRemoved: true })
      expect(await f.refs.get('a')).toBeNull() // deleted, not merely disabled (CLEO's remove only detached)
      expect(await f.tasks.credentials.get('a')).toBeNull()
      expect(await f.signaldock.agents.get('a')).not.toBeNull()
      await expectCode(f.agents.remove('a'), 'NOT_FOUND')
    })

    it('remove --global refuses while this project holds an enabled ref; a detached one does not block', async () => {
      const f = await fixture(engine)
      await f.agents.register({ agentId: 'a', name: 'A', attach: true })
      const refused = await expectCode(f.agents.remove('a', { global: true }), 'CONFLICT')
      expect(refused.details?.['projects']).toHaveLength(1)
      expect(await f.signaldock.agents.get('a')).not.toBeNull()
      await f.agents.detach('a')
      const removed = await f.agents.remove('a', { global: true })
      expect(removed).toMatchObject({ agentRemoved: true, refRemoved: true, enabledElsewhere: [] })
      expect(await f.refs.get('a')).toBeNull()
    })

    it('remove --global scans the projects registered in nexus, and removes junction rows with the agent', async () => {
      const f = await fixture(engine)
      await f.agents.register({ agentId: 'a', name: 'A', apiKey: KEY, capabilities: ['chat'], skills: ['ts'] })
      await f.signaldock.connections.connect({ agentId: 'a', connectionId: 'c1' })
      await f.signaldock.availability.markDegraded('a', { reason: 'slow' })
      const busy = otherProject(f, 'busy', [{ agentId: 'a', enabled: true }])
      otherProject(f, 'idle', [{ agentId: 'a', enabled: false }])
      otherProject(f, 'empty', null)

      const refused = await expectCode(f.agents.remove('a', { global: true }), 'CONFLICT')
      expect(refused.details?.['projects']).toEqual([busy])
      expect(refused.message).toContain(busy)

      f.others.set(busy, [{ agentId: 'a', enabled: false }])
      const removed = await f.agents.remove('a', { global: true })
      expect(removed.agentRemoved).toBe(true)
      const db = f.signaldock.kysely as unknown as Kysely<any>
      for (const table of ['agents', 'agent_capabilities', 'agent_skills', 'agent_connections', 'agent_availability']) {
        expect(await db.selectFrom(table).selectAll().execute(), table).toEqual([])
      }
      expect(await f.tasks.credentials.get('a')).toBeNull()
      expect(await f.agents.list({ global: true })).toEqual([])
    })

    it('force removes despite enabled refs elsewhere, and reports them', async () => {
      const f = await fixture(engine)
      await f.agents.register({ agentId: 'a', name: 'A', attach: true })
      const busy = otherProject(f, 'busy', [{ agentId: 'a', enabled: true }])
      const result = await f.agents.remove('a', { global: true, force: true })
      expect(result).toMatchObject({ agentRemoved: true, refRemoved: true, enabledElsewhere: [busy], unreadable: [] })
    })

    it('a project whose refs cannot be read makes remove --global fail closed, unless forced', async () => {
      const f = await fixture(engine)
      await f.agents.register({ agentId: 'a', name: 'A' })
      const broken = otherProject(f, 'broken', new CleoStoreError('CORRUPT', 'not a database'))
      const error = await expectCode(f.agents.remove('a', { global: true }), 'CORRUPT')
      expect(error.details?.['project']).toBe(broken)
      expect(await f.signaldock.agents.get('a')).not.toBeNull()
      const forced = await f.agents.remove('a', { global: true, force: true })
      expect(forced).toMatchObject({ agentRemoved: true, unreadable: [broken] })
    })

    it('an unregistered agent: NOT_FOUND, or just the dangling local ref is cleaned', async () => {
      const f = await fixture(engine)
      await expectCode(f.agents.remove('ghost', { global: true }), 'NOT_FOUND')
      await f.refs.attach('ghost', {})
      expect(await f.agents.remove('ghost', { global: true })).toMatchObject({ agentRemoved: false, refRemoved: true })
    })
  })
}

describe('ws.agents on a CleoWorkspace', () => {
  it('creates the key files (0600) in the global directory, and another workspace on it opens the credential', async () => {
    const root = tempDir()
    const globalDir = join(root, 'global')
    const projectA = join(root, 'a')
    const projectB = join(root, 'b')
    mkdirSync(projectA)
    mkdirSync(projectB)
    const ws = await CleoWorkspace.open(projectA, { globalDir })
    try {
      await ws.agents.register({ agentId: 'cleo-prime', name: 'Cleo', apiKey: KEY, attach: true })
      expect((await ws.agents.list()).map((r) => r.agent.agentId)).toEqual(['cleo-prime'])
      expect(readdirSync(globalDir)).toEqual(expect.arrayContaining(['global-salt', 'machine-key']))
      if (process.platform !== 'win32') {
        expect(statSync(join(globalDir, 'machine-key')).mode & 0o777).toBe(0o600)
        expect(statSync(join(globalDir, 'global-salt')).mode & 0o777).toBe(0o600)
      }
    } finally {
      await ws.close()
    }
    const other = await CleoWorkspace.open(projectB, { globalDir })
    try {
      expect(await other.agents.credential('cleo-prime')).toBe(KEY) // from signaldock.db, the source of truth
      expect(await other.agents.list()).toEqual([]) // not attached here
      expect((await other.agents.list({ global: true })).map((r) => r.agent.agentId)).toEqual(['cleo-prime'])
    } finally {
      await other.close()
    }
  })

  it('works in memory, with a key that never touches disk', async () => {
    const ws = await CleoWorkspace.open(tempDir(), { inMemory: true })
    try {
      await ws.agents.register({ agentId: 'a', name: 'A', apiKey: KEY, attach: true })
      expect(await ws.agents.credential('a')).toBe(KEY)
      expect((await ws.agents.list()).map((r) => r.attached)).toEqual([true])
    } finally {
      await ws.close()
    }
    await expectCode(() => ws.agents, 'CLOSED')
  })

  it('keeps attachments in conduit.db across reopen, and scans other projects before a global remove', async () => {
    const globalDir = join(tempDir(), 'global')
    const projectA = tempDir()
    const projectB = tempDir()
    const a = await CleoWorkspace.open(projectA, { globalDir })
    const b = await CleoWorkspace.open(projectB, { globalDir })
    try {
      await a.agents.register({ agentId: 'shared-agent', name: 'Shared', attach: true })
      expect((await a.conduit.agentRefs.get('shared-agent'))?.enabled).toBe(true)
      // Project B never attached it, but A (registered in nexus) has an enabled ref.
      const refused = await expectCode(b.agents.remove('shared-agent', { global: true }), 'CONFLICT')
      expect(refused.message).toContain(realpathSync(projectA))
      await a.agents.detach('shared-agent')
    } finally {
      await a.close()
    }
    try {
      // The detach was persisted: A's conduit.db now holds a disabled ref only.
      const reopened = await CleoWorkspace.open(projectA, { globalDir })
      expect((await reopened.conduit.agentRefs.get('shared-agent'))?.enabled).toBe(false)
      expect(await reopened.agents.list()).toEqual([])
      await reopened.close()
      await b.agents.remove('shared-agent', { global: true })
      expect(await b.signaldock.agents.get('shared-agent')).toBeNull()
    } finally {
      await b.close()
    }
  })
})

