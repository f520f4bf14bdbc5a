/**
 * Turns any user text into a safe FTS5 MATCH expression. User text never reaches
 * FTS5's query syntax: it is split into words (Unicode letters, digits, `_`), and
 * each word becomes a quoted string token, so quotes, parentheses, `*`, `:`, `^`,
 * column filters and the operators AND/OR/NOT/NEAR are all just text. No input can
 * produce an FTS5 syntax error.
 *
 * @module
 */

/** Options of {@link toFtsQuery}. */
export interface FtsQueryOptions {
  /** `all`: every word must match (AND, default); `any`: at least one (OR). */
  readonly mode?: 'all' | 'any'
  /** Match words as prefixes (`"deplo"*` finds "deploy", "deployment"). Default false. */
  readonly prefix?: boolean
  /** At most this many words are used (default 32); the rest is ignored. */
  readonly maxTerms?: number
}

const WORD = /[\p{L}\p{N}\p{M}_]+/gu
const MAX_TERM_LENGTH = 64

/** The words of `text` as FTS5 would see them (lower-cased, deduplicated, bounded). */
export function ftsTerms(text: string, maxTerms = 32): string[] {
  const terms: string[] = []
  const seen = new Set<string>()
  for (const match of text.normalize('NFKC').matchAll(WORD)) {
    const term = match[0].toLowerCase().slice(0, MAX_TERM_LENGTH)
    if (seen.has(term)) continue
    seen.add(term)
    terms.push(term)
    if (terms.length >= maxTerms) break
  }
  return terms
}

/**
 * Builds an FTS5 MATCH expression from arbitrary text, or `null` when the text has
 * no searchable word (callers then return no results instead of querying).
 *
 * @example
 * ```ts
 * toFtsQuery('fix "login" bug OR crash')              // '"fix" "login" "bug" "or" "crash"'
 * toFtsQuery('deplo', { prefix: true, mode: 'any' }) // '"deplo"*'
 * toFtsQuery('*** ((( ')                            // null
 * ```
 */
export function toFtsQuery(text: string, options: FtsQueryOptions = {}): string | null {
  const terms = ftsTerms(text, options.maxTerms ?? 32)
  if (terms.length === 0) return null
  const suffix = options.prefix ? '*' : ''
  return terms.map((term) => `"${term}"${suffix}`).join(options.mode === 'any' ? ' OR ' : ' ')
}
