/**
 * `cleo-store/tasks`: the tasks.db repository, its aggregates, domain types,
 * input schemas and enumerations.
 *
 * @module
 */
export { TasksRepository } from './tasks-repository.js'
export type { TasksPostgresOptions, TasksRepositoryOptions } from './tasks-repository.js'
export type * from './tasks.tables.js'
export { TASKS_STORE } from './tasks.store.js'

export * from './tasks.enums.js'
export * from './tasks.schemas.js'
export { TASK_STATUS_TRANSITIONS, canTransitionTask, inferTaskType, retypeForParent, taskParentAllowed } from './task-rules.js'

export type { Task, TaskClaimState } from './task-rows.js'
export type { TaskPage } from './task-items.js'
export { TaskDependencies } from './task-dependencies.js'
export type { TaskDependency } from './task-dependencies.js'
export { TaskRelations } from './task-relations.js'
export type { TaskRelation } from './task-relations.js'
export { TaskClaims } from './task-claims.js'
export type { TaskClaim } from './task-claims.js'
export { TaskSessions } from './task-sessions.js'
export type { TaskSession, TaskWorkHistoryEntry } from './task-sessions.js'
export { LIFECYCLE_PREREQUISITES, TaskLifecycle } from './task-lifecycle.js'
export type {
  LifecycleEvidence,
  LifecycleGateResult,
  LifecyclePipeline,
  LifecycleStage,
  LifecycleTransition,
} from './task-lifecycle.js'
export { TaskManifests } from './task-manifests.js'
export type { ManifestEntry, PipelineManifestRecord } from './task-manifests.js'
export { TaskReleases } from './task-releases.js'
export type { ReleaseManifest } from './task-releases.js'
export { TaskAdrs } from './task-adrs.js'
export type { AdrRelation, AdrTaskLink, ArchitectureDecision } from './task-adrs.js'
export { TaskAuditLog } from './task-audit-log.js'
export type { TaskAuditEntry } from './task-audit-log.js'
export { TaskTokenUsage } from './task-token-usage.js'
export type { TokenUsageAggregate, TokenUsageRecord } from './task-token-usage.js'
export { TaskExternalLinks } from './task-external-links.js'
export type { ExternalTaskLink } from './task-external-links.js'
export { TaskAgentInstances } from './task-agent-instances.js'
export type { AgentInstance } from './task-agent-instances.js'
export { TaskStatusRegistry } from './task-status-registry.js'
export type { StatusRegistryEntry } from './task-status-registry.js'
export { AgentCredentials } from './agent-credentials.js'
export { PutAgentCredentialInput } from './agent-credentials.schemas.js'
export type { AgentCredentialRecord } from './agent-credentials.js'

// issue 17: the daemon's session queries and writer fences
export type { SessionActivityFilter, WriterFence } from './task-sessions.js'

// issue 18: CLEO's task ids (T001) kept as CLEO wrote them
export { TASK_ID_FORMATS, TASK_ID_REGEX, formatTaskId, taskIdNumber } from './task-ids.js'
export type { TaskIdFormat } from './task-ids.js'
