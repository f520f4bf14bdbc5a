/**
 * Kysely row types of brain.db (snake_case columns, as stored). Timestamps are
 * INTEGER epoch milliseconds, booleans INTEGER 0/1, `*_json` columns JSON text.
 *
 * @module
 */
import type { Generated } from 'kysely'

/** `brain_schema_meta`: the store's key/value metadata (also the embedding model and dimension). */
export interface BrainSchemaMetaTable {
  key: string
  value: string
  /** Epoch milliseconds. */
  updated_at: number
}

/** The columns every typed memory table shares (CLEO's quality / tier / validity / hash columns). */
export interface BrainMemoryColumns {
  /** Stable row number; with the kind code it forms the memory key used by the FTS and vector tables. */
  seq: Generated<number>
  /** UUIDv7. */
  id: string
  quality_score: number | null
  memory_tier: 'short' | 'medium' | 'long'
  memory_type: 'semantic' | 'episodic' | 'procedural'
  verified: 0 | 1
  source_confidence: 'owner' | 'task-outcome' | 'agent' | 'speculative'
  citation_count: number
  valid_at: number
  invalid_at: number | null
  superseded_by: string | null
  tier_promoted_at: number | null
  tier_promotion_reason: string | null
  /** SHA-256 (hex) of the kind's normalised primary text. */
  content_hash: string
  idempotency_key: string | null
  created_at: number
  updated_at: number
}

/** `brain_decisions`. */
export interface BrainDecisionsTable extends BrainMemoryColumns {
  type: 'architecture' | 'technical' | 'process' | 'strategic' | 'tactical'
  decision: string
  rationale: string
  confidence: 'low' | 'medium' | 'high'
  outcome: 'success' | 'failure' | 'mixed' | 'pending' | null
  alternatives_json: string
  context_epic_id: string | null
  context_task_id: string | null
  context_phase: string | null
}

/** `brain_patterns`. */
export interface BrainPatternsTable extends BrainMemoryColumns {
  type: 'workflow' | 'blocker' | 'success' | 'failure' | 'optimization'
  pattern: string
  context: string
  frequency: number
  success_rate: number | null
  impact: 'low' | 'medium' | 'high' | null
  anti_pattern: string | null
  mitigation: string | null
  examples_json: string
}

/** `brain_learnings`. */
export interface BrainLearningsTable extends BrainMemoryColumns {
  insight: string
  source: string
  confidence: number
  actionable: 0 | 1
  application: string | null
  applicable_types_json: string
  /** When `maintain()` last decayed `confidence` (epoch ms). */
  decayed_at: number | null
}

/** `brain_observations`. */
export interface BrainObservationsTable extends BrainMemoryColumns {
  type: 'discovery' | 'change' | 'feature' | 'bugfix' | 'decision' | 'refactor' | 'diary'
  title: string
  subtitle: string | null
  narrative: string | null
  facts_json: string
  concepts_json: string
  files_read_json: string
  files_modified_json: string
  project: string | null
  source_session_id: string | null
  source_type: 'agent' | 'session-debrief' | 'claude-mem' | 'manual'
  agent: string | null
  discovery_tokens: number | null
}

/** `brain_sticky_notes`. */
export interface BrainStickyNotesTable {
  seq: Generated<number>
  id: string
  content: string
  tags_json: string
  status: 'active' | 'converted' | 'archived'
  converted_to_kind: 'decision' | 'pattern' | 'learning' | 'observation' | null
  converted_to_id: string | null
  color: 'yellow' | 'blue' | 'green' | 'red' | 'purple' | null
  priority: 'low' | 'medium' | 'high' | null
  content_hash: string
  idempotency_key: string | null
  created_at: number
  updated_at: number
}

/** `brain_memory_links`: memory ↔ task (a soft reference into tasks.db). */
export interface BrainMemoryLinksTable {
  memory_kind: 'decision' | 'pattern' | 'learning' | 'observation'
  memory_id: string
  task_id: string
  link_type: 'produced_by' | 'applies_to' | 'informed_by' | 'contradicts'
  created_at: number
}

/** `brain_embedding_queue`: memories whose vector is missing or stale. */
export interface BrainEmbeddingQueueTable {
  /** Memory key (`kind code × 2^40 + seq`). */
  memory_key: number
  reason: 'new' | 'failed' | 'changed' | 'reset' | 'no_embedder'
  attempts: number
  last_error: string | null
  queued_at: number
}

/** The Kysely database interface of brain.db (virtual tables are queried with fixed raw SQL). */
export interface BrainDatabase {
  brain_schema_meta: BrainSchemaMetaTable
  brain_decisions: BrainDecisionsTable
  brain_patterns: BrainPatternsTable
  brain_learnings: BrainLearningsTable
  brain_observations: BrainObservationsTable
  brain_sticky_notes: BrainStickyNotesTable
  brain_memory_links: BrainMemoryLinksTable
  brain_embedding_queue: BrainEmbeddingQueueTable
}
