/**
 * Lifecycle manifest entries and pipeline manifest records: `tasks.manifests`.
 *
 * @module
 */
import { createHash } from 'node:crypto'

import type { Selectable } from 'kysely'
import { z } from 'zod'

import { toIso, toIsoOrNull } from '../sqlite/clock.js'
import { fromJson } from '../sqlite/json.js'
import { template } from '../sqlite/query-template.js'
import type { Step } from '../sqlite/store-engine.js'
import { requireTaskRow } from './task-rows.js'
import type { Actor, TasksContext, TasksExecutor } from './tasks-context.js'
import type { LifecycleStageName, ManifestStatus, PipelineManifestStatus } from './tasks.enums.js'
import type {
  AddManifestEntryInput,
  TaskMutationOptions,
  PipelineManifestFilter,
  RecordPipelineManifestInput,
} from './tasks.types.js'
import {
  AddManifestEntrySchema,
  TaskMutationOptionsSchema,
  PipelineManifestFilterSchema,
  RecordPipelineManifestSchema,
} from './tasks.schemas.js'
import type { ManifestEntriesTable, PipelineManifestTable, TasksDatabase } from './tasks.tables.js'

/**
 * An output recorded against a pipeline (and optionally one of its stages).
 *
 * @example
 * ```ts
 * const entry: ManifestEntry = await tasks.manifests.addEntry({ pipelineId, title: 'Survey', status: 'completed' })
 * ```
 */
export interface ManifestEntry {
  readonly id: string
  readonly pipelineId: string
  readonly stage: LifecycleStageName | null
  readonly title: string
  readonly status: ManifestStatus
  readonly agentType: string | null
  readonly outputFile: string | null
  readonly topics: readonly string[]
  readonly findings: readonly string[]
  readonly linkedTasks: readonly string[]
  readonly createdAt: string
}

/**
 * A pipeline manifest record: content produced for a task, an epic or a session,
 * with its SHA-256.
 *
 * @example
 * ```ts
 * const rec: PipelineManifestRecord = await tasks.manifests.record({ type: 'research', content: '…', taskId: 'T3' })
 * rec.contentHash // 64 hex characters
 * ```
 */
export interface PipelineManifestRecord {
  readonly id: string
  readonly type: string
  readonly content: string
  readonly contentHash: string
  readonly status: PipelineManifestStatus
  readonly sessionId: string | null
  readonly taskId: string | null
  readonly epicId: string | null
  readonly distilled: boolean
  /** A brain.db observation id (a soft, cross-database reference). */
  readonly brainObsId: string | null
  readonly sourceFile: string | null
  readonly metadata: Readonly<Record<string, unknown>>
  readonly createdAt: string
  readonly archivedAt: string | null
}

type EntryRow = Selectable<ManifestEntriesTable>
type RecordRow = Selectable<PipelineManifestTable>

const PIPELINE = template<TasksDatabase, { id: string }>()((db, p) =>
  db.selectFrom('lifecycle_pipelines').select(['id', 'task_id']).where('id', '=', p('id')),
)
const STAGE = template<TasksDatabase, { pipeline: string; name: LifecycleStageName }>()((db, p) =>
  db.selectFrom('lifecycle_stages').select('id').where('pipeline_id', '=', p('pipeline')).where('stage_name', '=', p('name')),
)
const INSERT_ENTRY = template<TasksDatabase, EntryRow>()((db, p) =>
  db.insertInto('manifest_entries').values({
    id: p('id'),
    pipeline_id: p('pipeline_id'),
    stage_id: p('stage_id'),
    title: p('title'),
    status: p('status'),
    agent_type: p('agent_type'),
    output_file: p('output_file'),
    topics_json: p('topics_json'),
    findings_json: p('findings_json'),
    linked_tasks_json: p('linked_tasks_json'),
    created_at: p('created_at'),
  }),
)
const ENTRIES = template<TasksDatabase, { pipeline: string }>()((db, p) =>
  db
    .selectFrom('manifest_entries as m')
    .leftJoin('lifecycle_stages as s', 's.id', 'm.stage_id')
    .selectAll('m')
    .select('s.stage_name')
    .where('m.pipeline_id', '=', p('pipeline'))
    .orderBy('m.created_at')
    .orderBy('m.id'),
)
const INSERT_RECORD = template<TasksDatabase, RecordRow>()((db, p) =>
  db.insertInto('pipeline_manifest').values({
    id: p('id'),
    session_id: p('session_id'),
    task_id: p('task_id'),
    epic_id: p('epic_id'),
    type: p('type'),
    content: p('content'),
    content_hash: p('content_hash'),
    status: p('status'),
    distilled: p('distilled'),
    brain_obs_id: p('brain_obs_id'),
    source_file: p('source_file'),
    metadata_json: p('metadata_json'),
    created_at: p('created_at'),
    archived_at: p('archived_at'),
  }),
)
const GET_RECORD = template<TasksDatabase, { id: string }>()((db, p) =>
  db.selectFrom('pipeline_manifest').selectAll().where('id', '=', p('id')),
)
const ARCHIVE_RECORD = template<TasksDatabase, { id: string; now: number }>()((db, p) =>
  db
    .updateTable('pipeline_manifest')
    .set({ status: 'archived', archived_at: p('now') })
    .where('id', '=', p('id'))
    .where('status', '=', 'active')
    .returningAll(),
)
const SESSION = template<TasksDatabase, { id: string }>()((db, p) => db.selectFrom('sessions').select('id').where('id', '=', p('id')))

const IdSchema = z.string().min(1).max(100)

/**
 * Manifests of tasks.db, as `tasks.manifests`: lifecycle manifest entries (one
 * output of a pipeline stage) and pipeline manifest records (content attached to
 * a task, an epic or a session, hashed with SHA-256).
 *
 * @example
 * ```ts
 * await tasks.manifests.addEntry({ pipelineId: p.id, stage: 'research', title: 'Prior art', status: 'completed' })
 * const rec = await tasks.manifests.record({ type: 'notes', content: 'hello', taskId: 'T1' })
 * await tasks.manifests.archive(rec.id)
 * ```
 */
export class TaskManifests {
  readonly #ctx: TasksContext

  /** @internal Created by the repository. */
  constructor(ctx: TasksContext) {
    this.#ctx = ctx
  }

  /**
   * Records a manifest entry for a pipeline (and stage). `NOT_FOUND` for an unknown
   * pipeline or linked task.
   *
   * @example
   * ```ts
   * await tasks.manifests.addEntry({ pipelineId, stage: 'testing', title: 'Coverage', status: 'partial', findings: ['73%'] })
   * ```
   */
  async addEntry(input: AddManifestEntryInput, options: TaskMutationOptions = {}): Promise<ManifestEntry> {
    const ctx = this.#ctx
    const data = ctx.parse(AddManifestEntrySchema, input, 'tasks.manifests.addEntry')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.manifests.addEntry')
    const who = ctx.actor(options, 'tasks.manifests.addEntry')
    return ctx.engine.write((x) => this.#addEntry(x, data, who))
  }

  *#addEntry(x: TasksExecutor, data: z.output<typeof AddManifestEntrySchema>, who: Actor): Step<ManifestEntry> {
    const ctx = this.#ctx
    const now = ctx.now()
    const pipeline = yield* x.get(PIPELINE, { id: data.pipelineId })
    if (pipeline === undefined) throw ctx.notFound('pipeline', data.pipelineId)
    for (const task of data.linkedTasks) yield* requireTaskRow(x, ctx, task)
    const row: EntryRow = {
      id: ctx.newId(),
      pipeline_id: pipeline.id,
      stage_id: data.stage === undefined ? null : (yield* x.get(STAGE, { pipeline: pipeline.id, name: data.stage }))!.id,
      title: data.title,
      status: data.status,
      agent_type: data.agentType ?? null,
      output_file: data.outputFile ?? null,
      topics_json: JSON.stringify(data.topics),
      findings_json: JSON.stringify(data.findings),
      linked_tasks_json: JSON.stringify(data.linkedTasks),
      created_at: now,
    }
    yield* x.run(INSERT_ENTRY, row)
    const entry = this.#toEntry({ ...row, stage_name: data.stage ?? null })
    yield* ctx.audit(x, who, { action: 'manifest.entry', entityType: 'manifest', entityId: row.id, taskId: pipeline.task_id, after: entry }, now)
    return entry
  }

  /**
   * The manifest entries of a pipeline, oldest first.
   *
   * @example
   * ```ts
   * const entries = await tasks.manifests.entries(pipelineId)
   * ```
   */
  async entries(pipelineId: string): Promise<ManifestEntry[]> {
    const ctx = this.#ctx
    const id = ctx.parse(IdSchema, pipelineId, 'tasks.manifests.entries')
    const rows = await ctx.engine.read((x) => x.all(ENTRIES, { pipeline: id }))
    return rows.map((row) => this.#toEntry(row))
  }

  /**
   * Stores a pipeline manifest record (its SHA-256 is computed). `NOT_FOUND` for
   * an unknown task, epic or session.
   *
   * @example
   * ```ts
   * const rec = await tasks.manifests.record({ type: 'agent-output', content: text, sessionId, taskId: 'T3' })
   * ```
   */
  async record(input: RecordPipelineManifestInput, options: TaskMutationOptions = {}): Promise<PipelineManifestRecord> {
    const ctx = this.#ctx
    const data = ctx.parse(RecordPipelineManifestSchema, input, 'tasks.manifests.record')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.manifests.record')
    const who = ctx.actor(options, 'tasks.manifests.record')
    const hash = createHash('sha256').update(data.content, 'utf8').digest('hex')
    return ctx.engine.write((x) => this.#record(x, data, who, hash))
  }

  *#record(x: TasksExecutor, data: z.output<typeof RecordPipelineManifestSchema>, who: Actor, hash: string): Step<PipelineManifestRecord> {
    const ctx = this.#ctx
    const now = ctx.now()
    if (data.taskId !== undefined) yield* requireTaskRow(x, ctx, data.taskId)
    if (data.epicId !== undefined) yield* requireTaskRow(x, ctx, data.epicId)
    if (data.sessionId !== undefined && (yield* x.get(SESSION, { id: data.sessionId })) === undefined) {
      throw ctx.notFound('session', data.sessionId)
    }
    const row: RecordRow = {
      id: ctx.newId(),
      session_id: data.sessionId ?? null,
      task_id: data.taskId ?? null,
      epic_id: data.epicId ?? null,
      type: data.type,
      content: data.content,
      content_hash: hash,
      status: 'active',
      distilled: data.distilled ? 1 : 0,
      brain_obs_id: data.brainObsId ?? null,
      source_file: data.sourceFile ?? null,
      metadata_json: JSON.stringify(data.metadata),
      created_at: now,
      archived_at: null,
    }
    yield* x.run(INSERT_RECORD, row)
    const record = this.#toRecord(row)
    yield* ctx.audit(
      x,
      who,
      { action: 'manifest.record', entityType: 'manifest', entityId: row.id, taskId: row.task_id, after: { ...record, content: undefined } },
      now,
    )
    return record
  }

  /**
   * Pipeline manifest records, newest first.
   *
   * @example
   * ```ts
   * const recent = await tasks.manifests.list({ taskId: 'T3', limit: 10 })
   * ```
   */
  async list(filter: PipelineManifestFilter = {}): Promise<PipelineManifestRecord[]> {
    const ctx = this.#ctx
    const f = ctx.parse(PipelineManifestFilterSchema, filter, 'tasks.manifests.list')
    let q = ctx.engine.kysely.selectFrom('pipeline_manifest').selectAll()
    if (f.taskId) q = q.where('task_id', '=', f.taskId)
    if (f.epicId) q = q.where('epic_id', '=', f.epicId)
    if (f.sessionId) q = q.where('session_id', '=', f.sessionId)
    if (f.status) q = q.where('status', '=', f.status)
    if (f.type) q = q.where('type', '=', f.type)
    const rows = await ctx.engine.read((x) => x.all(q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit ?? 100)))
    return rows.map((row) => this.#toRecord(row))
  }

  /**
   * Archives an active record; `NOT_FOUND` for an unknown id, `CONFLICT` when it
   * is archived already.
   *
   * @example
   * ```ts
   * await tasks.manifests.archive(rec.id)
   * ```
   */
  async archive(id: string, options: TaskMutationOptions = {}): Promise<PipelineManifestRecord> {
    const ctx = this.#ctx
    const recordId = ctx.parse(IdSchema, id, 'tasks.manifests.archive')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.manifests.archive')
    const who = ctx.actor(options, 'tasks.manifests.archive')
    return ctx.engine.write((x) => this.#archive(x, recordId, who))
  }

  *#archive(x: TasksExecutor, recordId: string, who: Actor): Step<PipelineManifestRecord> {
    const ctx = this.#ctx
    const now = ctx.now()
    const before = yield* x.get(GET_RECORD, { id: recordId })
    if (before === undefined) throw ctx.notFound('pipeline manifest record', recordId)
    const after = yield* x.get(ARCHIVE_RECORD, { id: recordId, now })
    if (after === undefined) throw ctx.error('CONFLICT', `pipeline manifest record ${recordId} is already archived`, { id: recordId })
    yield* ctx.audit(x, who, { action: 'manifest.archive', entityType: 'manifest', entityId: recordId, taskId: after.task_id, details: { archivedAt: toIso(now) } }, now)
    return this.#toRecord(after)
  }

  #toEntry(row: EntryRow & { stage_name: LifecycleStageName | null }): ManifestEntry {
    const where = this.#ctx.errorContext
    return {
      id: row.id,
      pipelineId: row.pipeline_id,
      stage: row.stage_name,
      title: row.title,
      status: row.status,
      agentType: row.agent_type,
      outputFile: row.output_file,
      topics: fromJson<string[]>(row.topics_json, 'manifest_entries.topics_json', where),
      findings: fromJson<string[]>(row.findings_json, 'manifest_entries.findings_json', where),
      linkedTasks: fromJson<string[]>(row.linked_tasks_json, 'manifest_entries.linked_tasks_json', where),
      createdAt: toIso(row.created_at),
    }
  }

  #toRecord(row: RecordRow): PipelineManifestRecord {
    return {
      id: row.id,
      type: row.type,
      content: row.content,
      contentHash: row.content_hash,
      status: row.status,
      sessionId: row.session_id,
      taskId: row.task_id,
      epicId: row.epic_id,
      distilled: row.distilled === 1,
      brainObsId: row.brain_obs_id,
      sourceFile: row.source_file,
      metadata: fromJson<Record<string, unknown>>(row.metadata_json, 'pipeline_manifest.metadata_json', this.#ctx.errorContext),
      createdAt: toIso(row.created_at),
      archivedAt: toIsoOrNull(row.archived_at),
    }
  }
}
