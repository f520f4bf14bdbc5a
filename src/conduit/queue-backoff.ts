/**
 * Retry delays of the delivery queue: exponential backoff with jitter, as a pure
 * function of the attempt number and an injectable source of randomness.
 *
 * @module
 */

/** How a failed job's next attempt is delayed. */
export interface QueueBackoffPolicy {
  /** Delay before the 2nd attempt, in ms (doubles each attempt). Default 1000. */
  readonly baseMs: number
  /** Upper bound of one delay, in ms. Default 300000 (5 min). */
  readonly maxMs: number
  /**
   * `equal` (default): half the exponential delay, plus a random part of the other
   * half — delays still grow, and workers that failed together spread out.
   * `full`: uniformly random in [0, exponential delay]. `none`: exactly the exponential delay.
   */
  readonly jitter: 'equal' | 'full' | 'none'
}

/** The default {@link QueueBackoffPolicy}: 1 s, 2 s, 4 s … capped at 5 min, equal jitter. */
export const DEFAULT_QUEUE_BACKOFF: QueueBackoffPolicy = Object.freeze({ baseMs: 1000, maxMs: 300_000, jitter: 'equal' })

/**
 * The delay before the next attempt after `attempts` failed attempts (1 = the first
 * attempt failed). `random` returns a number in [0, 1) (inject one in tests). The
 * result is an integer in [0, policy.maxMs].
 *
 * @example
 * ```ts
 * queueRetryDelay(1, DEFAULT_QUEUE_BACKOFF, () => 0.5) // 750 (half of 1000, plus half of the other half)
 * queueRetryDelay(3, { baseMs: 100, maxMs: 10_000, jitter: 'none' }, Math.random) // 400
 * ```
 */
export function queueRetryDelay(attempts: number, policy: QueueBackoffPolicy, random: () => number): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempts) - 1), 52)
  const ceiling = Math.max(0, Math.min(policy.maxMs, policy.baseMs * 2 ** exponent))
  const r = Math.min(Math.max(random(), 0), 1)
  let delay: number
  switch (policy.jitter) {
    case 'none':
      delay = ceiling
      break
    case 'full':
      delay = ceiling * r
      break
    default:
      delay = ceiling / 2 + (ceiling / 2) * r
  }
  return Math.min(policy.maxMs, Math.max(0, Math.round(delay)))
}
