/**
 * tasks.db in one sitting: a small plan with dependencies, the ready queue, an
 * agent claiming work with a fenced lease inside a session, a lifecycle gate, and
 * the audit trail all of it left behind.
 *
 *   npm run build && node examples/tasks.ts [directory]
 *
 * Without a directory a temporary one is used.
 */
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { CleoStoreError, TasksRepository } from 'cleo-store'

const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'cleo-tasks-'))
mkdirSync(join(dir, '.cleo'), { recursive: true }) // a repository never creates directories
const tasks = await TasksRepository.open(join(dir, '.cleo', 'tasks.db'), { actor: 'example' })
try {
  // A plan: an epic with three tasks, the grammar waiting for the lexer.
  const epic = await tasks.create({ title: 'Parser', type: 'epic', priority: 'high' })
  const lexer = await tasks.create({ title: 'Write the lexer', parentId: epic.id, priority: 'critical' })
  const grammar = await tasks.create({ title: 'Write the grammar', parentId: epic.id, dependsOn: [lexer.id] })
  const docs = await tasks.create({ title: 'Document the parser', parentId: epic.id, priority: 'low' })
  console.log(`created ${epic.id} (epic) with ${lexer.id}, ${grammar.id} (waits for ${lexer.id}), ${docs.id}`)

  try {
    await tasks.dependencies.add(lexer.id, grammar.id)
  } catch (error) {
    if (!(error instanceof CleoStoreError) || error.code !== 'CYCLE') throw error
    console.log(`refused: ${error.message}`)
  }

  console.log(`ready: ${(await tasks.dependencies.ready()).items.map((t) => `${t.id} (${t.priority})`).join(', ')}`)

  // An agent works in a session and takes the next task with a lease.
  const session = await tasks.sessions.start({ name: 'parser work', scope: { type: 'epic', epicId: epic.id }, agent: 'agent-7' })
  const who = { actor: 'agent-7', sessionId: session.id }
  const next = await tasks.claims.claimNext({ agent: 'agent-7', ttlMs: 60_000 }, who)
  if (next === null) throw new Error('nothing ready')
  console.log(`agent-7 claimed ${next.task.id} with fencing token ${next.claim.token} until ${next.claim.expiresAt}`)
  await tasks.sessions.setCurrentTask(session.id, next.task.id, who)
  await tasks.update(next.task.id, { status: 'active' }, { ...who, claimToken: next.claim.token })
  await tasks.update(next.task.id, { status: 'done' }, { ...who, claimToken: next.claim.token })
  console.log(`${next.task.id} done; ready now: ${(await tasks.dependencies.ready()).items.map((t) => t.id).join(', ')}`)

  // Finish the rest: the epic completes itself with its last child.
  for (const id of [grammar.id, docs.id]) {
    await tasks.update(id, { status: 'active' }, who)
    await tasks.update(id, { status: 'done' }, who)
  }
  console.log(`${epic.id} is ${(await tasks.get(epic.id)).status} (auto-completed)`)
  await tasks.sessions.end(session.id, { note: 'parser shipped' }, who)

  // A lifecycle gate that fails blocks the stage until it passes (or is forced).
  const pipeline = await tasks.lifecycle.start(epic.id, { startAt: 'testing' })
  await tasks.lifecycle.recordGate(pipeline.id, { gate: 'tests-pass', result: 'fail', checkedBy: 'ci' })
  try {
    await tasks.lifecycle.advance(pipeline.id)
  } catch (error) {
    if (!(error instanceof CleoStoreError) || error.code !== 'INVARIANT') throw error
    console.log(`refused: ${error.message}`)
  }
  await tasks.lifecycle.recordGate(pipeline.id, { gate: 'tests-pass', result: 'pass', checkedBy: 'ci', evidence: [{ uri: 'https://ci.example/run/2', type: 'url' }] })
  console.log(`lifecycle moved to ${(await tasks.lifecycle.advance(pipeline.id)).currentStage}`)

  const { items } = await tasks.audit.list({ limit: 500 })
  console.log(`audit log: ${items.length} rows, newest: ${items.slice(0, 3).map((e) => `${e.action} by ${e.actor}`).join('; ')}`)
} finally {
  await tasks.close()
}
console.log(`tasks.db is in ${join(dir, '.cleo')}`)
