/**
 * An agent's inbox: the messages addressed to it, with per-recipient
 * delivered/read/acked state, paged by a cursor that can be saved durably.
 *
 * @module
 */
import type { Kysely } from 'kysely'
import { z } from 'zod'

import type { WaitOptions, WaitResult } from '../sqlite/change-watch.js'
import { waitForChange } from '../sqlite/change-watch.js'
import { WaitOptionsSchema } from '../sqlite/wait-options.schemas.js'
import { toIsoOrNull } from '../sqlite/clock.js'
import type { Page } from '../sqlite/paging.js'
import { iteratePages } from '../sqlite/paging.js'
import { template, typedParam } from '../sqlite/query-template.js'
import { validate } from '../sqlite/validate.js'
import type { ConduitContext } from './conduit-context.js'
import { notFound, waitInTransaction } from './conduit-context.js'
import type { InboxOptions } from './conduit.types.js'
import { ConduitAgentIdSchema, ConduitCursorSchema, ConduitIdSchema, InboxOptionsSchema } from './conduit.schemas.js'
import type { ConduitDatabase } from './conduit.tables.js'
import type { ConduitMessage } from './messages.js'
import { toMessage } from './messages.js'

/** Per-recipient state of a message. */
export interface MessageReceipt {
  readonly agentId: string
  readonly deliveredAt: string | null
  readonly readAt: string | null
  readonly ackedAt: string | null
}

/** A message in an agent's inbox, with that agent's state of it. */
export interface InboxMessage extends ConduitMessage {
  readonly deliveredAt: string | null
  readonly readAt: string | null
  readonly ackedAt: string | null
}

/**
 * A page of an inbox: `{ items, nextCursor }` like every list, plus `position`, the
 * cursor to `commit` after handling the page (never null: it is the input position
 * when the page is empty).
 *
 * @example
 * ```ts
 * const page: InboxPage = await conduit.inbox.page('bob')
 * await conduit.inbox.commit('bob', page.position)
 * ```
 */
export interface InboxPage extends Page<InboxMessage> {
  readonly position: string
}

interface InboxParams {
  agentId: string
  after: number
  conversationId: string | null
  since: number | null
  unreadOnly: number
  limit: number
}

const INBOX_PAGE = template<ConduitDatabase, InboxParams>()((db, p, dialect) =>
  db
    .selectFrom('message_recipients as r')
    .innerJoin('messages as m', 'm.seq', 'r.message_seq')
    .selectAll('m')
    .select(['r.delivered_at', 'r.read_at', 'r.acked_at'])
    .where('r.agent_id', '=', p('agentId'))
    .where('r.message_seq', '>', p('after'))
    .where((eb) =>
      eb.and([
        eb.or([eb(typedParam(p('conversationId'), 'text', dialect), 'is', null), eb('m.conversation_id', '=', p('conversationId') as string)]),
        eb.or([eb(typedParam(p('since'), 'bigint', dialect), 'is', null), eb('m.created_at', '>=', p('since') as number)]),
        eb.or([eb(eb.val(p('unreadOnly')), '=', 0), eb('r.read_at', 'is', null)]),
      ]),
    )
    .orderBy('r.message_seq')
    .limit(p('limit')),
)

const GET_CURSOR = template<ConduitDatabase, { agentId: string; consumer: string }>()((db, p) =>
  db.selectFrom('inbox_cursors').select('position').where('agent_id', '=', p('agentId')).where('consumer', '=', p('consumer')),
)

/** Saves a cursor; it only ever moves forward. */
const SAVE_CURSOR = template<ConduitDatabase, { agentId: string; consumer: string; position: number; now: number }>()(
  (db, p, dialect) =>
    db
      .insertInto('inbox_cursors')
      .values({ agent_id: p('agentId'), consumer: p('consumer'), position: p('position'), updated_at: p('now') })
      .onConflict((oc) =>
        oc.columns(['agent_id', 'consumer']).doUpdateSet((eb) => ({
          // Scalar two-argument max() is SQLite's; PostgreSQL's is greatest().
          position: eb.fn(dialect === 'postgres' ? 'greatest' : 'max', ['inbox_cursors.position', eb.ref('excluded.position')]),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .returning('position'),
)

/** The seq of a message id, as a scalar subquery. */
const MESSAGE_SEQ = (db: Kysely<ConduitDatabase>, id: string) => db.selectFrom('messages').select('seq').where('id', '=', id)

interface MarkParams {
  agentId: string
  messageId: string
  now: number
}

const MARK_DELIVERED = template<ConduitDatabase, MarkParams>()((db, p) =>
  db
    .updateTable('message_recipients')
    .set((eb) => ({ delivered_at: eb.fn.coalesce('delivered_at', eb.val(p('now'))) }))
    .where('agent_id', '=', p('agentId'))
    .where('message_seq', '=', MESSAGE_SEQ(db, p('messageId'))),
)

const MARK_READ = template<ConduitDatabase, MarkParams>()((db, p) =>
  db
    .updateTable('message_recipients')
    .set((eb) => ({
      delivered_at: eb.fn.coalesce('delivered_at', eb.val(p('now'))),
      read_at: eb.fn.coalesce('read_at', eb.val(p('now'))),
    }))
    .where('agent_id', '=', p('agentId'))
    .where('message_seq', '=', MESSAGE_SEQ(db, p('messageId'))),
)

const MARK_ACKED = template<ConduitDatabase, MarkParams>()((db, p) =>
  db
    .updateTable('message_recipients')
    .set((eb) => ({
      delivered_at: eb.fn.coalesce('delivered_at', eb.val(p('now'))),
      acked_at: eb.fn.coalesce('acked_at', eb.val(p('now'))),
    }))
    .where('agent_id', '=', p('agentId'))
    .where('message_seq', '=', MESSAGE_SEQ(db, p('messageId'))),
)

const RECEIPTS = template<ConduitDatabase, { messageId: string }>()((db, p) =>
  db
    .selectFrom('message_recipients')
    .select(['agent_id', 'delivered_at', 'read_at', 'acked_at'])
    .where('message_seq', '=', MESSAGE_SEQ(db, p('messageId')))
    .orderBy('agent_id'),
)

const MESSAGE_EXISTS = template<ConduitDatabase, { messageId: string }>()((db, p) =>
  db.selectFrom('messages').select('seq').where('id', '=', p('messageId')),
)

const UNREAD_COUNT = template<ConduitDatabase, { agentId: string }>()((db, p) =>
  db
    .selectFrom('message_recipients')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('agent_id', '=', p('agentId'))
    .where('read_at', 'is', null),
)

/** One unread message of the agent, if any (the `message_recipients_unread` index). */
const HAS_UNREAD = template<ConduitDatabase, { agentId: string }>()((db, p) =>
  db.selectFrom('message_recipients').select('message_seq').where('agent_id', '=', p('agentId')).where('read_at', 'is', null).limit(1),
)

const ConsumerSchema = z.strictObject({ consumer: z.string().min(1).max(128).default('default') })
const MessageIdsSchema = z.array(ConduitIdSchema).min(1).max(1000)

/**
 * Agents' inboxes. Reach them as `conduit.inbox`.
 *
 * A page starts after the consumer's saved cursor unless `cursor` is given; the
 * cursor only moves when you `commit` it, after handling the page, so a crash
 * re-reads (never skips) messages. Read state is separate: `markRead`, `ack`.
 *
 * @example
 * ```ts
 * const page = await conduit.inbox.page('bob', { limit: 20 })
 * for (const message of page.items) await handle(message)
 * await conduit.inbox.commit('bob', page.position)
 * ```
 */
export class Inbox {
  readonly #ctx: ConduitContext

  /** @internal Use `conduit.inbox`. */
  constructor(ctx: ConduitContext) {
    this.#ctx = ctx
  }

  /**
   * The next messages addressed to `agentId`, oldest first, with its state of each.
   * Starts after `cursor`, else after the consumer's saved cursor, else at the
   * beginning. Filters: `since` (created at or after; a `Date`, epoch ms or
   * ISO-8601), `conversationId`, `unreadOnly`. `position` is the position after
   * this page (the input position when the page is empty): `commit` it once the
   * page is handled. `nextCursor` is the same position while more messages wait,
   * and `null` when this page reached the end of the inbox for now.
   *
   * @example
   * ```ts
   * const { items, position } = await conduit.inbox.page('bob', { since: new Date('2026-04-01T00:00:00Z') })
   * ```
   */
  async page(agentId: string, options: InboxOptions = {}): Promise<InboxPage> {
    const agent = validate(ConduitAgentIdSchema, agentId, 'conduit.inbox.page', this.#ctx.errorContext)
    const opts = validate(InboxOptionsSchema, options, 'conduit.inbox.page', this.#ctx.errorContext)
    const { rows, after } = await this.#ctx.engine.snapshot(function* (x) {
      const start =
        opts.cursor !== undefined
          ? Number(opts.cursor)
          : ((yield* x.get(GET_CURSOR, { agentId: agent, consumer: opts.consumer }))?.position ?? 0)
      return {
        after: start,
        rows: yield* x.all(INBOX_PAGE, {
          agentId: agent,
          after: start,
          conversationId: opts.conversationId ?? null,
          since: opts.since ?? null,
          unreadOnly: opts.unreadOnly ? 1 : 0,
          limit: opts.limit + 1,
        }),
      }
    })
    const page = rows.slice(0, opts.limit)
    const last = page[page.length - 1]
    const position = String(last === undefined ? after : last.seq)
    return {
      items: page.map((row) => ({
        ...toMessage(this.#ctx, row),
        deliveredAt: toIsoOrNull(row.delivered_at),
        readAt: toIsoOrNull(row.read_at),
        ackedAt: toIsoOrNull(row.acked_at),
      })),
      nextCursor: rows.length > opts.limit ? position : null,
      position,
    }
  }

  /**
   * Every message waiting in `agentId`'s inbox from the start position (`cursor`,
   * else the consumer's saved cursor), oldest first, a page at a time; it ends when
   * the inbox is caught up. It commits nothing: a consumer that must resume where
   * it stopped reads with `page` and commits each page's `position`.
   *
   * @example
   * ```ts
   * for await (const message of conduit.inbox.iterate('bob', { unreadOnly: true })) await handle(message)
   * ```
   */
  iterate(agentId: string, options: InboxOptions = {}): AsyncGenerator<InboxMessage, void, undefined> {
    return iteratePages((cursor) => this.page(agentId, cursor === undefined ? options : { ...options, cursor }))
  }

  /**
   * Saves the consumer's cursor durably. It only moves forward: committing an older
   * cursor keeps the newer one. Returns the saved cursor.
   *
   * @example
   * ```ts
   * await conduit.inbox.commit('bob', page.position, { consumer: 'notifier' })
   * ```
   */
  async commit(agentId: string, cursor: string, options: { consumer?: string } = {}): Promise<string> {
    const agent = validate(ConduitAgentIdSchema, agentId, 'conduit.inbox.commit', this.#ctx.errorContext)
    const position = Number(validate(ConduitCursorSchema, cursor, 'conduit.inbox.commit', this.#ctx.errorContext))
    const { consumer } = validate(ConsumerSchema, options, 'conduit.inbox.commit', this.#ctx.errorContext)
    const { clock } = this.#ctx
    const saved = await this.#ctx.engine.write(function* (x) {
      return (yield* x.get(SAVE_CURSOR, { agentId: agent, consumer, position, now: clock() }))!
    })
    return String(saved.position)
  }

  /**
   * The consumer's saved cursor, or `null` if it never committed one.
   *
   * @example
   * ```ts
   * const cursor = await conduit.inbox.cursor('bob')
   * ```
   */
  async cursor(agentId: string, options: { consumer?: string } = {}): Promise<string | null> {
    const agent = validate(ConduitAgentIdSchema, agentId, 'conduit.inbox.cursor', this.#ctx.errorContext)
    const { consumer } = validate(ConsumerSchema, options, 'conduit.inbox.cursor', this.#ctx.errorContext)
    const row = await this.#ctx.engine.read((x) => x.get(GET_CURSOR, { agentId: agent, consumer }))
    return row === undefined ? null : String(row.position)
  }

  /**
   * Marks messages delivered to `agentId` (a transport handed them over). Keeps the
   * first time. All or nothing: `NOT_FOUND` if the agent is not a recipient of one.
   *
   * @example
   * ```ts
   * await conduit.inbox.markDelivered('bob', [messageId])
   * ```
   */
  async markDelivered(agentId: string, messageIds: readonly string[]): Promise<void> {
    await this.#mark(MARK_DELIVERED, 'conduit.inbox.markDelivered', agentId, messageIds)
  }

  /**
   * Marks messages read by `agentId` (delivered too, if not yet). Keeps the first time.
   * All or nothing: `NOT_FOUND` if the agent is not a recipient of one.
   *
   * @example
   * ```ts
   * await conduit.inbox.markRead('bob', page.items.map((m) => m.id))
   * ```
   */
  async markRead(agentId: string, messageIds: readonly string[]): Promise<void> {
    await this.#mark(MARK_READ, 'conduit.inbox.markRead', agentId, messageIds)
  }

  /**
   * Acknowledges messages: `agentId` handled them (delivered too, if not yet).
   * Keeps the first time. All or nothing: `NOT_FOUND` if the agent is not a recipient of one.
   *
   * @example
   * ```ts
   * await conduit.inbox.ack('bob', [messageId])
   * ```
   */
  async ack(agentId: string, messageIds: readonly string[]): Promise<void> {
    await this.#mark(MARK_ACKED, 'conduit.inbox.ack', agentId, messageIds)
  }

  async #mark(
    statement: typeof MARK_READ,
    operation: string,
    agentId: string,
    messageIds: readonly string[],
  ): Promise<void> {
    const agent = validate(ConduitAgentIdSchema, agentId, operation, this.#ctx.errorContext)
    const ids = validate(MessageIdsSchema, messageIds, operation, this.#ctx.errorContext)
    const ctx = this.#ctx
    await ctx.engine.write(function* (x) {
      const now = ctx.clock()
      for (const messageId of ids) {
        if ((yield* x.run(statement, { agentId: agent, messageId, now })).changes === 0) {
          throw notFound(ctx, 'message for recipient', messageId, { agentId: agent })
        }
      }
    })
  }

  /**
   * Every recipient's state of one message, sorted by agent. `NOT_FOUND` for an
   * unknown message.
   *
   * @example
   * ```ts
   * const receipts = await conduit.inbox.receipts(messageId)
   * const unread = receipts.filter((r) => r.readAt === null)
   * ```
   */
  async receipts(messageId: string): Promise<MessageReceipt[]> {
    const id = validate(ConduitIdSchema, messageId, 'conduit.inbox.receipts', this.#ctx.errorContext)
    const ctx = this.#ctx
    const rows = await ctx.engine.snapshot(function* (x) {
      if ((yield* x.get(MESSAGE_EXISTS, { messageId: id })) === undefined) throw notFound(ctx, 'message', id)
      return yield* x.all(RECEIPTS, { messageId: id })
    })
    return rows.map((row) => ({
      agentId: row.agent_id,
      deliveredAt: toIsoOrNull(row.delivered_at),
      readAt: toIsoOrNull(row.read_at),
      ackedAt: toIsoOrNull(row.acked_at),
    }))
  }

  // ── wake-ups (issue 20) ──
  /**
   * Waits until `agentId` has an unread message (one it has not `markRead`): resolves
   * `{ ready: true }` at once when it already has one, else as soon as one arrives —
   * sent by this process (no delay) or by another one (seen within a few ms, see
   * docs/conduit.md "Waiting for work"). `timeoutMs` elapsed first: `{ ready: false }`.
   * `signal` aborted: rejects with an `AbortError` (`cause` = the signal's reason), at
   * once if it already is. The repository closed: rejects `CLOSED`. Called inside
   * `conduit.transaction()`: `VALIDATION` (the transaction holds the write lock). Options are
   * strict (`VALIDATION`). It reads nothing: page the inbox afterwards, and mark what
   * you handled read, or the next `wait` returns at once.
   *
   * @example
   * ```ts
   * for (;;) {
   *   const { ready } = await conduit.inbox.wait('bob', { signal, timeoutMs: 60_000 })
   *   if (!ready) continue
   *   const { items } = await conduit.inbox.page('bob', { unreadOnly: true })
   *   for (const message of items) await handle(message)
   *   await conduit.inbox.markRead('bob', items.map((m) => m.id))
   * }
   * ```
   */
  async wait(agentId: string, options: WaitOptions = {}): Promise<WaitResult> {
    const agent = validate(ConduitAgentIdSchema, agentId, 'conduit.inbox.wait', this.#ctx.errorContext)
    const opts = validate(WaitOptionsSchema, options, 'conduit.inbox.wait', this.#ctx.errorContext)
    const { engine } = this.#ctx
    if (engine.joinsBatch()) throw waitInTransaction(this.#ctx, 'conduit.inbox.wait')
    return waitForChange(
      engine.changes,
      () =>
        engine.read(function* (x) {
          return { ready: (yield* x.get(HAS_UNREAD, { agentId: agent })) !== undefined }
        }),
      opts,
      this.#ctx.clock,
    )
  }

  /**
   * How many messages addressed to `agentId` it has not read.
   *
   * @example
   * ```ts
   * const n = await conduit.inbox.unreadCount('bob')
   * ```
   */
  async unreadCount(agentId: string): Promise<number> {
    const agent = validate(ConduitAgentIdSchema, agentId, 'conduit.inbox.unreadCount', this.#ctx.errorContext)
    const row = await this.#ctx.engine.read((x) => x.get(UNREAD_COUNT, { agentId: agent }))
    return Number(row?.count ?? 0)
  }
}
