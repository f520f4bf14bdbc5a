/**
 * Kysely row types of signaldock.db (snake_case columns, as stored). Timestamps are
 * epoch milliseconds; booleans are 0/1 integers. Numeric columns are typed
 * `number | string` where PostgreSQL's `bigint` comes back as a string: the
 * repository converts with `Number()` when it maps rows.
 *
 * @module
 */
import type { Generated } from 'kysely'

/** A `bigint` epoch-ms column (a number on SQLite, a decimal string from node-postgres). */
export type SignaldockEpochMsColumn = number | string

/** `signaldock_schema_meta`: the store's key/value metadata. */
export interface SignaldockSchemaMetaTable {
  key: string
  value: string
  /** Epoch milliseconds. */
  updated_at: number
}

/** `users`: accounts of people (cloud-sync shape; usually empty locally). */
export interface SignaldockUsersTable {
  id: string
  email: string
  email_verified: Generated<number>
  name: string | null
  slug: string | null
  username: string | null
  display_username: string | null
  image: string | null
  role: Generated<string>
  banned: Generated<number>
  ban_reason: string | null
  ban_expires: SignaldockEpochMsColumn | null
  two_factor_enabled: Generated<number>
  password_hash: string | null
  default_agent_id: string | null
  metadata: string | null
  created_at: SignaldockEpochMsColumn
  updated_at: SignaldockEpochMsColumn
}

/** `organization`: teams that own agents. */
export interface SignaldockOrganizationTable {
  id: string
  name: string
  slug: string | null
  logo: string | null
  metadata: string | null
  owner_id: string | null
  created_at: SignaldockEpochMsColumn
  updated_at: SignaldockEpochMsColumn
}

/** `agents`: the global identity of every agent (the SSoT). */
export interface SignaldockAgentsTable {
  /** Internal UUIDv7 key, used by every junction. */
  id: string
  /** Business slug, unique (`cleo-prime`). */
  agent_id: string
  name: string
  description: string | null
  class: Generated<string>
  privacy_tier: Generated<string>
  owner_id: string | null
  organization_id: string | null
  endpoint: string | null
  webhook_secret: string | null
  avatar: string | null
  status: Generated<string>
  last_seen: SignaldockEpochMsColumn | null
  payment_config: string | null
  api_key_hash: string | null
  api_key_encrypted: string | null
  api_base_url: Generated<string>
  classification: string | null
  transport_type: Generated<string>
  transport_config: Generated<string>
  is_active: Generated<number>
  last_used_at: SignaldockEpochMsColumn | null
  requires_reauth: Generated<number>
  tier: Generated<string>
  can_spawn: Generated<number>
  orch_level: Generated<number>
  reports_to: string | null
  cant_path: string | null
  cant_sha256: string | null
  installed_from: string | null
  installed_at: SignaldockEpochMsColumn | null
  created_at: SignaldockEpochMsColumn
  updated_at: SignaldockEpochMsColumn
}

/** `capabilities` and `skills`: the catalogue agents are bound to. */
export interface SignaldockCatalogTable {
  id: string
  slug: string
  name: string
  description: Generated<string>
  category: Generated<string>
  created_at: SignaldockEpochMsColumn
}

/** `agent_capabilities`: agent ↔ capability. */
export interface SignaldockAgentCapabilitiesTable {
  agent_id: string
  capability_id: string
}

/** `agent_skills`: agent ↔ skill, with how the binding came about. */
export interface SignaldockAgentSkillsTable {
  agent_id: string
  skill_id: string
  source: Generated<string>
  attached_at: SignaldockEpochMsColumn
}

/** `agent_connections`: live transport connections and their heartbeats. */
export interface SignaldockAgentConnectionsTable {
  id: string
  agent_id: string
  connection_id: string
  transport_type: Generated<string>
  connected_at: SignaldockEpochMsColumn
  last_heartbeat: SignaldockEpochMsColumn
  connection_metadata: string | null
  created_at: SignaldockEpochMsColumn
}

/** `accounts`: a user's provider accounts. */
export interface SignaldockAccountsTable {
  id: string
  user_id: string
  provider_id: string
  account_id: string
  access_token: string | null
  refresh_token: string | null
  id_token: string | null
  access_token_expires_at: SignaldockEpochMsColumn | null
  refresh_token_expires_at: SignaldockEpochMsColumn | null
  scope: string | null
  password_hash: string | null
  created_at: SignaldockEpochMsColumn
  updated_at: SignaldockEpochMsColumn
  /** 1 when the three tokens are sealed (credential cipher); 0 for rows of older versions (sealed at open). */
  tokens_sealed: Generated<number>
}

/** `sessions`: authenticated sessions; only the SHA-256 of the token is stored. */
export interface SignaldockSessionsTable {
  id: string
  user_id: string
  token_hash: string
  expires_at: SignaldockEpochMsColumn
  ip_address: string | null
  user_agent: string | null
  active_organization_id: string | null
  impersonated_by: string | null
  created_at: SignaldockEpochMsColumn
  updated_at: SignaldockEpochMsColumn
}

/** `verifications`: single-use verification values (hashed). */
export interface SignaldockVerificationsTable {
  id: string
  identifier: string
  value_hash: string
  expires_at: SignaldockEpochMsColumn
  created_at: SignaldockEpochMsColumn
  updated_at: SignaldockEpochMsColumn
}

/** `claim_codes`: single-use, expiring codes by which a user claims an agent (hashed). */
export interface SignaldockClaimCodesTable {
  id: string
  agent_id: string
  code_hash: string
  expires_at: SignaldockEpochMsColumn
  used_at: SignaldockEpochMsColumn | null
  used_by: string | null
  created_at: SignaldockEpochMsColumn
}

/** `org_agent_keys`: which agents an organization may use. */
export interface SignaldockOrgAgentKeysTable {
  id: string
  organization_id: string
  agent_id: string
  created_by: string
  created_at: SignaldockEpochMsColumn
}

/** `agent_availability`: whether an agent may be chosen for work, and until when. */
export interface SignaldockAgentAvailabilityTable {
  agent_id: string
  state: string
  until_at: SignaldockEpochMsColumn | null
  reason: string | null
  source: string | null
  updated_at: SignaldockEpochMsColumn
}

/** The Kysely database interface of signaldock.db. */
export interface SignaldockDatabase {
  signaldock_schema_meta: SignaldockSchemaMetaTable
  users: SignaldockUsersTable
  organization: SignaldockOrganizationTable
  agents: SignaldockAgentsTable
  capabilities: SignaldockCatalogTable
  skills: SignaldockCatalogTable
  agent_capabilities: SignaldockAgentCapabilitiesTable
  agent_skills: SignaldockAgentSkillsTable
  agent_connections: SignaldockAgentConnectionsTable
  accounts: SignaldockAccountsTable
  sessions: SignaldockSessionsTable
  verifications: SignaldockVerificationsTable
  claim_codes: SignaldockClaimCodesTable
  org_agent_keys: SignaldockOrgAgentKeysTable
  agent_availability: SignaldockAgentAvailabilityTable
}
