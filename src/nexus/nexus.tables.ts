/**
 * Kysely row types of nexus.db (snake_case columns, as stored).
 *
 * @module
 */

/** `nexus_schema_meta`: the store's key/value metadata. */
export interface NexusSchemaMetaTable {
  key: string
  value: string
  /** Epoch milliseconds. */
  updated_at: number
}

/** The Kysely database interface of nexus.db. */
export interface NexusDatabase {
  nexus_schema_meta: NexusSchemaMetaTable
}
