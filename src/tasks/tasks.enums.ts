/**
 * Every enumeration of tasks.db, as frozen tuples. Each one is also a SQL `CHECK`
 * in the migrations (which spell the lists out literally: a migration is frozen in
 * time and must not change when these constants do), and a test proves the two
 * agree value by value. CLEO declared most of these only as TypeScript types.
 *
 * @module
 */

/**
 * Task statuses. `done` and `cancelled` are terminal; archiving is not a status
 * here (CLEO overwrote the status with `archived` and lost the previous one): an
 * archived task keeps its status and carries `archivedAt`.
 *
 * @example
 * ```ts
 * TASK_STATUSES.includes('pending') // true
 * ```
 */
export const TASK_STATUSES = Object.freeze(['pending', 'active', 'blocked', 'done', 'cancelled', 'proposed'] as const)
/** One of {@link TASK_STATUSES}. */
export type TaskStatus = (typeof TASK_STATUSES)[number]

/**
 * Statuses that end a task's work (a dependency on such a task is satisfied).
 *
 * @example
 * ```ts
 * TERMINAL_TASK_STATUSES.includes('done') // true
 * ```
 */
export const TERMINAL_TASK_STATUSES = Object.freeze(['done', 'cancelled'] as const)

/**
 * Task priorities, most urgent first. Ready work is ordered by this rank.
 *
 * @example
 * ```ts
 * TASK_PRIORITIES.indexOf('critical') // 0
 * ```
 */
export const TASK_PRIORITIES = Object.freeze(['critical', 'high', 'medium', 'low'] as const)
/** One of {@link TASK_PRIORITIES}. */
export type TaskPriority = (typeof TASK_PRIORITIES)[number]

/**
 * The three levels of the task tree: epic → task → subtask.
 *
 * @example
 * ```ts
 * TASK_TYPES.includes('epic') // true
 * ```
 */
export const TASK_TYPES = Object.freeze(['epic', 'task', 'subtask'] as const)
/** One of {@link TASK_TYPES}. */
export type TaskType = (typeof TASK_TYPES)[number]

/**
 * What kind of work a task is (CLEO T944).
 *
 * @example
 * ```ts
 * TASK_ROLES.includes('work') // true
 * ```
 */
export const TASK_ROLES = Object.freeze(['work', 'research', 'experiment', 'bug', 'spike', 'release'] as const)
/** One of {@link TASK_ROLES}. */
export type TaskRole = (typeof TASK_ROLES)[number]

/**
 * How wide a task is (CLEO T944).
 *
 * @example
 * ```ts
 * TASK_SCOPES.includes('project') // true
 * ```
 */
export const TASK_SCOPES = Object.freeze(['project', 'feature', 'unit'] as const)
/** One of {@link TASK_SCOPES}. */
export type TaskScope = (typeof TASK_SCOPES)[number]

/**
 * Bug severities; only a task whose role is `bug` may carry one.
 *
 * @example
 * ```ts
 * TASK_SEVERITIES.includes('P0') // true
 * ```
 */
export const TASK_SEVERITIES = Object.freeze(['P0', 'P1', 'P2', 'P3'] as const)
/** One of {@link TASK_SEVERITIES}. */
export type TaskSeverity = (typeof TASK_SEVERITIES)[number]

/**
 * Rough task sizes.
 *
 * @example
 * ```ts
 * TASK_SIZES.includes('small') // true
 * ```
 */
export const TASK_SIZES = Object.freeze(['small', 'medium', 'large'] as const)
/** One of {@link TASK_SIZES}. */
export type TaskSize = (typeof TASK_SIZES)[number]

/**
 * Why a task was archived: derived from its status at archive time.
 *
 * @example
 * ```ts
 * TASK_ARCHIVE_REASONS.includes('completed') // true
 * ```
 */
export const TASK_ARCHIVE_REASONS = Object.freeze(['completed', 'cancelled', 'deleted'] as const)
/** One of {@link TASK_ARCHIVE_REASONS}. */
export type TaskArchiveReason = (typeof TASK_ARCHIVE_REASONS)[number]

/**
 * Typed relations between two tasks; the type is part of the key.
 *
 * @example
 * ```ts
 * TASK_RELATION_TYPES.includes('related') // true
 * ```
 */
export const TASK_RELATION_TYPES = Object.freeze([
  'related',
  'blocks',
  'duplicates',
  'absorbs',
  'fixes',
  'extends',
  'supersedes',
] as const)
/** One of {@link TASK_RELATION_TYPES}. */
export type TaskRelationType = (typeof TASK_RELATION_TYPES)[number]

/**
 * Session statuses: CLEO's four (`active`, `ended`, `orphaned`, `suspended`) plus
 * `creating`, the first step of a TeleClaude session. See {@link TaskSessions} for
 * the mapping of TeleClaude's lifecycle onto these.
 *
 * @example
 * ```ts
 * TASK_SESSION_STATUSES.includes('creating') // true
 * ```
 */
export const TASK_SESSION_STATUSES = Object.freeze(['creating', 'active', 'suspended', 'ended', 'orphaned'] as const)
/** One of {@link TASK_SESSION_STATUSES}. */
export type TaskSessionStatus = (typeof TASK_SESSION_STATUSES)[number]

/**
 * Session statuses that count as open (a daemon restart re-attaches to these).
 *
 * @example
 * ```ts
 * OPEN_TASK_SESSION_STATUSES.includes('creating') // true
 * ```
 */
export const OPEN_TASK_SESSION_STATUSES = Object.freeze(['creating', 'active', 'suspended'] as const)

/**
 * What a session is scoped to.
 *
 * @example
 * ```ts
 * TASK_SESSION_SCOPE_TYPES.includes('global') // true
 * ```
 */
export const TASK_SESSION_SCOPE_TYPES = Object.freeze(['global', 'epic'] as const)
/** One of {@link TASK_SESSION_SCOPE_TYPES}. */
export type TaskSessionScopeType = (typeof TASK_SESSION_SCOPE_TYPES)[number]

/**
 * The ten RCASD-IVTR+C stages, in order.
 *
 * @example
 * ```ts
 * LIFECYCLE_STAGES[0] // 'research'
 * ```
 */
export const LIFECYCLE_STAGES = Object.freeze([
  'research',
  'consensus',
  'architecture_decision',
  'specification',
  'decomposition',
  'implementation',
  'validation',
  'testing',
  'release',
  'contribution',
] as const)
/** One of {@link LIFECYCLE_STAGES}. */
export type LifecycleStageName = (typeof LIFECYCLE_STAGES)[number]

/**
 * A task's mirrored pipeline stage: a lifecycle stage, or `cancelled`.
 *
 * @example
 * ```ts
 * TASK_PIPELINE_STAGES.includes('cancelled') // true
 * ```
 */
export const TASK_PIPELINE_STAGES = Object.freeze([...LIFECYCLE_STAGES, 'cancelled'] as const)
/** One of {@link TASK_PIPELINE_STAGES}. */
export type TaskPipelineStage = (typeof TASK_PIPELINE_STAGES)[number]

/**
 * Lifecycle pipeline statuses.
 *
 * @example
 * ```ts
 * LIFECYCLE_PIPELINE_STATUSES.includes('active') // true
 * ```
 */
export const LIFECYCLE_PIPELINE_STATUSES = Object.freeze([
  'active',
  'completed',
  'blocked',
  'failed',
  'cancelled',
  'aborted',
] as const)
/** One of {@link LIFECYCLE_PIPELINE_STATUSES}. */
export type LifecyclePipelineStatus = (typeof LIFECYCLE_PIPELINE_STATUSES)[number]

/**
 * Lifecycle stage statuses.
 *
 * @example
 * ```ts
 * LIFECYCLE_STAGE_STATUSES.includes('not_started') // true
 * ```
 */
export const LIFECYCLE_STAGE_STATUSES = Object.freeze([
  'not_started',
  'in_progress',
  'blocked',
  'completed',
  'skipped',
  'failed',
] as const)
/** One of {@link LIFECYCLE_STAGE_STATUSES}. */
export type LifecycleStageStatus = (typeof LIFECYCLE_STAGE_STATUSES)[number]

/**
 * Review state of a stage's output.
 *
 * @example
 * ```ts
 * LIFECYCLE_VALIDATION_STATUSES.includes('pending') // true
 * ```
 */
export const LIFECYCLE_VALIDATION_STATUSES = Object.freeze([
  'pending',
  'in_review',
  'approved',
  'rejected',
  'needs_revision',
] as const)
/** One of {@link LIFECYCLE_VALIDATION_STATUSES}. */
export type LifecycleValidationStatus = (typeof LIFECYCLE_VALIDATION_STATUSES)[number]

/**
 * Outcome of a gate check.
 *
 * @example
 * ```ts
 * LIFECYCLE_GATE_RESULTS.includes('pass') // true
 * ```
 */
export const LIFECYCLE_GATE_RESULTS = Object.freeze(['pass', 'fail', 'warn'] as const)
/** One of {@link LIFECYCLE_GATE_RESULTS}. */
export type LifecycleGateResultValue = (typeof LIFECYCLE_GATE_RESULTS)[number]

/**
 * Kinds of lifecycle evidence.
 *
 * @example
 * ```ts
 * LIFECYCLE_EVIDENCE_TYPES.includes('file') // true
 * ```
 */
export const LIFECYCLE_EVIDENCE_TYPES = Object.freeze(['file', 'url', 'manifest'] as const)
/** One of {@link LIFECYCLE_EVIDENCE_TYPES}. */
export type LifecycleEvidenceType = (typeof LIFECYCLE_EVIDENCE_TYPES)[number]

/**
 * How a stage transition happened. `forced` overrides failed gates and missing prerequisites.
 *
 * @example
 * ```ts
 * LIFECYCLE_TRANSITION_TYPES.includes('automatic') // true
 * ```
 */
export const LIFECYCLE_TRANSITION_TYPES = Object.freeze(['automatic', 'manual', 'forced'] as const)
/** One of {@link LIFECYCLE_TRANSITION_TYPES}. */
export type LifecycleTransitionType = (typeof LIFECYCLE_TRANSITION_TYPES)[number]

/**
 * Statuses of a lifecycle manifest entry.
 *
 * @example
 * ```ts
 * MANIFEST_STATUSES.includes('completed') // true
 * ```
 */
export const MANIFEST_STATUSES = Object.freeze(['completed', 'partial', 'blocked', 'archived'] as const)
/** One of {@link MANIFEST_STATUSES}. */
export type ManifestStatus = (typeof MANIFEST_STATUSES)[number]

/**
 * Statuses of a pipeline manifest record.
 *
 * @example
 * ```ts
 * PIPELINE_MANIFEST_STATUSES.includes('active') // true
 * ```
 */
export const PIPELINE_MANIFEST_STATUSES = Object.freeze(['active', 'archived'] as const)
/** One of {@link PIPELINE_MANIFEST_STATUSES}. */
export type PipelineManifestStatus = (typeof PIPELINE_MANIFEST_STATUSES)[number]

/**
 * Release statuses, in the only order a release may move (`cancelled` from any
 * non-final step). Each step stamps its own timestamp.
 *
 * @example
 * ```ts
 * RELEASE_STATUSES.includes('draft') // true
 * ```
 */
export const RELEASE_STATUSES = Object.freeze(['draft', 'prepared', 'committed', 'tagged', 'pushed', 'cancelled'] as const)
/** One of {@link RELEASE_STATUSES}. */
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number]

/**
 * Architecture decision record statuses.
 *
 * @example
 * ```ts
 * ADR_STATUSES.includes('proposed') // true
 * ```
 */
export const ADR_STATUSES = Object.freeze(['proposed', 'accepted', 'superseded', 'deprecated'] as const)
/** One of {@link ADR_STATUSES}. */
export type AdrStatus = (typeof ADR_STATUSES)[number]

/**
 * Who approves an ADR.
 *
 * @example
 * ```ts
 * ADR_GATES.includes('HITL') // true
 * ```
 */
export const ADR_GATES = Object.freeze(['HITL', 'automated'] as const)
/** One of {@link ADR_GATES}. */
export type AdrGate = (typeof ADR_GATES)[number]

/**
 * State of an ADR's approval gate.
 *
 * @example
 * ```ts
 * ADR_GATE_STATUSES.includes('pending') // true
 * ```
 */
export const ADR_GATE_STATUSES = Object.freeze(['pending', 'passed', 'failed', 'waived'] as const)
/** One of {@link ADR_GATE_STATUSES}. */
export type AdrGateStatus = (typeof ADR_GATE_STATUSES)[number]

/**
 * How an ADR relates to a task.
 *
 * @example
 * ```ts
 * ADR_LINK_TYPES.includes('related') // true
 * ```
 */
export const ADR_LINK_TYPES = Object.freeze(['related', 'governed_by', 'implements'] as const)
/** One of {@link ADR_LINK_TYPES}. */
export type AdrLinkType = (typeof ADR_LINK_TYPES)[number]

/**
 * How two ADRs relate.
 *
 * @example
 * ```ts
 * ADR_RELATION_TYPES.includes('supersedes') // true
 * ```
 */
export const ADR_RELATION_TYPES = Object.freeze(['supersedes', 'amends', 'related'] as const)
/** One of {@link ADR_RELATION_TYPES}. */
export type AdrRelationType = (typeof ADR_RELATION_TYPES)[number]

/**
 * How an LLM call reached its provider.
 *
 * @example
 * ```ts
 * TOKEN_TRANSPORTS.includes('cli') // true
 * ```
 */
export const TOKEN_TRANSPORTS = Object.freeze(['cli', 'api', 'agent', 'unknown'] as const)
/** One of {@link TOKEN_TRANSPORTS}. */
export type TokenTransport = (typeof TOKEN_TRANSPORTS)[number]

/**
 * How token counts were obtained, best first.
 *
 * @example
 * ```ts
 * TOKEN_METHODS.includes('otel') // true
 * ```
 */
export const TOKEN_METHODS = Object.freeze(['otel', 'provider_api', 'tokenizer', 'heuristic'] as const)
/** One of {@link TOKEN_METHODS}. */
export type TokenMethod = (typeof TOKEN_METHODS)[number]

/**
 * How far token counts can be trusted.
 *
 * @example
 * ```ts
 * TOKEN_CONFIDENCES.includes('real') // true
 * ```
 */
export const TOKEN_CONFIDENCES = Object.freeze(['real', 'high', 'estimated', 'coarse'] as const)
/** One of {@link TOKEN_CONFIDENCES}. */
export type TokenConfidence = (typeof TOKEN_CONFIDENCES)[number]

/**
 * How an external link came to be.
 *
 * @example
 * ```ts
 * EXTERNAL_LINK_TYPES.includes('created') // true
 * ```
 */
export const EXTERNAL_LINK_TYPES = Object.freeze(['created', 'matched', 'manual', 'transferred'] as const)
/** One of {@link EXTERNAL_LINK_TYPES}. */
export type ExternalLinkType = (typeof EXTERNAL_LINK_TYPES)[number]

/**
 * Which way an external link syncs.
 *
 * @example
 * ```ts
 * EXTERNAL_SYNC_DIRECTIONS.includes('inbound') // true
 * ```
 */
export const EXTERNAL_SYNC_DIRECTIONS = Object.freeze(['inbound', 'outbound', 'bidirectional'] as const)
/** One of {@link EXTERNAL_SYNC_DIRECTIONS}. */
export type ExternalSyncDirection = (typeof EXTERNAL_SYNC_DIRECTIONS)[number]

/**
 * Kinds of running agent instances.
 *
 * @example
 * ```ts
 * AGENT_INSTANCE_TYPES.includes('orchestrator') // true
 * ```
 */
export const AGENT_INSTANCE_TYPES = Object.freeze([
  'orchestrator',
  'executor',
  'researcher',
  'architect',
  'validator',
  'documentor',
  'custom',
] as const)
/** One of {@link AGENT_INSTANCE_TYPES}. */
export type AgentInstanceType = (typeof AGENT_INSTANCE_TYPES)[number]

/**
 * Agent instance statuses; `stopped` and `crashed` are final.
 *
 * @example
 * ```ts
 * AGENT_INSTANCE_STATUSES.includes('starting') // true
 * ```
 */
export const AGENT_INSTANCE_STATUSES = Object.freeze(['starting', 'active', 'idle', 'error', 'crashed', 'stopped'] as const)
/** One of {@link AGENT_INSTANCE_STATUSES}. */
export type AgentInstanceStatus = (typeof AGENT_INSTANCE_STATUSES)[number]

/**
 * Entities whose statuses `status_registry` lists.
 *
 * @example
 * ```ts
 * STATUS_ENTITY_TYPES.includes('task') // true
 * ```
 */
export const STATUS_ENTITY_TYPES = Object.freeze([
  'task',
  'session',
  'lifecycle_pipeline',
  'lifecycle_stage',
  'adr',
  'gate',
  'manifest',
  'release',
  'agent_instance',
] as const)
/** One of {@link STATUS_ENTITY_TYPES}. */
export type StatusEntityType = (typeof STATUS_ENTITY_TYPES)[number]

/**
 * What an audit row is about.
 *
 * @example
 * ```ts
 * TASK_AUDIT_ENTITY_TYPES.includes('task') // true
 * ```
 */
export const TASK_AUDIT_ENTITY_TYPES = Object.freeze([
  'task',
  'dependency',
  'relation',
  'claim',
  'session',
  'lifecycle',
  'manifest',
  'release',
  'adr',
  'external_link',
  'agent_instance',
  'audit',
] as const)
/** One of {@link TASK_AUDIT_ENTITY_TYPES}. */
export type TaskAuditEntityType = (typeof TASK_AUDIT_ENTITY_TYPES)[number]
