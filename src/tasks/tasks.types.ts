/**
 * Plain types of every tasks.db input (what `tasks.schemas.ts` accepts, before defaults) and of its
 * JSON values. The root module's types come from here, not from zod;
 * `test/types/tasks.types.test-d.ts` keeps each one equal to its schema.
 *
 * @module
 */
import type { JsonValue } from '../sqlite/json-value.js'
import type { TimeInput } from '../sqlite/time-input.types.js'
import type { AdrGate, AdrGateStatus, AdrStatus, AgentInstanceStatus, AgentInstanceType, ExternalLinkType, ExternalSyncDirection, LifecycleEvidenceType, LifecycleGateResultValue, LifecycleStageName, LifecycleTransitionType, LifecycleValidationStatus, ManifestStatus, PipelineManifestStatus, TaskAuditEntityType, TaskPipelineStage, TaskPriority, TaskRelationType, TaskRole, TaskScope, TaskSessionStatus, TaskSeverity, TaskSize, TaskStatus, TaskType, TokenConfidence, TokenMethod, TokenTransport } from './tasks.enums.js'

/** Input of `TaskMutationOptionsSchema` (`cleo-store/schemas`). */
export interface TaskMutationOptions {
  /** Who acts (default: the repository's `actor` option, else `system`). */
  actor?: string | undefined
  /** The session on whose behalf (soft reference; kept on the audit row). */
  sessionId?: string | undefined | null
  /** A caller's correlation id, kept on the audit row. */
  requestId?: string | undefined
}

/** Input of `TaskVerificationSchema` (`cleo-store/schemas`). */
export interface TaskVerification {
  passed?: boolean | undefined
  round?: number | undefined
  gates?: Record<string, boolean | null> | undefined
  evidence?: (boolean | string | number | JsonValue[] | { [key: string]: JsonValue; } | null)[] | undefined
  lastAgent?: string | undefined | null
  lastUpdated?: string | undefined | null
  failureLog?: (boolean | string | number | JsonValue[] | { [key: string]: JsonValue; } | null)[] | undefined
  [key: string]: unknown
}

/** Input of `CreateTaskSchema` (`cleo-store/schemas`). */
export interface CreateTaskInput {
  title: string
  /** Initial status; a new task cannot start out terminal. */
  status?: 'pending' | 'active' | 'blocked' | 'proposed' | undefined
  type?: TaskType | undefined
  parentId?: string | undefined | null
  /** Tasks this one depends on, added in the same transaction (cycle-checked). */
  dependsOn?: string[] | undefined
  description?: string | undefined | null
  priority?: TaskPriority | undefined
  role?: TaskRole | undefined
  scope?: TaskScope | undefined
  severity?: TaskSeverity | undefined | null
  phase?: string | undefined | null
  size?: TaskSize | undefined | null
  labels?: string[] | undefined
  notes?: string[] | undefined
  acceptance?: string[] | undefined
  files?: string[] | undefined
  verification?: { passed?: boolean | undefined; round?: number | undefined; gates?: Record<string, boolean | null> | undefined; evidence?: (boolean | string | number | JsonValue[] | { [key: string]: JsonValue; } | null)[] | undefined; lastAgent?: string | undefined | null; lastUpdated?: string | undefined | null; failureLog?: (boolean | string | number | JsonValue[] | { [key: string]: JsonValue; } | null)[] | undefined; [key: string]: unknown } | undefined | null
  origin?: string | undefined | null
  blockedBy?: string | undefined | null
  noAutoComplete?: boolean | undefined
  assignee?: string | undefined | null
  pipelineStage?: TaskPipelineStage | undefined | null
}

/** Input of `UpdateTaskSchema` (`cleo-store/schemas`). */
export interface UpdateTaskInput {
  status?: TaskStatus | undefined
  type?: TaskType | undefined
  cancellationReason?: string | undefined | null
  description?: string | undefined | null
  priority?: TaskPriority | undefined
  role?: TaskRole | undefined
  scope?: TaskScope | undefined
  severity?: TaskSeverity | undefined | null
  phase?: string | undefined | null
  size?: TaskSize | undefined | null
  labels?: string[] | undefined
  notes?: string[] | undefined
  acceptance?: string[] | undefined
  files?: string[] | undefined
  verification?: { passed?: boolean | undefined; round?: number | undefined; gates?: Record<string, boolean | null> | undefined; evidence?: (boolean | string | number | JsonValue[] | { [key: string]: JsonValue; } | null)[] | undefined; lastAgent?: string | undefined | null; lastUpdated?: string | undefined | null; failureLog?: (boolean | string | number | JsonValue[] | { [key: string]: JsonValue; } | null)[] | undefined; [key: string]: unknown } | undefined | null
  origin?: string | undefined | null
  blockedBy?: string | undefined | null
  noAutoComplete?: boolean | undefined
  assignee?: string | undefined | null
  pipelineStage?: TaskPipelineStage | undefined | null
  title?: string | undefined
}

/** Input of `TaskWriteOptionsSchema` (`cleo-store/schemas`). */
export interface TaskWriteOptions {
  /** Who acts (default: the repository's `actor` option, else `system`). */
  actor?: string | undefined
  /** The session on whose behalf (soft reference; kept on the audit row). */
  sessionId?: string | undefined | null
  /** A caller's correlation id, kept on the audit row. */
  requestId?: string | undefined
  /** The `version` the caller read; a different current version → `CONFLICT`. */
  expectedVersion?: number | undefined
  /** A fencing token from `tasks.claims.claim`; unless it is the live claim → `LEASE_LOST`. */
  claimToken?: number | undefined
}

/** Input of `ArchiveTaskOptionsSchema` (`cleo-store/schemas`). */
export interface ArchiveTaskOptions {
  /** Who acts (default: the repository's `actor` option, else `system`). */
  actor?: string | undefined
  /** The session on whose behalf (soft reference; kept on the audit row). */
  sessionId?: string | undefined | null
  /** A caller's correlation id, kept on the audit row. */
  requestId?: string | undefined
  /** The `version` the caller read; a different current version → `CONFLICT`. */
  expectedVersion?: number | undefined
  /** A fencing token from `tasks.claims.claim`; unless it is the live claim → `LEASE_LOST`. */
  claimToken?: number | undefined
  /** Also archive every non-archived descendant (otherwise a task with live children is refused). */
  cascade?: boolean | undefined
  /** Archive even though live tasks depend on this unfinished one: those dependency edges are removed. */
  force?: boolean | undefined
}

/** Input of `RestoreTaskOptionsSchema` (`cleo-store/schemas`). */
export interface RestoreTaskOptions {
  /** Who acts (default: the repository's `actor` option, else `system`). */
  actor?: string | undefined
  /** The session on whose behalf (soft reference; kept on the audit row). */
  sessionId?: string | undefined | null
  /** A caller's correlation id, kept on the audit row. */
  requestId?: string | undefined
  /** The `version` the caller read; a different current version → `CONFLICT`. */
  expectedVersion?: number | undefined
  /** A fencing token from `tasks.claims.claim`; unless it is the live claim → `LEASE_LOST`. */
  claimToken?: number | undefined
  /** Also restore the descendants that were archived. */
  cascade?: boolean | undefined
}

/** Input of `TaskListFilterSchema` (`cleo-store/schemas`). */
export interface TaskListFilter {
  status?: TaskStatus | (TaskStatus)[] | undefined
  /** A task id for its children, or `null` for root tasks. */
  parentId?: string | undefined | null
  type?: TaskType | undefined
  priority?: TaskPriority | undefined
  assignee?: string | undefined
  /** The agent holding a claim (live or expired) on the task. */
  claimedBy?: string | undefined
  /** Tasks carrying every one of these labels. */
  labels?: string[] | undefined
  /** Full-text words over title and description (any user text is safe). */
  text?: string | undefined
  /** `exclude` (default), `include` or `only` archived tasks. */
  archived?: 'exclude' | 'include' | 'only' | undefined
  limit?: number | undefined
  cursor?: string | undefined
}

/** Input of `TaskReadyQuerySchema` (`cleo-store/schemas`). */
export interface TaskReadyQuery {
  limit?: number | undefined
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined
  /** Skip tasks under a live claim of another agent (`next()` always does). */
  agent?: string | undefined
}

/** Input of `AddTaskRelationSchema` (`cleo-store/schemas`). */
export interface AddTaskRelationInput {
  taskId: string
  relatedTo: string
  type?: TaskRelationType | undefined
  reason?: string | undefined | null
}

/** Input of `ClaimTaskSchema` (`cleo-store/schemas`). */
export interface ClaimTaskInput {
  agent: string
  ttlMs: number
}

/** Input of `TaskSessionScopeSchema` (`cleo-store/schemas`). */
export type TaskSessionScope = { type: 'global' } | { type: 'epic'; epicId: string }

/** Input of `StartTaskSessionSchema` (`cleo-store/schemas`). */
export interface StartTaskSessionInput {
  name: string
  agent?: string | undefined | null
  computer?: string | undefined | null
  /** The terminal (tmux session) name; `null` while headless. */
  terminalName?: string | undefined | null
  title?: string | undefined | null
  providerId?: string | undefined | null
  metadata?: Record<string, JsonValue> | undefined
  /** The agent CLI's own session id; unique among sessions when set (`CONFLICT` otherwise). */
  nativeSessionId?: string | undefined | null
  /** The project directory the session works in. */
  projectPath?: string | undefined | null
  /** The agent's thinking mode (`fast`, `med`, `slow`, …). */
  thinkingMode?: string | undefined | null
  /** Who started the session (a user, or the initiating session's id). */
  initiator?: string | undefined | null
  /** Adapter metadata (Telegram topic, Discord thread, …): a JSON object, merged shallowly on upsert. */
  adapterMetadata?: Record<string, JsonValue> | undefined
  id?: string | undefined
  scope?: { type: 'global' } | { type: 'epic'; epicId: string } | undefined
  /** Run alongside the scope's holder: neither hold the scope nor be refused by its holder. */
  concurrent?: boolean | undefined
  /** `creating` for a session whose terminal is not attached yet (TeleClaude). */
  status?: 'active' | 'creating' | undefined
  previousSessionId?: string | undefined
}

/** Input of `UpsertTaskSessionSchema` (`cleo-store/schemas`). */
export interface UpsertTaskSessionInput {
  id: string
  /** Merged into the stored metadata (shallow: given keys replace, others stay). */
  metadata?: Record<string, JsonValue> | undefined
  agent?: string | undefined | null
  computer?: string | undefined | null
  /** The terminal (tmux session) name; `null` while headless. */
  terminalName?: string | undefined | null
  title?: string | undefined | null
  providerId?: string | undefined | null
  /** The agent CLI's own session id; unique among sessions when set (`CONFLICT` otherwise). */
  nativeSessionId?: string | undefined | null
  /** The project directory the session works in. */
  projectPath?: string | undefined | null
  /** The agent's thinking mode (`fast`, `med`, `slow`, …). */
  thinkingMode?: string | undefined | null
  /** Who started the session (a user, or the initiating session's id). */
  initiator?: string | undefined | null
  /** Adapter metadata (Telegram topic, Discord thread, …): a JSON object, merged shallowly on upsert. */
  adapterMetadata?: Record<string, JsonValue> | undefined
  name?: string | undefined
  status?: TaskSessionStatus | undefined
  /** Used when the row is created; ignored afterwards. Upserted sessions never hold a scope exclusively. */
  scope?: { type: 'global' } | { type: 'epic'; epicId: string } | undefined
  /** When the session ended (default: now), used with an ending status. */
  endedAt?: TimeInput | undefined
}

/** Input of `EndTaskSessionSchema` (`cleo-store/schemas`). */
export interface EndTaskSessionInput {
  note?: string | undefined
  debrief?: boolean | string | number | (boolean | string | number | JsonValue[] | { [key: string]: JsonValue; } | null)[] | { [key: string]: JsonValue; } | undefined | null
  handoff?: boolean | string | number | (boolean | string | number | JsonValue[] | { [key: string]: JsonValue; } | null)[] | { [key: string]: JsonValue; } | undefined | null
}

/** Input of `TaskSessionHandoffSchema` (`cleo-store/schemas`). */
export interface TaskSessionHandoffInput {
  handoff: boolean | string | number | JsonValue[] | { [key: string]: JsonValue; } | null
  /** The successor; scope, name and concurrency default to the ended session's. */
  to: { agent?: string | undefined | null; computer?: string | undefined | null; /** The terminal (tmux session) name; `null` while headless. */
terminalName?: string | undefined | null; title?: string | undefined | null; providerId?: string | undefined | null; metadata?: Record<string, JsonValue> | undefined; /** The agent CLI's own session id; unique among sessions when set (`CONFLICT` otherwise). */
nativeSessionId?: string | undefined | null; /** The project directory the session works in. */
projectPath?: string | undefined | null; /** The agent's thinking mode (`fast`, `med`, `slow`, …). */
thinkingMode?: string | undefined | null; /** Who started the session (a user, or the initiating session's id). */
initiator?: string | undefined | null; /** Adapter metadata (Telegram topic, Discord thread, …): a JSON object, merged shallowly on upsert. */
adapterMetadata?: Record<string, JsonValue> | undefined; id?: string | undefined; name?: string | undefined; scope?: { type: 'global' } | { type: 'epic'; epicId: string } | undefined; concurrent?: boolean | undefined; status?: 'active' | 'creating' | undefined }
  note?: string | undefined
}

/** Input of `TaskSessionListFilterSchema` (`cleo-store/schemas`). */
export interface TaskSessionListFilter {
  status?: TaskSessionStatus | undefined
  agent?: string | undefined
  limit?: number | undefined
  cursor?: string | undefined
}

/** Input of `RecordGateSchema` (`cleo-store/schemas`). */
export interface RecordGateInput {
  gate: string
  result: LifecycleGateResultValue
  checkedBy: string
  stage?: LifecycleStageName | undefined
  /** A failing required gate blocks `advance` unless the transition is forced (default true). */
  required?: boolean | undefined
  details?: string | undefined | null
  reason?: string | undefined | null
  evidence?: { uri: string; type: LifecycleEvidenceType; description?: string | undefined }[] | undefined
}

/** Input of `AddEvidenceSchema` (`cleo-store/schemas`). */
export interface AddEvidenceInput {
  uri: string
  type: LifecycleEvidenceType
  stage?: LifecycleStageName | undefined
  recordedBy?: string | undefined
  description?: string | undefined
  gateResultId?: string | undefined
}

/** Input of `AdvanceStageSchema` (`cleo-store/schemas`). */
export interface AdvanceStageInput {
  to?: LifecycleStageName | undefined
  type?: LifecycleTransitionType | undefined
  by?: string | undefined
  reason?: string | undefined
  /** The pipeline `version` the caller read; a different one → `CONFLICT`. */
  expectedVersion?: number | undefined
}

/** Input of `SetPipelineStatusSchema` (`cleo-store/schemas`). */
export interface SetPipelineStatusInput {
  status: 'active' | 'blocked' | 'cancelled' | 'failed' | 'aborted'
  reason?: string | undefined
}

/** Input of `ValidateStageSchema` (`cleo-store/schemas`). */
export interface ValidateStageInput {
  stage: LifecycleStageName
  status: LifecycleValidationStatus
  by: string
  outputFile?: string | undefined
}

/** Input of `AddManifestEntrySchema` (`cleo-store/schemas`). */
export interface AddManifestEntryInput {
  pipelineId: string
  title: string
  status: ManifestStatus
  stage?: LifecycleStageName | undefined
  agentType?: string | undefined
  outputFile?: string | undefined
  topics?: string[] | undefined
  findings?: string[] | undefined
  linkedTasks?: string[] | undefined
}

/** Input of `RecordPipelineManifestSchema` (`cleo-store/schemas`). */
export interface RecordPipelineManifestInput {
  type: string
  content: string
  sessionId?: string | undefined
  taskId?: string | undefined
  epicId?: string | undefined
  sourceFile?: string | undefined
  brainObsId?: string | undefined
  distilled?: boolean | undefined
  metadata?: Record<string, JsonValue> | undefined
}

/** Input of `PipelineManifestFilterSchema` (`cleo-store/schemas`). */
export interface PipelineManifestFilter {
  taskId?: string | undefined
  epicId?: string | undefined
  sessionId?: string | undefined
  status?: PipelineManifestStatus | undefined
  type?: string | undefined
  limit?: number | undefined
}

/** Input of `CreateReleaseSchema` (`cleo-store/schemas`). */
export interface CreateReleaseInput {
  version: string
  pipelineId?: string | undefined
  epicId?: string | undefined
  tasks?: string[] | undefined
  changelog?: string | undefined
  notes?: string | undefined
  previousVersion?: string | undefined
}

/** Input of `AdvanceReleaseSchema` (`cleo-store/schemas`). */
export interface AdvanceReleaseInput {
  to: 'cancelled' | 'prepared' | 'committed' | 'tagged' | 'pushed'
  changelog?: string | undefined
  notes?: string | undefined
  commitSha?: string | undefined
  gitTag?: string | undefined
  npmDistTag?: string | undefined
}

/** Input of `CreateAdrSchema` (`cleo-store/schemas`). */
export interface CreateAdrInput {
  title: string
  /** Relations created with the record (same transaction). */
  supersedes?: string | undefined
  amends?: string | undefined
  related?: string[] | undefined
  /** Tasks to link (`related`). */
  tasks?: string[] | undefined
  content?: string | undefined
  summary?: string | undefined | null
  keywords?: string[] | undefined
  topics?: string[] | undefined
  gate?: AdrGate | undefined | null
  gateStatus?: AdrGateStatus | undefined | null
  filePath?: string | undefined | null
  /** The decision's date, `YYYY-MM-DD`. */
  decidedOn?: string | undefined | null
  consensusManifestId?: string | undefined | null
  id?: string | undefined
  status?: 'proposed' | 'accepted' | 'deprecated' | undefined
}

/** Input of `UpdateAdrSchema` (`cleo-store/schemas`). */
export interface UpdateAdrInput {
  title?: string | undefined
  status?: 'proposed' | 'accepted' | 'deprecated' | undefined
  content?: string | undefined
  summary?: string | undefined | null
  keywords?: string[] | undefined
  topics?: string[] | undefined
  gate?: AdrGate | undefined | null
  gateStatus?: AdrGateStatus | undefined | null
  filePath?: string | undefined | null
  /** The decision's date, `YYYY-MM-DD`. */
  decidedOn?: string | undefined | null
  consensusManifestId?: string | undefined | null
}

/** Input of `AdrListFilterSchema` (`cleo-store/schemas`). */
export interface AdrListFilter {
  status?: AdrStatus | undefined
  /** ADRs linked to this task. */
  taskId?: string | undefined
  limit?: number | undefined
}

/** Input of `TaskAuditFilterSchema` (`cleo-store/schemas`). */
export interface TaskAuditFilter {
  taskId?: string | undefined
  sessionId?: string | undefined
  entityType?: TaskAuditEntityType | undefined
  entityId?: string | undefined
  actor?: string | undefined
  action?: string | undefined
  since?: TimeInput | undefined
  until?: TimeInput | undefined
  limit?: number | undefined
  cursor?: string | undefined
  /** `change` rows (written with each mutation) or `operation` rows (`tasks.audit.record`). */
  kind?: 'change' | 'operation' | undefined
  domain?: string | undefined
  operation?: string | undefined
  success?: boolean | undefined
  gateway?: string | undefined
  errorCode?: string | undefined
}

/** Input of `RecordAuditOperationSchema` (`cleo-store/schemas`). */
export interface RecordAuditOperationInput {
  domain: string
  operation: string
  success: boolean
  durationMs?: number | undefined
  errorCode?: string | undefined
  gateway?: string | undefined
  /** The task concerned, if any (a soft reference, like every audit row's). */
  taskId?: string | undefined
  details?: boolean | string | number | (boolean | string | number | JsonValue[] | { [key: string]: JsonValue; } | null)[] | { [key: string]: JsonValue; } | undefined | null
}

/** Input of `RecordTokenUsageSchema` (`cleo-store/schemas`). */
export interface RecordTokenUsageInput {
  provider?: string | undefined
  model?: string | undefined
  transport?: TokenTransport | undefined
  gateway?: string | undefined
  domain?: string | undefined
  operation?: string | undefined
  sessionId?: string | undefined
  taskId?: string | undefined
  requestId?: string | undefined
  inputChars?: number | undefined
  outputChars?: number | undefined
  inputTokens?: number | undefined
  outputTokens?: number | undefined
  totalTokens?: number | undefined
  method?: TokenMethod | undefined
  confidence?: TokenConfidence | undefined
  requestHash?: string | undefined
  responseHash?: string | undefined
  metadata?: Record<string, JsonValue> | undefined
  /** When the call happened (default: now). */
  at?: TimeInput | undefined
}

/** Input of `TokenAggregateQuerySchema` (`cleo-store/schemas`). */
export interface TokenAggregateQuery {
  groupBy?: 'task' | 'session' | 'provider' | 'model' | 'method' | 'hour' | 'day' | 'none' | undefined
  sessionId?: string | undefined
  taskId?: string | undefined
  model?: string | undefined
  since?: TimeInput | undefined
  until?: TimeInput | undefined
}

/** Input of `LinkExternalTaskSchema` (`cleo-store/schemas`). */
export interface LinkExternalTaskInput {
  taskId: string
  providerId: string
  externalId: string
  externalUrl?: string | undefined
  externalTitle?: string | undefined
  linkType?: ExternalLinkType | undefined
  syncDirection?: ExternalSyncDirection | undefined
  metadata?: Record<string, JsonValue> | undefined
}

/** Input of `RegisterAgentInstanceSchema` (`cleo-store/schemas`). */
export interface RegisterAgentInstanceInput {
  agentType: AgentInstanceType
  id?: string | undefined
  sessionId?: string | undefined
  taskId?: string | undefined
  parentAgentId?: string | undefined
  capacity?: number | undefined
  metadata?: Record<string, JsonValue> | undefined
}

/** Input of `AgentHeartbeatSchema` (`cleo-store/schemas`). */
export interface AgentHeartbeatInput {
  status?: 'active' | 'idle' | 'error' | undefined
  taskId?: string | undefined | null
  capacity?: number | undefined
  /** Tasks finished since the last heartbeat (added to the total). */
  tasksCompleted?: number | undefined
  metadata?: Record<string, JsonValue> | undefined
}

/** Input of `AgentInstanceFilterSchema` (`cleo-store/schemas`). */
export interface AgentInstanceFilter {
  status?: AgentInstanceStatus | undefined
  agentType?: AgentInstanceType | undefined
  sessionId?: string | undefined
  limit?: number | undefined
}

export interface PutAgentCredentialInput {
  agentId: string
  displayName: string
  /** The sealed API key (`CredentialCipher.seal`); plaintext is refused. */
  apiKeyEncrypted: string
  /** Hex SHA-256 of the API key. */
  apiKeyHash?: string | undefined | null
  apiBaseUrl?: string | undefined
  classification?: string | undefined | null
  privacyTier?: 'private' | 'public' | 'discoverable' | undefined
  transportType?: 'http' | 'sse' | 'websocket' | 'local' | undefined
  transportConfig?: Record<string, JsonValue> | undefined
  isActive?: boolean | undefined
}

/**
 * Filter of `tasks.sessions.listByActivity` (and `daemon.sessions.list`).
 *
 * @example
 * ```ts
 * const filter: SessionActivityFilter = { computer: 'mbp', status: 'active', limit: 20 }
 * ```
 */
export interface SessionActivityFilter {
  computer?: string | undefined
  status?: TaskSessionStatus | undefined
  limit?: number | undefined
  cursor?: string | undefined
}
