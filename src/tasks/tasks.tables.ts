/**
 * Kysely row types of tasks.db (snake_case columns, as stored).
 *
 * @module
 */

/** `schema_meta`: the store's key/value metadata. */
export interface TasksSchemaMetaTable {
  key: string
  value: string
  /** Epoch milliseconds. */
  updated_at: number
}

/** The Kysely database interface of tasks.db. */
export interface TasksDatabase {
  schema_meta: TasksSchemaMetaTable
}
