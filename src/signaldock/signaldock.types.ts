/**
 * Plain types of every signaldock.db input and enumeration (what `signaldock.schemas.ts` accepts,
 * before defaults). The root module's types come from here, not from zod;
 * `test/types/signaldock.types.test-d.ts` keeps each one equal to its schema.
 *
 * @module
 */
import type { JsonValue } from '../sqlite/json-value.js'
import type { TimeInput } from '../sqlite/time-input.types.js'

export type AgentClass = 'research' | 'testing' | 'orchestrator' | 'custom' | 'personal_assistant' | 'code_dev' | 'security' | 'devops' | 'data' | 'creative' | 'support' | 'documentation' | 'utility_bot'

export type AgentPrivacyTier = 'private' | 'public' | 'discoverable'

export type AgentPresence = 'online' | 'offline' | 'busy'

export type AgentTransportType = 'http' | 'sse' | 'websocket' | 'local'

export type AgentTier = 'project' | 'global' | 'packaged' | 'fallback' | 'universal'

export type AgentInstallSource = 'manual' | 'seed' | 'user'

export type CapabilityCategory = 'devops' | 'communication' | 'development' | 'execution' | 'analysis' | 'coordination' | 'other'

export type SkillCategory = 'other' | 'language' | 'framework' | 'database' | 'practice'

export type SkillSource = 'manual' | 'cant' | 'computed'

export type SignaldockUserRole = 'user' | 'admin'

export type AgentAvailabilityState = 'available' | 'degraded' | 'unavailable'

export interface RegisterAgentInput {
  agentId: string
  name: string
  description?: string | undefined | null
  class?: AgentClass | undefined
  privacyTier?: AgentPrivacyTier | undefined
  ownerId?: string | undefined | null
  organizationId?: string | undefined | null
  endpoint?: string | undefined | null
  /** A webhook signing secret, sealed (`CredentialCipher.seal`). */
  webhookSecretEncrypted?: string | undefined | null
  avatar?: string | undefined | null
  status?: AgentPresence | undefined
  lastSeen?: TimeInput | undefined | null
  paymentConfig?: Record<string, JsonValue> | undefined | null
  /** The agent's API key, sealed (`CredentialCipher.seal`): never the key itself. */
  apiKeyEncrypted?: string | undefined | null
  /** Hex SHA-256 of the API key (`apiKeyHash(secret)`), for lookups. */
  apiKeyHash?: string | undefined | null
  apiBaseUrl?: string | undefined
  classification?: string | undefined | null
  transportType?: AgentTransportType | undefined
  transportConfig?: Record<string, JsonValue> | undefined
  isActive?: boolean | undefined
  requiresReauth?: boolean | undefined
  tier?: AgentTier | undefined
  canSpawn?: boolean | undefined
  /** 0 = orchestrator, 1 = lead, 2 = worker. */
  orchLevel?: number | undefined
  reportsTo?: string | undefined | null
  cantPath?: string | undefined | null
  cantSha256?: string | undefined | null
  installedFrom?: AgentInstallSource | undefined | null
  installedAt?: TimeInput | undefined | null
  /** Capability slugs; replaces the agent's set. */
  capabilities?: string[] | undefined
  /** Skill slugs; replaces the agent's set. */
  skills?: string[] | undefined
  /** How the given skills were derived (default `manual`). */
  skillSource?: SkillSource | undefined
  /**
   * What to do with capability or skill slugs the catalogue does not know:
   * `create` them (category `other`; the default) or `refuse` with `NOT_FOUND`.
   * Never silently dropped.
   */
  unknownCatalogEntries?: 'create' | 'refuse' | undefined
}

export interface UpdateAgentInput {
  name?: string | undefined
  description?: string | undefined | null
  class?: AgentClass | undefined
  privacyTier?: AgentPrivacyTier | undefined
  ownerId?: string | undefined | null
  organizationId?: string | undefined | null
  endpoint?: string | undefined | null
  /** A webhook signing secret, sealed (`CredentialCipher.seal`). */
  webhookSecretEncrypted?: string | undefined | null
  avatar?: string | undefined | null
  status?: AgentPresence | undefined
  lastSeen?: TimeInput | undefined | null
  paymentConfig?: Record<string, JsonValue> | undefined | null
  /** The agent's API key, sealed (`CredentialCipher.seal`): never the key itself. */
  apiKeyEncrypted?: string | undefined | null
  /** Hex SHA-256 of the API key (`apiKeyHash(secret)`), for lookups. */
  apiKeyHash?: string | undefined | null
  apiBaseUrl?: string | undefined
  classification?: string | undefined | null
  transportType?: AgentTransportType | undefined
  transportConfig?: Record<string, JsonValue> | undefined
  isActive?: boolean | undefined
  requiresReauth?: boolean | undefined
  tier?: AgentTier | undefined
  canSpawn?: boolean | undefined
  /** 0 = orchestrator, 1 = lead, 2 = worker. */
  orchLevel?: number | undefined
  reportsTo?: string | undefined | null
  cantPath?: string | undefined | null
  cantSha256?: string | undefined | null
  installedFrom?: AgentInstallSource | undefined | null
  installedAt?: TimeInput | undefined | null
  /** Capability slugs; replaces the agent's set. */
  capabilities?: string[] | undefined
  /** Skill slugs; replaces the agent's set. */
  skills?: string[] | undefined
  /** How the given skills were derived (default `manual`). */
  skillSource?: SkillSource | undefined
  /**
   * What to do with capability or skill slugs the catalogue does not know:
   * `create` them (category `other`; the default) or `refuse` with `NOT_FOUND`.
   * Never silently dropped.
   */
  unknownCatalogEntries?: 'create' | 'refuse' | undefined
}

export interface ListAgentsFilter {
  active?: boolean | undefined
  class?: AgentClass | undefined
  tier?: AgentTier | undefined
  privacyTier?: AgentPrivacyTier | undefined
  transportType?: AgentTransportType | undefined
  organizationId?: string | undefined
  ownerId?: string | undefined
  /** Only agents bound to this capability. */
  capability?: string | undefined
  /** Only agents bound to this skill. */
  skill?: string | undefined
  /** Only these agents. */
  agentIds?: string[] | undefined
  /** Keyset cursor: agents whose `agentId` sorts after this one. */
  after?: string | undefined
  limit?: number | undefined
}

export interface DefineCatalogEntryInput {
  slug: string
  /** Display name (default: the slug). */
  name?: string | undefined
  description?: string | undefined
  /** A category of the catalogue (default `other`). */
  category?: string | undefined
}

export interface ConnectAgentInput {
  agentId: string
  connectionId: string
  transportType?: AgentTransportType | undefined
  metadata?: Record<string, JsonValue> | undefined | null
}

export interface CreateUserInput {
  email: string
  name?: string | undefined | null
  slug?: string | undefined | null
  username?: string | undefined | null
  displayUsername?: string | undefined | null
  image?: string | undefined | null
  role?: SignaldockUserRole | undefined
  emailVerified?: boolean | undefined
  twoFactorEnabled?: boolean | undefined
  /** An opaque password hash computed by the caller (never a password). */
  passwordHash?: string | undefined | null
  /** Slug of the user's default agent (soft reference). */
  defaultAgentId?: string | undefined | null
  metadata?: Record<string, JsonValue> | undefined | null
}

export interface UpdateUserInput {
  name?: string | undefined | null
  slug?: string | undefined | null
  username?: string | undefined | null
  displayUsername?: string | undefined | null
  image?: string | undefined | null
  role?: SignaldockUserRole | undefined
  emailVerified?: boolean | undefined
  twoFactorEnabled?: boolean | undefined
  /** An opaque password hash computed by the caller (never a password). */
  passwordHash?: string | undefined | null
  /** Slug of the user's default agent (soft reference). */
  defaultAgentId?: string | undefined | null
  metadata?: Record<string, JsonValue> | undefined | null
  email?: string | undefined
}

export interface BanUserInput {
  reason: string
  /** When the ban ends (default: never). */
  until?: TimeInput | undefined | null
}

export interface LinkAccountInput {
  userId: string
  providerId: string
  accountId: string
  accessToken?: string | undefined | null
  refreshToken?: string | undefined | null
  idToken?: string | undefined | null
  accessTokenExpiresAt?: TimeInput | undefined | null
  refreshTokenExpiresAt?: TimeInput | undefined | null
  scope?: string | undefined | null
  passwordHash?: string | undefined | null
}

export type CreateAuthSessionInput = { userId: string; token: string; ipAddress?: string | null | undefined; userAgent?: string | null | undefined; activeOrganizationId?: string | null | undefined; impersonatedBy?: string | null | undefined; } & { expiresAt?: TimeInput | undefined; ttlMs?: number | undefined; }

export type CreateVerificationInput = { identifier: string; value: string; } & { expiresAt?: TimeInput | undefined; ttlMs?: number | undefined; }

export interface CreateOrganizationInput {
  name: string
  slug?: string | undefined | null
  logo?: string | undefined | null
  metadata?: Record<string, JsonValue> | undefined | null
  ownerId?: string | undefined | null
}

export interface UpdateOrganizationInput {
  name?: string | undefined
  slug?: string | undefined | null
  logo?: string | undefined | null
  metadata?: Record<string, JsonValue> | undefined | null
  ownerId?: string | undefined | null
}

export type CreateClaimCodeInput = { agentId: string; code?: string | undefined; } & { expiresAt?: TimeInput | undefined; ttlMs?: number | undefined; }

export interface MarkDegradedInput {
  reason: string
  /** When the degradation ends by itself (default: until marked otherwise). */
  until?: TimeInput | undefined | null
  /** Or: for how long from now. */
  forMs?: number | undefined
  /** Who reported it (a harness, an operator, a probe). */
  source?: string | undefined
}

export interface MarkUnavailableInput {
  reason: string
  until?: TimeInput | undefined
  forMs?: number | undefined
  source?: string | undefined
}

export interface SelectAgentOptions {
  /** Accept a degraded agent when no available one is preferred before it (default false). */
  allowDegraded?: boolean | undefined
}
