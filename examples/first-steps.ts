/**
 * First steps: the program at the top of the README, line for line.
 *
 *   node examples/first-steps.ts [projectDir]      (after `npm run build`)
 *
 * It opens a workspace in projectDir (default: the current directory; it creates .cleo/ there)
 * and the global stores in $CLEO_HOME (else the platform data dir). The test suite runs it
 * with both pointed at temporary directories.
 */
import { CleoWorkspace } from 'cleo-store'

const projectDir = process.argv[2] ?? process.cwd()
const ws = await CleoWorkspace.open(projectDir) // creates <projectDir>/.cleo/{tasks,brain,conduit}.db
try {
  // Tasks with a dependency: only the unblocked one is ready work.
  const schema = await ws.tasks.create({ title: 'Design the schema', priority: 'high' })
  await ws.tasks.create({ title: 'Build the API', dependsOn: [schema.id] })
  const { items: ready } = await ws.tasks.dependencies.ready({ limit: 10 })
  console.log(ready.map((t) => `${t.id} ${t.title}`)) // [ 'T1 Design the schema' ]

  // Agent memory, found again by full-text search.
  await ws.brain.record({ kind: 'learning', insight: 'Retry SQLite writes on BUSY', source: schema.id, confidence: 0.9 })
  const [hit] = await ws.brain.search('busy retry', { mode: 'fts' })
  console.log(hit?.kind, hit?.score)

  // Two agents of this project exchange a message.
  await ws.agents.register({ agentId: 'planner', name: 'Planner', attach: true })
  await ws.agents.register({ agentId: 'builder', name: 'Builder', attach: true })
  await ws.conduit.messages.send({ from: 'planner', to: 'builder', content: `${schema.id} is yours` })
  const inbox = await ws.conduit.inbox.page('builder')
  console.log(inbox.items.map((m) => m.content))
} finally {
  await ws.close()
}
