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
import { checkOptions, FunctionSchema, POSTGRES_OPTION_SHAPE, repositoryOptionsSchema } from '../sqlite/options.js'
import { z } from 'zod'
import type { Clock } from '../sqlite/clock.js'
import type { ReferenceGuard } from '../sqlite/reference-guard.js'
import type { StoreEngine } from '../sqlite/store-engine.js'
import type { PostgresStoreOptions, PostgresTarget } from '../postgres/postgres-options.js'
import { openPostgresDatabase } from '../postgres/postgres-database.js'
import { PostgresStoreEngine, serverDatabase } from '../postgres/postgres-engine.js'

/** Options of {@link ConduitRepository.open}. */
export interface ConduitRepositoryOptions extends RepositoryOptions {
  /** Returns a number in [0, 1) for the queue's backoff jitter (default `Math.random`); inject one in tests. */
  readonly random?: () => number
}

/**
 * Options of {@link ConduitRepository.openPostgres}: the server store's (schema,
 * retry, pool size) and the repository's clock and randomness.
 *
 * @example
 * ```ts
 * const options: ConduitPostgresOptions = { schema: 'acme_api_conduit', busyTimeoutMs: 10_000 }
 * ```
 */
export interface ConduitPostgresOptions extends PostgresStoreOptions {
  /** Returns epoch milliseconds; inject one in tests (default `Date.now`). */
  readonly clock?: Clock
  /** Returns a number in [0, 1) for the queue's backoff jitter (default `Math.random`). */
  readonly random?: () => number
  /** Checks ids this store's writes name in other databases; a workspace sets it. */
  readonly referenceGuard?: ReferenceGuard | undefined
}

const ConduitPostgresOptionsSchema = z.strictObject({
  ...POSTGRES_OPTION_SHAPE,
  clock: FunctionSchema.optional(),
  random: FunctionSchema.optional(),
  referenceGuard: FunctionSchema.optional(),
})

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

  readonly #engine: StoreEngine<ConduitDatabase>

  private constructor(
    db: SqliteDatabase<ConduitDatabase> | PostgresStoreEngine<ConduitDatabase>,
    options: ConduitRepositoryOptions | ConduitPostgresOptions,
  ) {
    super(db instanceof PostgresStoreEngine ? { server: serverDatabase(db) } : db, options)
    this.#engine = db instanceof PostgresStoreEngine ? db : new SqliteStoreEngine(db)
    const ctx: ConduitContext = Object.freeze({
      engine: this.#engine,
      clock: this.clock,
      random: options.random ?? Math.random,
      nextId: uuidv7Generator(this.clock),
      errorContext: this.#engine.context,
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
    return this.#engine.batch(() => fn(this))
  }

  /** @internal The store engine the aggregates run on (tests reach the rows through it). */
  get engine(): StoreEngine<ConduitDatabase> {
    return this.#engine
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

  /**
   * Opens conduit on a PostgreSQL server — one project's messages and delivery
   * queue shared by many hosts — creating its schema (default `conduit`; a
   * workspace names it after the project key) and migrating it if needed, from the
   * same migration files as conduit.db. Same API, errors and rules as on SQLite:
   * writes run `SERIALIZABLE` and a lost race is retried whole until
   * `busyTimeoutMs`, then `BUSY`; the queue's claim skips rows other hosts hold
   * (`FOR UPDATE SKIP LOCKED`); waits use `LISTEN/NOTIFY`.
   *
   * `target` is a connection string (cleo-store creates a `pg` pool and ends it on
   * `close()`; without the optional peer dependency `pg`: `UNSUPPORTED`) or your own
   * `pg.Pool` (never ended by cleo-store).
   *
   * Throws `VALIDATION` (bad target, schema name or option), `IO` (server
   * unreachable), `NOT_FOUND` (no such database), `WRONG_STORE`, `SCHEMA_TOO_NEW`,
   * `MIGRATION_FAILED`.
   *
   * @example
   * ```ts
   * const conduit = await ConduitRepository.openPostgres(process.env.DATABASE_URL!, { schema: 'acme_api_conduit' })
   * ```
   */
  static async openPostgres(target: PostgresTarget, options: ConduitPostgresOptions = {}): Promise<ConduitRepository> {
    checkOptions(ConduitPostgresOptionsSchema, options, 'ConduitRepository.openPostgres', { store: CONDUIT_STORE.name })
    const { clock: _clock, random: _random, referenceGuard: _guard, ...server } = options
    const db = await openPostgresDatabase<ConduitDatabase>(CONDUIT_STORE, target, server)
    return new ConduitRepository(new PostgresStoreEngine(db), options)
  }
}
