/**
 * A project shared by a fleet of machines on PostgreSQL (issues 20 and 21): a
 * project that started on one machine is moved to the server with
 * `migrateToServer`; then two "hosts" (two checkouts with their own global
 * directories) open it with the same `server` setting and share its tasks, memory,
 * messages, delivery queue and registry — `claimNext` never hands one task to both,
 * what one host learns the other finds, a host waiting on the queue wakes when the
 * other enqueues.
 *
 *   npm run build && CLEO_PG_URL=postgres://user@host/db node examples/fleet-on-postgres.ts [dir]
 *
 * Needs a server (and `npm install pg`): without CLEO_PG_URL it says so and exits.
 * It works in throw-away schemas, dropped at the end.
 */
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { CleoWorkspace } from 'cleo-store'
import pg from 'pg'

const url = process.env['CLEO_PG_URL']
if (!url) {
  console.log('set CLEO_PG_URL=postgres://user@host:port/database to run this example against a PostgreSQL server')
  process.exit(0)
}
const root = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'cleo-fleet-'))
const project = `fleet-demo-${process.pid}`
const server = { postgres: url, project }
// The demo keeps the fleet's registries in schemas of its own (the defaults are `signaldock` and `nexus`).
const signaldock = { postgres: url, schema: `fleet_demo_${process.pid}_signaldock` }
const nexus = { postgres: url, schema: `fleet_demo_${process.pid}_nexus` }

const checkout = (name: string) => {
  const projectDir = join(root, name, 'app')
  mkdirSync(projectDir, { recursive: true })
  return { projectDir, globalDir: join(root, name, 'global') }
}
const a = checkout('host-a')
const b = checkout('host-b')

try {
  // 1. The project starts local on host A, with some work in it.
  const local = await CleoWorkspace.open(a.projectDir, { globalDir: a.globalDir })
  const schema = await local.tasks.create({ title: 'migrate the schema' })
  const deploy = await local.tasks.create({ title: 'deploy', priority: 'high' })
  await local.tasks.dependencies.add(deploy.id, schema.id)
  await local.brain.record({ kind: 'learning', insight: 'the staging database needs a vacuum after each import', source: 'ops', confidence: 0.8 })
  await local.close()

  // 2. Move it to the server (verified: row counts and checksums per table).
  const report = await CleoWorkspace.migrateToServer(a.projectDir, server, { globalDir: a.globalDir, nexus: { schema: nexus.schema } })
  for (const store of report.stores) {
    const rows = store.tables.reduce((sum, table) => sum + table.rows, 0)
    console.log(`moved ${store.store} into ${store.schema}: ${store.tables.length} tables, ${rows} rows, verified`)
  }

  // 3. Two hosts open it with the same key.
  const hostA = await CleoWorkspace.open(a.projectDir, { globalDir: a.globalDir, server, signaldock, nexus })
  const hostB = await CleoWorkspace.open(b.projectDir, { globalDir: b.globalDir, server, signaldock, nexus })
  try {
    if (hostB.projectId !== hostA.projectId) throw new Error('the hosts see two projects')
    console.log(`one project for the fleet: both hosts registered ${hostA.projectId} in one registry`)
    const [hit] = await hostB.brain.search('vacuum staging', { mode: 'fts' })
    if (hit?.kind !== 'learning') throw new Error('host b does not find what host a learned')
    console.log(`host b remembers what host a learned: ${JSON.stringify(hit.entry.insight)}`)

    const [first, second] = await Promise.all([
      hostA.tasks.claims.claimNext({ agent: 'builder-a', ttlMs: 600_000 }),
      hostB.tasks.claims.claimNext({ agent: 'builder-b', ttlMs: 600_000 }),
    ])
    const got = [first, second].filter((claim) => claim !== null).map((claim) => claim!.task.id)
    console.log(`both hosts ran claimNext at once: ${got.join(', ')} claimed once (the deploy waits for it)`)

    // Host B waits for deploy jobs; host A enqueues one: B wakes (LISTEN/NOTIFY) and takes it.
    const waiting = hostB.conduit.queue.wait('deploy', { timeoutMs: 30_000 })
    await hostA.conduit.queue.enqueue({ queue: 'deploy', payload: { sha: 'abc123' } })
    console.log(`host b woke: ${JSON.stringify(await waiting)}`)
    const [job] = await hostB.conduit.queue.claim(1, { queue: 'deploy', owner: 'host-b', leaseMs: 60_000 })
    await hostB.conduit.queue.ack(job!.lease)
    console.log(`host b acked job ${job!.id} (${JSON.stringify(job!.payload)}); host a sees ${JSON.stringify(await hostA.conduit.queue.stats('deploy'))}`)
  } finally {
    await Promise.all([hostA.close(), hostB.close()])
  }
} finally {
  // Drop the demo's schemas.
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  const base = project.replaceAll('-', '_')
  for (const schema of [`${base}_tasks`, `${base}_brain`, `${base}_conduit`, signaldock.schema, nexus.schema]) {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  }
  await admin.end()
}
