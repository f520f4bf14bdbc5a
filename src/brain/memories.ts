/**
 * The four typed memory kinds: record (with dedup, idempotency and embedding),
 * get, list, update, invalidate, delete.
 *
 * @module
 */
import type { BrainInvalidateOptionsInput, BrainListOptionsInput } from './brain.input.types.js'

import { CleoStoreError } from '../sqlite/errors.js'
import { guardReferences } from '../sqlite/reference-guard.js'
import { validate } from '../sqlite/validate.js'
import type { Step } from '../sqlite/store-engine.js'
import type { BrainCore, BrainExecutor } from './brain-core.js'
import { memoryReferences } from './brain-core.js'
import {
  BrainInvalidateOptions,
  BrainListOptions,
  BrainMemoryId,
  BrainMemoryInput,
  BrainMemoryInputs,
  BrainMemoryPatch,
} from './brain.schemas.js'
import type { BrainMemory, BrainMemoryOf, BrainPage, BrainRecordResult } from './brain.types.js'
import type { BrainMemoryKind } from './memory-kinds.js'
import { BRAIN_MEMORY_KINDS, memoryKey } from './memory-kinds.js'
import { MEMORY_QUERIES } from './memory-queries.js'
import type { AnyMemoryRow, MemoryRowOf, NewMemoryRow, ParsedMemoryInput } from './memory-rows.js'
import { memoryEmbeddingText, memoryFromRow, newMemoryRow, patchedMemoryRow } from './memory-rows.js'
import type { EmbedOutcome } from './vector-index.js'

/** A located memory row. */
export interface LocatedMemory {
  readonly kind: BrainMemoryKind
  readonly row: AnyMemoryRow
}

/** A validated, embedded memory waiting for {@link BrainMemories.commit}. */
export interface PreparedMemory<K extends BrainMemoryKind> {
  readonly kind: K
  readonly row: NewMemoryRow<K>
  readonly outcome: EmbedOutcome | undefined
}

/** Highest id (exclusive cursor) — above every UUID. */
const TOP_CURSOR = '~'

/**
 * Memory operations over the four kinds. Exposed through `BrainRepository`'s own
 * methods (`record`, `get`, `find`, `list`, `update`, `invalidate`, `delete`).
 */
export class BrainMemories {
  readonly #core: BrainCore

  /** @internal Created by the repository. */
  constructor(core: BrainCore) {
    this.#core = core
  }

  /** Inside a read or write: the row with `id` of any memory kind. */
  *locate(x: BrainExecutor, id: string): Step<LocatedMemory | undefined> {
    for (const kind of BRAIN_MEMORY_KINDS) {
      const row = yield* x.get(MEMORY_QUERIES[kind].byId, { id })
      if (row !== undefined) return { kind, row }
    }
    return undefined
  }

  #notFound(id: string): CleoStoreError {
    return new CleoStoreError('NOT_FOUND', `brain memory ${JSON.stringify(id)} does not exist`, {
      ...this.#core.context,
      details: { id },
    })
  }

  /** Inside a read or write: a valid row of `kind` that `row` duplicates or replays. */
  *#existing<K extends BrainMemoryKind>(
    x: BrainExecutor,
    kind: K,
    hash: string,
    idempotencyKey: string | null,
  ): Step<{ row: MemoryRowOf<K>; by: 'key' | 'hash' } | undefined> {
    const queries = MEMORY_QUERIES[kind]
    if (idempotencyKey !== null) {
      const row = yield* x.get(queries.byIdempotencyKey, { key: idempotencyKey })
      if (row !== undefined) return { row: row as MemoryRowOf<K>, by: 'key' }
    }
    const row = yield* x.get(queries.byHash, { hash })
    return row === undefined ? undefined : { row: row as MemoryRowOf<K>, by: 'hash' }
  }

  /**
   * The asynchronous half of a record: validates, builds the row, and embeds it
   * unless it is a duplicate. Commit the result with {@link commit} inside a write.
   */
  async prepare<K extends BrainMemoryKind>(input: unknown, operation = 'brain.record'): Promise<PreparedMemory<K>> {
    const { engine, clock, vectors, context } = this.#core
    const parsed = validate(BrainMemoryInput, input, operation, context) as unknown as ParsedMemoryInput & { kind: K }
    await guardReferences(this.#core.guard, operation, memoryReferences(parsed as unknown as Record<string, unknown>))
    const kind = parsed.kind
    const row = newMemoryRow(parsed, { id: this.#core.newId(), now: clock() })
    let outcome: EmbedOutcome | undefined
    if (vectors.canEmbed) {
      // Look for a duplicate first: no embedding is spent on it.
      const found = await engine.read((x) => this.#existing(x, kind, row.content_hash, row.idempotency_key))
      if (found === undefined) [outcome] = await vectors.embed([memoryEmbeddingText(kind, row, context)])
    }
    return { kind, row, outcome }
  }

  /** The transactional half of a record, inside a write: dedup, replay, or insert. */
  *commit<K extends BrainMemoryKind>(x: BrainExecutor, prepared: PreparedMemory<K>): Step<BrainRecordResult<BrainMemoryOf<K>>> {
    const { vectors, context } = this.#core
    const { kind, row, outcome } = prepared
    const queries = MEMORY_QUERIES[kind]
    const found = yield* this.#existing(x, kind, row.content_hash, row.idempotency_key)
    if (found !== undefined) {
      if (found.by === 'key') {
        if (found.row.content_hash !== row.content_hash) {
          throw new CleoStoreError(
            'CONFLICT',
            `idempotency key ${JSON.stringify(row.idempotency_key)} was used for a different ${kind} (${found.row.id})`,
            { ...context, details: { idempotencyKey: row.idempotency_key, existingId: found.row.id } },
          )
        }
        return { memory: memoryFromRow(kind, found.row, context), outcome: 'replayed', embedding: 'none' }
      }
      yield* x.run(queries.cite, { seq: found.row.seq })
      const cited = (yield* x.get(queries.bySeq, { seq: found.row.seq })) as MemoryRowOf<K>
      return { memory: memoryFromRow(kind, cited, context), outcome: 'duplicate', embedding: 'none' }
    }
    if (vectors.canEmbed) yield* vectors.assertCurrent(x)
    const { seq } = (yield* x.get(queries.insert, row))!
    const stored = { ...row, seq } as MemoryRowOf<K>
    const embedding = yield* vectors.apply(x, memoryKey(kind, seq), kind, outcome, false)
    return { memory: memoryFromRow(kind, stored, context), outcome: 'created', embedding }
  }

  /** Records many memories with one `embed` call and one transaction; see `BrainRepository.recordMany`. */
  async recordMany(inputs: unknown): Promise<Array<BrainRecordResult<BrainMemory>>> {
    const { engine, clock, vectors, context } = this.#core
    const parsed = validate(BrainMemoryInputs, inputs, 'brain.recordMany', context) as unknown as ParsedMemoryInput[]
    await guardReferences(
      this.#core.guard,
      'brain.recordMany',
      parsed.flatMap((input, i) => memoryReferences(input as unknown as Record<string, unknown>, [i])),
    )
    const now = clock()
    const rows = parsed.map((input) => ({ kind: input.kind, row: newMemoryRow(input, { id: this.#core.newId(), now }) }))
    const outcomes: Array<EmbedOutcome | undefined> = rows.map(() => undefined)
    const self = this
    if (vectors.canEmbed) {
      const fresh = await engine.read(function* (x) {
        const indexes: number[] = []
        for (const [i, { kind, row }] of rows.entries()) {
          if ((yield* self.#existing(x, kind, row.content_hash, row.idempotency_key)) === undefined) indexes.push(i)
        }
        return indexes
      })
      const embedded = await vectors.embed(fresh.map((i) => memoryEmbeddingText(rows[i]!.kind, rows[i]!.row as never, context)))
      fresh.forEach((i, j) => (outcomes[i] = embedded[j]))
    }
    return engine.write(function* (x) {
      const results: Array<BrainRecordResult<BrainMemory>> = []
      for (const [i, { kind, row }] of rows.entries()) results.push((yield* self.commit(x, { kind, row, outcome: outcomes[i] })) as BrainRecordResult<BrainMemory>)
      return results
    })
  }

  /** Records a memory; see `BrainRepository.record`. */
  async record<K extends BrainMemoryKind>(input: unknown): Promise<BrainRecordResult<BrainMemoryOf<K>>> {
    const prepared = await this.prepare<K>(input)
    return this.#core.engine.write((x) => this.commit(x, prepared))
  }

  /** The memory with `id`, or null. */
  async find(id: string): Promise<BrainMemory | null> {
    const { engine, context } = this.#core
    validate(BrainMemoryId, id, 'brain.find', context)
    const found = await engine.read((x) => this.locate(x, id))
    return found === undefined ? null : memoryFromRow(found.kind, found.row as never, context)
  }

  /** The memory with `id`; `NOT_FOUND` when there is none. */
  async get(id: string): Promise<BrainMemory> {
    const memory = await this.find(id)
    if (memory === null) throw this.#notFound(id)
    return memory
  }

  /** A page of memories across kinds, newest first. */
  async list(options: BrainListOptionsInput = {}): Promise<BrainPage<BrainMemory>> {
    const { engine, clock, context } = this.#core
    const o = validate(BrainListOptions, options, 'brain.list', context)
    const kinds = o.kinds ?? BRAIN_MEMORY_KINDS
    const args = {
      cursor: o.cursor ?? TOP_CURSOR,
      valid_only: o.validOnly ? 1 : 0,
      at: o.at ?? clock(),
      tier: o.tier ?? null,
      limit: o.limit + 1,
    }
    const rows = await engine.snapshot(function* (x) {
      const all: Array<{ kind: BrainMemoryKind; row: AnyMemoryRow }> = []
      for (const kind of kinds) for (const row of yield* x.all(MEMORY_QUERIES[kind].page, args)) all.push({ kind, row })
      return all
    })
    rows.sort((a, b) => (a.row.id < b.row.id ? 1 : a.row.id > b.row.id ? -1 : 0))
    const page = rows.slice(0, o.limit)
    return {
      items: page.map(({ kind, row }) => memoryFromRow(kind, row as never, context)),
      nextCursor: rows.length > o.limit ? page[page.length - 1]!.row.id : null,
    }
  }

  /** Updates fields of a memory; see `BrainRepository.update`. */
  async update(id: string, patch: unknown): Promise<BrainMemory> {
    const { engine, clock, vectors, context } = this.#core
    validate(BrainMemoryId, id, 'brain.update', context)
    const parsed = validate(BrainMemoryPatch, patch, 'brain.update', context) as Record<string, unknown> & { kind: BrainMemoryKind }
    await guardReferences(this.#core.guard, 'brain.update', memoryReferences(parsed))
    const kind = parsed.kind
    const check = (found: LocatedMemory | undefined): MemoryRowOf<typeof kind> => {
      if (found === undefined) throw this.#notFound(id)
      if (found.kind !== kind) {
        throw new CleoStoreError('VALIDATION', `brain.update: memory ${id} is a ${found.kind}, not a ${kind}`, {
          ...context,
          details: { path: ['kind'], actual: found.kind },
        })
      }
      return found.row as MemoryRowOf<typeof kind>
    }
    const before = check(await engine.read((x) => this.locate(x, id)))
    const draft = patchedMemoryRow(before, kind, parsed, clock())
    const draftText = memoryEmbeddingText(kind, draft, context)
    const textChanged = draftText !== memoryEmbeddingText(kind, before, context)
    let outcome: EmbedOutcome | undefined
    if (textChanged && vectors.canEmbed) [outcome] = await vectors.embed([draftText])
    const queries = MEMORY_QUERIES[kind]
    const self = this
    return engine.write(function* (x) {
      const current = check(yield* self.locate(x, id))
      const next = patchedMemoryRow(current, kind, parsed, clock())
      if (next.content_hash !== current.content_hash && next.invalid_at === null) {
        const clash = yield* x.get(queries.byHash, { hash: next.content_hash })
        if (clash !== undefined && clash.seq !== current.seq) {
          throw new CleoStoreError('CONFLICT', `brain.update: the new text duplicates ${kind} ${clash.id}`, {
            ...context,
            details: { existingId: clash.id },
          })
        }
      }
      yield* x.run(queries.update, next)
      const nextText = memoryEmbeddingText(kind, next, context)
      if (nextText !== memoryEmbeddingText(kind, current, context)) {
        if (vectors.canEmbed) yield* vectors.assertCurrent(x)
        // A concurrent update changed the text since we embedded: queue instead.
        yield* vectors.apply(x, memoryKey(kind, current.seq), kind, nextText === draftText ? outcome : undefined, true)
      }
      return memoryFromRow(kind, next, context)
    })
  }

  /** Marks a memory invalid; see `BrainRepository.invalidate`. */
  async invalidate(id: string, options: BrainInvalidateOptionsInput = {}): Promise<BrainMemory> {
    const { engine, clock, context } = this.#core
    validate(BrainMemoryId, id, 'brain.invalidate', context)
    const o = validate(BrainInvalidateOptions, options, 'brain.invalidate', context)
    if (o.supersededBy === id) {
      throw new CleoStoreError('VALIDATION', `brain.invalidate: a memory cannot supersede itself (${id})`, {
        ...context,
        details: { path: ['supersededBy'] },
      })
    }
    const self = this
    return engine.write(function* (x) {
      const found = yield* self.locate(x, id)
      if (found === undefined) throw self.#notFound(id)
      if (o.supersededBy !== undefined && (yield* self.locate(x, o.supersededBy)) === undefined) {
        throw new CleoStoreError('NOT_FOUND', `brain.invalidate: superseding memory ${JSON.stringify(o.supersededBy)} does not exist`, {
          ...context,
          details: { path: ['supersededBy'], id: o.supersededBy },
        })
      }
      const now = clock()
      const queries = MEMORY_QUERIES[found.kind]
      const invalidAt = o.at ?? found.row.invalid_at ?? now
      const supersededBy = o.supersededBy ?? found.row.superseded_by
      yield* x.run(queries.invalidate, { seq: found.row.seq, invalid_at: invalidAt, superseded_by: supersededBy, updated_at: now })
      const row = (yield* x.get(queries.bySeq, { seq: found.row.seq }))!
      return memoryFromRow(found.kind, row as never, context)
    })
  }

  /** Deletes a memory, its links, index entries and vector. Returns false when there was none. */
  async delete(id: string): Promise<boolean> {
    const { engine, vectors, context } = this.#core
    validate(BrainMemoryId, id, 'brain.delete', context)
    const self = this
    return engine.write(function* (x) {
      const found = yield* self.locate(x, id)
      if (found === undefined) return false
      yield* x.run(MEMORY_QUERIES[found.kind].deleteBySeq, { seq: found.row.seq })
      yield* vectors.remove(x, memoryKey(found.kind, found.row.seq))
      return true
    })
  }
}
