/**
 * Bounded full-text retrieval. FTS5 computes BM25 for *every* row that matches
 * before `ORDER BY rank LIMIT n` keeps the best, so one very common word in an OR
 * query ("the", or a project's own name) costs a BM25 evaluation per entry: ~70 ms
 * at 100k entries (≈ 1 µs per matching row). FTS5's BM25 gives such words almost no weight anyway (its IDF is
 * clamped near 0 for words in half the rows).
 *
 * So each query word's document frequency is probed first (bounded: counting stops
 * at the budget), and the ranked OR query uses the rarest words whose frequencies
 * sum to at most the budget — common words act as stop words when rarer ones are
 * present. When every word is that common, no BM25 ranking over all matches is
 * affordable (nor meaningful): the newest matches of each kind are taken instead
 * (bounded per kind, so no kind is favoured) and ranked by BM25 among themselves.
 *
 * @module
 */

/** Rows one FTS query may score (default). */
export const FTS_ROW_BUDGET = 10_000

/** A query word with its probed document frequency (capped at `budget + 1`). */
export interface ProbedTerm {
  /** The FTS5 expression of the single word (from `toFtsQuery`). */
  readonly expression: string
  readonly documents: number
}

/** How to run the full-text signal. */
export type FtsPlan =
  | { readonly kind: 'none' }
  /** Ranked OR over these expressions (their frequencies sum to ≤ budget). */
  | { readonly kind: 'ranked'; readonly expressions: readonly string[] }
  /** Every word is too common: newest matches of the AND of all expressions, per kind. */
  | { readonly kind: 'recent'; readonly expressions: readonly string[] }

/**
 * Chooses the words of a query (pure).
 *
 * @example
 * ```ts
 * planFtsQuery([{ expression: '"the"', documents: 20_001 }, { expression: '"wal"', documents: 40 }])
 * // { kind: 'ranked', expressions: ['"wal"'] }
 * ```
 */
export function planFtsQuery(terms: readonly ProbedTerm[], budget = FTS_ROW_BUDGET): FtsPlan {
  const present = terms.filter((t) => t.documents > 0)
  if (present.length === 0) return { kind: 'none' }
  const sorted = [...present].sort((a, b) => a.documents - b.documents)
  const chosen: string[] = []
  let total = 0
  for (const term of sorted) {
    if (total + term.documents > budget) break
    total += term.documents
    chosen.push(term.expression)
  }
  if (chosen.length > 0) return { kind: 'ranked', expressions: chosen }
  return { kind: 'recent', expressions: present.map((t) => t.expression) }
}
