/**
 * zod schemas of every public input of tasks.db and of its JSON columns. Each
 * repository method parses its input with one of these before anything is
 * written; a failure is a `VALIDATION` error naming the field path.
 *
 * @module
 */
import { z } from 'zod'

import type * as Types from './tasks.types.js'

import { timeInput } from '../sqlite/time-input.js'

import { TASK_ID_REGEX } from './task-ids.js'

import {
  ADR_GATE_STATUSES,
  ADR_GATES,
  ADR_LINK_TYPES,
  ADR_RELATION_TYPES,
  ADR_STATUSES,
  AGENT_INSTANCE_STATUSES,
  AGENT_INSTANCE_TYPES,
  TASK_AUDIT_ENTITY_TYPES,
  EXTERNAL_LINK_TYPES,
  EXTERNAL_SYNC_DIRECTIONS,
  LIFECYCLE_EVIDENCE_TYPES,
  LIFECYCLE_GATE_RESULTS,
  LIFECYCLE_PIPELINE_STATUSES,
  LIFECYCLE_STAGES,
  LIFECYCLE_TRANSITION_TYPES,
  LIFECYCLE_VALIDATION_STATUSES,
  MANIFEST_STATUSES,
  RELEASE_STATUSES,
  STATUS_ENTITY_TYPES,
  TASK_PIPELINE_STAGES,
  TASK_PRIORITIES,
  TASK_RELATION_TYPES,
  TASK_ROLES,
  TASK_SCOPES,
  TASK_SESSION_STATUSES,
  TASK_SEVERITIES,
  TASK_SIZES,
  TASK_STATUSES,
  TASK_TYPES,
  TOKEN_CONFIDENCES,
  TOKEN_METHODS,
  TOKEN_TRANSPORTS,
} from './tasks.enums.js'

// ── shared pieces ──────────────────────────────────────────────────────────────

/**
 * A task id: `T` followed by a positive number without leading zeros (`T1`, `T42`), or
 * in CLEO's zero-padded form (`T001`, `T042`; see `task-ids.ts`).
 *
 * @example
 * ```ts
 * TaskIdSchema.parse('T42') // 'T42'
 * TaskIdSchema.parse('T001') // 'T001'
 * ```
 */
export const TaskIdSchema = z.string().regex(TASK_ID_REGEX, 'expected a task id such as T42 or T001')

/**
 * A session id: any non-empty string up to 200 characters (TeleClaude brings its own UUIDs).
 *
 * @example
 * ```ts
 * TaskSessionIdSchema.parse('0193f1c2-7a4e-7000-8c1d-5f0e2a9b1c3d')
 * ```
 */
export const TaskSessionIdSchema = z.string().min(1).max(200)

/**
 * An ADR id: `ADR-` followed by digits.
 *
 * @example
 * ```ts
 * AdrIdSchema.parse('ADR-007') // 'ADR-007'
 * ```
 */
export const AdrIdSchema = z.string().regex(/^ADR-[0-9]{1,9}$/, 'expected an ADR id such as ADR-007')

/**
 * A short identifier-like name (agent, actor, provider): 1–200 characters.
 *
 * @example
 * ```ts
 * TasksNameSchema.safeParse('').success // false
 * ```
 */
export const TasksNameSchema = z.string().min(1).max(200)

/**
 * Any JSON value (what a JSON column can hold).
 *
 * @example
 * ```ts
 * TasksJsonValueSchema.safeParse({ todo: ['T1'] }).success // true
 * ```
 */
export const TasksJsonValueSchema = z.json()

/**
 * A JSON object (metadata columns).
 *
 * @example
 * ```ts
 * TasksJsonObjectSchema.safeParse([1]).success // false
 * ```
 */
export const TasksJsonObjectSchema = z.record(z.string(), z.json())

/**
 * A timestamp input: epoch milliseconds or an ISO-8601 string (parsed to epoch ms).
 *
 * @example
 * ```ts
 * TasksTimestampSchema.parse('2026-01-01T00:00:00Z') // 1767225600000
 * ```
 */
export const TasksTimestampSchema = timeInput

/**
 * A page size: 1–1000 (default 100).
 *
 * @example
 * ```ts
 * TasksPageLimitSchema.parse(undefined) // 100
 * ```
 */
export const TasksPageLimitSchema = z.number().int().min(1).max(1000).default(100)

/**
 * An opaque cursor returned by a previous page (pass it back unchanged).
 *
 * @example
 * ```ts
 * const next = await tasks.list({ cursor: page.nextCursor! })
 * ```
 */
export const TasksCursorSchema = z.string().min(1).max(200)

/**
 * A lease length in milliseconds: 1 s to 24 h.
 *
 * @example
 * ```ts
 * TaskLeaseTtlSchema.safeParse(500).success // false
 * ```
 */
export const TaskLeaseTtlSchema = z.number().int().min(1000).max(24 * 60 * 60 * 1000)

/**
 * Who is making a change, recorded on the audit row written in the same
 * transaction. Every mutating method takes these as its last argument.
 *
 * @example
 * ```ts
 * await tasks.update('T1', { status: 'active' }, { actor: 'agent-7', sessionId: 'S1' })
 * ```
 */
export const TaskMutationOptionsSchema = z.strictObject({
  /** Who acts (default: the repository's `actor` option, else `system`). */
  actor: TasksNameSchema.optional(),
  /** The session on whose behalf (soft reference; kept on the audit row). */
  sessionId: TaskSessionIdSchema.nullable().optional(),
  /** A caller's correlation id, kept on the audit row. */
  requestId: z.string().min(1).max(200).optional(),
})
/** Input of {@link TaskMutationOptionsSchema}. */
export type TaskMutationOptions = Types.TaskMutationOptions

const shortText = z.string().min(1).max(500)
const stringList = (max: number, itemMax: number) => z.array(z.string().min(1).max(itemMax)).max(max)

// ── tasks ──────────────────────────────────────────────────────────────────────

/**
 * `verification_json`: the task's verification record (CLEO's shape; extra keys kept).
 *
 * @example
 * ```ts
 * await tasks.update('T3', { verification: { passed: true, round: 2, gates: { tests: true } } })
 * ```
 */
export const TaskVerificationSchema = z.looseObject({
  passed: z.boolean().optional(),
  round: z.number().int().nonnegative().optional(),
  gates: z.record(z.string(), z.boolean().nullable()).optional(),
  evidence: z.array(z.json()).optional(),
  lastAgent: z.string().nullable().optional(),
  lastUpdated: z.string().nullable().optional(),
  failureLog: z.array(z.json()).optional(),
})
/** Input of {@link TaskVerificationSchema}. */
export type TaskVerification = Types.TaskVerification

const taskFields = {
  description: z.string().min(1).max(20_000).nullable().optional(),
  priority: z.enum(TASK_PRIORITIES).optional(),
  role: z.enum(TASK_ROLES).optional(),
  scope: z.enum(TASK_SCOPES).optional(),
  severity: z.enum(TASK_SEVERITIES).nullable().optional(),
  phase: z.string().min(1).max(100).nullable().optional(),
  size: z.enum(TASK_SIZES).nullable().optional(),
  labels: stringList(50, 100).optional(),
  notes: stringList(1000, 10_000).optional(),
  acceptance: stringList(200, 2000).optional(),
  files: stringList(1000, 1000).optional(),
  verification: TaskVerificationSchema.nullable().optional(),
  origin: shortText.nullable().optional(),
  blockedBy: shortText.nullable().optional(),
  noAutoComplete: z.boolean().optional(),
  assignee: TasksNameSchema.nullable().optional(),
  pipelineStage: z.enum(TASK_PIPELINE_STAGES).nullable().optional(),
}

/**
 * Input of `tasks.create`. The type is inferred when omitted: no parent → `task`,
 * an epic parent → `task`, a task parent → `subtask`.
 *
 * @example
 * ```ts
 * await tasks.create({ title: 'Write the parser', parentId: 'T1', priority: 'high', labels: ['parser'] })
 * ```
 */
export const CreateTaskSchema = z.strictObject({
  title: z.string().min(1).max(200),
  ...taskFields,
  /** Initial status; a new task cannot start out terminal. */
  status: z.enum(['proposed', 'pending', 'active', 'blocked']).optional(),
  type: z.enum(TASK_TYPES).optional(),
  parentId: TaskIdSchema.nullable().optional(),
  /** Tasks this one depends on, added in the same transaction (cycle-checked). */
  dependsOn: z.array(TaskIdSchema).max(1000).optional(),
})
/** Input of {@link CreateTaskSchema}. */
export type CreateTaskInput = Types.CreateTaskInput

/**
 * Input of `tasks.update`: the fields to change (at least one). Moving a task in
 * the tree is `tasks.reparent`; archiving is `tasks.archive`.
 *
 * @example
 * ```ts
 * await tasks.update('T3', { status: 'done' }, { expectedVersion: 2 })
 * ```
 */
export const UpdateTaskSchema = z
  .strictObject({
    title: z.string().min(1).max(200).optional(),
    ...taskFields,
    status: z.enum(TASK_STATUSES).optional(),
    type: z.enum(TASK_TYPES).optional(),
    cancellationReason: shortText.nullable().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, { message: 'nothing to update' })
/** Input of {@link UpdateTaskSchema}. */
export type UpdateTaskInput = Types.UpdateTaskInput

/**
 * Options of a task write: who acts, plus optimistic concurrency and fencing.
 *
 * @example
 * ```ts
 * const task = await tasks.get('T3')
 * await tasks.update('T3', { title: 'Renamed' }, { expectedVersion: task.version })
 * ```
 */
export const TaskWriteOptionsSchema = TaskMutationOptionsSchema.extend({
  /** The `version` the caller read; a different current version → `CONFLICT`. */
  expectedVersion: z.number().int().min(1).optional(),
  /** A fencing token from `tasks.claims.claim`; unless it is the live claim → `LEASE_LOST`. */
  claimToken: z.number().int().min(1).optional(),
})
/** Input of {@link TaskWriteOptionsSchema}. */
export type TaskWriteOptions = Types.TaskWriteOptions

/**
 * Options of `tasks.archive`.
 *
 * @example
 * ```ts
 * await tasks.archive('T1', { cascade: true })
 * ```
 */
export const ArchiveTaskOptionsSchema = TaskWriteOptionsSchema.extend({
  /** Also archive every non-archived descendant (otherwise a task with live children is refused). */
  cascade: z.boolean().optional(),
  /** Archive even though live tasks depend on this unfinished one: those dependency edges are removed. */
  force: z.boolean().optional(),
})
/** Input of {@link ArchiveTaskOptionsSchema}. */
export type ArchiveTaskOptions = Types.ArchiveTaskOptions

/**
 * Options of `tasks.restore`.
 *
 * @example
 * ```ts
 * await tasks.restore('T1', { cascade: true })
 * ```
 */
export const RestoreTaskOptionsSchema = TaskWriteOptionsSchema.extend({
  /** Also restore the descendants that were archived. */
  cascade: z.boolean().optional(),
})
/** Input of {@link RestoreTaskOptionsSchema}. */
export type RestoreTaskOptions = Types.RestoreTaskOptions

/**
 * Filter and page of `tasks.list`. Every filter is optional and they combine with
 * AND. Results come oldest first; pass `cursor` from the previous page to continue.
 *
 * @example
 * ```ts
 * const page = await tasks.list({ status: ['pending', 'active'], labels: ['parser'], limit: 20 })
 * const next = page.nextCursor ? await tasks.list({ status: ['pending', 'active'], cursor: page.nextCursor }) : null
 * ```
 */
export const TaskListFilterSchema = z.strictObject({
  status: z.union([z.enum(TASK_STATUSES), z.array(z.enum(TASK_STATUSES)).min(1).max(6)]).optional(),
  /** A task id for its children, or `null` for root tasks. */
  parentId: TaskIdSchema.nullable().optional(),
  type: z.enum(TASK_TYPES).optional(),
  priority: z.enum(TASK_PRIORITIES).optional(),
  assignee: TasksNameSchema.optional(),
  /** The agent holding a claim (live or expired) on the task. */
  claimedBy: TasksNameSchema.optional(),
  /** Tasks carrying every one of these labels. */
  labels: stringList(20, 100).min(1).optional(),
  /** Full-text words over title and description (any user text is safe). */
  text: z.string().max(500).optional(),
  /** `exclude` (default), `include` or `only` archived tasks. */
  archived: z.enum(['exclude', 'include', 'only']).optional(),
  limit: TasksPageLimitSchema.optional(),
  cursor: TasksCursorSchema.optional(),
})
/** Input of {@link TaskListFilterSchema}. */
export type TaskListFilter = Types.TaskListFilter

// ── dependencies, relations, claims ───────────────────────────────────────────

/**
 * Options of `tasks.dependencies.ready` and `next`.
 *
 * @example
 * ```ts
 * await tasks.dependencies.ready({ limit: 10 })
 * ```
 */
export const TaskReadyQuerySchema = z.strictObject({
  limit: TasksPageLimitSchema.optional(),
  /** The `nextCursor` of the previous page. */
  cursor: TasksCursorSchema.optional(),
  /** Skip tasks under a live claim of another agent (`next()` always does). */
  agent: TasksNameSchema.optional(),
})
/** Input of {@link TaskReadyQuerySchema}. */
export type TaskReadyQuery = Types.TaskReadyQuery

/**
 * Input of `tasks.relations.add`.
 *
 * @example
 * ```ts
 * await tasks.relations.add({ taskId: 'T2', relatedTo: 'T1', type: 'duplicates', reason: 'same bug' })
 * ```
 */
export const AddTaskRelationSchema = z.strictObject({
  taskId: TaskIdSchema,
  relatedTo: TaskIdSchema,
  type: z.enum(TASK_RELATION_TYPES).default('related'),
  reason: shortText.nullable().optional(),
})
/** Input of {@link AddTaskRelationSchema}. */
export type AddTaskRelationInput = Types.AddTaskRelationInput

/**
 * Input of `tasks.claims.claim` and `claimNext`.
 *
 * @example
 * ```ts
 * const claim = await tasks.claims.claim('T3', { agent: 'agent-7', ttlMs: 60_000 })
 * ```
 */
export const ClaimTaskSchema = z.strictObject({
  agent: TasksNameSchema,
  ttlMs: TaskLeaseTtlSchema,
})
/** Input of {@link ClaimTaskSchema}. */
export type ClaimTaskInput = Types.ClaimTaskInput

// ── sessions ───────────────────────────────────────────────────────────────────

/**
 * A session's scope: the whole project, or one epic.
 *
 * @example
 * ```ts
 * TaskSessionScopeSchema.parse({ type: 'epic', epicId: 'T1' })
 * ```
 */
export const TaskSessionScopeSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('global') }),
  z.strictObject({ type: z.literal('epic'), epicId: TaskIdSchema }),
])
/** Input of {@link TaskSessionScopeSchema}. */
export type TaskSessionScope = Types.TaskSessionScope

const sessionFields = {
  agent: TasksNameSchema.nullable().optional(),
  computer: TasksNameSchema.nullable().optional(),
  /** The terminal (tmux session) name; `null` while headless. */
  terminalName: TasksNameSchema.nullable().optional(),
  title: z.string().min(1).max(500).nullable().optional(),
  providerId: TasksNameSchema.nullable().optional(),
  metadata: TasksJsonObjectSchema.optional(),
  // issue 17: the daemon's session columns
  /** The agent CLI's own session id; unique among sessions when set (`CONFLICT` otherwise). */
  nativeSessionId: z.string().min(1).max(200).regex(/^[^\p{Cc}]+$/u, 'must not contain control characters').nullable().optional(),
  /** The project directory the session works in. */
  projectPath: z.string().min(1).max(4096).nullable().optional(),
  /** The agent's thinking mode (`fast`, `med`, `slow`, …). */
  thinkingMode: z.string().min(1).max(64).nullable().optional(),
  /** Who started the session (a user, or the initiating session's id). */
  initiator: z.string().min(1).max(200).nullable().optional(),
  /** Adapter metadata (Telegram topic, Discord thread, …): a JSON object, merged shallowly on upsert. */
  adapterMetadata: TasksJsonObjectSchema.optional(),
}

/**
 * Input of `tasks.sessions.start`. A second exclusive session on the same scope is
 * refused with `CONFLICT`; `concurrent: true` says running alongside is meant.
 *
 * @example
 * ```ts
 * await tasks.sessions.start({ name: 'parser work', scope: { type: 'epic', epicId: 'T1' }, agent: 'claude' })
 * ```
 */
export const StartTaskSessionSchema = z.strictObject({
  id: TaskSessionIdSchema.optional(),
  name: z.string().min(1).max(200),
  scope: TaskSessionScopeSchema.default({ type: 'global' }),
  /** Run alongside the scope's holder: neither hold the scope nor be refused by its holder. */
  concurrent: z.boolean().default(false),
  /** `creating` for a session whose terminal is not attached yet (TeleClaude). */
  status: z.enum(['creating', 'active']).default('active'),
  previousSessionId: TaskSessionIdSchema.optional(),
  ...sessionFields,
})
/** Input of {@link StartTaskSessionSchema}. */
export type StartTaskSessionInput = Types.StartTaskSessionInput

/**
 * Input of `tasks.sessions.upsert`: the TeleClaude daemon's idempotent write by
 * session id. Fields left out keep their value; the status only moves forward.
 *
 * @example
 * ```ts
 * await tasks.sessions.upsert({ id: uuid, status: 'creating', computer: 'mac', agent: 'claude' })
 * await tasks.sessions.upsert({ id: uuid, status: 'active', terminalName: 'tc_1234' })
 * await tasks.sessions.upsert({ id: uuid, status: 'ended' })
 * ```
 */
export const UpsertTaskSessionSchema = z.strictObject({
  id: TaskSessionIdSchema,
  name: z.string().min(1).max(200).optional(),
  status: z.enum(TASK_SESSION_STATUSES).optional(),
  /** Used when the row is created; ignored afterwards. Upserted sessions never hold a scope exclusively. */
  scope: TaskSessionScopeSchema.optional(),
  /** When the session ended (default: now), used with an ending status. */
  endedAt: TasksTimestampSchema.optional(),
  ...sessionFields,
  /** Merged into the stored metadata (shallow: given keys replace, others stay). */
  metadata: TasksJsonObjectSchema.optional(),
})
/** Input of {@link UpsertTaskSessionSchema}. */
export type UpsertTaskSessionInput = Types.UpsertTaskSessionInput

/**
 * Input of `tasks.sessions.end`.
 *
 * @example
 * ```ts
 * await tasks.sessions.end(id, { note: 'parser done', debrief: { next: 'tests' } })
 * ```
 */
export const EndTaskSessionSchema = z.strictObject({
  note: z.string().min(1).max(10_000).optional(),
  debrief: TasksJsonValueSchema.optional(),
  handoff: TasksJsonValueSchema.optional(),
})
/** Input of {@link EndTaskSessionSchema}. */
export type EndTaskSessionInput = Types.EndTaskSessionInput

/**
 * Input of `tasks.sessions.handoff`: end one session and start its successor in
 * one transaction.
 *
 * @example
 * ```ts
 * const { to } = await tasks.sessions.handoff(id, { handoff: { todo: ['T4'] }, to: { name: 'next shift' } })
 * ```
 */
export const TaskSessionHandoffSchema = z.strictObject({
  handoff: TasksJsonValueSchema,
  note: z.string().min(1).max(10_000).optional(),
  /** The successor; scope, name and concurrency default to the ended session's. */
  to: z.strictObject({
    id: TaskSessionIdSchema.optional(),
    name: z.string().min(1).max(200).optional(),
    scope: TaskSessionScopeSchema.optional(),
    concurrent: z.boolean().optional(),
    status: z.enum(['creating', 'active']).optional(),
    ...sessionFields,
  }),
})
/** Input of {@link TaskSessionHandoffSchema}. */
export type TaskSessionHandoffInput = Types.TaskSessionHandoffInput

/**
 * Filter of `tasks.sessions.list` (newest first).
 *
 * @example
 * ```ts
 * await tasks.sessions.list({ status: 'ended', agent: 'claude', limit: 20 })
 * ```
 */
export const TaskSessionListFilterSchema = z.strictObject({
  status: z.enum(TASK_SESSION_STATUSES).optional(),
  agent: TasksNameSchema.optional(),
  limit: TasksPageLimitSchema.optional(),
  cursor: TasksCursorSchema.optional(),
})
/** Input of {@link TaskSessionListFilterSchema}. */
export type TaskSessionListFilter = Types.TaskSessionListFilter

// ── lifecycle ──────────────────────────────────────────────────────────────────

/**
 * Input of `tasks.lifecycle.recordGate`: one gate check of a stage (default: the
 * pipeline's current stage), with its evidence, in one transaction.
 *
 * @example
 * ```ts
 * await tasks.lifecycle.recordGate(pipelineId, { gate: 'tests-pass', result: 'fail', checkedBy: 'ci',
 *   evidence: [{ uri: 'https://ci/run/9', type: 'url' }] })
 * ```
 */
export const RecordGateSchema = z.strictObject({
  stage: z.enum(LIFECYCLE_STAGES).optional(),
  gate: z.string().min(1).max(200),
  result: z.enum(LIFECYCLE_GATE_RESULTS),
  /** A failing required gate blocks `advance` unless the transition is forced (default true). */
  required: z.boolean().default(true),
  checkedBy: TasksNameSchema,
  details: z.string().max(10_000).nullable().optional(),
  reason: shortText.nullable().optional(),
  evidence: z
    .array(
      z.strictObject({
        uri: z.string().min(1).max(2000),
        type: z.enum(LIFECYCLE_EVIDENCE_TYPES),
        description: shortText.optional(),
      }),
    )
    .max(100)
    .default([]),
})
/** Input of {@link RecordGateSchema}. */
export type RecordGateInput = Types.RecordGateInput

/**
 * Input of `tasks.lifecycle.addEvidence`.
 *
 * @example
 * ```ts
 * await tasks.lifecycle.addEvidence(pipelineId, { uri: 'docs/spec.md', type: 'file', recordedBy: 'agent-7' })
 * ```
 */
export const AddEvidenceSchema = z.strictObject({
  stage: z.enum(LIFECYCLE_STAGES).optional(),
  uri: z.string().min(1).max(2000),
  type: z.enum(LIFECYCLE_EVIDENCE_TYPES),
  recordedBy: TasksNameSchema.optional(),
  description: shortText.optional(),
  gateResultId: z.string().min(1).max(100).optional(),
})
/** Input of {@link AddEvidenceSchema}. */
export type AddEvidenceInput = Types.AddEvidenceInput

/**
 * Input of `tasks.lifecycle.advance`: complete the current stage and start `to`
 * (default: the next stage). Refused past a failed required gate or a missing
 * prerequisite unless `type` is `forced`.
 *
 * @example
 * ```ts
 * await tasks.lifecycle.advance(pipelineId, { type: 'manual', by: 'agent-7' })
 * ```
 */
export const AdvanceStageSchema = z.strictObject({
  to: z.enum(LIFECYCLE_STAGES).optional(),
  type: z.enum(LIFECYCLE_TRANSITION_TYPES).default('manual'),
  by: TasksNameSchema.optional(),
  reason: shortText.optional(),
  /** The pipeline `version` the caller read; a different one → `CONFLICT`. */
  expectedVersion: z.number().int().min(1).optional(),
})
/** Input of {@link AdvanceStageSchema}. */
export type AdvanceStageInput = Types.AdvanceStageInput

/**
 * Input of `tasks.lifecycle.setStatus`.
 *
 * @example
 * ```ts
 * await tasks.lifecycle.setStatus(pipelineId, { status: 'blocked', reason: 'waiting for review' })
 * ```
 */
export const SetPipelineStatusSchema = z.strictObject({
  status: z.enum(LIFECYCLE_PIPELINE_STATUSES).exclude(['completed']),
  reason: shortText.optional(),
})
/** Input of {@link SetPipelineStatusSchema}. */
export type SetPipelineStatusInput = Types.SetPipelineStatusInput

/**
 * Input of `tasks.lifecycle.validateStage`: record the review of a stage's output.
 *
 * @example
 * ```ts
 * await tasks.lifecycle.validateStage(pipelineId, { stage: 'specification', status: 'approved', by: 'lead' })
 * ```
 */
export const ValidateStageSchema = z.strictObject({
  stage: z.enum(LIFECYCLE_STAGES),
  status: z.enum(LIFECYCLE_VALIDATION_STATUSES),
  by: TasksNameSchema,
  outputFile: z.string().min(1).max(1000).optional(),
})
/** Input of {@link ValidateStageSchema}. */
export type ValidateStageInput = Types.ValidateStageInput

/**
 * Input of `tasks.manifests.addEntry`.
 *
 * @example
 * ```ts
 * await tasks.manifests.addEntry({ pipelineId, stage: 'research', title: 'Prior art', status: 'completed',
 *   findings: ['X is slow'] })
 * ```
 */
export const AddManifestEntrySchema = z.strictObject({
  pipelineId: z.string().min(1).max(100),
  stage: z.enum(LIFECYCLE_STAGES).optional(),
  title: z.string().min(1).max(200),
  status: z.enum(MANIFEST_STATUSES),
  agentType: TasksNameSchema.optional(),
  outputFile: z.string().min(1).max(1000).optional(),
  topics: stringList(100, 200).default([]),
  findings: stringList(500, 5000).default([]),
  linkedTasks: z.array(TaskIdSchema).max(500).default([]),
})
/** Input of {@link AddManifestEntrySchema}. */
export type AddManifestEntryInput = Types.AddManifestEntryInput

/**
 * Input of `tasks.manifests.record`: a pipeline manifest record (agent output,
 * note). Its SHA-256 is computed and stored.
 *
 * @example
 * ```ts
 * await tasks.manifests.record({ type: 'research', content: '# Findings…', taskId: 'T3' })
 * ```
 */
export const RecordPipelineManifestSchema = z.strictObject({
  type: z.string().min(1).max(100),
  content: z.string().min(1).max(1_000_000),
  sessionId: TaskSessionIdSchema.optional(),
  taskId: TaskIdSchema.optional(),
  epicId: TaskIdSchema.optional(),
  sourceFile: z.string().min(1).max(1000).optional(),
  brainObsId: z.string().min(1).max(200).optional(),
  distilled: z.boolean().default(false),
  metadata: TasksJsonObjectSchema.default({}),
})
/** Input of {@link RecordPipelineManifestSchema}. */
export type RecordPipelineManifestInput = Types.RecordPipelineManifestInput

/**
 * Filter of `tasks.manifests.list` (newest first).
 *
 * @example
 * ```ts
 * await tasks.manifests.list({ taskId: 'T3', status: 'active' })
 * ```
 */
export const PipelineManifestFilterSchema = z.strictObject({
  taskId: TaskIdSchema.optional(),
  epicId: TaskIdSchema.optional(),
  sessionId: TaskSessionIdSchema.optional(),
  status: z.enum(['active', 'archived']).optional(),
  type: z.string().min(1).max(100).optional(),
  limit: TasksPageLimitSchema.optional(),
})
/** Input of {@link PipelineManifestFilterSchema}. */
export type PipelineManifestFilter = Types.PipelineManifestFilter

/**
 * Input of `tasks.releases.create`.
 *
 * @example
 * ```ts
 * await tasks.releases.create({ version: '1.2.0', epicId: 'T1', tasks: ['T2', 'T3'] })
 * ```
 */
export const CreateReleaseSchema = z.strictObject({
  version: z.string().min(1).max(100),
  pipelineId: z.string().min(1).max(100).optional(),
  epicId: TaskIdSchema.optional(),
  tasks: z.array(TaskIdSchema).max(10_000).default([]),
  changelog: z.string().max(1_000_000).optional(),
  notes: z.string().max(100_000).optional(),
  previousVersion: z.string().min(1).max(100).optional(),
})
/** Input of {@link CreateReleaseSchema}. */
export type CreateReleaseInput = Types.CreateReleaseInput

/**
 * Input of `tasks.releases.advance`: move a release to a later status, setting the
 * fields that step produces.
 *
 * @example
 * ```ts
 * await tasks.releases.advance('1.2.0', { to: 'committed', commitSha: 'a1b2c3d' })
 * ```
 */
export const AdvanceReleaseSchema = z.strictObject({
  to: z.enum(RELEASE_STATUSES).exclude(['draft']),
  changelog: z.string().max(1_000_000).optional(),
  notes: z.string().max(100_000).optional(),
  commitSha: z.string().regex(/^[0-9a-f]{7,64}$/, 'expected a hex commit sha').optional(),
  gitTag: z.string().min(1).max(200).optional(),
  npmDistTag: z.string().min(1).max(100).optional(),
})
/** Input of {@link AdvanceReleaseSchema}. */
export type AdvanceReleaseInput = Types.AdvanceReleaseInput

// ── ADRs ───────────────────────────────────────────────────────────────────────

const adrFields = {
  title: z.string().min(1).max(300),
  content: z.string().max(1_000_000).optional(),
  summary: z.string().max(10_000).nullable().optional(),
  keywords: stringList(100, 100).optional(),
  topics: stringList(100, 200).optional(),
  gate: z.enum(ADR_GATES).nullable().optional(),
  gateStatus: z.enum(ADR_GATE_STATUSES).nullable().optional(),
  filePath: z.string().min(1).max(1000).nullable().optional(),
  /** The decision's date, `YYYY-MM-DD`. */
  decidedOn: z.iso.date().nullable().optional(),
  consensusManifestId: z.string().min(1).max(100).nullable().optional(),
}

/**
 * Input of `tasks.adrs.create`. Without an id the next `ADR-NNN` is allocated in
 * the insert's transaction.
 *
 * @example
 * ```ts
 * await tasks.adrs.create({ title: 'Use SQLite', status: 'accepted', supersedes: 'ADR-001', tasks: ['T3'] })
 * ```
 */
export const CreateAdrSchema = z.strictObject({
  id: AdrIdSchema.optional(),
  status: z.enum(ADR_STATUSES).exclude(['superseded']).optional(),
  ...adrFields,
  /** Relations created with the record (same transaction). */
  supersedes: AdrIdSchema.optional(),
  amends: AdrIdSchema.optional(),
  related: z.array(AdrIdSchema).max(100).optional(),
  /** Tasks to link (`related`). */
  tasks: z.array(TaskIdSchema).max(1000).optional(),
})
/** Input of {@link CreateAdrSchema}. */
export type CreateAdrInput = Types.CreateAdrInput

/**
 * Input of `tasks.adrs.update` (relations change through `relate`/`unrelate`).
 *
 * @example
 * ```ts
 * await tasks.adrs.update('ADR-002', { status: 'accepted' })
 * ```
 */
export const UpdateAdrSchema = z
  .strictObject({
    ...adrFields,
    title: adrFields.title.optional(),
    status: z.enum(ADR_STATUSES).exclude(['superseded']).optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, { message: 'nothing to update' })
/** Input of {@link UpdateAdrSchema}. */
export type UpdateAdrInput = Types.UpdateAdrInput

/**
 * Filter of `tasks.adrs.list`.
 *
 * @example
 * ```ts
 * await tasks.adrs.list({ status: 'accepted' })
 * ```
 */
export const AdrListFilterSchema = z.strictObject({
  status: z.enum(ADR_STATUSES).optional(),
  /** ADRs linked to this task. */
  taskId: TaskIdSchema.optional(),
  limit: TasksPageLimitSchema.optional(),
})
/** Input of {@link AdrListFilterSchema}. */
export type AdrListFilter = Types.AdrListFilter

/**
 * An ADR ↔ task link type, validated.
 *
 * @example
 * ```ts
 * AdrLinkTypeSchema.parse('implements')
 * ```
 */
export const AdrLinkTypeSchema = z.enum(ADR_LINK_TYPES)
/**
 * An ADR → ADR relation type, validated.
 *
 * @example
 * ```ts
 * AdrRelationTypeSchema.parse('supersedes')
 * ```
 */
export const AdrRelationTypeSchema = z.enum(ADR_RELATION_TYPES)

// ── audit, tokens, links, agents, statuses ─────────────────────────────────────

/**
 * Filter of `tasks.audit.list` (newest first).
 *
 * @example
 * ```ts
 * await tasks.audit.list({ taskId: 'T3', since: '2026-01-01T00:00:00Z' })
 * ```
 */
export const TaskAuditFilterSchema = z.strictObject({
  taskId: TaskIdSchema.optional(),
  sessionId: TaskSessionIdSchema.optional(),
  entityType: z.enum(TASK_AUDIT_ENTITY_TYPES).optional(),
  entityId: z.string().min(1).max(200).optional(),
  actor: TasksNameSchema.optional(),
  action: z.string().min(1).max(100).optional(),
  since: TasksTimestampSchema.optional(),
  until: TasksTimestampSchema.optional(),
  limit: TasksPageLimitSchema.optional(),
  cursor: TasksCursorSchema.optional(),
  /** `change` rows (written with each mutation) or `operation` rows (`tasks.audit.record`). */
  kind: z.enum(['change', 'operation']).optional(),
  domain: z.string().min(1).max(100).optional(),
  operation: z.string().min(1).max(100).optional(),
  success: z.boolean().optional(),
  gateway: z.string().min(1).max(100).optional(),
  errorCode: z.string().min(1).max(100).optional(),
})
/** Input of {@link TaskAuditFilterSchema}. */
export type TaskAuditFilter = Types.TaskAuditFilter

/**
 * Input of `tasks.audit.record`: one operation of CLEO's audit trail (what was
 * asked, through which gateway, whether it succeeded and how long it took).
 * `errorCode` only on a failed operation.
 *
 * @example
 * ```ts
 * await tasks.audit.record({ domain: 'tasks', operation: 'add', success: true, durationMs: 12, gateway: 'cli' })
 * ```
 */
export const RecordAuditOperationSchema = z
  .strictObject({
    domain: z.string().min(1).max(100),
    operation: z.string().min(1).max(100),
    success: z.boolean(),
    durationMs: z.number().int().nonnegative().optional(),
    errorCode: z.string().min(1).max(100).optional(),
    gateway: z.string().min(1).max(100).optional(),
    /** The task concerned, if any (a soft reference, like every audit row's). */
    taskId: TaskIdSchema.optional(),
    details: z.json().optional(),
  })
  .refine((o) => o.errorCode === undefined || !o.success, { path: ['errorCode'], message: 'errorCode is only for a failed operation' })
/** Input of {@link RecordAuditOperationSchema}. */
export type RecordAuditOperationInput = Types.RecordAuditOperationInput

/**
 * Input of `tasks.tokens.record`. `totalTokens` defaults to input + output.
 *
 * @example
 * ```ts
 * await tasks.tokens.record({ provider: 'anthropic', model: 'claude', inputTokens: 1200, outputTokens: 300,
 *   method: 'provider_api', confidence: 'real', sessionId, taskId: 'T3' })
 * ```
 */
export const RecordTokenUsageSchema = z.strictObject({
  provider: TasksNameSchema.default('unknown'),
  model: TasksNameSchema.optional(),
  transport: z.enum(TOKEN_TRANSPORTS).default('unknown'),
  gateway: TasksNameSchema.optional(),
  domain: TasksNameSchema.optional(),
  operation: TasksNameSchema.optional(),
  sessionId: TaskSessionIdSchema.optional(),
  taskId: TaskIdSchema.optional(),
  requestId: z.string().min(1).max(200).optional(),
  inputChars: z.number().int().nonnegative().default(0),
  outputChars: z.number().int().nonnegative().default(0),
  inputTokens: z.number().int().nonnegative().default(0),
  outputTokens: z.number().int().nonnegative().default(0),
  totalTokens: z.number().int().nonnegative().optional(),
  method: z.enum(TOKEN_METHODS).default('heuristic'),
  confidence: z.enum(TOKEN_CONFIDENCES).default('coarse'),
  requestHash: z.string().regex(/^[0-9a-f]{8,64}$/).optional(),
  responseHash: z.string().regex(/^[0-9a-f]{8,64}$/).optional(),
  metadata: TasksJsonObjectSchema.default({}),
  /** When the call happened (default: now). */
  at: TasksTimestampSchema.optional(),
})
/** Input of {@link RecordTokenUsageSchema}. */
export type RecordTokenUsageInput = Types.RecordTokenUsageInput

/**
 * Query of `tasks.tokens.aggregate`: totals grouped by one dimension within an
 * optional time window `[since, until)`.
 *
 * @example
 * ```ts
 * await tasks.tokens.aggregate({ groupBy: 'model', since: Date.now() - 86_400_000 })
 * ```
 */
export const TokenAggregateQuerySchema = z.strictObject({
  groupBy: z.enum(['session', 'task', 'model', 'provider', 'method', 'hour', 'day', 'none']).default('none'),
  sessionId: TaskSessionIdSchema.optional(),
  taskId: TaskIdSchema.optional(),
  model: TasksNameSchema.optional(),
  since: TasksTimestampSchema.optional(),
  until: TasksTimestampSchema.optional(),
})
/** Input of {@link TokenAggregateQuerySchema}. */
export type TokenAggregateQuery = Types.TokenAggregateQuery

/**
 * Input of `tasks.externalLinks.link`: unique per (task, provider, external id).
 *
 * @example
 * ```ts
 * await tasks.externalLinks.link({ taskId: 'T3', providerId: 'github', externalId: 'org/repo#12' })
 * ```
 */
export const LinkExternalTaskSchema = z.strictObject({
  taskId: TaskIdSchema,
  providerId: z.string().min(1).max(100),
  externalId: z.string().min(1).max(500),
  externalUrl: z.url().max(2000).optional(),
  externalTitle: z.string().min(1).max(500).optional(),
  linkType: z.enum(EXTERNAL_LINK_TYPES).default('manual'),
  syncDirection: z.enum(EXTERNAL_SYNC_DIRECTIONS).default('inbound'),
  metadata: TasksJsonObjectSchema.default({}),
})
/** Input of {@link LinkExternalTaskSchema}. */
export type LinkExternalTaskInput = Types.LinkExternalTaskInput

/**
 * Input of `tasks.agentInstances.register`.
 *
 * @example
 * ```ts
 * await tasks.agentInstances.register({ id: 'agent-7', agentType: 'executor', sessionId })
 * ```
 */
export const RegisterAgentInstanceSchema = z.strictObject({
  id: TasksNameSchema.optional(),
  agentType: z.enum(AGENT_INSTANCE_TYPES),
  sessionId: TaskSessionIdSchema.optional(),
  taskId: TaskIdSchema.optional(),
  parentAgentId: TasksNameSchema.optional(),
  capacity: z.number().min(0).max(1).default(1),
  metadata: TasksJsonObjectSchema.default({}),
})
/** Input of {@link RegisterAgentInstanceSchema}. */
export type RegisterAgentInstanceInput = Types.RegisterAgentInstanceInput

/**
 * Input of `tasks.agentInstances.heartbeat`: proves the instance is alive and may update
 * what it reports.
 *
 * @example
 * ```ts
 * await tasks.agentInstances.heartbeat('agent-7', { status: 'active', taskId: 'T3' })
 * ```
 */
export const AgentHeartbeatSchema = z.strictObject({
  status: z.enum(['active', 'idle', 'error']).optional(),
  taskId: TaskIdSchema.nullable().optional(),
  capacity: z.number().min(0).max(1).optional(),
  /** Tasks finished since the last heartbeat (added to the total). */
  tasksCompleted: z.number().int().min(0).max(10_000).optional(),
  metadata: TasksJsonObjectSchema.optional(),
})
/** Input of {@link AgentHeartbeatSchema}. */
export type AgentHeartbeatInput = Types.AgentHeartbeatInput

/**
 * Filter of `tasks.agentInstances.list`.
 *
 * @example
 * ```ts
 * await tasks.agentInstances.list({ status: 'active' })
 * ```
 */
export const AgentInstanceFilterSchema = z.strictObject({
  status: z.enum(AGENT_INSTANCE_STATUSES).optional(),
  agentType: z.enum(AGENT_INSTANCE_TYPES).optional(),
  sessionId: TaskSessionIdSchema.optional(),
  limit: TasksPageLimitSchema.optional(),
})
/** Input of {@link AgentInstanceFilterSchema}. */
export type AgentInstanceFilter = Types.AgentInstanceFilter

/**
 * A status registry entity type, validated.
 *
 * @example
 * ```ts
 * StatusEntityTypeSchema.parse('lifecycle_stage')
 * ```
 */
export const StatusEntityTypeSchema = z.enum(STATUS_ENTITY_TYPES)
