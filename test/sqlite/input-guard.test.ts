/**
 * The structural guard (issue 14, item 8) on its own: limits, cycles versus shared
 * references, text rules, and the reported path.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { INPUT_LIMITS, inspectInput } from '../../src/sqlite/input-guard.js'

function nested(depth: number): unknown {
  let value: unknown = 'leaf'
  for (let i = 0; i < depth; i++) value = [value]
  return value
}

describe('inspectInput', () => {
  it('accepts exactly maxDepth levels and refuses one more, however deep', () => {
    expect(inspectInput(nested(INPUT_LIMITS.maxDepth))).toBeNull()
    expect(inspectInput(nested(INPUT_LIMITS.maxDepth + 1))).toMatchObject({ rule: 'depth', limit: INPUT_LIMITS.maxDepth })
    expect(inspectInput(nested(1_000_000))).toMatchObject({ rule: 'depth' })
  })

  it('refuses a cycle with its path, accepts shared references', () => {
    const a: Record<string, unknown> = {}
    a['b'] = { c: [1, a] }
    expect(inspectInput({ x: a })).toEqual({ rule: 'cycle', path: ['x', 'b', 'c', 1], message: expect.any(String) })
    const shared = { n: 1 }
    expect(inspectInput({ one: shared, two: [shared, shared] })).toBeNull()
  })

  it('refuses more than maxValues values', () => {
    expect(inspectInput(new Array(INPUT_LIMITS.maxValues - 1).fill(1))).toBeNull()
    expect(inspectInput(new Array(INPUT_LIMITS.maxValues + 1).fill(1))).toMatchObject({ rule: 'size' })
    expect(inspectInput(new Array(10).fill('x'), { maxDepth: 10, maxValues: 5 })).toMatchObject({ rule: 'size', limit: 5 })
  })

  it('finds a lone surrogate or NUL in values and property names, with the path', () => {
    expect(inspectInput({ a: ['ok', 'x\uD800y'] })).toMatchObject({ rule: 'unicode', path: ['a', 1] })
    expect(inspectInput({ a: { ['k\uDC00']: 1 } })).toMatchObject({ rule: 'unicode', path: ['a'] })
    expect(inspectInput({ t: 'a\0' })).toMatchObject({ rule: 'nul', path: ['t'] })
    expect(inspectInput('\uD83D\uDE80 𝄞')).toBeNull()
  })

  it('agrees with String.prototype.isWellFormed on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (raw) => {
        const text = raw.replace(/\0/g, '')
        const wellFormed = (text as unknown as { isWellFormed(): boolean }).isWellFormed()
        const problem = inspectInput(text)
        expect(problem === null).toBe(wellFormed)
      }),
      { numRuns: 500 },
    )
  })

  it('does not descend into non-plain objects (Dates, typed arrays, class instances)', () => {
    class Pool {
      self = this
    }
    expect(inspectInput({ when: new Date(), bytes: new Uint8Array(4), pool: new Pool(), fn: () => 1 })).toBeNull()
  })
})
