import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import type { BrainTierFacts } from '../../src/brain/index.js'
import { BRAIN_LIFECYCLE, decayLearningConfidence, nextBrainTier, promotedBrainTier, shouldEvictMemory } from '../../src/brain/index.js'
import { expectCode } from '../helpers.js'
import { DAY, samples, T0 } from './brain-helpers.js'
import { BRAIN_ENGINES, openBrainOn } from './open-brain.js'

const HOUR = 3_600_000
const facts = fc.record({
  tier: fc.constantFrom('short', 'medium', 'long') as fc.Arbitrary<BrainTierFacts['tier']>,
  createdAt: fc.integer({ min: 0, max: 1e12 }),
  citationCount: fc.integer({ min: 0, max: 20 }),
  qualityScore: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
  verified: fc.boolean(),
})

describe('brain lifecycle rules (pure)', () => {
  it('promotes short → medium after 24h with 3 citations, quality ≥ 0.7 or verification', () => {
    const base: BrainTierFacts = { tier: 'short', createdAt: 0, citationCount: 0, qualityScore: null, verified: false }
    expect(nextBrainTier(base, 25 * HOUR)).toBeNull()
    expect(nextBrainTier({ ...base, citationCount: 3 }, 23 * HOUR)).toBeNull()
    expect(nextBrainTier({ ...base, citationCount: 3 }, 25 * HOUR)?.tier).toBe('medium')
    expect(nextBrainTier({ ...base, qualityScore: 0.7 }, 25 * HOUR)?.tier).toBe('medium')
    expect(nextBrainTier({ ...base, verified: true }, 25 * HOUR)?.reason).toBe('age > 24h and verified')
    expect(nextBrainTier({ ...base, tier: 'medium', citationCount: 5 }, 6 * DAY)).toBeNull()
    expect(nextBrainTier({ ...base, tier: 'medium', citationCount: 5 }, 8 * DAY)?.tier).toBe('long')
    expect(promotedBrainTier({ ...base, citationCount: 5 }, 8 * DAY)?.tier).toBe('long')
  })

  it('promotion only moves up, never skips the age rules, and is idempotent once applied (property)', () => {
    const order = { short: 0, medium: 1, long: 2 }
    fc.assert(
      fc.property(facts, fc.integer({ min: 0, max: 1e12 }), (f, later) => {
        const now = f.createdAt + later
        const next = promotedBrainTier(f, now)
        if (next === null) return
        expect(order[next.tier]).toBeGreaterThan(order[f.tier])
        expect(now - f.createdAt).toBeGreaterThan(BRAIN_LIFECYCLE.shortToMediumAgeMs)
        expect(promotedBrainTier({ ...f, tier: next.tier }, now)).toBeNull()
      }),
    )
  })

  it('decay compounds: applying it at t1 then t2 equals applying it once at t2 (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 100 * DAY }),
        fc.integer({ min: 0, max: 100 * DAY }),
        (confidence, a, b) => {
          const start = { confidence, updatedAt: 0, decayedAt: null }
          const t1 = BRAIN_LIFECYCLE.decayAfterMs + a
          const t2 = t1 + b
          const once = decayLearningConfidence(start, t2)
          const first = decayLearningConfidence(start, t1)
          const twice = first === null ? once : decayLearningConfidence({ ...start, confidence: first.confidence, decayedAt: first.decayedAt }, t2) ?? first
          expect(twice?.confidence ?? confidence).toBeCloseTo(once?.confidence ?? confidence, 9)
          expect(once?.confidence ?? confidence).toBeLessThanOrEqual(confidence)
        },
      ),
    )
    expect(decayLearningConfidence({ confidence: 0.8, updatedAt: 0, decayedAt: null }, 29 * DAY)).toBeNull()
    expect(decayLearningConfidence({ confidence: 0.8, updatedAt: 0, decayedAt: null }, 40 * DAY)?.confidence).toBeCloseTo(0.8 * 0.995 ** 10, 12)
  })

  it('evicts only old, unverified, short-tier memories of known low quality', () => {
    const old: BrainTierFacts = { tier: 'short', createdAt: 0, citationCount: 0, qualityScore: 0.2, verified: false }
    expect(shouldEvictMemory(old, 8 * DAY)).toBe(true)
    expect(shouldEvictMemory(old, 6 * DAY)).toBe(false)
    expect(shouldEvictMemory({ ...old, verified: true }, 8 * DAY)).toBe(false)
    expect(shouldEvictMemory({ ...old, qualityScore: null }, 8 * DAY)).toBe(false)
    expect(shouldEvictMemory({ ...old, tier: 'medium' }, 8 * DAY)).toBe(false)
  })
})

describe.each(BRAIN_ENGINES)('brain maintain() (%s)', (engine) => {
  it('applies promotion, decay and eviction in one call and reports each change; dryRun writes nothing', async () => {
    const { brain, clock } = await openBrainOn(engine)
    const cited = (await brain.record(samples.pattern('Cited pattern'))).memory
    for (let i = 0; i < 3; i++) await brain.record(samples.pattern('Cited pattern'))
    const weak = (await brain.record({ ...samples.observation('Weak guess'), qualityScore: 0.1 })).memory
    const stale = (await brain.record(samples.learning('Stale learning'))).memory
    const fresh = (await brain.record(samples.learning('Fresh learning'))).memory
    clock.set(T0 + 40 * DAY)
    await brain.update(fresh.id, { kind: 'learning', source: 'touched' })

    const preview = await brain.maintain({ dryRun: true })
    expect(preview.dryRun).toBe(true)
    expect((await brain.get(cited.id)).tier).toBe('short')

    const report = await brain.maintain()
    expect(report.promoted).toEqual([{ kind: 'pattern', id: cited.id, from: 'short', to: 'medium', reason: 'age > 24h and 3 citations' }])
    expect(report.evicted).toEqual([{ kind: 'observation', id: weak.id }])
    expect(report.decayed.map((d) => d.id)).toEqual([stale.id])
    expect(report.decayed[0]!.to).toBeCloseTo(0.8 * 0.995 ** 10, 9)
    expect({ ...preview, dryRun: false }).toEqual(report)

    expect(await brain.get(cited.id)).toMatchObject({ tier: 'medium', tierPromotedAt: new Date(T0 + 40 * DAY).toISOString() })
    expect((await brain.get(weak.id)).invalidAt).toBe(new Date(T0 + 40 * DAY).toISOString())
    // Running again at the same time changes nothing.
    expect(await brain.maintain()).toMatchObject({ promoted: [], decayed: [], evicted: [] })
    await expectCode(brain.maintain({ dryRun: 'yes' } as never), 'VALIDATION')
  })

  it('removes vectors whose memory was deleted behind the repository', async () => {
    const { FeatureHashingEmbedder } = await import('../../src/brain/index.js')
    const { brain } = await openBrainOn(engine, { embedder: new FeatureHashingEmbedder({ dimensions: 16 }) })
    await brain.record(samples.decision())
    await brain.kysely.deleteFrom('brain_decisions').execute()
    expect((await brain.maintain({ dryRun: true })).orphanVectorsRemoved).toBe(1)
    expect((await brain.maintain()).orphanVectorsRemoved).toBe(1)
    expect((await brain.embeddingStatus()).vectors).toBe(0)
  })
})

describe.each(BRAIN_ENGINES)('brain reconcileOrphanedRefs() (%s)', (engine) => {
  it('nulls unknown decision contexts and session ids and removes links to unknown tasks, set-based', async () => {
    const { brain } = await openBrainOn(engine)
    const kept = (await brain.record({ ...samples.decision('kept'), contextTaskId: 'T1', contextEpicId: 'E1' })).memory
    const orphan = (await brain.record({ ...samples.decision('orphan'), contextTaskId: 'T404', contextEpicId: 'E1' })).memory
    const observation = (await brain.record({ ...samples.observation(), sourceSessionId: 'S-gone' })).memory
    await brain.links.add({ memoryId: kept.id, taskId: 'T1', linkType: 'applies_to' })
    await brain.links.add({ memoryId: kept.id, taskId: 'T404', linkType: 'informed_by' })
    await brain.links.add({ memoryId: orphan.id, taskId: 'T405', linkType: 'produced_by' })

    const existing = ['T1', 'E1', ...Array.from({ length: 20_000 }, (_, i) => `T${100_000 + i}`)]
    expect(await brain.reconcileOrphanedRefs(existing)).toEqual({ decisionsFixed: 1, observationsFixed: 0, linksRemoved: 2 })
    expect(await brain.get(kept.id)).toMatchObject({ contextTaskId: 'T1', contextEpicId: 'E1' })
    expect(await brain.get(orphan.id)).toMatchObject({ contextTaskId: null, contextEpicId: 'E1' })
    expect((await brain.links.forMemory(kept.id)).map((l) => l.taskId)).toEqual(['T1'])

    expect(await brain.reconcileOrphanedRefs(new Set(existing), { existingSessionIds: ['S1'] })).toEqual({
      decisionsFixed: 0,
      observationsFixed: 1,
      linksRemoved: 0,
    })
    expect((await brain.get(observation.id)).kind === 'observation' && ((await brain.get(observation.id)) as { sourceSessionId: null }).sourceSessionId).toBeNull()
    await expectCode(brain.reconcileOrphanedRefs([''] as string[]), 'VALIDATION')
  })
})
