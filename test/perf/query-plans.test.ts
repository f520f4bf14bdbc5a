/**
 * Every statement the stores' hot paths prepare is checked with `EXPLAIN QUERY
 * PLAN`: none may read a table that grows with use by a full scan (`SCAN <table>`
 * without an index). A scenario drives each store on main through its hot
 * operations (workspace open, tasks, conduit, brain, signaldock, nexus, telemetry) while
 * `DatabaseSync.prototype.prepare` is observed; each prepared statement is
 * explained on its own connection.
 *
 * Two databases: a fresh one (no statistics, as in a new install: a missing index
 * shows there) and a large one — tasks.db holds {@link LARGE_TASKS} tasks with
 * dependencies and a tree, and every file is `ANALYZE`d, as the library's own
 * `close()` (`PRAGMA optimize`) leaves it. With statistics the planner may choose a
 * different join order; a plan that starts from the big table is a scan even when
 * it reads the table under an alias (`SCAN b`) or through a covering index with
 * no constraint (`SCAN d USING COVERING INDEX …`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { CleoWorkspace } from '../../src/workspace/workspace.js'

/** Tables whose size is fixed by the schema (seeded registries, bookkeeping). */
const FIXED_TABLES = new Set(['schema_meta', 'status_registry', 'kysely_migration', 'kysely_migration_lock', 'cleo_migration_checksum'])

/**
 * Statements allowed to scan, each with the reason (bulk maintenance or whole-table
 * exports by design, not per-call hot paths).
 */
const ALLOWED: ReadonlyArray<{ readonly pattern: RegExp; readonly why: string }> = [
  {
    pattern: /^(SELECT count\(\*\) AS n FROM tasks|select count\(\*\) as "n" from "(project_registry|telemetry_events)")$/,
    why: 'a row count (workspace registration, projects.count, telemetry.count): SQLite counts by reading the smallest index; O(n) by nature',
  },
  {
    pattern: /^select (\* from "project_agent_refs" order by "agent_id"|"agents"\.\* from "agents" order by "agents"\."agent_id")$/,
    why: 'unpaged list of every agent (the result is the table): walks the key index in order, nothing read that is not returned',
  },
  {
    pattern: /^select "agent_id", "api_key_encrypted" from "agents" where "api_key_encrypted" is not null and "requires_reauth" = \? order by "agent_id"$/,
    why: 'the re-authentication check at workspace open (issue 16): every sealed credential not yet marked is read once to compare the key id in its seal with this machine\'s key files; O(agents of the machine) by nature',
  },
  {
    pattern: /^WITH e AS \( SELECT command, CASE WHEN \? = 0/,
    why: 'telemetry.aggregate(): a report over the whole (retention-bounded) event table by design',
  },
  {
    pattern: /^select \* from "telemetry_events" order by "id" desc limit \?$/,
    why: 'recent(): walks the rowid b-tree newest first and stops at LIMIT (no sort, no filter)',
  },
  {
    pattern: /^delete from "telemetry_events" where "id" <= \(select "id" from "telemetry_events" order by "id" desc limit \? offset \?\)$/,
    why: 'retention prune (maintenance): finds the cut-off by walking the rowid b-tree newest first',
  },
]

/** Tasks seeded into the large database (with ~2 dependencies each and a tree of epics). */
const LARGE_TASKS = 20_000

interface Plan {
  readonly sql: string
  readonly details: readonly string[]
  readonly tables: ReadonlySet<string>
}

let plans = new Map<string, Plan>()
const tablesOf = new WeakMap<DatabaseSync, Set<string>>()
let capturing = false
const originalPrepare = DatabaseSync.prototype.prepare

function observe(): void {
  DatabaseSync.prototype.prepare = function (this: DatabaseSync, sqlText: string, ...rest: unknown[]) {
    const statement = (originalPrepare as (...a: unknown[]) => ReturnType<DatabaseSync['prepare']>).call(this, sqlText, ...rest)
    if (capturing && !plans.has(sqlText) && /^\s*(with|select|insert|update|delete|replace)\b/i.test(sqlText)) {
      let tables = tablesOf.get(this)
      if (tables === undefined) {
        tables = new Set(
          (originalPrepare.call(this, "SELECT name FROM sqlite_schema WHERE type = 'table'").all() as Array<{ name: string }>).map(
            (r) => r.name,
          ),
        )
        tablesOf.set(this, tables)
      }
      const rows = originalPrepare.call(this, `EXPLAIN QUERY PLAN ${sqlText}`).all() as Array<{ detail: string }>
      plans.set(sqlText, { sql: sqlText, details: rows.map((r) => r.detail), tables })
    }
    return statement
  } as DatabaseSync['prepare']
}

/** `alias → table` for every `table AS alias` (quoted or not) in the statement. */
function aliasesOf(sqlText: string, tables: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>()
  for (const m of sqlText.matchAll(/"?(\w+)"?\s+as\s+"?(\w+)"?/gi)) {
    if (tables.has(m[1]!)) out.set(m[2]!, m[1]!)
  }
  return out
}

/**
 * The plan lines that read a growing table whole: `SCAN x` (a table or an alias of
 * one) with no index, or through an index with no constraint (`SCAN x USING
 * [COVERING] INDEX i` has no `(col=?)` part: it walks the whole index).
 */
function fullScans(plan: Plan): string[] {
  const out: string[] = []
  const aliases = aliasesOf(plan.sql, plan.tables)
  // An ordered walk that stops at LIMIT: the outer loop reads an index in the
  // ORDER BY's order (no temp b-tree sorts the result) and the statement ends
  // with LIMIT — a page, not a scan.
  const orderedWalk = /\blimit\s+(\?|\d+)(\s+offset\s+(\?|\d+))?\s*$/i.test(plan.sql) && !plan.details.some((d) => /TEMP B-TREE FOR (ORDER BY|LAST)/.test(d))
  for (const [line, detail] of plan.details.entries()) {
    const match = /^SCAN (\w+)(?: AS \w+)?( USING (?:COVERING )?INDEX \w+)?$/.exec(detail)
    if (match === null) continue
    if (match[2] !== undefined && line === 0 && orderedWalk) continue
    const name = match[1]!
    const table = plan.tables.has(name) ? name : aliases.get(name)
    if (table !== undefined && !FIXED_TABLES.has(table)) out.push(detail)
  }
  return out
}

/** Seeds tasks.db with `count` tasks (every 50th an epic over the next 49, 30 % done) and ~2 edges per task. */
function seedLargeTasks(file: string, count: number): void {
  const db = new DatabaseSync(file)
  try {
    const t0 = 1_700_000_000_000
    db.exec('BEGIN IMMEDIATE')
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})
      INSERT INTO tasks (seq, id, title, status, priority, type, parent_id, labels_json, created_at, updated_at, completed_at)
      SELECT i, 'T' || i, 'task ' || i,
        CASE WHEN i % 50 = 1 THEN 'pending' WHEN i % 10 < 3 THEN 'done' ELSE 'pending' END,
        CASE i % 4 WHEN 0 THEN 'critical' WHEN 1 THEN 'high' WHEN 2 THEN 'medium' ELSE 'low' END,
        CASE WHEN i % 50 = 1 THEN 'epic' ELSE 'task' END,
        CASE WHEN i % 50 = 1 THEN NULL ELSE 'T' || (i - (i - 1) % 50) END,
        '[]', ${t0} + i, ${t0} + i, CASE WHEN i % 50 <> 1 AND i % 10 < 3 THEN ${t0} + i END
      FROM n`)
    db.exec(`WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ${2 * count})
      INSERT OR IGNORE INTO task_dependencies (task_id, depends_on, created_at)
      SELECT 'T' || a, 'T' || (1 + (i * 104729) % (a - 1)), ${t0} FROM (SELECT i, 2 + (i * 7919) % ${count - 1} AS a FROM k)`)
    db.exec(`UPDATE schema_meta SET value = '${count}' WHERE key = 'task_id_sequence'`)
    db.exec('COMMIT')
  } finally {
    db.close()
  }
}

function analyze(file: string): void {
  const db = new DatabaseSync(file)
  try {
    db.exec('ANALYZE')
  } finally {
    db.close()
  }
}

describe.each([
  { label: 'fresh database, no statistics', large: false },
  { label: `large ANALYZEd database (${LARGE_TASKS} tasks)`, large: true },
])('query plans of the hot paths: $label', ({ large }) => {
  let dir: string
  let files: string[] = []
  beforeAll(async () => {
    // Not tempDir(): that one is removed after each test, and the checks share it.
    dir = mkdtempSync(join(tmpdir(), 'cleo-plans-'))
    const project = join(dir, 'project')
    const globalDir = join(dir, 'global')
    files = [
      ...['tasks', 'brain', 'conduit'].map((s) => join(project, '.cleo', `${s}.db`)),
      ...['signaldock', 'nexus', 'telemetry'].map((s) => join(globalDir, `${s}.db`)),
    ]
    mkdirSync(project)
    // Create and migrate first; only what runs on an existing workspace is observed.
    await (await CleoWorkspace.open(project, { globalDir, telemetry: true })).close()
    if (large) {
      seedLargeTasks(files[0]!, LARGE_TASKS)
      for (const file of files) analyze(file)
    }
    plans = new Map()
    observe()
    capturing = true
    const ws = await CleoWorkspace.open(project, { globalDir, telemetry: true })
    try {
      await scenario(ws)
    } finally {
      await ws.close()
      capturing = false
    }
  })
  afterAll(() => {
    DatabaseSync.prototype.prepare = originalPrepare
    rmSync(dir, { recursive: true, force: true })
  })

  it('observed the statements of every store on main', () => {
    const text = [...plans.keys()].join('\n')
    for (const table of ['tasks', 'task_dependencies', 'audit_log', 'agents', 'project_registry', 'telemetry_events', 'messages', 'delivery_jobs', 'brain_observations']) {
      expect(text, table).toMatch(new RegExp(`\\b${table}\\b`))
    }
    expect(plans.size).toBeGreaterThan(40)
  })

  it('no hot query scans a growing table without an index', () => {
    const offenders = [...plans.values()]
      .filter((plan) => !ALLOWED.some((a) => a.pattern.test(plan.sql.replace(/\s+/g, ' ').trim())))
      .map((plan) => ({ scans: fullScans(plan), sql: plan.sql.replace(/\s+/g, ' ').slice(0, 300), plan: process.env.PLAN_DEBUG ? plan.details : undefined }))
      .filter((o) => o.scans.length > 0)
    if (process.env.PLAN_DEBUG) writeFileSync(join(tmpdir(), `plans-${large ? 'large' : 'fresh'}.json`), JSON.stringify(offenders, null, 1))
    expect(offenders).toEqual([])
  })

  it('every foreign key has an index leading with its child column (deletes of a parent never scan)', () => {
    const missing: string[] = []
    for (const file of files) {
      const db = new DatabaseSync(file, { readOnly: true })
      try {
        const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>
        for (const { name } of tables) {
          const keys = db.prepare('SELECT id, seq, "from" AS col FROM pragma_foreign_key_list(?) ORDER BY id, seq').all(name) as Array<{ id: number; col: string }>
          const groups = new Map<number, string[]>()
          for (const k of keys) groups.set(k.id, [...(groups.get(k.id) ?? []), k.col])
          const indexes = (db.prepare('SELECT name FROM pragma_index_list(?)').all(name) as Array<{ name: string }>).map((i) =>
            (db.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').all(i.name) as Array<{ name: string }>).map((c) => c.name),
          )
          const pk = (db.prepare('SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk').all(name) as Array<{ name: string }>).map((c) => c.name)
          for (const cols of groups.values()) {
            // A composite key is covered when an index leads with its first column: a
            // parent's delete then reads only that parent's children (e.g. the
            // approvals of one attachment) instead of the whole table.
            const covered = [pk, ...indexes].some((ix) => ix[0] === cols[0])
            if (!covered) missing.push(`${file.split('/').pop()}: ${name}(${cols.join(', ')})`)
          }
        }
      } finally {
        db.close()
      }
    }
    expect(missing).toEqual([])
  })
})

async function scenario(ws: CleoWorkspace): Promise<void> {
  const { tasks } = ws
  // tasks.db
  const session = await tasks.sessions.start({ id: 'S1', name: 'plan check' })
  const epic = await tasks.create({ title: 'Epic', type: 'epic' }, { sessionId: session.id })
  const a = await tasks.create({ title: 'Lexer', parentId: epic.id, labels: ['parser'], assignee: 'ada' })
  const b = await tasks.create({ title: 'Grammar', parentId: epic.id, dependsOn: [a.id] })
  const c = await tasks.create({ title: 'Emitter', parentId: epic.id })
  const sub = await tasks.create({ title: 'Tokens', parentId: a.id })
  await tasks.get(a.id)
  await tasks.find('T999')
  await tasks.list({ limit: 10 })
  await tasks.list({ status: 'pending', limit: 10 })
  await tasks.list({ status: ['pending', 'active'], limit: 10 })
  await tasks.list({ parentId: epic.id })
  await tasks.list({ parentId: null })
  await tasks.list({ type: 'task' })
  await tasks.list({ priority: 'high' })
  await tasks.list({ assignee: 'ada' })
  await tasks.list({ claimedBy: 'agent-1' })
  await tasks.list({ labels: ['parser'] })
  await tasks.list({ text: 'lexer' })
  await tasks.list({ archived: 'only' })
  await tasks.dependencies.add(c.id, b.id)
  await tasks.dependencies.list(c.id)
  await tasks.dependencies.dependents(a.id)
  await tasks.dependencies.blockers(c.id)
  await tasks.dependencies.blockers(c.id, { transitive: true })
  await tasks.dependencies.ready()
  await tasks.dependencies.ready({ agent: 'agent-1' })
  const firstReady = await tasks.dependencies.ready({ limit: 1 })
  await tasks.dependencies.ready({ limit: 1, cursor: firstReady.nextCursor ?? undefined })
  await tasks.dependencies.ready({ limit: 1, agent: 'agent-1', cursor: firstReady.nextCursor ?? undefined })
  await tasks.dependencies.next({ agent: 'agent-1' })
  await tasks.dependencies.remove(c.id, b.id)
  const claim = await tasks.claims.claim(sub.id, { agent: 'agent-1', ttlMs: 30_000 })
  await tasks.claims.renew(sub.id, claim.token, 30_000)
  await tasks.claims.release(sub.id, claim.token)
  const current = await tasks.get(sub.id)
  const started = await tasks.update(sub.id, { status: 'active' }, { expectedVersion: current.version })
  await tasks.update(sub.id, { status: 'done' }, { expectedVersion: started.version })
  await tasks.ancestors(sub.id)
  await tasks.descendants(epic.id)
  await tasks.archive(c.id)
  await tasks.restore(c.id)
  await tasks.audit.list({ taskId: a.id, limit: 5 })
  await tasks.sessions.end(session.id)
  // signaldock.db, through the workspace
  await ws.agents.register({ agentId: 'cleo-prime', name: 'Cleo Prime', class: 'orchestrator', apiKey: `sk_live_${'ab'.repeat(30)}` })
  await ws.agents.register({ agentId: 'helper', name: 'Helper', class: 'code_dev' })
  await ws.agents.attach('cleo-prime', { role: 'lead' })
  await ws.agents.list()
  await ws.agents.list({ global: true })
  await ws.agents.verifyApiKey('cleo-prime', `sk_live_${'ab'.repeat(30)}`)
  const sd = ws.signaldock
  await sd.agents.get('helper')
  await sd.agents.markUsed('helper')
  await sd.availability.markUnavailable('cleo-prime', { reason: 'rate limited', forMs: 60_000 })
  await sd.availability.selectAgent(['cleo-prime', 'helper'])
  await sd.connections.connect({ agentId: 'helper', connectionId: 'c1' })
  await sd.connections.heartbeat('helper', 'c1')
  await sd.connections.list('helper')
  const user = await sd.users.create({ email: 'ada@example.com', name: 'Ada' })
  await sd.authSessions.create({ userId: user.id, token: 'tok-0123456789abcdef0123456789', ttlMs: 60_000 })
  await sd.authSessions.getByToken('tok-0123456789abcdef0123456789')
  await sd.authSessions.pruneExpired()
  await ws.agents.detach('cleo-prime')
  // nexus.db
  const nexus = ws.nexus
  await nexus.audit.append({ action: 'route.sent', projectId: 'p1', sessionId: 's1', details: { to: 'T1' }, durationMs: 5 })
  await nexus.audit.list()
  const firstAudit = await nexus.audit.list({ limit: 1 })
  await nexus.audit.list({ limit: 1, cursor: firstAudit.nextCursor ?? undefined })
  const [project] = await nexus.projects.list()
  await nexus.projects.get(project!.id)
  await nexus.projects.findByPath(project!.path)
  await nexus.projects.count()
  // telemetry.db
  const telemetry = ws.telemetry!
  await telemetry.record({ command: 'tasks.add', domain: 'tasks', operation: 'add', durationMs: 10, exitCode: 0 })
  await telemetry.recent(10)
  await telemetry.aggregate()
  await telemetry.count()
  await telemetry.prune()
  // conduit.db
  const conduit = ws.conduit
  // Through a workspace the write guard wants the agents in signaldock first.
  for (const agent of ['alice', 'bob', 'carol']) await ws.signaldock.agents.register({ agentId: agent, name: agent })
  for (const agent of ['alice', 'bob', 'carol']) await conduit.agentRefs.attach(agent)
  const { message } = await conduit.messages.send({ from: 'alice', to: 'bob', content: 'build is green', deliver: true })
  await conduit.conversations.createGroup({ createdBy: 'alice', participants: ['bob', 'carol'], name: 'team' })
  await conduit.messages.send({ from: 'alice', group: 'team', content: 'release at five', idempotencyKey: 'k1' })
  await conduit.messages.send({ from: 'bob', conversationId: message.conversationId, content: 'thanks', replyTo: message.id })
  await conduit.messages.get(message.id)
  await conduit.messages.history(message.conversationId, { limit: 10 })
  await conduit.messages.thread(message.id)
  await conduit.messages.search({ query: 'build green' })
  await conduit.messages.search({ query: 'build', agentId: 'bob' })
  await conduit.messages.search({ query: 'build', order: 'recent' })
  const page = await conduit.inbox.page('bob', { limit: 10 })
  await conduit.inbox.commit('bob', page.position)
  await conduit.inbox.markRead('bob', [message.id])
  await conduit.inbox.unreadCount('bob')
  await conduit.conversations.list()
  await conduit.queue.enqueue({ queue: 'q', payload: { n: 1 }, partitionKey: 'p', ordered: true })
  const [job] = await conduit.queue.claim(5, { queue: 'conduit.delivery', owner: 'w1', leaseMs: 30_000 })
  if (job) await conduit.queue.ack(job.lease)
  const [job2] = await conduit.queue.claim(1, { queue: 'q', owner: 'w1', leaseMs: 30_000 })
  if (job2) await conduit.queue.nack(job2.lease)
  await conduit.queue.stats('q')
  // issue 20: what the waits check
  await conduit.queue.wait('q', { timeoutMs: 0 })
  await conduit.inbox.wait('bob', { timeoutMs: 0 })
  // brain.db
  const brain = ws.brain
  const { memory } = await brain.record({ kind: 'observation', title: 'Deployment pipeline times out', narrative: 'cold caches' })
  await brain.record({ kind: 'decision', type: 'technical', decision: 'Use WAL', rationale: 'readers never block', confidence: 'high' })
  await brain.get(memory.id)
  await brain.list({ limit: 10 })
  await brain.search('pipeline timeout', { mode: 'fts' })
}
