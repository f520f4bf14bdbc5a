/**
 * `cleo-store/nexus`: the nexus.db repository and its types.
 *
 * @module
 */
export { NexusRepository } from './nexus-repository.js'
export type { NexusPostgresOptions, NexusRepositoryOptions } from './nexus-repository.js'
export type * from './nexus.tables.js'
export { NEXUS_STORE } from './nexus.store.js'
export { NEXUS_LAST_SEEN_RESOLUTION_MS, NexusProjects } from './project-registry.js'
export type { NexusProject, NexusRegistration } from './project-registry.js'
export { NexusAuditLog } from './nexus-audit-log.js'
export type { NexusAuditEntry } from './nexus-audit-log.js'
export { WarpChains } from './warp-chains.js'
export type { WarpChain } from './warp-chains.js'
export { WarpChainInstances, isWarpTransitionAllowed, MAX_WARP_GATE_RESULTS } from './warp-chain-instances.js'
export type { WarpChainInstance, WarpGateResult, WarpStageTask } from './warp-chain-instances.js'
export { warpChainProblems, warpChainSuccessors, warpChainDefinitionHash } from './warp-chain-definition.js'
export type {
  WarpChainDefinition,
  WarpChainGate,
  WarpChainLink,
  WarpChainProblem,
  WarpChainStage,
  WarpChainVariable,
} from './warp-chain-definition.js'
export { projectPathHash, resolveProjectPath } from './project-path.js'
export * from './nexus.schemas.js'
