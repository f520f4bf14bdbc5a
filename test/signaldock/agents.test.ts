import { randomBytes } from 'node:crypto'

import { afterEach, describe, expect, it } from 'vitest'

import { CredentialCipher, apiKeyHash } from '../../src/kdf/credential-cipher.js'
import type { SignaldockRepository } from '../../src/signaldock/signaldock-repository.js'
import { expectCode, runFixture, startGate } from '../helpers.js'
import { ENGINES, T0, openTarget } from './helpers.js'

let repo: SignaldockRepository
afterEach(async () => {
  await repo?.close()
})

for (const engine of ENGINES) {
  describe(`signaldock agents [${engine.name}]`, () => {
    it('register is idempotent by slug: one row, created once, fields updated', async () => {
      const opened = await engine.open()
      repo = opened.repo
      const first = await repo.agents.register({ agentId: 'cleo-prime', name: 'Cleo', class: 'orchestrator', description: 'lead' })
      expect(first.created).toBe(true)
      expect(first.agent).toMatchObject({ agentId: 'cleo-prime', name: 'Cleo', class: 'orchestrator', isActive: true, tier: 'global', orchLevel: 2 })
      expect(first.agent.createdAt).toBe(new Date(T0).toISOString())
      opened.clock.advance(1000)
      const again = await repo.agents.register({ agentId: 'cleo-prime', name: 'Cleo Prime' })
      expect(again.created).toBe(false)
      expect(again.agent.id).toBe(first.agent.id)
      expect(again.agent.name).toBe('Cleo Prime')
      expect(again.agent.class).toBe('orchestrator') // untouched
      expect(again.agent.description).toBe('lead')
      expect(again.agent.updatedAt).toBe(new Date(T0 + 1000).toISOString())
      expect(await repo.agents.list()).toHaveLength(1)
    })

    it('concurrent registrations of one slug in one process converge on one row', async () => {
      // A budget for the serialization retries that a loaded machine cannot exhaust.
      ;({ repo } = await engine.open({ busyTimeoutMs: 60_000 }))
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => repo.agents.register({ agentId: 'racer', name: `r${i}` })),
      )
      expect(results.filter((r) => r.created)).toHaveLength(1)
      expect(new Set(results.map((r) => r.agent.id)).size).toBe(1)
      expect(await repo.agents.list()).toHaveLength(1)
    })

    it('concurrent registrations of one slug from several processes converge on one row', async () => {
      const target = engine.target()
      await (await openTarget(target)).close()
      const gate = startGate(4)
      const runs = await Promise.all(
        ['p1', 'p2', 'p3', 'p4'].map((label) =>
          runFixture('signaldock-register.ts', [JSON.stringify(target), gate, 'shared-agent', label]),
        ),
      )
      const results = runs.map((run) => JSON.parse(run.stdout.trim()) as { ok: boolean; created: boolean[] })
      for (const result of results) expect(result.ok, JSON.stringify(result)).toBe(true)
      expect(results.flatMap((r) => r.created).filter(Boolean)).toHaveLength(1)
      repo = await openTarget(target)
      const agents = await repo.agents.list()
      expect(agents.map((a) => a.agentId)).toEqual(['shared-agent'])
      expect(agents[0]!.capabilities).toContain('shared')
      expect((await repo.capabilities.list()).map((c) => c.slug).sort()).toEqual(['cap-p1', 'cap-p2', 'cap-p3', 'cap-p4', 'shared'])
      expect((await repo.integrityCheck()).ok).toBe(true)
    })

    it('validates input before writing: slugs, enums, sealed credentials, hashes', async () => {
      ;({ repo } = await engine.open())
      for (const bad of ['', 'Upper', '-lead', 'has space', 'a'.repeat(129), 'ümlaut']) {
        const error = await expectCode(repo.agents.register({ agentId: bad, name: 'x' }), 'VALIDATION')
        expect(error.details?.['path']).toEqual(['agentId'])
      }
      await expectCode(repo.agents.register({ agentId: 'a', name: '' }), 'VALIDATION')
      await expectCode(repo.agents.register({ agentId: 'a', name: 'A', class: 'wizard' as never }), 'VALIDATION')
      await expectCode(repo.agents.register({ agentId: 'a', name: 'A', orchLevel: 3 }), 'VALIDATION')
      // Plaintext API keys never reach the table (CLEO stored a derived key instead).
      const plain = await expectCode(repo.agents.register({ agentId: 'a', name: 'A', apiKeyEncrypted: 'sk_live_0123456789abcdef' }), 'VALIDATION')
      expect(plain.details?.['path']).toEqual(['apiKeyEncrypted'])
      await expectCode(repo.agents.register({ agentId: 'a', name: 'A', apiKeyHash: 'nothex' }), 'VALIDATION')
      await expectCode(repo.agents.register({ agentId: 'a', name: 'A', installedAt: '2026-01-01T10:00:00' }), 'VALIDATION')
      expect(await repo.agents.list()).toEqual([])
    })

    it('stores the sealed credential and its verifier, and finds the agent by key hash', async () => {
      ;({ repo } = await engine.open())
      const cipher = CredentialCipher.fromKeyMaterial({ machineKey: randomBytes(32), globalSalt: randomBytes(32) })
      const key = 'sk_live_' + 'f'.repeat(64)
      const sealed = cipher.seal('bot', key)
      await repo.agents.register({ agentId: 'bot', name: 'Bot', apiKeyEncrypted: sealed, apiKeyHash: apiKeyHash(key) })
      const agent = (await repo.agents.getByApiKeyHash(apiKeyHash(key)))!
      expect(agent.agentId).toBe('bot')
      expect(agent.apiKeyEncrypted).toBe(sealed)
      expect(cipher.open('bot', agent.apiKeyEncrypted!)).toBe(key)
      expect(await repo.agents.getByApiKeyHash(apiKeyHash('other'))).toBeNull()
    })

    it('binds capabilities and skills: unknown slugs are created or refused, never dropped', async () => {
      ;({ repo } = await engine.open())
      await repo.capabilities.define({ slug: 'chat', name: 'Chat', category: 'communication' })
      const { agent } = await repo.agents.register({ agentId: 'a', name: 'A', capabilities: ['tools', 'chat', 'chat'], skills: ['ts'] })
      expect(agent.capabilities).toEqual(['chat', 'tools'])
      expect(agent.skills).toEqual(['ts'])
      expect((await repo.capabilities.get('tools'))!.category).toBe('other')
      expect((await repo.capabilities.get('chat'))!.category).toBe('communication')

      const refused = await expectCode(
        repo.agents.update('a', { capabilities: ['chat', 'nope', 'nada'], unknownCatalogEntries: 'refuse' }),
        'NOT_FOUND',
      )
      expect(refused.details?.['missing']).toEqual(['nope', 'nada'])
      expect((await repo.agents.get('a'))!.capabilities).toEqual(['chat', 'tools']) // rolled back
      expect(await repo.capabilities.get('nope')).toBeNull()

      expect((await repo.agents.update('a', { capabilities: ['chat'] })).capabilities).toEqual(['chat'])
      expect((await repo.agents.update('a', { capabilities: [] })).capabilities).toEqual([])
      expect((await repo.agents.update('a', { name: 'A2' })).skills).toEqual(['ts']) // not given: kept

      await repo.agents.update('a', { skills: ['ts', 'sql'], skillSource: 'cant' })
      expect(await repo.skills.remove('sql')).toBe(true)
      expect((await repo.agents.get('a'))!.skills).toEqual(['ts'])
      await expectCode(repo.skills.define({ slug: 'x', category: 'communication' }), 'VALIDATION')
    })

    it('lists with filters, ordered by slug, with keyset pages', async () => {
      ;({ repo } = await engine.open())
      await repo.agents.register({ agentId: 'c', name: 'C', class: 'code_dev', capabilities: ['tools'] })
      await repo.agents.register({ agentId: 'a', name: 'A', class: 'research', skills: ['ts'], tier: 'project' })
      await repo.agents.register({ agentId: 'b', name: 'B', class: 'code_dev', capabilities: ['tools'], skills: ['ts'], isActive: false })
      const ids = async (filter: Parameters<typeof repo.agents.list>[0]) => (await repo.agents.list(filter)).map((a) => a.agentId)
      expect(await ids({})).toEqual(['a', 'b', 'c'])
      expect(await ids({ class: 'code_dev' })).toEqual(['b', 'c'])
      expect(await ids({ active: true })).toEqual(['a', 'c'])
      expect(await ids({ active: false })).toEqual(['b'])
      expect(await ids({ capability: 'tools' })).toEqual(['b', 'c'])
      expect(await ids({ skill: 'ts', capability: 'tools' })).toEqual(['b'])
      expect(await ids({ tier: 'project' })).toEqual(['a'])
      expect(await ids({ agentIds: ['c', 'a', 'zz'] })).toEqual(['a', 'c'])
      expect(await ids({ agentIds: [] })).toEqual([])
      expect(await ids({ limit: 2 })).toEqual(['a', 'b'])
      expect(await ids({ after: 'b', limit: 2 })).toEqual(['c'])
    })

    it('updates, deactivates, marks use and removes; unknown agents are NOT_FOUND', async () => {
      const opened = await engine.open()
      repo = opened.repo
      await repo.agents.register({ agentId: 'a', name: 'A' })
      await expectCode(repo.agents.update('zz', { name: 'x' }), 'NOT_FOUND')
      await expectCode(repo.agents.update('a', { reportsTo: 'a' }), 'VALIDATION')
      await expectCode(repo.agents.update('a', { ownerId: 'nobody' }), 'NOT_FOUND')
      await expectCode(repo.agents.update('a', { organizationId: 'nowhere' }), 'NOT_FOUND')
      expect((await repo.agents.deactivate('a')).isActive).toBe(false)
      expect((await repo.agents.activate('a')).isActive).toBe(true)
      opened.clock.advance(5000)
      await repo.agents.markUsed('a')
      expect((await repo.agents.get('a'))!.lastUsedAt).toBe(new Date(T0 + 5000).toISOString())
      await expectCode(repo.agents.markUsed('zz'), 'NOT_FOUND')
      const updated = await repo.agents.update('a', {
        transportConfig: { pollIntervalMs: 1000 },
        paymentConfig: null,
        installedAt: '2026-01-01T02:00:00+02:00',
        canSpawn: true,
        reportsTo: 'boss',
      })
      expect(updated.transportConfig).toEqual({ pollIntervalMs: 1000 })
      expect(updated.installedAt).toBe('2026-01-01T00:00:00.000Z')
      expect(updated.canSpawn).toBe(true)
      expect(await repo.agents.remove('a')).toBe(true)
      expect(await repo.agents.remove('a')).toBe(false)
      expect(await repo.agents.get('a')).toBeNull()
    })
  })

  describe(`signaldock connections [${engine.name}]`, () => {
    it('connect is an upsert; heartbeat, list, prune and disconnect', async () => {
      const opened = await engine.open()
      repo = opened.repo
      await repo.agents.register({ agentId: 'a', name: 'A' })
      await expectCode(repo.connections.connect({ agentId: 'zz', connectionId: 'c' }), 'NOT_FOUND')
      await repo.connections.connect({ agentId: 'a', connectionId: 'c1', transportType: 'sse', metadata: { ip: '1.2.3.4' } })
      opened.clock.advance(10_000)
      await repo.connections.connect({ agentId: 'a', connectionId: 'c2' })
      await repo.connections.connect({ agentId: 'a', connectionId: 'c1', transportType: 'websocket' })
      const list = await repo.connections.list('a')
      expect(list.map((c) => [c.connectionId, c.transportType])).toEqual([
        ['c1', 'websocket'],
        ['c2', 'http'],
      ])
      expect(list[0]!.metadata).toBeNull()
      opened.clock.advance(10_000)
      await repo.connections.heartbeat('a', 'c2')
      await expectCode(repo.connections.heartbeat('a', 'nope'), 'NOT_FOUND')
      opened.clock.advance(1)
      expect(await repo.connections.pruneStale({ olderThanMs: 5_000 })).toBe(1)
      expect((await repo.connections.list()).map((c) => c.connectionId)).toEqual(['c2'])
      expect(await repo.connections.disconnect('a', 'c2')).toBe(true)
      expect(await repo.connections.disconnect('a', 'c2')).toBe(false)
    })
  })
}
