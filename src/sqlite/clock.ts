/**
 * Time in cleo-store: every timestamp is stored as INTEGER epoch milliseconds and
 * returned to callers as an ISO-8601 UTC string. Tests inject a {@link Clock}.
 *
 * @module
 */

/** Returns the current time in epoch milliseconds. Injectable for tests. */
export type Clock = () => number

/** The wall clock. */
export const systemClock: Clock = () => Date.now()

/**
 * Converts stored epoch milliseconds to an ISO-8601 UTC string.
 *
 * @example
 * ```ts
 * toIso(0) // '1970-01-01T00:00:00.000Z'
 * ```
 */
export function toIso(ms: number): string {
  return new Date(ms).toISOString()
}

/** Like {@link toIso}, passing `null` through. */
export function toIsoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}

/**
 * A clock for tests: starts at `start` (epoch ms) and moves only when told.
 *
 * @example
 * ```ts
 * const clock = manualClock(Date.UTC(2026, 0, 1))
 * clock.advance(60_000)
 * ```
 */
export function manualClock(start = 0): Clock & { advance(ms: number): void; set(ms: number): void } {
  let now = start
  const clock = (() => now) as Clock & { advance(ms: number): void; set(ms: number): void }
  clock.advance = (ms) => {
    now += ms
  }
  clock.set = (ms) => {
    now = ms
  }
  return clock
}
