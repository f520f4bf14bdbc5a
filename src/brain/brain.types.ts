/**
 * Domain objects of brain.db, as the repository returns them: camelCase, booleans
 * restored, JSON columns parsed, timestamps as ISO-8601 UTC strings.
 *
 * @module
 */
import type { BrainDecisionPatchInput, BrainDecisionRecordInput, BrainLearningPatchInput, BrainLearningRecordInput, BrainObservationPatchInput, BrainObservationRecordInput, BrainPatternPatchInput, BrainPatternRecordInput } from './brain.input.types.js'

import type {
  BRAIN_DECISION_CONFIDENCES,
  BRAIN_DECISION_OUTCOMES,
  BRAIN_DECISION_TYPES,
  BRAIN_OBSERVATION_SOURCE_TYPES,
  BRAIN_OBSERVATION_TYPES,
  BRAIN_PATTERN_IMPACTS,
  BRAIN_PATTERN_TYPES,
  BRAIN_STICKY_COLORS,
  BRAIN_STICKY_PRIORITIES,
  BRAIN_STICKY_STATUSES,
} from './brain.enums.js'
import type { BrainEntryKind, BrainMemoryKind } from './memory-kinds.js'
import type { BrainMemoryTier, BrainMemoryType, BrainSourceConfidence, BrainLinkType } from './brain.enums.js'
export type { BrainMemoryTier, BrainMemoryType, BrainSourceConfidence, BrainLinkType } from './brain.enums.js'

/** What every memory kind carries. */
export interface BrainMemoryBase<K extends BrainMemoryKind> {
  readonly kind: K
  /** UUIDv7, unique across kinds. */
  readonly id: string
  /** 0–1, or null when unknown. */
  readonly qualityScore: number | null
  readonly tier: BrainMemoryTier
  readonly memoryType: BrainMemoryType
  readonly verified: boolean
  readonly sourceConfidence: BrainSourceConfidence
  /** How often the memory was recorded again (deduplicated) or cited. */
  readonly citationCount: number
  /** When it became true. */
  readonly validAt: string
  /** When it stopped being true, or null while it holds. */
  readonly invalidAt: string | null
  /** The memory that replaced it. */
  readonly supersededBy: string | null
  readonly tierPromotedAt: string | null
  readonly tierPromotionReason: string | null
  /** SHA-256 (hex) of the normalised primary text; the dedup key. */
  readonly contentHash: string
  readonly idempotencyKey: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

/** A recorded decision. */
export interface BrainDecision extends BrainMemoryBase<'decision'> {
  readonly type: (typeof BRAIN_DECISION_TYPES)[number]
  readonly decision: string
  readonly rationale: string
  readonly confidence: (typeof BRAIN_DECISION_CONFIDENCES)[number]
  readonly outcome: (typeof BRAIN_DECISION_OUTCOMES)[number] | null
  readonly alternatives: readonly string[]
  /** Soft reference to a tasks.db epic. */
  readonly contextEpicId: string | null
  /** Soft reference to a tasks.db task. */
  readonly contextTaskId: string | null
  readonly contextPhase: string | null
}

/** A detected pattern. */
export interface BrainPattern extends BrainMemoryBase<'pattern'> {
  readonly type: (typeof BRAIN_PATTERN_TYPES)[number]
  readonly pattern: string
  readonly context: string
  /** Times the pattern was seen (bumped when it is recorded again). */
  readonly frequency: number
  readonly successRate: number | null
  readonly impact: (typeof BRAIN_PATTERN_IMPACTS)[number] | null
  readonly antiPattern: string | null
  readonly mitigation: string | null
  readonly examples: readonly string[]
}

/** A lesson learned. */
export interface BrainLearning extends BrainMemoryBase<'learning'> {
  readonly insight: string
  readonly source: string
  /** 0–1; decays while the learning is not updated (see `maintain()`). */
  readonly confidence: number
  readonly actionable: boolean
  readonly application: string | null
  readonly applicableTypes: readonly string[]
}

/** A raw observation from an agent session. */
export interface BrainObservation extends BrainMemoryBase<'observation'> {
  readonly type: (typeof BRAIN_OBSERVATION_TYPES)[number]
  readonly title: string
  readonly subtitle: string | null
  readonly narrative: string | null
  readonly facts: readonly string[]
  readonly concepts: readonly string[]
  readonly filesRead: readonly string[]
  readonly filesModified: readonly string[]
  readonly project: string | null
  /** Soft reference to a tasks.db session. */
  readonly sourceSessionId: string | null
  readonly sourceType: (typeof BRAIN_OBSERVATION_SOURCE_TYPES)[number]
  readonly agent: string | null
  readonly discoveryTokens: number | null
}

/** Any typed memory. */
export type BrainMemory = BrainDecision | BrainPattern | BrainLearning | BrainObservation

/** The memory type of a kind. */
export type BrainMemoryOf<K extends BrainMemoryKind> = Extract<BrainMemory, { kind: K }>

/** A sticky note: quick capture before classification. */
export interface BrainStickyNote {
  readonly kind: 'sticky'
  readonly id: string
  readonly content: string
  readonly tags: readonly string[]
  readonly status: (typeof BRAIN_STICKY_STATUSES)[number]
  /** The memory it was converted to. */
  readonly convertedTo: { readonly kind: BrainMemoryKind; readonly id: string } | null
  readonly color: (typeof BRAIN_STICKY_COLORS)[number] | null
  readonly priority: (typeof BRAIN_STICKY_PRIORITIES)[number] | null
  readonly contentHash: string
  readonly idempotencyKey: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

/** Anything search can return: a memory or a sticky note. */
export type BrainEntry = BrainMemory | BrainStickyNote

/** The input of `brain.record(…)` (before defaults). */
export type BrainMemoryInputOf<K extends BrainMemoryKind> = {
  decision: BrainDecisionRecordInput
  pattern: BrainPatternRecordInput
  learning: BrainLearningRecordInput
  observation: BrainObservationRecordInput
}[K]

/** The patch of `brain.update(id, …)`. */
export type BrainMemoryPatchOf<K extends BrainMemoryKind> = {
  decision: BrainDecisionPatchInput
  pattern: BrainPatternPatchInput
  learning: BrainLearningPatchInput
  observation: BrainObservationPatchInput
}[K]

/** What `record` did. */
export interface BrainRecordResult<T> {
  /** The stored memory (the existing one for a duplicate or a replay). */
  readonly memory: T
  /**
   * `created`: a new row; `duplicate`: the same normalised text of this kind is
   * already valid — its citation count was bumped; `replayed`: the idempotency key
   * was seen before — nothing was written.
   */
  readonly outcome: 'created' | 'duplicate' | 'replayed'
  /**
   * `stored`: its vector was written; `queued`: it waits for `reindex()` (no
   * embedder, or the embedder failed); `none`: nothing to embed (no vector table,
   * a duplicate or replay, or text with no features).
   */
  readonly embedding: 'stored' | 'queued' | 'none'
}

/** A memory ↔ task link. */
export interface BrainMemoryLink {
  readonly memoryKind: BrainMemoryKind
  readonly memoryId: string
  /** Soft reference to a tasks.db task. */
  readonly taskId: string
  readonly linkType: BrainLinkType
  readonly createdAt: string
}

/** One page of `brain.list(…)`. */
export interface BrainPage<T> {
  readonly items: readonly T[]
  /** Pass as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null
}

/** One signal's view of a search hit. */
export interface BrainSignalScore {
  /** Normalised to 0–1 (higher is better). */
  readonly score: number
  /** 1-based rank among this signal's valid candidates. */
  readonly rank: number
  /** The raw value: BM25 (lower is better) or cosine distance (0 = same direction). */
  readonly raw: number
}

/**
 * The entry type of a kind: a memory of that kind, or a sticky note.
 *
 * @example
 * ```ts
 * const note: BrainEntryOf<'sticky'> = hit.entry as BrainEntryOf<'sticky'> // BrainStickyNote
 * ```
 */
export type BrainEntryOf<K extends BrainEntryKind> = Extract<BrainEntry, { readonly kind: K }>

/**
 * A search result whose entry is of kind `K`.
 *
 * @example
 * ```ts
 * const hit: BrainSearchHitOf<'decision'> = …
 * hit.entry.rationale // string
 * ```
 */
export interface BrainSearchHitOf<K extends BrainEntryKind> {
  readonly kind: K
  readonly id: string
  /** The fused score (or the single signal's score); results are sorted by it, descending. */
  readonly score: number
  /** Per-signal scores; null when the signal did not find the entry (or was not run). */
  readonly signals: { readonly fts: BrainSignalScore | null; readonly vector: BrainSignalScore | null }
  readonly entry: BrainEntryOf<K>
}

/**
 * A search result: a union over the entry kinds, so checking `hit.kind` narrows
 * `hit.entry`.
 *
 * @example
 * ```ts
 * for (const hit of await brain.search('wal')) {
 *   if (hit.kind === 'decision') console.log(hit.entry.rationale)
 *   else if (hit.kind === 'sticky') console.log(hit.entry.content)
 * }
 * ```
 */
export type BrainSearchHit = { [K in BrainEntryKind]: BrainSearchHitOf<K> }[BrainEntryKind]

/** Result of `brain.reindex(…)`. */
export interface BrainReindexReport {
  /** Vectors written. */
  readonly embedded: number
  /** Entries whose embedding failed (kept queued with the error). */
  readonly failed: number
  /** Entries dropped from the queue without a vector (no text features). */
  readonly skipped: number
  /** Entries still queued afterwards. */
  readonly remaining: number
}

/** State of the vector index. */
export interface BrainEmbeddingStatus {
  /** True when an embedder is configured on this handle. */
  readonly embedder: boolean
  /** The model id recorded in the store, if any. */
  readonly modelId: string | null
  /** The dimension recorded in the store, or null before the vector table exists. */
  readonly dimensions: number | null
  /** Vectors stored. */
  readonly vectors: number
  /** Entries waiting for `reindex()`. */
  readonly queued: number
  /**
   * Why sqlite-vec (an optional dependency) is not loaded — vector and hybrid search
   * and `reindex()` are then `UNSUPPORTED` — or null when it is.
   */
  readonly sqliteVecMissing: string | null
}

/** One tier change made (or proposed) by `maintain()`. */
export interface BrainTierChange {
  readonly kind: BrainMemoryKind
  readonly id: string
  readonly from: BrainMemoryTier
  readonly to: BrainMemoryTier
  readonly reason: string
}

/** Result of `brain.maintain(…)`. */
export interface BrainMaintenanceReport {
  readonly promoted: readonly BrainTierChange[]
  readonly decayed: ReadonlyArray<{ readonly id: string; readonly from: number; readonly to: number }>
  /** Memories invalidated by soft eviction (short tier, old, unverified, low quality). */
  readonly evicted: ReadonlyArray<{ readonly kind: BrainMemoryKind; readonly id: string }>
  /** Vectors whose memory no longer exists, removed. */
  readonly orphanVectorsRemoved: number
  /**
   * References to tasks and sessions tasks.db no longer has, reconciled (links
   * removed, decision contexts and observation sessions nulled) — null when brain
   * cannot see tasks (a repository opened on its own).
   */
  readonly orphanedRefs: BrainReconcileReport | null
  readonly dryRun: boolean
}

/** Result of `brain.reconcileOrphanedRefs(…)`. */
export interface BrainReconcileReport {
  /** Decisions whose unknown context task/epic id was nulled. */
  readonly decisionsFixed: number
  /** Observations whose unknown session id was nulled. */
  readonly observationsFixed: number
  /** Links to unknown tasks removed. */
  readonly linksRemoved: number
}

/**
 * Returns every task id and session id that exists in tasks.db: given by a workspace
 * so `brain.maintain()` can reconcile orphaned references.
 *
 * @example
 * ```ts
 * const known: BrainKnownReferences = async () => ({ taskIds: ['T1'], sessionIds: [] })
 * ```
 */
export type BrainKnownReferences = () => Promise<{ readonly taskIds: readonly string[]; readonly sessionIds: readonly string[] }>
