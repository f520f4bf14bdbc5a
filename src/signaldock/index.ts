/**
 * `cleo-store/signaldock`: the signaldock.db repository (global agent identity,
 * capability and skill catalogues, connections, auth tables, availability), the
 * ADR-037 visibility join and the deterministic agent chooser.
 *
 * @module
 */
export { SignaldockRepository } from './signaldock-repository.js'
export type { SignaldockPostgresOptions, SignaldockRepositoryOptions, WorkspaceSignaldockOptions } from './signaldock-repository.js'
export type { SignaldockDialect } from './signaldock-storage.js'
export type { PostgresStoreOptions, PostgresTarget } from '../postgres/postgres-database.js'
export { DEFAULT_POSTGRES_RETRY } from '../postgres/postgres-database.js'
export type * from './signaldock.tables.js'
export { SIGNALDOCK_STORE } from './signaldock.store.js'

export { SignaldockAgents } from './agents.js'
export type { RegisterAgentResult, SignaldockAgent } from './agents.js'
export { AgentCatalog } from './agent-catalog.js'
export type { AgentCatalogEntry, AgentCatalogKind } from './agent-catalog.js'
export { AgentConnections } from './agent-connections.js'
export type { AgentConnection } from './agent-connections.js'
export { AuthAccounts, SignaldockUsers } from './users.js'
export type { AuthAccount, SignaldockUser } from './users.js'
export { AuthSessions, Verifications } from './auth-sessions.js'
export type { AuthSession, PendingVerification } from './auth-sessions.js'
export { Organizations } from './organizations.js'
export type { OrgAgentKey, Organization } from './organizations.js'
export { ClaimCodes } from './claim-codes.js'
export type { ClaimCode, ClaimCodeState, CreatedClaimCode, RedeemedClaimCode } from './claim-codes.js'
export { AgentAvailabilities } from './agent-availability.js'
export type { AgentAvailability, ListAvailabilityOptions } from './agent-availability.js'
export { chooseAgent } from './agent-selection.js'
export type { AgentCandidate, AgentSelection, AgentSkipReason, SkippedAgent } from './agent-selection.js'
export { visibleAgents } from './agent-visibility.js'
export type { AgentVisibilityRef, VisibleAgent, VisibleAgentsOptions } from './agent-visibility.js'

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
  AgentAvailabilityState,
  AgentClass,
  AgentInstallSource,
  AgentPreferences,
  AgentPresence,
  AgentPrivacyTier,
  AgentSlug,
  AgentTier,
  AgentTransportType,
  BanUserInput,
  CapabilityCategory,
  ConnectAgentInput,
  CreateAuthSessionInput,
  CreateClaimCodeInput,
  CreateOrganizationInput,
  CreateUserInput,
  CreateVerificationInput,
  DefineCatalogEntryInput,
  LinkAccountInput,
  ListAgentsFilter,
  MarkDegradedInput,
  MarkUnavailableInput,
  RegisterAgentInput,
  SelectAgentOptions,
  SignaldockUserRole,
  SkillCategory,
  SkillSource,
  UpdateAgentInput,
  UpdateOrganizationInput,
  UpdateUserInput,
} from './signaldock.schemas.js'

// Hardening (issue 14, item 2): the cipher that seals OAuth tokens at rest.
export type { CredentialCipherSource } from './account-tokens.js'
