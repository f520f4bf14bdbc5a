/**
 * `CleoWorkspace.migrateToServer(projectDir, { postgres, project })` (issue 20, item 6):
 * a local project's conduit.db is copied into its server schema, verified by row
 * counts and checksums; a non-empty target is refused; the project then opens on
 * the server with everything it had, and new ids continue past the copied ones.
 */
import { mkdirSync, realpathSync } from 'node:fs'
import { join } from 'node:path'

import pg from 'pg'
import { describe, expect, it } from 'vitest'

import { FeatureHashingEmbedder } from '../../src/brain/feature-hashing-embedder.js'
import { NexusRepository } from '../../src/nexus/nexus-repository.js'
import { CleoWorkspace } from '../../src/workspace/workspace.js'
import { projectSchema } from '../../src/workspace/workspace-server.js'
import { expectCode, tempDir } from '../helpers.js'
import { POSTGRES_URL } from './pg-test-schemas.js'

const T0 = Date.UTC(2026, 10, 1)
const KEY = 'sk_live_' + '0123456789abcdef'.repeat(4)

async function dropSchemas(url: string, schemas: string[]): Promise<void> {
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await admin.end()
  }
}

describe('CleoWorkspace.migrateToServer: refusals before anything is written', () => {
  it('a project without tasks.db and conduit.db is NOT_FOUND; bad arguments are VALIDATION', async () => {
    const dir = tempDir()
    await expectCode(CleoWorkspace.migrateToServer(dir, { postgres: 'postgres://127.0.0.1:1/x', project: 'acme' }), 'NOT_FOUND')
    await expectCode(CleoWorkspace.migrateToServer(dir, { postgres: 'postgres://127.0.0.1:1/x', project: 'Acme' }), 'VALIDATION')
    await expectCode(CleoWorkspace.migrateToServer(42 as never, { postgres: 'postgres://127.0.0.1:1/x', project: 'acme' }), 'VALIDATION')
    const option = await expectCode(CleoWorkspace.migrateToServer(dir, { postgres: 'postgres://127.0.0.1:1/x', project: 'acme' }, { nexus: true } as never), 'VALIDATION')
    expect(option.details).toMatchObject({ path: ['options', 'nexus'] })
  })
})

if (POSTGRES_URL !== null) {
  const url = POSTGRES_URL

  describe('CleoWorkspace.migrateToServer on PostgreSQL', () => {
    it('copies tasks and conduit verified; the project opens on the server with its tasks, claims, messages, queue and attachments; a second run is CONFLICT', async () => {
      const root = tempDir()
      const projectDir = join(root, 'app')
      const globalDir = join(root, 'global')
      mkdirSync(projectDir)
      const project = `mig-${process.pid}-${Date.now() % 100_000}`
      const signaldockSchema = `sd_mig_${process.pid}`
      let clock = T0
      const options = { globalDir, clock: () => clock }

      // A local project with some history.
      const local = await CleoWorkspace.open(projectDir, { ...options, embedder: new FeatureHashingEmbedder() })
      await local.agents.register({ agentId: 'alice', name: 'Alice', apiKey: KEY, attach: true })
      await local.agents.register({ agentId: 'bob', name: 'Bob', apiKey: KEY.replace('0', '1'), attach: true })
      const sent = await local.conduit.messages.send({ from: 'alice', to: 'bob', content: 'the build is green', deliver: true })
      await local.conduit.messages.send({ from: 'bob', to: 'alice', content: 'ship it' })
      const bytes = new Uint8Array([0, 1, 2, 254, 255])
      await local.conduit.attachments.create({ slug: 'plan', title: 'Plan', conversationId: sent.message.conversationId, agentId: 'alice', content: bytes })
      await local.conduit.queue.enqueue({ queue: 'hooks', payload: { n: 1 }, partitionKey: 's1', ordered: true })
      // bob's delivery job is dead-lettered once (and replayed), so there is history to carry over.
      const [delivery] = await local.conduit.queue.claim(1, { queue: 'conduit.delivery', owner: 'w', leaseMs: 1000 })
      expect(delivery!.messageId).toBe(sent.message.id)
      await local.conduit.queue.nack(delivery!.lease, { retry: false, error: 'bad recipient' })
      await local.conduit.queue.replayDeadLetters({ queue: 'conduit.delivery' })
      // Tasks with a dependency, an audit trail and a claim.
      const t1 = await local.tasks.create({ title: 'migrate the schema', labels: ['db'] })
      const t2 = await local.tasks.create({ title: 'déploiement', priority: 'high' })
      await local.tasks.dependencies.add(t2.id, t1.id)
      // Memory: a decision about a task, a learning, a sticky note — embedded locally.
      const { memory: decision } = await local.brain.record({
        kind: 'decision', type: 'technical', decision: 'Run the schema migration before the deploy', rationale: 'the deploy reads the new columns', confidence: 'high', contextTaskId: t1.id,
      })
      const { memory: learning } = await local.brain.record({ kind: 'learning', insight: 'vacuum the staging database after each import', source: 'ops', confidence: 0.7 })
      await local.brain.links.add({ memoryId: learning.id, taskId: t2.id, linkType: 'applies_to' })
      const { note } = await local.brain.stickyNotes.add({ content: 'ask bob about the release window' } as never)
      expect((await local.brain.embeddingStatus()).vectors).toBeGreaterThan(0)
      const claimed = await local.tasks.claims.claimNext({ agent: 'alice', ttlMs: 3_600_000 })
      expect(claimed!.task.id).toBe(t1.id)
      clock += 1000
      const before = {
        tasks: await local.tasks.list({}),
        ready: (await local.tasks.dependencies.ready()).items.map((t) => t.id),
        audit: (await local.tasks.audit.list({})).items.length,
        projectId: local.projectId,
        inbox: (await local.conduit.inbox.page('bob')).items.map((m) => [m.id, m.content, m.deliveredAt]),
        hooks: await local.conduit.queue.stats('hooks'),
        deliveries: await local.conduit.queue.stats('conduit.delivery'),
        history: (await local.conduit.queue.deadLetterHistory({})).items,
      }
      await local.close()

      const localNexus = await NexusRepository.open(join(globalDir, 'nexus.db'))
      const registryBefore = { projects: await localNexus.projects.list(), audit: (await localNexus.audit.list({ order: 'asc' })).items }
      await localNexus.close()

      const server = { postgres: url, project }
      const nexusSchema = `nx_mig_${process.pid}_${Date.now() % 100_000}`
      const nexus = { postgres: url, schema: nexusSchema }
      const moveOptions = { globalDir, nexus: { schema: nexusSchema } }
      try {
        const report = await CleoWorkspace.migrateToServer(projectDir, server, moveOptions)
        expect(report.stores.map((s) => s.schema)).toEqual([projectSchema(project, 'tasks'), projectSchema(project, 'brain'), projectSchema(project, 'conduit'), nexusSchema])
        expect(report.kept).toEqual([])
        // brain: the memories, links and notes; not the vectors (the server's embedder rebuilds them).
        const brainTables = new Map(report.stores[1]!.tables.map((t) => [t.table, t]))
        expect(brainTables.get('brain_decisions')!.rows).toBe(1)
        expect(brainTables.get('brain_learnings')!.rows).toBe(1)
        expect(brainTables.get('brain_memory_links')!.rows).toBe(1)
        expect(brainTables.get('brain_sticky_notes')!.rows).toBe(1)
        expect([...brainTables.keys()].filter((t) => /embeddings|codes|_fts/.test(t))).toEqual([])
        const registry = new Map(report.stores[3]!.tables.map((t) => [t.table, t]))
        expect(registry.get('project_registry')!.rows).toBe(1)
        expect(registry.get('nexus_audit_log')!.rows).toBe(registryBefore.audit.length)
        const taskTables = new Map(report.stores[0]!.tables.map((t) => [t.table, t]))
        expect(taskTables.get('tasks')!.rows).toBe(2)
        expect(taskTables.get('task_dependencies')!.rows).toBe(1)
        expect(taskTables.has('tasks_fts')).toBe(false)
        const tables = new Map(report.stores[2]!.tables.map((t) => [t.table, t]))
        expect(tables.get('messages')!.rows).toBe(2)
        expect(tables.get('delivery_jobs')!.rows).toBe(2)
        expect(tables.get('attachment_blobs')!.rows).toBe(1)
        expect(tables.has('messages_fts')).toBe(false)
        for (const t of report.stores.flatMap((s) => s.tables)) expect(t.checksum).toMatch(/^[0-9a-f]{64}$/)

        // A second run finds a non-empty target.
        const second = await expectCode(CleoWorkspace.migrateToServer(projectDir, server, moveOptions), 'CONFLICT')
        expect(second.details).toMatchObject({ reason: 'target-not-empty' })

        const ws = await CleoWorkspace.open(projectDir, { ...options, server, signaldock: { postgres: url, schema: signaldockSchema }, nexus })
        try {
          // The memories moved: found by full-text search, with their links, context and notes.
          expect(ws.brain.dialect).toBe('postgres')
          expect((await ws.brain.search('staging vacuum', { mode: 'fts' })).map((hit) => hit.id)).toEqual([learning.id])
          expect(await ws.brain.get(decision.id)).toMatchObject({ contextTaskId: t1.id })
          expect((await ws.brain.links.forMemory(learning.id)).map((l) => l.taskId)).toEqual([t2.id])
          expect((await ws.brain.stickyNotes.get(note.id))?.content).toBe('ask bob about the release window')
          // The registry moved with its history: this project under its id, the audit log as it was.
          expect(ws.nexus.dialect).toBe('postgres')
          expect((await ws.nexus.projects.list()).map((p) => [p.id, p.path])).toEqual(registryBefore.projects.map((p) => [p.id, p.path]))
          expect((await ws.nexus.audit.list({ order: 'asc' })).items.slice(0, registryBefore.audit.length)).toEqual(registryBefore.audit)
          expect(ws.conduit.dialect).toBe('postgres')
          expect(ws.tasks.dialect).toBe('postgres')
          // The same project (its id moved with schema_meta), tasks, ready work, audit and claim.
          expect(ws.projectId).toBe(before.projectId)
          expect(await ws.tasks.list({})).toEqual(before.tasks)
          expect((await ws.tasks.dependencies.ready()).items.map((t) => t.id)).toEqual(before.ready)
          expect((await ws.tasks.audit.list({})).items.length).toBe(before.audit)
          expect(await ws.tasks.claims.claimNext({ agent: 'bob', ttlMs: 60_000 })).toBeNull()
          // The id counter moved too, and search finds the accented title.
          expect((await ws.tasks.create({ title: 'after the move' })).id).toBe('T3')
          expect((await ws.tasks.list({ text: 'deploiement' })).items.map((t) => t.id)).toEqual([t2.id])
          expect((await ws.conduit.inbox.page('bob')).items.map((m) => [m.id, m.content, m.deliveredAt])).toEqual(before.inbox)
          expect(await ws.conduit.queue.stats('hooks')).toEqual(before.hooks)
          expect(await ws.conduit.queue.stats('conduit.delivery')).toEqual(before.deliveries)
          expect((await ws.conduit.queue.deadLetterHistory({})).items).toEqual(before.history)
          expect(new Uint8Array(await ws.conduit.attachments.content('plan'))).toEqual(bytes)
          // The copied delivery job still marks its message delivered when acked (triggers on again).
          const [again] = await ws.conduit.queue.claim(1, { queue: 'conduit.delivery', owner: 'w2', leaseMs: 1000 })
          await ws.conduit.queue.ack(again!.lease)
          expect((await ws.conduit.inbox.page('bob')).items[0]!.deliveredAt).not.toBeNull()
          // New rows continue past the copied ids (an identity left at 1 would collide with the copied seqs).
          await ws.conduit.messages.send({ from: 'alice', to: 'bob', content: 'after the move' })
          expect((await ws.conduit.inbox.page('bob')).items.map((m) => m.content)).toEqual(['the build is green', 'after the move'])
          const { job } = await ws.conduit.queue.enqueue({ queue: 'hooks', payload: { n: 2 }, partitionKey: 's1', ordered: true })
          expect(job.id).toBeGreaterThan(sent.deliveryJobIds[0]!)
          const search = await ws.conduit.messages.search({ query: 'green' })
          expect(search.map((hit) => hit.message.content)).toEqual(['the build is green'])
        } finally {
          await ws.close()
        }

        // Vectors are rebuilt on the server: the first open with an embedder queues every memory, reindex embeds them.
        const embedded = await CleoWorkspace.open(projectDir, { ...options, server, signaldock: { postgres: url, schema: signaldockSchema }, nexus, embedder: new FeatureHashingEmbedder() })
        try {
          expect(await embedded.brain.embeddingStatus()).toMatchObject({ vectors: 0, queued: 3 })
          await embedded.brain.reindex()
          expect(await embedded.brain.embeddingStatus()).toMatchObject({ vectors: 3, queued: 0 })
          expect((await embedded.brain.search('vacuum the staging database', { mode: 'vector' }))[0]!.id).toBe(learning.id)
        } finally {
          await embedded.close()
        }

        // A second checkout of the project on this machine (the first one's local tasks.db,
        // left by the move, holds the same id) opens the same project: the id lives on the
        // server and names the project for every host, so no copy detection reassigns it.
        const checkout = join(root, 'checkout')
        mkdirSync(checkout)
        const other = await CleoWorkspace.open(checkout, { ...options, server, signaldock: { postgres: url, schema: signaldockSchema }, nexus })
        try {
          expect(other.projectId).toBe(before.projectId)
          expect((await other.tasks.list({})).items.map((t) => t.id)).toEqual([t1.id, t2.id, 'T3'])
        } finally {
          await other.close()
        }

        // A second project of this machine moves after the first: the registry is already on
        // the server, so nexus.db is kept (reported), and the project registers there on open.
        const secondDir = join(root, 'second')
        mkdirSync(secondDir)
        const secondLocal = await CleoWorkspace.open(secondDir, options)
        await secondLocal.tasks.create({ title: 'second project' })
        const secondId = secondLocal.projectId
        await secondLocal.close()
        const secondServer = { postgres: url, project: `${project}-b` }
        const secondReport = await CleoWorkspace.migrateToServer(secondDir, secondServer, moveOptions)
        expect(secondReport.stores.map((s) => s.store)).toEqual(['tasks', 'brain', 'conduit'])
        expect(secondReport.kept).toEqual([{ store: 'nexus', schema: nexusSchema, reason: 'target-not-empty', table: expect.any(String) }])
        const secondWs = await CleoWorkspace.open(secondDir, { ...options, server: secondServer, signaldock: { postgres: url, schema: signaldockSchema }, nexus })
        try {
          expect(secondWs.projectId).toBe(secondId)
          expect((await secondWs.nexus.projects.get(secondId))?.path).toBe(realpathSync(secondDir))
        } finally {
          await secondWs.close()
        }
      } finally {
        await dropSchemas(url, [
          projectSchema(project, 'tasks'),
          projectSchema(project, 'brain'),
          projectSchema(project, 'conduit'),
          projectSchema(`${project}-b`, 'tasks'),
          projectSchema(`${project}-b`, 'brain'),
          projectSchema(`${project}-b`, 'conduit'),
          signaldockSchema,
          nexusSchema,
        ])
      }
    })
  })
}
