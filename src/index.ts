/**
 * cleo-store: an embeddable storage SDK for AI-agent tooling — the six CLEO SQLite
 * databases as typed repositories on Node's built-in `node:sqlite`.
 *
 * @module
 */
export {
  CleoWorkspace,
  PROJECT_DIR_NAME,
  STORE_FILES,
  resolveGlobalDir,
} from './workspace/workspace.js'
export type { WorkspaceOptions } from './workspace/workspace.js'
export {
  NEXUS_PROJECT_PATHS_CHECK,
  NEXUS_REGISTRATION_CHECK,
  SERVER_SCHEMA_CHECK,
  SQLITE_INTEGRITY_CHECK,
  WORKSPACE_CHECKS,
} from './workspace/integrity.js'
export type {
  WorkspaceCheck,
  WorkspaceCheckTarget,
  WorkspaceFinding,
  WorkspaceFindingScope,
  WorkspaceRepairAction,
} from './workspace/check-types.js'
export type {
  WorkspaceCheckOptions,
  WorkspaceCheckReport,
  WorkspaceRepairOptions,
  WorkspaceRepairReport,
  WorkspaceStoreReport,
} from './workspace/integrity.js'
export { DEFAULT_BACKUPS_KEPT, WORKSPACE_BACKUP_FORMAT, WORKSPACE_BACKUP_MANIFEST } from './workspace/backup-format.js'
export { listWorkspaceBackups } from './workspace/backup.js'
export type {
  WorkspaceBackup,
  WorkspaceBackupEntry,
  WorkspaceBackupOptions,
  WorkspaceBackupProgress,
  WorkspaceRestoreOptions,
  WorkspaceRestoreResult,
} from './workspace/backup.types.js'
export type { WorkspaceBackupManifest, WorkspaceBackupStore } from './workspace/backup.types.js'
export { PROJECT_ID_META_KEY } from './workspace/registration.js'
export {
  BRAIN_SESSION_REFS_CHECK,
  BRAIN_TASK_REFS_CHECK,
  CREDENTIAL_CACHE_CHECK,
  PROJECT_AGENT_REFS_CHECK,
  SOFT_REFERENCE_CHECKS,
} from './workspace/references.js'
// issue 17: pending deletions follow their session
export { UX_CLEANUP_SESSIONS_CHECK } from './workspace/references.js'
export type {
  WorkspaceAgents,
  AttachAgentOptions,
  KnownProjects,
  ListWorkspaceAgentsOptions,
  ProjectAgentRefStore,
  RegisterWorkspaceAgentInput,
  RegisterWorkspaceAgentResult,
  RemoveWorkspaceAgentOptions,
  RemoveWorkspaceAgentResult,
  WorkspaceAgent,
  WorkspaceAgentsDeps,
} from './workspace/agents.js'

// Every name is re-exported from the file that declares it, never from a store barrel (`./tasks/index.js`, …):
// the barrels also export schemas and tables, whose declarations load zod and Kysely, and the root's type graph
// must not (issue 15 item 2; test/dist/type-cost.test.ts fails if it does).
// Each store's public surface, listed name by name so that it cannot grow by accident
// (test/dist/exports.test.ts). Aggregates (reached as `repo.<name>`) are type-only; zod
// schemas live in `cleo-store/schemas`; everything else stays on the store subpaths.
// tasks: repository, domain and input types, enumerations, pure functions (cleo-store/tasks has the rest)
export {
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
  OPEN_TASK_SESSION_STATUSES,
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
  TERMINAL_TASK_STATUSES,
  TOKEN_CONFIDENCES,
  TOKEN_METHODS,
  TOKEN_TRANSPORTS,
} from './tasks/tasks.enums.js'
export {
  canTransitionTask,
  inferTaskType,
  retypeForParent,
  TASK_STATUS_TRANSITIONS,
  taskParentAllowed,
} from './tasks/task-rules.js'
export { LIFECYCLE_PREREQUISITES } from './tasks/task-lifecycle.js'
export { TasksRepository } from './tasks/tasks-repository.js'
export type {
  AddEvidenceInput,
  AddManifestEntryInput,
  AddTaskRelationInput,
  AdrListFilter,
  AdvanceReleaseInput,
  AdvanceStageInput,
  AgentHeartbeatInput,
  AgentInstanceFilter,
  ArchiveTaskOptions,
  ClaimTaskInput,
  CreateAdrInput,
  CreateReleaseInput,
  CreateTaskInput,
  EndTaskSessionInput,
  LinkExternalTaskInput,
  PipelineManifestFilter,
  RecordGateInput,
  RecordPipelineManifestInput,
  RecordTokenUsageInput,
  RegisterAgentInstanceInput,
  RestoreTaskOptions,
  SetPipelineStatusInput,
  StartTaskSessionInput,
  TaskAuditFilter,
  TaskListFilter,
  TaskMutationOptions,
  TaskReadyQuery,
  TaskSessionHandoffInput,
  TaskSessionListFilter,
  TaskSessionScope,
  TaskVerification,
  TaskWriteOptions,
  TokenAggregateQuery,
  UpdateAdrInput,
  UpdateTaskInput,
  UpsertTaskSessionInput,
  ValidateStageInput,
} from './tasks/tasks.types.js'
export type {
  AdrGate,
  AdrGateStatus,
  AdrLinkType,
  AdrRelationType,
  AdrStatus,
  AgentInstanceStatus,
  AgentInstanceType,
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
  TaskAuditEntityType,
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
} from './tasks/tasks.enums.js'
export type {
  AdrRelation,
  AdrTaskLink,
  ArchitectureDecision,
  TaskAdrs,
} from './tasks/task-adrs.js'
export type { AgentCredentialRecord, AgentCredentials } from './tasks/agent-credentials.js'
export type { AgentInstance, TaskAgentInstances } from './tasks/task-agent-instances.js'
export type { ExternalTaskLink, TaskExternalLinks } from './tasks/task-external-links.js'
export type {
  LifecycleEvidence,
  LifecycleGateResult,
  LifecyclePipeline,
  LifecycleStage,
  LifecycleTransition,
  TaskLifecycle,
} from './tasks/task-lifecycle.js'
export type { ManifestEntry, PipelineManifestRecord, TaskManifests } from './tasks/task-manifests.js'
export type { ReleaseManifest, TaskReleases } from './tasks/task-releases.js'
export type { StatusRegistryEntry, TaskStatusRegistry } from './tasks/task-status-registry.js'
export type { Task, TaskClaimState } from './tasks/task.types.js'
export type { TaskAuditEntry, TaskAuditLog } from './tasks/task-audit-log.js'
export type { TaskClaim, TaskClaims } from './tasks/task-claims.js'
export type { TaskDependencies, TaskDependency } from './tasks/task-dependencies.js'
export type { TaskPage } from './tasks/task-items.js'
export type { TaskRelation, TaskRelations } from './tasks/task-relations.js'
export type { TaskSession, TaskSessions, TaskWorkHistoryEntry } from './tasks/task-sessions.js'
export type { TasksPostgresOptions, TasksRepositoryOptions } from './tasks/tasks-repository.js'
export type { TaskTokenUsage, TokenUsageAggregate, TokenUsageRecord } from './tasks/task-token-usage.js'
// brain: repository, domain and input types, enumerations, pure functions (cleo-store/brain has the rest)
export {
  BRAIN_DECISION_CONFIDENCES,
  BRAIN_DECISION_OUTCOMES,
  BRAIN_DECISION_TYPES,
  BRAIN_LINK_TYPES,
  BRAIN_MAX_TEXT,
  BRAIN_MEMORY_TIERS,
  BRAIN_MEMORY_TYPES,
  BRAIN_OBSERVATION_SOURCE_TYPES,
  BRAIN_OBSERVATION_TYPES,
  BRAIN_PATTERN_IMPACTS,
  BRAIN_PATTERN_TYPES,
  BRAIN_SEARCH_FUSIONS,
  BRAIN_SEARCH_MODES,
  BRAIN_SOURCE_CONFIDENCES,
  BRAIN_STICKY_COLORS,
  BRAIN_STICKY_PRIORITIES,
  BRAIN_STICKY_STATUSES,
} from './brain/brain.enums.js'
export { BRAIN_ENTRY_KINDS, BRAIN_MEMORY_KINDS } from './brain/memory-kinds.js'
export { contentHash as brainContentHash, normalizeText as normalizeBrainText } from './brain/memory-text.js'
export { BrainRepository } from './brain/brain-repository.js'
export {
  decayLearningConfidence,
  nextBrainTier,
  promotedBrainTier,
  shouldEvictMemory,
} from './brain/memory-lifecycle.js'
export { FeatureHashingEmbedder } from './brain/feature-hashing-embedder.js'
export { MAX_EMBEDDING_DIMENSIONS } from './brain/embedder.js'
export type {
  BrainDecision,
  BrainEmbeddingStatus,
  BrainEntry,
  BrainLearning,
  BrainMaintenanceReport,
  BrainMemory,
  BrainMemoryBase,
  BrainMemoryInputOf,
  BrainMemoryLink,
  BrainMemoryOf,
  BrainMemoryPatchOf,
  BrainObservation,
  BrainPage,
  BrainPattern,
  BrainReconcileReport,
  BrainRecordResult,
  BrainReindexReport,
  BrainSearchHit,
  BrainSignalScore,
  BrainStickyNote,
  BrainTierChange,
} from './brain/brain.types.js'
export type {
  BrainLinkType,
  BrainMemoryTier,
  BrainMemoryType,
  BrainSourceConfidence,
} from './brain/brain.enums.js'
export type { BrainEmbedderChangePolicy, BrainSearchTuning } from './brain/vector-tuning.js'
export type { BrainEntryKind, BrainMemoryKind } from './brain/memory-kinds.js'
export type { FtsPlan as BrainFtsPlan, ProbedTerm as BrainProbedTerm } from './brain/fts-plan.js'
export type { BrainFusedCandidate, BrainSignalCandidate } from './brain/search-fusion.js'
export type { BrainMemoryLinks } from './brain/memory-links.js'
export type { BrainPostgresOptions, BrainRepositoryOptions } from './brain/brain-repository.js'
export type { BrainStickyConvertInput, BrainStickyNoteAddResult, BrainStickyNotes } from './brain/sticky-notes.js'
export type { BrainTierFacts } from './brain/memory-lifecycle.js'
export type { Embedder } from './brain/embedder.js'
export type { FeatureHashingEmbedderOptions } from './brain/feature-hashing-embedder.js'
// conduit: repository, domain and input types, enumerations, pure functions (cleo-store/conduit has the rest)
export {
  ATTACHMENT_FORMATS,
  ATTACHMENT_MODES,
  CONDUIT_LIMITS,
  CONVERSATION_VISIBILITIES,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_SEARCH_RANK_WINDOW,
  MESSAGE_CONTENT_TYPES,
} from './conduit/conduit.enums.js'
export { ATTACHMENT_MODE_TRANSITIONS } from './conduit/attachments.js'
export { ConduitRepository } from './conduit/conduit-repository.js'
export { DEFAULT_QUEUE_BACKOFF, queueRetryDelay } from './conduit/queue-backoff.js'
export { DEFAULT_SNAPSHOT_POLICY } from './conduit/snapshot-cache.js'
export { directConversationKey } from './conduit/conversations.js'
export type {
  AcquireWriterLeaseOptions,
  AddAttachmentVersionInput,
  AttachAgentRefInput,
  ClaimJobsOptions,
  ConversationListOptions,
  CreateAttachmentInput,
  CreateGroupInput,
  DeadLetterListOptions,
  DeadLetterSelection,
  EnqueueJobInput,
  InboxOptions,
  MessageHistoryOptions,
  MessageSearchInput,
  NackJobOptions,
  PinMessageInput,
  PruneJobsOptions,
  ReviewAttachmentInput,
  SendMessageInput,
  SetAttachmentModeInput,
  SnapshotCachePolicyInput,
  SnapshotPutOptions,
} from './conduit/conduit.types.js'
export type {
  AttachmentApproval,
  AttachmentContributor,
  Attachments,
  AttachmentVersion,
  ConduitAttachment,
} from './conduit/attachments.js'
export type {
  AttachmentFormat,
  AttachmentMode,
  ConversationVisibility,
  MessageContentType,
} from './conduit/conduit.enums.js'
export type {
  ClaimedJob,
  DeadLetter,
  DeadLetterReason,
  DeliveryJob,
  DeliveryJobStatus,
  DeliveryQueue,
  EnqueueResult,
  JobLease,
  NackResult,
  QueueStats,
  ReplayResult,
} from './conduit/delivery-queue.js'
export type {
  ConduitMessage,
  MessageDeliveryPayload,
  MessagePage,
  Messages,
  MessageSearchHit,
  SentMessage,
} from './conduit/messages.js'
export type { ConduitPostgresOptions, ConduitRepositoryOptions } from './conduit/conduit-repository.js'
export type { Conversation, Conversations } from './conduit/conversations.js'
export type {
  Inbox,
  InboxMessage,
  InboxPage,
  MessageReceipt,
} from './conduit/inbox.js'
export type { MessagePin, MessagePins } from './conduit/message-pins.js'
export type { ProjectAgentRef, ProjectAgentRefs } from './conduit/project-agent-refs.js'
export type { QueueBackoffPolicy } from './conduit/queue-backoff.js'
export type {
  SnapshotCache,
  SnapshotCachePolicy,
  SnapshotEntry,
  SnapshotPutResult,
  SnapshotRefreshOutcome,
  SnapshotRevalidation,
  SnapshotState,
} from './conduit/snapshot-cache.js'
export type { WriterLease, WriterLeases, WriterLeaseState } from './conduit/writer-leases.js'
// signaldock: repository, domain and input types, enumerations, pure functions (cleo-store/signaldock has the rest)
export {
  AGENT_AVAILABILITY_STATES,
  AGENT_CLASSES,
  AGENT_INSTALL_SOURCES,
  AGENT_PRESENCES,
  AGENT_PRIVACY_TIERS,
  AGENT_TIERS,
  AGENT_TRANSPORT_TYPES,
  CAPABILITY_CATEGORIES,
  SIGNALDOCK_USER_ROLES,
  SKILL_CATEGORIES,
  SKILL_SOURCES,
} from './signaldock/signaldock.enums.js'
export { chooseAgent } from './signaldock/agent-selection.js'
export { SignaldockRepository } from './signaldock/signaldock-repository.js'
export { visibleAgents } from './signaldock/agent-visibility.js'
export type { AgentAvailabilities, AgentAvailability, ListAvailabilityOptions } from './signaldock/agent-availability.js'
export type {
  AgentCandidate,
  AgentSelection,
  AgentSkipReason,
  SkippedAgent,
} from './signaldock/agent-selection.js'
export type { AgentCatalog, AgentCatalogEntry, AgentCatalogKind } from './signaldock/agent-catalog.js'
export type { AgentConnection, AgentConnections } from './signaldock/agent-connections.js'
export type { AgentVisibilityRef, VisibleAgent, VisibleAgentsOptions } from './signaldock/agent-visibility.js'
export type {
  AuthAccount,
  AuthAccounts,
  SignaldockUser,
  SignaldockUsers,
} from './signaldock/users.js'
export type {
  AuthSession,
  AuthSessions,
  PendingVerification,
  Verifications,
} from './signaldock/auth-sessions.js'
export type {
  ClaimCode,
  ClaimCodes,
  ClaimCodeState,
  CreatedClaimCode,
  RedeemedClaimCode,
} from './signaldock/claim-codes.js'
export type { OrgAgentKey, Organization, Organizations } from './signaldock/organizations.js'
export type { PostgresStoreOptions, PostgresTarget } from './postgres/postgres-options.js'
export type { RegisterAgentResult, SignaldockAgent, SignaldockAgents } from './signaldock/agents.js'
export type { SignaldockDialect } from './signaldock/signaldock.enums.js'
export type { SignaldockPostgresOptions, SignaldockRepositoryOptions, WorkspaceSignaldockOptions } from './signaldock/signaldock-repository.js'
export type { WorkspaceNexusOptions, WorkspaceServerOptions } from './workspace/workspace-server.js'
export type { MigrateToServerReport, MovableStore } from './workspace/migrate-to-server.js'
export type { MigrateToServerOptions } from './workspace/workspace.js'
// nexus: repository, domain and input types, enumerations, pure functions (cleo-store/nexus has the rest)
export { isWarpTransitionAllowed, MAX_WARP_GATE_RESULTS } from './nexus/warp-chain-instances.js'
export { NexusRepository } from './nexus/nexus-repository.js'
export { projectPathHash, resolveProjectPath } from './nexus/project-path.js'
export { warpChainDefinitionHash, warpChainProblems, warpChainSuccessors } from './nexus/warp-chain-definition.js'
export type {
  AdvanceWarpInstanceInput,
  AppendNexusAuditInput,
  AssignWarpStageTaskInput,
  CreateWarpChainInstanceInput,
  DefineWarpChainInput,
  ListNexusAuditOptions,
  ListNexusProjectsOptions,
  ListWarpChainInstancesOptions,
  NexusProjectHealth,
  NexusProjectPermission,
  RecordWarpGateInput,
  RegisterNexusProjectInput,
  UpdateNexusProjectHealthInput,
  UpdateNexusProjectInput,
  WarpChainDefinitionInput,
  WarpChainInstanceStatus,
  WarpGateOutcome,
  WarpInstanceTransitionInput,
} from './nexus/nexus.types.js'
export type { NexusAuditEntry, NexusAuditLog } from './nexus/nexus-audit-log.js'
export type { NexusProject, NexusProjects, NexusRegistration } from './nexus/project-registry.js'
export type { NexusPostgresOptions, NexusRepositoryOptions } from './nexus/nexus-repository.js'
export type { WarpChain, WarpChains } from './nexus/warp-chains.js'
export type {
  WarpChainDefinition,
  WarpChainGate,
  WarpChainLink,
  WarpChainProblem,
  WarpChainStage,
  WarpChainVariable,
} from './nexus/warp-chain-definition.js'
export type {
  WarpChainInstance,
  WarpChainInstances,
  WarpGateResult,
  WarpStageTask,
} from './nexus/warp-chain-instances.js'
// telemetry: repository, domain and input types, enumerations, pure functions (cleo-store/telemetry has the rest)
export { TelemetryRepository } from './telemetry/telemetry-repository.js'
export type {
  TelemetryAggregate,
  TelemetryEvent,
  TelemetryPruneResult,
  TelemetryRepositoryOptions,
} from './telemetry/telemetry-repository.js'
export type { TelemetryAggregateOptions, TelemetryEventInput, TelemetryRetention } from './telemetry/telemetry.types.js'
// kdf: repository, domain and input types, enumerations, pure functions (cleo-store/kdf has the rest)
export {
  apiKeyHash,
  constantTimeEqual,
  CredentialCipher,
  isSealedCredential,
} from './kdf/credential-cipher.js'
export { deriveApiKey } from './kdf/api-key-kdf.js'
export {
  ensureKeyFile,
  GLOBAL_SALT_FILE,
  keyFilePaths,
  loadKeyMaterial,
  MACHINE_KEY_FILE,
  readKeyFile,
} from './kdf/key-files.js'
export type { KeyMaterial, LoadKeyMaterialOptions } from './kdf/key-files.js'
// daemon: repository, domain and input types, enumerations, pure functions (cleo-store/daemon has the rest)
export { DaemonStore } from './daemon/daemon-store.js'
export { DEFAULT_CRITICAL_HOOK_EVENTS, UX_DELETION_TYPES } from './daemon/daemon.enums.js'
export type { DaemonAgents } from './daemon/daemon-agents.js'
export type {
  DaemonClaimOptions,
  DaemonStoreOptions,
  HookEventInput,
  RegisterDeletionInput,
} from './daemon/daemon.types.js'
export type { DaemonLock } from './daemon/daemon-lock.js'
export type { DaemonSessionCreateInput, DaemonSessionMetadata, DaemonSessions } from './daemon/daemon-sessions.js'
export type { DaemonStores } from './daemon/daemon-store.js'
export type {
  HookDelivery,
  HookEvent,
  HookOutbox,
  HookProcessReport,
} from './daemon/hook-outbox.js'
export type { PendingDeletion, UxCleanupRegistry } from './daemon/ux-cleanup.js'
export type { UxDeletionType } from './daemon/daemon.enums.js'

export { CleoStoreError, isCleoStoreError } from './sqlite/errors.js'
export type { CleoStoreErrorCode, CleoStoreErrorOptions, ErrorContext } from './sqlite/errors.js'
// typed error details (issue 15 item 3)
export type {
  AnyCleoStoreError,
  CleoStoreErrorDetails,
  CleoStoreErrorDetailsOf,
  CleoStoreFieldPath,
  CleoStoreOtherDetails,
  CleoStoreValidationIssue,
} from './sqlite/errors.js'
export { manualClock, systemClock } from './sqlite/clock.js'
export type { Clock } from './sqlite/clock.js'
export { uuidv7Generator } from './sqlite/ids.js'
export { NodeSqliteDialect } from './sqlite/node-sqlite-dialect.root.js'
export type { NodeSqliteDialectConfig } from './sqlite/node-sqlite-dialect-config.js'
export type { StoreRepository } from './sqlite/store-repository.js'
export type { RepositoryOptions } from './sqlite/store-repository.js'
export type { IntegrityReport } from './sqlite/integrity-report.js'
export type { EngineOptions } from './sqlite/engine-options.js'
export type { BusyRetryPolicy } from './sqlite/busy-retry.js'
export type { StoreName } from './sqlite/store-name.js'
export type { Page } from './sqlite/paging.js'
export type { TimeInput } from './sqlite/time-input.types.js'

// Hardening (issue 14): the secret-bearing field names no error ever quotes, and the structural guard's limits.
export { SECRET_FIELDS } from './sqlite/secret-fields.js'
export { INPUT_LIMITS, inspectInput } from './sqlite/input-guard.js'
export type { InputLimits, InputProblem, InputRule } from './sqlite/input-guard.js'

// CLEO conformance (issue 16): cross-database write guards, keys in backups and re-authentication.
export { workspaceKnownReferences, workspaceReferenceGuard } from './workspace/guards.js'
export type { GuardedStores } from './workspace/guards.js'
export type { ReferenceGuard, SoftReference } from './sqlite/reference-guard.js'
export { AGENT_REAUTH_CHECK } from './workspace/keys.js'
export type { WorkspaceBackupKey, WorkspaceBackupServerStore } from './workspace/backup.types.js'

// Embedder adapters (issue 15 item 8) and the daemon's permanent hook failure (issue 17 item 2).
export { openAiCompatibleEmbedder } from './brain/openai-compatible-embedder.js'
export { transformersEmbedder } from './brain/transformers-embedder.js'
export type { OpenAiCompatibleEmbedderOptions } from './brain/openai-compatible-embedder.js'
export type { TransformersEmbedderOptions } from './brain/transformers-embedder.js'
export { PermanentHookFailure } from './daemon/hook-outbox.js'
export type { DaemonCommand } from './daemon/daemon-commands.js'
export type { DaemonCommandInput } from './daemon/daemon.types.js'
export type { DaemonSessionColumns, DaemonSessionListOptions, DaemonSessionUpdate } from './daemon/daemon-sessions.js'

// CLEO's own databases (issue 18): recognised and refused (WRONG_STORE, details.reason 'cleo-legacy').
export type { CleoLegacyStore } from './sqlite/cleo-legacy.js'

// Wake-ups (issue 20): what conduit.inbox.wait and conduit.queue.wait take and return.
export type { WaitOptions, WaitResult } from './sqlite/change-watch.js'

// Type-check cost (issue 15 item 2): the root's types import neither zod nor Kysely. Plain input types of
// brain's methods; repo.kysely and NodeSqliteDialect are opaque until `cleo-store/kysely` is imported.
export type {
  BrainDecisionPatchInput,
  BrainDecisionRecordInput,
  BrainInvalidateOptionsInput,
  BrainLearningPatchInput,
  BrainLearningRecordInput,
  BrainListOptionsInput,
  BrainMaintainOptionsInput,
  BrainMemoryLinkAddInput,
  BrainObservationPatchInput,
  BrainObservationRecordInput,
  BrainPatternPatchInput,
  BrainPatternRecordInput,
  BrainReconcileOptionsInput,
  BrainReindexOptionsInput,
  BrainSearchOptionsInput,
  BrainStickyNoteAddInput,
  BrainStickyNoteListOptionsInput,
  BrainStickyNotePatchInput,
} from './brain/brain.input.types.js'
export type { KyselyHandle, RepositoryKysely, RepositoryKyselyTypes } from './sqlite/kysely-handle.js'
export type { NodeSqliteDialectHandle, NodeSqliteDialectTypes } from './sqlite/node-sqlite-dialect.root.js'
export type { PostgresPoolLike } from './postgres/postgres-options.js'
export type { JsonValue } from './sqlite/json-value.js'

// CLEO import (issue 18): CleoWorkspace.importFromCleo and its report.
export type { CleoImportMode, CleoImportOptions, CleoImportReport, CleoImportSkip, CleoImportStoreReport, CleoImportTableReport } from './workspace/cleo-import.types.js'
