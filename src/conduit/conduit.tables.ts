/**
 * Kysely row types of conduit.db (snake_case columns, as stored).
 *
 * @module
 */

/** `conduit_schema_meta`: the store's key/value metadata. */
export interface ConduitSchemaMetaTable {
  key: string
  value: string
  /** Epoch milliseconds. */
  updated_at: number
}

/** The Kysely database interface of conduit.db. */
export interface ConduitDatabase {
  conduit_schema_meta: ConduitSchemaMetaTable
}
