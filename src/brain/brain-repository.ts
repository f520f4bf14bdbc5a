/**
 * The brain.db repository.
 *
 * @module
 */
import type { BrainInvalidateOptionsInput, BrainListOptionsInput, BrainMaintainOptionsInput, BrainReconcileOptionsInput, BrainReindexOptionsInput, BrainSearchOptionsInput } from './brain.input.types.js'

import { CleoStoreError } from '../sqlite/errors.js'
import { MEMORY } from '../sqlite/open-database.js'
import { uuidv7Generator } from '../sqlite/ids.js'
import type { IterateFilter } from '../sqlite/paging.js'
import { iteratePages } from '../sqlite/paging.js'
import type { RepositoryOptions } from '../sqlite/store-repository.js'
import { openStoreDatabase, StoreRepository } from '../sqlite/store-repository.js'
import { sqliteVecUnavailableReason } from '../sqlite/sqlite-vec.js'
import type { StoreEngine } from '../sqlite/store-engine.js'
import { SqliteStoreEngine } from '../sqlite/store-engine.js'
import { z as zod } from 'zod'
import { checkOptions, FunctionSchema, POSTGRES_OPTION_SHAPE, repositoryOptionsSchema } from '../sqlite/options.js'
import type { Clock } from '../sqlite/clock.js'
import type { ReferenceGuard } from '../sqlite/reference-guard.js'
import type { PostgresStoreOptions, PostgresTarget } from '../postgres/postgres-options.js'
import { openPostgresDatabase } from '../postgres/postgres-database.js'
import { PostgresStoreEngine, serverDatabase } from '../postgres/postgres-engine.js'
import type { BrainCore } from './brain-core.js'
import type { BrainKnownReferences } from './brain.types.js'
import { BrainMaintenance } from './brain-maintenance.js'
import { BrainSearch } from './brain-search.js'
import { BRAIN_STORE } from './brain.store.js'
import type { BrainDatabase } from './brain.tables.js'
import type {
  BrainEmbeddingStatus,
  BrainMaintenanceReport,
  BrainMemory,
  BrainMemoryInputOf,
  BrainMemoryOf,
  BrainMemoryPatchOf,
  BrainPage,
  BrainReconcileReport,
  BrainRecordResult,
  BrainReindexReport,
  BrainSearchHit,
} from './brain.types.js'
import type { Embedder } from './embedder.js'
import { BrainReindexer } from './embedding-reindex.js'
import { BrainMemories } from './memories.js'
import { BrainMemoryLinks } from './memory-links.js'
import type { BrainMemoryKind } from './memory-kinds.js'
import { BrainStickyNotes } from './sticky-notes.js'
import type { BrainEmbedderChangePolicy, BrainSearchTuning } from './vector-tuning.js'
import { VectorIndex } from './vector-index.js'

/** A number, `Infinity` included (zod's `number()` refuses it; `exactSearchUpTo: Infinity` is documented). */
const anyNumber = zod.custom<number>((value) => typeof value === 'number', 'must be a number')
/** The options both opens take; values are checked in detail by the vector index. */
const BRAIN_OPTION_SHAPE = {
  embedder: zod.unknown().optional(),
  embedderChange: zod.enum(['refuse', 'reset']).optional(),
  searchTuning: zod
    .strictObject({
      exactSearchUpTo: anyNumber.optional(),
      oversample: anyNumber.optional(),
      ftsRowBudget: anyNumber.optional(),
      binaryPreselection: zod.enum(['auto', 'always', 'never']).optional(),
    })
    .optional(),
  knownReferences: zod.unknown().optional(),
} as const
/** `BrainRepository.open` options, strict (issue 14, item 9). */
const BrainOpenOptionsSchema = repositoryOptionsSchema({ ...BRAIN_OPTION_SHAPE, mmapSize: zod.number().optional() })
/** `BrainRepository.openPostgres` options, strict like `open`'s; SQLite's (`mmapSize`, `synchronous`, …) are refused. */
const BrainPostgresOptionsSchema = zod.strictObject({
  ...POSTGRES_OPTION_SHAPE,
  ...BRAIN_OPTION_SHAPE,
  clock: FunctionSchema.optional(),
  referenceGuard: FunctionSchema.optional(),
})

/** Options of {@link BrainRepository.open}. */
export interface BrainRepositoryOptions extends RepositoryOptions {
  /**
   * Makes vector and hybrid search available. The first open with an embedder
   * creates the vector table with its dimension and records its `modelId`; later
   * opens with a different dimension or model id are refused with `VALIDATION`.
   */
  readonly embedder?: Embedder | undefined
  /**
   * `refuse` (default): a different embedder than the recorded one is an error.
   * `reset`: drop every vector, record the new embedder, and queue every entry for
   * {@link BrainRepository.reindex}.
   */
  readonly embedderChange?: BrainEmbedderChangePolicy
  /** Exact vs. quantised kNN, full-text budget (see {@link BrainSearchTuning}). */
  readonly searchTuning?: BrainSearchTuning
  /**
   * Bytes of the file SQLite may memory-map (`PRAGMA mmap_size`; default 1 GiB of
   * address space — pages are mapped on demand, not read; 0 disables). Vector reads address single vectors inside 1.5 MB chunk blobs;
   * through the page cache each costs an overflow-chain walk (~200 µs at 100k
   * vectors), through the map a few µs.
   */
  readonly mmapSize?: number
  /**
   * Lets maintenance see tasks.db: returns every task and session id (a workspace
   * sets it). With it, {@link BrainRepository.maintain} also reconciles orphaned
   * references (CLEO: "during brain maintenance") and reports them in
   * `orphanedRefs`; without it (a repository on its own) `orphanedRefs` is null.
   */
  readonly knownReferences?: BrainKnownReferences | undefined
}

/**
 * Options of {@link BrainRepository.openPostgres}: the server store's (schema,
 * retry, pool size), the clock and guard, and brain's own. SQLite-only options
 * (`mmapSize`, `synchronous`, `statementCacheSize`, `backupsKept`) are refused
 * with `VALIDATION`.
 *
 * @example
 * ```ts
 * const options: BrainPostgresOptions = { schema: 'acme_api_brain', busyTimeoutMs: 10_000 }
 * ```
 */
export interface BrainPostgresOptions extends PostgresStoreOptions {
  /** Returns epoch milliseconds; inject one in tests (default `Date.now`). */
  readonly clock?: Clock
  /** Checks ids this store's writes name in other databases; a workspace sets it. */
  readonly referenceGuard?: ReferenceGuard | undefined
  /** Makes vector and hybrid search available (see {@link BrainRepositoryOptions.embedder}). */
  readonly embedder?: Embedder | undefined
  /** What to do when the recorded embedder differs (see {@link BrainRepositoryOptions.embedderChange}). */
  readonly embedderChange?: BrainEmbedderChangePolicy
  /** Exact vs. quantised kNN, full-text budget (see {@link BrainSearchTuning}). */
  readonly searchTuning?: BrainSearchTuning
  /** Lets maintenance see tasks (see {@link BrainRepositoryOptions.knownReferences}). */
  readonly knownReferences?: BrainKnownReferences | undefined
}

/**
 * Default `PRAGMA mmap_size` of brain connections (1 GiB).
 *
 * @example
 * ```ts
 * await BrainRepository.open(file, { mmapSize: BRAIN_DEFAULT_MMAP_SIZE / 4 })
 * ```
 */
export const BRAIN_DEFAULT_MMAP_SIZE = 1024 * 1024 * 1024

/**
 * brain.db — decisions, patterns, learnings, observations and sticky notes, with
 * full-text, vector and hybrid search over all of them (project tier).
 *
 * - Memories are deduplicated on write (SHA-256 of the normalised primary text per
 *   kind; a duplicate bumps the existing entry's citation count), and carry
 *   validity (`validAt`/`invalidAt`, `supersededBy`).
 * - Ids are UUIDv7 (time-ordered, unique across kinds); the kind is the table.
 * - With an {@link Embedder}, every write embeds its text before the transaction;
 *   a failed embed still stores the memory and queues it for {@link reindex}.
 *
 * @example
 * ```ts
 * import { BrainRepository, FeatureHashingEmbedder } from 'cleo-store'
 *
 * await using brain = await BrainRepository.open(':memory:', { embedder: new FeatureHashingEmbedder() })
 * const { memory } = await brain.record({
 *   kind: 'decision', type: 'technical', decision: 'Use SQLite WAL mode',
 *   rationale: 'readers never block the writer', confidence: 'high',
 * })
 * const hits = await brain.search('wal readers')   // hybrid: BM25 + cosine
 * hits[0].id === memory.id                        // true
 * ```
 */
export class BrainRepository extends StoreRepository<'brain'> {
  /** Sticky notes: add, get, list, update, archive, convert, delete. */
  readonly stickyNotes: BrainStickyNotes
  /** Memory ↔ task links. */
  readonly links: BrainMemoryLinks
  readonly #memories: BrainMemories
  readonly #search: BrainSearch
  readonly #maintenance: BrainMaintenance
  readonly #reindexer: BrainReindexer
  readonly #vectors: VectorIndex
  readonly #engine: StoreEngine<BrainDatabase>

  private constructor(
    engine: SqliteStoreEngine<BrainDatabase> | PostgresStoreEngine<BrainDatabase>,
    options: BrainRepositoryOptions | BrainPostgresOptions,
    vectors: VectorIndex,
  ) {
    super(engine instanceof PostgresStoreEngine ? { server: serverDatabase(engine) } : engine.db, options)
    this.#vectors = vectors
    this.#engine = engine
    const core: BrainCore = {
      engine,
      clock: this.clock,
      newId: uuidv7Generator(this.clock),
      vectors,
      context: engine.context,
      guard: this.referenceGuard,
      knownReferences: options.knownReferences,
    }
    this.#memories = new BrainMemories(core)
    this.stickyNotes = new BrainStickyNotes(core, this.#memories)
    this.links = new BrainMemoryLinks(core, this.#memories)
    this.#search = new BrainSearch(core)
    this.#maintenance = new BrainMaintenance(core)
    this.#reindexer = new BrainReindexer(core)
  }

  /**
   * Opens (creating and migrating if needed) brain.db at `path`, or an in-memory
   * database with `':memory:'`.
   * The file is created if missing, its directory is not: a missing directory is
   * `NOT_FOUND` (create it first; `CleoWorkspace.open` creates its own). With `embedder`, checks it against the recorded one
   * (or creates the vector table on first use).
   *
   * @example
   * ```ts
   * const brain = await BrainRepository.open('.cleo/brain.db', { embedder: new FeatureHashingEmbedder() })
   * ```
   */
  static async open(path: string, options: BrainRepositoryOptions = {}): Promise<BrainRepository> {
    checkOptions(BrainOpenOptionsSchema, options, 'BrainRepository.open', { store: BRAIN_STORE.name })
    const { embedder: _embedder, embedderChange: _change, searchTuning: _tuning, mmapSize = BRAIN_DEFAULT_MMAP_SIZE, knownReferences: _known, ...engine } = options
    if (!Number.isSafeInteger(mmapSize) || mmapSize < 0) {
      throw new CleoStoreError('VALIDATION', `mmapSize must be a non-negative integer (got ${mmapSize})`, {
        store: BRAIN_STORE.name,
        details: { path: ['mmapSize'] },
      })
    }
    const db = await openStoreDatabase<BrainDatabase>(BRAIN_STORE, path, engine)
    return BrainRepository.#assemble(new SqliteStoreEngine(db), db, options, () => {
      if (path !== MEMORY) db.exec(`PRAGMA mmap_size = ${mmapSize}`)
      return sqliteVecUnavailableReason(db)
    })
  }

  /**
   * Opens the vector index on an open store and the repository over both; closes
   * the store when that fails. `prepare` runs first and says why sqlite-vec is
   * missing (null when it is loaded, or on PostgreSQL).
   */
  static async #assemble(
    engine: SqliteStoreEngine<BrainDatabase> | PostgresStoreEngine<BrainDatabase>,
    store: { close(): Promise<void> },
    options: BrainRepositoryOptions | BrainPostgresOptions,
    prepare: () => string | null,
  ): Promise<BrainRepository> {
    const { embedder, embedderChange, searchTuning } = options
    try {
      const vectors = await VectorIndex.open(engine, {
        embedder,
        clock: options.clock ?? Date.now,
        sqliteVecMissing: prepare(),
        ...(embedderChange === undefined ? {} : { embedderChange }),
        ...(searchTuning === undefined ? {} : { tuning: searchTuning }),
      })
      return new BrainRepository(engine, options, vectors)
    } catch (error) {
      await store.close()
      throw error
    }
  }

  /**
   * Opens brain on a PostgreSQL server — one project's memories shared by many
   * hosts — creating its schema (default `brain`; a workspace names it after the
   * project key) and migrating it if needed. Same API, errors and rules as on
   * SQLite (see docs/brain.md, "On PostgreSQL"): writes run `SERIALIZABLE`, a lost
   * race is retried whole until `busyTimeoutMs`, then `BUSY`. Full-text search runs
   * on each table's `search_vector` (GIN) with `ts_rank`; BM25 scores and
   * PostgreSQL's ranks differ in scale, so `minScore` thresholds tuned on one
   * engine need checking on the other. SQLite-only options (`mmapSize`, …) are
   * refused with `VALIDATION`; sqlite-vec plays no part (`embeddingStatus().sqliteVecMissing`
   * is null).
   *
   * `target` is a connection string (cleo-store creates a `pg` pool and ends it on
   * `close()`; without the optional peer dependency `pg`: `UNSUPPORTED`) or your own
   * `pg.Pool` (never ended by cleo-store).
   *
   * Throws `VALIDATION` (bad target, schema name or option), `IO` (server
   * unreachable), `NOT_FOUND` (no such database), `WRONG_STORE`, `SCHEMA_TOO_NEW`,
   * `MIGRATION_FAILED`.
   *
   * @example
   * ```ts
   * const brain = await BrainRepository.openPostgres(process.env.DATABASE_URL!, { schema: 'acme_api_brain' })
   * ```
   */
  static async openPostgres(target: PostgresTarget, options: BrainPostgresOptions = {}): Promise<BrainRepository> {
    checkOptions(BrainPostgresOptionsSchema, options, 'BrainRepository.openPostgres', { store: BRAIN_STORE.name })
    const { embedder: _embedder, embedderChange: _change, searchTuning: _tuning, knownReferences: _known, clock: _clock, referenceGuard: _guard, ...server } = options
    const db = await openPostgresDatabase<BrainDatabase>(BRAIN_STORE, target, server)
    return BrainRepository.#assemble(new PostgresStoreEngine(db), db, options, () => null)
  }

  /** @internal The store engine the aggregates run on (tests reach the rows through it). */
  get engine(): StoreEngine<BrainDatabase> {
    return this.#engine
  }

  /**
   * Records a memory of `input.kind`. A valid memory of the same kind with the same
   * normalised primary text is returned instead (`outcome: 'duplicate'`, its
   * citation count bumped); a repeated `idempotencyKey` returns the first result
   * (`replayed`; `CONFLICT` if the text differs). Empty or malformed input is
   * `VALIDATION`, before anything is written.
   *
   * @example
   * ```ts
   * const { memory, outcome } = await brain.record({ kind: 'learning', insight: 'Retry on BUSY', source: 'T12', confidence: 0.8 })
   * ```
   */
  record<K extends BrainMemoryKind>(input: BrainMemoryInputOf<K> & { kind: K }): Promise<BrainRecordResult<BrainMemoryOf<K>>> {
    return this.#memories.record<K>(input)
  }

  /**
   * Records up to 1 000 memories with one `embed` call and one transaction (much
   * higher throughput than one `record` per memory). Each entry follows the rules
   * of {@link record}; a duplicate *within* the batch cites the first. Results are
   * in input order. Invalid input anywhere rejects the whole batch (`VALIDATION`,
   * `details.path` starts with its index) before anything is written.
   *
   * @example
   * ```ts
   * const results = await brain.recordMany(observations.map((o) => ({ kind: 'observation', title: o.title, narrative: o.text })))
   * ```
   */
  recordMany(inputs: ReadonlyArray<BrainMemoryInputOf<BrainMemoryKind> & { kind: BrainMemoryKind }>): Promise<Array<BrainRecordResult<BrainMemory>>> {
    return this.#memories.recordMany(inputs)
  }

  /**
   * The memory with `id` (any kind); `NOT_FOUND` when there is none.
   *
   * @example
   * ```ts
   * const memory = await brain.get(id)
   * if (memory.kind === 'decision') console.log(memory.rationale)
   * ```
   */
  get(id: string): Promise<BrainMemory> {
    return this.#memories.get(id)
  }

  /**
   * The memory with `id`, or null.
   *
   * @example
   * ```ts
   * const maybe = await brain.find(id)
   * ```
   */
  find(id: string): Promise<BrainMemory | null> {
    return this.#memories.find(id)
  }

  /**
   * A page of memories across kinds, newest first (valid ones only by default).
   *
   * @example
   * ```ts
   * let page = await brain.list({ kinds: ['decision'], limit: 20 })
   * while (page.nextCursor) page = await brain.list({ kinds: ['decision'], limit: 20, cursor: page.nextCursor })
   * ```
   */
  list(options: BrainListOptionsInput = {}): Promise<BrainPage<BrainMemory>> {
    return this.#memories.list(options)
  }

  /**
   * Every memory matching `options`, newest first, fetched a page at a time
   * (`limit` is the page size).
   *
   * @example
   * ```ts
   * for await (const memory of brain.iterate({ kinds: ['decision'] })) console.log(memory.id)
   * ```
   */
  iterate(options: IterateFilter<BrainListOptionsInput> = {}): AsyncGenerator<BrainMemory, void, undefined> {
    return iteratePages((cursor) => this.#memories.list(cursor === undefined ? options : { ...options, cursor }))
  }

  /**
   * Updates fields of a memory; `patch.kind` must be its kind (else `VALIDATION`).
   * Changed text is re-indexed and re-embedded (a failed embed queues it); text that
   * would duplicate another valid memory is `CONFLICT`.
   *
   * @example
   * ```ts
   * await brain.update(id, { kind: 'decision', outcome: 'success' })
   * ```
   */
  update<K extends BrainMemoryKind>(id: string, patch: BrainMemoryPatchOf<K> & { kind: K }): Promise<BrainMemoryOf<K>> {
    return this.#memories.update(id, patch) as Promise<BrainMemoryOf<K>>
  }

  /**
   * Marks a memory as no longer true (`invalidAt`, default now), optionally
   * superseded by another memory (which must exist). Invalid memories leave
   * valid-only search and lists, and stop deduplicating new records.
   *
   * @example
   * ```ts
   * await brain.invalidate(oldId, { supersededBy: newId })
   * ```
   */
  invalidate(id: string, options: BrainInvalidateOptionsInput = {}): Promise<BrainMemory> {
    return this.#memories.invalidate(id, options)
  }

  /**
   * Deletes a memory with its links, index entries and vector; false when absent.
   *
   * @example
   * ```ts
   * await brain.delete(id) // true
   * ```
   */
  delete(id: string): Promise<boolean> {
    return this.#memories.delete(id)
  }

  /**
   * Searches every entry kind (or `kinds`) with BM25 full-text (`fts`), cosine kNN
   * (`vector`), or both fused (`hybrid`, the default when an embedder is set; fusion
   * `score` by default, or `rrf`). Any text is a safe query. Results carry the kind,
   * id, fused score, each signal's score and rank, and the entry. `minScore` drops
   * weak hits, so an empty result can mean "nothing relevant" (scores per mode:
   * docs/brain-search-and-embedders.md). Without sqlite-vec, `vector` and `hybrid`
   * are `UNSUPPORTED` and the default mode is `fts`.
   *
   * @example
   * ```ts
   * const relevant = await brain.search('sqlite busy timeout', { mode: 'vector', minScore: 0.2 })
   * const hits = await brain.search('sqlite busy timeout', { kinds: ['decision', 'learning'], limit: 5 })
   * for (const hit of hits) console.log(hit.kind, hit.score.toFixed(3), hit.signals.fts?.rank, hit.signals.vector?.rank)
   * ```
   */
  search(query: string, options: BrainSearchOptionsInput = {}): Promise<BrainSearchHit[]> {
    return this.#search.search(query, options)
  }

  /**
   * Embeds every queued entry (new, failed, changed, or all of them after an
   * embedder reset). `UNSUPPORTED` without an embedder.
   *
   * @example
   * ```ts
   * const report = await brain.reindex({ onProgress: ({ done, total }) => console.log(`${done}/${total}`) })
   * ```
   */
  reindex(options: BrainReindexOptionsInput = {}): Promise<BrainReindexReport> {
    return this.#reindexer.reindex(options)
  }

  /**
   * Applies the lifecycle rules (tier promotion, confidence decay of stale
   * learnings, soft eviction of old low-quality short-tier memories) and removes
   * orphan vectors, in one transaction; reports every change (`dryRun`: report only).
   * When it can see tasks (opened by a workspace: `knownReferences`), it also
   * reconciles orphaned references to tasks and sessions in the same transaction
   * and reports them in `orphanedRefs` (null when it cannot see tasks).
   *
   * @example
   * ```ts
   * const { promoted, decayed, evicted } = await brain.maintain()
   * ```
   */
  maintain(options: BrainMaintainOptionsInput = {}): Promise<BrainMaintenanceReport> {
    return this.#maintenance.maintain(options)
  }

  /**
   * Clears references to tasks that no longer exist: decision context ids are
   * nulled and links removed (and, with `existingSessionIds`, unknown observation
   * session ids nulled) — set-based, in one transaction. Pass every task id that
   * exists: an empty list orphans everything.
   *
   * @example
   * ```ts
   * const report = await brain.reconcileOrphanedRefs(allTaskIds)
   * ```
   */
  reconcileOrphanedRefs(
    existingTaskIds: Iterable<string>,
    options: BrainReconcileOptionsInput = {},
  ): Promise<BrainReconcileReport> {
    return this.#maintenance.reconcileOrphanedRefs(existingTaskIds, options)
  }

  /**
   * The vector index's state: recorded model and dimension, vectors stored, entries queued.
   *
   * @example
   * ```ts
   * const { vectors, queued } = await brain.embeddingStatus()
   * ```
   */
  async embeddingStatus(): Promise<BrainEmbeddingStatus> {
    const vectors = this.#vectors
    return this.#engine.snapshot(function* (x) {
      return {
        embedder: vectors.hasEmbedder,
        modelId: vectors.modelId,
        dimensions: vectors.dimensions,
        vectors: yield* vectors.count(x),
        queued: yield* vectors.queued(x),
        sqliteVecMissing: vectors.sqliteVecMissing,
      }
    })
  }
}
