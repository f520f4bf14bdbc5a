/**
 * The vector index's public options (`BrainRepository.open`/`openPostgres`): what to
 * do when the embedder changes, and how vector search is tuned. Kept apart from
 * `vector-index.ts`, so that the root module's declarations load these types
 * without the vector index's (which name the engine executor, hence Kysely).
 *
 * @module
 */

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
   * ≈ 10 ms). Above, candidates come from the binary codes (Hamming distance) and
   * are re-ranked by exact cosine distance — where the store measured a recall@10 of
   * at least 0.98 for that path on its own vectors (see `binaryPreselection`).
   * `Infinity` keeps every search exact.
   */
  readonly exactSearchUpTo?: number
  /**
   * Binary candidates taken per result wanted, ≥ 1. Default: the smallest of 2, 3,
   * 5 and 10 that reached a recall@10 of 0.98 when the store measured itself (10
   * with `binaryPreselection: 'always'`). The candidate pool of a `limit: 10` search
   * is 30, so 10 means 300 candidates re-ranked.
   */
  readonly oversample?: number
  /**
   * `'auto'` (default): above `exactSearchUpTo`, binary pre-selection only where the
   * store's measured recall allows it. `'always'`: above `exactSearchUpTo`, without
   * measuring. `'never'`: exact scans at every size.
   */
  readonly binaryPreselection?: 'auto' | 'always' | 'never'
  /** Rows one full-text query may score with BM25 (default 10 000 ≈ 10 ms; see the search docs). */
  readonly ftsRowBudget?: number
}
