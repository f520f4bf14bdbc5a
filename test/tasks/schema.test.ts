/**
 * The tasks.db schema: every table the issue lists, STRICT, explicit ON DELETE on
 * every foreign key, every enum a CHECK equal to its TypeScript list, the status
 * registry seeded and equal to those lists.
 */
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'

import {
  ADR_GATE_STATUSES,
  ADR_GATES,
  ADR_LINK_TYPES,
  ADR_RELATION_TYPES,
  ADR_STATUSES,
  AGENT_INSTANCE_STATUSES,
  AGENT_INSTANCE_TYPES,
  EXTERNAL_LINK_TYPES,
  EXTERNAL_SYNC_DIRECTIONS,
  LIFECYCLE_EVIDENCE_TYPES,
  LIFECYCLE_GATE_RESULTS,
  LIFECYCLE_PIPELINE_STATUSES,
  LIFECYCLE_STAGE_STATUSES,
  LIFECYCLE_STAGES,
  LIFECYCLE_TRANSITION_TYPES,
  LIFECYCLE_VALIDATION_STATUSES,
  MANIFEST_STATUSES,
  PIPELINE_MANIFEST_STATUSES,
  RELEASE_STATUSES,
  STATUS_ENTITY_TYPES,
  TASK_ARCHIVE_REASONS,
  TASK_AUDIT_ENTITY_TYPES,
  TASK_PIPELINE_STAGES,
  TASK_PRIORITIES,
  TASK_RELATION_TYPES,
  TASK_ROLES,
  TASK_SCOPES,
  TASK_SESSION_SCOPE_TYPES,
  TASK_SESSION_STATUSES,
  TASK_SEVERITIES,
  TASK_SIZES,
  TASK_STATUSES,
  TASK_TYPES,
  TASKS_STORE,
  TOKEN_CONFIDENCES,
  TOKEN_METHODS,
  TOKEN_TRANSPORTS,
} from '../../src/tasks/index.js'
import { expectCode } from '../helpers.js'
import { openTasks } from './open-tasks.js'

const ISSUE_TABLES = [
  'tasks',
  'task_dependencies',
  'task_relations',
  'sessions',
  'task_work_history',
  'lifecycle_pipelines',
  'lifecycle_stages',
  'lifecycle_gate_results',
  'lifecycle_evidence',
  'lifecycle_transitions',
  'manifest_entries',
  'pipeline_manifest',
  'release_manifests',
  'audit_log',
  'token_usage',
  'architecture_decisions',
  'adr_task_links',
  'adr_relations',
  'external_task_links',
  'status_registry',
  'agent_instances',
  'schema_meta',
]

// SQLite only: sqlite_schema, pragma_table_list, STRICT tables and query plans of tasks.db
// (the PostgreSQL schema has its own suite, test/postgres/tasks-schema.test.ts).
describe('tasks.db schema', () => {
  it('has every table of the issue, all STRICT', async () => {
    const { tasks } = await openTasks()
    const rows = await sql<{ name: string; strict: number; type: string }>`SELECT name, strict, type FROM pragma_table_list WHERE schema = 'main'`.execute(
      tasks.kysely,
    )
    const byName = new Map(rows.rows.map((r) => [r.name, r]))
    for (const table of ISSUE_TABLES) {
      expect(byName.get(table), table).toBeDefined()
      expect(byName.get(table)!.strict, `${table} is STRICT`).toBe(1)
    }
    expect(tasks.schemaVersion).toBe(Object.keys(TASKS_STORE.migrations).sort().at(-1))
  })

  it('declares ON DELETE explicitly on every foreign key', async () => {
    const { tasks } = await openTasks()
    const fks = await sql<{ tbl: string; to: string; on_delete: string }>`
      SELECT t.name AS tbl, f."table" AS "to", f.on_delete FROM pragma_table_list AS t, pragma_foreign_key_list(t.name) AS f
      WHERE t.schema = 'main'`.execute(tasks.kysely)
    expect(fks.rows.length).toBeGreaterThan(25)
    for (const fk of fks.rows) expect(fk.on_delete, `${fk.tbl} → ${fk.to}`).not.toBe('NO ACTION')
  })

  it('indexes the child column of every foreign key (no scan on parent deletes)', async () => {
    const { tasks } = await openTasks()
    const fks = await sql<{ tbl: string; col: string }>`
      SELECT t.name AS tbl, f."from" AS col FROM pragma_table_list AS t, pragma_foreign_key_list(t.name) AS f
      WHERE t.schema = 'main'`.execute(tasks.kysely)
    for (const { tbl, col } of fks.rows) {
      const leading = await sql<{ name: string }>`
        SELECT il.name FROM pragma_index_list(${tbl}) AS il, pragma_index_info(il.name) AS ii
        WHERE ii.seqno = 0 AND ii.name = ${col}`.execute(tasks.kysely)
      expect(leading.rows.length, `${tbl}.${col} leads an index`).toBeGreaterThan(0)
    }
  })

  it.each([
    ['tasks', 'status', TASK_STATUSES],
    ['tasks', 'priority', TASK_PRIORITIES],
    ['tasks', 'type', TASK_TYPES],
    ['tasks', 'role', TASK_ROLES],
    ['tasks', 'scope', TASK_SCOPES],
    ['tasks', 'severity', TASK_SEVERITIES],
    ['tasks', 'size', TASK_SIZES],
    ['tasks', 'pipeline_stage', TASK_PIPELINE_STAGES],
    ['tasks', 'archive_reason', TASK_ARCHIVE_REASONS],
    ['task_relations', 'relation_type', TASK_RELATION_TYPES],
    ['sessions', 'status', TASK_SESSION_STATUSES],
    ['sessions', 'scope_type', TASK_SESSION_SCOPE_TYPES],
    ['lifecycle_pipelines', 'status', LIFECYCLE_PIPELINE_STATUSES],
    ['lifecycle_pipelines', 'current_stage', LIFECYCLE_STAGES],
    ['lifecycle_stages', 'stage_name', LIFECYCLE_STAGES],
    ['lifecycle_stages', 'status', LIFECYCLE_STAGE_STATUSES],
    ['lifecycle_stages', 'validation_status', LIFECYCLE_VALIDATION_STATUSES],
    ['lifecycle_gate_results', 'result', LIFECYCLE_GATE_RESULTS],
    ['lifecycle_evidence', 'type', LIFECYCLE_EVIDENCE_TYPES],
    ['lifecycle_transitions', 'transition_type', LIFECYCLE_TRANSITION_TYPES],
    ['manifest_entries', 'status', MANIFEST_STATUSES],
    ['pipeline_manifest', 'status', PIPELINE_MANIFEST_STATUSES],
    ['release_manifests', 'status', RELEASE_STATUSES],
    ['audit_log', 'entity_type', TASK_AUDIT_ENTITY_TYPES],
    ['token_usage', 'transport', TOKEN_TRANSPORTS],
    ['token_usage', 'method', TOKEN_METHODS],
    ['token_usage', 'confidence', TOKEN_CONFIDENCES],
    ['architecture_decisions', 'status', ADR_STATUSES],
    ['architecture_decisions', 'gate', ADR_GATES],
    ['architecture_decisions', 'gate_status', ADR_GATE_STATUSES],
    ['adr_task_links', 'link_type', ADR_LINK_TYPES],
    ['adr_relations', 'relation_type', ADR_RELATION_TYPES],
    ['external_task_links', 'link_type', EXTERNAL_LINK_TYPES],
    ['external_task_links', 'sync_direction', EXTERNAL_SYNC_DIRECTIONS],
    ['agent_instances', 'agent_type', AGENT_INSTANCE_TYPES],
    ['agent_instances', 'status', AGENT_INSTANCE_STATUSES],
    ['status_registry', 'entity_type', STATUS_ENTITY_TYPES],
  ] as const)('the CHECK on %s.%s lists exactly the TypeScript enum', async (table, column, values) => {
    const { tasks } = await openTasks()
    const { rows } = await sql<{ sql: string }>`SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ${table}`.execute(tasks.kysely)
    const ddl = rows[0]!.sql.replace(/\s+/g, ' ')
    const match = new RegExp(`CHECK \\((?:${column} IS NULL OR \\(?)?${column} IN \\(([^)]*)\\)`).exec(ddl)
    expect(match, `no CHECK list for ${table}.${column}`).not.toBeNull()
    const listed = match![1]!.split(',').map((v) => v.trim().replace(/^'|'$/g, ''))
    expect(new Set(listed)).toEqual(new Set(values))
    expect(listed).toHaveLength(values.length)
  })

  it('refuses a value outside an enum at the SQL level', async () => {
    const { tasks } = await openTasks()
    const task = await tasks.create({ title: 'x' })
    await expectCode(tasks.kysely.updateTable('tasks').set({ status: 'archived' as never }).where('id', '=', task.id).execute(), 'INVARIANT')
    await expectCode(tasks.kysely.updateTable('tasks').set({ priority: 'urgent' as never }).where('id', '=', task.id).execute(), 'INVARIANT')
    await expectCode(
      tasks.kysely.updateTable('tasks').set({ severity: 'P1' }).where('id', '=', task.id).execute(),
      'INVARIANT', // only a bug may carry a severity
    )
    expect((await tasks.get(task.id)).status).toBe('pending')
  })

  it('status_registry is seeded with exactly the statuses the CHECKs allow', async () => {
    const { tasks } = await openTasks()
    const lists: Record<string, readonly string[]> = {
      task: TASK_STATUSES,
      session: TASK_SESSION_STATUSES,
      lifecycle_pipeline: LIFECYCLE_PIPELINE_STATUSES,
      lifecycle_stage: LIFECYCLE_STAGE_STATUSES,
      adr: ADR_STATUSES,
      manifest: MANIFEST_STATUSES,
      release: RELEASE_STATUSES,
      agent_instance: AGENT_INSTANCE_STATUSES,
    }
    const all = await tasks.statuses.list()
    expect(new Set(all.map((s) => s.entityType))).toEqual(new Set(STATUS_ENTITY_TYPES))
    for (const [entity, statuses] of Object.entries(lists)) {
      const names = (await tasks.statuses.list(entity as never)).map((s) => s.name)
      expect(new Set(names), entity).toEqual(new Set(statuses))
    }
    const terminal = (await tasks.statuses.list('task')).filter((s) => s.terminal).map((s) => s.name)
    expect(terminal.sort()).toEqual(['cancelled', 'done'])
    await expectCode(tasks.statuses.list('nope' as never), 'VALIDATION')
  })

  it('agent_instances.agent_type CHECK matches AGENT_INSTANCE_TYPES', async () => {
    const { tasks } = await openTasks()
    for (const agentType of AGENT_INSTANCE_TYPES) await tasks.agentInstances.register({ agentType })
    await expectCode(
      tasks.kysely
        .insertInto('agent_instances')
        .values({ id: 'x', agent_type: 'wizard' as never, started_at: 1, last_heartbeat: 1 } as never)
        .execute(),
      'INVARIANT',
    )
  })

  it('a fresh file passes integrity and foreign-key checks', async () => {
    const { tasks } = await openTasks()
    const epic = await tasks.create({ title: 'e', type: 'epic' })
    await tasks.create({ title: 't', parentId: epic.id })
    const report = await tasks.integrityCheck()
    expect(report).toEqual({ ok: true, problems: [], foreignKeyViolations: [] })
  })
})
