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
  // Same output as Date#toISOString, without a Date per call: the day part is
  // cached (timestamps of one page mostly share a day), the time of day is built
  // from two-digit strings. Anything outside years 1970–9999 or not an integer
  // takes the Date path.
  if (!(ms >= 0 && ms < MAX_FAST_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString()
  const day = Math.floor(ms / DAY_MS)
  if (day !== cachedDay) {
    cachedDay = day
    cachedPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11)
  }
  let rest = ms - day * DAY_MS
  const millis = rest % 1000
  rest = (rest - millis) / 1000
  const seconds = rest % 60
  rest = (rest - seconds) / 60
  const minutes = rest % 60
  const hours = (rest - minutes) / 60
  return `${cachedPrefix}${TWO[hours]}:${TWO[minutes]}:${TWO[seconds]}.${THREE[millis]}Z`
}

const DAY_MS = 86_400_000
/** 10000-01-01T00:00:00Z: from there on, toISOString writes a six-digit year. */
const MAX_FAST_MS = 253_402_300_800_000
const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'))
const THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'))
let cachedDay = -1
let cachedPrefix = ''

/** Like {@link toIso}, passing `null` through. */
export function toIsoOrNull(ms: number | null): string | null {
  return ms === null ? null : toIso(ms)
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
