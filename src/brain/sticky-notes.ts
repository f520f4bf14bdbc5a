/**
 * Sticky notes: quick capture before classification, searchable like memories, and
 * convertible into a typed memory in one transaction.
 *
 * @module
 */
import type { Selectable } from 'kysely'
import type { BrainStickyNoteAddInput, BrainStickyNoteListOptionsInput, BrainStickyNotePatchInput } from './brain.input.types.js'

import { toJson } from '../sqlite/json.js'
import type { IterateFilter } from '../sqlite/paging.js'
import { iteratePages } from '../sqlite/paging.js'
import { CleoStoreError } from '../sqlite/errors.js'
import { template } from '../sqlite/query-template.js'
import { validate } from '../sqlite/validate.js'
import type { Step } from '../sqlite/store-engine.js'
import type { BrainCore, BrainExecutor } from './brain-core.js'
import { BrainMemoryId, BrainStickyNoteInput, BrainStickyNoteListOptions, BrainStickyNotePatch } from './brain.schemas.js'
import type { BrainDatabase, BrainStickyNotesTable } from './brain.tables.js'
import type { BrainMemoryInputOf, BrainMemoryOf, BrainPage, BrainRecordResult, BrainStickyNote } from './brain.types.js'
import type { BrainMemories } from './memories.js'
import type { BrainMemoryKind } from './memory-kinds.js'
import { memoryKey } from './memory-kinds.js'
import { contentHash, stickyEmbeddingText, stickyFromRow } from './memory-rows.js'
import type { EmbedOutcome } from './vector-index.js'

type StickyRow = Selectable<BrainStickyNotesTable>
const t = template<BrainDatabase, any>()

const INSERT = t((db, p) =>
  db.insertInto('brain_sticky_notes').values({
    id: p('id'),
    content: p('content'),
    tags_json: p('tags_json'),
    status: 'active',
    color: p('color'),
    priority: p('priority'),
    content_hash: p('content_hash'),
    idempotency_key: p('idempotency_key'),
    created_at: p('created_at'),
    updated_at: p('updated_at'),
  })
  .returning('seq'),
)
const BY_ID = template<BrainDatabase, { id: string }>()((db, p) => db.selectFrom('brain_sticky_notes').selectAll().where('id', '=', p('id')))
const BY_HASH = template<BrainDatabase, { hash: string }>()((db, p) =>
  db.selectFrom('brain_sticky_notes').selectAll().where('content_hash', '=', p('hash')).where('status', '=', 'active'),
)
const BY_KEY = template<BrainDatabase, { key: string }>()((db, p) =>
  db.selectFrom('brain_sticky_notes').selectAll().where('idempotency_key', '=', p('key')),
)
const UPDATE = t((db, p) =>
  db
    .updateTable('brain_sticky_notes')
    .set({
      content: p('content'),
      tags_json: p('tags_json'),
      status: p('status'),
      converted_to_kind: p('converted_to_kind'),
      converted_to_id: p('converted_to_id'),
      color: p('color'),
      priority: p('priority'),
      content_hash: p('content_hash'),
      updated_at: p('updated_at'),
    })
    .where('seq', '=', p('seq')),
)
const PAGE = template<BrainDatabase, { status: string; cursor: string; limit: number }>()((db, p) =>
  db
    .selectFrom('brain_sticky_notes')
    .selectAll()
    .where('status', '=', p('status') as any)
    .where('id', '<', p('cursor'))
    .orderBy('id', 'desc')
    .limit(p('limit')),
)
const DELETE = template<BrainDatabase, { seq: number }>()((db, p) => db.deleteFrom('brain_sticky_notes').where('seq', '=', p('seq')))

/** Field that receives a note's content when it is converted to each kind. */
const PRIMARY_FIELD: Readonly<Record<BrainMemoryKind, string>> = {
  decision: 'decision',
  pattern: 'pattern',
  learning: 'insight',
  observation: 'title',
}

/** What `stickyNotes.add` did. */
export interface BrainStickyNoteAddResult {
  readonly note: BrainStickyNote
  /** `duplicate`: an active note with the same normalised text exists (returned). */
  readonly outcome: 'created' | 'duplicate' | 'replayed'
  readonly embedding: 'stored' | 'queued' | 'none'
}

/**
 * Input of `stickyNotes.convert`: a memory input of any kind whose primary text
 * (`decision`, `pattern`, `insight` or `title`) defaults to the note's content.
 */
export type BrainStickyConvertInput<K extends BrainMemoryKind> = K extends BrainMemoryKind
  ? Omit<BrainMemoryInputOf<K>, 'decision' | 'pattern' | 'insight' | 'title'> & Partial<BrainMemoryInputOf<K>>
  : never

/**
 * `brain.stickyNotes`: add, get, list, update, archive, convert, delete.
 *
 * @example
 * ```ts
 * const { note } = await brain.stickyNotes.add({ content: 'check the retry budget', tags: ['queue'] })
 * const { memory } = await brain.stickyNotes.convert(note.id, { kind: 'learning', source: 'review', confidence: 0.7 })
 * ```
 */
export class BrainStickyNotes {
  readonly #core: BrainCore
  readonly #memories: BrainMemories

  /** @internal Created by the repository. */
  constructor(core: BrainCore, memories: BrainMemories) {
    this.#core = core
    this.#memories = memories
  }

  #notFound(id: string): CleoStoreError {
    return new CleoStoreError('NOT_FOUND', `sticky note ${JSON.stringify(id)} does not exist`, { ...this.#core.context, details: { id } })
  }

  /**
   * Adds a note. An active note with the same normalised text is returned instead
   * (`duplicate`); a repeated idempotency key returns the first note (`replayed`).
   */
  async add(input: BrainStickyNoteAddInput): Promise<BrainStickyNoteAddResult> {
    const { engine, clock, vectors, context } = this.#core
    const o = validate(BrainStickyNoteInput, input, 'brain.stickyNotes.add', context)
    const now = clock()
    const row = {
      id: this.#core.newId(),
      content: o.content,
      tags_json: toJson(o.tags ?? []),
      color: o.color ?? null,
      priority: o.priority ?? null,
      content_hash: contentHash(o.content),
      idempotency_key: o.idempotencyKey ?? null,
      created_at: now,
      updated_at: now,
    }
    function* existing(x: BrainExecutor): Step<{ row: StickyRow; by: 'key' | 'hash' } | undefined> {
      if (row.idempotency_key !== null) {
        const byKey = yield* x.get(BY_KEY, { key: row.idempotency_key })
        if (byKey !== undefined) return { row: byKey, by: 'key' }
      }
      const byHash = yield* x.get(BY_HASH, { hash: row.content_hash })
      return byHash === undefined ? undefined : { row: byHash, by: 'hash' }
    }
    let outcome: EmbedOutcome | undefined
    if (vectors.canEmbed && (await engine.read(existing)) === undefined) {
      ;[outcome] = await vectors.embed([stickyEmbeddingText(row, context)])
    }
    return engine.write(function* (x): Step<BrainStickyNoteAddResult> {
      const found = yield* existing(x)
      if (found !== undefined) {
        if (found.by === 'key' && found.row.content_hash !== row.content_hash) {
          throw new CleoStoreError('CONFLICT', `idempotency key ${JSON.stringify(row.idempotency_key)} was used for a different note`, {
            ...context,
            details: { existingId: found.row.id },
          })
        }
        return { note: stickyFromRow(found.row, context), outcome: found.by === 'key' ? 'replayed' : 'duplicate', embedding: 'none' }
      }
      if (vectors.canEmbed) yield* vectors.assertCurrent(x)
      const { seq } = (yield* x.get(INSERT, row))!
      const stored: StickyRow = { ...row, seq, status: 'active', converted_to_kind: null, converted_to_id: null }
      const embedding = yield* vectors.apply(x, memoryKey('sticky', seq), 'sticky', outcome, false)
      return { note: stickyFromRow(stored, context), outcome: 'created', embedding }
    })
  }

  /** The note with `id`, or null. */
  async find(id: string): Promise<BrainStickyNote | null> {
    const { engine, context } = this.#core
    validate(BrainMemoryId, id, 'brain.stickyNotes.find', context)
    const row = await engine.read((x) => x.get(BY_ID, { id }))
    return row === undefined ? null : stickyFromRow(row, context)
  }

  /** The note with `id`; `NOT_FOUND` when there is none. */
  async get(id: string): Promise<BrainStickyNote> {
    const note = await this.find(id)
    if (note === null) throw this.#notFound(id)
    return note
  }

  /** A page of notes of one status (default `active`), newest first. */
  async list(options: BrainStickyNoteListOptionsInput = {}): Promise<BrainPage<BrainStickyNote>> {
    const { engine, context } = this.#core
    const o = validate(BrainStickyNoteListOptions, options, 'brain.stickyNotes.list', context)
    const rows = await engine.read((x) => x.all(PAGE, { status: o.status, cursor: o.cursor ?? '~', limit: o.limit + 1 }))
    const page = rows.slice(0, o.limit)
    return {
      items: page.map((row) => stickyFromRow(row, context)),
      nextCursor: rows.length > o.limit ? page[page.length - 1]!.id : null,
    }
  }
  /**
   * Every note of one status (default `active`), newest first, a page at a time.
   *
   * @example
   * ```ts
   * for await (const note of brain.stickyNotes.iterate({ status: 'archived' })) console.log(note.content)
   * ```
   */
  iterate(options: IterateFilter<BrainStickyNoteListOptionsInput> = {}): AsyncGenerator<BrainStickyNote, void, undefined> {
    return iteratePages((cursor) => this.list(cursor === undefined ? options : { ...options, cursor }))
  }


  /** Changes a note's content, tags, colour or priority (re-embedding changed text). */
  async update(id: string, patch: BrainStickyNotePatchInput): Promise<BrainStickyNote> {
    const { engine, clock, vectors, context } = this.#core
    validate(BrainMemoryId, id, 'brain.stickyNotes.update', context)
    const o = validate(BrainStickyNotePatch, patch, 'brain.stickyNotes.update', context)
    const merge = (row: StickyRow): StickyRow => {
      const content = o.content ?? row.content
      return {
        ...row,
        content,
        tags_json: o.tags === undefined ? row.tags_json : toJson(o.tags),
        color: o.color === undefined ? row.color : o.color,
        priority: o.priority === undefined ? row.priority : o.priority,
        content_hash: contentHash(content),
        updated_at: clock(),
      }
    }
    const before = await engine.read((x) => x.get(BY_ID, { id }))
    if (before === undefined) throw this.#notFound(id)
    const draftText = stickyEmbeddingText(merge(before), context)
    let outcome: EmbedOutcome | undefined
    if (vectors.canEmbed && draftText !== stickyEmbeddingText(before, context)) [outcome] = await vectors.embed([draftText])
    const notFound = () => this.#notFound(id)
    return engine.write(function* (x) {
      const current = yield* x.get(BY_ID, { id })
      if (current === undefined) throw notFound()
      const next = merge(current)
      if (next.status === 'active' && next.content_hash !== current.content_hash) {
        const clash = yield* x.get(BY_HASH, { hash: next.content_hash })
        if (clash !== undefined && clash.seq !== current.seq) {
          throw new CleoStoreError('CONFLICT', `sticky note text duplicates note ${clash.id}`, { ...context, details: { existingId: clash.id } })
        }
      }
      yield* x.run(UPDATE, next)
      const nextText = stickyEmbeddingText(next, context)
      if (nextText !== stickyEmbeddingText(current, context)) {
        if (vectors.canEmbed) yield* vectors.assertCurrent(x)
        yield* vectors.apply(x, memoryKey('sticky', current.seq), 'sticky', nextText === draftText ? outcome : undefined, true)
      }
      return stickyFromRow(next, context)
    })
  }

  /** Archives a note (it leaves valid-only searches). Archiving twice is a no-op. */
  async archive(id: string): Promise<BrainStickyNote> {
    const { engine, clock, context } = this.#core
    validate(BrainMemoryId, id, 'brain.stickyNotes.archive', context)
    const notFound = () => this.#notFound(id)
    return engine.write(function* (x) {
      const row = yield* x.get(BY_ID, { id })
      if (row === undefined) throw notFound()
      if (row.status === 'converted') {
        throw new CleoStoreError('CONFLICT', `sticky note ${id} was converted to ${row.converted_to_kind} ${row.converted_to_id}`, context)
      }
      if (row.status === 'archived') return stickyFromRow(row, context)
      const next: StickyRow = { ...row, status: 'archived', updated_at: clock() }
      yield* x.run(UPDATE, next)
      return stickyFromRow(next, context)
    })
  }

  /**
   * Converts an active note into a memory of `input.kind` (the note's content fills
   * the kind's primary text unless given), and marks the note `converted` with a
   * reference to it — in one transaction. If the text duplicates a valid memory,
   * the note points at that memory (`outcome: 'duplicate'`).
   */
  async convert<K extends BrainMemoryKind>(
    id: string,
    input: BrainStickyConvertInput<K> & { kind: K },
  ): Promise<BrainRecordResult<BrainMemoryOf<K>> & { readonly note: BrainStickyNote }> {
    const { engine, clock, context } = this.#core
    validate(BrainMemoryId, id, 'brain.stickyNotes.convert', context)
    const note = await engine.read((x) => x.get(BY_ID, { id }))
    if (note === undefined) throw this.#notFound(id)
    const kind = (input as { kind?: unknown }).kind
    const field = typeof kind === 'string' ? PRIMARY_FIELD[kind as BrainMemoryKind] : undefined
    const full = field === undefined || field in input ? input : { [field]: note.content, ...input }
    const prepared = await this.#memories.prepare<K>(full, 'brain.stickyNotes.convert')
    const memories = this.#memories
    const notFound = () => this.#notFound(id)
    return engine.write(function* (x) {
      const current = yield* x.get(BY_ID, { id })
      if (current === undefined) throw notFound()
      if (current.status !== 'active') {
        throw new CleoStoreError('CONFLICT', `sticky note ${id} is ${current.status}, not active`, { ...context, details: { status: current.status } })
      }
      const result = yield* memories.commit(x, prepared)
      const next: StickyRow = {
        ...current,
        status: 'converted',
        converted_to_kind: result.memory.kind,
        converted_to_id: result.memory.id,
        updated_at: clock(),
      }
      yield* x.run(UPDATE, next)
      return { ...result, note: stickyFromRow(next, context) }
    })
  }

  /** Deletes a note and its index entries. Returns false when there was none. */
  async delete(id: string): Promise<boolean> {
    const { engine, vectors, context } = this.#core
    validate(BrainMemoryId, id, 'brain.stickyNotes.delete', context)
    return engine.write(function* (x) {
      const row = yield* x.get(BY_ID, { id })
      if (row === undefined) return false
      yield* x.run(DELETE, { seq: row.seq })
      yield* vectors.remove(x, memoryKey('sticky', row.seq))
      return true
    })
  }
}
