/**
 * Memory lifecycle rules as pure functions (CLEO's `brain-lifecycle`): tier
 * promotion, confidence decay of stale learnings, and soft eviction. `maintain()`
 * applies them; they are exported so callers can preview or reuse them.
 *
 * @module
 */
import type { BrainMemoryTier } from './brain.enums.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

/**
 * The thresholds of the lifecycle rules.
 *
 * @example
 * ```ts
 * BRAIN_LIFECYCLE.decayPerDay // 0.995
 * ```
 */
export const BRAIN_LIFECYCLE = Object.freeze({
  /** short → medium: older than this … */
  shortToMediumAgeMs: DAY,
  /** … and cited at least this often, or of at least this quality, or verified. */
  shortToMediumCitations: 3,
  shortToMediumQuality: 0.7,
  /** medium → long: older than this, and cited at least this often or verified. */
  mediumToLongAgeMs: 7 * DAY,
  mediumToLongCitations: 5,
  /** Soft eviction: short tier, unverified, older than this, quality below this. */
  evictAgeMs: 7 * DAY,
  evictQualityBelow: 0.5,
  /** Learnings not updated for this long lose confidence … */
  decayAfterMs: 30 * DAY,
  /** … by this factor per further day. */
  decayPerDay: 0.995,
})

/** What the tier rules look at. */
export interface BrainTierFacts {
  readonly tier: BrainMemoryTier
  /** Epoch ms. */
  readonly createdAt: number
  readonly citationCount: number
  readonly qualityScore: number | null
  readonly verified: boolean
}

/**
 * The tier a memory should move to at `now`, with the reason, or null when it stays.
 * One step at a time (short → medium → long).
 *
 * @example
 * ```ts
 * nextBrainTier({ tier: 'short', createdAt: 0, citationCount: 3, qualityScore: null, verified: false }, 2 * 86_400_000)
 * // { tier: 'medium', reason: 'age > 24h and 3 citations' }
 * ```
 */
export function nextBrainTier(facts: BrainTierFacts, now: number): { tier: BrainMemoryTier; reason: string } | null {
  const age = now - facts.createdAt
  const L = BRAIN_LIFECYCLE
  if (facts.tier === 'short' && age > L.shortToMediumAgeMs) {
    if (facts.verified) return { tier: 'medium', reason: 'age > 24h and verified' }
    if (facts.citationCount >= L.shortToMediumCitations) return { tier: 'medium', reason: `age > 24h and ${facts.citationCount} citations` }
    if (facts.qualityScore !== null && facts.qualityScore >= L.shortToMediumQuality) {
      return { tier: 'medium', reason: `age > 24h and quality ${facts.qualityScore}` }
    }
  }
  if (facts.tier === 'medium' && age > L.mediumToLongAgeMs) {
    if (facts.verified) return { tier: 'long', reason: 'age > 7d and verified' }
    if (facts.citationCount >= L.mediumToLongCitations) return { tier: 'long', reason: `age > 7d and ${facts.citationCount} citations` }
  }
  return null
}

/**
 * The final tier after applying {@link nextBrainTier} until it settles, or null when the
 * memory stays where it is.
 *
 * @example
 * ```ts
 * promotedBrainTier({ tier: 'short', createdAt: 0, citationCount: 5, qualityScore: null, verified: false }, 8 * 86_400_000)?.tier // 'long'
 * ```
 */
export function promotedBrainTier(facts: BrainTierFacts, now: number): { tier: BrainMemoryTier; reason: string } | null {
  let current = facts
  let last: { tier: BrainMemoryTier; reason: string } | null = null
  for (let step = 0; step < 2; step++) {
    const next = nextBrainTier(current, now)
    if (next === null) break
    last = next
    current = { ...current, tier: next.tier }
  }
  return last
}

/**
 * True when a memory should be softly evicted (invalidated) at `now`: short tier,
 * unverified, older than 7 days, and of known quality below 0.5.
 *
 * @example
 * ```ts
 * shouldEvictMemory({ tier: 'short', createdAt: 0, citationCount: 0, qualityScore: 0.2, verified: false }, 8 * 86_400_000) // true
 * ```
 */
export function shouldEvictMemory(facts: BrainTierFacts, now: number): boolean {
  const L = BRAIN_LIFECYCLE
  return (
    facts.tier === 'short' &&
    !facts.verified &&
    now - facts.createdAt > L.evictAgeMs &&
    facts.qualityScore !== null &&
    facts.qualityScore < L.evictQualityBelow
  )
}

/**
 * Decays a learning's confidence by 0.995 per day beyond 30 days without update,
 * counting only days not decayed before (`decayedAt`): applying it at t1 then t2
 * equals applying it once at t2. Returns null when nothing changes.
 *
 * @example
 * ```ts
 * decayLearningConfidence({ confidence: 0.8, updatedAt: 0, decayedAt: null }, 40 * 86_400_000)
 * // { confidence: 0.8 * 0.995 ** 10, decayedAt: 3456000000 }
 * ```
 */
export function decayLearningConfidence(
  state: { readonly confidence: number; readonly updatedAt: number; readonly decayedAt: number | null },
  now: number,
): { confidence: number; decayedAt: number } | null {
  const L = BRAIN_LIFECYCLE
  const from = Math.max(state.updatedAt + L.decayAfterMs, state.decayedAt ?? -Infinity)
  if (now <= from) return null
  const days = (now - from) / DAY
  const confidence = Math.min(1, Math.max(0, state.confidence * L.decayPerDay ** days))
  return { confidence, decayedAt: now }
}
