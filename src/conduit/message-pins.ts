/**
 * Message pins: one per (message, pinner).
 *
 * @module
 */
import type { Selectable } from 'kysely'
import { z } from 'zod'

import { toIso } from '../sqlite/clock.js'
import { template } from '../sqlite/query-template.js'
import { validate } from '../sqlite/validate.js'
import type { ConduitContext } from './conduit-context.js'
import { notFound } from './conduit-context.js'
import type {
  PinMessageInput,
} from './conduit.types.js'
import { CONDUIT_LIMITS, ConduitAgentIdSchema, ConduitIdSchema, PinMessageSchema } from './conduit.schemas.js'
import type { ConduitDatabase, MessagePinsTable } from './conduit.tables.js'
import { requireParticipant } from './conversations.js'
import { GET_MESSAGE } from './messages.js'
import { requireAttachedAgent } from './project-agent-refs.js'

/** A pin of a message by an agent. */
export interface MessagePin {
  readonly messageId: string
  readonly conversationId: string
  readonly pinnedBy: string
  readonly note: string | null
  readonly createdAt: string
}

const UPSERT_PIN = template<
  ConduitDatabase,
  { messageId: string; agentId: string; conversationId: string; note: string | null; now: number }
>()((db, p) =>
  db
    .insertInto('message_pins')
    .values({
      message_id: p('messageId'),
      pinned_by: p('agentId'),
      conversation_id: p('conversationId'),
      note: p('note'),
      created_at: p('now'),
    })
    .onConflict((oc) => oc.columns(['message_id', 'pinned_by']).doUpdateSet((eb) => ({ note: eb.ref('excluded.note') })))
    .returningAll(),
)

const DELETE_PIN = template<ConduitDatabase, { messageId: string; agentId: string }>()((db, p) =>
  db.deleteFrom('message_pins').where('message_id', '=', p('messageId')).where('pinned_by', '=', p('agentId')),
)

const PINS_OF_CONVERSATION = template<ConduitDatabase, { conversationId: string; limit: number }>()((db, p) =>
  db
    .selectFrom('message_pins')
    .selectAll()
    .where('conversation_id', '=', p('conversationId'))
    .orderBy('created_at', 'desc')
    .limit(p('limit')),
)

const PINS_BY_AGENT = template<ConduitDatabase, { agentId: string; limit: number }>()((db, p) =>
  db.selectFrom('message_pins').selectAll().where('pinned_by', '=', p('agentId')).orderBy('created_at', 'desc').limit(p('limit')),
)

const PinListSchema = z
  .strictObject({
    conversationId: ConduitIdSchema.optional(),
    pinnedBy: ConduitAgentIdSchema.optional(),
    limit: z.int().min(1).max(CONDUIT_LIMITS.maxPageSize).default(100),
  })
  .refine((o) => (o.conversationId === undefined) !== (o.pinnedBy === undefined), {
    message: 'give exactly one of conversationId or pinnedBy',
    path: ['conversationId'],
  })

function toPin(row: Selectable<MessagePinsTable>): MessagePin {
  return {
    messageId: row.message_id,
    conversationId: row.conversation_id,
    pinnedBy: row.pinned_by,
    note: row.note,
    createdAt: toIso(row.created_at),
  }
}

/**
 * Pins. Reach them as `conduit.pins`.
 *
 * @example
 * ```ts
 * await conduit.pins.pin({ messageId, agentId: 'bob', note: 'the decision' })
 * const pinned = await conduit.pins.list({ conversationId })
 * ```
 */
export class MessagePins {
  readonly #ctx: ConduitContext

  /** @internal Use `conduit.pins`. */
  constructor(ctx: ConduitContext) {
    this.#ctx = ctx
  }

  /**
   * Pins a message for an agent taking part in its conversation. Pinning again
   * keeps the one pin (and its time) and replaces the note. `NOT_FOUND` for an
   * unknown message or unattached agent; `INVARIANT` for a non-participant.
   *
   * @example
   * ```ts
   * const pin = await conduit.pins.pin({ messageId, agentId: 'bob' })
   * ```
   */
  async pin(input: PinMessageInput): Promise<MessagePin> {
    const parsed = validate(PinMessageSchema, input, 'conduit.pins.pin', this.#ctx.errorContext)
    const ctx = this.#ctx
    const row = await ctx.engine.write(function* (x) {
      const message = yield* x.get(GET_MESSAGE, { id: parsed.messageId })
      if (message === undefined) throw notFound(ctx, 'message', parsed.messageId)
      yield* requireAttachedAgent(x, ctx, parsed.agentId)
      yield* requireParticipant(x, ctx, message.conversation_id, parsed.agentId)
      return (yield* x.get(UPSERT_PIN, {
        messageId: parsed.messageId,
        agentId: parsed.agentId,
        conversationId: message.conversation_id,
        note: parsed.note ?? null,
        now: ctx.clock(),
      }))!
    })
    return toPin(row)
  }

  /**
   * Removes an agent's pin. `NOT_FOUND` if there is none.
   *
   * @example
   * ```ts
   * await conduit.pins.unpin(messageId, 'bob')
   * ```
   */
  async unpin(messageId: string, agentId: string): Promise<void> {
    const message = validate(ConduitIdSchema, messageId, 'conduit.pins.unpin', this.#ctx.errorContext)
    const agent = validate(ConduitAgentIdSchema, agentId, 'conduit.pins.unpin', this.#ctx.errorContext)
    const ctx = this.#ctx
    await ctx.engine.write(function* (x) {
      if ((yield* x.run(DELETE_PIN, { messageId: message, agentId: agent })).changes === 0) {
        throw notFound(ctx, 'pin', message, { agentId: agent })
      }
    })
  }

  /**
   * Pins of one conversation, or by one agent, newest first.
   *
   * @example
   * ```ts
   * const mine = await conduit.pins.list({ pinnedBy: 'bob' })
   * ```
   */
  async list(options: { conversationId?: string; pinnedBy?: string; limit?: number }): Promise<MessagePin[]> {
    const opts = validate(PinListSchema, options, 'conduit.pins.list', this.#ctx.errorContext)
    const rows = await this.#ctx.engine.read((x) =>
      opts.conversationId !== undefined
        ? x.all(PINS_OF_CONVERSATION, { conversationId: opts.conversationId, limit: opts.limit })
        : x.all(PINS_BY_AGENT, { agentId: opts.pinnedBy!, limit: opts.limit }),
    )
    return rows.map(toPin)
  }
}
