/**
 * Rows ↔ domain objects for the four memory kinds: input defaults, patches, the
 * dedup text and hash, the text that is embedded, and the explicit row mapping.
 *
 * @module
 */

import type { Selectable } from 'kysely'

import { toIso, toIsoOrNull } from '../sqlite/clock.js'
import type { ErrorContext } from '../sqlite/errors.js'
import { fromJson, toJson } from '../sqlite/json.js'
import { BrainStringListColumn } from './brain.schemas.js'
import type {
  BrainDecisionsTable,
  BrainLearningsTable,
  BrainMemoryColumns,
  BrainObservationsTable,
  BrainPatternsTable,
  BrainStickyNotesTable,
} from './brain.tables.js'
import type { BrainDecision, BrainLearning, BrainMemoryBase, BrainMemoryOf, BrainObservation, BrainPattern, BrainStickyNote } from './brain.types.js'
import type { BrainMemoryKind } from './memory-kinds.js'
import { contentHash } from './memory-text.js'
export { normalizeText, contentHash } from './memory-text.js'

/** Stored row of each memory kind. */
export interface MemoryRows {
  decision: Selectable<BrainDecisionsTable>
  pattern: Selectable<BrainPatternsTable>
  learning: Selectable<BrainLearningsTable>
  observation: Selectable<BrainObservationsTable>
}

/** A stored row of kind `K`. */
export type MemoryRowOf<K extends BrainMemoryKind> = MemoryRows[K]
/** A stored row of any memory kind. */
export type AnyMemoryRow = MemoryRows[BrainMemoryKind]
/** A row to insert (no seq yet). */
export type NewMemoryRow<K extends BrainMemoryKind> = Omit<MemoryRowOf<K>, 'seq'>

function list(text: string, column: string, context: ErrorContext): string[] {
  return fromJson(text, column, context, BrainStringListColumn)
}

/** A camelCase input field → its column and encoding. */
type FieldMap = Readonly<Record<string, readonly [column: string, encode?: (value: any) => unknown]>>

const bool = (v: boolean) => (v ? 1 : 0)
const nullable = (v: unknown) => v ?? null

/** Shared input fields (record and patch). */
const SHARED_FIELDS: FieldMap = {
  qualityScore: ['quality_score', nullable],
  tier: ['memory_tier'],
  memoryType: ['memory_type'],
  verified: ['verified', bool],
  sourceConfidence: ['source_confidence'],
  validAt: ['valid_at'],
}

interface KindCodec<K extends BrainMemoryKind> {
  readonly kind: K
  readonly table: string
  /** Defaults of a new row's shared columns. */
  readonly defaults: Pick<BrainMemoryColumns, 'memory_tier' | 'memory_type' | 'source_confidence'>
  /** The kind's own columns of a new row, before input. */
  readonly blank: () => Partial<MemoryRowOf<K>>
  readonly fields: FieldMap
  /** The text whose normalised hash identifies a duplicate. */
  primaryText(row: Pick<MemoryRowOf<K>, any>): string
  /** The text that is embedded. */
  embeddingText(row: MemoryRowOf<K> | NewMemoryRow<K>, context: ErrorContext): string
  fromRow(row: MemoryRowOf<K>, context: ErrorContext): BrainMemoryOf<K>
}

function base<K extends BrainMemoryKind>(kind: K, row: Omit<BrainMemoryColumns, 'seq'>): BrainMemoryBase<K> {
  return {
    kind,
    id: row.id,
    qualityScore: row.quality_score,
    tier: row.memory_tier,
    memoryType: row.memory_type,
    verified: row.verified === 1,
    sourceConfidence: row.source_confidence,
    citationCount: row.citation_count,
    validAt: toIso(row.valid_at),
    invalidAt: toIsoOrNull(row.invalid_at),
    supersededBy: row.superseded_by,
    tierPromotedAt: toIsoOrNull(row.tier_promoted_at),
    tierPromotionReason: row.tier_promotion_reason,
    contentHash: row.content_hash,
    idempotencyKey: row.idempotency_key,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  }
}

function joinText(...parts: Array<string | null | undefined | readonly string[]>): string {
  const out: string[] = []
  for (const part of parts) {
    if (part === null || part === undefined) continue
    if (typeof part === 'string') {
      if (part.length > 0) out.push(part)
    } else {
      for (const item of part) if (item.length > 0) out.push(item)
    }
  }
  return out.join('\n')
}

const decisionCodec: KindCodec<'decision'> = {
  kind: 'decision',
  table: 'brain_decisions',
  defaults: { memory_tier: 'medium', memory_type: 'semantic', source_confidence: 'owner' },
  blank: () => ({ outcome: null, alternatives_json: '[]', context_epic_id: null, context_task_id: null, context_phase: null }),
  fields: {
    type: ['type'],
    decision: ['decision'],
    rationale: ['rationale'],
    confidence: ['confidence'],
    outcome: ['outcome', nullable],
    alternatives: ['alternatives_json', toJson],
    contextEpicId: ['context_epic_id', nullable],
    contextTaskId: ['context_task_id', nullable],
    contextPhase: ['context_phase', nullable],
  },
  primaryText: (row) => row.decision,
  embeddingText: (row, ctx) =>
    joinText(row.decision, row.rationale, list(row.alternatives_json, 'brain_decisions.alternatives_json', ctx), row.context_phase),
  fromRow: (row, ctx): BrainDecision => ({
    ...base('decision', row),
    type: row.type,
    decision: row.decision,
    rationale: row.rationale,
    confidence: row.confidence,
    outcome: row.outcome,
    alternatives: list(row.alternatives_json, 'brain_decisions.alternatives_json', ctx),
    contextEpicId: row.context_epic_id,
    contextTaskId: row.context_task_id,
    contextPhase: row.context_phase,
  }),
}

const patternCodec: KindCodec<'pattern'> = {
  kind: 'pattern',
  table: 'brain_patterns',
  defaults: { memory_tier: 'short', memory_type: 'procedural', source_confidence: 'agent' },
  blank: () => ({ frequency: 1, success_rate: null, impact: null, anti_pattern: null, mitigation: null, examples_json: '[]' }),
  fields: {
    type: ['type'],
    pattern: ['pattern'],
    context: ['context'],
    frequency: ['frequency'],
    successRate: ['success_rate', nullable],
    impact: ['impact', nullable],
    antiPattern: ['anti_pattern', nullable],
    mitigation: ['mitigation', nullable],
    examples: ['examples_json', toJson],
  },
  primaryText: (row) => row.pattern,
  embeddingText: (row, ctx) =>
    joinText(row.pattern, row.context, row.anti_pattern, row.mitigation, list(row.examples_json, 'brain_patterns.examples_json', ctx)),
  fromRow: (row, ctx): BrainPattern => ({
    ...base('pattern', row),
    type: row.type,
    pattern: row.pattern,
    context: row.context,
    frequency: row.frequency,
    successRate: row.success_rate,
    impact: row.impact,
    antiPattern: row.anti_pattern,
    mitigation: row.mitigation,
    examples: list(row.examples_json, 'brain_patterns.examples_json', ctx),
  }),
}

const learningCodec: KindCodec<'learning'> = {
  kind: 'learning',
  table: 'brain_learnings',
  defaults: { memory_tier: 'short', memory_type: 'semantic', source_confidence: 'agent' },
  blank: () => ({ actionable: 0, application: null, applicable_types_json: '[]', decayed_at: null }),
  fields: {
    insight: ['insight'],
    source: ['source'],
    confidence: ['confidence'],
    actionable: ['actionable', bool],
    application: ['application', nullable],
    applicableTypes: ['applicable_types_json', toJson],
  },
  primaryText: (row) => row.insight,
  embeddingText: (row) => joinText(row.insight, row.source, row.application),
  fromRow: (row, ctx): BrainLearning => ({
    ...base('learning', row),
    insight: row.insight,
    source: row.source,
    confidence: row.confidence,
    actionable: row.actionable === 1,
    application: row.application,
    applicableTypes: list(row.applicable_types_json, 'brain_learnings.applicable_types_json', ctx),
  }),
}

const observationCodec: KindCodec<'observation'> = {
  kind: 'observation',
  table: 'brain_observations',
  defaults: { memory_tier: 'short', memory_type: 'episodic', source_confidence: 'agent' },
  blank: () => ({
    type: 'discovery',
    subtitle: null,
    narrative: null,
    facts_json: '[]',
    concepts_json: '[]',
    files_read_json: '[]',
    files_modified_json: '[]',
    project: null,
    source_session_id: null,
    source_type: 'agent',
    agent: null,
    discovery_tokens: null,
  }),
  fields: {
    type: ['type'],
    title: ['title'],
    subtitle: ['subtitle', nullable],
    narrative: ['narrative', nullable],
    facts: ['facts_json', toJson],
    concepts: ['concepts_json', toJson],
    filesRead: ['files_read_json', toJson],
    filesModified: ['files_modified_json', toJson],
    project: ['project', nullable],
    sourceSessionId: ['source_session_id', nullable],
    sourceType: ['source_type'],
    agent: ['agent', nullable],
    discoveryTokens: ['discovery_tokens', nullable],
  },
  primaryText: (row) => `${row.title}\n${row.narrative ?? ''}`,
  embeddingText: (row, ctx) =>
    joinText(
      row.title,
      row.subtitle,
      row.narrative,
      list(row.facts_json, 'brain_observations.facts_json', ctx),
      list(row.concepts_json, 'brain_observations.concepts_json', ctx),
    ),
  fromRow: (row, ctx): BrainObservation => ({
    ...base('observation', row),
    type: row.type,
    title: row.title,
    subtitle: row.subtitle,
    narrative: row.narrative,
    facts: list(row.facts_json, 'brain_observations.facts_json', ctx),
    concepts: list(row.concepts_json, 'brain_observations.concepts_json', ctx),
    filesRead: list(row.files_read_json, 'brain_observations.files_read_json', ctx),
    filesModified: list(row.files_modified_json, 'brain_observations.files_modified_json', ctx),
    project: row.project,
    sourceSessionId: row.source_session_id,
    sourceType: row.source_type,
    agent: row.agent,
    discoveryTokens: row.discovery_tokens,
  }),
}

/** The codec of each memory kind. */
export const MEMORY_CODECS: { readonly [K in BrainMemoryKind]: KindCodec<K> } = Object.freeze({
  decision: decisionCodec,
  pattern: patternCodec,
  learning: learningCodec,
  observation: observationCodec,
})

function applyFields(target: Record<string, unknown>, input: Record<string, unknown>, map: FieldMap): void {
  for (const [field, [column, encode]] of Object.entries(map)) {
    const value = input[field]
    if (value === undefined) continue
    target[column] = encode ? encode(value) : value
  }
}

/** Parsed record input (the zod output of `BrainMemoryInput`). */
export type ParsedMemoryInput = { kind: BrainMemoryKind } & Record<string, unknown>

/**
 * Builds the row of a new memory from validated input. `verified` defaults to true
 * for owner and task-outcome sources.
 */
export function newMemoryRow<K extends BrainMemoryKind>(
  input: ParsedMemoryInput & { kind: K },
  props: { id: string; now: number },
): NewMemoryRow<K> {
  const codec = MEMORY_CODECS[input.kind] as KindCodec<K>
  const sourceConfidence = (input['sourceConfidence'] as string | undefined) ?? codec.defaults.source_confidence
  const row: Record<string, unknown> = {
    id: props.id,
    ...codec.blank(),
    quality_score: null,
    memory_tier: codec.defaults.memory_tier,
    memory_type: codec.defaults.memory_type,
    verified: sourceConfidence === 'owner' || sourceConfidence === 'task-outcome' ? 1 : 0,
    source_confidence: sourceConfidence,
    citation_count: 0,
    valid_at: props.now,
    invalid_at: null,
    superseded_by: null,
    tier_promoted_at: null,
    tier_promotion_reason: null,
    idempotency_key: (input['idempotencyKey'] as string | undefined) ?? null,
    created_at: props.now,
    updated_at: props.now,
  }
  applyFields(row, input, codec.fields)
  applyFields(row, input, SHARED_FIELDS)
  row['content_hash'] = contentHash(codec.primaryText(row as MemoryRowOf<K>))
  return row as NewMemoryRow<K>
}

/** The row after a validated patch; recomputes the content hash. */
export function patchedMemoryRow<K extends BrainMemoryKind>(
  row: MemoryRowOf<K>,
  kind: K,
  patch: Record<string, unknown>,
  now: number,
): MemoryRowOf<K> {
  const codec = MEMORY_CODECS[kind] as KindCodec<K>
  const next: Record<string, unknown> = { ...row }
  applyFields(next, patch, codec.fields)
  applyFields(next, patch, SHARED_FIELDS)
  next['content_hash'] = contentHash(codec.primaryText(next as MemoryRowOf<K>))
  next['updated_at'] = now
  return next as MemoryRowOf<K>
}

/** The text embedded for a memory row. */
export function memoryEmbeddingText<K extends BrainMemoryKind>(kind: K, row: MemoryRowOf<K> | NewMemoryRow<K>, context: ErrorContext): string {
  return (MEMORY_CODECS[kind] as KindCodec<K>).embeddingText(row, context)
}

/** The domain object of a memory row. */
export function memoryFromRow<K extends BrainMemoryKind>(kind: K, row: MemoryRowOf<K>, context: ErrorContext): BrainMemoryOf<K> {
  return (MEMORY_CODECS[kind] as KindCodec<K>).fromRow(row, context)
}

/** The text embedded for a sticky note. */
export function stickyEmbeddingText(row: Pick<Selectable<BrainStickyNotesTable>, 'content' | 'tags_json'>, context: ErrorContext): string {
  return joinText(row.content, list(row.tags_json, 'brain_sticky_notes.tags_json', context))
}

/** The domain object of a sticky-note row. */
export function stickyFromRow(row: Selectable<BrainStickyNotesTable>, context: ErrorContext): BrainStickyNote {
  return {
    kind: 'sticky',
    id: row.id,
    content: row.content,
    tags: list(row.tags_json, 'brain_sticky_notes.tags_json', context),
    status: row.status,
    convertedTo:
      row.converted_to_kind !== null && row.converted_to_id !== null ? { kind: row.converted_to_kind, id: row.converted_to_id } : null,
    color: row.color,
    priority: row.priority,
    contentHash: row.content_hash,
    idempotencyKey: row.idempotency_key,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  }
}
