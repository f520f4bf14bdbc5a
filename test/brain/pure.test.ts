import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import {
  BRAIN_RRF_K,
  brainContentHash,
  brainFtsSignal,
  brainVectorSignal,
  FeatureHashingEmbedder,
  fuseBrainSignals,
  normalizeBrainText,
  planBrainFtsQuery,
} from '../../src/brain/index.js'

const candidates = (raw: fc.Arbitrary<number>) =>
  fc.uniqueArray(fc.record({ id: fc.string({ minLength: 1, maxLength: 6 }), raw }), { selector: (c) => c.id, maxLength: 20 })

describe('brain search fusion (pure)', () => {
  it('signal scores lie in 0..1, ranks are 1..n best first, the best FTS match scores 1', () => {
    fc.assert(
      fc.property(candidates(fc.double({ min: -50, max: -1e-6, noNaN: true })), (list) => {
        const signal = brainFtsSignal(list)
        const values = [...signal.values()].sort((a, b) => a.rank - b.rank)
        values.forEach((v, i) => {
          expect(v.rank).toBe(i + 1)
          expect(v.score).toBeGreaterThanOrEqual(0)
          expect(v.score).toBeLessThanOrEqual(1)
          if (i > 0) expect(v.raw).toBeGreaterThanOrEqual(values[i - 1]!.raw)
        })
        if (values.length > 0) expect(values[0]!.score).toBe(1)
      }),
    )
    fc.assert(
      fc.property(candidates(fc.double({ min: 0, max: 2, noNaN: true })), (list) => {
        for (const v of brainVectorSignal(list).values()) {
          expect(v.score).toBeCloseTo(Math.max(0, 1 - v.raw), 12)
        }
      }),
    )
  })

  it('fused scores are sorted, bounded, and deterministic whatever the input order', () => {
    fc.assert(
      fc.property(
        candidates(fc.double({ min: -20, max: -1e-6, noNaN: true })),
        candidates(fc.double({ min: 0, max: 1.5, noNaN: true })),
        fc.constantFrom('score', 'rrf') as fc.Arbitrary<'score' | 'rrf'>,
        (fts, vec, fusion) => {
          const a = fuseBrainSignals(brainFtsSignal(fts), brainVectorSignal(vec), fusion)
          const b = fuseBrainSignals(brainFtsSignal([...fts].reverse()), brainVectorSignal([...vec].reverse()), fusion)
          expect(b).toEqual(a)
          for (let i = 1; i < a.length; i++) expect(a[i]!.score).toBeLessThanOrEqual(a[i - 1]!.score)
          for (const c of a) {
            expect(c.score).toBeGreaterThanOrEqual(0)
            expect(c.score).toBeLessThanOrEqual(fusion === 'rrf' ? 2 / (BRAIN_RRF_K + 1) : 1)
          }
        },
      ),
    )
  })

  it('score fusion: the stronger signal decides, agreement adds 0.3 of the weaker', () => {
    const fused = fuseBrainSignals(brainFtsSignal([{ id: 'a', raw: -2 }, { id: 'b', raw: -1 }]), brainVectorSignal([{ id: 'b', raw: 0.2 }]), 'score')
    const b = fused.find((c) => c.id === 'b')!
    expect(b.score).toBeCloseTo((0.8 + 0.3 * 0.5) / 1.3, 12)
    expect(fused.find((c) => c.id === 'a')!.score).toBeCloseTo(1 / 1.3, 12)
  })
})

describe('brain FTS planning (pure)', () => {
  it('chooses the rarest words within the budget; all-common queries become "recent"; absent words are dropped', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ expression: fc.string({ minLength: 1, maxLength: 5 }), documents: fc.integer({ min: 0, max: 200 }) }), {
          selector: (t) => t.expression,
          maxLength: 10,
        }),
        fc.integer({ min: 1, max: 150 }),
        (terms, budget) => {
          const plan = planBrainFtsQuery(terms, budget)
          const present = terms.filter((t) => t.documents > 0)
          if (present.length === 0) {
            expect(plan.kind).toBe('none')
            return
          }
          const docs = new Map(terms.map((t) => [t.expression, t.documents]))
          if (plan.kind === 'ranked') {
            const chosen = plan.expressions.map((e) => docs.get(e)!)
            expect(chosen.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(budget)
            const left = present.filter((t) => !plan.expressions.includes(t.expression)).map((t) => t.documents)
            for (const d of left) expect(d).toBeGreaterThanOrEqual(Math.max(...chosen))
          } else {
            expect(plan.kind).toBe('recent')
            expect(present.every((t) => t.documents > budget)).toBe(true)
          }
        },
      ),
    )
  })
})

describe('brain text, hashing and the feature-hashing embedder', () => {
  it('dedup hash ignores case, width, and whitespace runs, nothing else', () => {
    expect(brainContentHash('  Use   WAL\nmode ')).toBe(brainContentHash('use wal mode'))
    expect(brainContentHash('Ｕｓｅ WAL')).toBe(brainContentHash('use wal'))
    expect(brainContentHash('use wal')).not.toBe(brainContentHash('use wall'))
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(normalizeBrainText(normalizeBrainText(s))).toBe(normalizeBrainText(s))
      }),
    )
  })

  it('is deterministic, normalised, and places similar text closer than unrelated text', async () => {
    const e = new FeatureHashingEmbedder()
    const [a, b, c, a2] = await e.embed(['deployment pipeline timeout', 'deploymnet pipelines timing out', 'sticky note colours', 'deployment pipeline timeout'])
    const cos = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * y[i]!, 0)
    expect(a2).toEqual(a)
    expect(cos(a!, a!)).toBeCloseTo(1, 5)
    expect(cos(a!, b!)).toBeGreaterThan(cos(a!, c!) + 0.2)
    expect(e.modelId).toContain('384')
    expect(() => new FeatureHashingEmbedder({ dimensions: 0 })).toThrow(RangeError)
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const v = e.embedOne(text)
        expect(v).toHaveLength(384)
        expect(v.every(Number.isFinite)).toBe(true)
      }),
    )
  })
})
