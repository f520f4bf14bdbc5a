/**
 * Plain types of every telemetry.db input (what `telemetry.schemas.ts` accepts, before defaults). The
 * root module's types come from here, not from zod; `test/types/telemetry.types.test-d.ts` keeps each
 * one equal to its schema.
 *
 * @module
 */
import type { TimeInput } from '../sqlite/time-input.types.js'

/** Input of `telemetry.record`. */
export interface TelemetryEventInput {
  command: string
  domain: string
  operation: string
  /** Wall time of the command in milliseconds (at most a day). */
  durationMs: number
  /** Process-style exit code: 0 is success. */
  exitCode: number
  /** A machine-readable code such as `VALIDATION` or `E_NOT_FOUND`; never a message. */
  errorCode?: string | undefined | null
}

/** How long events are kept (see `TelemetryRetentionSchema` (`cleo-store/schemas`)). */
export interface TelemetryRetention {
  /** Events older than this are deleted (default 90 days). */
  maxAgeMs: number
  /** At most this many events are kept, the newest (default 100 000). */
  maxRows: number
}

/** Options of `telemetry.aggregate`. */
export interface TelemetryAggregateOptions {
  /** Inclusive lower bound (epoch ms or ISO string); default: everything. */
  since?: TimeInput | undefined
  /** Exclusive upper bound (epoch ms or ISO string); default: now. */
  until?: TimeInput | undefined
  /** Bucket size: `hour`, `day`, `week` (UTC-aligned), or `all` for one bucket (default). */
  window?: 'hour' | 'day' | 'all' | 'week' | undefined
  /** Only this command. */
  command?: string | undefined
}
