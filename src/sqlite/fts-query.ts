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
  const terms = ftsTerms(text, options.maxTerms)
  if (terms.length === 0) return null
  const suffix = options.prefix ? '*' : ''
  return terms.map((term) => `"${term}"${suffix}`).join(options.mode === 'any' ? ' OR ' : ' ')
}

/** Combining marks U+0300–U+036F, which `cleo_search_text()` strips on PostgreSQL after NFD. */
const COMBINING = /[\u0300-\u036f]/g

/**
 * Builds a PostgreSQL `to_tsquery('simple', …)` text from arbitrary text, or `null`
 * when it has no searchable word — the same words, mode and prefix as
 * {@link toFtsQuery}. Each word is quoted (`'word'`, `'word':*`): the words hold only
 * letters, digits, marks and `_`, so no quote, backslash or operator of the tsquery
 * syntax can come from user text. Accents are folded as the `search_vector` column
 * folds them (NFD, combining marks removed) and `_` is a separator, as in FTS5.
 *
 * @example
 * ```ts
 * toTsQuery('fix "login" bug')                         // "'fix' & 'login' & 'bug'"
 * toTsQuery('Déplo', { prefix: true, mode: 'any' })    // "'deplo':*"
 * ```
 */
export function toTsQuery(text: string, options: FtsQueryOptions = {}): string | null {
  const suffix = options.prefix ? ':*' : ''
  const words: string[] = []
  for (const term of ftsTerms(text, options.maxTerms)) {
    const folded = term.normalize('NFD').replace(COMBINING, '').replaceAll('_', ' ').trim()
    // A word of marks only folds to nothing (FTS5 indexes no token for it either); '' is a tsquery syntax error.
    if (folded !== '') words.push(`'${folded}'${suffix}`)
  }
  return words.length === 0 ? null : words.join(options.mode === 'any' ? ' | ' : ' & ')
}
