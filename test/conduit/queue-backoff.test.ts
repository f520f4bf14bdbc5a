/**
 * The retry delay is a pure function: properties over every attempt, policy and
 * random value.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { DEFAULT_QUEUE_BACKOFF, queueRetryDelay } from '../../src/conduit/queue-backoff.js'

const policy = fc.record({
  baseMs: fc.integer({ min: 0, max: 60_000 }),
  maxMs: fc.integer({ min: 0, max: 86_400_000 }),
  jitter: fc.constantFrom('equal' as const, 'full' as const, 'none' as const),
})
const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })

describe('queueRetryDelay', () => {
  it('is an integer within [0, maxMs] for any attempt, policy and random value', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 10_000 }), policy, unit, (attempts, p, r) => {
        const delay = queueRetryDelay(attempts, p, () => r)
        expect(Number.isInteger(delay)).toBe(true)
        expect(delay).toBeGreaterThanOrEqual(0)
        expect(delay).toBeLessThanOrEqual(p.maxMs)
      }),
    )
  })

  it('equal jitter stays within [half, all] of the exponential delay, which grows until the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), policy, unit, (attempts, p, r) => {
        const ceiling = Math.min(p.maxMs, p.baseMs * 2 ** (attempts - 1))
        const delay = queueRetryDelay(attempts, { ...p, jitter: 'equal' }, () => r)
        expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2))
        expect(delay).toBeLessThanOrEqual(Math.ceil(ceiling))
      }),
    )
  })

  it('is monotonic in the attempt number for a fixed random value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), policy, unit, (attempts, p, r) => {
        expect(queueRetryDelay(attempts + 1, p, () => r)).toBeGreaterThanOrEqual(queueRetryDelay(attempts, p, () => r))
      }),
    )
  })

  it('follows 1 s, 2 s, 4 s … capped at 5 min by default without jitter', () => {
    const none = { ...DEFAULT_QUEUE_BACKOFF, jitter: 'none' as const }
    expect([1, 2, 3, 4, 9, 10, 50].map((n) => queueRetryDelay(n, none, Math.random))).toEqual([
      1000, 2000, 4000, 8000, 256_000, 300_000, 300_000,
    ])
  })

  it('uses the injected randomness', () => {
    const full = { baseMs: 1000, maxMs: 60_000, jitter: 'full' as const }
    expect(queueRetryDelay(3, full, () => 0)).toBe(0)
    expect(queueRetryDelay(3, full, () => 0.25)).toBe(1000)
    expect(queueRetryDelay(3, { ...full, jitter: 'equal' }, () => 0)).toBe(2000)
  })
})
