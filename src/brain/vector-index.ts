/**
 * The vector index of brain.db: one sqlite-vec `vec0` table, `brain_embeddings`,
 * over every entry kind, cosine distance, keyed by memory key.
 *
 * Its dimension comes from the embedder, so the table cannot be in a (deterministic,
 * checksummed) migration. It is created the first time the store is opened with an
 * embedder, in a write transaction that also records the model id and dimension in
 * `brain_schema_meta` and queues every existing entry for `reindex()`. Later opens
 * with another dimension or model id are refused with `VALIDATION`, unless the
 * caller asks for `embedderChange: 'reset'` (drop, recreate, queue everything).
 *
 * Vectors are written with DELETE + INSERT (vec0 has no working upsert: CLEO's
 * `INSERT OR REPLACE` threw on every re-embed). Next to the float vector an int8
 * quantisation is kept (`embedding_int8`: the unit vector × 254, clipped to ±127).
 * Up to `exactSearchUpTo` stored vectors kNN is an exact cosine scan; above, it
 * takes `oversample × k` candidates by L2 distance on the int8 vectors (for unit
 * vectors L2 orders like cosine; the int8 scan reads a quarter of the bytes and
 * runs ~1.5× faster) and ranks them by exact cosine distance. Measured on 100k
 * 384-d vectors: recall@10 against the exact scan 1.00 on two synthetic corpora.
 * (A 1-bit quantisation was tried first: 0.2–0.5 recall, too coarse when relevant
 * and unrelated cosines are close.)
 *
 * @module
 */
import type { Clock } from '../sqlite/clock.js'
import type { SqliteDatabase } from '../sqlite/database.js'
import { rawQuery } from '../sqlite/database.js'
import type { ErrorContext } from '../sqlite/errors.js'
import { CleoStoreError } from '../sqlite/errors.js'
import { template } from '../sqlite/query-template.js'
import { SQLITE_VEC_FIX, sqliteVecUnavailableReason } from '../sqlite/sqlite-vec.js'
import type { BrainDatabase } from './brain.tables.js'
import type { Embedder } from './embedder.js'
import { FTS_ROW_BUDGET } from './fts-plan.js'
import { checkEmbedder, checkVectors, isZeroVector, vectorBytes } from './embedder.js'
import type { BrainEntryKind } from './memory-kinds.js'
import { BRAIN_ENTRY_KINDS, KIND_CODES, KIND_TABLES, KEY_BASE } from './memory-kinds.js'

/** Name of the vec0 table. */
export const VECTOR_TABLE = 'brain_embeddings'

/** `brain_schema_meta` keys of the vector index. */
export const EMBEDDING_META = Object.freeze({
  dimensions: 'embedding.dimensions',
  modelId: 'embedding.model_id',
  metric: 'embedding.metric',
  quantization: 'embedding.quantization',
})

/** The quantisation of `embedding_int8` (recorded in `brain_schema_meta`). */
export const INT8_QUANTIZATION = 'int8-unit-x254-v1'

/**
 * The int8 quantisation of a vector: scaled to unit length, × 254 (components are
 * clipped at ±0.5, which few of a 384-d unit vector's components reach), rounded.
 */
export function quantizeInt8(vector: Float32Array): Int8Array {
  let norm = 0
  for (let i = 0; i < vector.length; i++) norm += vector[i]! * vector[i]!
  const scale = norm > 0 ? 254 / Math.sqrt(norm) : 0
  const out = new Int8Array(vector.length)
  for (let i = 0; i < vector.length; i++) out[i] = Math.max(-127, Math.min(127, Math.round(vector[i]! * scale)))
  return out
}

/**
 * What to do when the store's recorded embedder differs from the configured one.
 *
 * @example
 * ```ts
 * const brain = await BrainRepository.open(file, { embedder: newModel, embedderChange: 'reset' })
 * await brain.reindex()
 * ```
 */
export type BrainEmbedderChangePolicy = 'refuse' | 'reset'

/**
 * Tuning of search (defaults suit up to ~100k entries).
 *
 * @example
 * ```ts
 * await BrainRepository.open(file, { embedder, searchTuning: { exactSearchUpTo: Infinity } }) // always exact kNN
 * ```
 */
export interface BrainSearchTuning {
  /**
   * Up to this many stored vectors, kNN is an exact cosine scan (default 20 000,
   * ≈ 10 ms). Above, candidates come from the 1-bit quantisation and are re-ranked
   * by exact cosine distance: bounded cost, approximate recall. `Infinity` keeps
   * every search exact.
   */
  readonly exactSearchUpTo?: number
  /** Quantised candidates taken per result wanted, ≥ 1 (default 1: the pool is already 3 × limit). */
  readonly oversample?: number
  /** Rows one full-text query may score with BM25 (default 10 000 ≈ 10 ms; see the search docs). */
  readonly ftsRowBudget?: number
}

/** The outcome of embedding one text. */
export type EmbedOutcome = { readonly vector: Float32Array } | { readonly zero: true } | { readonly error: string }

/** One kNN neighbour. */
export interface Neighbour {
  readonly key: number
  /** Cosine distance (1 − cosine similarity), 0..2. */
  readonly distance: number
}

const GET_META = template<BrainDatabase, { key: string }>()((db, p) =>
  db.selectFrom('brain_schema_meta').select('value').where('key', '=', p('key')),
)
const PUT_META = template<BrainDatabase, { key: string; value: string; now: number }>()((db, p) =>
  db
    .insertInto('brain_schema_meta')
    .values({ key: p('key'), value: p('value'), updated_at: p('now') })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: p('value'), updated_at: p('now') })),
)
const DELETE_META = template<BrainDatabase, { key: string }>()((db, p) => db.deleteFrom('brain_schema_meta').where('key', '=', p('key')))
const QUEUE = template<BrainDatabase, { key: number; reason: string; error: string | null; failed: number; now: number }>()((db, p) =>
  db
    .insertInto('brain_embedding_queue')
    .values({ memory_key: p('key'), reason: p('reason') as any, attempts: p('failed'), last_error: p('error'), queued_at: p('now') })
    .onConflict((oc) =>
      oc.column('memory_key').doUpdateSet((eb) => ({
        reason: eb.ref('excluded.reason'),
        last_error: eb.ref('excluded.last_error'),
        attempts: eb('brain_embedding_queue.attempts', '+', eb.ref('excluded.attempts')),
      })),
    ),
)
const DEQUEUE = template<BrainDatabase, { key: number }>()((db, p) => db.deleteFrom('brain_embedding_queue').where('memory_key', '=', p('key')))
const QUEUED_COUNT = template<BrainDatabase>()((db) => db.selectFrom('brain_embedding_queue').select((eb) => eb.fn.countAll<number>().as('n')))

const SQL = {
  exists: `SELECT count(*) AS n FROM sqlite_schema WHERE name = '${VECTOR_TABLE}'`,
  count: `SELECT count(*) AS n FROM ${VECTOR_TABLE}_rowids`,
  drop: `DROP TABLE IF EXISTS ${VECTOR_TABLE}`,
  delete: `DELETE FROM ${VECTOR_TABLE} WHERE rowid = ?`,
  insert: `INSERT INTO ${VECTOR_TABLE} (rowid, embedding, embedding_int8, kind) VALUES (?, ?, vec_int8(?), ?)`,
  knn: `SELECT rowid AS key, distance FROM ${VECTOR_TABLE} WHERE embedding MATCH ? AND k = ? ORDER BY distance`,
  knnKinds: `SELECT rowid AS key, distance FROM ${VECTOR_TABLE} WHERE embedding MATCH ? AND k = ? AND kind IN (SELECT value FROM json_each(?)) ORDER BY distance`,
  knnInt8: `SELECT rowid AS key FROM ${VECTOR_TABLE} WHERE embedding_int8 MATCH vec_int8(?) AND k = ?`,
  knnInt8Kinds: `SELECT rowid AS key FROM ${VECTOR_TABLE} WHERE embedding_int8 MATCH vec_int8(?) AND k = ? AND kind IN (SELECT value FROM json_each(?))`,
  distance: `SELECT vec_distance_cosine(embedding, ?) AS distance FROM ${VECTOR_TABLE} WHERE rowid = ?`,
  /** Queued keys that still have a vector (reads vec0's plain rowid table: no extension needed). */
  staleQueued: `SELECT q.memory_key AS key FROM brain_embedding_queue q JOIN ${VECTOR_TABLE}_rowids r ON r.rowid = q.memory_key`,
} as const

/** vec0's largest k. */
const MAX_K = 4096

/**
 * The vector index of one brain handle. Synchronous methods run inside the
 * caller's `read`/`write`; `embed` is asynchronous and runs before the write.
 */
export class VectorIndex {
  readonly #db: SqliteDatabase<BrainDatabase>
  readonly #embedder: Embedder | undefined
  readonly #clock: Clock
  readonly #exactUpTo: number
  readonly #oversample: number
  /** Rows one full-text query may score. */
  readonly ftsRowBudget: number
  #dimensions: number | null
  #modelId: string | null
  /** Why sqlite-vec is not loaded on this connection, or null when it is. */
  readonly #missing: string | null

  private constructor(
    db: SqliteDatabase<BrainDatabase>,
    embedder: Embedder | undefined,
    clock: Clock,
    state: { dimensions: number | null; modelId: string | null },
    tuning: BrainSearchTuning,
    missing: string | null,
  ) {
    this.#db = db
    this.#missing = missing
    this.#embedder = embedder
    this.#clock = clock
    this.#dimensions = state.dimensions
    this.#modelId = state.modelId
    this.#exactUpTo = tuning.exactSearchUpTo ?? 20_000
    this.#oversample = tuning.oversample ?? 1
    this.ftsRowBudget = tuning.ftsRowBudget ?? FTS_ROW_BUDGET
  }

  get #context(): Required<ErrorContext> {
    return this.#db.context
  }

  /**
   * Reads the recorded embedder, checks the configured one against it, and creates
   * (or, with `reset`, recreates) the vec0 table when needed.
   *
   * @internal Used by `BrainRepository.open`.
   */
  static async open(
    db: SqliteDatabase<BrainDatabase>,
    options: { embedder?: Embedder | undefined; embedderChange?: BrainEmbedderChangePolicy; clock: Clock; tuning?: BrainSearchTuning },
  ): Promise<VectorIndex> {
    const { embedder, clock } = options
    const tuning = options.tuning ?? {}
    for (const [name, value, min] of [
      ['exactSearchUpTo', tuning.exactSearchUpTo, 0],
      ['oversample', tuning.oversample, 1],
      ['ftsRowBudget', tuning.ftsRowBudget, 1],
    ] as const) {
      const ok =
        value === undefined || (value >= min && (name === 'oversample' ? Number.isFinite(value) : Number.isInteger(value) || value === Infinity))
      if (!ok) {
        throw new CleoStoreError('VALIDATION', `searchTuning.${name} must be a number ≥ ${min} (got ${value})`, {
          ...db.context,
          details: { path: ['searchTuning', name] },
        })
      }
    }
    if (embedder !== undefined) checkEmbedder(embedder, db.context)
    const policy = options.embedderChange ?? 'refuse'
    const missing = sqliteVecUnavailableReason(db)
    const read = () => {
      const dims = db.get(GET_META, { key: EMBEDDING_META.dimensions })?.value
      const model = db.get(GET_META, { key: EMBEDDING_META.modelId })?.value
      const table = (db.get(rawQuery<{ n: number }>(SQL.exists))?.n ?? 0) > 0
      return { dimensions: dims === undefined ? null : Number(dims), modelId: model ?? null, table }
    }
    let state = await db.snapshot(read)
    if (missing !== null) {
      // Without sqlite-vec the vec0 table can be neither created nor touched. A
      // recorded embedder is still checked (a mismatch stays an error); entries
      // written meanwhile are queued and re-embedded by reindex() once it is back.
      if (embedder !== undefined && state.table && state.dimensions !== null) {
        const modelDiffers = embedder.modelId !== undefined && state.modelId !== null && embedder.modelId !== state.modelId
        if (state.dimensions !== embedder.dimensions || modelDiffers) {
          if (policy === 'refuse') throw mismatch(db.context, state, embedder)
          throw unsupported(db.context, missing, "embedderChange: 'reset' (it drops the vector table)")
        }
      }
      return new VectorIndex(db, embedder, clock, state.table ? state : { dimensions: null, modelId: state.modelId }, tuning, missing)
    }
    if (state.table && state.dimensions !== null) {
      // Written while sqlite-vec was missing: a queued entry must have no vector (its
      // old one may be stale, or belong to a deleted entry whose key was reused).
      const stale = await db.snapshot(() => db.all(rawQuery<{ key: number }>(SQL.staleQueued)))
      if (stale.length > 0) {
        await db.write(() => {
          for (const { key } of db.all(rawQuery<{ key: number }>(SQL.staleQueued))) db.run(rawQuery(SQL.delete, [BigInt(key)]))
        })
      }
    }
    if (embedder !== undefined) {
      const decide = (s: typeof state): 'ok' | 'create' | 'mismatch' => {
        if (s.dimensions === null || !s.table) return 'create'
        const modelDiffers = embedder.modelId !== undefined && s.modelId !== null && embedder.modelId !== s.modelId
        return s.dimensions !== embedder.dimensions || modelDiffers ? 'mismatch' : 'ok'
      }
      const verdict = decide(state)
      if (verdict === 'mismatch' && policy === 'refuse') throw mismatch(db.context, state, embedder)
      if (verdict !== 'ok' || (embedder.modelId !== undefined && state.modelId === null)) {
        state = await db.write(() => {
          const fresh = read()
          const again = decide(fresh)
          if (again === 'mismatch' && policy === 'refuse') throw mismatch(db.context, fresh, embedder)
          const now = clock()
          if (again !== 'ok') {
            createTable(db, embedder.dimensions)
            requeueAll(db, fresh.dimensions === null ? 'new' : 'reset', now)
            db.run(PUT_META, { key: EMBEDDING_META.dimensions, value: String(embedder.dimensions), now })
            db.run(PUT_META, { key: EMBEDDING_META.metric, value: 'cosine', now })
            db.run(PUT_META, { key: EMBEDDING_META.quantization, value: INT8_QUANTIZATION, now })
          }
          if (embedder.modelId !== undefined) db.run(PUT_META, { key: EMBEDDING_META.modelId, value: embedder.modelId, now })
          else if (again !== 'ok') db.run(DELETE_META, { key: EMBEDDING_META.modelId })
          return read()
        })
      }
    }
    return new VectorIndex(db, embedder, clock, state, tuning, null)
  }

  /** Why sqlite-vec is not loaded (vector features are `UNSUPPORTED`), or null when it is. */
  get sqliteVecMissing(): string | null {
    return this.#missing
  }

  /**
   * `UNSUPPORTED` when sqlite-vec is not loaded; `operation` names what needed it.
   */
  assertSqliteVec(operation: string): void {
    if (this.#missing !== null) throw unsupported(this.#context, this.#missing, operation)
  }

  /** True when the vector table exists (vectors are stored and searchable). */
  get enabled(): boolean {
    return this.#dimensions !== null
  }

  /** True when this handle can embed (an embedder is configured, sqlite-vec is loaded and the table exists). */
  get canEmbed(): boolean {
    return this.#embedder !== undefined && this.#dimensions !== null && this.#missing === null
  }

  /** The recorded dimension, or null. */
  get dimensions(): number | null {
    return this.#dimensions
  }

  /** The recorded model id, or null. */
  get modelId(): string | null {
    return this.#modelId
  }

  /** True when an embedder is configured. */
  get hasEmbedder(): boolean {
    return this.#embedder !== undefined
  }

  /**
   * Embeds `texts`. A rejected embed yields `{ error }` for each text (the caller
   * queues them); a malformed result throws `VALIDATION` (nothing is written).
   */
  async embed(texts: readonly string[]): Promise<EmbedOutcome[]> {
    const embedder = this.#embedder
    const dims = this.#dimensions
    if (embedder === undefined || dims === null) return texts.map(() => ({ error: 'no embedder' }))
    let vectors: unknown
    try {
      vectors = await embedder.embed(texts)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      return texts.map(() => ({ error: message.slice(0, 500) || 'embed failed' }))
    }
    return checkVectors(vectors, texts.length, dims, this.#context).map((vector) => (isZeroVector(vector) ? { zero: true } : { vector }))
  }

  /** Embeds one query text; `null` when it has no direction. Errors propagate. */
  async embedQuery(text: string): Promise<Float32Array | null> {
    const embedder = this.#embedder
    const dims = this.#dimensions
    this.assertSqliteVec('vector search')
    if (embedder === undefined || dims === null) {
      throw new CleoStoreError('UNSUPPORTED', 'vector search needs an embedder: open the brain store with { embedder }', this.#context)
    }
    let vectors: unknown
    try {
      vectors = await embedder.embed([text])
    } catch (error) {
      if (error instanceof CleoStoreError) throw error // an adapter's typed error (UNSUPPORTED, VALIDATION, IO) keeps its code
      throw new CleoStoreError('IO', `embedder failed on the search query: ${error instanceof Error ? error.message : String(error)}`, {
        ...this.#context,
        cause: error,
      })
    }
    const [vector] = checkVectors(vectors, 1, dims, this.#context)
    return isZeroVector(vector!) ? null : vector!
  }

  /**
   * Inside a read or write: refuses (`VALIDATION`) when another handle changed the
   * store's vector dimension since this one opened (one indexed meta read).
   */
  assertCurrent(): void {
    if (this.#dimensions === null) return
    const stored = this.#db.get(GET_META, { key: EMBEDDING_META.dimensions })?.value
    if (stored === undefined || Number(stored) !== this.#dimensions) {
      throw new CleoStoreError(
        'VALIDATION',
        `the store's embedding dimension changed to ${stored ?? 'none'} since this handle opened with ${this.#dimensions}; reopen it`,
        { ...this.#context, details: { path: ['embedding'], stored: stored ?? null, expected: this.#dimensions } },
      )
    }
  }

  /**
   * Inside a write: stores the outcome of an embed for `key`. A vector replaces any
   * old one (DELETE + INSERT); an error queues the key for `reindex()`.
   * `replacing` says whether an old vector or queue row may exist.
   */
  apply(key: number, kind: BrainEntryKind, outcome: EmbedOutcome | undefined, replacing: boolean): 'stored' | 'queued' | 'none' {
    if (this.#dimensions === null) return 'none'
    if (this.#missing !== null) {
      // The vector table exists but cannot be written: queue the entry; its old
      // vector (if any) is removed when a handle with sqlite-vec opens the store.
      this.queue(key, replacing ? 'changed' : 'new', null)
      return 'queued'
    }
    if (outcome === undefined) {
      if (replacing) this.#db.run(rawQuery(SQL.delete, [BigInt(key)]))
      this.queue(key, this.#embedder === undefined ? 'no_embedder' : 'changed', null)
      return 'queued'
    }
    if ('error' in outcome) {
      if (replacing) this.#db.run(rawQuery(SQL.delete, [BigInt(key)]))
      this.queue(key, this.#embedder === undefined ? 'no_embedder' : 'failed', outcome.error)
      return 'queued'
    }
    if (replacing) {
      this.#db.run(rawQuery(SQL.delete, [BigInt(key)]))
      this.#db.run(DEQUEUE, { key })
    }
    if ('zero' in outcome) return 'none'
    this.put(key, kind, outcome.vector)
    return 'stored'
  }

  /** Inside a write: inserts a vector (the key must have none). */
  put(key: number, kind: BrainEntryKind, vector: Float32Array): void {
    const q = quantizeInt8(vector)
    this.#db.run(rawQuery(SQL.insert, [BigInt(key), vectorBytes(vector), new Uint8Array(q.buffer), kind]))
  }

  /** Inside a write: removes the vector of `key` (if any). */
  remove(key: number): void {
    // Without sqlite-vec the vector stays behind as an orphan: maintain() removes it later.
    if (this.#dimensions !== null && this.#missing === null) this.#db.run(rawQuery(SQL.delete, [BigInt(key)]))
  }

  /** Inside a write: queues `key` for `reindex()`. */
  queue(key: number, reason: 'new' | 'failed' | 'changed' | 'reset' | 'no_embedder', error: string | null): void {
    this.#db.run(QUEUE, { key, reason, error, failed: reason === 'failed' ? 1 : 0, now: this.#clock() })
  }

  /** Inside a write: drops `key` from the queue. */
  dequeue(key: number): void {
    this.#db.run(DEQUEUE, { key })
  }

  /** Stored vectors. */
  count(): number {
    if (this.#dimensions === null) return 0
    return this.#db.get(rawQuery<{ n: number }>(SQL.count))?.n ?? 0
  }

  /** Entries waiting for `reindex()`. */
  queued(): number {
    return this.#db.get(QUEUED_COUNT)?.n ?? 0
  }

  /**
   * Inside a read: the `k` nearest vectors to `query` by cosine distance, nearest
   * first, optionally only of `kinds`. Exact up to `exactSearchUpTo` stored vectors;
   * above, `oversample × k` int8 candidates re-ranked by exact cosine distance.
   */
  nearest(query: Float32Array, k: number, kinds: readonly BrainEntryKind[] | undefined): Neighbour[] {
    if (this.#dimensions === null) return []
    this.assertCurrent()
    const bytes = vectorBytes(query)
    const filter = kinds !== undefined && kinds.length < BRAIN_ENTRY_KINDS.length ? JSON.stringify(kinds) : undefined
    const kk = Math.min(k, MAX_K)
    const approximate = this.count() > this.#exactUpTo
    if (!approximate) {
      return this.#db.all(
        filter === undefined ? rawQuery<Neighbour>(SQL.knn, [bytes, kk]) : rawQuery<Neighbour>(SQL.knnKinds, [bytes, kk, filter]),
      )
    }
    const candidates = Math.min(Math.max(Math.ceil(kk * this.#oversample), kk), MAX_K)
    const q = new Uint8Array(quantizeInt8(query).buffer)
    const keys = this.#db.all(
      filter === undefined
        ? rawQuery<{ key: number }>(SQL.knnInt8, [q, candidates])
        : rawQuery<{ key: number }>(SQL.knnInt8Kinds, [q, candidates, filter]),
    )
    const scored: Neighbour[] = []
    for (const { key } of keys) {
      const row = this.#db.get(rawQuery<{ distance: number }>(SQL.distance, [bytes, BigInt(key)]))
      if (row !== undefined) scored.push({ key, distance: row.distance })
    }
    scored.sort((a, b) => a.distance - b.distance || a.key - b.key)
    return scored.slice(0, kk)
  }

  /** Inside a read: the cosine distance between `query` and the vector of `key`, or undefined when it has none. */
  distance(query: Float32Array, key: number): number | undefined {
    if (this.#dimensions === null) return undefined
    return this.#db.get(rawQuery<{ distance: number }>(SQL.distance, [vectorBytes(query), BigInt(key)]))?.distance
  }

  /**
   * Inside a read (`dryRun`) or write: finds — and unless `dryRun`, removes — vectors
   * whose entry no longer exists (rows deleted behind the repository's back).
   * Set-based: one anti-join per kind. Returns how many.
   */
  removeOrphans(dryRun: boolean): number {
    if (this.#dimensions === null || this.#missing !== null) return 0
    let removed = 0
    for (const kind of BRAIN_ENTRY_KINDS) {
      const base = KIND_CODES[kind] * KEY_BASE
      const orphans = this.#db.all(
        rawQuery<{ key: number }>(
          `SELECT r.rowid AS key FROM ${VECTOR_TABLE}_rowids r
           WHERE r.rowid >= ? AND r.rowid < ? AND NOT EXISTS (SELECT 1 FROM ${KIND_TABLES[kind]} t WHERE t.seq = r.rowid - ?)`,
          [base, base + KEY_BASE, base],
        ),
      )
      if (!dryRun) for (const { key } of orphans) this.#db.run(rawQuery(SQL.delete, [BigInt(key)]))
      removed += orphans.length
    }
    return removed
  }
}

function mismatch(
  context: Required<ErrorContext>,
  stored: { dimensions: number | null; modelId: string | null },
  embedder: Embedder,
): CleoStoreError {
  return new CleoStoreError(
    'VALIDATION',
    `brain store embeddings were made by ${stored.modelId ?? 'an unnamed model'} with ${stored.dimensions} dimensions; ` +
      `the configured embedder is ${embedder.modelId ?? 'unnamed'} with ${embedder.dimensions}. ` +
      `Open with { embedderChange: 'reset' } to drop the vectors and re-embed with reindex()`,
    {
      ...context,
      details: {
        path: ['embedder'],
        stored: { dimensions: stored.dimensions, modelId: stored.modelId },
        configured: { dimensions: embedder.dimensions, modelId: embedder.modelId ?? null },
      },
    },
  )
}

/** `UNSUPPORTED`: sqlite-vec is not loaded, so `operation` cannot run. */
function unsupported(context: Required<ErrorContext>, reason: string, operation: string): CleoStoreError {
  return new CleoStoreError('UNSUPPORTED', `${operation} needs sqlite-vec, which is not available (${reason}). Fix: ${SQLITE_VEC_FIX}`, {
    ...context,
    details: { missing: 'sqlite-vec' },
  })
}

/** (Re)creates the vec0 table with `dimensions` (an integer checked by `checkEmbedder`). */
function createTable(db: SqliteDatabase<BrainDatabase>, dimensions: number): void {
  if (!Number.isInteger(dimensions) || dimensions < 1) throw new CleoStoreError('INTERNAL', `bad dimension ${dimensions}`, db.context)
  db.run(rawQuery(SQL.drop))
  db.run(
    rawQuery(
      `CREATE VIRTUAL TABLE ${VECTOR_TABLE} USING vec0(embedding float[${dimensions}] distance_metric=cosine, embedding_int8 int8[${dimensions}], kind text)`,
    ),
  )
}

/** Queues every entry of every kind (set-based). */
function requeueAll(db: SqliteDatabase<BrainDatabase>, reason: 'new' | 'reset', now: number): void {
  db.run(rawQuery('DELETE FROM brain_embedding_queue'))
  for (const kind of BRAIN_ENTRY_KINDS) {
    db.run(
      rawQuery(
        `INSERT INTO brain_embedding_queue (memory_key, reason, attempts, last_error, queued_at)
         SELECT ? + seq, ?, 0, NULL, ? FROM ${KIND_TABLES[kind]}`,
        [KIND_CODES[kind] * KEY_BASE, reason, now],
      ),
    )
  }
}
