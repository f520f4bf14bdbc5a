/**
 * The TeleClaude session lifecycle on tasks.db sessions.
 *
 * @module
 */
import type { SnapshotCache } from '../conduit/snapshot-cache.js'
import type { TaskSession } from '../tasks/task-sessions.js'
import type { TasksRepository } from '../tasks/tasks-repository.js'
import type { UpsertTaskSessionInput } from '../tasks/tasks.schemas.js'
import type { UxCleanupRegistry } from './ux-cleanup.js'

/** Session metadata: a JSON object, merged shallowly into the stored one. */
export type DaemonSessionMetadata = NonNullable<UpsertTaskSessionInput['metadata']>

/** Input of `daemon.sessions.create` (the launcher's insert). */
export interface DaemonSessionCreateInput {
  readonly id: string
  readonly agent?: string | null
  readonly computer?: string | null
  readonly title?: string | null
  readonly metadata?: DaemonSessionMetadata
}

/**
 * The document's session flow, as `daemon.sessions`: insert `creating` → `active`
 * with the terminal (tmux) name → title and metadata updates → closed with
 * `closed_at`. Every step is an idempotent `tasks.sessions.upsert` by id: a replay
 * writes nothing, a status never moves back, and an update of a closed session
 * cannot reopen it. A restart recovers the open sessions with {@link recover}.
 *
 * @example
 * ```ts
 * await daemon.sessions.create({ id, agent: 'claude', computer: 'mbp' })
 * await daemon.sessions.activate(id, 'tc_42')
 * await daemon.sessions.update(id, { title: 'Fix the parser' })
 * await daemon.sessions.close(id)
 * ```
 */
export class DaemonSessions {
  readonly #tasks: TasksRepository
  readonly #cleanup: UxCleanupRegistry
  readonly #cache: SnapshotCache

  /** @internal Use `daemon.sessions`. */
  constructor(tasks: TasksRepository, cleanup: UxCleanupRegistry, cache: SnapshotCache) {
    this.#tasks = tasks
    this.#cleanup = cleanup
    this.#cache = cache
  }

  /**
   * Inserts the session with status `creating` (a replay changes nothing).
   *
   * @example
   * ```ts
   * await daemon.sessions.create({ id: 'c0ffee', agent: 'claude', computer: 'mbp' })
   * ```
   */
  async create(input: DaemonSessionCreateInput): Promise<TaskSession> {
    return this.#tasks.sessions.upsert({ ...input, status: 'creating' })
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
    return this.#tasks.sessions.upsert({ id, status: 'active', terminalName })
  }

  /**
   * Updates title, agent, terminal or metadata (metadata is merged shallowly).
   *
   * @example
   * ```ts
   * await daemon.sessions.update('c0ffee', { title: 'Refactor', metadata: { thinking: 'high' } })
   * ```
   */
  async update(
    id: string,
    fields: { title?: string | null; agent?: string | null; terminalName?: string | null; metadata?: DaemonSessionMetadata },
  ): Promise<TaskSession> {
    return this.#tasks.sessions.upsert({ id, ...fields })
  }

  /**
   * Closes the session (`ended`, `endedAt` = `closedAt` or now; idempotent), then
   * purges its pending deletions and its `sessions:<id>` cache entry: rows go with
   * their session.
   *
   * @example
   * ```ts
   * const { session, purgedDeletions } = await daemon.sessions.close('c0ffee')
   * ```
   */
  async close(id: string, options: { closedAt?: string } = {}): Promise<{ session: TaskSession; purgedDeletions: number }> {
    const session = await this.#tasks.sessions.upsert({ id, status: 'ended', ...(options.closedAt ? { endedAt: options.closedAt } : {}) })
    const purgedDeletions = await this.#cleanup.purgeSession(id)
    await this.#cache.invalidate(`sessions:${id}`)
    return { session, purgedDeletions }
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
