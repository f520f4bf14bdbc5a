/**
 * tasks.db 0010: `agent_credentials`, the project's local cache of signaldock
 * agent identity and of the agent's **sealed** API key (AES-256-GCM text from
 * `CredentialCipher.seal`; never the key, never a derived key). signaldock.db is
 * the source of truth: registration writes it first, then this cache.
 *
 * Frozen once released: add a new migration instead.
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('agent_credentials')
    .addColumn('agent_id', 'text', (c) => c.primaryKey().check(sql`length(agent_id) BETWEEN 1 AND 128`))
    .addColumn('display_name', 'text', (c) => c.notNull().check(sql`length(display_name) BETWEEN 1 AND 200`))
    // A sealed credential is at least 1 + 4 + 12 + 1 + 16 bytes: 48 base64 characters.
    .addColumn('api_key_encrypted', 'text', (c) => c.notNull().check(sql`length(api_key_encrypted) >= 48`))
    .addColumn('api_key_hash', 'text', (c) => c.check(sql`api_key_hash IS NULL OR length(api_key_hash) = 64`))
    .addColumn('api_base_url', 'text', (c) => c.notNull())
    .addColumn('classification', 'text')
    .addColumn('privacy_tier', 'text', (c) =>
      c.notNull().defaultTo('public').check(sql`privacy_tier IN ('public', 'discoverable', 'private')`),
    )
    .addColumn('transport_type', 'text', (c) =>
      c.notNull().defaultTo('http').check(sql`transport_type IN ('http', 'sse', 'websocket', 'local')`),
    )
    .addColumn('transport_config', 'text', (c) =>
      c.notNull().defaultTo('{}').check(sql`json_valid(transport_config) AND json_type(transport_config) = 'object'`),
    )
    .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1).check(sql`is_active IN (0, 1)`))
    .addColumn('last_used_at', 'integer')
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .modifyEnd(sql`STRICT`)
    .execute()
  await db.schema
    .createIndex('idx_agent_credentials_active_used')
    .on('agent_credentials')
    .columns(['is_active', 'last_used_at'])
    .execute()
}
