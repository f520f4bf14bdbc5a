/**
 * Plain types of every brain.db input (what `brain.schemas.ts` accepts, before defaults). The root
 * module's types come from here, not from zod; `test/types/brain.types.test-d.ts` keeps each one equal
 * to its schema.
 *
 * @module
 */
import type { BrainLinkType, BrainMemoryTier, BrainMemoryType, BrainSourceConfidence } from './brain.enums.js'
import type { BrainEntryKind, BrainMemoryKind } from './memory-kinds.js'
import type { TimeInput } from '../sqlite/time-input.types.js'

/** Input of `brain.record({ kind: 'decision', … })`. */
export interface BrainDecisionRecordInput {
  type: 'architecture' | 'technical' | 'process' | 'strategic' | 'tactical'
  decision: string
  rationale: string
  confidence: 'high' | 'medium' | 'low'
  kind: 'decision'
  /** 0–1, or null when unknown. */
  qualityScore?: number | undefined | null
  tier?: BrainMemoryTier | undefined
  memoryType?: BrainMemoryType | undefined
  verified?: boolean | undefined
  sourceConfidence?: BrainSourceConfidence | undefined
  /** When the memory became true (default: now). */
  validAt?: TimeInput | undefined
  /** A retry with the same key returns the first result instead of writing again. */
  idempotencyKey?: string | undefined
  outcome?: 'pending' | 'mixed' | 'success' | 'failure' | undefined | null
  alternatives?: string[] | undefined
  contextEpicId?: string | undefined | null
  contextTaskId?: string | undefined | null
  contextPhase?: string | undefined | null
}

/** Input of `brain.record({ kind: 'pattern', … })`. */
export interface BrainPatternRecordInput {
  type: 'success' | 'failure' | 'workflow' | 'blocker' | 'optimization'
  pattern: string
  context: string
  kind: 'pattern'
  /** 0–1, or null when unknown. */
  qualityScore?: number | undefined | null
  tier?: BrainMemoryTier | undefined
  memoryType?: BrainMemoryType | undefined
  verified?: boolean | undefined
  sourceConfidence?: BrainSourceConfidence | undefined
  /** When the memory became true (default: now). */
  validAt?: TimeInput | undefined
  /** A retry with the same key returns the first result instead of writing again. */
  idempotencyKey?: string | undefined
  frequency?: number | undefined
  successRate?: number | undefined | null
  impact?: 'high' | 'medium' | 'low' | undefined | null
  antiPattern?: string | undefined | null
  mitigation?: string | undefined | null
  examples?: string[] | undefined
}

/** Input of `brain.record({ kind: 'learning', … })`. */
export interface BrainLearningRecordInput {
  insight: string
  source: string
  confidence: number
  kind: 'learning'
  /** 0–1, or null when unknown. */
  qualityScore?: number | undefined | null
  tier?: BrainMemoryTier | undefined
  memoryType?: BrainMemoryType | undefined
  verified?: boolean | undefined
  sourceConfidence?: BrainSourceConfidence | undefined
  /** When the memory became true (default: now). */
  validAt?: TimeInput | undefined
  /** A retry with the same key returns the first result instead of writing again. */
  idempotencyKey?: string | undefined
  actionable?: boolean | undefined
  application?: string | undefined | null
  applicableTypes?: string[] | undefined
}

/** Input of `brain.record({ kind: 'observation', … })`. */
export interface BrainObservationRecordInput {
  title: string
  kind: 'observation'
  /** 0–1, or null when unknown. */
  qualityScore?: number | undefined | null
  tier?: BrainMemoryTier | undefined
  memoryType?: BrainMemoryType | undefined
  verified?: boolean | undefined
  sourceConfidence?: BrainSourceConfidence | undefined
  /** When the memory became true (default: now). */
  validAt?: TimeInput | undefined
  /** A retry with the same key returns the first result instead of writing again. */
  idempotencyKey?: string | undefined
  type?: 'feature' | 'decision' | 'change' | 'discovery' | 'bugfix' | 'refactor' | 'diary' | undefined
  subtitle?: string | undefined | null
  narrative?: string | undefined | null
  facts?: string[] | undefined
  concepts?: string[] | undefined
  filesRead?: string[] | undefined
  filesModified?: string[] | undefined
  project?: string | undefined | null
  sourceSessionId?: string | undefined | null
  sourceType?: 'manual' | 'agent' | 'session-debrief' | 'claude-mem' | undefined
  agent?: string | undefined | null
  discoveryTokens?: number | undefined | null
}

/** Patch of a decision (`brain.update(id, { kind: 'decision', … })`). */
export interface BrainDecisionPatchInput {
  kind: 'decision'
  qualityScore?: number | undefined | null
  tier?: BrainMemoryTier | undefined
  memoryType?: BrainMemoryType | undefined
  verified?: boolean | undefined
  sourceConfidence?: BrainSourceConfidence | undefined
  validAt?: TimeInput | undefined
  type?: 'architecture' | 'technical' | 'process' | 'strategic' | 'tactical' | undefined
  decision?: string | undefined
  rationale?: string | undefined
  confidence?: 'high' | 'medium' | 'low' | undefined
  outcome?: 'pending' | 'mixed' | 'success' | 'failure' | undefined | null
  alternatives?: string[] | undefined
  contextEpicId?: string | undefined | null
  contextTaskId?: string | undefined | null
  contextPhase?: string | undefined | null
}

/** Patch of a pattern. */
export interface BrainPatternPatchInput {
  kind: 'pattern'
  qualityScore?: number | undefined | null
  tier?: BrainMemoryTier | undefined
  memoryType?: BrainMemoryType | undefined
  verified?: boolean | undefined
  sourceConfidence?: BrainSourceConfidence | undefined
  validAt?: TimeInput | undefined
  type?: 'success' | 'failure' | 'workflow' | 'blocker' | 'optimization' | undefined
  pattern?: string | undefined
  context?: string | undefined
  frequency?: number | undefined
  successRate?: number | undefined | null
  impact?: 'high' | 'medium' | 'low' | undefined | null
  antiPattern?: string | undefined | null
  mitigation?: string | undefined | null
  examples?: string[] | undefined
}

/** Patch of a learning. */
export interface BrainLearningPatchInput {
  kind: 'learning'
  qualityScore?: number | undefined | null
  tier?: BrainMemoryTier | undefined
  memoryType?: BrainMemoryType | undefined
  verified?: boolean | undefined
  sourceConfidence?: BrainSourceConfidence | undefined
  validAt?: TimeInput | undefined
  insight?: string | undefined
  source?: string | undefined
  confidence?: number | undefined
  actionable?: boolean | undefined
  application?: string | undefined | null
  applicableTypes?: string[] | undefined
}

/** Patch of an observation. */
export interface BrainObservationPatchInput {
  kind: 'observation'
  qualityScore?: number | undefined | null
  tier?: BrainMemoryTier | undefined
  memoryType?: BrainMemoryType | undefined
  verified?: boolean | undefined
  sourceConfidence?: BrainSourceConfidence | undefined
  validAt?: TimeInput | undefined
  type?: 'feature' | 'decision' | 'change' | 'discovery' | 'bugfix' | 'refactor' | 'diary' | undefined
  title?: string | undefined
  subtitle?: string | undefined | null
  narrative?: string | undefined | null
  facts?: string[] | undefined
  concepts?: string[] | undefined
  filesRead?: string[] | undefined
  filesModified?: string[] | undefined
  project?: string | undefined | null
  sourceSessionId?: string | undefined | null
  sourceType?: 'manual' | 'agent' | 'session-debrief' | 'claude-mem' | undefined
  agent?: string | undefined | null
  discoveryTokens?: number | undefined | null
}

/** Options of `brain.invalidate(id, options)`. */
export interface BrainInvalidateOptionsInput {
  /** The memory (any kind) that replaces this one. */
  supersededBy?: string | undefined
  /** When it stopped being true (default: now). */
  at?: TimeInput | undefined
}

/** Options of `brain.list(options)`. */
export interface BrainListOptionsInput {
  kinds?: (BrainMemoryKind)[] | undefined
  /** Only memories valid at `at` (default true). */
  validOnly?: boolean | undefined
  at?: TimeInput | undefined
  tier?: BrainMemoryTier | undefined
  limit?: number | undefined
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined
}

/** Options of `brain.search(query, options)`. */
export interface BrainSearchOptionsInput {
  /** Entry kinds to search (default: every kind, sticky notes included). */
  kinds?: (BrainEntryKind)[] | undefined
  limit?: number | undefined
  /** Leave out invalidated memories and inactive sticky notes (default true). */
  validOnly?: boolean | undefined
  /** The time validity is judged at (default: now). */
  at?: TimeInput | undefined
  /** Default: `hybrid` when an embedder is configured, else `fts`. */
  mode?: 'fts' | 'vector' | 'hybrid' | undefined
  /** How hybrid mode combines the signals (default `score`). */
  fusion?: 'score' | 'rrf' | undefined
  /**
   * Leave out hits whose `score` is below this (0–1; default: keep every hit). An
   * empty result then means "nothing relevant". What a score means depends on the
   * mode: `vector` — cosine similarity; `fts` — BM25 relative to the best full-text
   * hit (the best scores 1); `hybrid` — the fusion (see docs/brain-search-and-embedders.md).
   */
  minScore?: number | undefined
}

/** Input of `brain.stickyNotes.add(…)`. */
export interface BrainStickyNoteAddInput {
  content: string
  tags?: string[] | undefined
  color?: 'yellow' | 'blue' | 'green' | 'red' | 'purple' | undefined | null
  priority?: 'high' | 'medium' | 'low' | undefined | null
  idempotencyKey?: string | undefined
}

/** Patch of `brain.stickyNotes.update(id, …)`. */
export interface BrainStickyNotePatchInput {
  content?: string | undefined
  tags?: string[] | undefined
  color?: 'yellow' | 'blue' | 'green' | 'red' | 'purple' | undefined | null
  priority?: 'high' | 'medium' | 'low' | undefined | null
}

/** Options of `brain.stickyNotes.list(…)`. */
export interface BrainStickyNoteListOptionsInput {
  status?: 'active' | 'archived' | 'converted' | undefined
  limit?: number | undefined
  cursor?: string | undefined
}

/** Input of `brain.links.add(…)`. */
export interface BrainMemoryLinkAddInput {
  memoryId: string
  taskId: string
  linkType: BrainLinkType
}

/** Options of `brain.reindex(…)`. */
export interface BrainReindexOptionsInput {
  /** Memories embedded per `embed()` call (default 64). */
  batchSize?: number | undefined
  /** Called after every batch. */
  onProgress?: ((progress: { done: number; failed: number; total: number }) => void) | undefined
}

/** Options of `brain.maintain(…)`. */
export interface BrainMaintainOptionsInput {
  /** The time rules are judged at (default: now). */
  at?: TimeInput | undefined
  /** Report what would change without writing (default false). */
  dryRun?: boolean | undefined
}

/** Options of `brain.reconcileOrphanedRefs(…)`. */
export interface BrainReconcileOptionsInput {
  /** Session ids that exist in tasks.db; when given, unknown `source_session_id`s are nulled too. */
  existingSessionIds?: string[] | undefined
}
