/**
 * signaldock on PostgreSQL: a workspace whose agent identities live on a server
 * shared by many hosts, while the project stores, nexus and the key files stay
 * local. Two "hosts" (two workspaces with their own global directories) register
 * the same agent at once: one row, one `created`.
 *
 *   npm run build && CLEO_PG_URL=postgres://user@host/db node examples/signaldock-postgres.ts [projectDir]
 *
 * Needs a server (and `npm install pg`): without CLEO_PG_URL it says so and exits.
 * It works in a throw-away schema, dropped at the end.
 */
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { CleoWorkspace, SignaldockRepository } from 'cleo-store'
import { sql } from 'kysely'
import type {} from 'cleo-store/kysely' // types repo.kysely as Kysely<SignaldockDatabase>

const url = process.env['CLEO_PG_URL']
if (!url) {
  console.log('set CLEO_PG_URL=postgres://user@host:port/database to run this example against a PostgreSQL server')
  process.exit(0)
}
const projectDir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'cleo-pg-'))
const schema = `cleo_demo_${process.pid}`
const signaldock = { postgres: url, schema }

// Two hosts: two global directories (key files, nexus) sharing one signaldock schema.
const hosts = ['host-a', 'host-b'].map((name) => {
  const dir = join(projectDir, name)
  mkdirSync(dir, { recursive: true })
  return dir
})
const [a, b] = await Promise.all(hosts.map((dir) => CleoWorkspace.open(dir, { globalDir: join(dir, '.global'), signaldock })))
try {
  console.log(`signaldock on ${a!.signaldock.path} (${a!.signaldock.dialect}, schema version ${a!.signaldock.schemaVersion})`)
  const results = await Promise.all(
    [a!, b!].map((ws, i) => ws.agents.register({ agentId: 'cleo-prime', name: `Cleo from host ${i + 1}`, capabilities: ['chat'] })),
  )
  console.log(`both hosts registered cleo-prime at once: created = ${results.map((r) => r.created).join(' / ')}; one row: ${results[0]!.agent.id === results[1]!.agent.id}`)
  await a!.agents.attach('cleo-prime')
  console.log(`host a sees: ${(await a!.agents.list()).map((r) => r.agent.agentId).join(', ')}; host b (not attached) sees ${(await b!.agents.list()).length} agents`)
  await a!.signaldock.availability.markDegraded('cleo-prime', { reason: 'slow responses', forMs: 60_000 })
  const choice = await b!.signaldock.availability.selectAgent(['cleo-prime'], { allowDegraded: true })
  console.log(`host b picks ${choice.agentId} (${choice.state}: ${choice.reason})`)
} finally {
  await Promise.all([a!.close(), b!.close()])
  // Clean up the demo schema through a repository's own Kysely (and end its pool).
  const repo = await SignaldockRepository.openPostgres(url, { schema })
  try {
    await sql`drop schema ${sql.id(schema)} cascade`.execute(repo.kysely)
    console.log(`dropped schema ${schema}`)
  } finally {
    await repo.close()
  }
}
