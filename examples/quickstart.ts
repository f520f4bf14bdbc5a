/**
 * Quickstart: open a real on-disk workspace, look at what was created, and close it.
 *
 *   npm install && npm run demo
 *
 * Pass a project directory as the first argument, or a temporary one is used.
 * The global stores go to `<project>/.global-demo` here so the demo leaves your
 * real ~/.local/share/cleo alone; in an application you would omit `globalDir`.
 */
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { CleoWorkspace, FeatureHashingEmbedder } from 'cleo-store'

const projectDir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'cleo-quickstart-'))
const globalDir = join(projectDir, '.global-demo')

// On Node >= 24 (or TypeScript-compiled code) `await using ws = …` closes it for you.
// The bundled feature-hashing embedder gives brain.db vector search offline; plug in a real model the same way.
const ws = await CleoWorkspace.open(projectDir, { globalDir, embedder: new FeatureHashingEmbedder({ dimensions: 64 }) })
try {
  console.log(`project:  ${ws.projectDir}`)
  console.log(`global:   ${ws.globalDir}`)
  console.log(`.cleo/:   ${readdirSync(join(projectDir, '.cleo')).filter((n) => n.endsWith('.db')).join(', ')}`)
  console.log(`global/:  ${readdirSync(globalDir).filter((n) => n.endsWith('.db')).join(', ')}`)
  console.log(`telemetry: ${ws.telemetry === null ? 'off (not opted in; no telemetry.db)' : 'on'}`)

  // tasks.db: two tasks, one depending on the other; ready work is the unblocked one.
  const schema = await ws.tasks.create({ title: 'Design the schema', priority: 'high' })
  const api = await ws.tasks.create({ title: 'Build the API', dependsOn: [schema.id] })
  const ready = await ws.tasks.dependencies.ready({ limit: 5 })
  console.log(`tasks:    ${schema.id} and ${api.id} created; ready now: ${ready.items.map((t) => t.id).join(', ')}`)

  // brain.db: a memory, found again by hybrid (full-text + vector) search.
  await ws.brain.record({ kind: 'learning', insight: 'Retry SQLite writes on BUSY with jitter', source: schema.id, confidence: 0.9 })
  const [hit] = await ws.brain.search('sqlite busy retry', { mode: 'hybrid', limit: 1 })
  console.log(`brain:    best hit is a ${hit?.kind} (score ${hit?.score.toFixed(3)})`)

  // signaldock.db + conduit.db: two agents attached to this project exchange a message.
  await ws.agents.register({ agentId: 'planner', name: 'Planner', attach: true })
  await ws.agents.register({ agentId: 'builder', name: 'Builder', attach: true })
  await ws.conduit.messages.send({ from: 'planner', to: 'builder', content: `${api.id} is yours once ${schema.id} is done` })
  const inbox = await ws.conduit.inbox.page('builder')
  console.log(`conduit:  builder has ${inbox.items.length} message(s): "${inbox.items[0]?.content}"`)

  for (const [name, store] of Object.entries({ tasks: ws.tasks, brain: ws.brain, conduit: ws.conduit, signaldock: ws.signaldock, nexus: ws.nexus })) {
    const report = await store.integrityCheck({ quick: true })
    console.log(`${name.padEnd(10)} schema ${store.schemaVersion}  integrity ${report.ok ? 'ok' : report.problems.join('; ')}`)
  }
} finally {
  await ws.close()
}

console.log('closed; run again with the same directory to reopen it:')
console.log(`  node examples/quickstart.ts ${projectDir}`)
