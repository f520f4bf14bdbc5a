/**
 * Kysely row types of signaldock.db (snake_case columns, as stored).
 *
 * @module
 */

/** `signaldock_schema_meta`: the store's key/value metadata. */
export interface SignaldockSchemaMetaTable {
  key: string
  value: string
  /** Epoch milliseconds. */
  updated_at: number
}

/** The Kysely database interface of signaldock.db. */
export interface SignaldockDatabase {
  signaldock_schema_meta: SignaldockSchemaMetaTable
}
