/**
 * Kysely row types of telemetry.db (snake_case columns, as stored).
 *
 * @module
 */

/** `telemetry_schema_meta`: the store's key/value metadata. */
export interface TelemetrySchemaMetaTable {
  key: string
  value: string
  /** Epoch milliseconds. */
  updated_at: number
}

/** The Kysely database interface of telemetry.db. */
export interface TelemetryDatabase {
  telemetry_schema_meta: TelemetrySchemaMetaTable
}
