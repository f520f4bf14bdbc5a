/**
 * The TeleClaude session lifecycle on tasks.db sessions.
 *
 * @module
 */
import type { SnapshotCache } from '../conduit/snapshot-cache.js'
import type {
  TaskSession,
} from '../tasks/task-sessions.js'
import type {
  SessionActivityFilter,
} from '../tasks/tasks.types.js'
import type { TasksRepository } from '../tasks/tasks-repository.js'
import type {
  UpsertTaskSessionInput,
} from '../tasks/tasks.types.js'
import { CleoStoreError } from '../sqlite/errors.js'
import type { ErrorContext } from '../sqlite/errors.js'
import type { DaemonLeaseHolder } from './daemon-lock.js'
import type { UxCleanupRegistry } from './ux-cleanup.js'

/** Session metadata: a JSON object, merged shallowly into the stored one. */
export type DaemonSessionMetadata = NonNullable<UpsertTaskSessionInput['metadata']>

/** The typed session columns the daemon queries or orders by (issue 17). */
export interface DaemonSessionColumns {
  /** The agent CLI's own session id (unique among sessions; `CONFLICT` when taken). */
  readonly nativeSessionId?: string | null
  readonly projectPath?: string | null
  /** `fast`, `med`, `slow`, … */
  readonly thinkingMode?: string | null
  /** Who started it (a user, or the initiating session's id). */
  readonly initiator?: string | null
  /** Adapter metadata (Telegram topic, Discord thread, …), merged shallowly. */
  readonly adapterMetadata?: DaemonSessionMetadata
}

/** Input of `daemon.sessions.create` (the launcher's insert). */
export interface DaemonSessionCreateInput extends DaemonSessionColumns {
  readonly id: string
  readonly agent?: string | null
  readonly computer?: string | null
  readonly title?: string | null
  readonly metadata?: DaemonSessionMetadata
}

/** Fields `daemon.sessions.update` may change. */
export interface DaemonSessionUpdate extends DaemonSessionColumns {
  readonly title?: string | null
  readonly agent?: string | null
  readonly terminalName?: string | null
  readonly metadata?: DaemonSessionMetadata
}

/** Filter of `daemon.sessions.list` (most recent activity first). */
export interface DaemonSessionListOptions {
  readonly computer?: string
  readonly status?: TaskSession['status']
  /** The only order: by last activity, most recent first (the default). */
  readonly orderBy?: 'lastActivity'
  readonly limit?: number
  readonly cursor?: string
}

/**
 * The document's session flow, as `daemon.sessions`: insert `creating` → `active`
 * with the terminal (tmux) name → title and metadata updates → closed with
 * `closed_at`. Every step is an idempotent `tasks.sessions.upsert` by id: a replay
 * writes nothing, a status never moves back (a trigger enforces it for any writer),
 * and an update of a closed session cannot reopen it. A restart recovers the open
 * sessions with {@link recover}.
 *
 * Issue 17: typed, indexed columns for what the daemon looks sessions up by
 * (`nativeSessionId`, `computer`, `projectPath`, `thinkingMode`, `initiator`,
 * `lastActivityAt`, `adapterMetadata`), {@link findByNativeId}, {@link list} by last
 * activity, and {@link touch} (the hot path: no audit row, coalesced). Writes are
 * fenced by the daemon lock once this store holds it.
 *
 * @example
 * ```ts
 * await daemon.sessions.create({ id, agent: 'claude', computer: 'mbp', nativeSessionId: 'f3c1…' })
 * await daemon.sessions.activate(id, 'tc_42')
 * await daemon.sessions.touch(id)
 * await daemon.sessions.close(id)
 * ```
 */
export class DaemonSessions {
  readonly #tasks: TasksRepository
  readonly #cleanup: UxCleanupRegistry
  readonly #cache: SnapshotCache
  readonly #holder: DaemonLeaseHolder
  readonly #touchCoalesceMs: number
  readonly #context: ErrorContext

  /** @internal Use `daemon.sessions`. */
  constructor(
    tasks: TasksRepository,
    cleanup: UxCleanupRegistry,
    cache: SnapshotCache,
    holder: DaemonLeaseHolder,
    options: { touchCoalesceMs: number },
    context: ErrorContext,
  ) {
    this.#tasks = tasks
    this.#cleanup = cleanup
    this.#cache = cache
    this.#holder = holder
    this.#touchCoalesceMs = options.touchCoalesceMs
    this.#context = context
  }

  #fence(): { name: string; token: number } | null {
    const fence = this.#holder.fence()
    return fence === null ? null : { name: fence.name, token: fence.token }
  }

  async #upsert(input: UpsertTaskSessionInput): Promise<TaskSession> {
    const fence = this.#fence()
    return fence === null ? this.#tasks.sessions.upsert(input) : this.#tasks.sessions.upsertFenced(input, fence)
  }

  /**
   * Inserts the session with status `creating` (a replay changes nothing).
   *
   * @example
   * ```ts
   * await daemon.sessions.create({ id: 'c0ffee', agent: 'claude', computer: 'mbp', projectPath: '/src/app' })
   * ```
   */
  async create(input: DaemonSessionCreateInput): Promise<TaskSession> {
    return this.#upsert({ ...input, status: 'creating' })
  }

  /**
   * Marks it `active` with its terminal name (`null`: headless).
   *
   * @example
   * ```ts
   * await daemon.sessions.activate('c0ffee', 'tc_c0ffee')
   * ```
   */
  async activate(id: string, terminalName: string | null): Promise<TaskSession> {
    return this.#upsert({ id, status: 'active', terminalName })
  }

  /**
   * Updates title, agent, terminal, the typed columns or metadata (metadata and
   * adapter metadata are merged shallowly).
   *
   * @example
   * ```ts
   * await daemon.sessions.update('c0ffee', { title: 'Refactor', thinkingMode: 'slow', adapterMetadata: { topicId: 7 } })
   * ```
   */
  async update(id: string, fields: DaemonSessionUpdate): Promise<TaskSession> {
    return this.#upsert({ id, ...fields })
  }

  /**
   * Closes the session (`ended`, `endedAt` = `closedAt` or now; idempotent), then
   * purges the pending deletions of every ended session (this one included; see
   * `daemon.cleanup.reconcile`) and its `sessions:<id>` cache entry: rows go with
   * their session.
   *
   * @example
   * ```ts
   * const { session, purgedDeletions } = await daemon.sessions.close('c0ffee')
   * ```
   */
  async close(id: string, options: { closedAt?: string } = {}): Promise<{ session: TaskSession; purgedDeletions: number }> {
    const session = await this.#upsert({ id, status: 'ended', ...(options.closedAt ? { endedAt: options.closedAt } : {}) })
    const purged = await this.#cleanup.reconcile()
    await this.#cache.invalidate(`sessions:${id}`)
    return { session, purgedDeletions: purged[id] ?? 0 }
  }

  /**
   * Moves the session's last activity to now **without** an audit row (the hot path).
   * Calls within `touchCoalesceMs` (default 1 s) of the last recorded activity write
   * nothing and return `false`. `NOT_FOUND` unless the session exists and is open;
   * fenced like every daemon write.
   *
   * @example
   * ```ts
   * await daemon.sessions.touch('c0ffee') // on every output chunk
   * ```
   */
  async touch(id: string): Promise<boolean> {
    const fence = this.#fence()
    return this.#tasks.sessions.touchActivity(id, { coalesceMs: this.#touchCoalesceMs, ...(fence === null ? {} : { fence }) })
  }

  /**
   * One session, or null.
   *
   * @example
   * ```ts
   * const s = await daemon.sessions.get('c0ffee')
   * ```
   */
  async get(id: string): Promise<TaskSession | null> {
    return this.#tasks.sessions.find(id)
  }

  /**
   * The session of a native (agent CLI) session id, or null (unique index lookup).
   *
   * @example
   * ```ts
   * const s = await daemon.sessions.findByNativeId(hookPayload.session_id)
   * ```
   */
  async findByNativeId(nativeSessionId: string): Promise<TaskSession | null> {
    return this.#tasks.sessions.findByNativeId(nativeSessionId)
  }

  /**
   * Sessions by last activity, most recent first, optionally of one computer and one
   * status; a page at a time (`{ items, nextCursor }`).
   *
   * @example
   * ```ts
   * const { items } = await daemon.sessions.list({ computer: 'mbp', status: 'active', orderBy: 'lastActivity' })
   * ```
   */
  async list(options: DaemonSessionListOptions = {}): Promise<{ items: TaskSession[]; nextCursor: string | null }> {
    const { orderBy, ...filter } = options
    if (orderBy !== undefined && orderBy !== 'lastActivity') {
      throw new CleoStoreError('VALIDATION', `daemon.sessions.list: orderBy must be 'lastActivity' (got ${JSON.stringify(orderBy)})`, {
        ...this.#context,
        details: { operation: 'daemon.sessions.list', path: ['orderBy'] },
      })
    }
    return this.#tasks.sessions.listByActivity(filter as SessionActivityFilter)
  }

  /**
   * Every open session (creating, active, suspended): what a restarted daemon
   * re-attaches to.
   *
   * @example
   * ```ts
   * for (const s of await daemon.sessions.recover()) reattach(s.terminalName)
   * ```
   */
  async recover(): Promise<TaskSession[]> {
    return this.#tasks.sessions.listOpen()
  }
}
