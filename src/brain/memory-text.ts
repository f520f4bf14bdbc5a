/**
 * Text normalisation and content hashing of brain memories (no Kysely: the root type graph imports
 * this file).
 *
 * @module
 */
import { createHash } from 'node:crypto'

/**
 * Text as the dedup hash sees it: NFKC, lower-cased, whitespace collapsed, trimmed.
 *
 * @example
 * ```ts
 * normalizeBrainText('  Use   WAL\nMode ') // 'use wal mode'
 * ```
 */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim()
}

/**
 * SHA-256 (hex) of the normalised text: the dedup key of a memory's primary text.
 *
 * @example
 * ```ts
 * brainContentHash('Use WAL') === brainContentHash('  use   wal ') // true
 * ```
 */
export function contentHash(text: string): string {
  return createHash('sha256').update(normalizeText(text), 'utf8').digest('hex')
}
