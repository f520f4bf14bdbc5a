/**
 * Kysely row types of brain.db (snake_case columns, as stored).
 *
 * @module
 */

/** `brain_schema_meta`: the store's key/value metadata. */
export interface BrainSchemaMetaTable {
  key: string
  value: string
  /** Epoch milliseconds. */
  updated_at: number
}

/** The Kysely database interface of brain.db. */
export interface BrainDatabase {
  brain_schema_meta: BrainSchemaMetaTable
}
