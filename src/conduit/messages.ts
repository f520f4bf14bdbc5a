/**
 * Messages: send (to an agent, a group or a conversation), read, threads, history
 * and full-text search.
 *
 * @module
 */
import type { ExpressionBuilder, Kysely, Selectable } from 'kysely'
import { sql } from 'kysely'
import { z } from 'zod'

import { toIso } from '../sqlite/clock.js'
import type { IterateFilter, Page } from '../sqlite/paging.js'
import { iteratePages } from '../sqlite/paging.js'
import { fromJson, toJson } from '../sqlite/json.js'
import { toFtsQuery, toTsQuery } from '../sqlite/fts-query.js'
import type { ParamFactory, SqlDialect } from '../sqlite/query-template.js'
import { rawStatement, template, typedParam } from '../sqlite/query-template.js'
import type { Step } from '../sqlite/store-engine.js'
import { validate } from '../sqlite/validate.js'
import type { ConduitContext, ConduitExecutor } from './conduit-context.js'
import { invariant, notFound, tooLarge, utf8Length } from './conduit-context.js'
import type { MessageContentType } from './conduit.enums.js'
import type {
  MessageHistoryOptions,
  MessageSearchInput,
  SendMessageInput,
} from './conduit.types.js'
import {
  CONDUIT_LIMITS,
  ConduitIdSchema,
  MESSAGE_DELIVERY_QUEUE,
  MessageHistoryOptionsSchema,
  MessageSearchSchema,
  SendMessageSchema,
} from './conduit.schemas.js'
import type { ConduitDatabase, MessagesTable } from './conduit.tables.js'
import { findOrCreateDirect, GET_GROUP_ID, requireConversation, requireParticipant } from './conversations.js'
import type { DeliveryQueue } from './delivery-queue.js'
import { requireAttachedAgent, touchAttachedAgent } from './project-agent-refs.js'

/** A message. */
export interface ConduitMessage {
  readonly id: string
  readonly conversationId: string
  readonly fromAgentId: string
  readonly content: string
  readonly contentType: MessageContentType
  /** The message this one answers, in the same conversation. */
  readonly replyTo: string | null
  readonly metadata: Record<string, unknown>
  readonly createdAt: string
}

/** What `send` did. */
export interface SentMessage {
  readonly message: ConduitMessage
  /** Agents the message was addressed to (the conversation's participants but the sender), sorted. */
  readonly recipients: string[]
  /** Delivery jobs enqueued with it (`deliver`), one per recipient. */
  readonly deliveryJobIds: number[]
  /** True when `idempotencyKey` matched an earlier message: nothing was written. */
  readonly deduplicated: boolean
}

/** The payload of a message delivery job (`send({ deliver: true })`). */
export interface MessageDeliveryPayload {
  readonly messageId: string
  readonly conversationId: string
  readonly fromAgentId: string
  readonly recipientId: string
}

/** A page of messages and the cursor to continue from (`null` at the end). */
export type MessagePage<M = ConduitMessage> = Page<M>

/** One search hit. */
export interface MessageSearchHit {
  readonly message: ConduitMessage
  /** Relevance (negated BM25: higher is better) for `order: 'relevance'`; `null` for `recent`. */
  readonly score: number | null
}

/** @internal A message row as selected. */
export type MessageRow = Selectable<MessagesTable>

const MetadataSchema = z.record(z.string(), z.unknown())

/** @internal Row → domain object. */
export function toMessage(ctx: ConduitContext, row: MessageRow): ConduitMessage {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    fromAgentId: row.from_agent_id,
    content: row.content,
    contentType: row.content_type as MessageContentType,
    replyTo: row.reply_to,
    metadata: fromJson(row.metadata, 'messages.metadata', ctx.errorContext, MetadataSchema),
    createdAt: toIso(row.created_at),
  }
}

/** @internal */
export const GET_MESSAGE = template<ConduitDatabase, { id: string }>()((db, p) =>
  db.selectFrom('messages').selectAll().where('id', '=', p('id')),
)

const GET_BY_IDEMPOTENCY_KEY = template<ConduitDatabase, { from: string; key: string }>()((db, p) =>
  db.selectFrom('messages').selectAll().where('from_agent_id', '=', p('from')).where('idempotency_key', '=', p('key')),
)

const INSERT_MESSAGE = template<
  ConduitDatabase,
  {
    id: string
    conversationId: string
    from: string
    content: string
    contentType: string
    replyTo: string | null
    idempotencyKey: string | null
    metadata: string
    now: number
  }
>()((db, p) =>
  db
    .insertInto('messages')
    .values({
      id: p('id'),
      conversation_id: p('conversationId'),
      from_agent_id: p('from'),
      content: p('content'),
      content_type: p('contentType'),
      reply_to: p('replyTo'),
      idempotency_key: p('idempotencyKey'),
      metadata: p('metadata'),
      created_at: p('now'),
    })
    .returningAll(),
)

/**
 * PostgreSQL only: the store's message lock, held until the sending transaction ends.
 * An identity value is taken at insert time, not at commit, so without it a message
 * could become visible after one with a larger seq had been paged, and an inbox
 * cursor (a seq) would skip it. Under this lock the seqs of messages are handed out
 * in commit order, so every seq below a visible one is already visible: the inbox
 * horizon is simply "what the reader sees". One lock per store (schema), not per
 * conversation, because an inbox spans conversations. Sends of one store are
 * serialised from the insert to the commit — as they are on SQLite.
 */
const LOCK_MESSAGE_SEQ = template<ConduitDatabase, Record<string, never>>()((db) =>
  rawStatement(db, sql`SELECT pg_advisory_xact_lock(hashtext('cleo.conduit.messages'), hashtext(current_schema()))`),
)

/** Every participant but the sender becomes a recipient, in the same statement. */
const INSERT_RECIPIENTS = template<ConduitDatabase, { seq: number; conversationId: string; from: string }>()((db, p, dialect) =>
  db
    .insertInto('message_recipients')
    .columns(['agent_id', 'message_seq'])
    .expression((eb) =>
      eb
        .selectFrom('conversation_participants')
        .select((eb2) => ['agent_id', typedParam(p('seq'), 'bigint', dialect).as('message_seq')])
        .where('conversation_id', '=', p('conversationId'))
        .where('agent_id', '!=', p('from')),
    )
    .returning('agent_id'),
)

const RECIPIENTS_OF = template<ConduitDatabase, { seq: number }>()((db, p) =>
  db.selectFrom('message_recipients').select('agent_id').where('message_seq', '=', p('seq')).orderBy('agent_id'),
)

const BUMP_CONVERSATION = template<ConduitDatabase, { id: string; now: number }>()((db, p) =>
  db
    .updateTable('conversations')
    .set({ message_count: sql<number>`message_count + 1`, last_message_at: p('now'), updated_at: p('now') })
    .where('id', '=', p('id')),
)

const HISTORY = template<ConduitDatabase, { conversationId: string; before: number; limit: number }>()((db, p) =>
  db
    .selectFrom('messages')
    .selectAll()
    .where('conversation_id', '=', p('conversationId'))
    .where('seq', '<', p('before'))
    .orderBy('seq', 'desc')
    .limit(p('limit')),
)

/** The whole thread of a message: up to its root through `reply_to`, then every descendant. */
const THREAD = template<ConduitDatabase, { id: string }>()((db, p, dialect) => {
  // CROSS JOIN … ON keeps SQLite's join order (the CTE outside); PostgreSQL's grammar wants JOIN.
  const join = sql.raw(dialect === 'postgres' ? 'JOIN' : 'CROSS JOIN')
  return db
    .selectFrom('messages')
    .selectAll()
    .where(
      'seq',
      'in',
      sql<number>`(
        WITH RECURSIVE
          up(id, reply_to) AS (
            SELECT id, reply_to FROM messages WHERE id = ${p('id')}
            UNION
            SELECT m.id, m.reply_to FROM up ${join} messages AS m ON m.id = up.reply_to
          ),
          down(seq, id) AS (
            SELECT seq, id FROM messages WHERE id = (SELECT id FROM up WHERE reply_to IS NULL)
            UNION
            SELECT m.seq, m.id FROM down ${join} messages AS m ON m.reply_to = down.id
          )
        SELECT seq FROM down
      )`,
    )
    .orderBy('seq')
})

interface SearchParams {
  match: string
  conversationId: string | null
  agentId: string | null
  fromAgentId: string | null
  since: number | null
  until: number | null
  limit: number
  window: number
}

/** The PostgreSQL types of the nullable search parameters (`$n IS NULL` needs one). */
const SEARCH_PARAM_TYPES = { conversationId: 'text', agentId: 'text', fromAgentId: 'text', since: 'bigint', until: 'bigint' } as Record<
  keyof SearchParams,
  'text' | 'bigint'
>

/** The optional filters of a search, on the messages row `alias`; a NULL parameter disables its filter. */
function searchFilters(eb: ExpressionBuilder<any, any>, p: ParamFactory<SearchParams>, alias: string, dialect: SqlDialect) {
  const col = (name: string) => sql.ref(`${alias}.${name}`)
  const off = (name: keyof SearchParams) => eb(typedParam(p(name), SEARCH_PARAM_TYPES[name], dialect), 'is', null)
  return eb.and([
    eb.or([off('conversationId'), eb(col('conversation_id'), '=', p('conversationId'))]),
    eb.or([off('fromAgentId'), eb(col('from_agent_id'), '=', p('fromAgentId'))]),
    eb.or([
      off('agentId'),
      eb(col('from_agent_id'), '=', p('agentId')),
      eb.exists(
        eb
          .selectFrom('message_recipients as r')
          .select('r.agent_id')
          .where('r.agent_id', '=', p('agentId') as string)
          .where('r.message_seq', '=', col('seq')),
      ),
    ]),
    eb.or([off('since'), eb(col('created_at'), '>=', p('since'))]),
    eb.or([off('until'), eb(col('created_at'), '<', p('until'))]),
  ])
}

/**
 * Bounds the FTS walk to the seq range of the filtered conversation (FTS5 takes rowid
 * ranges natively): a conversation's messages are close in time, so the walk skips
 * the rest of the index. Without a conversation filter the range is everything.
 */
function conversationSeqRange(p: ParamFactory<SearchParams>) {
  const conversation = p('conversationId')
  return sql<boolean>`f.rowid >= coalesce((SELECT seq FROM messages WHERE conversation_id = ${conversation} ORDER BY seq LIMIT 1), 0)
    AND f.rowid <= coalesce((SELECT seq FROM messages WHERE conversation_id = ${conversation} ORDER BY seq DESC LIMIT 1), ${sql.lit(Number.MAX_SAFE_INTEGER)})`
}

/**
 * Relevance: BM25 over the `window` newest matches (that pass the filters), best
 * first. FTS5 computes BM25 for every row it ranks, so ranking all matches of a very
 * common word costs time in proportion to its frequency; the window bounds that
 * cost, and the ranking is exact whenever a query matches no more than `window`
 * messages. Without filters the window is taken from the FTS index alone.
 */
function relevanceSearch(filtered: boolean) {
  return template<ConduitDatabase, SearchParams>()((db, p, dialect) => {
    if (dialect === 'postgres') return postgresSearch(db, p, 'relevance')
    let ranked = db
      .selectFrom('messages_fts as f')
      .select(['f.rowid as seq', 'f.rank as r'])
      .where(sql<boolean>`f.messages_fts MATCH ${p('match')}`)
      .orderBy('f.rowid', 'desc')
      .limit(p('window'))
    if (filtered) {
      ranked = ranked
        .where(conversationSeqRange(p))
        .innerJoin('messages as fm', 'fm.seq', 'f.rowid')
        .where((eb) => searchFilters(eb, p, 'fm', dialect))
    }
    // Sort and cut before joining, so only the returned rows are looked up.
    const top = db.selectFrom(ranked.as('w')).select(['w.seq', 'w.r']).orderBy('w.r').limit(p('limit'))
    return db
      .selectFrom(top.as('t'))
      .innerJoin('messages as m', 'm.seq', 't.seq')
      .selectAll('m')
      .select(sql<number | null>`-t.r`.as('score'))
      .orderBy('t.r')
  })
}

/** Recency: newest matches first, walking the FTS index backwards; stops after `limit` hits. */
const SEARCH_BY_RECENCY = template<ConduitDatabase, SearchParams>()((db, p, dialect) =>
  dialect === 'postgres' ? postgresSearch(db, p, 'recent') : db
    .selectFrom('messages_fts as f')
    .where(conversationSeqRange(p))
    .innerJoin('messages as m', 'm.seq', 'f.rowid')
    .selectAll('m')
    .select(sql<number | null>`NULL`.as('score'))
    .where(sql<boolean>`f.messages_fts MATCH ${p('match')}`)
    .where((eb) => searchFilters(eb, p, 'm', 'sqlite'))
    .orderBy('f.rowid', 'desc')
    .limit(p('limit')),
)

/** The columns of a message row as SQLite has them (PostgreSQL's table also has `search_vector`). */
const MESSAGE_COLUMNS = [
  'seq',
  'id',
  'conversation_id',
  'from_agent_id',
  'content',
  'content_type',
  'reply_to',
  'idempotency_key',
  'metadata',
  'created_at',
] as const satisfies ReadonlyArray<keyof MessagesTable>

/**
 * Search on PostgreSQL: `messages.search_vector @@ to_tsquery('simple', match)` (the
 * GIN index `messages_search`), `match` built by `toTsQuery`. Relevance is `ts_rank`
 * among the `window` newest matches that pass the filters, best first (newest first
 * among equals); recency is newest first, no score. The rows are the SQLite ones
 * (the `search_vector` column is not returned).
 */
function postgresSearch(db: Kysely<ConduitDatabase>, p: ParamFactory<SearchParams>, order: 'relevance' | 'recent') {
  const matches = sql<boolean>`fm.search_vector @@ to_tsquery('simple', ${p('match')})`
  const columns = MESSAGE_COLUMNS.map((column) => `m.${column}` as const)
  if (order === 'recent') {
    return db
      .selectFrom('messages as fm')
      .select(MESSAGE_COLUMNS.map((column) => `fm.${column}` as const))
      .select(sql<number | null>`NULL::real`.as('score'))
      .where(matches)
      .where((eb) => searchFilters(eb, p, 'fm', 'postgres'))
      .orderBy('fm.seq', 'desc')
      .limit(p('limit'))
  }
  const ranked = db
    .selectFrom('messages as fm')
    .select(['fm.seq', sql<number>`ts_rank(fm.search_vector, to_tsquery('simple', ${p('match')}))`.as('r')])
    .where(matches)
    .where((eb) => searchFilters(eb, p, 'fm', 'postgres'))
    .orderBy('fm.seq', 'desc')
    .limit(p('window'))
  const top = db.selectFrom(ranked.as('w')).select(['w.seq', 'w.r']).orderBy('w.r', 'desc').orderBy('w.seq', 'desc').limit(p('limit'))
  return db
    .selectFrom(top.as('t'))
    .innerJoin('messages as m', 'm.seq', 't.seq')
    .select(columns)
    .select(sql<number | null>`t.r`.as('score'))
    .orderBy('t.r', 'desc')
    .orderBy('t.seq', 'desc')
}

const SEARCH_BY_RELEVANCE = relevanceSearch(true)
const SEARCH_BY_RELEVANCE_UNFILTERED = relevanceSearch(false)

/** Longest query text looked at (the sanitiser keeps at most 32 words anyway). */
const MAX_QUERY_CHARS = 4096

/**
 * Messages of the project. Reach them as `conduit.messages`.
 *
 * @example
 * ```ts
 * const { message } = await conduit.messages.send({ from: 'alice', to: 'bob', content: 'build is green' })
 * const hits = await conduit.messages.search({ query: 'build green', agentId: 'bob' })
 * ```
 */
export class Messages {
  readonly #ctx: ConduitContext
  readonly #queue: DeliveryQueue

  /** @internal Use `conduit.messages`. */
  constructor(ctx: ConduitContext, queue: DeliveryQueue) {
    this.#ctx = ctx
    this.#queue = queue
  }

  /**
   * Sends a message, in one transaction: the message, a recipient row for every
   * other participant (delivered/read/acked state), the conversation's counters,
   * and — with `deliver` — one delivery job per recipient (queue
   * `conduit.delivery`, partitioned and strictly ordered by recipient, deduplicated
   * by message and recipient). Targets: `to` (the pair's direct conversation is found
   * or created), `conversationId`, or `group` (a group's name). The sender and `to`
   * must be attached agents (`NOT_FOUND`); the sender must take part in the
   * conversation (`INVARIANT`); `replyTo` must be a message of the same conversation.
   * With `idempotencyKey`, a repeated send returns the first message unchanged.
   *
   * @example
   * ```ts
   * await conduit.messages.send({ from: 'alice', to: 'bob', content: 'hello' })
   * await conduit.messages.send({ from: 'alice', group: 'reviewers', content: 'PR #12 ready', deliver: true })
   * await conduit.messages.send({ from: 'bob', conversationId, content: 'on it', replyTo: messageId })
   * ```
   */
  async send(input: SendMessageInput): Promise<SentMessage> {
    const parsed = validate(SendMessageSchema, input, 'conduit.messages.send', this.#ctx.errorContext)
    const contentBytes = utf8Length(parsed.content)
    if (contentBytes > CONDUIT_LIMITS.maxMessageBytes) {
      throw tooLarge(this.#ctx, 'conduit.messages.send', ['content'], contentBytes, CONDUIT_LIMITS.maxMessageBytes)
    }
    let metadata: string
    try {
      metadata = toJson(parsed.metadata)
    } catch {
      metadata = ''
    }
    const metadataBytes = utf8Length(metadata)
    if (metadata === '' || metadataBytes > CONDUIT_LIMITS.maxMetadataBytes) {
      throw tooLarge(this.#ctx, 'conduit.messages.send', ['metadata'], metadataBytes, CONDUIT_LIMITS.maxMetadataBytes)
    }
    const deliver =
      parsed.deliver === false
        ? null
        : parsed.deliver === true
          ? { queue: MESSAGE_DELIVERY_QUEUE, maxAttempts: undefined }
          : parsed.deliver

    return this.#ctx.engine.write((x) => this.#send(x, parsed, metadata, deliver))
  }

  *#send(
    x: ConduitExecutor,
    parsed: z.output<typeof SendMessageSchema>,
    metadata: string,
    deliver: { queue: string; maxAttempts: number | undefined } | null,
  ): Step<SentMessage> {
    const ctx = this.#ctx
    const now = ctx.clock()
    yield* touchAttachedAgent(x, ctx, parsed.from, now)

    if (parsed.idempotencyKey !== undefined) {
      const earlier = yield* x.get(GET_BY_IDEMPOTENCY_KEY, { from: parsed.from, key: parsed.idempotencyKey })
      if (earlier !== undefined) {
        const recipients = (yield* x.all(RECIPIENTS_OF, { seq: earlier.seq })).map((row) => row.agent_id)
        return { message: toMessage(ctx, earlier), recipients, deliveryJobIds: [], deduplicated: true }
      }
    }

    let conversationId: string
    if (parsed.to !== undefined) {
      yield* requireAttachedAgent(x, ctx, parsed.to)
      conversationId = yield* findOrCreateDirect(x, ctx, parsed.from, parsed.to, now)
    } else {
      if (parsed.group !== undefined) {
        const group = yield* x.get(GET_GROUP_ID, { name: parsed.group })
        if (group === undefined) throw notFound(ctx, 'group', parsed.group)
        conversationId = group.id
      } else {
        conversationId = parsed.conversationId!
        yield* requireConversation(x, ctx, conversationId)
      }
      yield* requireParticipant(x, ctx, conversationId, parsed.from)
    }

    if (parsed.replyTo !== undefined) {
      const parent = yield* x.get(GET_MESSAGE, { id: parsed.replyTo })
      if (parent === undefined) throw notFound(ctx, 'message', parsed.replyTo, { path: ['replyTo'] })
      if (parent.conversation_id !== conversationId) {
        throw invariant(ctx, `replyTo ${JSON.stringify(parsed.replyTo)} belongs to another conversation`, {
          replyTo: parsed.replyTo,
          conversationId,
        })
      }
    }

    if (x.dialect === 'postgres') yield* x.run(LOCK_MESSAGE_SEQ, {})
    const row = (yield* x.get(INSERT_MESSAGE, {
      id: ctx.nextId(),
      conversationId,
      from: parsed.from,
      content: parsed.content,
      contentType: parsed.contentType,
      replyTo: parsed.replyTo ?? null,
      idempotencyKey: parsed.idempotencyKey ?? null,
      metadata,
      now,
    }))!
    const recipients = (yield* x.all(INSERT_RECIPIENTS, { seq: row.seq, conversationId, from: parsed.from }))
      .map((r) => r.agent_id)
      .sort()
    yield* x.run(BUMP_CONVERSATION, { id: conversationId, now })

    const deliveryJobIds: number[] = []
    if (deliver !== null) {
      for (const recipientId of recipients) {
        const payload: MessageDeliveryPayload = { messageId: row.id, conversationId, fromAgentId: parsed.from, recipientId }
        const job = this.#queue.parseEnqueue({
          queue: deliver.queue,
          payload,
          partitionKey: recipientId,
          ordered: true,
          dedupKey: `message:${row.id}:${recipientId}`,
          ...(deliver.maxAttempts === undefined ? {} : { maxAttempts: deliver.maxAttempts }),
        })
        // The job carries its message and recipient: acking it marks that copy delivered (migration 0009 trigger).
        const enqueued = yield* this.#queue.enqueueInTransaction(x, { ...job, messageId: row.id, recipientId }, now)
        deliveryJobIds.push(enqueued.job.id)
      }
    }
    return { message: toMessage(ctx, row), recipients, deliveryJobIds, deduplicated: false }
  }

  /**
   * One message, or `undefined`.
   *
   * @example
   * ```ts
   * const message = await conduit.messages.get(id)
   * ```
   */
  async get(id: string): Promise<ConduitMessage | undefined> {
    const key = validate(ConduitIdSchema, id, 'conduit.messages.get', this.#ctx.errorContext)
    const row = await this.#ctx.engine.read((x) => x.get(GET_MESSAGE, { id: key }))
    return row === undefined ? undefined : toMessage(this.#ctx, row)
  }

  /**
   * A conversation's messages, newest first, a page at a time: pass the returned
   * `nextCursor` as `cursor` for older ones. `NOT_FOUND` for an unknown conversation.
   *
   * @example
   * ```ts
   * let page = await conduit.messages.history(conversationId, { limit: 50 })
   * if (page.nextCursor) page = await conduit.messages.history(conversationId, { cursor: page.nextCursor })
   * ```
   */
  async history(conversationId: string, options: MessageHistoryOptions = {}): Promise<MessagePage> {
    const id = validate(ConduitIdSchema, conversationId, 'conduit.messages.history', this.#ctx.errorContext)
    const opts = validate(MessageHistoryOptionsSchema, options, 'conduit.messages.history', this.#ctx.errorContext)
    const ctx = this.#ctx
    const rows = await ctx.engine.snapshot(function* (x) {
      yield* requireConversation(x, ctx, id)
      return yield* x.all(HISTORY, {
        conversationId: id,
        before: opts.cursor === undefined ? Number.MAX_SAFE_INTEGER : Number(opts.cursor),
        limit: opts.limit + 1,
      })
    })
    const page = rows.slice(0, opts.limit)
    const last = page[page.length - 1]
    return {
      items: page.map((row) => toMessage(this.#ctx, row)),
      nextCursor: rows.length > opts.limit && last !== undefined ? String(last.seq) : null,
    }
  }

  /**
   * Every message of a conversation, newest first, fetched a page at a time
   * (`limit` is the page size).
   *
   * @example
   * ```ts
   * for await (const message of conduit.messages.iterate(conversationId)) console.log(message.content)
   * ```
   */
  iterate(conversationId: string, options: IterateFilter<MessageHistoryOptions> = {}): AsyncGenerator<ConduitMessage, void, undefined> {
    return iteratePages((cursor) => this.history(conversationId, cursor === undefined ? options : { ...options, cursor }))
  }

  /**
   * The thread a message belongs to: its root (following `replyTo` up) and every
   * reply below it, oldest first. `NOT_FOUND` for an unknown message.
   *
   * @example
   * ```ts
   * const thread = await conduit.messages.thread(replyId)
   * ```
   */
  async thread(messageId: string): Promise<ConduitMessage[]> {
    const id = validate(ConduitIdSchema, messageId, 'conduit.messages.thread', this.#ctx.errorContext)
    const rows = await this.#ctx.engine.read((x) => x.all(THREAD, { id }))
    if (rows.length === 0) throw notFound(this.#ctx, 'message', id)
    return rows.map((row) => toMessage(this.#ctx, row))
  }

  /**
   * Full-text search (FTS5) over message content. Any query string is safe: it is
   * reduced to words by `toFtsQuery`, so quotes, operators and column filters are
   * just text, and a query without words returns no hits. Filters: conversation,
   * agent (sent or received), sender, time. Ordered by relevance (BM25 among the
   * `rankWindow` newest matches: exact for queries matching fewer messages, and a
   * bounded cost for very common words) or by recency (newest first; stops as soon as
   * `limit` hits are found).
   *
   * @example
   * ```ts
   * const hits = await conduit.messages.search({ query: 'deploy failed', agentId: 'bob', since: '2026-01-01T00:00:00Z' })
   * ```
   */
  async search(input: MessageSearchInput): Promise<MessageSearchHit[]> {
    const opts = validate(MessageSearchSchema, input, 'conduit.messages.search', this.#ctx.errorContext)
    const text = opts.query.slice(0, MAX_QUERY_CHARS)
    const terms = { mode: opts.mode, prefix: opts.prefix }
    const match = this.#ctx.engine.dialect === 'postgres' ? toTsQuery(text, terms) : toFtsQuery(text, terms)
    if (match === null) return []
    const filtered =
      opts.conversationId !== undefined ||
      opts.agentId !== undefined ||
      opts.fromAgentId !== undefined ||
      opts.since !== undefined ||
      opts.until !== undefined
    const statement =
      opts.order === 'recent' ? SEARCH_BY_RECENCY : filtered ? SEARCH_BY_RELEVANCE : SEARCH_BY_RELEVANCE_UNFILTERED
    const rows = await this.#ctx.engine.read((x) =>
      x.all(statement, {
        match,
        conversationId: opts.conversationId ?? null,
        agentId: opts.agentId ?? null,
        fromAgentId: opts.fromAgentId ?? null,
        since: opts.since ?? null,
        until: opts.until ?? null,
        limit: opts.limit,
        window: Math.max(opts.rankWindow, opts.limit),
      }),
    )
    return rows.map((row) => ({ message: toMessage(this.#ctx, row), score: row.score }))
  }
}
