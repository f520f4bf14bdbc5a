/**
 * zod schemas of every public input of signaldock.db, and the enums its CHECK
 * constraints enforce (kept equal by a test that writes every value). The
 * repository validates with them before any write; they are exported so callers
 * can validate early too.
 *
 * @example
 * ```ts
 * import { RegisterAgentInput, AGENT_CLASSES } from 'cleo-store/signaldock'
 *
 * RegisterAgentInput.safeParse({ agentId: 'cleo-prime', name: 'Cleo' }).success // true
 * AGENT_CLASSES.includes('orchestrator') // true
 * ```
 *
 * @module
 */
import { z } from 'zod'

import type * as Types from './signaldock.types.js'

import { timeInput } from '../sqlite/time-input.js'

import { isSealedCredential } from '../kdf/credential-cipher.js'
import { AGENT_CLASSES, AGENT_PRIVACY_TIERS, AGENT_PRESENCES, AGENT_TRANSPORT_TYPES, AGENT_TIERS, AGENT_INSTALL_SOURCES, CAPABILITY_CATEGORIES, SKILL_CATEGORIES, SKILL_SOURCES, SIGNALDOCK_USER_ROLES, AGENT_AVAILABILITY_STATES } from './signaldock.enums.js'
export { AGENT_CLASSES, AGENT_PRIVACY_TIERS, AGENT_PRESENCES, AGENT_TRANSPORT_TYPES, AGENT_TIERS, AGENT_INSTALL_SOURCES, CAPABILITY_CATEGORIES, SKILL_CATEGORIES, SKILL_SOURCES, SIGNALDOCK_USER_ROLES, AGENT_AVAILABILITY_STATES } from './signaldock.enums.js'

/** zod enum of {@link AGENT_CLASSES}. */
export const AgentClass = z.enum(AGENT_CLASSES)
/** zod enum of {@link AGENT_PRIVACY_TIERS}. */
export const AgentPrivacyTier = z.enum(AGENT_PRIVACY_TIERS)
/** zod enum of {@link AGENT_PRESENCES}. */
export const AgentPresence = z.enum(AGENT_PRESENCES)
/** zod enum of {@link AGENT_TRANSPORT_TYPES}. */
export const AgentTransportType = z.enum(AGENT_TRANSPORT_TYPES)
/** zod enum of {@link AGENT_TIERS}. */
export const AgentTier = z.enum(AGENT_TIERS)
/** zod enum of {@link AGENT_INSTALL_SOURCES}. */
export const AgentInstallSource = z.enum(AGENT_INSTALL_SOURCES)
/** zod enum of {@link CAPABILITY_CATEGORIES}. */
export const CapabilityCategory = z.enum(CAPABILITY_CATEGORIES)
/** zod enum of {@link SKILL_CATEGORIES}. */
export const SkillCategory = z.enum(SKILL_CATEGORIES)
/** zod enum of {@link SKILL_SOURCES}. */
export const SkillSource = z.enum(SKILL_SOURCES)
/** zod enum of {@link SIGNALDOCK_USER_ROLES}. */
export const SignaldockUserRole = z.enum(SIGNALDOCK_USER_ROLES)
/** zod enum of {@link AGENT_AVAILABILITY_STATES}. */
export const AgentAvailabilityState = z.enum(AGENT_AVAILABILITY_STATES)

export type AgentClass = Types.AgentClass
export type AgentPrivacyTier = Types.AgentPrivacyTier
export type AgentPresence = Types.AgentPresence
export type AgentTransportType = Types.AgentTransportType
export type AgentTier = Types.AgentTier
export type AgentInstallSource = Types.AgentInstallSource
export type CapabilityCategory = Types.CapabilityCategory
export type SkillCategory = Types.SkillCategory
export type SkillSource = Types.SkillSource
export type SignaldockUserRole = Types.SignaldockUserRole
export type AgentAvailabilityState = Types.AgentAvailabilityState

/**
 * An agent's business id, or a catalogue slug: 1–128 characters of lower-case
 * letters, digits, `.`, `_` and `-`, starting with a letter or digit. Lower case
 * only, so uniqueness and ordering mean the same on every database and collation.
 */
export const AgentSlug = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, ".", "_" or "-", starting with a letter or digit')

/** A UUID-like internal id (what this store generates; others are accepted). */
export const SignaldockId = z.string().min(1).max(200)

/**
 * A point in time: epoch milliseconds, a `Date`, or an ISO-8601 string **with** a
 * time zone (`Z` or `±hh:mm`). A zone-less string is refused: it would mean
 * different instants on different machines. Parsed to epoch ms.
 */
export const Instant = timeInput

/** A positive duration in milliseconds (at most ten years). */
export const DurationMs = z.number().int().positive().max(10 * 365 * 24 * 3600 * 1000)

/** A JSON object (stored in a TEXT column). */
export const JsonObject = z.record(z.string(), z.json())

/** A credential sealed by `CredentialCipher.seal` (plaintext is refused). */
export const SealedCredential = z.string().refine((value) => isSealedCredential(value), {
  message: 'must be a sealed credential (CredentialCipher.seal), never plaintext',
})

/** A hex SHA-256 digest (64 lower-case hex characters). */
export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex characters')

const Text = (max: number) => z.string().min(1).max(max)
const Url = z.string().url().max(2000)

/** Fields of an agent that `register` and `update` accept. */
const AgentFields = z.strictObject({
  name: Text(200),
  description: z.string().max(4000).nullable(),
  class: AgentClass,
  privacyTier: AgentPrivacyTier,
  ownerId: SignaldockId.nullable(),
  organizationId: SignaldockId.nullable(),
  endpoint: Url.nullable(),
  /** A webhook signing secret, sealed (`CredentialCipher.seal`). */
  webhookSecretEncrypted: SealedCredential.nullable(),
  avatar: z.string().max(2000).nullable(),
  status: AgentPresence,
  lastSeen: Instant.nullable(),
  paymentConfig: JsonObject.nullable(),
  /** The agent's API key, sealed (`CredentialCipher.seal`): never the key itself. */
  apiKeyEncrypted: SealedCredential.nullable(),
  /** Hex SHA-256 of the API key (`apiKeyHash(secret)`), for lookups. */
  apiKeyHash: Sha256Hex.nullable(),
  apiBaseUrl: Url,
  classification: z.string().max(200).nullable(),
  transportType: AgentTransportType,
  transportConfig: JsonObject,
  isActive: z.boolean(),
  requiresReauth: z.boolean(),
  tier: AgentTier,
  canSpawn: z.boolean(),
  /** 0 = orchestrator, 1 = lead, 2 = worker. */
  orchLevel: z.number().int().min(0).max(2),
  reportsTo: AgentSlug.nullable(),
  cantPath: z.string().min(1).max(4096).nullable(),
  cantSha256: Sha256Hex.nullable(),
  installedFrom: AgentInstallSource.nullable(),
  installedAt: Instant.nullable(),
  /** Capability slugs; replaces the agent's set. */
  capabilities: z.array(AgentSlug).max(500),
  /** Skill slugs; replaces the agent's set. */
  skills: z.array(AgentSlug).max(500),
  /** How the given skills were derived (default `manual`). */
  skillSource: SkillSource,
  /**
   * What to do with capability or skill slugs the catalogue does not know:
   * `create` them (category `other`; the default) or `refuse` with `NOT_FOUND`.
   * Never silently dropped.
   */
  unknownCatalogEntries: z.enum(['create', 'refuse']),
})

/** Input of `agents.register`: the slug and name, everything else optional. */
export const RegisterAgentInput = AgentFields.partial().extend({
  agentId: AgentSlug,
  name: Text(200),
})
export type RegisterAgentInput = Types.RegisterAgentInput

/** Input of `agents.update`: any subset of the fields. */
export const UpdateAgentInput = AgentFields.partial()
export type UpdateAgentInput = Types.UpdateAgentInput

/** Filter of `agents.list`. Results are ordered by `agentId`. */
export const ListAgentsFilter = z.strictObject({
  active: z.boolean().optional(),
  class: AgentClass.optional(),
  tier: AgentTier.optional(),
  privacyTier: AgentPrivacyTier.optional(),
  transportType: AgentTransportType.optional(),
  organizationId: SignaldockId.optional(),
  ownerId: SignaldockId.optional(),
  /** Only agents bound to this capability. */
  capability: AgentSlug.optional(),
  /** Only agents bound to this skill. */
  skill: AgentSlug.optional(),
  /** Only these agents. */
  agentIds: z.array(AgentSlug).max(10_000).optional(),
  /** Keyset cursor: agents whose `agentId` sorts after this one. */
  after: AgentSlug.optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
})
export type ListAgentsFilter = Types.ListAgentsFilter

/** Input of `capabilities.define` / `skills.define` (an upsert by slug). */
export const DefineCatalogEntryInput = z.strictObject({
  slug: AgentSlug,
  /** Display name (default: the slug). */
  name: Text(200).optional(),
  description: z.string().max(4000).optional(),
  /** A category of the catalogue (default `other`). */
  category: z.string().min(1).max(100).optional(),
})
export type DefineCatalogEntryInput = Types.DefineCatalogEntryInput

/** Input of `connections.connect` (an upsert by agent and connection id). */
export const ConnectAgentInput = z.strictObject({
  agentId: AgentSlug,
  connectionId: Text(200),
  transportType: AgentTransportType.optional(),
  metadata: JsonObject.nullable().optional(),
})
export type ConnectAgentInput = Types.ConnectAgentInput

const Email = z
  .string()
  .max(320)
  .email()
  .transform((email) => email.toLowerCase())

const UserFields = z.strictObject({
  name: z.string().max(200).nullable(),
  slug: AgentSlug.nullable(),
  username: z.string().min(1).max(100).nullable(),
  displayUsername: z.string().max(200).nullable(),
  image: z.string().max(2000).nullable(),
  role: SignaldockUserRole,
  emailVerified: z.boolean(),
  twoFactorEnabled: z.boolean(),
  /** An opaque password hash computed by the caller (never a password). */
  passwordHash: z.string().min(1).max(1000).nullable(),
  /** Slug of the user's default agent (soft reference). */
  defaultAgentId: AgentSlug.nullable(),
  metadata: JsonObject.nullable(),
})

/** Input of `users.create`. Emails are stored lower-case and are unique. */
export const CreateUserInput = UserFields.partial().extend({ email: Email })
export type CreateUserInput = Types.CreateUserInput

/** Input of `users.update`. */
export const UpdateUserInput = UserFields.partial().extend({ email: Email.optional() })
export type UpdateUserInput = Types.UpdateUserInput

/** Input of `users.ban`. */
export const BanUserInput = z.strictObject({
  reason: Text(500),
  /** When the ban ends (default: never). */
  until: Instant.nullable().optional(),
})
export type BanUserInput = Types.BanUserInput

/** Input of `accounts.link` (an upsert by provider and account id). */
export const LinkAccountInput = z.strictObject({
  userId: SignaldockId,
  providerId: Text(100),
  accountId: Text(500),
  accessToken: z.string().max(10_000).nullable().optional(),
  refreshToken: z.string().max(10_000).nullable().optional(),
  idToken: z.string().max(20_000).nullable().optional(),
  accessTokenExpiresAt: Instant.nullable().optional(),
  refreshTokenExpiresAt: Instant.nullable().optional(),
  scope: z.string().max(2000).nullable().optional(),
  passwordHash: z.string().min(1).max(1000).nullable().optional(),
})
export type LinkAccountInput = Types.LinkAccountInput

const Expiry = z
  .object({
    /** When it expires. */
    expiresAt: Instant.optional(),
    /** Or: how long from now it lives. */
    ttlMs: DurationMs.optional(),
  })
  .refine((value) => (value.expiresAt === undefined) !== (value.ttlMs === undefined), {
    message: 'give exactly one of expiresAt and ttlMs',
    path: ['expiresAt'],
  })

/** A bearer secret (session token, verification value, claim code): 16–512 characters. */
export const BearerSecret = z.string().min(16).max(512)

/** Input of `sessions.create`; only the SHA-256 of `token` is stored. */
export const CreateAuthSessionInput = z
  .object({
    userId: SignaldockId,
    token: BearerSecret,
    ipAddress: z.string().max(100).nullable().optional(),
    userAgent: z.string().max(1000).nullable().optional(),
    activeOrganizationId: SignaldockId.nullable().optional(),
    impersonatedBy: SignaldockId.nullable().optional(),
  })
  .and(Expiry)
export type CreateAuthSessionInput = Types.CreateAuthSessionInput

/** Input of `verifications.create`; only the SHA-256 of `value` is stored. */
export const CreateVerificationInput = z
  .object({
    identifier: Text(500),
    value: z.string().min(6).max(512),
  })
  .and(Expiry)
export type CreateVerificationInput = Types.CreateVerificationInput

const OrganizationFields = z.strictObject({
  name: Text(200),
  slug: AgentSlug.nullable(),
  logo: z.string().max(2000).nullable(),
  metadata: JsonObject.nullable(),
  ownerId: SignaldockId.nullable(),
})

/** Input of `organizations.create`. Slugs are unique. */
export const CreateOrganizationInput = OrganizationFields.partial().extend({ name: Text(200) })
export type CreateOrganizationInput = Types.CreateOrganizationInput

/** Input of `organizations.update`. */
export const UpdateOrganizationInput = OrganizationFields.partial()
export type UpdateOrganizationInput = Types.UpdateOrganizationInput

/** Input of `claimCodes.create`: give a code or let one be generated; an expiry is required. */
export const CreateClaimCodeInput = z
  .object({
    agentId: AgentSlug,
    code: BearerSecret.optional(),
  })
  .and(Expiry)
export type CreateClaimCodeInput = Types.CreateClaimCodeInput

/** Input of `availability.markDegraded`. */
export const MarkDegradedInput = z.strictObject({
  reason: Text(500),
  /** When the degradation ends by itself (default: until marked otherwise). */
  until: Instant.nullable().optional(),
  /** Or: for how long from now. */
  forMs: DurationMs.optional(),
  /** Who reported it (a harness, an operator, a probe). */
  source: z.string().min(1).max(200).optional(),
})
export type MarkDegradedInput = Types.MarkDegradedInput

/** Input of `availability.markUnavailable`: an end time is required. */
export const MarkUnavailableInput = z
  .object({
    reason: Text(500),
    until: Instant.optional(),
    forMs: DurationMs.optional(),
    source: z.string().min(1).max(200).optional(),
  })
  .refine((value) => (value.until === undefined) !== (value.forMs === undefined), {
    message: 'give exactly one of until and forMs',
    path: ['until'],
  })
export type MarkUnavailableInput = Types.MarkUnavailableInput

/** Options of `availability.selectAgent`. */
export const SelectAgentOptions = z.strictObject({
  /** Accept a degraded agent when no available one is preferred before it (default false). */
  allowDegraded: z.boolean().optional(),
})
export type SelectAgentOptions = Types.SelectAgentOptions

/** Preferences of `availability.selectAgent`: agent slugs, most preferred first. */
export const AgentPreferences = z.array(AgentSlug).min(1).max(1000)
