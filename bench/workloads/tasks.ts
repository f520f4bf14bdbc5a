/**
 * tasks.db workloads: create (validated, with its audit row), get by id, a list
 * page, adding a dependency with its cycle check, and ready work on 20k tasks and
 * 40k edges. Raw and Drizzle run on files migrated by the repository itself (same
 * tables, indexes and triggers) and do the same SQL work; they skip validation and
 * the mapping to domain objects that ours performs.
 */
import { join } from 'node:path'

import { and, eq, gt, isNull, sql as dsql } from 'drizzle-orm'
import { sql as dsqlPlaceholder } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-sqlite'
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'

import { TasksRepository } from '../../src/tasks/index.js'
import { READY } from '../../src/tasks/task-dependencies.js'
import { GET_TASK } from '../../src/tasks/task-rows.js'
import type { Workload } from '../harness.js'
import { openRaw } from '../harness.js'
import { counter, prepareStoreFile, scalar, size, withParams } from './common.js'

// CLEO's own Drizzle schema style: camelCase properties over snake_case columns.
const tasks = sqliteTable('tasks', {
  seq: integer('seq').primaryKey(),
  id: text('id').notNull(),
  title: text('title').notNull(),
  description: text('description'),
  status: text('status').notNull(),
  priority: text('priority').notNull(),
  type: text('type').notNull(),
  role: text('role').notNull(),
  scope: text('scope').notNull(),
  severity: text('severity'),
  parentId: text('parent_id'),
  phase: text('phase'),
  size: text('size'),
  labelsJson: text('labels_json').notNull(),
  notesJson: text('notes_json').notNull(),
  acceptanceJson: text('acceptance_json').notNull(),
  filesJson: text('files_json').notNull(),
  verificationJson: text('verification_json'),
  origin: text('origin'),
  blockedBy: text('blocked_by'),
  noAutoComplete: integer('no_auto_complete').notNull(),
  pipelineStage: text('pipeline_stage'),
  assignee: text('assignee'),
  claimedBy: text('claimed_by'),
  claimToken: integer('claim_token').notNull(),
  claimedAt: integer('claimed_at'),
  claimExpiresAt: integer('claim_expires_at'),
  createdBy: text('created_by'),
  modifiedBy: text('modified_by'),
  sessionId: text('session_id'),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
  completedAt: integer('completed_at'),
  cancelledAt: integer('cancelled_at'),
  cancellationReason: text('cancellation_reason'),
  archivedAt: integer('archived_at'),
  archiveReason: text('archive_reason'),
  version: integer('version').notNull(),
})

const auditLog = sqliteTable('audit_log', {
  id: integer('id').primaryKey(),
  timestamp: integer('timestamp').notNull(),
  action: text('action').notNull(),
  entityType: text('entity_type').notNull(),
  entityId: text('entity_id').notNull(),
  taskId: text('task_id'),
  actor: text('actor').notNull(),
  sessionId: text('session_id'),
  requestId: text('request_id'),
  beforeJson: text('before_json'),
  afterJson: text('after_json'),
  detailsJson: text('details_json'),
})

const schemaMeta = sqliteTable('schema_meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: integer('updated_at').notNull(),
})

const taskDependencies = sqliteTable('task_dependencies', {
  taskId: text('task_id').notNull(),
  dependsOn: text('depends_on').notNull(),
  createdAt: integer('created_at').notNull(),
})

const T0 = 1_700_000_000_000

/**
 * `count` tasks: every 50th an epic (pending), the others tasks under it; 30% done;
 * priorities cycle. Then the id counter is set past them.
 */
export function seedTasks(count: number, doneTenths = 3): string {
  return `${counter(count)}
    INSERT INTO tasks (seq, id, title, description, status, priority, type, parent_id, labels_json, created_at, updated_at, completed_at)
    SELECT i, 'T' || i, 'task number ' || i, 'what task ' || i || ' is about',
      CASE WHEN i % 50 = 1 THEN 'pending' WHEN i % 10 < ${doneTenths} THEN 'done' ELSE 'pending' END,
      CASE i % 4 WHEN 0 THEN 'critical' WHEN 1 THEN 'high' WHEN 2 THEN 'medium' ELSE 'low' END,
      CASE WHEN i % 50 = 1 THEN 'epic' ELSE 'task' END,
      CASE WHEN i % 50 = 1 THEN NULL ELSE 'T' || (i - (i - 1) % 50) END,
      '["bench"]', ${T0} + i, ${T0} + i,
      CASE WHEN i % 50 <> 1 AND i % 10 < ${doneTenths} THEN ${T0} + i END
    FROM n;
    UPDATE schema_meta SET value = CAST(${count} AS TEXT) WHERE key = 'task_id_sequence';`
}

/** About `count` edges, each from a task to a lower-numbered one (acyclic), spread deterministically. */
function seedEdges(tasksCount: number, count: number): string {
  return `${counter(count, 'k')}
    INSERT OR IGNORE INTO task_dependencies (task_id, depends_on, created_at)
    SELECT 'T' || a, 'T' || (1 + (i * 104729) % (a - 1)), ${T0}
    FROM (SELECT i, 2 + (i * 7919) % ${tasksCount - 1} AS a FROM k);`
}

/** Stride chains in the lower half: task i depends on task i - 100 (bounded reach for the cycle check). */
function seedChains(upTo: number): string {
  return `${counter(upTo)}
    INSERT INTO task_dependencies (task_id, depends_on, created_at)
    SELECT 'T' || i, 'T' || (i - 100), ${T0} FROM n WHERE i > 100;`
}

const openTasks = (path: string) => TasksRepository.open(path, { actor: 'bench' })

async function threeFiles(dir: string, seed?: string) {
  const files = { ours: join(dir, 'ours.db'), raw: join(dir, 'raw.db'), drizzle: join(dir, 'drizzle.db') }
  for (const file of Object.values(files)) await prepareStoreFile(openTasks, file, seed)
  const ours = await openTasks(files.ours)
  const raw = openRaw(files.raw)
  const dz = drizzle({ client: openRaw(files.drizzle) })
  const teardown = async () => {
    await ours.close()
    raw.close()
    dz.$client.close()
  }
  return { files, ours, raw, dz, teardown }
}

const RAW_INSERT_TASK = `INSERT INTO tasks (seq, id, title, description, status, priority, type, role, scope, severity, parent_id,
  phase, size, labels_json, notes_json, acceptance_json, files_json, verification_json, origin, blocked_by, no_auto_complete,
  pipeline_stage, assignee, claimed_by, claimed_at, claim_expires_at, claim_token, created_by, modified_by, session_id,
  created_at, updated_at, completed_at, cancelled_at, cancellation_reason, archived_at, archive_reason, version)
  VALUES (?, ?, ?, NULL, 'pending', ?, 'task', 'work', 'feature', NULL, NULL, NULL, NULL, ?, '[]', '[]', '[]', NULL, NULL, NULL, 0,
  NULL, NULL, NULL, NULL, NULL, 0, ?, ?, NULL, ?, ?, NULL, NULL, NULL, NULL, NULL, 1) RETURNING *`
const RAW_NEXT_SEQ = `UPDATE schema_meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT), updated_at = ? WHERE key = 'task_id_sequence' RETURNING value`
const RAW_AUDIT_CHANGE = `INSERT INTO audit_log (timestamp, action, entity_type, entity_id, task_id, actor, session_id, request_id, before_json, after_json, details_json)
  VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, NULL)`
const ph = (name: string) => dsqlPlaceholder.placeholder(name)
const RAW_AUDIT = `INSERT INTO audit_log (timestamp, action, entity_type, entity_id, task_id, actor, session_id, request_id, before_json, after_json, details_json)
  VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, NULL)`

export const tasksWorkloads: Workload[] = [
  {
    name: 'tasks: create (validated, with audit row)',
    kind: 'write',
    async setup(dir) {
      const { ours, raw, dz, teardown } = await threeFiles(dir)
      const begin = raw.prepare('BEGIN IMMEDIATE')
      const commit = raw.prepare('COMMIT')
      const nextSeq = raw.prepare(RAW_NEXT_SEQ)
      const insert = raw.prepare(RAW_INSERT_TASK)
      const audit = raw.prepare(RAW_AUDIT)
      let n = 0
      return {
        ours: () => ours.create({ title: `task ${n++}`, priority: 'high', labels: ['bench'] }),
        raw: () => {
          begin.run()
          try {
            const now = Date.now()
            const seq = Number(nextSeq.get(now)!.value)
            const row = insert.get(seq, `T${seq}`, `task ${n++}`, 'high', '["bench"]', 'bench', 'bench', now, now)!
            audit.run(now, 'task.create', 'task', row.id as string, row.id as string, 'bench', JSON.stringify(row))
            commit.run()
          } catch (error) {
            raw.exec('ROLLBACK')
            throw error
          }
        },
        drizzle: () =>
          dz.transaction((tx) => {
            const now = Date.now()
            const { value } = tx
              .update(schemaMeta)
              .set({ value: dsql`CAST(CAST(${schemaMeta.value} AS INTEGER) + 1 AS TEXT)`, updatedAt: now })
              .where(eq(schemaMeta.key, 'task_id_sequence'))
              .returning({ value: schemaMeta.value })
              .get()!
            const seq = Number(value)
            const row = tx
              .insert(tasks)
              .values({
                seq, id: `T${seq}`, title: `task ${n++}`, status: 'pending', priority: 'high', type: 'task', role: 'work',
                scope: 'feature', labelsJson: '["bench"]', notesJson: '[]', acceptanceJson: '[]', filesJson: '[]',
                noAutoComplete: 0, claimToken: 0, createdBy: 'bench', modifiedBy: 'bench', createdAt: now, updatedAt: now, version: 1,
              })
              .returning()
              .get()
            tx.insert(auditLog)
              .values({ timestamp: now, action: 'task.create', entityType: 'task', entityId: row.id, taskId: row.id, actor: 'bench', afterJson: JSON.stringify(row) })
              .run()
          }),
        drizzlePrepared: (() => {
          const bump = dz
            .update(schemaMeta)
            .set({ value: dsql`CAST(CAST(${schemaMeta.value} AS INTEGER) + 1 AS TEXT)`, updatedAt: dsqlPlaceholder.placeholder('now') })
            .where(eq(schemaMeta.key, 'task_id_sequence'))
            .returning({ value: schemaMeta.value })
            .prepare()
          const insertTask = dz
            .insert(tasks)
            .values({
              seq: ph('seq'), id: ph('id'), title: ph('title'), status: 'pending', priority: 'high', type: 'task', role: 'work',
              scope: 'feature', labelsJson: '["bench"]', notesJson: '[]', acceptanceJson: '[]', filesJson: '[]',
              noAutoComplete: 0, claimToken: 0, createdBy: 'bench', modifiedBy: 'bench', createdAt: ph('now'), updatedAt: ph('now'), version: 1,
            })
            .returning()
            .prepare()
          const insertAudit = dz
            .insert(auditLog)
            .values({ timestamp: ph('now'), action: 'task.create', entityType: 'task', entityId: ph('id'), taskId: ph('id'), actor: 'bench', afterJson: ph('after') })
            .prepare()
          return () =>
            dz.transaction(() => {
              const now = Date.now()
              const seq = Number(bump.get({ now })!.value)
              const row = insertTask.get({ seq, id: `T${seq}`, title: `task ${n++}`, now })
              insertAudit.run({ now, id: row.id, after: JSON.stringify(row) })
            })
        })(),
        teardown,
      }
    },
  },
  {
    name: 'tasks: 100 creates in one transaction',
    kind: 'write',
    async setup(dir) {
      const { ours, raw, teardown } = await threeFiles(dir)
      const begin = raw.prepare('BEGIN IMMEDIATE')
      const commit = raw.prepare('COMMIT')
      const nextSeq = raw.prepare(RAW_NEXT_SEQ)
      const insert = raw.prepare(RAW_INSERT_TASK)
      const audit = raw.prepare(RAW_AUDIT)
      let n = 0
      return {
        ours: () =>
          ours.transaction(async (tx) => {
            for (let i = 0; i < 100; i++) await tx.create({ title: `task ${n++}`, priority: 'high', labels: ['bench'] })
          }),
        raw: () => {
          begin.run()
          try {
            for (let i = 0; i < 100; i++) {
              const now = Date.now()
              const seq = Number(nextSeq.get(now)!.value)
              const row = insert.get(seq, `T${seq}`, `task ${n++}`, 'high', '["bench"]', 'bench', 'bench', now, now)!
              audit.run(now, 'task.create', 'task', row.id as string, row.id as string, 'bench', JSON.stringify(row))
            }
            commit.run()
          } catch (error) {
            raw.exec('ROLLBACK')
            throw error
          }
        },
        notes: 'ours: tasks.transaction with 100 tx.create (each validated, audited, in a savepoint)',
        teardown,
      }
    },
  },
  {
    name: 'tasks: update (title, with audit row)',
    kind: 'write',
    async setup(dir) {
      const count = size(10_000, 2_000)
      const { ours, raw, dz, teardown } = await threeFiles(dir, seedTasks(count))
      const begin = raw.prepare('BEGIN IMMEDIATE')
      const commit = raw.prepare('COMMIT')
      const getTask = raw.prepare(GET_TASK.sql)
      const update = raw.prepare('UPDATE tasks SET title = ?, updated_at = ?, modified_by = ?, version = version + 1 WHERE id = ? AND version = ? RETURNING *')
      const audit = raw.prepare(RAW_AUDIT_CHANGE)
      const counters = { ours: 0, raw: 0, drizzle: 0, prepared: 0 }
      // Open tasks only (every 10th is pending: i % 10 >= 3), so no status rule gets in the way.
      const idOf = (k: number) => `T${10 * (k % Math.floor(count / 10)) + 5}`
      const dzGet = dz.select().from(tasks).where(eq(tasks.id, ph('id'))).prepare()
      const dzUpdate = dz
        .update(tasks)
        .set({ title: ph('title') as never, updatedAt: ph('now') as never, modifiedBy: 'bench', version: dsql`${tasks.version} + 1` })
        .where(and(eq(tasks.id, ph('id')), eq(tasks.version, ph('version'))))
        .returning()
        .prepare()
      const dzAudit = dz
        .insert(auditLog)
        .values({ timestamp: ph('now'), action: 'task.update', entityType: 'task', entityId: ph('id'), taskId: ph('id'), actor: 'bench', beforeJson: ph('before'), afterJson: ph('after') })
        .prepare()
      const diff = (before: { title: unknown; updated_at: unknown; version: unknown }, after: { title: unknown; updated_at: unknown; version: unknown }) => [
        JSON.stringify({ title: before.title, updatedAt: before.updated_at, version: before.version }),
        JSON.stringify({ title: after.title, updatedAt: after.updated_at, version: after.version }),
      ]
      return {
        ours: () => {
          const k = counters.ours++
          return ours.update(idOf(k), { title: `title ${k}` }, { actor: 'bench' })
        },
        raw: () => {
          const k = counters.raw++
          const id = idOf(k)
          begin.run()
          try {
            const now = Date.now()
            const before = getTask.get(id) as { title: string; updated_at: number; version: number }
            const after = update.get(`title ${k}`, now, 'bench', id, before.version) as { title: string; updated_at: number; version: number }
            const [b, a] = diff(before, after) as [string, string]
            audit.run(now, 'task.update', 'task', id, id, 'bench', b, a)
            commit.run()
          } catch (error) {
            raw.exec('ROLLBACK')
            throw error
          }
        },
        drizzle: () => {
          const k = counters.drizzle++
          const id = idOf(k)
          dz.transaction((tx) => {
            const now = Date.now()
            const before = tx.select().from(tasks).where(eq(tasks.id, id)).get()!
            const after = tx
              .update(tasks)
              .set({ title: `title ${k}`, updatedAt: now, modifiedBy: 'bench', version: dsql`${tasks.version} + 1` })
              .where(and(eq(tasks.id, id), eq(tasks.version, before.version)))
              .returning()
              .get()!
            tx.insert(auditLog)
              .values({
                timestamp: now, action: 'task.update', entityType: 'task', entityId: id, taskId: id, actor: 'bench',
                beforeJson: JSON.stringify({ title: before.title, updatedAt: before.updatedAt, version: before.version }),
                afterJson: JSON.stringify({ title: after.title, updatedAt: after.updatedAt, version: after.version }),
              })
              .run()
          })
        },
        drizzlePrepared: () => {
          const k = counters.prepared++
          const id = idOf(k)
          dz.transaction(() => {
            const now = Date.now()
            const before = dzGet.get({ id })!
            const after = dzUpdate.get({ id, title: `title ${k}`, now, version: before.version })!
            dzAudit.run({
              now, id,
              before: JSON.stringify({ title: before.title, updatedAt: before.updatedAt, version: before.version }),
              after: JSON.stringify({ title: after.title, updatedAt: after.updatedAt, version: after.version }),
            })
          })
        },
        notes: `${count} tasks; ours audits the changed fields, raw and Drizzle write the same diff`,
        teardown,
      }
    },
  },
  {
    name: 'tasks: get by id',
    kind: 'read',
    async setup(dir) {
      const count = size(10_000, 2_000)
      const { ours, raw, dz, teardown } = await threeFiles(dir, seedTasks(count))
      const get = raw.prepare(GET_TASK.sql)
      let i = 0
      const nextId = () => `T${(i++ % count) + 1}`
      return {
        ours: () => ours.get(nextId()),
        raw: () => get.get(nextId()),
        drizzle: () => dz.select().from(tasks).where(eq(tasks.id, nextId())).get(),
        drizzlePrepared: (() => {
          const prepared = dz.select().from(tasks).where(eq(tasks.id, ph('id'))).prepare()
          return () => prepared.get({ id: nextId() })
        })(),
        notes: `${count} tasks`,
        teardown,
      }
    },
  },
  {
    name: 'tasks: list page (50, by status)',
    kind: 'query',
    async setup(dir) {
      const count = size(10_000, 2_000)
      const { ours, raw, dz, teardown } = await threeFiles(dir, seedTasks(count))
      const page = raw.prepare(
        `SELECT * FROM tasks WHERE status = ? AND archived_at IS NULL AND seq > ? ORDER BY seq LIMIT ?`,
      )
      return {
        ours: () => ours.list({ status: 'pending', limit: 50 }),
        raw: () => page.all('pending', 0, 51),
        drizzle: () =>
          dz.select().from(tasks)
            .where(and(eq(tasks.status, 'pending'), isNull(tasks.archivedAt), gt(tasks.seq, 0)))
            .orderBy(tasks.seq).limit(51).all(),
        drizzlePrepared: (() => {
          const prepared = dz.select().from(tasks)
            .where(and(eq(tasks.status, ph('status')), isNull(tasks.archivedAt), gt(tasks.seq, ph('after'))))
            .orderBy(tasks.seq).limit(ph('limit')).prepare()
          return () => prepared.all({ status: 'pending', after: 0, limit: 51 })
        })(),
        notes: `${count} tasks`,
        teardown,
      }
    },
  },
  {
    name: 'tasks: add dependency (cycle check, audit row)',
    kind: 'write',
    async setup(dir) {
      const half = size(10_000, 2_000)
      const { ours, raw, dz, teardown, files } = await threeFiles(dir, `${seedTasksFlat(2 * half)} ${seedChains(half)}`)
      // Edge n: an upper-half task (never a dependency target, so reach does not grow)
      // depends on a lower-half one; the cycle check walks the target's stride chain.
      const edge = (n: number): [string, string] => {
        const round = Math.floor(n / half)
        return [`T${half + 1 + (n % half)}`, `T${1 + ((n + 7 * round) % half)}`]
      }
      const reaches = raw.prepare(REACHES_SQL)
      const getTask = raw.prepare(GET_TASK.sql)
      const insert = raw.prepare('INSERT INTO task_dependencies (task_id, depends_on, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING')
      const audit = raw.prepare(RAW_AUDIT)
      const begin = raw.prepare('BEGIN IMMEDIATE')
      const commit = raw.prepare('COMMIT')
      const counters = { ours: 0, raw: 0, drizzle: 0 }
      return {
        ours: () => {
          const [from, to] = edge(counters.ours++)
          return ours.dependencies.add(from, to)
        },
        raw: () => {
          const [from, to] = edge(counters.raw++)
          begin.run()
          try {
            const now = Date.now()
            getTask.get(from)
            getTask.get(to)
            if (reaches.get(to, from) !== undefined) throw new Error('cycle')
            if (insert.run(from, to, now).changes > 0) {
              audit.run(now, 'dependency.add', 'dependency', `${from}->${to}`, from, 'bench', JSON.stringify({ taskId: from, dependsOn: to }))
            }
            commit.run()
          } catch (error) {
            raw.exec('ROLLBACK')
            throw error
          }
        },
        drizzle: () => {
          const [from, to] = edge(counters.drizzle++)
          dz.transaction((tx) => {
            const now = Date.now()
            tx.select().from(tasks).where(eq(tasks.id, from)).get()
            tx.select().from(tasks).where(eq(tasks.id, to)).get()
            const hit = tx.get(dsql`WITH RECURSIVE reach(id) AS (SELECT ${to} UNION SELECT d.depends_on FROM task_dependencies AS d JOIN reach ON reach.id = d.task_id) SELECT 1 AS hit FROM reach WHERE reach.id = ${from} LIMIT 1`)
            if (hit !== undefined) throw new Error('cycle')
            const inserted = tx.insert(taskDependencies).values({ taskId: from, dependsOn: to, createdAt: now }).onConflictDoNothing().run()
            if (inserted.changes > 0) {
              tx.insert(auditLog)
                .values({ timestamp: now, action: 'dependency.add', entityType: 'dependency', entityId: `${from}->${to}`, taskId: from, actor: 'bench', afterJson: JSON.stringify({ taskId: from, dependsOn: to }) })
                .run()
            }
          })
        },
        notes: `${2 * half} tasks, ${scalar(files.ours, 'SELECT count(*) FROM task_dependencies')} edges before`,
        teardown,
      }
    },
  },
  {
    name: 'tasks: ready work (20k tasks, 40k edges)',
    kind: 'query',
    p50TargetMs: 5,
    async setup(dir) {
      const count = size(20_000, 2_000)
      const { ours, raw, dz, teardown, files } = await threeFiles(dir, `${seedTasks(count)} ${seedEdges(count, 2 * count)}`)
      const ready = raw.prepare(READY.sql)
      const readySql = READY.sql
      return {
        ours: () => ours.dependencies.ready({ limit: 20 }),
        raw: () => ready.all(...READY.bind({ limit: 21, now: Date.now(), agent: null })),
        drizzle: () => dz.all(withParams(readySql, READY.bind({ limit: 21, now: Date.now(), agent: null }))),
        notes: `${count} tasks, ${scalar(files.ours, 'SELECT count(*) FROM task_dependencies')} edges, ${
          scalar(files.ours, 'SELECT count(*) FROM tasks WHERE workable = 1')
        } workable; limit 20`,
        teardown,
      }
    },
  },
  readyAtSize(1_000),
  readyAtSize(100_000),
]

/**
 * `ready()` with the default limit (100) on `count` tasks that all have dependencies
 * (two edges per task to older ones, 60 % done, epics of 50, which have no edges): issue 19's target is
 * the 100k row within 2× of the 1k row.
 */
function readyAtSize(full: number): Workload {
  return {
    name: `tasks: ready(100), ${full >= 1000 ? `${full / 1000}k` : full} tasks all with dependencies`,
    kind: 'query',
    async setup(dir) {
      const count = size(full, Math.min(full, 2_000))
      // 60 % done (not 30 % as elsewhere): at 30 % the 1k file holds only 41 ready tasks, so
      // ready(100) returned 41 rows at 1k and 100 at 100k — unlike calls. At 60 % both sizes
      // hold more than 100 ready tasks (about 1 task in 7), and both calls return 100 rows.
      const { ours, raw, dz, teardown, files } = await threeFiles(dir, `${seedTasks(count, 6)} ${seedEveryTaskDepends(count)}`)
      const ready = raw.prepare(READY.sql)
      return {
        ours: () => ours.dependencies.ready(),
        raw: () => ready.all(...READY.bind({ limit: 100, now: Date.now(), agent: null })),
        drizzle: () => dz.all(withParams(READY.sql, READY.bind({ limit: 100, now: Date.now(), agent: null }))),
        notes: `${count} tasks, ${scalar(files.ours, 'SELECT count(*) FROM task_dependencies')} edges, ${scalar(
          files.ours,
          'SELECT count(*) FROM tasks WHERE workable = 1 AND unresolved_blockers = 0 AND open_children = 0 AND held_by_ancestors = 0',
        )} ready`,
        teardown,
      }
    },
  }
}

/**
 * Every task (not the epics, which wait for their children) depends on two older
 * tasks (edges spread deterministically): a task is ready when both are done,
 * about 1 in 11 — so ready work has to step over ten blocked tasks per ready one.
 */
export function seedEveryTaskDepends(count: number): string {
  return `${counter(count)}
    INSERT OR IGNORE INTO task_dependencies (task_id, depends_on, created_at)
    SELECT 'T' || i, 'T' || (1 + (i * 104729) % (i - 1)), ${T0} FROM n WHERE i > 2 AND i % 50 <> 1;
    ${counter(count)}
    INSERT OR IGNORE INTO task_dependencies (task_id, depends_on, created_at)
    SELECT 'T' || i, 'T' || (1 + (i * 7919 + 13) % (i - 1)), ${T0} FROM n WHERE i > 2 AND i % 50 <> 1;`
}

/** Flat tasks (no tree, all pending) for the dependency workload. */
function seedTasksFlat(count: number): string {
  return `${counter(count)}
    INSERT INTO tasks (seq, id, title, status, priority, type, labels_json, created_at, updated_at)
    SELECT i, 'T' || i, 'task number ' || i, 'pending', 'medium', 'task', '[]', ${T0} + i, ${T0} + i FROM n;
    UPDATE schema_meta SET value = CAST(${count} AS TEXT) WHERE key = 'task_id_sequence';`
}

const REACHES_SQL = `WITH RECURSIVE reach(id) AS (SELECT ? UNION SELECT d.depends_on FROM task_dependencies AS d JOIN reach ON reach.id = d.task_id)
  SELECT 1 AS hit FROM reach WHERE reach.id = ? LIMIT 1`
