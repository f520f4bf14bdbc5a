/**
 * zod schemas of telemetry.db inputs. An event carries what ran and how it ended, never
 * what it ran on: the schema is strict (unknown keys such as `args`, `path` or `content`
 * are refused) and its identifier patterns admit no `/`, `\`, space or other character a
 * path, argument or free text would need.
 *
 * @module
 */
import { z } from 'zod'

import type * as Types from './telemetry.types.js'

import { timeInput } from '../sqlite/time-input.js'

const ident = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[a-z][a-z0-9_-]*$/, 'lower-case letters, digits, _ and - only, starting with a letter')

/** The command that ran, as dotted lower-case identifiers (`tasks.add`, `agent.attach`). */
export const TelemetryCommandSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z][a-z0-9_-]*(?:\.[a-z][a-z0-9_-]*)*$/, 'dotted lower-case identifiers only (e.g. "tasks.add")')

/**
 * Input of `telemetry.record`.
 *
 * @example
 * ```ts
 * TelemetryEventInputSchema.parse({ command: 'tasks.add', domain: 'tasks', operation: 'add', durationMs: 12, exitCode: 0 })
 * ```
 */
export const TelemetryEventInputSchema = z.strictObject({
  command: TelemetryCommandSchema,
  domain: ident(50),
  operation: ident(50),
  /** Wall time of the command in milliseconds (at most a day). */
  durationMs: z.int().min(0).max(86_400_000),
  /** Process-style exit code: 0 is success. */
  exitCode: z.int().min(0).max(255),
  /** A machine-readable code such as `VALIDATION` or `E_NOT_FOUND`; never a message. */
  errorCode: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Z][A-Z0-9_]*$/, 'an upper-case code such as "NOT_FOUND", never a message')
    .nullable()
    .optional(),
})
/** Input of `telemetry.record`. */
export type TelemetryEventInput = Types.TelemetryEventInput

/** How long events are kept. */
export const TelemetryRetentionSchema = z.strictObject({
  /** Events older than this are deleted (default 90 days). */
  maxAgeMs: z.int().min(1).default(90 * 24 * 60 * 60 * 1000),
  /** At most this many events are kept, the newest (default 100 000). */
  maxRows: z.int().min(1).default(100_000),
})
/** How long events are kept (see {@link TelemetryRetentionSchema}). */
export type TelemetryRetention = Types.TelemetryRetention

/** Options of `telemetry.aggregate`. */
export const TelemetryAggregateOptionsSchema = z.strictObject({
  /** Inclusive lower bound (epoch ms or ISO string); default: everything. */
  since: timeInput.optional(),
  /** Exclusive upper bound (epoch ms or ISO string); default: now. */
  until: timeInput.optional(),
  /** Bucket size: `hour`, `day`, `week` (UTC-aligned), or `all` for one bucket (default). */
  window: z.enum(['hour', 'day', 'week', 'all']).default('all'),
  /** Only this command. */
  command: TelemetryCommandSchema.optional(),
})
/** Options of `telemetry.aggregate`. */
export type TelemetryAggregateOptions = Types.TelemetryAggregateOptions
