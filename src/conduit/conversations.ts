/**
 * Conversations: direct (exactly two agents, one conversation per pair) and group
 * (named or not, any number of members). Participants are stored one way only, as
 * rows of `conversation_participants`, and always read back sorted.
 *
 * @module
 */
import type { Selectable } from 'kysely'
import { sql } from 'kysely'
import { z } from 'zod'

import { toIso, toIsoOrNull } from '../sqlite/clock.js'
import { fromJson } from '../sqlite/json.js'
import { template, typedParam } from '../sqlite/query-template.js'
import type { SqlDialect } from '../sqlite/query-template.js'
import type { Step } from '../sqlite/store-engine.js'
import { validate } from '../sqlite/validate.js'
import type { ConduitContext, ConduitExecutor } from './conduit-context.js'
import { invalid, invariant, notFound } from './conduit-context.js'
import type { ConversationVisibility } from './conduit.enums.js'
import type {
  ConversationListOptions,
  CreateGroupInput,
} from './conduit.types.js'
import { ConduitAgentIdSchema, ConduitIdSchema, ConversationListSchema, CreateGroupSchema } from './conduit.schemas.js'
import type { ConduitDatabase, ConversationsTable } from './conduit.tables.js'
import { requireAttachedAgent } from './project-agent-refs.js'

/** A conversation, with its participants (sorted). */
export interface Conversation {
  readonly id: string
  readonly kind: 'direct' | 'group'
  /** Unique name of a group (`null` for direct conversations and unnamed groups). */
  readonly name: string | null
  readonly title: string | null
  readonly visibility: ConversationVisibility
  readonly createdBy: string
  /** Agent ids, sorted. */
  readonly participants: string[]
  /** Messages sent in it (kept in the same transaction as each send). */
  readonly messageCount: number
  readonly lastMessageAt: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

type ConversationRow = Selectable<ConversationsTable> & { participants: string }

const ParticipantsSchema = z.array(z.string())

/** The canonical key of a direct conversation: the JSON of its sorted pair. */
export function directConversationKey(a: string, b: string): string {
  return JSON.stringify(a < b ? [a, b] : [b, a])
}

const PARTICIPANTS_FROM = sql`FROM conversation_participants AS cp WHERE cp.conversation_id = conversations.id`

/** The sorted participants as a JSON array (`json_agg` of no rows is NULL on PostgreSQL, hence the coalesce). */
function participantsJson(dialect: SqlDialect) {
  return dialect === 'postgres'
    ? sql<string>`(SELECT coalesce(json_agg(cp.agent_id ORDER BY cp.agent_id)::text, '[]') ${PARTICIPANTS_FROM})`
    : sql<string>`(SELECT json_group_array(cp.agent_id ORDER BY cp.agent_id) ${PARTICIPANTS_FROM})`
}

const GET_CONVERSATION = template<ConduitDatabase, { id: string }>()((db, p, dialect) =>
  db.selectFrom('conversations').selectAll().select(participantsJson(dialect).as('participants')).where('id', '=', p('id')),
)

/** @internal */
export const GET_CONVERSATION_KIND = template<ConduitDatabase, { id: string }>()((db, p) =>
  db.selectFrom('conversations').select(['id', 'kind']).where('id', '=', p('id')),
)

/** @internal */
export const GET_DIRECT_ID = template<ConduitDatabase, { key: string }>()((db, p) =>
  db.selectFrom('conversations').select('id').where('direct_key', '=', p('key')),
)

/** @internal */
export const GET_GROUP_ID = template<ConduitDatabase, { name: string }>()((db, p) =>
  db.selectFrom('conversations').select('id').where('name', '=', p('name')),
)

const INSERT_CONVERSATION = template<
  ConduitDatabase,
  {
    id: string
    kind: 'direct' | 'group'
    directKey: string | null
    name: string | null
    title: string | null
    visibility: ConversationVisibility
    createdBy: string
    now: number
  }
>()((db, p) =>
  db
    .insertInto('conversations')
    .values({
      id: p('id'),
      kind: p('kind'),
      direct_key: p('directKey'),
      name: p('name'),
      title: p('title'),
      visibility: p('visibility'),
      created_by: p('createdBy'),
      created_at: p('now'),
      updated_at: p('now'),
    })
    .onConflict((oc) => oc.column('direct_key').doNothing())
    .returning('id'),
)

const INSERT_PARTICIPANT = template<ConduitDatabase, { conversationId: string; agentId: string; now: number }>()(
  (db, p) =>
    db
      .insertInto('conversation_participants')
      .values({ conversation_id: p('conversationId'), agent_id: p('agentId'), joined_at: p('now') })
      .onConflict((oc) => oc.columns(['conversation_id', 'agent_id']).doNothing()),
)

const DELETE_PARTICIPANT = template<ConduitDatabase, { conversationId: string; agentId: string }>()((db, p) =>
  db
    .deleteFrom('conversation_participants')
    .where('conversation_id', '=', p('conversationId'))
    .where('agent_id', '=', p('agentId')),
)

/** @internal */
export const IS_PARTICIPANT = template<ConduitDatabase, { conversationId: string; agentId: string }>()((db, p) =>
  db
    .selectFrom('conversation_participants')
    .select('agent_id')
    .where('conversation_id', '=', p('conversationId'))
    .where('agent_id', '=', p('agentId')),
)

const TOUCH_CONVERSATION = template<ConduitDatabase, { id: string; now: number }>()((db, p) =>
  db.updateTable('conversations').set({ updated_at: p('now') }).where('id', '=', p('id')),
)

const LIST_FOR_AGENT = template<ConduitDatabase, { agentId: string; kind: string | null; limit: number }>()((db, p, dialect) =>
  db
    .selectFrom('conversation_participants as me')
    .innerJoin('conversations', 'conversations.id', 'me.conversation_id')
    .selectAll('conversations')
    .select(participantsJson(dialect).as('participants'))
    .where('me.agent_id', '=', p('agentId'))
    .where((eb) => eb.or([eb(typedParam(p('kind'), 'text', dialect), 'is', null), eb('conversations.kind', '=', p('kind') as 'direct')]))
    .orderBy(sql`coalesce(conversations.last_message_at, conversations.created_at)`, 'desc')
    .orderBy('conversations.id', 'desc')
    .limit(p('limit')),
)

const LIST_ALL = template<ConduitDatabase, { kind: string | null; limit: number }>()((db, p, dialect) =>
  db
    .selectFrom('conversations')
    .selectAll()
    .select(participantsJson(dialect).as('participants'))
    .where((eb) => eb.or([eb(typedParam(p('kind'), 'text', dialect), 'is', null), eb('kind', '=', p('kind') as 'direct')]))
    .orderBy(sql`coalesce(last_message_at, created_at)`, 'desc')
    .orderBy('id', 'desc')
    .limit(p('limit')),
)

/**
 * @internal Inside a write transaction: the id of the direct conversation of a pair,
 * created (with both participants) when missing. Race-free: the write transaction
 * holds the database's write lock, and `direct_key` is UNIQUE besides.
 */
export function* findOrCreateDirect(x: ConduitExecutor, ctx: ConduitContext, from: string, to: string, now: number): Step<string> {
  const key = directConversationKey(from, to)
  const existing = yield* x.get(GET_DIRECT_ID, { key })
  if (existing !== undefined) return existing.id
  const created = yield* x.get(INSERT_CONVERSATION, {
    id: ctx.nextId(),
    kind: 'direct',
    directKey: key,
    name: null,
    title: null,
    visibility: 'private',
    createdBy: from,
    now,
  })
  if (created === undefined) return (yield* x.get(GET_DIRECT_ID, { key }))!.id
  for (const agentId of [from, to]) yield* x.run(INSERT_PARTICIPANT, { conversationId: created.id, agentId, now })
  return created.id
}

/** @internal Inside a transaction: the conversation's kind, or `NOT_FOUND`. */
export function* requireConversation(x: ConduitExecutor, ctx: ConduitContext, id: string): Step<'direct' | 'group'> {
  const row = yield* x.get(GET_CONVERSATION_KIND, { id })
  if (row === undefined) throw notFound(ctx, 'conversation', id)
  return row.kind
}

/** @internal Inside a transaction: `INVARIANT` unless the agent takes part in the conversation. */
export function* requireParticipant(x: ConduitExecutor, ctx: ConduitContext, conversationId: string, agentId: string): Step<void> {
  if ((yield* x.get(IS_PARTICIPANT, { conversationId, agentId })) === undefined) {
    throw invariant(ctx, `agent ${JSON.stringify(agentId)} is not a participant of conversation ${JSON.stringify(conversationId)}`, {
      conversationId,
      agentId,
    })
  }
}

/**
 * Conversations of the project. Reach them as `conduit.conversations`. Every agent
 * named here must be attached to the project (`conduit.agentRefs.attach`), else
 * `NOT_FOUND`.
 *
 * @example
 * ```ts
 * const dm = await conduit.conversations.direct('alice', 'bob')      // found or created
 * const team = await conduit.conversations.createGroup({ createdBy: 'alice', participants: ['bob', 'carol'], name: 'team' })
 * ```
 */
export class Conversations {
  readonly #ctx: ConduitContext

  /** @internal Use `conduit.conversations`. */
  constructor(ctx: ConduitContext) {
    this.#ctx = ctx
  }

  /**
   * The direct conversation of two agents, created on first use. Concurrent calls
   * (from any number of processes) for one pair all get the same conversation.
   *
   * @example
   * ```ts
   * const { id } = await conduit.conversations.direct('alice', 'bob')
   * ```
   */
  async direct(agentA: string, agentB: string): Promise<Conversation> {
    const a = validate(ConduitAgentIdSchema, agentA, 'conduit.conversations.direct', this.#ctx.errorContext)
    const b = validate(ConduitAgentIdSchema, agentB, 'conduit.conversations.direct', this.#ctx.errorContext)
    if (a === b) {
      throw invalid(this.#ctx, 'conduit.conversations.direct', ['agentB'], 'a direct conversation needs two different agents', b)
    }
    return this.#ctx.engine.write((x) => this.#direct(x, a, b))
  }

  *#direct(x: ConduitExecutor, a: string, b: string): Step<Conversation> {
    yield* requireAttachedAgent(x, this.#ctx, a)
    yield* requireAttachedAgent(x, this.#ctx, b)
    const id = yield* findOrCreateDirect(x, this.#ctx, a, b, this.#ctx.clock())
    return (yield* this.#load(x, id))!
  }

  /**
   * Creates a group conversation. The creator is always a member. A `name` must be
   * unique (`CONFLICT` otherwise); `send({ group: name })` uses it.
   *
   * @example
   * ```ts
   * const group = await conduit.conversations.createGroup({ createdBy: 'alice', participants: ['bob'], name: 'reviewers' })
   * ```
   */
  async createGroup(input: CreateGroupInput): Promise<Conversation> {
    const parsed = validate(CreateGroupSchema, input, 'conduit.conversations.createGroup', this.#ctx.errorContext)
    const members = [...new Set([parsed.createdBy, ...parsed.participants])]
    return this.#ctx.engine.write((x) => this.#createGroup(x, parsed, members))
  }

  *#createGroup(
    x: ConduitExecutor,
    parsed: z.output<typeof CreateGroupSchema>,
    members: readonly string[],
  ): Step<Conversation> {
    const now = this.#ctx.clock()
    for (const agentId of members) yield* requireAttachedAgent(x, this.#ctx, agentId)
    const id = this.#ctx.nextId()
    yield* x.get(INSERT_CONVERSATION, {
      id,
      kind: 'group',
      directKey: null,
      name: parsed.name ?? null,
      title: parsed.title ?? null,
      visibility: parsed.visibility,
      createdBy: parsed.createdBy,
      now,
    })
    for (const agentId of members) yield* x.run(INSERT_PARTICIPANT, { conversationId: id, agentId, now })
    return (yield* this.#load(x, id))!
  }

  /**
   * One conversation, or `undefined`.
   *
   * @example
   * ```ts
   * const conversation = await conduit.conversations.get(id)
   * ```
   */
  async get(id: string): Promise<Conversation | undefined> {
    const key = validate(ConduitIdSchema, id, 'conduit.conversations.get', this.#ctx.errorContext)
    return this.#ctx.engine.read((x) => this.#load(x, key))
  }

  /**
   * Conversations, most recently active first; with `agentId`, only those it takes
   * part in.
   *
   * @example
   * ```ts
   * const mine = await conduit.conversations.list({ agentId: 'alice', limit: 20 })
   * ```
   */
  async list(options: ConversationListOptions = {}): Promise<Conversation[]> {
    const opts = validate(ConversationListSchema, options, 'conduit.conversations.list', this.#ctx.errorContext)
    const rows = await this.#ctx.engine.read((x) =>
      opts.agentId === undefined
        ? x.all(LIST_ALL, { kind: opts.kind ?? null, limit: opts.limit })
        : x.all(LIST_FOR_AGENT, { agentId: opts.agentId, kind: opts.kind ?? null, limit: opts.limit }),
    )
    return rows.map((row) => this.#toConversation(row))
  }

  /**
   * Adds members to a group conversation (already-present ones are ignored).
   * `INVARIANT` for a direct conversation.
   *
   * @example
   * ```ts
   * await conduit.conversations.addParticipants(group.id, ['dave'])
   * ```
   */
  async addParticipants(conversationId: string, agentIds: readonly string[]): Promise<Conversation> {
    const id = validate(ConduitIdSchema, conversationId, 'conduit.conversations.addParticipants', this.#ctx.errorContext)
    const agents = validate(z.array(ConduitAgentIdSchema).min(1).max(1000), agentIds, 'conduit.conversations.addParticipants', this.#ctx.errorContext)
    return this.#ctx.engine.write((x) => this.#addParticipants(x, id, agents))
  }

  *#addParticipants(x: ConduitExecutor, id: string, agents: readonly string[]): Step<Conversation> {
    const now = this.#ctx.clock()
    yield* this.#requireGroup(x, id)
    for (const agentId of agents) yield* requireAttachedAgent(x, this.#ctx, agentId)
    for (const agentId of agents) yield* x.run(INSERT_PARTICIPANT, { conversationId: id, agentId, now })
    yield* x.run(TOUCH_CONVERSATION, { id, now })
    return (yield* this.#load(x, id))!
  }

  /**
   * Removes a member from a group conversation; messages it already received keep
   * their per-recipient state. `NOT_FOUND` if it was not a member; `INVARIANT` for a
   * direct conversation.
   *
   * @example
   * ```ts
   * await conduit.conversations.removeParticipant(group.id, 'dave')
   * ```
   */
  async removeParticipant(conversationId: string, agentId: string): Promise<Conversation> {
    const id = validate(ConduitIdSchema, conversationId, 'conduit.conversations.removeParticipant', this.#ctx.errorContext)
    const agent = validate(ConduitAgentIdSchema, agentId, 'conduit.conversations.removeParticipant', this.#ctx.errorContext)
    return this.#ctx.engine.write((x) => this.#removeParticipant(x, id, agent))
  }

  *#removeParticipant(x: ConduitExecutor, id: string, agent: string): Step<Conversation> {
    yield* this.#requireGroup(x, id)
    if ((yield* x.run(DELETE_PARTICIPANT, { conversationId: id, agentId: agent })).changes === 0) {
      throw notFound(this.#ctx, 'participant', agent, { conversationId: id })
    }
    yield* x.run(TOUCH_CONVERSATION, { id, now: this.#ctx.clock() })
    return (yield* this.#load(x, id))!
  }

  *#requireGroup(x: ConduitExecutor, id: string): Step<void> {
    if ((yield* requireConversation(x, this.#ctx, id)) !== 'group') {
      throw invariant(this.#ctx, `conversation ${JSON.stringify(id)} is direct: its two participants are fixed`, { conversationId: id })
    }
  }

  *#load(x: ConduitExecutor, id: string): Step<Conversation | undefined> {
    const row = yield* x.get(GET_CONVERSATION, { id })
    return row === undefined ? undefined : this.#toConversation(row)
  }

  #toConversation(row: ConversationRow): Conversation {
    return {
      id: row.id,
      kind: row.kind,
      name: row.name,
      title: row.title,
      visibility: row.visibility,
      createdBy: row.created_by,
      participants: fromJson(row.participants, 'conversation_participants', this.#ctx.errorContext, ParticipantsSchema),
      messageCount: row.message_count,
      lastMessageAt: toIsoOrNull(row.last_message_at),
      createdAt: toIso(row.created_at),
      updatedAt: toIso(row.updated_at),
    }
  }
}
