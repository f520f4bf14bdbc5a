/**
 * The kinds of brain entries, their tables, and the *memory key* that joins a row
 * to its full-text and vector index entries.
 *
 * A memory key is `kind code × 2^40 + seq`: an integer unique across every kind,
 * used as the rowid of `brain_memory_fts` and `brain_embeddings`. It is internal —
 * ids (UUIDv7) carry no kind; the kind is the table the row lives in.
 *
 * @module
 */

/**
 * The four typed memory kinds.
 *
 * @example
 * ```ts
 * BRAIN_MEMORY_KINDS.includes('decision') // true
 * ```
 */
export const BRAIN_MEMORY_KINDS = Object.freeze(['decision', 'pattern', 'learning', 'observation'] as const)

/** A typed memory kind. */
export type BrainMemoryKind = (typeof BRAIN_MEMORY_KINDS)[number]

/**
 * Every searchable kind of entry: the four memory kinds and sticky notes.
 *
 * @example
 * ```ts
 * await brain.search('wal', { kinds: BRAIN_ENTRY_KINDS.filter((k) => k !== 'sticky') })
 * ```
 */
export const BRAIN_ENTRY_KINDS = Object.freeze([...BRAIN_MEMORY_KINDS, 'sticky'] as const)

/** A searchable entry kind. */
export type BrainEntryKind = (typeof BRAIN_ENTRY_KINDS)[number]

/** Table of each entry kind. */
export const KIND_TABLES = Object.freeze({
  decision: 'brain_decisions',
  pattern: 'brain_patterns',
  learning: 'brain_learnings',
  observation: 'brain_observations',
  sticky: 'brain_sticky_notes',
} as const)

/** Kind code inside a memory key (frozen by migration 0002). */
export const KIND_CODES: Readonly<Record<BrainEntryKind, number>> = Object.freeze({
  decision: 1,
  pattern: 2,
  learning: 3,
  observation: 4,
  sticky: 5,
})

/** 2^40: memory keys of one kind lie in `[code × KEY_BASE, (code + 1) × KEY_BASE)`. */
export const KEY_BASE = 2 ** 40

const KIND_BY_CODE: readonly (BrainEntryKind | undefined)[] = [undefined, 'decision', 'pattern', 'learning', 'observation', 'sticky']

/** The memory key of row `seq` of `kind`. */
export function memoryKey(kind: BrainEntryKind, seq: number): number {
  return KIND_CODES[kind] * KEY_BASE + seq
}

/** Splits a memory key into its kind and seq; `undefined` for a key of no known kind. */
export function splitMemoryKey(key: number): { kind: BrainEntryKind; seq: number } | undefined {
  const code = Math.floor(key / KEY_BASE)
  const kind = KIND_BY_CODE[code]
  return kind === undefined ? undefined : { kind, seq: key - code * KEY_BASE }
}

/** The half-open memory-key range of `kind`. */
export function keyRange(kind: BrainEntryKind): { readonly from: number; readonly to: number } {
  const code = KIND_CODES[kind]
  return { from: code * KEY_BASE, to: (code + 1) * KEY_BASE }
}
