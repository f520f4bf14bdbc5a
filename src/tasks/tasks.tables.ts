/**
 * Kysely row types of tasks.db (snake_case columns, as stored). Timestamps are
 * INTEGER epoch milliseconds; `*_json` columns hold JSON text; booleans are 0/1.
 * The repository maps these rows to the camelCase domain objects.
 *
 * @module
 */
import type { Generated, GeneratedAlways } from 'kysely'

import type {
  AdrGate,
  AdrGateStatus,
  AdrLinkType,
  AdrRelationType,
  AdrStatus,
  AgentInstanceStatus,
  AgentInstanceType,
  TaskAuditEntityType,
  ExternalLinkType,
  ExternalSyncDirection,
  LifecycleEvidenceType,
  LifecycleGateResultValue,
  LifecyclePipelineStatus,
  LifecycleStageName,
  LifecycleStageStatus,
  LifecycleTransitionType,
  LifecycleValidationStatus,
  ManifestStatus,
  PipelineManifestStatus,
  ReleaseStatus,
  StatusEntityType,
  TaskArchiveReason,
  TaskPipelineStage,
  TaskPriority,
  TaskRelationType,
  TaskRole,
  TaskScope,
  TaskSessionScopeType,
  TaskSessionStatus,
  TaskSeverity,
  TaskSize,
  TaskStatus,
  TaskType,
  TokenConfidence,
  TokenMethod,
  TokenTransport,
} from './tasks.enums.js'

/**
 * `schema_meta`: the store's key/value metadata (`store`, `task_id_sequence`).
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('schema_meta').selectAll().limit(10).execute()
 * ```
 */
export interface TasksSchemaMetaTable {
  key: string
  value: string
  /** Epoch milliseconds. */
  updated_at: number
}

/**
 * `tasks`: the task tree. `id` is `'T' || seq`.
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('tasks').selectAll().limit(10).execute()
 * ```
 */
export interface TasksTable {
  seq: number
  id: string
  title: string
  description: string | null
  status: TaskStatus
  priority: TaskPriority
  /** 0 (critical) … 3 (low); generated from `priority`. */
  priority_rank: GeneratedAlways<number>
  type: TaskType
  role: TaskRole
  scope: TaskScope
  severity: TaskSeverity | null
  parent_id: string | null
  phase: string | null
  size: TaskSize | null
  labels_json: string
  notes_json: string
  acceptance_json: string
  files_json: string
  verification_json: string | null
  origin: string | null
  blocked_by: string | null
  no_auto_complete: number
  pipeline_stage: TaskPipelineStage | null
  assignee: string | null
  claimed_by: string | null
  /** The fencing token of the latest claim; only ever grows. */
  claim_token: number
  claimed_at: number | null
  claim_expires_at: number | null
  created_by: string | null
  modified_by: string | null
  session_id: string | null
  created_at: number
  updated_at: number
  completed_at: number | null
  cancelled_at: number | null
  cancellation_reason: string | null
  archived_at: number | null
  archive_reason: TaskArchiveReason | null
  version: number
  /** 1 when pending or active and not archived; generated (the ready index's condition). */
  workable: GeneratedAlways<number>
  /** Own dependencies whose target is neither done nor cancelled; kept by triggers (0013). */
  unresolved_blockers: Generated<number>
  /** Children neither done nor cancelled and not archived; kept by triggers (0013). */
  open_children: Generated<number>
  /** Ancestors with unresolved blockers of their own; kept by triggers (0013). */
  held_by_ancestors: Generated<number>
}

/**
 * `task_dependencies`: `task_id` cannot start before `depends_on` is done or cancelled.
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('task_dependencies').selectAll().limit(10).execute()
 * ```
 */
export interface TaskDependenciesTable {
  task_id: string
  depends_on: string
  created_at: number
}

/**
 * `task_relations`: typed links between two tasks; the type is part of the key.
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('task_relations').selectAll().limit(10).execute()
 * ```
 */
export interface TaskRelationsTable {
  task_id: string
  related_to: string
  relation_type: TaskRelationType
  reason: string | null
  created_at: number
}

/**
 * `sessions`: CLEO agent sessions, with the TeleClaude daemon's session fields.
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('sessions').selectAll().limit(10).execute()
 * ```
 */
export interface SessionsTable {
  id: string
  name: string
  status: TaskSessionStatus
  scope_type: TaskSessionScopeType
  scope_epic_id: string | null
  /** `'global'` or `'epic:<id>'`; generated. */
  scope_key: GeneratedAlways<string>
  exclusive: number
  agent: string | null
  computer: string | null
  terminal_name: string | null
  title: string | null
  provider_id: string | null
  current_task: string | null
  task_started_at: number | null
  notes_json: string
  metadata_json: string
  handoff_json: string | null
  debrief_json: string | null
  previous_session_id: string | null
  next_session_id: string | null
  handoff_consumed_at: number | null
  handoff_consumed_by: string | null
  resume_count: number
  started_at: number
  updated_at: number
  suspended_at: number | null
  ended_at: number | null
  // issue 17: the daemon's session columns (migration 0011)
  native_session_id: string | null
  project_path: string | null
  thinking_mode: string | null
  initiator: string | null
  last_activity_at: number | null
  /** JSON object. */
  adapter_metadata_json: string
}

/** `session_end_events`: sessions that ended, were orphaned or deleted, until the daemon purged their rows elsewhere (migration 0011). */
export interface SessionEndEventsTable {
  session_id: string
  reason: 'ended' | 'orphaned' | 'deleted'
  at: number
}

/** `writer_fences`: the highest fencing token of a writer lease seen by tasks.db (migration 0011). */
export interface WriterFencesTable {
  name: string
  token: number
}

/**
 * `task_work_history`: which task a session worked on, and when.
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('task_work_history').selectAll().limit(10).execute()
 * ```
 */
export interface TaskWorkHistoryTable {
  id: Generated<number>
  session_id: string
  task_id: string
  set_at: number
  cleared_at: number | null
}

/**
 * `status_registry`: every status of every entity, seeded by migration.
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('status_registry').selectAll().limit(10).execute()
 * ```
 */
export interface StatusRegistryTable {
  entity_type: StatusEntityType
  name: string
  namespace: string
  description: string
  is_terminal: number
}

/**
 * `lifecycle_pipelines`: one RCASD-IVTR+C run of a task.
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('lifecycle_pipelines').selectAll().limit(10).execute()
 * ```
 */
export interface LifecyclePipelinesTable {
  id: string
  task_id: string
  status: LifecyclePipelineStatus
  current_stage: LifecycleStageName
  started_at: number
  updated_at: number
  completed_at: number | null
  version: number
}

/**
 * `lifecycle_stages`: the ten stages of a pipeline (one row each).
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('lifecycle_stages').selectAll().limit(10).execute()
 * ```
 */
export interface LifecycleStagesTable {
  id: string
  pipeline_id: string
  stage_name: LifecycleStageName
  sequence: number
  status: LifecycleStageStatus
  started_at: number | null
  completed_at: number | null
  blocked_at: number | null
  skipped_at: number | null
  block_reason: string | null
  skip_reason: string | null
  notes_json: string
  metadata_json: string
  output_file: string | null
  created_by: string | null
  validated_by: string | null
  validated_at: number | null
  validation_status: LifecycleValidationStatus | null
}

/**
 * `lifecycle_gate_results`: appended gate checks; the latest per gate decides.
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('lifecycle_gate_results').selectAll().limit(10).execute()
 * ```
 */
export interface LifecycleGateResultsTable {
  id: string
  stage_id: string
  gate_name: string
  result: LifecycleGateResultValue
  required: number
  checked_at: number
  checked_by: string
  details: string | null
  reason: string | null
}

/**
 * `lifecycle_evidence`: files, URLs and manifests backing a stage or a gate result.
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('lifecycle_evidence').selectAll().limit(10).execute()
 * ```
 */
export interface LifecycleEvidenceTable {
  id: string
  stage_id: string
  gate_result_id: string | null
  uri: string
  type: LifecycleEvidenceType
  recorded_at: number
  recorded_by: string | null
  description: string | null
}

/**
 * `lifecycle_transitions`: every stage change of a pipeline.
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('lifecycle_transitions').selectAll().limit(10).execute()
 * ```
 */
export interface LifecycleTransitionsTable {
  id: string
  pipeline_id: string
  from_stage_id: string | null
  to_stage_id: string
  transition_type: LifecycleTransitionType
  transitioned_by: string | null
  reason: string | null
  created_at: number
}

/**
 * `manifest_entries`: outputs recorded against a pipeline stage.
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('manifest_entries').selectAll().limit(10).execute()
 * ```
 */
export interface ManifestEntriesTable {
  id: string
  pipeline_id: string
  stage_id: string | null
  title: string
  status: ManifestStatus
  agent_type: string | null
  output_file: string | null
  topics_json: string
  findings_json: string
  linked_tasks_json: string
  created_at: number
}

/**
 * `pipeline_manifest`: content records of the pipeline (agent outputs, notes).
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('pipeline_manifest').selectAll().limit(10).execute()
 * ```
 */
export interface PipelineManifestTable {
  id: string
  session_id: string | null
  task_id: string | null
  epic_id: string | null
  type: string
  content: string
  content_hash: string
  status: PipelineManifestStatus
  distilled: number
  brain_obs_id: string | null
  source_file: string | null
  metadata_json: string
  created_at: number
  archived_at: number | null
}

/**
 * `release_manifests`: one row per release version.
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('release_manifests').selectAll().limit(10).execute()
 * ```
 */
export interface ReleaseManifestsTable {
  id: string
  version: string
  status: ReleaseStatus
  pipeline_id: string | null
  epic_id: string | null
  tasks_json: string
  changelog: string | null
  notes: string | null
  previous_version: string | null
  commit_sha: string | null
  git_tag: string | null
  npm_dist_tag: string | null
  created_at: number
  updated_at: number
  prepared_at: number | null
  committed_at: number | null
  tagged_at: number | null
  pushed_at: number | null
  cancelled_at: number | null
}

/**
 * `audit_log`: one row per committed mutation.
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('audit_log').selectAll().limit(10).execute()
 * ```
 */
export interface AuditLogTable {
  id: Generated<number>
  timestamp: number
  action: string
  entity_type: TaskAuditEntityType
  entity_id: string
  task_id: string | null
  actor: string
  session_id: string | null
  request_id: string | null
  before_json: string | null
  after_json: string | null
  details_json: string | null
  /** `change` (a row change written with its mutation) or `operation` (`tasks.audit.record`); migration 0012. */
  kind: Generated<'change' | 'operation'>
  domain: Generated<string | null>
  operation: Generated<string | null>
  /** 0 or 1 on operation rows. */
  success: Generated<number | null>
  duration_ms: Generated<number | null>
  error_code: Generated<string | null>
  gateway: Generated<string | null>
  project_hash: Generated<string | null>
}

/**
 * `token_usage`: LLM token accounting.
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('token_usage').selectAll().limit(10).execute()
 * ```
 */
export interface TokenUsageTable {
  id: Generated<number>
  created_at: number
  provider: string
  model: string | null
  transport: TokenTransport
  gateway: string | null
  domain: string | null
  operation: string | null
  session_id: string | null
  task_id: string | null
  request_id: string | null
  input_chars: number
  output_chars: number
  input_tokens: number
  output_tokens: number
  total_tokens: number
  method: TokenMethod
  confidence: TokenConfidence
  request_hash: string | null
  response_hash: string | null
  metadata_json: string
}

/**
 * `architecture_decisions`: ADR records. The pointer columns follow `adr_relations`.
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('architecture_decisions').selectAll().limit(10).execute()
 * ```
 */
export interface ArchitectureDecisionsTable {
  id: string
  title: string
  status: AdrStatus
  supersedes_id: string | null
  superseded_by_id: string | null
  amends_id: string | null
  consensus_manifest_id: string | null
  content: string
  summary: string | null
  keywords_json: string
  topics_json: string
  gate: AdrGate | null
  gate_status: AdrGateStatus | null
  file_path: string | null
  /** `YYYY-MM-DD`, the decision's own date. */
  decided_on: string | null
  accepted_at: number | null
  created_at: number
  updated_at: number
  version: number
}

/**
 * `adr_task_links`: ADR ↔ task.
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('adr_task_links').selectAll().limit(10).execute()
 * ```
 */
export interface AdrTaskLinksTable {
  adr_id: string
  task_id: string
  link_type: AdrLinkType
  created_at: number
}

/**
 * `adr_relations`: ADR → ADR.
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('adr_relations').selectAll().limit(10).execute()
 * ```
 */
export interface AdrRelationsTable {
  from_adr_id: string
  to_adr_id: string
  relation_type: AdrRelationType
  created_at: number
}

/**
 * `external_task_links`: a task ↔ an issue in another tracker.
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('external_task_links').selectAll().limit(10).execute()
 * ```
 */
export interface ExternalTaskLinksTable {
  id: string
  task_id: string
  provider_id: string
  external_id: string
  external_url: string | null
  external_title: string | null
  link_type: ExternalLinkType
  sync_direction: ExternalSyncDirection
  metadata_json: string
  linked_at: number
  last_sync_at: number | null
}

/**
 * `agent_instances`: running agent processes of this project.
 *
 * @example
 * ```ts
 * const rows = await tasks.kysely.selectFrom('agent_instances').selectAll().limit(10).execute()
 * ```
 */
export interface AgentInstancesTable {
  id: string
  agent_type: AgentInstanceType
  status: AgentInstanceStatus
  session_id: string | null
  task_id: string | null
  parent_agent_id: string | null
  started_at: number
  last_heartbeat: number
  stopped_at: number | null
  error_count: number
  total_tasks_completed: number
  capacity: number
  metadata_json: string
}

/**
 * The Kysely database interface of tasks.db: what `tasks.kysely` is typed with.
 *
 * @example
 * ```ts
 * const open = await tasks.kysely.selectFrom('tasks').select(['id', 'title']).where('status', '=', 'pending').execute()
 * ```
 */
export interface TasksDatabase {
  schema_meta: TasksSchemaMetaTable
  tasks: TasksTable
  task_dependencies: TaskDependenciesTable
  task_relations: TaskRelationsTable
  sessions: SessionsTable
  session_end_events: SessionEndEventsTable
  writer_fences: WriterFencesTable
  task_work_history: TaskWorkHistoryTable
  status_registry: StatusRegistryTable
  lifecycle_pipelines: LifecyclePipelinesTable
  lifecycle_stages: LifecycleStagesTable
  lifecycle_gate_results: LifecycleGateResultsTable
  lifecycle_evidence: LifecycleEvidenceTable
  lifecycle_transitions: LifecycleTransitionsTable
  manifest_entries: ManifestEntriesTable
  pipeline_manifest: PipelineManifestTable
  release_manifests: ReleaseManifestsTable
  audit_log: AuditLogTable
  token_usage: TokenUsageTable
  architecture_decisions: ArchitectureDecisionsTable
  adr_task_links: AdrTaskLinksTable
  adr_relations: AdrRelationsTable
  external_task_links: ExternalTaskLinksTable
  agent_instances: AgentInstancesTable
}
