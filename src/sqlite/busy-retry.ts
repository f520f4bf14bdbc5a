/**
 * Waiting for the write lock without freezing the process. SQLite's own busy handler
 * blocks the event loop while it waits, so it gets only short slices
 * ({@link BUSY_SLICE_MS}); longer waits are asynchronous retries of the whole
 * transaction (or of a lone autocommit statement) with jittered exponential backoff.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises'

import type { ErrorContext } from './errors.js'
import { CleoStoreError, toCleoStoreError } from './errors.js'

/**
 * How a transaction that meets BUSY is retried, whole, before `BUSY` is thrown.
 * SQLite's own busy handler blocks the event loop while it waits, so it is given only
 * a short slice ({@link BUSY_SLICE_MS}); longer waits are asynchronous retries with
 * jittered exponential backoff until `timeoutMs` has passed.
 */
export interface BusyRetryPolicy {
  /** Total time a transaction may wait for the lock before `BUSY`, in ms (default 5000). */
  readonly timeoutMs: number
  /** Base of the exponential backoff between attempts, in ms (default 2). */
  readonly baseDelayMs: number
  /** Cap of one backoff delay, in ms (default 25). */
  readonly maxDelayMs: number
}

/** The default {@link BusyRetryPolicy}. */
export const DEFAULT_BUSY_RETRY: BusyRetryPolicy = Object.freeze({ timeoutMs: 5000, baseDelayMs: 2, maxDelayMs: 25 })

/** The longest SQLite's (event-loop-blocking) busy handler waits in one attempt, in ms. */
export const BUSY_SLICE_MS = 20

/** "Full jitter" backoff: a random delay in [0, min(cap, base·2^(attempt-1))]. */
export function backoffDelay(attempt: number, base: number, cap: number): number {
  return Math.random() * Math.min(cap, base * 2 ** Math.max(0, attempt - 1))
}

/**
 * Runs `attempt` until it does not fail with BUSY or `policy.timeoutMs` has passed;
 * then throws `BUSY` with the number of attempts and the time waited. `attempt` must
 * be safe to repeat (a whole transaction, or idempotent setup).
 */
export async function retryWhileBusy<T>(
  attempt: () => T | Promise<T>,
  policy: BusyRetryPolicy,
  context: Required<ErrorContext>,
): Promise<T> {
  const started = performance.now()
  // An attempt may itself be a retried statement (the driver retries BEGIN): count its attempts too.
  let attempts = 0
  for (let n = 1; ; n++) {
    try {
      return await attempt()
    } catch (error) {
      const translated = toCleoStoreError(error, context)
      if (translated.code !== 'BUSY') throw translated
      const inner = translated.details?.['attempts']
      attempts += typeof inner === 'number' ? inner : 1
      const waited = performance.now() - started
      if (waited >= policy.timeoutMs) {
        throw new CleoStoreError(
          'BUSY',
          `${context.store}: the database stayed busy (locked by another connection, or conflicting transactions) for ${Math.round(waited)} ms (${attempts} attempts; ${context.file})`,
          { ...context, cause: error, details: { attempts, waitedMs: Math.round(waited) } },
        )
      }
      await sleep(Math.min(backoffDelay(n, policy.baseDelayMs, policy.maxDelayMs), policy.timeoutMs - waited))
    }
  }
}

