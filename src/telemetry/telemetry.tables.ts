/**
 * Kysely row types of telemetry.db (snake_case columns, as stored).
 *
 * @module
 */
import type { Generated } from 'kysely'

/** `telemetry_schema_meta`: the store's key/value metadata (also holds `install_id`). */
export interface TelemetrySchemaMetaTable {
  key: string
  value: string
  /** Epoch milliseconds. */
  updated_at: number
}

/** `telemetry_events`: one row per recorded command run. */
export interface TelemetryEventsTable {
  /** Insertion order (rowid). */
  id: Generated<number>
  /** The anonymous install id (a random UUID, not derived from the machine or user). */
  anonymous_id: string
  command: string
  domain: string
  operation: string
  duration_ms: number
  exit_code: number
  error_code: string | null
  /** Epoch milliseconds. */
  occurred_at: number
}

/** The Kysely database interface of telemetry.db. */
export interface TelemetryDatabase {
  telemetry_schema_meta: TelemetrySchemaMetaTable
  telemetry_events: TelemetryEventsTable
}
