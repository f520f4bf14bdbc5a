/**
 * Pure ranking functions of brain search: per-signal normalisation and the two
 * hybrid fusions.
 *
 * - FTS: BM25 (FTS5's `rank`, lower is better) → `score = bm25 / best bm25` over
 *   the candidates, so the best full-text match scores 1 and the others keep their
 *   proportion to it.
 * - Vector: cosine distance → `score = clamp(1 − distance, 0, 1)` (cosine
 *   similarity; opposite directions score 0).
 * - `score` fusion (default): `(max(f, v) + 0.3 · min(f, v)) / 1.3`, a signal that
 *   did not find the entry counting 0. The strongest signal decides, agreement
 *   adds a bonus. basic-memory moved to this form after RRF "compressed all fused
 *   scores to ~0.016, destroying ranking differentiation".
 * - `rrf`: reciprocal-rank fusion, `Σ 1 / (60 + rank)` with 1-based ranks. Scores
 *   are small and close together by construction; use it when the signals' scores
 *   are not comparable.
 *
 * Ties break on the better single-signal rank, then on the id — never on the kind
 * or the table an entry came from.
 *
 * @module
 */
import type { BrainSignalScore } from './brain.types.js'

/** One candidate of one signal, best first. */
export interface BrainSignalCandidate {
  readonly id: string
  /** BM25 (negative, lower is better) or cosine distance (0..2, lower is better). */
  readonly raw: number
}

/** A fused candidate. */
export interface BrainFusedCandidate {
  readonly id: string
  readonly score: number
  readonly fts: BrainSignalScore | null
  readonly vector: BrainSignalScore | null
}

/** `k` of reciprocal-rank fusion. */
export const BRAIN_RRF_K = 60
/** Weight of the weaker signal in `score` fusion. */
export const BRAIN_SCORE_FUSION_WEIGHT = 0.3

/** Best first: lower raw value, then id (so ties never follow table or kind order). */
function ordered(candidates: readonly BrainSignalCandidate[]): BrainSignalCandidate[] {
  return [...candidates].sort((a, b) => a.raw - b.raw || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/**
 * FTS signal scores: `bm25 / best bm25` (best → 1); ranks are 1-based, best
 * (lowest BM25) first, ties by id.
 *
 * @example
 * ```ts
 * brainFtsSignal([{ id: 'a', raw: -4 }, { id: 'b', raw: -1 }]).get('b') // { score: 0.25, rank: 2, raw: -1 }
 * ```
 */
export function brainFtsSignal(candidates: readonly BrainSignalCandidate[]): Map<string, BrainSignalScore> {
  let best = 0
  for (const c of candidates) best = Math.max(best, -c.raw)
  const out = new Map<string, BrainSignalScore>()
  ordered(candidates).forEach((c, i) => {
    const score = best > 0 ? Math.min(1, Math.max(0, -c.raw / best)) : 1
    out.set(c.id, { score, rank: i + 1, raw: c.raw })
  })
  return out
}

/**
 * Vector signal scores: cosine similarity `1 − distance`, clamped to 0..1; ranks
 * 1-based, nearest first, ties by id.
 *
 * @example
 * ```ts
 * brainVectorSignal([{ id: 'a', raw: 0.2 }]).get('a') // { score: 0.8, rank: 1, raw: 0.2 }
 * ```
 */
export function brainVectorSignal(candidates: readonly BrainSignalCandidate[]): Map<string, BrainSignalScore> {
  const out = new Map<string, BrainSignalScore>()
  ordered(candidates).forEach((c, i) => {
    out.set(c.id, { score: Math.min(1, Math.max(0, 1 - c.raw)), rank: i + 1, raw: c.raw })
  })
  return out
}

function compare(a: BrainFusedCandidate, b: BrainFusedCandidate): number {
  if (a.score !== b.score) return b.score - a.score
  const ra = Math.min(a.fts?.rank ?? Infinity, a.vector?.rank ?? Infinity)
  const rb = Math.min(b.fts?.rank ?? Infinity, b.vector?.rank ?? Infinity)
  if (ra !== rb) return ra - rb
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/**
 * Fuses the two signals (either may be empty) and sorts best first.
 *
 * @example
 * ```ts
 * const fused = fuseBrainSignals(brainFtsSignal(fts), brainVectorSignal(vec), 'score')
 * fused[0] // { id, score, fts: {…} | null, vector: {…} | null }
 * ```
 */
export function fuseBrainSignals(
  fts: ReadonlyMap<string, BrainSignalScore>,
  vector: ReadonlyMap<string, BrainSignalScore>,
  fusion: 'score' | 'rrf',
): BrainFusedCandidate[] {
  const ids = new Set<string>([...fts.keys(), ...vector.keys()])
  const out: BrainFusedCandidate[] = []
  for (const id of ids) {
    const f = fts.get(id) ?? null
    const v = vector.get(id) ?? null
    let score: number
    if (fusion === 'rrf') {
      score = (f ? 1 / (BRAIN_RRF_K + f.rank) : 0) + (v ? 1 / (BRAIN_RRF_K + v.rank) : 0)
    } else {
      const a = f?.score ?? 0
      const b = v?.score ?? 0
      score = (Math.max(a, b) + BRAIN_SCORE_FUSION_WEIGHT * Math.min(a, b)) / (1 + BRAIN_SCORE_FUSION_WEIGHT)
    }
    out.push({ id, score, fts: f, vector: v })
  }
  return out.sort(compare)
}

/**
 * One signal alone, as a ranking (the score is the signal's own score).
 *
 * @example
 * ```ts
 * brainSingleSignal(brainFtsSignal(fts), 'fts')[0].fts?.rank // 1
 * ```
 */
export function brainSingleSignal(signal: ReadonlyMap<string, BrainSignalScore>, which: 'fts' | 'vector'): BrainFusedCandidate[] {
  const out: BrainFusedCandidate[] = []
  for (const [id, s] of signal) {
    out.push(which === 'fts' ? { id, score: s.score, fts: s, vector: null } : { id, score: s.score, fts: null, vector: s })
  }
  return out.sort((a, b) => {
    const ra = (a.fts ?? a.vector)!.rank
    const rb = (b.fts ?? b.vector)!.rank
    return ra - rb
  })
}
