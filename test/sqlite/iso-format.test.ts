/**
 * The fast ISO-8601 formatter of row mapping (issue 19, item 5) writes exactly what
 * `Date#toISOString` writes, for any epoch-ms value, in any order of calls (its day
 * cache must never leak one day into another).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { toIso, toIsoOrNull } from '../../src/sqlite/clock.js'

describe('toIso', () => {
  it('equals Date#toISOString for any sequence of epoch ms (integers, fractions, negatives, far years)', () => {
    const ms = fc.oneof(
      fc.integer({ min: 0, max: 253_402_300_800_000 + 1000 }),
      fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }),
      fc.double({ min: -1e15, max: 1e15, noNaN: true }),
      fc.constantFrom(0, 86_399_999, 86_400_000, 253_402_300_799_999, 253_402_300_800_000, -1),
    )
    fc.assert(
      fc.property(fc.array(ms, { minLength: 1, maxLength: 20 }), (values) => {
        for (const v of values) expect(toIso(v)).toBe(new Date(v).toISOString())
      }),
      { numRuns: 500 },
    )
  })

  it('passes null through', () => {
    expect(toIsoOrNull(null)).toBeNull()
    expect(toIsoOrNull(1_700_000_000_123)).toBe('2023-11-14T22:13:20.123Z')
  })
})
