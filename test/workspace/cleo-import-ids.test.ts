/**
 * Issue 18 item 1: CLEO's task ids (`T001`) are kept exactly. tasks.db 0014 rebuilds
 * `tasks` with a CHECK that admits CLEO's zero-padded form, through the migration
 * runner's opt-in table-rebuild flag (foreign_keys OFF outside the transaction, the
 * foreign-key check before COMMIT, the setting restored after).
 */
import { join } from 'node:path'

import type { Kysely } from 'kysely'
import { sql } from 'kysely'
import type { Migration } from 'kysely/migration'
import { afterEach, describe, expect, it, vi } from 'vitest'

import { openDatabase } from '../../src/sqlite/open-database.js'
import { formatTaskId, TASK_ID_REGEX, taskIdNumber } from '../../src/tasks/task-ids.js'
import { TaskIdSchema } from '../../src/tasks/tasks.schemas.js'
import { TASKS_STORE } from '../../src/tasks/tasks.store.js'
import { tempDir } from '../helpers.js'

type TasksModule = typeof import('../../src/tasks/index.js')

/** The tasks module as it is with only the migrations before 0014 (the released schema). */
async function tasksBefore0014(): Promise<TasksModule> {
  vi.resetModules()
  vi.doMock('../../migrations/tasks/index.js', async (importOriginal) => {
    const real = await importOriginal<{ tasksMigrations: Record<string, Migration> }>()
    return {
      tasksMigrations: Object.freeze(Object.fromEntries(Object.entries(real.tasksMigrations).filter(([name]) => name < '0014'))),
    }
  })
  const module = await import('../../src/tasks/index.js')
  vi.doUnmock('../../migrations/tasks/index.js')
  vi.resetModules()
  return module
}

afterEach(() => {
  vi.doUnmock('../../migrations/tasks/index.js')
  vi.resetModules()
})

/** Rows per user table (FTS shadow tables and migration bookkeeping left out). */
async function tableCounts(kysely: Kysely<any>): Promise<Record<string, number>> {
  const tables = await sql<{ name: string }>`SELECT name FROM sqlite_schema WHERE type = 'table'
    AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'tasks_fts%' AND name NOT IN ('kysely_migration', 'kysely_migration_lock', 'cleo_migration_checksum', 'schema_meta')
    ORDER BY name`.execute(kysely)
  const counts: Record<string, number> = {}
  for (const { name } of tables.rows) {
    const row = await sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.table(name)}`.execute(kysely)
    counts[name] = Number(row.rows[0]!.n)
  }
  return counts
}

/** Schema objects of tasks (indexes and triggers), by name → SQL. */
async function tasksSchema(kysely: Kysely<any>): Promise<Record<string, string>> {
  const rows = await sql<{ name: string; sql: string }>`SELECT name, sql FROM sqlite_schema
    WHERE tbl_name = 'tasks' AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY name`.execute(kysely)
  return Object.fromEntries(rows.rows.map((r) => [r.name, r.sql]))
}

describe('task ids in both forms', () => {
  it('the id pattern admits T1…, and CLEO\'s T001…T099, nothing else', () => {
    for (const id of ['T1', 'T42', 'T999', 'T1000', 'T001', 'T009', 'T010', 'T099']) expect(TASK_ID_REGEX.test(id), id).toBe(true)
    for (const id of ['T0', 'T000', 'T0001', 'T0100', 'T01', 't1', 'T', 'X001', 'T1a']) expect(TASK_ID_REGEX.test(id), id).toBe(false)
    expect(TaskIdSchema.parse('T001')).toBe('T001')
    expect(TaskIdSchema.safeParse('T0001').success).toBe(false)
    expect([formatTaskId(4, 'cleo'), formatTaskId(42, 'cleo'), formatTaskId(1234, 'cleo'), formatTaskId(4, 'plain'), formatTaskId(4, null)]).toEqual([
      'T004',
      'T042',
      'T1234',
      'T4',
      'T4',
    ])
    expect([taskIdNumber('T007'), taskIdNumber('T7'), taskIdNumber('T0007')]).toEqual([7, 7, null])
  })
})

describe('tasks.db 0014: the tasks rebuild on a populated database', () => {
  it('keeps every row of every table, the indexes and triggers, FTS and the ready counters', async () => {
    const file = join(tempDir(), 'tasks.db')
    const old = await tasksBefore0014()
    const before = await old.TasksRepository.open(file, { actor: 'tester' })
    let schemaBefore: Record<string, string>
    let countsBefore: Record<string, number>
    try {
      const applied = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(before.kysely)
      expect(applied.rows.map((r) => r.name)).not.toContain('0014_cleo_task_ids')
      const session = await before.sessions.start({ id: 'S1', name: 'work' })
      const epic = await before.create({ title: 'Epic parser', type: 'epic' })
      const lexer = await before.create({ title: 'Lexer tokens', parentId: epic.id })
      const grammar = await before.create({ title: 'Grammar rules', parentId: epic.id, dependsOn: [lexer.id] })
      await before.create({ title: 'Grammar subtask', parentId: grammar.id, type: 'subtask' })
      await before.relations.add({ taskId: grammar.id, relatedTo: lexer.id })
      await before.sessions.setCurrentTask(session.id, lexer.id)
      const pipeline = await before.lifecycle.start(epic.id)
      await before.lifecycle.recordGate(pipeline.id, { gate: 'sources', result: 'pass', checkedBy: 'ci' })
      await before.lifecycle.addEvidence(pipeline.id, { uri: 'docs/notes.md', type: 'file' })
      await before.lifecycle.advance(pipeline.id)
      await before.manifests.record({ type: 'notes', content: 'hello', taskId: epic.id })
      const adr = await before.adrs.create({ id: 'ADR-001', title: 'Use SQLite' })
      await before.adrs.linkTask(adr.id, grammar.id)
      await before.externalLinks.link({ taskId: lexer.id, providerId: 'github', externalId: 'o/r#1' })
      await before.tokens.record({ provider: 'anthropic', model: 'opus', inputTokens: 10, outputTokens: 2, sessionId: session.id, taskId: lexer.id })
      expect([epic.id, lexer.id, grammar.id]).toEqual(['T1', 'T2', 'T3'])
      schemaBefore = await tasksSchema(before.kysely)
      countsBefore = await tableCounts(before.kysely)
    } finally {
      await before.close()
    }
    expect(countsBefore.tasks).toBe(4)
    for (const child of ['task_dependencies', 'task_relations', 'lifecycle_pipelines', 'lifecycle_stages', 'lifecycle_gate_results', 'lifecycle_evidence', 'lifecycle_transitions', 'pipeline_manifest', 'adr_task_links', 'external_task_links', 'token_usage', 'audit_log', 'task_work_history']) {
      expect(countsBefore[child], child).toBeGreaterThan(0)
    }

    const { TasksRepository } = await import('../../src/tasks/index.js')
    const after = await TasksRepository.open(file, { actor: 'tester' })
    try {
      const applied = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(after.kysely)
      expect(applied.rows.map((r) => r.name)).toContain('0014_cleo_task_ids')
      expect(await tableCounts(after.kysely)).toEqual(countsBefore)
      expect(await tasksSchema(after.kysely)).toEqual(schemaBefore)
      const table = await sql<{ sql: string }>`SELECT sql FROM sqlite_schema WHERE name = 'tasks'`.execute(after.kysely)
      expect(table.rows[0]!.sql).toContain("printf('T%03d', seq)")
      const fk = await sql<{ foreign_keys: number }>`PRAGMA foreign_keys`.execute(after.kysely)
      expect(fk.rows[0]!.foreign_keys).toBe(1)
      expect((await sql`PRAGMA foreign_key_check`.execute(after.kysely)).rows).toEqual([])
      const format = await sql<{ value: string }>`SELECT value FROM schema_meta WHERE key = 'task_id_format'`.execute(after.kysely)
      expect(format.rows[0]!.value).toBe('plain')

      // Ready work and its counters: T3 waits for T2; T1 (the epic) has open children.
      expect((await after.dependencies.ready()).items.map((t) => t.id)).toEqual(['T2'])
      // Triggers still fire: new task numbering, FTS, the counters, the id guard, cascades.
      const next = await after.create({ title: 'Parser errors', parentId: 'T1' })
      expect(next.id).toBe('T5')
      expect((await after.list({ text: 'grammar' })).items.map((t) => t.id).sort()).toEqual(['T3', 'T4'])
      expect((await after.list({ text: 'errors' })).items.map((t) => t.id)).toEqual(['T5'])
      await after.update('T2', { status: 'active' })
      await after.update('T2', { status: 'done' })
      expect((await after.dependencies.ready()).items.map((t) => t.id).sort()).toEqual(['T4', 'T5'])
      await expect(sql`UPDATE tasks SET id = 'T99' WHERE id = 'T5'`.execute(after.kysely)).rejects.toThrow()
      await expect(sql`INSERT INTO tasks (seq, id, title, created_at, updated_at) VALUES (7, 'T0007', 'x', 1, 1)`.execute(after.kysely)).rejects.toThrow(/CHECK/)
      await sql`INSERT INTO tasks (seq, id, title, created_at, updated_at) VALUES (8, 'T008', 'padded', 1, 1)`.execute(after.kysely)
      expect((await after.get('T008')).title).toBe('padded')
      // Foreign keys are enforced again: a dependency on a missing task is refused.
      await expect(sql`INSERT INTO task_dependencies (task_id, depends_on, created_at) VALUES ('T5', 'T77', 1)`.execute(after.kysely)).rejects.toThrow(/FOREIGN KEY/)
      await sql`DELETE FROM tasks WHERE id = 'T008'`.execute(after.kysely)
      expect(await after.find('T008')).toBeNull()
      const check = await sql<{ integrity_check: string }>`PRAGMA integrity_check`.execute(after.kysely)
      expect(check.rows).toEqual([{ integrity_check: 'ok' }])
    } finally {
      await after.close()
    }
  })

  it('a rebuild that leaves a foreign-key violation is rolled back: the file is as before', async () => {
    const file = join(tempDir(), 'x.db')
    const failing: Migration & { rebuildsTables: true } = {
      rebuildsTables: true,
      async up(db) {
        await sql`CREATE TABLE parent (id INTEGER PRIMARY KEY) STRICT`.execute(db)
        await sql`CREATE TABLE child (p INTEGER NOT NULL REFERENCES parent (id)) STRICT`.execute(db)
        await sql`INSERT INTO child (p) VALUES (7)`.execute(db)
      },
    }
    const store = { name: 'tasks' as const, migrations: { '0001_a': { async up() {} } } }
    const db = await openDatabase(file, { store })
    await db.close()
    await expect(openDatabase(file, { store: { ...store, migrations: { ...store.migrations, '0002_rebuild': failing } } })).rejects.toMatchObject({
      code: 'MIGRATION_FAILED',
    })
    const again = await openDatabase(file, { store })
    try {
      const tables = await sql<{ name: string }>`SELECT name FROM sqlite_schema WHERE name IN ('parent', 'child')`.execute(again.kysely)
      expect(tables.rows).toEqual([])
    } finally {
      await again.close()
    }
  })

  it('a rebuild runs with foreign_keys off (a parent drop cascades nothing) and it is back on after', async () => {
    const file = join(tempDir(), 'y.db')
    const seen: number[] = []
    const setup: Migration = {
      async up(db) {
        await sql`CREATE TABLE parent (id INTEGER PRIMARY KEY, v TEXT) STRICT`.execute(db)
        await sql`CREATE TABLE child (p INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE) STRICT`.execute(db)
        await sql`INSERT INTO parent (id, v) VALUES (1, 'a')`.execute(db)
        await sql`INSERT INTO child (p) VALUES (1)`.execute(db)
      },
    }
    const rebuild: Migration & { rebuildsTables: true } = {
      rebuildsTables: true,
      async up(db) {
        const fk = await sql<{ foreign_keys: number }>`PRAGMA foreign_keys`.execute(db)
        seen.push(...fk.rows.map((r) => r.foreign_keys))
        await sql`CREATE TABLE parent_new (id INTEGER PRIMARY KEY, v TEXT NOT NULL) STRICT`.execute(db)
        await sql`INSERT INTO parent_new SELECT id, v FROM parent`.execute(db)
        await sql`DROP TABLE parent`.execute(db)
        await sql`ALTER TABLE parent_new RENAME TO parent`.execute(db)
      },
    }
    const first = await openDatabase(file, { store: { name: 'tasks', migrations: { '0001_setup': setup } } })
    await first.close()
    const db = await openDatabase(file, { store: { name: 'tasks', migrations: { '0001_setup': setup, '0002_rebuild': rebuild } } })
    try {
      expect(seen).toEqual([0])
      const child = await sql<{ n: number }>`SELECT count(*) AS n FROM child`.execute(db.kysely)
      expect(child.rows[0]!.n).toBe(1)
      const fk = await sql<{ foreign_keys: number }>`PRAGMA foreign_keys`.execute(db.kysely)
      expect(fk.rows[0]!.foreign_keys).toBe(1)
    } finally {
      await db.close()
    }
  })
})

describe('numbering in CLEO\'s form', () => {
  it('a store whose format is cleo continues T004 after T003, pads to three digits and grows past 999', async () => {
    const { TasksRepository } = await import('../../src/tasks/index.js')
    const tasks = await TasksRepository.open(join(tempDir(), 'tasks.db'))
    try {
      expect((await tasks.create({ title: 'plain first' })).id).toBe('T1')
      await sql`UPDATE schema_meta SET value = 'cleo' WHERE key = 'task_id_format'`.execute(tasks.kysely)
      await sql`UPDATE schema_meta SET value = '3' WHERE key = 'task_id_sequence'`.execute(tasks.kysely)
      const next = await tasks.create({ title: 'fourth', dependsOn: ['T1'] })
      expect(next.id).toBe('T004')
      expect((await tasks.get('T004')).title).toBe('fourth')
      await sql`UPDATE schema_meta SET value = '998' WHERE key = 'task_id_sequence'`.execute(tasks.kysely)
      expect((await tasks.create({ title: 'n999' })).id).toBe('T999')
      expect((await tasks.create({ title: 'n1000', parentId: undefined })).id).toBe('T1000')
    } finally {
      await tasks.close()
    }
  })
})

describe('TASKS_STORE', () => {
  it('declares 0014 a table rebuild', () => {
    expect((TASKS_STORE.migrations['0014_cleo_task_ids'] as { rebuildsTables?: boolean }).rebuildsTables).toBe(true)
  })
})
