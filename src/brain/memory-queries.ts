/**
 * Query templates of the memory tables, one set per kind, compiled once on first
 * use (every hot path — record, get, dedup lookups, list pages, search hydration —
 * only binds values to a cached prepared statement).
 *
 * @module
 */
import { sql } from 'kysely'

import type { RawBuilder } from 'kysely'

import type { QueryTemplate, SqlDialect } from '../sqlite/query-template.js'
import { template, typedParam } from '../sqlite/query-template.js'
import type { BrainDatabase } from './brain.tables.js'
import type { BrainMemoryKind } from './memory-kinds.js'
import { KIND_TABLES } from './memory-kinds.js'
import type { AnyMemoryRow } from './memory-rows.js'

const SHARED_COLUMNS = [
  'quality_score',
  'memory_tier',
  'memory_type',
  'verified',
  'source_confidence',
  'citation_count',
  'valid_at',
  'invalid_at',
  'superseded_by',
  'tier_promoted_at',
  'tier_promotion_reason',
  'content_hash',
  'idempotency_key',
  'created_at',
  'updated_at',
] as const

/** Kind-specific columns (frozen by migration 0002). */
const OWN_COLUMNS: Readonly<Record<BrainMemoryKind, readonly string[]>> = {
  decision: ['type', 'decision', 'rationale', 'confidence', 'outcome', 'alternatives_json', 'context_epic_id', 'context_task_id', 'context_phase'],
  pattern: ['type', 'pattern', 'context', 'frequency', 'success_rate', 'impact', 'anti_pattern', 'mitigation', 'examples_json'],
  learning: ['insight', 'source', 'confidence', 'actionable', 'application', 'applicable_types_json', 'decayed_at'],
  observation: [
    'type',
    'title',
    'subtitle',
    'narrative',
    'facts_json',
    'concepts_json',
    'files_read_json',
    'files_modified_json',
    'project',
    'source_session_id',
    'source_type',
    'agent',
    'discovery_tokens',
  ],
}

type Args = Record<string, unknown>

/**
 * `column IN (the elements of the JSON array parameter json)`: `json_each` on
 * SQLite; on PostgreSQL `json_array_elements_text`, each element cast to the
 * column's type (`bigint` seqs, or ids as `text collate "C"`, the id columns'
 * collation).
 */
export function inJsonArray(column: string, json: unknown, dialect: SqlDialect, type: 'bigint' | 'text'): RawBuilder<boolean> {
  if (dialect === 'sqlite') return sql<boolean>`${sql.ref(column)} IN (SELECT value FROM json_each(${json}))`
  const element = type === 'bigint' ? sql`cast(value as bigint)` : sql`value collate "C"`
  return sql<boolean>`${sql.ref(column)} IN (SELECT ${element} FROM json_array_elements_text(cast(${json} as json)))`
}

/** The templates of one memory kind. */
export interface MemoryQueries {
  /** Inserts a row; returns its seq. */
  readonly insert: QueryTemplate<Args, { seq: number }>
  readonly byId: QueryTemplate<{ id: string }, AnyMemoryRow>
  readonly bySeq: QueryTemplate<{ seq: number }, AnyMemoryRow>
  /** Rows whose seq is in the JSON array `seqs`. */
  readonly bySeqs: QueryTemplate<{ seqs: string }, AnyMemoryRow>
  /** The valid (not invalidated) row with this content hash. */
  readonly byHash: QueryTemplate<{ hash: string }, AnyMemoryRow>
  readonly byIdempotencyKey: QueryTemplate<{ key: string }, AnyMemoryRow>
  /** Writes every mutable column of row `seq`. */
  readonly update: QueryTemplate<Args, unknown>
  /** A duplicate was recorded again: citation + 1 (patterns: frequency + 1 too). */
  readonly cite: QueryTemplate<{ seq: number }, unknown>
  readonly invalidate: QueryTemplate<{ seq: number; invalid_at: number; superseded_by: string | null; updated_at: number }, unknown>
  readonly deleteBySeq: QueryTemplate<{ seq: number }, unknown>
  /** A page, newest id first, ids below `cursor`, with optional validity and tier filters. */
  readonly page: QueryTemplate<{ cursor: string; valid_only: number; at: number; tier: string | null; limit: number }, AnyMemoryRow>
  /** Valid rows that may be promoted (a superset the pure rules then decide on). */
  readonly promotionCandidates: QueryTemplate<
    { at: number; short_before: number; short_citations: number; short_quality: number; medium_before: number; medium_citations: number },
    AnyMemoryRow
  >
  /** Short-tier, unverified, low-quality rows created before `before` and still valid. */
  readonly evictionCandidates: QueryTemplate<{ before: number; quality_below: number; at: number }, AnyMemoryRow>
  readonly promote: QueryTemplate<{ seq: number; tier: string; at: number; reason: string }, unknown>
  readonly evict: QueryTemplate<{ seq: number; at: number }, unknown>
}

function build(kind: BrainMemoryKind): MemoryQueries {
  const table = KIND_TABLES[kind] as 'brain_decisions'
  const insertColumns = ['id', ...OWN_COLUMNS[kind], ...SHARED_COLUMNS]
  const mutable = [...OWN_COLUMNS[kind], ...SHARED_COLUMNS.filter((c) => c !== 'created_at' && c !== 'idempotency_key')]
  const t = template<BrainDatabase, any>()
  const valid = (at: unknown) => sql<boolean>`valid_at <= ${at} AND (invalid_at IS NULL OR invalid_at > ${at})`
  return {
    insert: t((db, p) =>
      db
        .insertInto(table)
        .values(Object.fromEntries(insertColumns.map((c) => [c, p(c)])) as any)
        .returning('seq'),
    ),
    byId: t((db, p) => db.selectFrom(table).selectAll().where('id', '=', p('id'))),
    bySeq: t((db, p) => db.selectFrom(table).selectAll().where('seq', '=', p('seq'))),
    bySeqs: t((db, p, dialect) => db.selectFrom(table).selectAll().where(inJsonArray('seq', p('seqs'), dialect, 'bigint'))),
    byHash: t((db, p) => db.selectFrom(table).selectAll().where('content_hash', '=', p('hash')).where('invalid_at', 'is', null)),
    byIdempotencyKey: t((db, p) => db.selectFrom(table).selectAll().where('idempotency_key', '=', p('key'))),
    update: t((db, p) =>
      db
        .updateTable(table)
        .set(Object.fromEntries(mutable.map((c) => [c, p(c)])) as any)
        .where('seq', '=', p('seq')),
    ),
    cite: t((db, p) =>
      db
        .updateTable(table)
        .set(
          kind === 'pattern'
            ? ({ citation_count: sql`citation_count + 1`, frequency: sql`frequency + 1` } as any)
            : { citation_count: sql`citation_count + 1` },
        )
        .where('seq', '=', p('seq')),
    ),
    invalidate: t((db, p) =>
      db
        .updateTable(table)
        .set({ invalid_at: p('invalid_at'), superseded_by: p('superseded_by'), updated_at: p('updated_at') })
        .where('seq', '=', p('seq')),
    ),
    deleteBySeq: t((db, p) => db.deleteFrom(table).where('seq', '=', p('seq'))),
    page: t((db, p, dialect) =>
      db
        .selectFrom(table)
        .selectAll()
        .where('id', '<', p('cursor'))
        .where(sql<boolean>`(${p('valid_only')} = 0 OR (${valid(p('at'))}))`)
        .where(sql<boolean>`(${typedParam(p('tier'), 'text', dialect)} IS NULL OR memory_tier = ${p('tier')})`)
        .orderBy('id', 'desc')
        .limit(p('limit')),
    ),
    promotionCandidates: t((db, p) =>
      db
        .selectFrom(table)
        .selectAll()
        .where(sql<boolean>`(invalid_at IS NULL OR invalid_at > ${p('at')})`)
        .where(
          sql<boolean>`((memory_tier = 'short' AND created_at < ${p('short_before')}
            AND (verified = 1 OR citation_count >= ${p('short_citations')} OR quality_score >= ${p('short_quality')}))
          OR (memory_tier = 'medium' AND created_at < ${p('medium_before')}
            AND (verified = 1 OR citation_count >= ${p('medium_citations')})))`,
        )
        .orderBy('seq'),
    ),
    evictionCandidates: t((db, p) =>
      db
        .selectFrom(table)
        .selectAll()
        .where('memory_tier', '=', 'short')
        .where('created_at', '<', p('before'))
        .where('verified', '=', 0)
        .where('quality_score', '<', p('quality_below'))
        .where(sql<boolean>`(invalid_at IS NULL OR invalid_at > ${p('at')})`)
        .orderBy('seq'),
    ),
    promote: t((db, p) =>
      db
        .updateTable(table)
        .set({ memory_tier: p('tier'), tier_promoted_at: p('at'), tier_promotion_reason: p('reason') } as any)
        .where('seq', '=', p('seq')),
    ),
    evict: t((db, p) => db.updateTable(table).set({ invalid_at: p('at'), updated_at: p('at') }).where('seq', '=', p('seq'))),
  }
}

/** The templates of each memory kind. */
export const MEMORY_QUERIES: Readonly<Record<BrainMemoryKind, MemoryQueries>> = Object.freeze({
  decision: build('decision'),
  pattern: build('pattern'),
  learning: build('learning'),
  observation: build('observation'),
})

