/**
 * Search over every entry kind: FTS5 BM25, vector kNN, or both fused.
 *
 * - One FTS5 table and one vec0 table hold every kind, so each signal ranks all
 *   kinds in a single list with shared statistics: there is no per-table list to
 *   concatenate, and so no table-order bias (CLEO ranked decisions before patterns
 *   before learnings before observations). A kind filter uses memory-key ranges
 *   (FTS) and a metadata column (vec0); scores stay comparable across kinds.
 * - User text goes through `toFtsQuery` (any word, OR): no FTS5 syntax is ever
 *   interpreted, and no input raises a syntax error. On PostgreSQL the same words go
 *   through `toTsQuery` into `to_tsquery` over each kind's `search_vector` (see
 *   below), with the same guarantee.
 * - Each signal yields a bounded pool of candidates (`max(3 × limit, 30)`). Invalid
 *   entries are dropped after the fact; when too many were dropped the pool is
 *   fetched again, larger, up to 1 000.
 *
 * @module
 */
import type { Selectable } from 'kysely'
import { sql } from 'kysely'
import type { BrainSearchOptionsInput } from './brain.input.types.js'

import { CleoStoreError } from '../sqlite/errors.js'
import { ftsTerms, toFtsQuery, toTsQuery } from '../sqlite/fts-query.js'
import type { QueryTemplate } from '../sqlite/query-template.js'
import { rawStatement, template } from '../sqlite/query-template.js'
import type { Step } from '../sqlite/store-engine.js'
import { validate } from '../sqlite/validate.js'
import type { BrainCore, BrainExecutor } from './brain-core.js'
import { BrainSearchOptions, BrainSearchQuery } from './brain.schemas.js'
import type { BrainDatabase, BrainStickyNotesTable } from './brain.tables.js'
import type { BrainEntry, BrainSearchHit } from './brain.types.js'
import type { BrainEntryKind } from './memory-kinds.js'
import { BRAIN_ENTRY_KINDS, KEY_BASE, KIND_CODES, KIND_TABLES, keyRange, memoryKey, splitMemoryKey } from './memory-kinds.js'
import { inJsonArray, MEMORY_QUERIES } from './memory-queries.js'
import type { AnyMemoryRow } from './memory-rows.js'
import { memoryFromRow, stickyFromRow } from './memory-rows.js'
import { planFtsQuery } from './fts-plan.js'
import type { BrainFusedCandidate, BrainSignalCandidate } from './search-fusion.js'
import { brainFtsSignal, fuseBrainSignals, brainSingleSignal, brainVectorSignal } from './search-fusion.js'

const STICKY_BY_SEQS = template<BrainDatabase, { seqs: string }>()((db, p, dialect) =>
  db.selectFrom('brain_sticky_notes').selectAll().where(inJsonArray('seq', p('seqs'), dialect, 'bigint')),
)

/*
 * Rowid parameters of virtual tables must be bound as integers: node:sqlite binds
 * a JS number as REAL, and FTS5 mishandles a REAL rowid constraint (`rowid = 20.0`
 * next to MATCH returns other rows); vec0 refuses REAL rowids outright. Templates
 * bind every safe integer as a BigInt, so keys and ranges below are integers.
 */
/*
 * PostgreSQL has no index over every kind: each kind's table has its own
 * `search_vector` (title weight A, body weight B; GIN). A candidate's key is
 * computed as on SQLite (kind code × 2^40 + seq) and its raw score is −ts_rank with
 * the body weighted half the title (FTS5: bm25(2.0, 1.0)), so lower is better on
 * both engines. Queries are parsed with the columns' text search configuration,
 * `cleo_brain_search` (migrations/brain/0001_initial.postgres.ts: words stemmed
 * like FTS5's porter tokenizer stems them).
 */
const TS_QUERY = (match: unknown) => sql`to_tsquery('cleo_brain_search', ${match})`
const TS_WEIGHTS = sql`'{0.1, 0.2, 0.5, 1.0}'`

/** One kind's matching rows as (key, raw), on PostgreSQL. */
function postgresMatches(kind: BrainEntryKind, match: unknown) {
  return sql`SELECT ${KIND_CODES[kind] * KEY_BASE} + seq AS key, -ts_rank(${TS_WEIGHTS}, search_vector, ${TS_QUERY(match)}) AS raw
    FROM ${sql.table(KIND_TABLES[kind])} WHERE search_vector @@ ${TS_QUERY(match)}`
}

/** Every kind's matching rows, on PostgreSQL (`scored`: with key and raw; else just a 1 per row). */
function postgresAllMatches(match: unknown, scored = true) {
  return sql.join(
    BRAIN_ENTRY_KINDS.map((kind) =>
      scored ? postgresMatches(kind, match) : sql`SELECT 1 FROM ${sql.table(KIND_TABLES[kind])} WHERE search_vector @@ ${TS_QUERY(match)}`,
    ),
    sql` UNION ALL `,
  )
}

/** How many entries match one word, counting stops at `n`. */
const FTS_PROBE = template<BrainDatabase, { match: string; n: number }>()((db, p, dialect) =>
  rawStatement(
    db,
    dialect === 'postgres'
      ? sql<{ n: number }>`SELECT count(*) AS n FROM (SELECT 1 FROM (${postgresAllMatches(p('match'), false)}) m LIMIT ${p('n')}) c`
      : sql<{ n: number }>`SELECT count(*) AS n FROM (SELECT 1 FROM brain_memory_fts WHERE brain_memory_fts MATCH ${p('match')} LIMIT ${p('n')})`,
  ),
)
/** The `n` best matches of every kind. */
const FTS_ALL = template<BrainDatabase, { match: string; n: number }>()((db, p, dialect) =>
  rawStatement(
    db,
    dialect === 'postgres'
      ? sql<KeyedCandidate>`SELECT key, raw FROM (${postgresAllMatches(p('match'))}) m ORDER BY raw, key LIMIT ${p('n')}`
      : sql<KeyedCandidate>`SELECT rowid AS key, rank AS raw FROM brain_memory_fts WHERE brain_memory_fts MATCH ${p('match')} ORDER BY rank LIMIT ${p('n')}`,
  ),
)

type KindQuery = QueryTemplate<{ match: string; from: number; to: number; n: number }, KeyedCandidate>

/** Per kind: the `n` best matches (`ranked`) or the `n` newest (`recent`), keys in [from, to) on SQLite. */
function kindQueries(order: 'ranked' | 'recent'): Record<BrainEntryKind, KindQuery> {
  return Object.fromEntries(
    BRAIN_ENTRY_KINDS.map((kind) => [
      kind,
      template<BrainDatabase, { match: string; from: number; to: number; n: number }>()((db, p, dialect) => {
        if (dialect === 'postgres') {
          const by = order === 'ranked' ? sql`raw, key` : sql`key DESC`
          return rawStatement(db, sql<KeyedCandidate>`SELECT key, raw FROM (${postgresMatches(kind, p('match'))}) m ORDER BY ${by} LIMIT ${p('n')}`)
        }
        const by = order === 'ranked' ? sql`rank` : sql`rowid DESC`
        return rawStatement(
          db,
          sql<KeyedCandidate>`SELECT rowid AS key, rank AS raw FROM brain_memory_fts WHERE brain_memory_fts MATCH ${p('match')} AND rowid >= ${p('from')} AND rowid < ${p('to')} ORDER BY ${by} LIMIT ${p('n')}`,
        )
      }),
    ]),
  ) as Record<BrainEntryKind, KindQuery>
}
const FTS_RANGE = kindQueries('ranked')
const FTS_RECENT = kindQueries('recent')

/** Whether a kind has any entry (its table is not empty): 1 or 0. */
const KIND_EXISTS = Object.fromEntries(
  BRAIN_ENTRY_KINDS.map((kind) => [
    kind,
    template<BrainDatabase>()((db) =>
      rawStatement(db, sql<{ n: number }>`SELECT CASE WHEN EXISTS (SELECT 1 FROM ${sql.table(KIND_TABLES[kind])}) THEN 1 ELSE 0 END AS n`),
    ),
  ]),
) as Record<BrainEntryKind, QueryTemplate<Record<string, never>, { n: number }>>

/** Query words probed at most. */
const MAX_TERMS = 16

/** Largest candidate pool per signal. */
const MAX_POOL = 1000

interface Hydrated {
  readonly kind: BrainEntryKind
  readonly id: string
  readonly row: AnyMemoryRow | Selectable<BrainStickyNotesTable>
  readonly valid: boolean
}

interface KeyedCandidate {
  readonly key: number
  readonly raw: number
}

interface ValidCandidate extends BrainSignalCandidate {
  readonly key: number
}

/** `brain.search(…)`. Internal: exposed as `BrainRepository.search`. */
export class BrainSearch {
  readonly #core: BrainCore

  constructor(core: BrainCore) {
    this.#core = core
  }

  async search(query: string, options: BrainSearchOptionsInput = {}): Promise<BrainSearchHit[]> {
    const { engine, clock, vectors, context } = this.#core
    validate(BrainSearchQuery, query, 'brain.search', context)
    const o = validate(BrainSearchOptions, options, 'brain.search', context)
    const mode = o.mode ?? (vectors.canEmbed ? 'hybrid' : 'fts')
    if (mode !== 'fts') vectors.assertSqliteVec(`brain.search: mode '${mode}'`)
    if (mode !== 'fts' && !vectors.canEmbed) {
      throw new CleoStoreError('UNSUPPORTED', `brain.search: mode '${mode}' needs an embedder (open the store with { embedder })`, {
        ...context,
        details: { path: ['mode'] },
      })
    }
    const at = o.at ?? clock()
    const kinds: readonly BrainEntryKind[] = o.kinds === undefined ? BRAIN_ENTRY_KINDS : [...new Set(o.kinds)]
    const allKinds = kinds.length === BRAIN_ENTRY_KINDS.length
    // One expression per word: an FTS5 string token, or a tsquery lexeme on PostgreSQL.
    const postgres = engine.dialect === 'postgres'
    const expressions =
      mode === 'vector' ? [] : ftsTerms(query, MAX_TERMS).flatMap((term) => (postgres ? toTsQuery(term) : toFtsQuery(term)) ?? [])
    const [and, or] = postgres ? [' & ', ' | '] : [' ', ' OR ']
    const queryVector = mode === 'fts' ? null : await vectors.embedQuery(query)
    if (expressions.length === 0 && queryVector === null) return []
    const pool = Math.min(Math.max(o.limit * 3, 30), MAX_POOL)

    return engine.snapshot(function* (x: BrainExecutor): Step<BrainSearchHit[]> {
      const cache = new Map<number, Hydrated | null>()
      function* hydrate(keys: readonly number[]): Step<void> {
        const byKind = new Map<BrainEntryKind, number[]>()
        for (const key of keys) {
          if (cache.has(key)) continue
          cache.set(key, null)
          const split = splitMemoryKey(key)
          if (split === undefined) continue
          let seqs = byKind.get(split.kind)
          if (seqs === undefined) byKind.set(split.kind, (seqs = []))
          seqs.push(split.seq)
        }
        for (const [kind, seqs] of byKind) {
          const args = { seqs: JSON.stringify(seqs) }
          if (kind === 'sticky') {
            for (const row of yield* x.all(STICKY_BY_SEQS, args)) {
              cache.set(memoryKey(kind, row.seq), { kind, id: row.id, row, valid: row.status === 'active' })
            }
          } else {
            for (const row of yield* x.all(MEMORY_QUERIES[kind].bySeqs, args)) {
              const valid = row.valid_at <= at && (row.invalid_at === null || row.invalid_at > at)
              cache.set(memoryKey(kind, row.seq), { kind, id: row.id, row, valid })
            }
          }
        }
      }
      function* gather(fetch: (n: number) => Step<KeyedCandidate[]>): Step<ValidCandidate[]> {
        for (let n = pool; ; n = Math.min(n * 4, MAX_POOL)) {
          const raw = yield* fetch(n)
          yield* hydrate(raw.map((c) => c.key))
          const valid: ValidCandidate[] = []
          for (const c of raw) {
            const h = cache.get(c.key)
            if (h && (h.valid || !o.validOnly)) valid.push({ id: h.id, key: c.key, raw: c.raw })
          }
          if (valid.length >= pool || raw.length < n || n >= MAX_POOL) return valid.slice(0, pool)
        }
      }

      const byRank = (a: KeyedCandidate, b: KeyedCandidate) => a.raw - b.raw || a.key - b.key
      const probes: Array<{ expression: string; documents: number }> = []
      for (const expression of expressions) {
        probes.push({ expression, documents: (yield* x.get(FTS_PROBE, { match: expression, n: vectors.ftsRowBudget + 1 }))?.n ?? 0 })
      }
      const plan = planFtsQuery(probes, vectors.ftsRowBudget)
      const fts =
        plan.kind === 'none'
          ? []
          : yield* gather(function* (n) {
              if (plan.kind === 'ranked') {
                const match = plan.expressions.join(or)
                if (allKinds) return yield* x.all(FTS_ALL, { match, n })
                const merged: KeyedCandidate[] = []
                for (const kind of kinds) {
                  const { from, to } = keyRange(kind)
                  merged.push(...(yield* x.all(FTS_RANGE[kind], { match, from, to, n })))
                }
                return merged.sort(byRank).slice(0, n)
              }
              const merged = new Map<number, KeyedCandidate>()
              // FTS5 does not narrow an AND of common words by the rowid range: each
              // kind's query reads the words' whole doclists (~2–3 ms at 100k entries),
              // so kinds without entries are skipped (one indexed probe each).
              for (const kind of kinds) {
                if (((yield* x.get(KIND_EXISTS[kind]))?.n ?? 0) === 0) continue
                const { from, to } = keyRange(kind)
                for (const match of [plan.expressions.join(and), plan.expressions.join(or)]) {
                  const rows = yield* x.all(FTS_RECENT[kind], { match, from, to, n })
                  for (const row of rows) merged.set(row.key, row)
                  if (rows.length >= n) break
                }
              }
              return [...merged.values()].sort(byRank).slice(0, n)
            })
      let vector =
        queryVector === null
          ? []
          : yield* gather(function* (n) {
              const neighbours = yield* vectors.nearest(x, queryVector, n, allKinds ? undefined : kinds)
              return (
                neighbours
                  // Orthogonal or opposite (similarity ≤ 0): no evidence of relevance at all.
                  .filter((c) => c.distance < 1)
                  .map((c) => ({ key: c.key, raw: c.distance }))
              )
            })

      if (mode === 'hybrid' && queryVector !== null) {
        // Every FTS hit gets its exact cosine distance (one vec0 point read each),
        // so the fusion sees both signals for it even when the vector pool missed
        // it. (The converse — BM25 for every vector hit — costs an FTS query per
        // row, ~0.5 ms each at 100k entries, and is not done: a vector hit carries
        // BM25 only when it is also an FTS candidate.)
        const inVector = new Set(vector.map((c) => c.key))
        const added: ValidCandidate[] = []
        for (const c of fts) {
          if (inVector.has(c.key)) continue
          const distance = yield* vectors.distance(x, queryVector, c.key)
          if (distance !== undefined && distance < 1) added.push({ id: c.id, key: c.key, raw: distance })
        }
        if (added.length > 0) vector = [...vector, ...added]
      }

      let ranked: BrainFusedCandidate[]
      if (mode === 'fts') ranked = brainSingleSignal(brainFtsSignal(fts), 'fts')
      else if (mode === 'vector') ranked = brainSingleSignal(brainVectorSignal(vector), 'vector')
      else ranked = fuseBrainSignals(brainFtsSignal(fts), brainVectorSignal(vector), o.fusion)

      const byId = new Map<string, Hydrated>()
      for (const h of cache.values()) if (h) byId.set(h.id, h)
      const minScore = o.minScore
      if (minScore !== undefined) ranked = ranked.filter((c) => c.score >= minScore)
      return ranked.slice(0, o.limit).map((c): BrainSearchHit => {
        const h = byId.get(c.id)!
        const entry: BrainEntry =
          h.kind === 'sticky'
            ? stickyFromRow(h.row as Selectable<BrainStickyNotesTable>, context)
            : memoryFromRow(h.kind, h.row as never, context)
        // kind and entry correspond (entry.kind === h.kind): the union member is h.kind's.
        return { kind: h.kind, id: h.id, score: c.score, signals: { fts: c.fts, vector: c.vector }, entry } as BrainSearchHit
      })
    })
  }
}
