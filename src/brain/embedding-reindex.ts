/**
 * `reindex()`: embeds every queued entry (new, failed, changed, or queued by an
 * embedder reset), in batches, writing each batch in one transaction.
 *
 * Each queued entry is tried at most once per call, so a persistently failing
 * embedder ends the call instead of looping; failures stay queued with their error
 * and an attempt count. An entry whose text changed while its batch was being
 * embedded stays queued (its new text is embedded by the next call).
 *
 * @module
 */
import type { Selectable } from 'kysely'
import { sql } from 'kysely'
import type { BrainReindexOptionsInput } from './brain.input.types.js'

import { CleoStoreError, isCleoStoreError } from '../sqlite/errors.js'
import { template } from '../sqlite/query-template.js'
import { validate } from '../sqlite/validate.js'
import type { Step } from '../sqlite/store-engine.js'
import type { BrainCore, BrainExecutor } from './brain-core.js'
import { BrainReindexOptions } from './brain.schemas.js'
import type { BrainDatabase, BrainStickyNotesTable } from './brain.tables.js'
import type { BrainReindexReport } from './brain.types.js'
import type { BrainEntryKind } from './memory-kinds.js'
import { splitMemoryKey } from './memory-kinds.js'
import { MEMORY_QUERIES } from './memory-queries.js'
import type { AnyMemoryRow } from './memory-rows.js'
import { memoryEmbeddingText, stickyEmbeddingText } from './memory-rows.js'
import type { EmbedOutcome } from './vector-index.js'

const NEXT_BATCH = template<BrainDatabase, { after: number; limit: number }>()((db, p) =>
  db.selectFrom('brain_embedding_queue').select('memory_key').where('memory_key', '>', p('after')).orderBy('memory_key').limit(p('limit')),
)
const STICKY_BY_SEQ = template<BrainDatabase, { seq: number }>()((db, p) =>
  db.selectFrom('brain_sticky_notes').selectAll().where('seq', '=', p('seq')),
)
const QUEUED = template<BrainDatabase>()((db) => db.selectFrom('brain_embedding_queue').select(sql<number>`count(*)`.as('n')))

/** `brain.reindex(…)`. Internal: exposed by `BrainRepository`. */
export class BrainReindexer {
  readonly #core: BrainCore

  constructor(core: BrainCore) {
    this.#core = core
  }

  /** Inside a read or write: the embedding text of the entry with `key`, or undefined when it is gone. */
  *#text(x: BrainExecutor, key: number): Step<{ kind: BrainEntryKind; text: string } | undefined> {
    const { context } = this.#core
    const split = splitMemoryKey(key)
    if (split === undefined) return undefined
    if (split.kind === 'sticky') {
      const row: Selectable<BrainStickyNotesTable> | undefined = yield* x.get(STICKY_BY_SEQ, { seq: split.seq })
      return row === undefined ? undefined : { kind: 'sticky', text: stickyEmbeddingText(row, context) }
    }
    const row: AnyMemoryRow | undefined = yield* x.get(MEMORY_QUERIES[split.kind].bySeq, { seq: split.seq })
    return row === undefined ? undefined : { kind: split.kind, text: memoryEmbeddingText(split.kind, row as never, context) }
  }

  async reindex(options: BrainReindexOptionsInput = {}): Promise<BrainReindexReport> {
    const { engine, vectors, context } = this.#core
    const o = validate(BrainReindexOptions, options, 'brain.reindex', context)
    vectors.assertSqliteVec('brain.reindex')
    if (!vectors.canEmbed) {
      throw new CleoStoreError('UNSUPPORTED', 'brain.reindex needs an embedder: open the brain store with { embedder }', context)
    }
    const self = this
    const total = (await engine.read((x) => x.get(QUEUED)))?.n ?? 0
    let after = -1
    let embedded = 0
    let failed = 0
    let skipped = 0
    for (;;) {
      const from = after
      const batch = await engine.read(function* (x) {
        const entries: Array<{ key: number; entry: { kind: BrainEntryKind; text: string } | undefined }> = []
        for (const { memory_key: key } of yield* x.all(NEXT_BATCH, { after: from, limit: o.batchSize })) entries.push({ key, entry: yield* self.#text(x, key) })
        return entries
      })
      if (batch.length === 0) break
      after = batch[batch.length - 1]!.key
      const live = batch.filter((b) => b.entry !== undefined) as Array<{ key: number; entry: { kind: BrainEntryKind; text: string } }>
      let outcomes: EmbedOutcome[]
      try {
        outcomes = await vectors.embed(live.map((b) => b.entry.text))
      } catch (error) {
        if (!isCleoStoreError(error, 'VALIDATION')) throw error
        outcomes = live.map(() => ({ error: error.message }))
      }
      const counts = await engine.write(function* (x) {
        yield* vectors.assertCurrent(x)
        const c = { embedded: 0, failed: 0, skipped: 0 }
        for (const gone of batch) if (gone.entry === undefined) yield* vectors.dequeue(x, gone.key)
        for (const [i, { key, entry }] of live.entries()) {
          const now = yield* self.#text(x, key)
          if (now === undefined) {
            yield* vectors.dequeue(x, key)
            continue
          }
          if (now.text !== entry.text) continue // changed meanwhile: stays queued
          const result = yield* vectors.apply(x, key, entry.kind, outcomes[i], true)
          if (result === 'stored') c.embedded++
          else if (result === 'queued') c.failed++
          else c.skipped++
        }
        return c
      })
      embedded += counts.embedded
      failed += counts.failed
      skipped += counts.skipped
      o.onProgress?.({ done: embedded + skipped, failed, total })
    }
    const remaining = (await engine.read((x) => x.get(QUEUED)))?.n ?? 0
    return { embedded, failed, skipped, remaining }
  }
}
