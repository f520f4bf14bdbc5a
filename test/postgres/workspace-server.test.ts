/**
 * `CleoWorkspace.open(dir, { server: { postgres, project } })` (issue 20): two hosts —
 * two project directories and two global directories, as two machines would have —
 * open the same project key on one PostgreSQL server and share its messages and its
 * delivery queue; signaldock follows the server; the rest stays local.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

import pg from 'pg'
import { describe, expect, it } from 'vitest'

import { CleoWorkspace } from '../../src/workspace/workspace.js'
import { projectSchema } from '../../src/workspace/workspace-server.js'
import { expectCode, tempDir } from '../helpers.js'
import { freshSchema, POSTGRES_URL } from './pg-test-schemas.js'

const KEY = 'sk_live_' + '0123456789abcdef'.repeat(4)

/** A "host": its own checkout of the project and its own global directory. */
function host(root: string, name: string): { projectDir: string; globalDir: string } {
  const projectDir = join(root, name, 'app')
  mkdirSync(projectDir, { recursive: true })
  return { projectDir, globalDir: join(root, name, 'global') }
}

let keys = 0
/** A project key no other test uses (its schemas are dropped with the test's). */
function freshProject(): string {
  const project = `srv-${process.pid}-${++keys}`
  freshSchema('unused') // registers nothing of ours; the project's schemas are dropped below
  return project
}

/** The global stores of a test's fleet, in schemas of their own (the defaults, `signaldock` and `nexus`, are shared by every run). */
function fleetGlobals(url: string) {
  const signaldockSchema = `sd_${process.pid}_${keys}`
  const nexusSchema = `nx_${process.pid}_${keys}`
  return { signaldockSchema, nexusSchema, signaldock: { postgres: url, schema: signaldockSchema }, nexus: { postgres: url, schema: nexusSchema } }
}

async function dropProject(url: string, project: string, ...globalSchemas: string[]): Promise<void> {
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    for (const schema of [projectSchema(project, 'conduit'), projectSchema(project, 'tasks'), projectSchema(project, 'brain'), ...globalSchemas]) {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    }
  } finally {
    await admin.end()
  }
}

describe('CleoWorkspace server option: validation', () => {
  it('a bad project key, an unknown key or a bad target is VALIDATION naming the field, before anything is created', async () => {
    const root = tempDir()
    const { projectDir, globalDir } = host(root, 'a')
    const bad: Array<[unknown, string[]]> = [
      [{ postgres: 'postgres://x/y', project: 'Acme' }, ['server', 'project']],
      [{ postgres: 'postgres://x/y', project: '1acme' }, ['server', 'project']],
      [{ postgres: 'postgres://x/y', project: 'a'.repeat(41) }, ['server', 'project']],
      [{ postgres: 'postgres://x/y', project: 'acme_api' }, ['server', 'project']],
      [{ postgres: 'postgres://x/y' }, ['server', 'project']],
      [{ postgres: 42, project: 'acme' }, ['server', 'postgres']],
      [{ postgres: 'postgres://x/y', project: 'acme', schema: 'x' }, ['server']],
    ]
    for (const [server, path] of bad) {
      const error = await expectCode(CleoWorkspace.open(projectDir, { globalDir, server: server as never }), 'VALIDATION')
      expect(error.details, JSON.stringify(server)).toMatchObject({ path: expect.arrayContaining(path) })
    }
    const nexus = await expectCode(CleoWorkspace.open(projectDir, { globalDir, nexus: { postgres: 'postgres://x/y', schemas: 'n' } as never }), 'VALIDATION')
    expect(nexus.details).toMatchObject({ path: ['nexus', 'schemas'] })
    expect(existsSync(join(projectDir, '.cleo'))).toBe(false)
    expect(existsSync(globalDir)).toBe(false)
  })

  it('the schemas are named from the key: acme-api → acme_api_conduit', () => {
    expect(projectSchema('acme-api', 'conduit')).toBe('acme_api_conduit')
    expect(projectSchema('acme-api', 'tasks')).toBe('acme_api_tasks')
  })
})

if (POSTGRES_URL !== null) {
  const url = POSTGRES_URL

  describe('CleoWorkspace server option on PostgreSQL', () => {
    it('two hosts with the same project key share messages, the queue and agent identity; the rest stays local', async () => {
      const root = tempDir()
      const project = freshProject()
      const { signaldockSchema, nexusSchema, signaldock, nexus } = fleetGlobals(url)
      const server = { postgres: url, project }
      const a = host(root, 'host-a')
      const b = host(root, 'host-b')
      const wa = await CleoWorkspace.open(a.projectDir, { globalDir: a.globalDir, server, signaldock, nexus })
      const wb = await CleoWorkspace.open(b.projectDir, { globalDir: b.globalDir, server, signaldock, nexus })
      try {
        expect(wa.tasks.dialect).toBe('postgres')
        expect(wa.conduit.dialect).toBe('postgres')
        expect(wa.signaldock.dialect).toBe('postgres')
        expect(wa.conduit.path).toContain(`#${projectSchema(project, 'conduit')}`)

        // Identity registered on host A is known on host B (one signaldock on the server).
        await wa.agents.register({ agentId: 'alice', name: 'Alice', apiKey: KEY, attach: true })
        await wb.agents.register({ agentId: 'bob', name: 'Bob', apiKey: KEY.replace('0', '1'), attach: true })
        expect((await wb.agents.list()).map((r) => r.agent.agentId).sort()).toEqual(['alice', 'bob'])

        // A message sent on host A is in bob's inbox on host B.
        await wa.conduit.messages.send({ from: 'alice', to: 'bob', content: 'release at five' })
        const page = await wb.conduit.inbox.page('bob')
        expect(page.items.map((m) => m.content)).toEqual(['release at five'])

        // A job enqueued on host B is claimed and acked on host A, once.
        await wb.conduit.queue.enqueue({ queue: 'deploy', payload: { sha: 'abc' } })
        const [job] = await wa.conduit.queue.claim(1, { queue: 'deploy', owner: 'host-a', leaseMs: 30_000 })
        expect(job!.payload).toEqual({ sha: 'abc' })
        expect(await wb.conduit.queue.claim(1, { queue: 'deploy', owner: 'host-b', leaseMs: 30_000 })).toEqual([])
        await wa.conduit.queue.ack(job!.lease)
        expect(await wb.conduit.queue.stats('deploy')).toMatchObject({ depth: 0, done: 1 })

        // Tasks created on host A are ready work on host B; a claim on B holds against A.
        const blocker = await wa.tasks.create({ title: 'migrate the schema' })
        const blocked = await wa.tasks.create({ title: 'deploy', priority: 'high' })
        await wa.tasks.dependencies.add(blocked.id, blocker.id)
        const next = await wb.tasks.claims.claimNext({ agent: 'bob', ttlMs: 60_000 })
        expect(next!.task.id).toBe(blocker.id)
        expect(await wa.tasks.claims.claimNext({ agent: 'alice', ttlMs: 60_000 })).toBeNull()
        expect((await wa.tasks.create({ title: 'third' })).id).toBe('T3')

        // One project for the fleet: the same id on both hosts, in one registry on the server.
        expect(wa.nexus.dialect).toBe('postgres')
        expect(wb.projectId).toBe(wa.projectId)
        expect((await wa.nexus.projects.list()).map((p) => p.id)).toEqual([wa.projectId])
        expect(await wa.nexus.audit.list({ projectId: wa.projectId })).toEqual(await wb.nexus.audit.list({ projectId: wa.projectId }))

        // Memory is shared: host B finds what host A's agents learned.
        expect(wa.brain.dialect).toBe('postgres')
        const { memory } = await wa.brain.record({ kind: 'learning', insight: 'the staging database needs a vacuum after each import', source: 'host-a', confidence: 0.8 })
        expect((await wb.brain.search('vacuum staging', { mode: 'fts' })).map((hit) => hit.id)).toEqual([memory.id])

        // Local: only the key files; no store file in the project or the global directory.
        expect(readdirSync(join(a.projectDir, '.cleo')).filter((f) => f.endsWith('.db'))).toEqual([])
        expect(readdirSync(a.globalDir).filter((f) => f.endsWith('.db'))).toEqual([])
        // Nothing local to back up: the backup says so and points at pg_dump.
        const refused = await expectCode(wa.backup(join(root, 'backups')), 'UNSUPPORTED')
        expect(refused.message).toContain(`pg_dump --schema=${projectSchema(project, 'brain')}`)
      } finally {
        await wa.close()
        await wb.close()
        await dropProject(url, project, signaldockSchema, nexusSchema)
      }
    })

    it('check and backup say what they cover: server stores get the workspace checks, not the file checks, and are listed, not copied', async () => {
      const root = tempDir()
      const project = freshProject()
      const { signaldockSchema, nexusSchema, signaldock, nexus } = fleetGlobals(url)
      const a = host(root, 'a')
      const ws = await CleoWorkspace.open(a.projectDir, { globalDir: a.globalDir, server: { postgres: url, project }, signaldock, nexus })
      try {
        // A dangling reference inside the server stores: an agent attached and its credential cached, then removed from signaldock.
        await ws.agents.register({ agentId: 'ghost', name: 'Ghost', apiKey: KEY, attach: true })
        await ws.signaldock.agents.remove('ghost')
        const report = await ws.check()
        expect(report.findings.filter((f) => f.check.startsWith('refs.')).map((f) => [f.check, f.store, f.details?.['dangling']])).toEqual([
          ['refs.project-agents', 'conduit', ['ghost']],
          ['refs.credential-cache', 'tasks', ['ghost']],
        ])
        const where = Object.fromEntries(Object.entries(report.stores).map(([store, r]) => [store, [r!.engine, r!.location.replace(/^.*#/, '#')]]))
        expect(where).toMatchObject({
          tasks: ['postgres', `#${projectSchema(project, 'tasks')}`],
          conduit: ['postgres', `#${projectSchema(project, 'conduit')}`],
          signaldock: ['postgres', `#${signaldockSchema}`],
          brain: ['postgres', `#${projectSchema(project, 'brain')}`],
          nexus: ['postgres', `#${nexusSchema}`],
        })
        expect(report.findings.filter((f) => f.check === 'sqlite.integrity')).toEqual([])
        expect((await ws.repair()).actions.filter((x) => x.check.startsWith('refs.')).map((x) => [x.check, x.changes])).toEqual([
          ['refs.project-agents', 1],
          ['refs.credential-cache', 1],
        ])
        expect((await ws.check()).findings).toEqual([])

        // The server stores' schemas are checked: a constraint left NOT VALID is an error of that store.
        const admin = new pg.Client({ connectionString: url })
        await admin.connect()
        try {
          await admin.query(`ALTER TABLE "${projectSchema(project, 'tasks')}".tasks ADD CONSTRAINT left_unchecked CHECK (true) NOT VALID`)
          const flagged = await ws.check()
          expect(flagged.findings.map((f) => [f.check, f.store, f.code])).toEqual([['server.schema', 'tasks', 'server-schema']])
          expect(flagged.findings[0]!.message).toContain('left_unchecked')
          expect(flagged.stores.tasks?.ok).toBe(false)
          await admin.query(`ALTER TABLE "${projectSchema(project, 'tasks')}".tasks DROP CONSTRAINT left_unchecked`)
        } finally {
          await admin.end()
        }

        // Every store is on the server: a backup has nothing to copy, and names what to dump instead.
        const all = await expectCode(ws.backup(join(root, 'backups')), 'UNSUPPORTED')
        const onServer = (all.details as { onServer: Array<{ store: string; schema: string; location: string }> }).onServer
        expect(onServer.map((s) => [s.store, s.schema])).toEqual([
          ['tasks', projectSchema(project, 'tasks')],
          ['brain', projectSchema(project, 'brain')],
          ['conduit', projectSchema(project, 'conduit')],
          ['nexus', nexusSchema],
          ['signaldock', signaldockSchema],
        ])
        expect(onServer.every((s) => s.location.startsWith('postgres://') && s.location.endsWith(`#${s.schema}`))).toBe(true)
        const refused = await expectCode(ws.backup(join(root, 'backups'), { stores: ['tasks'] }), 'UNSUPPORTED')
        expect(refused.message).toContain(`pg_dump --schema=${projectSchema(project, 'tasks')}`)
        expect(refused.details).toMatchObject({ path: ['stores'], store: 'tasks' })
      } finally {
        await ws.close()
        await dropProject(url, project, signaldockSchema, nexusSchema)
      }
    })

    it('remove --global fails closed for the fleet: an agent attached in another project on the server is not deleted', async () => {
      const root = tempDir()
      const first = freshProject()
      const second = freshProject()
      const { signaldockSchema, nexusSchema, signaldock, nexus } = fleetGlobals(url)
      const a = host(root, 'a')
      const b = host(root, 'b')
      const wa = await CleoWorkspace.open(a.projectDir, { globalDir: a.globalDir, server: { postgres: url, project: first }, signaldock, nexus })
      const wb = await CleoWorkspace.open(b.projectDir, { globalDir: b.globalDir, server: { postgres: url, project: second }, signaldock, nexus })
      try {
        // Unique to this process: the scan reads every project conduit in the run's database, other test files' too.
        const shared = `shared-${process.pid}`
        await wb.agents.register({ agentId: shared, name: 'Shared', apiKey: KEY, attach: true })
        const refused = await expectCode(wa.agents.remove(shared, { global: true }), 'CONFLICT')
        expect(refused.details).toMatchObject({ agentId: shared, projects: [expect.stringMatching(new RegExp(`^postgres://.*#${projectSchema(second, 'conduit')}$`))] })
        expect(await wa.signaldock.agents.get(shared)).not.toBeNull()
        await wb.agents.detach(shared)
        expect((await wa.agents.remove(shared, { global: true })).agentRemoved).toBe(true)
      } finally {
        await wa.close()
        await wb.close()
        await dropProject(url, first, signaldockSchema, nexusSchema)
        await dropProject(url, second)
      }
    })

    it('a workspace created pool is ended on close; a pool you pass is not', async () => {
      const root = tempDir()
      const project = freshProject()
      const { signaldockSchema, nexusSchema, signaldock, nexus } = fleetGlobals(url)
      const a = host(root, 'a')
      const pool = new pg.Pool({ connectionString: url, max: 3 })
      try {
        const ws = await CleoWorkspace.open(a.projectDir, { globalDir: a.globalDir, server: { postgres: pool, project }, signaldock, nexus })
        const { conduit } = ws
        await conduit.queue.enqueue({ queue: 'q', payload: 1 })
        await ws.close()
        // The caller's pool still works; the store is closed.
        expect((await pool.query('select 1 as one')).rows).toEqual([{ one: 1 }])
        await expectCode(conduit.queue.stats('q'), 'CLOSED')

        const owned = await CleoWorkspace.open(a.projectDir, { globalDir: a.globalDir, server: { postgres: url, project }, signaldock, nexus })
        // Another workspace of this process on the same global directory must name the same nexus.
        const b = host(root, 'b')
        const mismatch = await expectCode(CleoWorkspace.open(b.projectDir, { globalDir: a.globalDir, signaldock }), 'CONFLICT')
        expect(mismatch.details).toMatchObject({ reason: 'nexus-mismatch' })
        expect(await owned.conduit.queue.stats('q')).toMatchObject({ ready: 1 })
        await owned.close()
        // The server ends a backend a moment after its client hung up: wait for the count to reach 0
        // (bounded; a pool left open never gets there).
        const connections = async () =>
          Number(
            (
              await pool.query<{ n: string }>(`select count(*) as n from pg_stat_activity where application_name = $1`, [
                `cleo-store project ${project}`,
              ])
            ).rows[0]!.n,
          )
        let left = await connections()
        for (let tries = 0; left > 0 && tries < 200; tries++) {
          await new Promise((resolve) => setTimeout(resolve, 50))
          left = await connections()
        }
        expect(left).toBe(0)
      } finally {
        await pool.end()
        await dropProject(url, project, signaldockSchema, nexusSchema)
      }
    })
  })
}
