/**
 * One time input for every API: a `Date`, epoch milliseconds or an ISO-8601 string
 * with an offset (`Z` or `±hh:mm`) are accepted alike and parsed to epoch
 * milliseconds. Outputs stay ISO-8601 UTC strings.
 *
 * @module
 */
import { z } from 'zod'
import type { TimeInput } from './time-input.types.js'
export type { TimeInput } from './time-input.types.js'

/** The largest time a `Date` can hold (epoch ms). */
const MAX_TIME = 8.64e15

/**
 * The shared zod schema of a time input: `Date`, epoch ms (integer, 0 or later) or
 * ISO-8601 with offset; parsed to epoch milliseconds. An invalid `Date` or a time
 * before 1970 is a validation error.
 *
 * @example
 * ```ts
 * timeInput.parse(new Date(0))                  // 0
 * timeInput.parse(1_700_000_000_000)            // 1700000000000
 * timeInput.parse('2026-01-01T00:00:00.000Z')   // 1767225600000
 * ```
 */
export const timeInput: z.ZodType<number, TimeInput> = z
  .union([z.number().int().min(0).max(MAX_TIME), z.iso.datetime({ offset: true }), z.date()])
  .transform((value) => (typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : value.getTime()))
  // Only the lower bound is left to check: the upper one is the number schema's, a Date's own limit or a
  // four-digit ISO year; NaN (an ISO string Date.parse cannot read) fails `>= 0` too.
  .refine((ms) => ms >= 0, 'must be a valid time at or after 1970')

/**
 * Parses a time input to epoch milliseconds outside a schema, or throws a zod error.
 *
 * @example
 * ```ts
 * toEpochMs('1970-01-01T00:00:01Z') // 1000
 * ```
 */
export function toEpochMs(value: TimeInput): number {
  return timeInput.parse(value)
}
