/**
 * zod schemas of every public brain input (and of its JSON columns), with the enums
 * the migration's CHECK constraints mirror (a test inserts every value and a bogus
 * one through raw SQL).
 *
 * @example
 * ```ts
 * import { BrainSearchOptions } from 'cleo-store'
 * BrainSearchOptions.parse({ limit: 5 }) // { limit: 5, validOnly: true, fusion: 'score' }
 * ```
 *
 * @module
 */
import { z } from 'zod'

import { timeInput } from '../sqlite/time-input.js'

import { BRAIN_ENTRY_KINDS, BRAIN_MEMORY_KINDS } from './memory-kinds.js'
import { BRAIN_MEMORY_TIERS, BRAIN_MEMORY_TYPES, BRAIN_SOURCE_CONFIDENCES, BRAIN_DECISION_TYPES, BRAIN_DECISION_CONFIDENCES, BRAIN_DECISION_OUTCOMES, BRAIN_PATTERN_TYPES, BRAIN_PATTERN_IMPACTS, BRAIN_OBSERVATION_TYPES, BRAIN_OBSERVATION_SOURCE_TYPES, BRAIN_STICKY_STATUSES, BRAIN_STICKY_COLORS, BRAIN_STICKY_PRIORITIES, BRAIN_LINK_TYPES, BRAIN_SEARCH_MODES, BRAIN_SEARCH_FUSIONS, BRAIN_MAX_TEXT } from './brain.enums.js'
export { BRAIN_MEMORY_TIERS, BRAIN_MEMORY_TYPES, BRAIN_SOURCE_CONFIDENCES, BRAIN_DECISION_TYPES, BRAIN_DECISION_CONFIDENCES, BRAIN_DECISION_OUTCOMES, BRAIN_PATTERN_TYPES, BRAIN_PATTERN_IMPACTS, BRAIN_OBSERVATION_TYPES, BRAIN_OBSERVATION_SOURCE_TYPES, BRAIN_STICKY_STATUSES, BRAIN_STICKY_COLORS, BRAIN_STICKY_PRIORITIES, BRAIN_LINK_TYPES, BRAIN_SEARCH_MODES, BRAIN_SEARCH_FUSIONS, BRAIN_MAX_TEXT } from './brain.enums.js'

const MAX_SHORT = 10_000
const MAX_LIST = 1_000

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Any well-formed Unicode text up to `max` code units (may be blank). */
function text(max = BRAIN_MAX_TEXT) {
  return z
    .string()
    .max(max)
    .refine((s) => !LONE_SURROGATE.test(s), 'must be well-formed Unicode (no lone surrogate)')
}

/** Text with at least one non-whitespace character. */
function requiredText(max = BRAIN_MAX_TEXT) {
  return text(max).refine((s) => s.trim().length > 0, 'must not be empty')
}

const stringList = z.array(text(MAX_SHORT)).max(MAX_LIST)
const optionalText = text().nullable().optional()
const reference = z.string().min(1).max(64)

/**
 * A point in time: epoch milliseconds, an ISO-8601 string with offset, or a `Date`.
 * Parsed to epoch milliseconds.
 */
export const BrainTimestampInput = timeInput

/** A memory id (UUIDv7 as issued by the store). */
export const BrainMemoryId = z.string().min(1).max(64)

/** Fields every memory kind accepts on record. */
const commonInput = {
  /** 0–1, or null when unknown. */
  qualityScore: z.number().min(0).max(1).nullable().optional(),
  tier: z.enum(BRAIN_MEMORY_TIERS).optional(),
  memoryType: z.enum(BRAIN_MEMORY_TYPES).optional(),
  verified: z.boolean().optional(),
  sourceConfidence: z.enum(BRAIN_SOURCE_CONFIDENCES).optional(),
  /** When the memory became true (default: now). */
  validAt: BrainTimestampInput.optional(),
  /** A retry with the same key returns the first result instead of writing again. */
  idempotencyKey: z.string().min(1).max(200).optional(),
}

/** Fields every memory kind accepts on update. */
const commonPatch = {
  qualityScore: z.number().min(0).max(1).nullable().optional(),
  tier: z.enum(BRAIN_MEMORY_TIERS).optional(),
  memoryType: z.enum(BRAIN_MEMORY_TYPES).optional(),
  verified: z.boolean().optional(),
  sourceConfidence: z.enum(BRAIN_SOURCE_CONFIDENCES).optional(),
  validAt: BrainTimestampInput.optional(),
}

const decisionFields = {
  type: z.enum(BRAIN_DECISION_TYPES),
  decision: requiredText(),
  rationale: text(),
  confidence: z.enum(BRAIN_DECISION_CONFIDENCES),
  outcome: z.enum(BRAIN_DECISION_OUTCOMES).nullable().optional(),
  alternatives: stringList.optional(),
  contextEpicId: reference.nullable().optional(),
  contextTaskId: reference.nullable().optional(),
  contextPhase: text(MAX_SHORT).nullable().optional(),
}

const patternFields = {
  type: z.enum(BRAIN_PATTERN_TYPES),
  pattern: requiredText(),
  context: text(),
  frequency: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  successRate: z.number().min(0).max(1).nullable().optional(),
  impact: z.enum(BRAIN_PATTERN_IMPACTS).nullable().optional(),
  antiPattern: optionalText,
  mitigation: optionalText,
  examples: stringList.optional(),
}

const learningFields = {
  insight: requiredText(),
  source: text(),
  confidence: z.number().min(0).max(1),
  actionable: z.boolean().optional(),
  application: optionalText,
  applicableTypes: stringList.optional(),
}

const observationFields = {
  type: z.enum(BRAIN_OBSERVATION_TYPES).optional(),
  title: requiredText(MAX_SHORT),
  subtitle: text(MAX_SHORT).nullable().optional(),
  narrative: optionalText,
  facts: stringList.optional(),
  concepts: stringList.optional(),
  filesRead: stringList.optional(),
  filesModified: stringList.optional(),
  project: text(MAX_SHORT).nullable().optional(),
  sourceSessionId: reference.nullable().optional(),
  sourceType: z.enum(BRAIN_OBSERVATION_SOURCE_TYPES).optional(),
  agent: text(MAX_SHORT).nullable().optional(),
  discoveryTokens: z.number().int().min(0).nullable().optional(),
}

/** Input of `brain.record({ kind: 'decision', … })`. */
export const BrainDecisionInput = z.strictObject({ kind: z.literal('decision'), ...decisionFields, ...commonInput })
/** Input of `brain.record({ kind: 'pattern', … })`. */
export const BrainPatternInput = z.strictObject({ kind: z.literal('pattern'), ...patternFields, ...commonInput })
/** Input of `brain.record({ kind: 'learning', … })`. */
export const BrainLearningInput = z.strictObject({ kind: z.literal('learning'), ...learningFields, ...commonInput })
/** Input of `brain.record({ kind: 'observation', … })`. */
export const BrainObservationInput = z.strictObject({ kind: z.literal('observation'), ...observationFields, ...commonInput })

/**
 * Input of `brain.record(…)`: one memory of any kind, discriminated by `kind`.
 *
 * @example
 * ```ts
 * BrainMemoryInput.parse({ kind: 'learning', insight: 'Retry on BUSY', source: 'T12', confidence: 0.8 })
 * ```
 */
export const BrainMemoryInput = z.discriminatedUnion('kind', [
  BrainDecisionInput,
  BrainPatternInput,
  BrainLearningInput,
  BrainObservationInput,
])

/** Input of `brain.recordMany(…)`: 1 to 1 000 memories. */
export const BrainMemoryInputs = z.array(BrainMemoryInput).min(1).max(1000)

function partial<T extends Record<string, z.ZodType>>(fields: T): { [K in keyof T]: z.ZodOptional<T[K]> } {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.optional()])) as {
    [K in keyof T]: z.ZodOptional<T[K]>
  }
}

/** Patch of a decision (`brain.update(id, { kind: 'decision', … })`). */
export const BrainDecisionPatch = z.strictObject({ kind: z.literal('decision'), ...partial(decisionFields), ...commonPatch })
/** Patch of a pattern. */
export const BrainPatternPatch = z.strictObject({ kind: z.literal('pattern'), ...partial(patternFields), ...commonPatch })
/** Patch of a learning. */
export const BrainLearningPatch = z.strictObject({ kind: z.literal('learning'), ...partial(learningFields), ...commonPatch })
/** Patch of an observation. */
export const BrainObservationPatch = z.strictObject({
  kind: z.literal('observation'),
  ...partial(observationFields),
  ...commonPatch,
})

/** Patch of `brain.update(id, patch)`; `kind` must be the memory's kind. */
export const BrainMemoryPatch = z.discriminatedUnion('kind', [
  BrainDecisionPatch,
  BrainPatternPatch,
  BrainLearningPatch,
  BrainObservationPatch,
])

/** Options of `brain.invalidate(id, options)`. */
export const BrainInvalidateOptions = z.strictObject({
  /** The memory (any kind) that replaces this one. */
  supersededBy: BrainMemoryId.optional(),
  /** When it stopped being true (default: now). */
  at: BrainTimestampInput.optional(),
})

/** Options of `brain.list(options)`. */
export const BrainListOptions = z.strictObject({
  kinds: z.array(z.enum(BRAIN_MEMORY_KINDS)).min(1).optional(),
  /** Only memories valid at `at` (default true). */
  validOnly: z.boolean().default(true),
  at: BrainTimestampInput.optional(),
  tier: z.enum(BRAIN_MEMORY_TIERS).optional(),
  limit: z.number().int().min(1).max(1000).default(50),
  /** The `nextCursor` of the previous page. */
  cursor: z.string().min(1).max(64).optional(),
})

/** Options of `brain.search(query, options)`. */
export const BrainSearchOptions = z.strictObject({
  /** Entry kinds to search (default: every kind, sticky notes included). */
  kinds: z.array(z.enum(BRAIN_ENTRY_KINDS)).min(1).optional(),
  limit: z.number().int().min(1).max(200).default(10),
  /** Leave out invalidated memories and inactive sticky notes (default true). */
  validOnly: z.boolean().default(true),
  /** The time validity is judged at (default: now). */
  at: BrainTimestampInput.optional(),
  /** Default: `hybrid` when an embedder is configured, else `fts`. */
  mode: z.enum(BRAIN_SEARCH_MODES).optional(),
  /** How hybrid mode combines the signals (default `score`). */
  fusion: z.enum(BRAIN_SEARCH_FUSIONS).default('score'),
  /**
   * Leave out hits whose `score` is below this (0–1; default: keep every hit). An
   * empty result then means "nothing relevant". What a score means depends on the
   * mode: `vector` — cosine similarity; `fts` — BM25 relative to the best full-text
   * hit (the best scores 1); `hybrid` — the fusion (see docs/brain-search-and-embedders.md).
   */
  minScore: z.number().min(0).max(1).optional(),
})

/** The search query: any text (no FTS syntax is ever interpreted). */
export const BrainSearchQuery = text(MAX_SHORT)

/** Input of `brain.stickyNotes.add(…)`. */
export const BrainStickyNoteInput = z.strictObject({
  content: requiredText(),
  tags: stringList.optional(),
  color: z.enum(BRAIN_STICKY_COLORS).nullable().optional(),
  priority: z.enum(BRAIN_STICKY_PRIORITIES).nullable().optional(),
  idempotencyKey: z.string().min(1).max(200).optional(),
})

/** Patch of `brain.stickyNotes.update(id, …)`. */
export const BrainStickyNotePatch = z.strictObject({
  content: requiredText().optional(),
  tags: stringList.optional(),
  color: z.enum(BRAIN_STICKY_COLORS).nullable().optional(),
  priority: z.enum(BRAIN_STICKY_PRIORITIES).nullable().optional(),
})

/** Options of `brain.stickyNotes.list(…)`. */
export const BrainStickyNoteListOptions = z.strictObject({
  status: z.enum(BRAIN_STICKY_STATUSES).default('active'),
  limit: z.number().int().min(1).max(1000).default(50),
  cursor: z.string().min(1).max(64).optional(),
})

/** Input of `brain.links.add(…)`. */
export const BrainMemoryLinkInput = z.strictObject({
  memoryId: BrainMemoryId,
  taskId: reference,
  linkType: z.enum(BRAIN_LINK_TYPES),
})

/** Options of `brain.reindex(…)`. */
export const BrainReindexOptions = z.strictObject({
  /** Memories embedded per `embed()` call (default 64). */
  batchSize: z.number().int().min(1).max(4096).default(64),
  /** Called after every batch. */
  onProgress: z.custom<(progress: { done: number; failed: number; total: number }) => void>((v) => typeof v === 'function').optional(),
})

/** Options of `brain.maintain(…)`. */
export const BrainMaintainOptions = z.strictObject({
  /** The time rules are judged at (default: now). */
  at: BrainTimestampInput.optional(),
  /** Report what would change without writing (default false). */
  dryRun: z.boolean().default(false),
})

/** Options of `brain.reconcileOrphanedRefs(…)`. */
export const BrainReconcileOptions = z.strictObject({
  /** Session ids that exist in tasks.db; when given, unknown `source_session_id`s are nulled too. */
  existingSessionIds: z.array(reference).optional(),
})

/** JSON columns holding a list of strings. */
export const BrainStringListColumn = z.array(z.string())
