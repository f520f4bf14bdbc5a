/**
 * tasks' schema on PostgreSQL (migrations/tasks/0001_initial.postgres.ts), checked
 * against the SQLite tasks.db it renders: the same tables, columns (in order),
 * indexes and triggers; the guards refuse and allow what SQLite's do, with the same
 * message and code; the maintenance triggers maintain the same rows, and the ready
 * counters equal a recount after a seeded mix of raw statements on both engines.
 * Every comparison runs the same SQL text on both. The PostgreSQL leg is registered
 * when the run has a server; the checksum test always runs.
 */
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'

import { tasksMigrations } from '../../migrations/tasks/index.js'
import { migrationChecksum, rebuildsTables } from '../../src/sqlite/migrate.js'
import { TasksRepository } from '../../src/tasks/tasks-repository.js'
import { TASKS_STORE } from '../../src/tasks/tasks.store.js'
import { prng } from '../brain/fixtures/prng.js'
import { expectCode } from '../helpers.js'
import { POSTGRES_URL, freshSchema } from './pg-test-schemas.js'
import type { GuardCase, RenditionDifferences, Row, SchemaPair } from './schema-pair.js'
import { appliedMigrations, expectSameTables, expectSameTriggers, itRendersGuards, normalise, outcome, schemaPair, schemaPairOpeners } from './schema-pair.js'

/**
 * What the rendition leaves out or adds on purpose (everything else must match):
 * the FTS5 index and its sync triggers; the search vector and its GIN index; the
 * 0/1 flags and the priority rank stay `integer`.
 */
const DIFFERENCES: RenditionDifferences = {
  sqliteOnlyTables: /^tasks_fts/,
  sqliteOnlyTriggers: ['tasks_fts_insert', 'tasks_fts_delete', 'tasks_fts_update'],
  postgresOnlyColumns: { tasks: ['search_vector'] },
  postgresOnlyIndexes: ['tasks_search_idx'],
  smallIntegers: [
    'tasks.priority_rank',
    'tasks.no_auto_complete',
    'tasks.workable',
    'sessions.exclusive',
    'status_registry.is_terminal',
    'lifecycle_gate_results.required',
    'pipeline_manifest.distilled',
    'audit_log.success',
    'agent_credentials.is_active',
  ],
}

/**
 * The checksums of tasks' migrations as released (the SHA-256 of their SQLite
 * emission): the PostgreSQL rendition must not change a byte of what SQLite runs.
 */
const RELEASED_CHECKSUMS: Readonly<Record<string, string>> = {
  '0001_initial': '98f4beaa72d7497c7497825ab87a2816b4fc6c6b9ebc81887479897a7ed44ee0',
  '0002_task_graph': 'ee1574a521e2469f955c52e9d2ca8c3c05909917b625fbc33460f79c5bb50463',
  '0003_lifecycle': '39999c22587b24e45043cbce1c0ea9e564f744497507920907d68eb76b09c3e2',
  '0004_audit_and_tokens': 'f2e0c6ed52e0c2727efef2baccf9db188a868ae363fc16148526df3560739900',
  '0005_adrs': '77548b59c34223450abb9072fc59530d44a0bf91b329af2c7ec223ea6cb8ff02',
  '0006_links_and_agents': '33b646561c90260399d7e788ac3481e839e6858f2d1a4d976ab595fd32158060',
  '0010_agent_credentials': '4f02b3677c025d6bbb4f49b1b34309ef5dba60f5d292f93bd6b6a9b0863b2b49',
  '0011_daemon_sessions': '95d9dc560bf8c5a990208037acd69b43878c3a289bf72058324dd1dc21303ab1',
  '0012_operations_and_pipeline_invariant': '325cafa2b816e742ba557a6df12c6a993dfd8790d40340d7c5f9d4c2762bb60a',
  '0013_ready_counts': '1245b87815922d0e2593971f9cd0f29c8d330cd82588c8a13ade93063f9cd367',
  '0014_cleo_task_ids': 'dcfa7afdf06d5b311751020ff3d26b599e3e65499a5a22d6286905d2199f0c1f',
}

describe('tasks migrations with a PostgreSQL rendition', () => {
  it('emit on SQLite what the released migrations emitted (same checksums), and 0014 still rebuilds tables', async () => {
    expect(Object.keys(tasksMigrations).sort()).toEqual(Object.keys(RELEASED_CHECKSUMS).sort())
    for (const [name, checksum] of Object.entries(RELEASED_CHECKSUMS)) {
      expect(await migrationChecksum(tasksMigrations[name]!), name).toBe(checksum)
      expect(rebuildsTables(tasksMigrations[name]!), name).toBe(name === '0014_cleo_task_ids')
    }
  })
})

if (POSTGRES_URL !== null) {
  const url = POSTGRES_URL
  const { openPostgres, openPair } = schemaPairOpeners(TASKS_STORE, url, () => TasksRepository.open(':memory:'))

  /** Runs each statement on both engines; each must end the same way on both. */
  async function sameOutcomes(pair: SchemaPair, statements: readonly string[]): Promise<string[]> {
    const outcomes: string[] = []
    for (const statement of statements) {
      const onSqlite = await outcome(pair.onSqlite(statement))
      expect(await outcome(pair.onPostgres(statement)), statement).toBe(onSqlite)
      outcomes.push(onSqlite)
    }
    return outcomes
  }

  const task = (seq: number, type: string, parent: string | null, extra = '') =>
    `INSERT INTO tasks (seq, id, title, type, parent_id, created_at, updated_at${extra === '' ? '' : ', status, completed_at'})
      VALUES (${seq}, 'T${seq}', 'task ${seq}', '${type}', ${parent === null ? 'NULL' : `'${parent}'`}, ${seq}, 0${extra})`

  /** Several tasks in one INSERT: `[seq, type, parent]` each. */
  const tasks = (...rows: Array<[number, string, string | null]>) =>
    `INSERT INTO tasks (seq, id, title, type, parent_id, created_at, updated_at) VALUES ${rows
      .map(([seq, type, parent]) => `(${seq}, 'T${seq}', 'task ${seq}', '${type}', ${parent === null ? 'NULL' : `'${parent}'`}, ${seq}, 0)`)
      .join(', ')}`

  /** T1 epic > T2 task > T3 subtask; T4 a root task with a pipeline at research; a session; two ADRs; a writer fence. */
  const FIXTURE = [
    task(1, 'epic', null),
    task(2, 'task', 'T1'),
    task(3, 'subtask', 'T2'),
    task(4, 'task', null),
    `INSERT INTO lifecycle_pipelines (id, task_id, current_stage, started_at, updated_at) VALUES ('p1', 'T4', 'research', 0, 0)`,
    `INSERT INTO sessions (id, name, started_at, updated_at) VALUES ('s1', 'one', 0, 0)`,
    `INSERT INTO architecture_decisions (id, title, created_at, updated_at) VALUES ('ADR-1', 'one', 0, 0), ('ADR-2', 'two', 0, 0)`,
    `INSERT INTO writer_fences (name, token) VALUES ('daemon', 5)`,
  ]

  /** The rows the guards protect, compared after the legal statements (audit ids left out: an identity spends a value on a refused insert). */
  const STATE = [
    'SELECT seq, id, title, type, parent_id, status, completed_at, cancelled_at FROM tasks ORDER BY seq',
    'SELECT id, status, current_stage FROM lifecycle_pipelines ORDER BY id',
    'SELECT id, status, scope_key, ended_at, suspended_at FROM sessions ORDER BY id',
    'SELECT * FROM session_end_events ORDER BY session_id',
    'SELECT id, status, supersedes_id, superseded_by_id, amends_id FROM architecture_decisions ORDER BY id',
    'SELECT * FROM writer_fences ORDER BY name',
    'SELECT kind, domain, operation, success, entity_id FROM audit_log ORDER BY id',
  ]

  /** For each guard trigger: what it refuses, and a legal statement touching the same columns. */
  const GUARDS: readonly GuardCase[] = [
    {
      trigger: 'tasks_hierarchy_insert',
      table: 'tasks',
      setup: [],
      // The parent is a row of the same statement: the guard sees it, as SQLite's row-by-row trigger does.
      refused: tasks([5, 'epic', null], [6, 'subtask', 'T5']),
      legal: [task(5, 'task', 'T1'), tasks([6, 'subtask', 'T5'], [7, 'epic', null], [8, 'task', 'T7'])],
    },
    {
      trigger: 'tasks_hierarchy_update',
      table: 'tasks',
      setup: [],
      refused: `UPDATE tasks SET parent_id = 'T2' WHERE id = 'T4'`,
      legal: [`UPDATE tasks SET parent_id = 'T1' WHERE id = 'T4'`, `UPDATE tasks SET parent_id = 'T1', type = 'epic' WHERE id = 'T4'`],
    },
    {
      trigger: 'tasks_hierarchy_retype',
      table: 'tasks',
      setup: [],
      refused: `UPDATE tasks SET type = 'task' WHERE id = 'T1'`,
      legal: [`UPDATE tasks SET type = 'epic' WHERE id = 'T4'`, `UPDATE tasks SET type = 'epic' WHERE id = 'T1'`],
    },
    {
      trigger: 'tasks_id_immutable',
      table: 'tasks',
      setup: [],
      // Refused even when the value does not change: naming the column is enough.
      refused: `UPDATE tasks SET seq = 1 WHERE id = 'T1'`,
      legal: [`UPDATE tasks SET title = 'renamed' WHERE id = 'T1'`],
    },
    {
      trigger: 'architecture_decisions_pointers_guard',
      table: 'architecture_decisions',
      setup: [],
      refused: `UPDATE architecture_decisions SET supersedes_id = 'ADR-2' WHERE id = 'ADR-1'`,
      legal: [
        `INSERT INTO adr_relations (from_adr_id, to_adr_id, relation_type, created_at) VALUES ('ADR-1', 'ADR-2', 'supersedes', 0)`,
        `UPDATE architecture_decisions SET supersedes_id = 'ADR-2' WHERE id = 'ADR-1'`,
        `UPDATE architecture_decisions SET amends_id = NULL WHERE id = 'ADR-1'`,
      ],
    },
    {
      trigger: 'sessions_status_forward',
      table: 'sessions',
      setup: [],
      refused: `UPDATE sessions SET status = 'creating' WHERE id = 's1'`,
      legal: [
        `UPDATE sessions SET status = 'suspended', suspended_at = 1 WHERE id = 's1'`,
        `UPDATE sessions SET status = 'ended', suspended_at = NULL, ended_at = 2 WHERE id = 's1'`,
        `UPDATE sessions SET status = 'ended', name = 'closed' WHERE id = 's1'`,
      ],
    },
    {
      trigger: 'writer_fences_forward',
      table: 'writer_fences',
      setup: [],
      refused: `UPDATE writer_fences SET token = 4 WHERE name = 'daemon'`,
      legal: [`UPDATE writer_fences SET token = 5 WHERE name = 'daemon'`, `UPDATE writer_fences SET token = 6 WHERE name = 'daemon'`],
    },
    {
      trigger: 'audit_log_operation_shape',
      table: 'audit_log',
      setup: [],
      refused: `INSERT INTO audit_log (timestamp, action, entity_type, entity_id, kind) VALUES (0, 'add', 'audit', 'tasks.add', 'operation')`,
      legal: [
        `INSERT INTO audit_log (timestamp, action, entity_type, entity_id, kind, domain, operation, success)
          VALUES (0, 'add', 'audit', 'tasks.add', 'operation', 'tasks', 'add', 1)`,
        `INSERT INTO audit_log (timestamp, action, entity_type, entity_id) VALUES (0, 'update', 'task', 'T1')`,
      ],
    },
    {
      trigger: 'tasks_done_needs_finished_pipeline',
      table: 'tasks',
      setup: [],
      refused: `UPDATE tasks SET status = 'done', completed_at = 1 WHERE id = 'T4'`,
      legal: [
        `UPDATE tasks SET status = 'done', completed_at = 1 WHERE id = 'T3'`,
        `UPDATE lifecycle_pipelines SET current_stage = 'contribution' WHERE id = 'p1'`,
        `UPDATE tasks SET status = 'done', completed_at = 1 WHERE id = 'T4'`,
      ],
    },
    {
      trigger: 'tasks_cancel_needs_no_open_pipeline',
      table: 'tasks',
      setup: [],
      refused: `UPDATE tasks SET status = 'cancelled', cancelled_at = 1 WHERE id = 'T4'`,
      legal: [
        `UPDATE lifecycle_pipelines SET status = 'cancelled' WHERE id = 'p1'`,
        `UPDATE tasks SET status = 'cancelled', cancelled_at = 1 WHERE id = 'T4'`,
      ],
    },
  ]

  /** Each task's counters as stored and as recounted from the rows (0013's definitions), on one engine. */
  const COUNTERS = `SELECT t.id, t.unresolved_blockers, t.open_children, t.held_by_ancestors,
      (SELECT count(*) FROM task_dependencies AS d JOIN tasks AS b ON b.id = d.depends_on
        WHERE d.task_id = t.id AND b.status NOT IN ('done', 'cancelled')) AS blockers_recounted,
      (SELECT count(*) FROM tasks AS c
        WHERE c.parent_id = t.id AND c.status NOT IN ('done', 'cancelled') AND c.archived_at IS NULL) AS children_recounted,
      (WITH RECURSIVE up(id) AS (
          SELECT t.parent_id
          UNION ALL SELECT p.parent_id FROM up JOIN tasks AS p ON p.id = up.id WHERE p.parent_id IS NOT NULL)
        SELECT count(*) FROM up JOIN tasks AS a ON a.id = up.id
        WHERE EXISTS (SELECT 1 FROM task_dependencies AS d JOIN tasks AS b ON b.id = d.depends_on
          WHERE d.task_id = a.id AND b.status NOT IN ('done', 'cancelled'))) AS held_recounted,
      t.workable, t.priority_rank
    FROM tasks AS t ORDER BY t.seq`
  /** The ready walk of 0013's partial index, in its order. */
  const READY = `SELECT id FROM tasks
    WHERE workable = 1 AND unresolved_blockers = 0 AND open_children = 0 AND held_by_ancestors = 0
    ORDER BY priority_rank, created_at, seq`

  interface Model {
    readonly tasks: Array<{ id: string; seq: number; type: string; parent: string | null }>
    readonly edges: Array<{ task: string; dependsOn: string }>
  }

  /** Reads what the next random statement is chosen from (SQLite's rows; PostgreSQL's are compared to them). */
  async function readModel(pair: SchemaPair): Promise<Model> {
    const tasks = normalise(await pair.onSqlite('SELECT id, seq, type, parent_id FROM tasks ORDER BY seq')).map((row) => ({
      id: String(row['id']),
      seq: Number(row['seq']),
      type: String(row['type']),
      parent: row['parent_id'] === null ? null : String(row['parent_id']),
    }))
    const edges = (await pair.onSqlite('SELECT task_id, depends_on FROM task_dependencies ORDER BY task_id, depends_on')).map((row) => ({
      task: String(row['task_id']),
      dependsOn: String(row['depends_on']),
    }))
    return { tasks, edges }
  }

  /** The ids of `id` and everything under it (a reparent below them would close a cycle). */
  function subtree(model: Model, id: string): Set<string> {
    const found = new Set([id])
    for (let grew = true; grew; ) {
      grew = false
      for (const t of model.tasks) {
        if (t.parent !== null && found.has(t.parent) && !found.has(t.id)) {
          found.add(t.id)
          grew = true
        }
      }
    }
    return found
  }

  const STATUSES: Record<string, string> = {
    pending: `status = 'pending', completed_at = NULL, cancelled_at = NULL`,
    active: `status = 'active', completed_at = NULL, cancelled_at = NULL`,
    blocked: `status = 'blocked', completed_at = NULL, cancelled_at = NULL`,
    done: `status = 'done', completed_at = 7, cancelled_at = NULL`,
    cancelled: `status = 'cancelled', completed_at = NULL, cancelled_at = 7`,
  }

  /**
   * The next statement of the seeded sequence: one task or edge at a time (as the
   * repository writes), plus multi-row status changes and edge deletes, and single
   * statements that move a task and change its status. Chosen from
   * the current rows so that it is mostly legal; a refused one must be refused by
   * both engines. Never a reparent that closes a cycle (the repository's check).
   */
  function nextStatement(random: () => number, model: Model, seq: number): { kind: string; text: string } {
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
    const ids = model.tasks.map((t) => t.id)
    const roll = random()
    if (model.tasks.length < 4 || roll < 0.22) {
      const type = pick(['epic', 'task', 'task', 'subtask'])
      const parents = model.tasks.filter((t) => (type === 'subtask' ? t.type === 'task' : t.type === 'epic'))
      const parent = type === 'subtask' || (parents.length > 0 && random() < 0.7) ? (parents.length > 0 ? pick(parents).id : null) : null
      if (type === 'subtask' && parent === null) return { kind: 'insert task', text: task(seq, 'task', null) }
      const status = pick(['pending', 'pending', 'active', 'done'])
      return { kind: 'insert task', text: task(seq, type, parent, status === 'done' ? `, 'done', 7` : `, '${status}', NULL`) }
    }
    if (roll < 0.45) {
      return { kind: 'status', text: `UPDATE tasks SET ${STATUSES[pick(Object.keys(STATUSES))]} WHERE id = '${pick(ids)}'` }
    }
    if (roll < 0.5) {
      return {
        kind: 'status, many rows',
        text: `UPDATE tasks SET ${STATUSES[pick(['pending', 'done', 'cancelled'])]} WHERE status = '${pick(['active', 'pending', 'done'])}' AND seq % 3 = ${Math.floor(random() * 3)}`,
      }
    }
    if (roll < 0.56) {
      const archive = random() < 0.6
      return {
        kind: 'archive',
        text: `UPDATE tasks SET archived_at = ${archive ? 9 : 'NULL'}, archive_reason = ${archive ? `'deleted'` : 'NULL'} WHERE id = '${pick(ids)}'`,
      }
    }
    if (roll < 0.62) {
      const moved = pick(model.tasks)
      const below = subtree(model, moved.id)
      const targets = model.tasks.filter((t) => !below.has(t.id))
      const target = targets.length > 0 && random() < 0.85 ? pick(targets).id : null
      return { kind: 'reparent', text: `UPDATE tasks SET parent_id = ${target === null ? 'NULL' : `'${target}'`} WHERE id = '${moved.id}'` }
    }
    if (roll < 0.68) {
      // One statement moving a task and resolving (or reopening) it: preferably under a
      // task that depends on it, so that the new parent's hold changes in the same statement.
      const moved = pick(model.tasks)
      const below = subtree(model, moved.id)
      const fits = (id: string) => {
        const type = model.tasks.find((t) => t.id === id)!.type
        return !below.has(id) && (moved.type === 'subtask' ? type === 'task' : type === 'epic')
      }
      const dependents = model.edges.filter((e) => e.dependsOn === moved.id && fits(e.task)).map((e) => e.task)
      const targets = dependents.length > 0 ? dependents : model.tasks.map((t) => t.id).filter(fits)
      if (targets.length === 0) return { kind: 'noop', text: 'SELECT 1' }
      return {
        kind: 'reparent and status',
        text: `UPDATE tasks SET parent_id = '${pick(targets)}', ${STATUSES[pick(Object.keys(STATUSES))]} WHERE id = '${moved.id}'`,
      }
    }
    if (roll < 0.84) {
      const from = pick(ids)
      const to = pick(ids)
      if (from === to || model.edges.some((e) => e.task === from && e.dependsOn === to)) return { kind: 'noop', text: 'SELECT 1' }
      return { kind: 'add edge', text: `INSERT INTO task_dependencies (task_id, depends_on, created_at) VALUES ('${from}', '${to}', 0)` }
    }
    if (model.edges.length > 0 && roll < 0.9) {
      const edge = pick(model.edges)
      return { kind: 'drop edge', text: `DELETE FROM task_dependencies WHERE task_id = '${edge.task}' AND depends_on = '${edge.dependsOn}'` }
    }
    if (model.edges.length > 0 && roll < 0.94) {
      const edge = pick(model.edges)
      const to = pick(ids)
      if (to === edge.task || model.edges.some((e) => e.task === edge.task && e.dependsOn === to)) return { kind: 'noop', text: 'SELECT 1' }
      return {
        kind: 'move edge',
        text: `UPDATE task_dependencies SET depends_on = '${to}' WHERE task_id = '${edge.task}' AND depends_on = '${edge.dependsOn}'`,
      }
    }
    if (roll < 0.97) return { kind: 'drop edges, many rows', text: `DELETE FROM task_dependencies WHERE depends_on = '${pick(ids)}'` }
    // A leaf (the parent key restricts deleting a task with children); its edges cascade.
    const leaves = model.tasks.filter((t) => !model.tasks.some((c) => c.parent === t.id))
    return { kind: 'delete task', text: `DELETE FROM tasks WHERE id = '${pick(leaves).id}'` }
  }

  describe('tasks schema on PostgreSQL', () => {
    it('migrates on the first open into its own schema: checksums, schema_meta seeded as on SQLite, status registry', async () => {
      const schema = freshSchema('tasks')
      const first = await openPostgres(schema)
      const names = Object.keys(tasksMigrations).sort()
      expect(first.schemaVersion).toBe(names.at(-1))
      const applied = await appliedMigrations(first, schema)
      expect(applied.map((row) => row.name)).toEqual(names)
      // The checksum of each migration is the SHA-256 of its SQLite emission, on PostgreSQL too.
      expect(applied.map((row) => row.checksum)).toEqual(await Promise.all(names.map((name) => migrationChecksum(tasksMigrations[name]!))))
      const stray = await sql<Row>`select to_regclass('public.tasks') as tasks, to_regprocedure('public.cleo_task_misplaced(text, text)') as fn`.execute(
        first.kysely,
      )
      expect(stray.rows[0]).toEqual({ tasks: null, fn: null })

      const pair = schemaPair((await openPair()).lite, first)
      const meta = await pair.select('SELECT key, value FROM schema_meta ORDER BY key')
      expect(meta.sqlite).toEqual([
        { key: 'store', value: 'tasks' },
        { key: 'task_id_format', value: 'plain' },
        { key: 'task_id_sequence', value: 0 },
      ])
      expect(meta.postgres).toEqual(meta.sqlite)
      const stamps = await pair.onPostgres('SELECT updated_at FROM schema_meta')
      for (const stamp of stamps) expect(Number(stamp['updated_at'])).toBeGreaterThan(Date.UTC(2025, 0, 1))
      const registry = await pair.select('SELECT * FROM status_registry ORDER BY entity_type, name')
      expect(registry.sqlite).toHaveLength(47)
      expect(registry.postgres).toEqual(registry.sqlite)
    })

    it('reopens a migrated schema and verifies its checksums (tasks keeps its meta in schema_meta, not tasks_schema_meta)', async () => {
      const schema = freshSchema('tasks')
      const first = await openPostgres(schema)
      await first.close()
      const second = await openPostgres(schema)
      expect(second.schemaVersion).toBe(first.schemaVersion)
      expect((await second.integrityCheck()).ok).toBe(true)
      await sql`update ${sql.table(`${schema}.cleo_migration_checksum`)} set checksum = 'edited' where name = '0005_adrs'`.execute(second.kysely)
      await second.close()
      await expectCode(openPostgres(schema), 'MIGRATION_FAILED')
    })

    it('has every table, column (same order, mapped type, nullability, default, generated) and index of a migrated SQLite tasks.db', async () => {
      const pair = await openPair()
      await expectSameTables(pair, DIFFERENCES)
      const generated = await sql<Row>`
        select column_name, data_type, generation_expression from information_schema.columns
        where table_schema = ${pair.pg.schema} and is_generated = 'ALWAYS' order by table_name, ordinal_position`.execute(pair.pg.kysely)
      expect(generated.rows.map((row) => `${String(row['column_name'])} ${String(row['data_type'])}`)).toEqual([
        'scope_key text',
        'priority_rank integer',
        'workable integer',
        'search_vector tsvector',
      ])
    })

    it('has a trigger of the same name, timing, event (UPDATE OF columns) and table for every SQLite trigger but the FTS ones', async () => {
      expect(await expectSameTriggers(await openPair(), DIFFERENCES, GUARDS)).toHaveLength(29)
    })

    itRendersGuards(openPair, FIXTURE, GUARDS, STATE)

    it('ready counters: a seeded mix of task and dependency statements leaves the same counters on both engines, equal to a recount', async () => {
      const pair = await openPair()
      const random = prng(20)
      const kinds = new Map<string, number>()
      const seen = { blockers: 0, children: 0, held: 0, ready: 0, refused: 0 }
      let seq = 0
      for (let step = 0; step < 260; step++) {
        const model = await readModel(pair)
        const { kind, text } = nextStatement(random, model, seq + 1)
        if (kind === 'insert task') seq++
        const [ended] = await sameOutcomes(pair, [text])
        if (ended !== 'ok') seen.refused++
        else if (kind !== 'noop') kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
        const counters = await pair.select(COUNTERS)
        expect(counters.postgres, `step ${step}: ${text}`).toEqual(counters.sqlite)
        for (const row of counters.sqlite) {
          expect(
            [row['unresolved_blockers'], row['open_children'], row['held_by_ancestors']],
            `step ${step}: ${text} (${String(row['id'])})`,
          ).toEqual([row['blockers_recounted'], row['children_recounted'], row['held_recounted']])
          if (Number(row['unresolved_blockers']) > 0) seen.blockers++
          if (Number(row['open_children']) > 0) seen.children++
          if (Number(row['held_by_ancestors']) > 0) seen.held++
        }
        const ready = await pair.select(READY)
        expect(ready.postgres, `step ${step}: ${text}`).toEqual(ready.sqlite)
        seen.ready += ready.sqlite.length
      }
      // The sequence moved every counter and ran every kind of statement.
      expect(Object.values(seen).every((n) => n > 0), JSON.stringify(seen)).toBe(true)
      expect([...kinds.keys()].sort()).toEqual([
        'add edge',
        'archive',
        'delete task',
        'drop edge',
        'drop edges, many rows',
        'insert task',
        'move edge',
        'reparent',
        'reparent and status',
        'status',
        'status, many rows',
      ])
    })

    it('ADR relations keep the pointer columns and the related mirror rows, both ways', async () => {
      const pair = await openPair()
      const steps = [
        `INSERT INTO architecture_decisions (id, title, status, created_at, updated_at)
          VALUES ('ADR-1', 'one', 'accepted', 0, 0), ('ADR-2', 'two', 'accepted', 0, 0), ('ADR-3', 'three', 'proposed', 0, 0)`,
        `INSERT INTO adr_relations (from_adr_id, to_adr_id, relation_type, created_at) VALUES ('ADR-2', 'ADR-1', 'supersedes', 1)`,
        `INSERT INTO adr_relations (from_adr_id, to_adr_id, relation_type, created_at) VALUES ('ADR-3', 'ADR-2', 'amends', 2)`,
        `INSERT INTO adr_relations (from_adr_id, to_adr_id, relation_type, created_at) VALUES ('ADR-1', 'ADR-3', 'related', 3)`,
        `INSERT INTO adr_relations (from_adr_id, to_adr_id, relation_type, created_at) VALUES ('ADR-2', 'ADR-3', 'related', 4)`,
      ]
      const state = async () => ({
        decisions: await pair.select('SELECT id, status, supersedes_id, superseded_by_id, amends_id FROM architecture_decisions ORDER BY id'),
        relations: await pair.select('SELECT * FROM adr_relations ORDER BY from_adr_id, to_adr_id, relation_type'),
      })
      for (const statement of steps) await pair.both(statement)
      const linked = await state()
      expect(linked.decisions.sqlite).toEqual([
        { id: 'ADR-1', status: 'superseded', supersedes_id: null, superseded_by_id: 'ADR-2', amends_id: null },
        { id: 'ADR-2', status: 'accepted', supersedes_id: 'ADR-1', superseded_by_id: null, amends_id: null },
        { id: 'ADR-3', status: 'proposed', supersedes_id: null, superseded_by_id: null, amends_id: 'ADR-2' },
      ])
      expect(linked.relations.sqlite).toHaveLength(6)
      expect(linked.decisions.postgres).toEqual(linked.decisions.sqlite)
      expect(linked.relations.postgres).toEqual(linked.relations.sqlite)

      for (const statement of [
        `DELETE FROM adr_relations WHERE relation_type = 'supersedes'`,
        `DELETE FROM adr_relations WHERE from_adr_id = 'ADR-3' AND relation_type IN ('amends', 'related')`,
      ]) {
        await pair.both(statement)
      }
      const unlinked = await state()
      expect(unlinked.decisions.sqlite.map((row) => [row['status'], row['supersedes_id'], row['superseded_by_id'], row['amends_id']])).toEqual([
        ['accepted', null, null, null],
        ['accepted', null, null, null],
        ['proposed', null, null, null],
      ])
      expect(unlinked.relations.sqlite).toEqual([])
      expect(unlinked.decisions.postgres).toEqual(unlinked.decisions.sqlite)
      expect(unlinked.relations.postgres).toEqual(unlinked.relations.sqlite)
    })

    it('session end events: written when a session ends, is orphaned, is created ended or is deleted; never twice', async () => {
      const pair = await openPair()
      for (const statement of [
        `INSERT INTO sessions (id, name, exclusive, started_at, updated_at) VALUES ('s1', 'one', 0, 0, 1), ('s2', 'two', 0, 0, 2), ('s3', 'three', 0, 0, 3)`,
        `INSERT INTO sessions (id, name, status, started_at, updated_at, ended_at) VALUES ('s4', 'four', 'orphaned', 0, 4, 40)`,
        `UPDATE sessions SET status = 'ended', ended_at = 10 WHERE id = 's1'`,
        `UPDATE sessions SET status = 'suspended', suspended_at = 5, updated_at = 6 WHERE id = 's2'`,
        `UPDATE sessions SET status = 'ended', suspended_at = NULL, ended_at = 12 WHERE id = 's2'`,
        `UPDATE sessions SET status = 'ended', name = 'closed' WHERE id = 's2'`,
        `DELETE FROM sessions WHERE id IN ('s1', 's3')`,
      ]) {
        await pair.both(statement)
      }
      const events = await pair.select('SELECT * FROM session_end_events ORDER BY session_id')
      expect(events.sqlite).toEqual([
        { session_id: 's1', reason: 'deleted', at: 1 },
        { session_id: 's2', reason: 'ended', at: 12 },
        { session_id: 's3', reason: 'deleted', at: 3 },
        { session_id: 's4', reason: 'orphaned', at: 40 },
      ])
      expect(events.postgres).toEqual(events.sqlite)
    })

    it("task ids: the CHECK admits 'T' || seq and printf('T%03d', seq), zero-padded and never cut, and nothing else", async () => {
      const pair = await openPair()
      const cases: Array<[number, string]> = []
      for (const seq of [1, 7, 10, 99, 100, 999, 1000, 1001, 12345]) {
        for (const id of new Set([`T${seq}`, `T${String(seq).padStart(3, '0')}`, `T0${seq}`, `T${String(seq).padStart(4, '0')}`, `T${String(seq).slice(0, 3)}`, `t${seq}`])) {
          cases.push([seq, id])
        }
      }
      const accepted: string[] = []
      for (const [seq, id] of cases) {
        const [ended] = await sameOutcomes(pair, [
          `INSERT INTO tasks (seq, id, title, created_at, updated_at) VALUES (${seq}, '${id}', 'x', 0, 0)`,
        ])
        if (ended === 'ok') {
          accepted.push(id)
          await pair.both(`DELETE FROM tasks WHERE seq = ${seq}`)
        } else {
          expect(ended, id).toBe('INVARIANT')
        }
      }
      expect(accepted).toEqual(['T1', 'T001', 'T7', 'T007', 'T10', 'T010', 'T99', 'T099', 'T100', 'T999', 'T1000', 'T1001', 'T12345'])
    })

    it('GLOB CHECKs (ADR ids, decision dates) and JSON CHECKs accept and refuse the same values as SQLite', async () => {
      const pair = await openPair()
      const adrs = ['ADR-1', 'ADR-0042', 'ADR-', 'ADR-1a', 'adr-1', 'ADR-x1', 'ADR-1 ', ' ADR-1', 'ADR-١', 'ADR-12\n', 'ADR--1']
      const dates = ['2026-12-02', '2026-1-02', '2026-12-02x', '20261202', '2026-12-0', 'abcd-ef-gh', '٢٠٢٦-12-02']
      const labels = ['[]', '["a", 1]', '{}', '{', '"[]"', '[1,]', ' [] ']
      const outcomes = await sameOutcomes(pair, [
        ...adrs.map((id, i) => `INSERT INTO architecture_decisions (id, title, created_at, updated_at) VALUES ('${id}', 'a${i}', 0, 0)`),
        ...dates.map((date, i) => `INSERT INTO architecture_decisions (id, title, decided_on, created_at, updated_at) VALUES ('ADR-9${i}', 'd', '${date}', 0, 0)`),
        ...labels.map((value, i) => `INSERT INTO tasks (seq, id, title, labels_json, created_at, updated_at) VALUES (${i + 1}, 'T${i + 1}', 'x', '${value}', 0, 0)`),
      ])
      expect(outcomes).toEqual([
        ...['ok', 'ok', 'INVARIANT', 'INVARIANT', 'INVARIANT', 'INVARIANT', 'INVARIANT', 'INVARIANT', 'INVARIANT', 'INVARIANT', 'INVARIANT'],
        ...['ok', 'INVARIANT', 'INVARIANT', 'INVARIANT', 'INVARIANT', 'INVARIANT', 'INVARIANT'],
        ...['ok', 'ok', 'INVARIANT', 'INVARIANT', 'INVARIANT', 'INVARIANT', 'ok'],
      ])
    })

    it('search_vector: generated from title and description on insert and update, served by a GIN index', async () => {
      const pair = await openPair()
      await pair.onPostgres(`INSERT INTO tasks (seq, id, title, description, created_at, updated_at) VALUES (1, 'T1', 'Fix login', 'crashes on Submit', 0, 0)`)
      await pair.onPostgres(`INSERT INTO tasks (seq, id, title, created_at, updated_at) VALUES (2, 'T2', 'Deploy', 0, 0)`)
      const matches = async (query: string) =>
        (await pair.onPostgres(`SELECT id FROM tasks WHERE search_vector @@ to_tsquery('simple', '${query}') ORDER BY seq`)).map((row) => row['id'])
      expect(await matches('login')).toEqual(['T1'])
      expect(await matches('submit')).toEqual(['T1'])
      expect(await matches('deploy')).toEqual(['T2'])
      // The weights tell the columns apart: A the title, B the description.
      expect(await matches('login:A')).toEqual(['T1'])
      expect(await matches('submit:A')).toEqual([])
      expect(await matches('submit:B')).toEqual(['T1'])
      expect(await matches('crashes <-> on')).toEqual(['T1'])
      await pair.onPostgres(`UPDATE tasks SET description = 'Grüße aus Köln' WHERE id = 'T1'`)
      expect(await matches('submit')).toEqual([])
      // Accents are folded on the way in (cleo_search_text), as FTS5's remove_diacritics does: the query folds too.
      expect(await matches('koln')).toEqual(['T1'])
      expect(await matches('köln')).toEqual([])
      const index = await pair.onPostgres(`SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'tasks_search_idx'`)
      expect(String(index[0]?.['indexdef'])).toMatch(/USING gin \(search_vector\)/)
    })

    it('maintenance triggers work through schema-qualified statements, whatever the search_path', async () => {
      const pg = await openPostgres()
      const db = pg.kysely // qualifies every table with the store's schema; the session's search_path is the server default
      const row = (seq: number, parent: string | null) => ({ seq, id: `T${seq}`, title: `t${seq}`, type: parent === null ? 'epic' : 'task', parent_id: parent, created_at: seq, updated_at: 0 })
      await db.insertInto('tasks').values([row(1, null), row(2, 'T1'), row(3, null)]).execute()
      await db.insertInto('task_dependencies').values({ task_id: 'T1', depends_on: 'T3', created_at: 0 }).execute()
      const counters = async () =>
        normalise(await db.selectFrom('tasks').select(['id', 'unresolved_blockers', 'open_children', 'held_by_ancestors']).orderBy('seq').execute())
      expect(await counters()).toEqual([
        { id: 'T1', unresolved_blockers: 1, open_children: 1, held_by_ancestors: 0 },
        { id: 'T2', unresolved_blockers: 0, open_children: 0, held_by_ancestors: 1 },
        { id: 'T3', unresolved_blockers: 0, open_children: 0, held_by_ancestors: 0 },
      ])
      await db.updateTable('tasks').set({ status: 'done', completed_at: 1 }).where('id', '=', 'T3').execute()
      expect((await counters()).map((r) => r['held_by_ancestors'])).toEqual([0, 0, 0])
      await expectCode(db.updateTable('tasks').set({ type: 'task' }).where('id', '=', 'T1').execute(), 'INVARIANT')
    })
  })
}
