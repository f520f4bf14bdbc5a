/**
 * signaldock.db 0002: agent identity, the capability/skill catalogue and its
 * junctions, connections, the auth tables (users, accounts, sessions,
 * verifications, organization, claim codes, org agent keys) and agent availability.
 *
 * Frozen once released: add a new migration instead.
 *
 * Portable on purpose: the same migration runs on PostgreSQL through Kysely's
 * PostgresDialect (text columns get the "C" collation there; see dialect.ts). Hence plain tables (no SQLite `STRICT`), `bigint` epoch
 * milliseconds (a PostgreSQL `integer` would overflow), booleans as integers with a
 * `CHECK (x IN (0, 1))`, text ids, no SQLite-only functions (`json_valid`,
 * `unixepoch`): JSON columns are validated by the repository's zod schemas on write
 * and parsed through them on read. Every enum is a named `CHECK`; every slug is
 * `UNIQUE`; every foreign key says what happens `ON DELETE`.
 */
import type { Kysely, RawBuilder } from 'kysely'
import { sql } from 'kysely'

import { textType } from './dialect.js'

const AGENT_CLASSES = [
  'personal_assistant',
  'code_dev',
  'research',
  'orchestrator',
  'security',
  'devops',
  'data',
  'creative',
  'support',
  'testing',
  'documentation',
  'utility_bot',
  'custom',
]
const PRIVACY_TIERS = ['public', 'discoverable', 'private']
const AGENT_STATUSES = ['online', 'offline', 'busy']
const TRANSPORT_TYPES = ['http', 'sse', 'websocket', 'local']
const AGENT_TIERS = ['project', 'global', 'packaged', 'fallback', 'universal']
const INSTALL_SOURCES = ['seed', 'user', 'manual']
const CAPABILITY_CATEGORIES = ['communication', 'development', 'execution', 'analysis', 'coordination', 'devops', 'other']
const SKILL_CATEGORIES = ['language', 'framework', 'database', 'practice', 'other']
const SKILL_SOURCES = ['cant', 'manual', 'computed']
const USER_ROLES = ['user', 'admin']
const AVAILABILITY_STATES = ['available', 'degraded', 'unavailable']

function oneOf(column: string, values: readonly string[]): RawBuilder<unknown> {
  return sql`${sql.ref(column)} IN (${sql.join(values.map((v) => sql.lit(v)))})`
}

function oneOfOrNull(column: string, values: readonly string[]): RawBuilder<unknown> {
  return sql`${sql.ref(column)} IS NULL OR ${oneOf(column, values)}`
}

function bool(column: string): RawBuilder<unknown> {
  return sql`${sql.ref(column)} IN (0, 1)`
}

function lengthBetween(column: string, min: number, max: number): RawBuilder<unknown> {
  return sql`length(${sql.ref(column)}) BETWEEN ${sql.lit(min)} AND ${sql.lit(max)}`
}

function sha256Hex(column: string): RawBuilder<unknown> {
  return sql`length(${sql.ref(column)}) = 64`
}

export async function up(db: Kysely<any>): Promise<void> {
  // `text` on SQLite; `text COLLATE "C"` on PostgreSQL (byte order, as SQLite's BINARY).
  const text = textType(db)
  await db.schema
    .createTable('users')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('email', text, (c) => c.notNull().unique())
    .addColumn('email_verified', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('name', text)
    .addColumn('slug', text, (c) => c.unique())
    .addColumn('username', text, (c) => c.unique())
    .addColumn('display_username', text)
    .addColumn('image', text)
    .addColumn('role', text, (c) => c.notNull().defaultTo('user'))
    .addColumn('banned', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('ban_reason', text)
    .addColumn('ban_expires', 'bigint')
    .addColumn('two_factor_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('password_hash', text)
    .addColumn('default_agent_id', text)
    .addColumn('metadata', text)
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('users_email_check', lengthBetween('email', 3, 320))
    .addCheckConstraint('users_slug_check', sql`slug IS NULL OR ${lengthBetween('slug', 1, 128)}`)
    .addCheckConstraint('users_role_check', oneOf('role', USER_ROLES))
    .addCheckConstraint('users_email_verified_check', bool('email_verified'))
    .addCheckConstraint('users_banned_check', bool('banned'))
    .addCheckConstraint('users_two_factor_enabled_check', bool('two_factor_enabled'))
    .execute()

  await db.schema
    .createTable('organization')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('slug', text, (c) => c.unique())
    .addColumn('logo', text)
    .addColumn('metadata', text)
    .addColumn('owner_id', text, (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('organization_name_check', lengthBetween('name', 1, 200))
    .addCheckConstraint('organization_slug_check', sql`slug IS NULL OR ${lengthBetween('slug', 1, 128)}`)
    .execute()
  await db.schema.createIndex('idx_organization_owner').on('organization').column('owner_id').execute()

  await db.schema
    .createTable('agents')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('agent_id', text, (c) => c.notNull().unique())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('description', text)
    .addColumn('class', text, (c) => c.notNull().defaultTo('custom'))
    .addColumn('privacy_tier', text, (c) => c.notNull().defaultTo('public'))
    .addColumn('owner_id', text, (c) => c.references('users.id').onDelete('set null'))
    .addColumn('organization_id', text, (c) => c.references('organization.id').onDelete('set null'))
    .addColumn('endpoint', text)
    .addColumn('webhook_secret', text)
    .addColumn('avatar', text)
    .addColumn('status', text, (c) => c.notNull().defaultTo('offline'))
    .addColumn('last_seen', 'bigint')
    .addColumn('payment_config', text)
    .addColumn('api_key_hash', text)
    .addColumn('api_key_encrypted', text)
    .addColumn('api_base_url', text, (c) => c.notNull().defaultTo('https://api.signaldock.io'))
    .addColumn('classification', text)
    .addColumn('transport_type', text, (c) => c.notNull().defaultTo('http'))
    .addColumn('transport_config', text, (c) => c.notNull().defaultTo('{}'))
    .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('last_used_at', 'bigint')
    .addColumn('requires_reauth', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('tier', text, (c) => c.notNull().defaultTo('global'))
    .addColumn('can_spawn', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('orch_level', 'integer', (c) => c.notNull().defaultTo(2))
    .addColumn('reports_to', text)
    .addColumn('cant_path', text)
    .addColumn('cant_sha256', text)
    .addColumn('installed_from', text)
    .addColumn('installed_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('agents_agent_id_check', lengthBetween('agent_id', 1, 128))
    .addCheckConstraint('agents_name_check', lengthBetween('name', 1, 200))
    .addCheckConstraint('agents_class_check', oneOf('class', AGENT_CLASSES))
    .addCheckConstraint('agents_privacy_tier_check', oneOf('privacy_tier', PRIVACY_TIERS))
    .addCheckConstraint('agents_status_check', oneOf('status', AGENT_STATUSES))
    .addCheckConstraint('agents_transport_type_check', oneOf('transport_type', TRANSPORT_TYPES))
    .addCheckConstraint('agents_tier_check', oneOf('tier', AGENT_TIERS))
    .addCheckConstraint('agents_installed_from_check', oneOfOrNull('installed_from', INSTALL_SOURCES))
    .addCheckConstraint('agents_is_active_check', bool('is_active'))
    .addCheckConstraint('agents_requires_reauth_check', bool('requires_reauth'))
    .addCheckConstraint('agents_can_spawn_check', bool('can_spawn'))
    .addCheckConstraint('agents_orch_level_check', sql`orch_level BETWEEN 0 AND 2`)
    .addCheckConstraint('agents_api_key_hash_check', sql`api_key_hash IS NULL OR ${sha256Hex('api_key_hash')}`)
    .addCheckConstraint('agents_cant_sha256_check', sql`cant_sha256 IS NULL OR ${sha256Hex('cant_sha256')}`)
    .addCheckConstraint('agents_reports_to_check', sql`reports_to IS NULL OR reports_to <> agent_id`)
    .execute()
  await db.schema.createIndex('idx_agents_owner').on('agents').column('owner_id').execute()
  await db.schema.createIndex('idx_agents_organization').on('agents').column('organization_id').execute()
  await db.schema.createIndex('idx_agents_class').on('agents').column('class').execute()
  await db.schema.createIndex('idx_agents_tier').on('agents').column('tier').execute()
  await db.schema.createIndex('idx_agents_active').on('agents').columns(['is_active', 'agent_id']).execute()
  await db.schema.createIndex('idx_agents_last_used').on('agents').column('last_used_at').execute()
  await db.schema.createIndex('idx_agents_api_key_hash').on('agents').column('api_key_hash').execute()

  for (const [table, categories] of [
    ['capabilities', CAPABILITY_CATEGORIES],
    ['skills', SKILL_CATEGORIES],
  ] as const) {
    await db.schema
      .createTable(table)
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('slug', text, (c) => c.notNull().unique())
      .addColumn('name', text, (c) => c.notNull())
      .addColumn('description', text, (c) => c.notNull().defaultTo(''))
      .addColumn('category', text, (c) => c.notNull().defaultTo('other'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addCheckConstraint(`${table}_slug_check`, lengthBetween('slug', 1, 128))
      .addCheckConstraint(`${table}_name_check`, lengthBetween('name', 1, 200))
      .addCheckConstraint(`${table}_category_check`, oneOf('category', categories))
      .execute()
  }

  await db.schema
    .createTable('agent_capabilities')
    .addColumn('agent_id', text, (c) => c.notNull().references('agents.id').onDelete('cascade'))
    .addColumn('capability_id', text, (c) => c.notNull().references('capabilities.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('agent_capabilities_pk', ['agent_id', 'capability_id'])
    .execute()
  await db.schema.createIndex('idx_agent_capabilities_capability').on('agent_capabilities').column('capability_id').execute()

  await db.schema
    .createTable('agent_skills')
    .addColumn('agent_id', text, (c) => c.notNull().references('agents.id').onDelete('cascade'))
    .addColumn('skill_id', text, (c) => c.notNull().references('skills.id').onDelete('cascade'))
    .addColumn('source', text, (c) => c.notNull().defaultTo('manual'))
    .addColumn('attached_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('agent_skills_pk', ['agent_id', 'skill_id'])
    .addCheckConstraint('agent_skills_source_check', oneOf('source', SKILL_SOURCES))
    .execute()
  await db.schema.createIndex('idx_agent_skills_skill').on('agent_skills').column('skill_id').execute()

  await db.schema
    .createTable('agent_connections')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('agent_id', text, (c) => c.notNull().references('agents.id').onDelete('cascade'))
    .addColumn('connection_id', text, (c) => c.notNull())
    .addColumn('transport_type', text, (c) => c.notNull().defaultTo('http'))
    .addColumn('connected_at', 'bigint', (c) => c.notNull())
    .addColumn('last_heartbeat', 'bigint', (c) => c.notNull())
    .addColumn('connection_metadata', text)
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('agent_connections_agent_connection_unique', ['agent_id', 'connection_id'])
    .addCheckConstraint('agent_connections_connection_id_check', lengthBetween('connection_id', 1, 200))
    .addCheckConstraint('agent_connections_transport_type_check', oneOf('transport_type', TRANSPORT_TYPES))
    .execute()
  await db.schema.createIndex('idx_agent_connections_heartbeat').on('agent_connections').column('last_heartbeat').execute()

  await db.schema
    .createTable('accounts')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('user_id', text, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('provider_id', text, (c) => c.notNull())
    .addColumn('account_id', text, (c) => c.notNull())
    .addColumn('access_token', text)
    .addColumn('refresh_token', text)
    .addColumn('id_token', text)
    .addColumn('access_token_expires_at', 'bigint')
    .addColumn('refresh_token_expires_at', 'bigint')
    .addColumn('scope', text)
    .addColumn('password_hash', text)
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('accounts_provider_account_unique', ['provider_id', 'account_id'])
    .addCheckConstraint('accounts_provider_id_check', lengthBetween('provider_id', 1, 100))
    .addCheckConstraint('accounts_account_id_check', lengthBetween('account_id', 1, 500))
    .execute()
  await db.schema.createIndex('idx_accounts_user').on('accounts').column('user_id').execute()

  await db.schema
    .createTable('sessions')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('user_id', text, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('token_hash', text, (c) => c.notNull().unique())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('ip_address', text)
    .addColumn('user_agent', text)
    .addColumn('active_organization_id', text, (c) => c.references('organization.id').onDelete('set null'))
    .addColumn('impersonated_by', text, (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('sessions_token_hash_check', sha256Hex('token_hash'))
    .execute()
  await db.schema.createIndex('idx_sessions_user').on('sessions').column('user_id').execute()
  await db.schema.createIndex('idx_sessions_expires').on('sessions').column('expires_at').execute()

  await db.schema
    .createTable('verifications')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('identifier', text, (c) => c.notNull())
    .addColumn('value_hash', text, (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('verifications_identifier_check', lengthBetween('identifier', 1, 500))
    .addCheckConstraint('verifications_value_hash_check', sha256Hex('value_hash'))
    .execute()
  await db.schema.createIndex('idx_verifications_identifier').on('verifications').columns(['identifier', 'value_hash']).execute()
  await db.schema.createIndex('idx_verifications_expires').on('verifications').column('expires_at').execute()

  await db.schema
    .createTable('claim_codes')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('agent_id', text, (c) => c.notNull().references('agents.id').onDelete('cascade'))
    .addColumn('code_hash', text, (c) => c.notNull().unique())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('used_by', text, (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('claim_codes_code_hash_check', sha256Hex('code_hash'))
    .addCheckConstraint('claim_codes_used_check', sql`used_by IS NULL OR used_at IS NOT NULL`)
    .addCheckConstraint('claim_codes_expiry_check', sql`expires_at > created_at`)
    .execute()
  await db.schema.createIndex('idx_claim_codes_agent').on('claim_codes').column('agent_id').execute()

  await db.schema
    .createTable('org_agent_keys')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('organization_id', text, (c) => c.notNull().references('organization.id').onDelete('cascade'))
    .addColumn('agent_id', text, (c) => c.notNull().references('agents.id').onDelete('cascade'))
    .addColumn('created_by', text, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('org_agent_keys_org_agent_unique', ['organization_id', 'agent_id'])
    .addCheckConstraint('org_agent_keys_created_by_check', lengthBetween('created_by', 1, 200))
    .execute()
  await db.schema.createIndex('idx_org_agent_keys_agent').on('org_agent_keys').column('agent_id').execute()

  await db.schema
    .createTable('agent_availability')
    .addColumn('agent_id', text, (c) => c.primaryKey().references('agents.id').onDelete('cascade'))
    .addColumn('state', text, (c) => c.notNull())
    .addColumn('until_at', 'bigint')
    .addColumn('reason', text)
    .addColumn('source', text)
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('agent_availability_state_check', oneOf('state', AVAILABILITY_STATES))
    .addCheckConstraint(
      'agent_availability_reason_check',
      sql`(state = 'available' AND reason IS NULL AND until_at IS NULL) OR (state <> 'available' AND reason IS NOT NULL AND ${lengthBetween('reason', 1, 500)})`,
    )
    .addCheckConstraint('agent_availability_until_check', sql`state <> 'unavailable' OR until_at IS NOT NULL`)
    .execute()
}
