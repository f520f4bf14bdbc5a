/**
 * cleo-store: an embeddable storage SDK for AI-agent tooling — the six CLEO SQLite
 * databases as typed repositories on Node's built-in `node:sqlite`.
 *
 * @module
 */
export { CleoWorkspace, PROJECT_DIR_NAME, STORE_FILES, resolveGlobalDir } from './workspace/workspace.js'
export type { WorkspaceOptions } from './workspace/workspace.js'
export {
  NEXUS_PROJECT_PATHS_CHECK,
  NEXUS_REGISTRATION_CHECK,
  SQLITE_INTEGRITY_CHECK,
  WORKSPACE_CHECKS,
} from './workspace/integrity.js'
export type {
  WorkspaceCheck,
  WorkspaceCheckOptions,
  WorkspaceCheckReport,
  WorkspaceCheckTarget,
  WorkspaceFinding,
  WorkspaceFindingScope,
  WorkspaceRepairAction,
  WorkspaceRepairOptions,
  WorkspaceRepairReport,
  WorkspaceStoreReport,
} from './workspace/integrity.js'
export {
  DEFAULT_BACKUPS_KEPT,
  WORKSPACE_BACKUP_FORMAT,
  WORKSPACE_BACKUP_MANIFEST,
  WorkspaceBackupManifestSchema,
  WorkspaceBackupStoreSchema,
  listWorkspaceBackups,
} from './workspace/backup.js'
export type {
  WorkspaceBackup,
  WorkspaceBackupEntry,
  WorkspaceBackupManifest,
  WorkspaceBackupOptions,
  WorkspaceBackupProgress,
  WorkspaceBackupStore,
  WorkspaceRestoreOptions,
  WorkspaceRestoreResult,
} from './workspace/backup.js'
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
export {
  WorkspaceAgents,
  conduitAgentRefStore,
  memoryAgentRefStore,
  nexusKnownProjects,
  noKnownProjects,
} from './workspace/agents.js'
export type {
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

// Each store's public surface (names are unique across the package).
export * from './tasks/index.js'
export * from './brain/index.js'
export * from './conduit/index.js'
export * from './signaldock/index.js'
export * from './nexus/index.js'
export * from './telemetry/index.js'
export * from './kdf/index.js'
export * from './daemon/index.js'

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
export { NodeSqliteDialect } from './sqlite/node-sqlite-dialect.js'
export type { NodeSqliteDialectConfig } from './sqlite/node-sqlite-dialect.js'
export { StoreRepository } from './sqlite/store-repository.js'
export type { RepositoryOptions } from './sqlite/store-repository.js'
export type { IntegrityReport } from './sqlite/database.js'
export type { EngineOptions } from './sqlite/open-database.js'
export type { BusyRetryPolicy } from './sqlite/database.js'
export type { StoreName } from './sqlite/store-definition.js'

// Hardening (issue 14, items 1–6): the secret-bearing field names no error ever quotes.
export { SECRET_FIELDS } from './sqlite/validate.js'

// Input rules (issue 14, items 7–12): the structural guard's limits.
export { INPUT_LIMITS, inspectInput } from './sqlite/input-guard.js'
export type { InputLimits, InputProblem, InputRule } from './sqlite/input-guard.js'

// CLEO conformance round 2 (issue 16): cross-database write guards, keys in backups and re-authentication
export { workspaceKnownReferences, workspaceReferenceGuard } from './workspace/guards.js'
export type { GuardedStores } from './workspace/guards.js'
export type { ReferenceGuard, SoftReference } from './sqlite/reference-guard.js'
export { AGENT_REAUTH_CHECK } from './workspace/keys.js'
export { WorkspaceBackupKeySchema } from './workspace/backup.js'
export type { WorkspaceBackupKey } from './workspace/backup.js'

// CLEO's own databases (issue 18, recognition): the markers by which they are recognised and refused.
export { CLEO_STORE_MARKERS, recognizeCleoStore } from './sqlite/cleo-legacy.js'
export type { CleoLegacyStore, CleoStoreMarkers } from './sqlite/cleo-legacy.js'
