/**
 * The strict schema of the wait options of `conduit.inbox.wait` and
 * `conduit.queue.wait` (kept apart from `change-watch.ts`, whose declarations the
 * root module reaches and which must not load zod: see `test/dist/type-cost.test.ts`).
 *
 * @module
 */
import { z } from 'zod'

/** Largest delay `setTimeout` takes (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * The strict schema of `WaitOptions`: `signal` an `AbortSignal`, `timeoutMs`
 * an integer from 0 to 2^31 − 1 (what a timer can hold); any other key is `VALIDATION`.
 */
export const WaitOptionsSchema = z.strictObject({
  signal: z.instanceof(AbortSignal).optional(),
  timeoutMs: z.int().min(0).max(MAX_TIMER_MS).optional(),
})
