/**
 * The conduit.db repository.
 *
 * @module
 */
import { DaemonSettings, VoiceAssignments } from './daemon-data.js'
import type { SqliteDatabase } from '../sqlite/database.js'
import { CleoStoreError } from '../sqlite/errors.js'
import { uuidv7Generator } from '../sqlite/ids.js'
import { SqliteStoreEngine } from '../sqlite/store-engine.js'
import type { RepositoryOptions } from '../sqlite/store-repository.js'
import { openStoreDatabase, StoreRepository } from '../sqlite/store-repository.js'
import { Attachments } from './attachments.js'
import type { ConduitContext } from './conduit-context.js'
import type { ConduitDatabase } from './conduit.tables.js'
import { CONDUIT_STORE } from './conduit.store.js'
import { Conversations } from './conversations.js'
import { DeliveryQueue } from './delivery-queue.js'
import { Inbox } from './inbox.js'
import { MessagePins } from './message-pins.js'
import { Messages } from './messages.js'
import { ProjectAgentRefs } from './project-agent-refs.js'
import { SnapshotCache } from './snapshot-cache.js'
import { WriterLeases } from './writer-leases.js'
import { checkOptions, FunctionSchema, repositoryOptionsSchema } from '../sqlite/options.js'

/** Options of {@link ConduitRepository.open}. */
export interface ConduitRepositoryOptions extends RepositoryOptions {
  /** Returns a number in [0, 1) for the queue's backoff jitter (default `Math.random`); inject one in tests. */
  readonly random?: () => number
}

/**
 * conduit.db — the project's messaging store: conversations, messages (with
 * per-recipient state, a durable inbox cursor and FTS5 search), pins, versioned
 * attachments, the project's agent refs (ADR-037), and the durable delivery queue.
 *
 * Each aggregate is a property: `agentRefs`, `conversations`, `messages`, `inbox`,
 * `pins`, `attachments`, `queue`, `cache`, `leases`. Agents must be attached (`agentRefs.attach`)
 * before they send, receive or contribute.
 *
 * @example
 * ```ts
 * await using conduit = await ConduitRepository.open(':memory:')
 * await conduit.agentRefs.attach('alice')
 * await conduit.agentRefs.attach('bob')
 * await conduit.messages.send({ from: 'alice', to: 'bob', content: 'hello', deliver: true })
 * const { messages, cursor } = await conduit.inbox.page('bob')
 * await conduit.inbox.commit('bob', cursor)
 * ```
 */
export class ConduitRepository extends StoreRepository<'conduit'> {
  /** The project's references to global agents (attach, detach, remove, list). */
  readonly agentRefs: ProjectAgentRefs
  /** Direct and group conversations. */
  readonly conversations: Conversations
  /** Send, read, thread, history, search. */
  readonly messages: Messages
  /** Per-agent inbox pages, durable cursors, delivered/read/acked state. */
  readonly inbox: Inbox
  /** Message pins. */
  readonly pins: MessagePins
  /** Versioned, content-addressed attachments with reviews. */
  readonly attachments: Attachments
  /** The durable delivery queue (message delivery, hook outbox, deferred work). */
  readonly queue: DeliveryQueue
  /** The snapshot cache (`data_type:scope_id` → JSON snapshot, TTL policy, no write on read). */
  readonly cache: SnapshotCache
  /** Cross-process single-writer leases with fencing tokens (e.g. the daemon lock). */
  readonly leases: WriterLeases
  // issue 17: the daemon's settings and voice assignments
  /** System settings: key → JSON value (e.g. registry message ids). */
  readonly settings: DaemonSettings
  /** Voice assignments of sessions (swept by age). */
  readonly voices: VoiceAssignments

  private constructor(db: SqliteDatabase<ConduitDatabase>, options: ConduitRepositoryOptions) {
    super(db, options)
    const ctx: ConduitContext = Object.freeze({
      engine: new SqliteStoreEngine(db),
      clock: this.clock,
      random: options.random ?? Math.random,
      nextId: uuidv7Generator(this.clock),
      errorContext: db.context,
      guard: this.referenceGuard,
    })
    this.agentRefs = new ProjectAgentRefs(ctx)
    this.conversations = new Conversations(ctx)
    this.queue = new DeliveryQueue(ctx)
    this.messages = new Messages(ctx, this.queue)
    this.inbox = new Inbox(ctx)
    this.pins = new MessagePins(ctx)
    this.attachments = new Attachments(ctx)
    this.cache = new SnapshotCache(ctx)
    this.leases = new WriterLeases(ctx)
    this.settings = new DaemonSettings(ctx)
    this.voices = new VoiceAssignments(ctx)
  }

  // ── batches (issue 19) ──
  /**
   * Runs `fn` in one all-or-nothing write transaction. `tx` is this repository:
   * every call made from inside `fn` (its async flow) — sends, inbox commits,
   * queue operations, … with their validation — joins the transaction, each in a
   * savepoint (a call that throws leaves nothing behind; `fn` may catch it and go
   * on). When `fn` throws or rejects, nothing of it is kept. Calls from other async
   * flows wait until it ends; the write lock is held while `fn` awaits.
   *
   * @example
   * ```ts
   * await conduit.transaction(async (tx) => {
   *   for (const to of ['bob', 'carol']) await tx.messages.send({ from: 'alice', to, content: 'release at five' })
   * }) // both messages, or neither
   * ```
   */
  transaction<T>(fn: (tx: ConduitRepository) => Promise<T> | T): Promise<T> {
    if (typeof fn !== 'function') {
      return Promise.reject(new CleoStoreError('VALIDATION', 'conduit.transaction: expected a function', { ...this.context, details: { operation: 'conduit.transaction', path: [] } }))
    }
    return this.db.batch(() => fn(this))
  }

  /**
   * Opens (creating and migrating if needed) conduit.db at `path`, or an in-memory
   * database with `':memory:'`.
   * The file is created if missing, its directory is not: a missing directory is
   * `NOT_FOUND` (create it first; `CleoWorkspace.open` creates its own).
   *
   * @example
   * ```ts
   * const conduit = await ConduitRepository.open('/repo/.cleo/conduit.db', { clock: () => Date.now() })
   * ```
   */
  static async open(path: string, options: ConduitRepositoryOptions = {}): Promise<ConduitRepository> {
    checkOptions(repositoryOptionsSchema({ random: FunctionSchema.optional() }), options, 'ConduitRepository.open', { store: CONDUIT_STORE.name })
    const db = await openStoreDatabase<ConduitDatabase>(CONDUIT_STORE, path, options)
    return new ConduitRepository(db, options)
  }
}
