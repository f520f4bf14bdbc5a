/**
 * The RCASD-IVTR+C lifecycle of a task: `tasks.lifecycle`.
 *
 * @module
 */
import type { Selectable } from 'kysely'
import { sql } from 'kysely'
import { z } from 'zod'

import { toIso, toIsoOrNull } from '../sqlite/clock.js'
import { fromJson } from '../sqlite/json.js'
import { template } from '../sqlite/query-template.js'
import type { Step } from '../sqlite/store-engine.js'
import { requireTaskRow } from './task-rows.js'
import type { Actor, TasksContext, TasksExecutor } from './tasks-context.js'
import type {
  LifecycleEvidenceType,
  LifecycleGateResultValue,
  LifecyclePipelineStatus,
  LifecycleStageName,
  LifecycleStageStatus,
  LifecycleTransitionType,
  LifecycleValidationStatus,
} from './tasks.enums.js'
import { LIFECYCLE_STAGES } from './tasks.enums.js'
import type {
  AddEvidenceInput,
  AdvanceStageInput,
  TaskMutationOptions,
  RecordGateInput,
  SetPipelineStatusInput,
  ValidateStageInput,
} from './tasks.types.js'
import {
  AddEvidenceSchema,
  AdvanceStageSchema,
  TaskMutationOptionsSchema,
  RecordGateSchema,
  SetPipelineStatusSchema,
  TaskIdSchema,
  ValidateStageSchema,
} from './tasks.schemas.js'
import type {
  LifecycleEvidenceTable,
  LifecycleGateResultsTable,
  LifecyclePipelinesTable,
  LifecycleStagesTable,
  LifecycleTransitionsTable,
  TasksDatabase,
} from './tasks.tables.js'

/**
 * The stages each stage needs completed (or skipped) before it may start (CLEO's
 * `STAGE_PREREQUISITES`). A forced transition ignores them.
 *
 * @example
 * ```ts
 * LIFECYCLE_PREREQUISITES.implementation // ['research', 'specification', 'decomposition']
 * ```
 */
export const LIFECYCLE_PREREQUISITES: Readonly<Record<LifecycleStageName, readonly LifecycleStageName[]>> = Object.freeze({
  research: [],
  consensus: ['research'],
  architecture_decision: ['research', 'consensus'],
  specification: ['research', 'consensus', 'architecture_decision'],
  decomposition: ['research', 'specification'],
  implementation: ['research', 'specification', 'decomposition'],
  validation: ['implementation'],
  testing: ['implementation', 'validation'],
  release: ['implementation', 'validation', 'testing'],
  contribution: [],
})

/**
 * One stage of a pipeline.
 *
 * @example
 * ```ts
 * const stage: LifecycleStage = pipeline.stages[0] // research, sequence 1
 * ```
 */
export interface LifecycleStage {
  readonly id: string
  readonly pipelineId: string
  readonly name: LifecycleStageName
  /** 1 … 10, fixed by the name. */
  readonly sequence: number
  readonly status: LifecycleStageStatus
  readonly startedAt: string | null
  readonly completedAt: string | null
  readonly blockedAt: string | null
  readonly skippedAt: string | null
  readonly blockReason: string | null
  readonly skipReason: string | null
  readonly notes: readonly string[]
  readonly metadata: Readonly<Record<string, unknown>>
  readonly outputFile: string | null
  readonly createdBy: string | null
  readonly validatedBy: string | null
  readonly validatedAt: string | null
  readonly validationStatus: LifecycleValidationStatus | null
}

/**
 * A lifecycle pipeline with its ten stages, in order.
 *
 * @example
 * ```ts
 * const p: LifecyclePipeline = await tasks.lifecycle.start('T1')
 * p.currentStage // 'research'
 * ```
 */
export interface LifecyclePipeline {
  readonly id: string
  readonly taskId: string
  readonly status: LifecyclePipelineStatus
  readonly currentStage: LifecycleStageName
  readonly startedAt: string
  readonly updatedAt: string
  readonly completedAt: string | null
  /** Bumped by every change; pass it as `expectedVersion` to `advance`. */
  readonly version: number
  readonly stages: readonly LifecycleStage[]
}

/**
 * A piece of evidence for a stage or a gate result.
 *
 * @example
 * ```ts
 * const e: LifecycleEvidence = await tasks.lifecycle.addEvidence(p.id, { uri: 'spec.md', type: 'file' })
 * ```
 */
export interface LifecycleEvidence {
  readonly id: string
  readonly stageId: string
  readonly gateResultId: string | null
  readonly uri: string
  readonly type: LifecycleEvidenceType
  readonly recordedAt: string
  readonly recordedBy: string | null
  readonly description: string | null
}

/**
 * One recorded gate check, with its evidence. Checks are appended; the latest one
 * per (stage, gate) is the gate's state.
 *
 * @example
 * ```ts
 * const g: LifecycleGateResult = await tasks.lifecycle.recordGate(p.id, { gate: 'lint', result: 'pass', checkedBy: 'ci' })
 * ```
 */
export interface LifecycleGateResult {
  readonly id: string
  readonly stageId: string
  readonly stage: LifecycleStageName
  readonly gate: string
  readonly result: LifecycleGateResultValue
  readonly required: boolean
  readonly checkedAt: string
  readonly checkedBy: string
  readonly details: string | null
  readonly reason: string | null
  readonly evidence: readonly LifecycleEvidence[]
}

/**
 * One stage change of a pipeline.
 *
 * @example
 * ```ts
 * const [first] = await tasks.lifecycle.transitions(p.id) // { from: null, to: 'research', type: 'automatic' }
 * ```
 */
export interface LifecycleTransition {
  readonly id: string
  readonly pipelineId: string
  readonly from: LifecycleStageName | null
  readonly to: LifecycleStageName
  readonly type: LifecycleTransitionType
  readonly by: string | null
  readonly reason: string | null
  readonly createdAt: string
}

type PipelineRow = Selectable<LifecyclePipelinesTable>
type StageRow = Selectable<LifecycleStagesTable>
type GateRow = Selectable<LifecycleGateResultsTable>
type EvidenceRow = Selectable<LifecycleEvidenceTable>

const GET_PIPELINE = template<TasksDatabase, { id: string }>()((db, p) =>
  db.selectFrom('lifecycle_pipelines').selectAll().where('id', '=', p('id')),
)
const OPEN_PIPELINE_OF_TASK = template<TasksDatabase, { task: string }>()((db, p) =>
  db.selectFrom('lifecycle_pipelines').selectAll().where('task_id', '=', p('task')).where(sql<boolean>`status IN ('active', 'blocked')`),
)
const PIPELINES_OF_TASK = template<TasksDatabase, { task: string }>()((db, p) =>
  db.selectFrom('lifecycle_pipelines').selectAll().where('task_id', '=', p('task')).orderBy('started_at').orderBy('id'),
)
const STAGES = template<TasksDatabase, { pipeline: string }>()((db, p) =>
  db.selectFrom('lifecycle_stages').selectAll().where('pipeline_id', '=', p('pipeline')).orderBy('sequence'),
)
const INSERT_PIPELINE = template<TasksDatabase, PipelineRow>()((db, p) =>
  db.insertInto('lifecycle_pipelines').values({
    id: p('id'),
    task_id: p('task_id'),
    status: p('status'),
    current_stage: p('current_stage'),
    started_at: p('started_at'),
    updated_at: p('updated_at'),
    completed_at: p('completed_at'),
    version: p('version'),
  }),
)
const WRITE_PIPELINE = template<TasksDatabase, PipelineRow>()((db, p) =>
  db
    .updateTable('lifecycle_pipelines')
    .set({
      status: p('status'),
      current_stage: p('current_stage'),
      updated_at: p('updated_at'),
      completed_at: p('completed_at'),
      version: sql<number>`version + 1`,
    })
    .where('id', '=', p('id'))
    .where('version', '=', p('version')),
)
const INSERT_STAGE = template<TasksDatabase, StageRow>()((db, p) =>
  db.insertInto('lifecycle_stages').values({
    id: p('id'),
    pipeline_id: p('pipeline_id'),
    stage_name: p('stage_name'),
    sequence: p('sequence'),
    status: p('status'),
    started_at: p('started_at'),
    completed_at: p('completed_at'),
    blocked_at: p('blocked_at'),
    skipped_at: p('skipped_at'),
    block_reason: p('block_reason'),
    skip_reason: p('skip_reason'),
    notes_json: p('notes_json'),
    metadata_json: p('metadata_json'),
    output_file: p('output_file'),
    created_by: p('created_by'),
    validated_by: p('validated_by'),
    validated_at: p('validated_at'),
    validation_status: p('validation_status'),
  }),
)
const WRITE_STAGE = template<TasksDatabase, StageRow>()((db, p) =>
  db
    .updateTable('lifecycle_stages')
    .set({
      status: p('status'),
      started_at: p('started_at'),
      completed_at: p('completed_at'),
      blocked_at: p('blocked_at'),
      skipped_at: p('skipped_at'),
      block_reason: p('block_reason'),
      skip_reason: p('skip_reason'),
      output_file: p('output_file'),
      validated_by: p('validated_by'),
      validated_at: p('validated_at'),
      validation_status: p('validation_status'),
    })
    .where('id', '=', p('id')),
)
const INSERT_GATE = template<TasksDatabase, GateRow>()((db, p) =>
  db.insertInto('lifecycle_gate_results').values({
    id: p('id'),
    stage_id: p('stage_id'),
    gate_name: p('gate_name'),
    result: p('result'),
    required: p('required'),
    checked_at: p('checked_at'),
    checked_by: p('checked_by'),
    details: p('details'),
    reason: p('reason'),
  }),
)
const INSERT_EVIDENCE = template<TasksDatabase, EvidenceRow>()((db, p) =>
  db.insertInto('lifecycle_evidence').values({
    id: p('id'),
    stage_id: p('stage_id'),
    gate_result_id: p('gate_result_id'),
    uri: p('uri'),
    type: p('type'),
    recorded_at: p('recorded_at'),
    recorded_by: p('recorded_by'),
    description: p('description'),
  }),
)
/** The latest check of every gate of a stage. */
const LATEST_GATES = template<TasksDatabase, { stage: string }>()((db, p) =>
  db
    .selectFrom('lifecycle_gate_results as g')
    .selectAll('g')
    .where('g.stage_id', '=', p('stage'))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('lifecycle_gate_results as later')
            .select(sql`1`.as('x'))
            .whereRef('later.stage_id', '=', 'g.stage_id')
            .whereRef('later.gate_name', '=', 'g.gate_name')
            .where((eb) => eb.or([eb('later.checked_at', '>', eb.ref('g.checked_at')), eb.and([eb('later.checked_at', '=', eb.ref('g.checked_at')), eb('later.id', '>', eb.ref('g.id'))])])),
        ),
      ),
    )
    .orderBy('g.gate_name'),
)
const GATES_OF_PIPELINE = template<TasksDatabase, { pipeline: string }>()((db, p) =>
  db
    .selectFrom('lifecycle_gate_results as g')
    .innerJoin('lifecycle_stages as s', 's.id', 'g.stage_id')
    .selectAll('g')
    .where('s.pipeline_id', '=', p('pipeline'))
    .orderBy('g.checked_at')
    .orderBy('g.id'),
)
const EVIDENCE_OF_PIPELINE = template<TasksDatabase, { pipeline: string }>()((db, p) =>
  db
    .selectFrom('lifecycle_evidence as e')
    .innerJoin('lifecycle_stages as s', 's.id', 'e.stage_id')
    .selectAll('e')
    .where('s.pipeline_id', '=', p('pipeline'))
    .orderBy('e.recorded_at')
    .orderBy('e.id'),
)
const GET_GATE = template<TasksDatabase, { id: string }>()((db, p) =>
  db.selectFrom('lifecycle_gate_results').selectAll().where('id', '=', p('id')),
)
const INSERT_TRANSITION = template<TasksDatabase, Selectable<LifecycleTransitionsTable>>()((db, p) =>
  db.insertInto('lifecycle_transitions').values({
    id: p('id'),
    pipeline_id: p('pipeline_id'),
    from_stage_id: p('from_stage_id'),
    to_stage_id: p('to_stage_id'),
    transition_type: p('transition_type'),
    transitioned_by: p('transitioned_by'),
    reason: p('reason'),
    created_at: p('created_at'),
  }),
)
const TRANSITIONS = template<TasksDatabase, { pipeline: string }>()((db, p) =>
  db
    .selectFrom('lifecycle_transitions as t')
    .leftJoin('lifecycle_stages as f', 'f.id', 't.from_stage_id')
    .innerJoin('lifecycle_stages as s', 's.id', 't.to_stage_id')
    .selectAll('t')
    .select(['f.stage_name as from_name', 's.stage_name as to_name'])
    .where('t.pipeline_id', '=', p('pipeline'))
    .orderBy('t.created_at')
    .orderBy('t.id'),
)
const MIRROR_STAGE = template<TasksDatabase, { id: string; stage: string; now: number }>()((db, p) =>
  db
    .updateTable('tasks')
    .set({ pipeline_stage: p('stage') as never, updated_at: p('now'), version: sql<number>`version + 1` })
    .where('id', '=', p('id')),
)

const isOpen = (status: LifecyclePipelineStatus) => status === 'active' || status === 'blocked'
const isSettled = (status: LifecycleStageStatus) => status === 'completed' || status === 'skipped'
const sequenceOf = (name: LifecycleStageName) => LIFECYCLE_STAGES.indexOf(name) + 1
const StageNameSchema = z.enum(LIFECYCLE_STAGES)


const StartPipelineSchema = z.strictObject({ startAt: StageNameSchema.default('research') })


const PipelineIdSchema = z.string().min(1).max(100)
const SkipReasonSchema = z.string().min(1).max(500)

/**
 * Lifecycle pipelines of tasks.db, as `tasks.lifecycle`: the ten RCASD-IVTR+C
 * stages (research, consensus, architecture_decision, specification,
 * decomposition, implementation, validation, testing, release, contribution).
 *
 * - A task has at most one open (active or blocked) pipeline; a partial UNIQUE
 *   index enforces it (CLEO had no such key).
 * - Stages only move forward. `advance` completes the current stage and starts the
 *   target in one transaction with its transition row and the task's mirrored
 *   `pipelineStage` (CLEO: four separate writes, no version check).
 * - A required gate whose latest check failed blocks `advance`, as do unmet
 *   prerequisites and unfinished stages in between — unless the transition `type`
 *   is `forced` (recorded as such; skipped-over stages are marked skipped).
 * - Gate checks are appended with their evidence in one transaction (CLEO upserted
 *   them and swallowed evidence errors).
 *
 * @example
 * ```ts
 * const p = await tasks.lifecycle.start('T1')
 * await tasks.lifecycle.recordGate(p.id, { gate: 'sources-cited', result: 'pass', checkedBy: 'reviewer' })
 * await tasks.lifecycle.advance(p.id, { by: 'agent-7' }) // research → consensus
 * ```
 */
export class TaskLifecycle {
  readonly #ctx: TasksContext

  /** @internal Created by the repository. */
  constructor(ctx: TasksContext) {
    this.#ctx = ctx
  }

  /**
   * Starts a pipeline for `taskId` at `startAt` (default `research`; earlier
   * stages are marked skipped). `CONFLICT` when the task already has an open one.
   *
   * @example
   * ```ts
   * const p = await tasks.lifecycle.start('T4', { startAt: 'implementation' })
   * ```
   */
  async start(taskId: string, input: { startAt?: LifecycleStageName } = {}, options: TaskMutationOptions = {}): Promise<LifecyclePipeline> {
    const ctx = this.#ctx
    const task = ctx.parse(TaskIdSchema, taskId, 'tasks.lifecycle.start')
    const { startAt } = ctx.parse(StartPipelineSchema, input, 'tasks.lifecycle.start')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.lifecycle.start')
    const who = ctx.actor(options, 'tasks.lifecycle.start')
    const id = await ctx.engine.write((x) => this.#start(x, task, startAt, who))
    return this.get(id)
  }

  *#start(x: TasksExecutor, task: string, startAt: LifecycleStageName, who: Actor): Step<string> {
    const ctx = this.#ctx
    const now = ctx.now()
    const row = yield* requireTaskRow(x, ctx, task)
    if (row.archived_at !== null) throw ctx.error('INVARIANT', `task ${task} is archived`, { taskId: task })
    const open = yield* x.get(OPEN_PIPELINE_OF_TASK, { task })
    if (open !== undefined) {
      throw ctx.error('CONFLICT', `task ${task} already has an open pipeline (${open.id})`, { taskId: task, pipelineId: open.id })
    }
    const pipelineId = ctx.newId()
    yield* x.run(INSERT_PIPELINE, {
      id: pipelineId,
      task_id: task,
      status: 'active',
      current_stage: startAt,
      started_at: now,
      updated_at: now,
      completed_at: null,
      version: 1,
    })
    const first = sequenceOf(startAt)
    let startId = ''
    for (const [index, name] of LIFECYCLE_STAGES.entries()) {
      const sequence = index + 1
      const stageId = ctx.newId()
      if (sequence === first) startId = stageId
      yield* x.run(INSERT_STAGE, {
        id: stageId,
        pipeline_id: pipelineId,
        stage_name: name,
        sequence,
        status: sequence < first ? 'skipped' : sequence === first ? 'in_progress' : 'not_started',
        started_at: sequence === first ? now : null,
        completed_at: null,
        blocked_at: null,
        skipped_at: sequence < first ? now : null,
        block_reason: null,
        skip_reason: sequence < first ? `pipeline started at ${startAt}` : null,
        notes_json: '[]',
        metadata_json: '{}',
        output_file: null,
        created_by: who.actor,
        validated_by: null,
        validated_at: null,
        validation_status: null,
      })
    }
    yield* x.run(INSERT_TRANSITION, {
      id: ctx.newId(),
      pipeline_id: pipelineId,
      from_stage_id: null,
      to_stage_id: startId,
      transition_type: 'automatic',
      transitioned_by: who.actor,
      reason: 'pipeline started',
      created_at: now,
    })
    yield* x.run(MIRROR_STAGE, { id: task, stage: startAt, now })
    yield* ctx.audit(x, who, { action: 'lifecycle.start', entityType: 'lifecycle', entityId: pipelineId, taskId: task, after: (yield* this.#load(x, pipelineId)) }, now)
    return pipelineId
  }

  /**
   * Reads a pipeline with its stages; `NOT_FOUND` when there is none.
   *
   * @example
   * ```ts
   * const p = await tasks.lifecycle.get(pipelineId)
   * ```
   */
  async get(pipelineId: string): Promise<LifecyclePipeline> {
    const ctx = this.#ctx
    const id = ctx.parse(PipelineIdSchema, pipelineId, 'tasks.lifecycle.get')
    return ctx.engine.snapshot((x) => this.#load(x, id))
  }

  /**
   * The task's open (active or blocked) pipeline, or `null`.
   *
   * @example
   * ```ts
   * const p = await tasks.lifecycle.forTask('T1')
   * ```
   */
  async forTask(taskId: string): Promise<LifecyclePipeline | null> {
    const ctx = this.#ctx
    const task = ctx.parse(TaskIdSchema, taskId, 'tasks.lifecycle.forTask')
    return ctx.engine.snapshot((x) => this.#openOf(x, task))
  }

  *#openOf(x: TasksExecutor, task: string): Step<LifecyclePipeline | null> {
    const open = yield* x.get(OPEN_PIPELINE_OF_TASK, { task })
    return open === undefined ? null : yield* this.#load(x, open.id)
  }

  /**
   * Every pipeline the task ever had, oldest first.
   *
   * @example
   * ```ts
   * const runs = await tasks.lifecycle.history('T1')
   * ```
   */
  async history(taskId: string): Promise<LifecyclePipeline[]> {
    const ctx = this.#ctx
    const task = ctx.parse(TaskIdSchema, taskId, 'tasks.lifecycle.history')
    return ctx.engine.snapshot((x) => this.#history(x, task))
  }

  *#history(x: TasksExecutor, task: string): Step<LifecyclePipeline[]> {
    const pipelines: LifecyclePipeline[] = []
    for (const row of yield* x.all(PIPELINES_OF_TASK, { task })) pipelines.push(yield* this.#load(x, row.id))
    return pipelines
  }

  /**
   * Appends a gate check (and its evidence) to a stage of an open pipeline.
   *
   * @example
   * ```ts
   * await tasks.lifecycle.recordGate(p.id, { gate: 'tests', result: 'fail', checkedBy: 'ci', reason: '3 failures' })
   * ```
   */
  async recordGate(pipelineId: string, input: RecordGateInput, options: TaskMutationOptions = {}): Promise<LifecycleGateResult> {
    const ctx = this.#ctx
    const data = ctx.parse(RecordGateSchema, input, 'tasks.lifecycle.recordGate')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.lifecycle.recordGate')
    const who = ctx.actor(options, 'tasks.lifecycle.recordGate')
    return ctx.engine.write((x) => this.#recordGate(x, pipelineId, data, who))
  }

  *#recordGate(x: TasksExecutor, pipelineId: string, data: z.output<typeof RecordGateSchema>, who: Actor): Step<LifecycleGateResult> {
    const ctx = this.#ctx
    const now = ctx.now()
    const pipeline = yield* this.#requireOpen(x, pipelineId)
    const stage = yield* this.#stage(x, pipeline, data.stage ?? pipeline.current_stage)
    const gate: GateRow = {
      id: ctx.newId(),
      stage_id: stage.id,
      gate_name: data.gate,
      result: data.result,
      required: data.required ? 1 : 0,
      checked_at: now,
      checked_by: data.checkedBy,
      details: data.details ?? null,
      reason: data.reason ?? null,
    }
    yield* x.run(INSERT_GATE, gate)
    const evidence: EvidenceRow[] = []
    for (const e of data.evidence) {
      const row: EvidenceRow = {
        id: ctx.newId(),
        stage_id: stage.id,
        gate_result_id: gate.id,
        uri: e.uri,
        type: e.type,
        recorded_at: now,
        recorded_by: data.checkedBy,
        description: e.description ?? null,
      }
      yield* x.run(INSERT_EVIDENCE, row)
      evidence.push(row)
    }
    const result = this.#toGate(gate, stage.stage_name, evidence)
    yield* ctx.audit(x, who, { action: 'lifecycle.gate', entityType: 'lifecycle', entityId: pipeline.id, taskId: pipeline.task_id, after: result }, now)
    return result
  }

  /**
   * Records evidence for a stage (default: the current one), optionally attached
   * to one of its gate results.
   *
   * @example
   * ```ts
   * await tasks.lifecycle.addEvidence(p.id, { uri: 'https://ci/run/9', type: 'url', gateResultId: gate.id })
   * ```
   */
  async addEvidence(pipelineId: string, input: AddEvidenceInput, options: TaskMutationOptions = {}): Promise<LifecycleEvidence> {
    const ctx = this.#ctx
    const data = ctx.parse(AddEvidenceSchema, input, 'tasks.lifecycle.addEvidence')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.lifecycle.addEvidence')
    const who = ctx.actor(options, 'tasks.lifecycle.addEvidence')
    return ctx.engine.write((x) => this.#addEvidence(x, pipelineId, data, who))
  }

  *#addEvidence(x: TasksExecutor, pipelineId: string, data: z.output<typeof AddEvidenceSchema>, who: Actor): Step<LifecycleEvidence> {
    const ctx = this.#ctx
    const now = ctx.now()
    const pipeline = yield* this.#require(x, pipelineId)
    const stage = yield* this.#stage(x, pipeline, data.stage ?? pipeline.current_stage)
    if (data.gateResultId !== undefined) {
      const gate = yield* x.get(GET_GATE, { id: data.gateResultId })
      if (gate === undefined) throw ctx.notFound('gate result', data.gateResultId)
      if (gate.stage_id !== stage.id) {
        throw ctx.error('INVARIANT', `gate result ${gate.id} belongs to another stage than ${stage.stage_name}`, { gateResultId: gate.id })
      }
    }
    const row: EvidenceRow = {
      id: ctx.newId(),
      stage_id: stage.id,
      gate_result_id: data.gateResultId ?? null,
      uri: data.uri,
      type: data.type,
      recorded_at: now,
      recorded_by: data.recordedBy ?? who.actor,
      description: data.description ?? null,
    }
    yield* x.run(INSERT_EVIDENCE, row)
    const evidence = toEvidence(row)
    yield* ctx.audit(x, who, { action: 'lifecycle.evidence', entityType: 'lifecycle', entityId: pipeline.id, taskId: pipeline.task_id, after: evidence }, now)
    return evidence
  }

  /**
   * Every gate check of a pipeline (optionally of one stage), oldest first, with
   * their evidence.
   *
   * @example
   * ```ts
   * const checks = await tasks.lifecycle.gates(p.id, { stage: 'testing' })
   * ```
   */
  async gates(pipelineId: string, options: { stage?: LifecycleStageName } = {}): Promise<LifecycleGateResult[]> {
    const ctx = this.#ctx
    const stageFilter = options.stage === undefined ? undefined : ctx.parse(StageNameSchema, options.stage, 'tasks.lifecycle.gates')
    return ctx.engine.snapshot((x) => this.#gates(x, pipelineId, stageFilter))
  }

  *#gates(x: TasksExecutor, pipelineId: string, stageFilter: LifecycleStageName | undefined): Step<LifecycleGateResult[]> {
    const pipeline = yield* this.#require(x, pipelineId)
    const stages = new Map((yield* x.all(STAGES, { pipeline: pipeline.id })).map((s) => [s.id, s.stage_name]))
    const evidence = yield* x.all(EVIDENCE_OF_PIPELINE, { pipeline: pipeline.id })
    return (yield* x.all(GATES_OF_PIPELINE, { pipeline: pipeline.id }))
      .filter((g) => stageFilter === undefined || stages.get(g.stage_id) === stageFilter)
      .map((g) => this.#toGate(g, stages.get(g.stage_id)!, evidence.filter((e) => e.gate_result_id === g.id)))
  }

  /**
   * All evidence of a pipeline, oldest first.
   *
   * @example
   * ```ts
   * const files = (await tasks.lifecycle.evidence(p.id)).filter((e) => e.type === 'file')
   * ```
   */
  async evidence(pipelineId: string): Promise<LifecycleEvidence[]> {
    const ctx = this.#ctx
    return ctx.engine.snapshot((x) => this.#evidence(x, pipelineId))
  }

  *#evidence(x: TasksExecutor, pipelineId: string): Step<LifecycleEvidence[]> {
    const pipeline = yield* this.#require(x, pipelineId)
    return (yield* x.all(EVIDENCE_OF_PIPELINE, { pipeline: pipeline.id })).map(toEvidence)
  }

  /**
   * Completes the current stage and starts `to` (default: the next stage); at the
   * last stage without `to`, completes the pipeline. Refused with `INVARIANT`
   * when a required gate of the current stage last failed, a prerequisite of the
   * target is not completed or skipped, or a stage in between is unfinished —
   * unless `type` is `forced`. `CONFLICT` on a stale `expectedVersion`.
   *
   * @example
   * ```ts
   * await tasks.lifecycle.advance(p.id, { to: 'testing', type: 'forced', by: 'lead', reason: 'hotfix' })
   * ```
   */
  async advance(pipelineId: string, input: AdvanceStageInput = {}, options: TaskMutationOptions = {}): Promise<LifecyclePipeline> {
    const ctx = this.#ctx
    const data = ctx.parse(AdvanceStageSchema, input, 'tasks.lifecycle.advance')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.lifecycle.advance')
    const who = ctx.actor(options, 'tasks.lifecycle.advance')
    const id = await ctx.engine.write((x) => this.#advance(x, pipelineId, data, who))
    return this.get(id)
  }

  *#advance(x: TasksExecutor, pipelineId: string, data: z.output<typeof AdvanceStageSchema>, who: Actor): Step<string> {
    const ctx = this.#ctx
    const now = ctx.now()
    const pipeline = yield* this.#require(x, pipelineId)
    if (data.expectedVersion !== undefined && data.expectedVersion !== pipeline.version) {
      throw ctx.error('CONFLICT', `pipeline ${pipeline.id} is at version ${pipeline.version}, not ${data.expectedVersion}`, {
        expectedVersion: data.expectedVersion,
        actualVersion: pipeline.version,
      })
    }
    if (pipeline.status !== 'active') throw ctx.error('INVARIANT', `pipeline ${pipeline.id} is ${pipeline.status}, not active`, { status: pipeline.status })
    const stages = yield* x.all(STAGES, { pipeline: pipeline.id })
    const current = stages.find((s) => s.stage_name === pipeline.current_stage)!
    const forced = data.type === 'forced'
    const before = yield* this.#load(x, pipeline.id)
    const failed = (yield* x.all(LATEST_GATES, { stage: current.id })).filter((g) => g.result === 'fail' && g.required === 1)
    if (failed.length > 0 && !forced) {
      throw ctx.error(
        'INVARIANT',
        `required gate(s) ${failed.map((g) => g.gate_name).join(', ')} of ${current.stage_name} failed; fix them or force the transition`,
        { rule: 'gate', failedGates: failed.map((g) => g.gate_name) },
      )
    }
    const target = data.to ?? LIFECYCLE_STAGES[current.sequence] ?? null
    if (target !== null && sequenceOf(target) <= current.sequence) {
      throw ctx.error('INVARIANT', `stages only move forward: ${current.stage_name} → ${target}`, { rule: 'forward', from: current.stage_name, to: target })
    }
    function* closeStage(stage: StageRow, status: 'completed' | 'skipped', reason: string | null): Step<unknown> {
      return yield* x.run(WRITE_STAGE, {
        ...stage,
        status,
        completed_at: status === 'completed' ? now : null,
        skipped_at: status === 'skipped' ? now : null,
        skip_reason: status === 'skipped' ? reason : stage.skip_reason,
        blocked_at: null,
        block_reason: null,
      })
    }
    if (target === null) {
      yield* closeStage(current, 'completed', null)
      yield* x.run(WRITE_PIPELINE, { ...pipeline, status: 'completed', completed_at: now, updated_at: now })
    } else {
      const toSeq = sequenceOf(target)
      const between = stages.filter((s) => s.sequence > current.sequence && s.sequence < toSeq && !isSettled(s.status))
      const settled = new Set(stages.filter((s) => isSettled(s.status)).map((s) => s.stage_name))
      settled.add(current.stage_name)
      const missing = LIFECYCLE_PREREQUISITES[target].filter((name) => !settled.has(name) && !between.some((s) => s.stage_name === name))
      if (!forced && (between.length > 0 || missing.length > 0)) {
        throw ctx.error(
          'INVARIANT',
          `${target} cannot start yet: ${[...new Set([...between.map((s) => s.stage_name), ...missing])].join(', ')} not completed or skipped`,
          { rule: 'prerequisites', unfinished: between.map((s) => s.stage_name), missing },
        )
      }
      yield* closeStage(current, 'completed', null)
      for (const stage of between) yield* closeStage(stage, 'skipped', `forced past by ${who.actor}`)
      const next = stages.find((s) => s.stage_name === target)!
      yield* x.run(WRITE_STAGE, { ...next, status: 'in_progress', started_at: now })
      yield* x.run(WRITE_PIPELINE, { ...pipeline, current_stage: target, updated_at: now })
      yield* x.run(INSERT_TRANSITION, {
        id: ctx.newId(),
        pipeline_id: pipeline.id,
        from_stage_id: current.id,
        to_stage_id: next.id,
        transition_type: data.type,
        transitioned_by: data.by ?? who.actor,
        reason: data.reason ?? null,
        created_at: now,
      })
      yield* x.run(MIRROR_STAGE, { id: pipeline.task_id, stage: target, now })
    }
    yield* ctx.audit(
      x,
      who,
      {
        action: target === null ? 'lifecycle.complete' : 'lifecycle.advance',
        entityType: 'lifecycle',
        entityId: pipeline.id,
        taskId: pipeline.task_id,
        before,
        after: yield* this.#load(x, pipeline.id),
        details: { type: data.type, ...(forced && failed.length > 0 ? { overriddenGates: failed.map((g) => g.gate_name) } : {}) },
      },
      now,
    )
    return pipeline.id
  }

  /**
   * Marks a later, not yet started stage as skipped (it then counts as met).
   *
   * @example
   * ```ts
   * await tasks.lifecycle.skip(p.id, 'consensus', 'single-owner change')
   * ```
   */
  async skip(pipelineId: string, stage: LifecycleStageName, reason: string, options: TaskMutationOptions = {}): Promise<LifecyclePipeline> {
    const ctx = this.#ctx
    const name = ctx.parse(StageNameSchema, stage, 'tasks.lifecycle.skip')
    const why = ctx.parse(SkipReasonSchema, reason, 'tasks.lifecycle.skip')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.lifecycle.skip')
    const who = ctx.actor(options, 'tasks.lifecycle.skip')
    const id = await ctx.engine.write((x) => this.#skip(x, pipelineId, name, why, who))
    return this.get(id)
  }

  *#skip(x: TasksExecutor, pipelineId: string, name: LifecycleStageName, why: string, who: Actor): Step<string> {
    const ctx = this.#ctx
    const now = ctx.now()
    const pipeline = yield* this.#requireOpen(x, pipelineId)
    const row = yield* this.#stage(x, pipeline, name)
    if (row.status !== 'not_started' || row.sequence <= sequenceOf(pipeline.current_stage)) {
      throw ctx.error('INVARIANT', `only a later stage that has not started can be skipped (${name} is ${row.status})`, { stage: name })
    }
    yield* x.run(WRITE_STAGE, { ...row, status: 'skipped', skipped_at: now, skip_reason: why })
    yield* x.run(WRITE_PIPELINE, { ...pipeline, updated_at: now })
    yield* ctx.audit(x, who, { action: 'lifecycle.skip', entityType: 'lifecycle', entityId: pipeline.id, taskId: pipeline.task_id, details: { stage: name, reason: why } }, now)
    return pipeline.id
  }

  /**
   * Blocks, unblocks (`active`), fails, cancels or aborts an open pipeline. The
   * current stage follows (blocked with the reason; failed on failure). A
   * cancelled pipeline sets the task's `pipelineStage` to `cancelled`.
   *
   * @example
   * ```ts
   * await tasks.lifecycle.setStatus(p.id, { status: 'blocked', reason: 'waiting on legal' })
   * await tasks.lifecycle.setStatus(p.id, { status: 'active' })
   * ```
   */
  async setStatus(pipelineId: string, input: SetPipelineStatusInput, options: TaskMutationOptions = {}): Promise<LifecyclePipeline> {
    const ctx = this.#ctx
    const data = ctx.parse(SetPipelineStatusSchema, input, 'tasks.lifecycle.setStatus')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.lifecycle.setStatus')
    const who = ctx.actor(options, 'tasks.lifecycle.setStatus')
    const id = await ctx.engine.write((x) => this.#setStatus(x, pipelineId, data, who))
    return this.get(id)
  }

  *#setStatus(x: TasksExecutor, pipelineId: string, data: z.output<typeof SetPipelineStatusSchema>, who: Actor): Step<string> {
    const ctx = this.#ctx
    const now = ctx.now()
    const pipeline = yield* this.#requireOpen(x, pipelineId)
    if (data.status === pipeline.status) return pipeline.id
    const before = yield* this.#load(x, pipeline.id)
    const current = yield* this.#stage(x, pipeline, pipeline.current_stage)
    if (data.status === 'blocked') {
      yield* x.run(WRITE_STAGE, { ...current, status: 'blocked', blocked_at: now, block_reason: data.reason ?? null })
    } else if (data.status === 'active') {
      yield* x.run(WRITE_STAGE, { ...current, status: 'in_progress', blocked_at: null, block_reason: null })
    } else if (data.status === 'failed') {
      yield* x.run(WRITE_STAGE, { ...current, status: 'failed' })
    }
    yield* x.run(WRITE_PIPELINE, { ...pipeline, status: data.status, updated_at: now })
    if (data.status === 'cancelled') yield* x.run(MIRROR_STAGE, { id: pipeline.task_id, stage: 'cancelled', now })
    yield* ctx.audit(
      x,
      who,
      { action: 'lifecycle.status', entityType: 'lifecycle', entityId: pipeline.id, taskId: pipeline.task_id, before, after: yield* this.#load(x, pipeline.id), details: { reason: data.reason ?? null } },
      now,
    )
    return pipeline.id
  }

  /**
   * Records the review of a stage's output.
   *
   * @example
   * ```ts
   * await tasks.lifecycle.validateStage(p.id, { stage: 'specification', status: 'approved', by: 'lead' })
   * ```
   */
  async validateStage(pipelineId: string, input: ValidateStageInput, options: TaskMutationOptions = {}): Promise<LifecycleStage> {
    const ctx = this.#ctx
    const data = ctx.parse(ValidateStageSchema, input, 'tasks.lifecycle.validateStage')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.lifecycle.validateStage')
    const who = ctx.actor(options, 'tasks.lifecycle.validateStage')
    return ctx.engine.write((x) => this.#validateStage(x, pipelineId, data, who))
  }

  *#validateStage(x: TasksExecutor, pipelineId: string, data: z.output<typeof ValidateStageSchema>, who: Actor): Step<LifecycleStage> {
    const ctx = this.#ctx
    const now = ctx.now()
    const pipeline = yield* this.#require(x, pipelineId)
    const stage = yield* this.#stage(x, pipeline, data.stage)
    const next: StageRow = {
      ...stage,
      validation_status: data.status,
      validated_by: data.by,
      validated_at: now,
      output_file: data.outputFile ?? stage.output_file,
    }
    yield* x.run(WRITE_STAGE, next)
    const result = this.#toStage(next)
    yield* ctx.audit(x, who, { action: 'lifecycle.validate', entityType: 'lifecycle', entityId: pipeline.id, taskId: pipeline.task_id, before: this.#toStage(stage), after: result }, now)
    return result
  }

  /**
   * The stage changes of a pipeline, oldest first.
   *
   * @example
   * ```ts
   * const path = (await tasks.lifecycle.transitions(p.id)).map((t) => `${t.from ?? '∅'}→${t.to} (${t.type})`)
   * ```
   */
  async transitions(pipelineId: string): Promise<LifecycleTransition[]> {
    const ctx = this.#ctx
    return ctx.engine.snapshot((x) => this.#transitions(x, pipelineId))
  }

  *#transitions(x: TasksExecutor, pipelineId: string): Step<LifecycleTransition[]> {
    const pipeline = yield* this.#require(x, pipelineId)
    return (yield* x.all(TRANSITIONS, { pipeline: pipeline.id })).map((row) => ({
      id: row.id,
      pipelineId: row.pipeline_id,
      from: row.from_name,
      to: row.to_name,
      type: row.transition_type,
      by: row.transitioned_by,
      reason: row.reason,
      createdAt: toIso(row.created_at),
    }))
  }

  // ── helpers (steps of a body) ────────────────────────────────────────────────

  *#require(x: TasksExecutor, id: string): Step<PipelineRow> {
    const ctx = this.#ctx
    const pipelineId = ctx.parse(PipelineIdSchema, id, 'tasks.lifecycle')
    const row = yield* x.get(GET_PIPELINE, { id: pipelineId })
    if (row === undefined) throw ctx.notFound('pipeline', pipelineId)
    return row
  }

  *#requireOpen(x: TasksExecutor, id: string): Step<PipelineRow> {
    const row = yield* this.#require(x, id)
    if (!isOpen(row.status)) throw this.#ctx.error('INVARIANT', `pipeline ${row.id} is ${row.status}`, { status: row.status })
    return row
  }

  *#stage(x: TasksExecutor, pipeline: PipelineRow, name: LifecycleStageName): Step<StageRow> {
    return (yield* x.all(STAGES, { pipeline: pipeline.id })).find((s) => s.stage_name === name)!
  }

  *#load(x: TasksExecutor, id: string): Step<LifecyclePipeline> {
    const row = yield* this.#require(x, id)
    return {
      id: row.id,
      taskId: row.task_id,
      status: row.status,
      currentStage: row.current_stage,
      startedAt: toIso(row.started_at),
      updatedAt: toIso(row.updated_at),
      completedAt: toIsoOrNull(row.completed_at),
      version: row.version,
      stages: (yield* x.all(STAGES, { pipeline: row.id })).map((s) => this.#toStage(s)),
    }
  }

  #toStage(row: StageRow): LifecycleStage {
    const where = this.#ctx.errorContext
    return {
      id: row.id,
      pipelineId: row.pipeline_id,
      name: row.stage_name,
      sequence: row.sequence,
      status: row.status,
      startedAt: toIsoOrNull(row.started_at),
      completedAt: toIsoOrNull(row.completed_at),
      blockedAt: toIsoOrNull(row.blocked_at),
      skippedAt: toIsoOrNull(row.skipped_at),
      blockReason: row.block_reason,
      skipReason: row.skip_reason,
      notes: fromJson<string[]>(row.notes_json, 'lifecycle_stages.notes_json', where),
      metadata: fromJson<Record<string, unknown>>(row.metadata_json, 'lifecycle_stages.metadata_json', where),
      outputFile: row.output_file,
      createdBy: row.created_by,
      validatedBy: row.validated_by,
      validatedAt: toIsoOrNull(row.validated_at),
      validationStatus: row.validation_status,
    }
  }

  #toGate(row: GateRow, stage: LifecycleStageName, evidence: EvidenceRow[]): LifecycleGateResult {
    return {
      id: row.id,
      stageId: row.stage_id,
      stage,
      gate: row.gate_name,
      result: row.result,
      required: row.required === 1,
      checkedAt: toIso(row.checked_at),
      checkedBy: row.checked_by,
      details: row.details,
      reason: row.reason,
      evidence: evidence.map(toEvidence),
    }
  }
}

function toEvidence(row: EvidenceRow): LifecycleEvidence {
  return {
    id: row.id,
    stageId: row.stage_id,
    gateResultId: row.gate_result_id,
    uri: row.uri,
    type: row.type,
    recordedAt: toIso(row.recorded_at),
    recordedBy: row.recorded_by,
    description: row.description,
  }
}

// ── T877: the status/pipeline invariant, for the task write paths ─────────────

const LATEST_PIPELINE_OF_TASK = template<TasksDatabase, { task: string }>()((db, p) =>
  db
    .selectFrom('lifecycle_pipelines')
    .select(['id', 'status', 'current_stage'])
    .where('task_id', '=', p('task'))
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1),
)

/**
 * Inside a write: whether `taskId` may become `done` under T877 — it has no
 * pipeline, or its latest one is completed or open at `contribution` (the schema
 * trigger `tasks_done_needs_finished_pipeline` enforces the same rule).
 *
 * @internal
 */
export function* pipelineAllowsDone(x: TasksExecutor, taskId: string): Step<boolean> {
  const latest = yield* x.get(LATEST_PIPELINE_OF_TASK, { task: taskId })
  return latest === undefined || latest.status === 'completed' || (isOpen(latest.status) && latest.current_stage === 'contribution')
}

/**
 * Inside a write: refuses (`INVARIANT`, rule `T877`) to finish `taskId` while its
 * pipeline is not at `contribution` or completed — before the trigger would, so
 * the error names the pipeline and its stage.
 *
 * @internal
 */
export function* assertPipelineAllowsDone(x: TasksExecutor, ctx: TasksContext, taskId: string): Step<void> {
  if (yield* pipelineAllowsDone(x, taskId)) return
  const latest = (yield* x.get(LATEST_PIPELINE_OF_TASK, { task: taskId }))!
  throw ctx.error(
    'INVARIANT',
    `task ${taskId} cannot be done: its lifecycle pipeline ${latest.id} is ${latest.status} at ${latest.current_stage}, not at contribution or completed (T877)`,
    { rule: 'T877', taskId, pipelineId: latest.id, pipelineStatus: latest.status, stage: latest.current_stage },
  )
}

/**
 * Inside a write: cancels the open pipeline of a task being cancelled (T877), with
 * its audit row. Returns the pipeline id, or null when none was open. The caller
 * sets the task's `pipeline_stage` to `cancelled` in its own row write.
 *
 * @internal
 */
export function* cancelOpenPipeline(x: TasksExecutor, ctx: TasksContext, who: Actor, taskId: string, now: number): Step<string | null> {
  const open = yield* x.get(OPEN_PIPELINE_OF_TASK, { task: taskId })
  if (open === undefined) return null
  yield* x.run(WRITE_PIPELINE, { ...open, status: 'cancelled', updated_at: now })
  yield* ctx.audit(
    x,
    who,
    {
      action: 'lifecycle.status',
      entityType: 'lifecycle',
      entityId: open.id,
      taskId,
      before: { status: open.status },
      after: { status: 'cancelled' },
      details: { reason: 'task cancelled (T877)' },
    },
    now,
  )
  return open.id
}
