/**
 * `DaemonStore`: the TeleClaude daemon's storage on cleo-store, composed from the
 * tasks, conduit and signaldock repositories of a workspace.
 *
 * @module
 */
import type { ConduitRepository } from '../conduit/conduit-repository.js'
import type { SnapshotCache } from '../conduit/snapshot-cache.js'
import type { SignaldockRepository } from '../signaldock/signaldock-repository.js'
import type { ErrorContext } from '../sqlite/errors.js'
import { validate } from '../sqlite/validate.js'
import type { TasksRepository } from '../tasks/tasks-repository.js'
import type { CleoWorkspace } from '../workspace/workspace.js'
import { DaemonAgents } from './daemon-agents.js'
import type { DaemonSettings, VoiceAssignments } from '../conduit/daemon-data.js'
import { DaemonCommands } from './daemon-commands.js'
import { DaemonLeaseHolder, DaemonLock } from './daemon-lock.js'
import { DaemonSessions } from './daemon-sessions.js'
import type {
  DaemonStoreOptions,
} from './daemon.types.js'
import { DaemonStoreOptionsSchema, DEFAULT_CRITICAL_HOOK_EVENTS } from './daemon.schemas.js'
import { DEFAULT_HOOK_BACKOFF, HookOutbox } from './hook-outbox.js'
import { UxCleanupRegistry } from './ux-cleanup.js'

/** Default name of the daemon's writer lease in conduit.db. */
export const DAEMON_LOCK_NAME = 'teleclaude-daemon'

/** The repositories a {@link DaemonStore} works on. */
export interface DaemonStores {
  readonly tasks: TasksRepository
  readonly conduit: ConduitRepository
  readonly signaldock: SignaldockRepository
}

/**
 * Every flow of the TeleClaude daemon's database, on cleo-store:
 *
 * | TeleClaude | here | stored in |
 * | --- | --- | --- |
 * | `sessions` | `sessions` (create → activate → update → close; `recover`) | tasks.db `sessions` |
 * | `hook_outbox` | `hooks` (enqueue, process/drain, orphans, prune) | conduit.db queue `hook-outbox` |
 * | `pending_message_deletions` | `cleanup` (register, take, confirm, fail, purgeSession) | conduit.db queues `ux-cleanup:<type>:<session>` |
 * | `cache` (documented, never built) | `cache` (get, put, revalidate, invalidate) | conduit.db `snapshot_cache` |
 * | `agent_availability` | `agents` (track, select, get, reportRateLimit/Degraded/Available) | signaldock.db `agent_availability` |
 * | pid-file flock | `lock` (acquire, heartbeat, keepAlive, release; fences daemon writes) | conduit.db `writer_leases` (+ tasks.db `writer_fences`) |
 * | `system_settings` | `settings` (get, set, delete, list) | conduit.db `daemon_settings` |
 * | `voice_assignments` | `voices` (assign, get, remove, sweep) | conduit.db `voice_assignments` |
 * | command queue | `commands` (enqueue, process, deadLetters, replay, stats) | conduit.db queue `daemon-commands` |
 *
 * A `DaemonStore` holds no connection of its own: it lives as long as the
 * repositories it was made from (close the workspace to close it).
 *
 * @example
 * ```ts
 * import { CleoWorkspace, DaemonStore } from 'cleo-store'
 *
 * const ws = await CleoWorkspace.open(projectDir)
 * const daemon = DaemonStore.from(ws)
 * const lease = await daemon.lock.acquire(`daemon-${process.pid}`)
 * for (const session of await daemon.sessions.recover()) reattach(session)
 * ```
 */
export class DaemonStore {
  /** Session lifecycle persistence (tasks.db). */
  readonly sessions: DaemonSessions
  /** The hook outbox (conduit queue). */
  readonly hooks: HookOutbox
  /** Pending message deletions (conduit queues). */
  readonly cleanup: UxCleanupRegistry
  /** The snapshot cache with the daemon's TTL policy (conduit.db). */
  readonly cache: SnapshotCache
  /** Agent availability and fallback selection (signaldock.db). */
  readonly agents: DaemonAgents
  /** The single-writer daemon lock (conduit.db lease); once acquired it fences this store's daemon writes. */
  readonly lock: DaemonLock
  // issue 17: the design's remaining daemon data
  /** System settings, key → JSON value (conduit.db). */
  readonly settings: DaemonSettings
  /** Voice assignments of sessions (conduit.db). */
  readonly voices: VoiceAssignments
  /** The durable command queue (conduit queue `daemon-commands`). */
  readonly commands: DaemonCommands

  private constructor(stores: DaemonStores, options: DaemonStoreOptions, context: ErrorContext) {
    const opts = validate(DaemonStoreOptionsSchema, options, 'DaemonStore', context)
    const holder = new DaemonLeaseHolder()
    this.cache = stores.conduit.cache.withPolicy(opts.cache ?? {}, { fence: () => holder.fence() })
    this.cleanup = new UxCleanupRegistry(stores, holder, { maxAttempts: opts.cleanup?.maxAttempts ?? 5 }, context)
    this.hooks = new HookOutbox(
      stores,
      {
        criticalEvents: opts.hooks?.criticalEvents ?? DEFAULT_CRITICAL_HOOK_EVENTS,
        maxAttempts: opts.hooks?.maxAttempts ?? 10,
        orphanAttempts: opts.hooks?.orphanAttempts ?? 3,
        beforePass: () => this.cleanup.reconcile(),
        backoff: {
          baseMs: opts.hooks?.backoff?.baseMs ?? DEFAULT_HOOK_BACKOFF.baseMs,
          maxMs: opts.hooks?.backoff?.maxMs ?? DEFAULT_HOOK_BACKOFF.maxMs,
          jitter: opts.hooks?.backoff?.jitter ?? DEFAULT_HOOK_BACKOFF.jitter,
        },
      },
      context,
    )
    this.sessions = new DaemonSessions(
      stores.tasks,
      this.cleanup,
      this.cache,
      holder,
      { touchCoalesceMs: opts.sessions?.touchCoalesceMs ?? 1000 },
      context,
    )
    this.agents = new DaemonAgents(stores.signaldock.availability, stores.signaldock.agents)
    this.lock = new DaemonLock(stores.conduit.leases, stores.tasks, holder, opts.lockName ?? DAEMON_LOCK_NAME, context)
    this.settings = stores.conduit.settings
    this.voices = stores.conduit.voices
    this.commands = new DaemonCommands(
      stores.conduit,
      {
        maxAttempts: opts.commands?.maxAttempts ?? 5,
        backoff: {
          baseMs: opts.hooks?.backoff?.baseMs ?? DEFAULT_HOOK_BACKOFF.baseMs,
          maxMs: opts.hooks?.backoff?.maxMs ?? DEFAULT_HOOK_BACKOFF.maxMs,
          jitter: opts.hooks?.backoff?.jitter ?? DEFAULT_HOOK_BACKOFF.jitter,
        },
      },
      context,
    )
  }

  /**
   * The daemon store of a workspace (its tasks, conduit and signaldock stores).
   *
   * @example
   * ```ts
   * const daemon = DaemonStore.from(ws, { cache: { ttlMs: { computers: 30_000 } } })
   * ```
   */
  static from(ws: CleoWorkspace, options: DaemonStoreOptions = {}): DaemonStore {
    return new DaemonStore({ tasks: ws.tasks, conduit: ws.conduit, signaldock: ws.signaldock }, options, {
      store: 'daemon',
      file: ws.projectDir,
    })
  }

  /**
   * A daemon store over repositories opened separately (e.g. in a hook process that
   * opens only what it needs).
   *
   * @example
   * ```ts
   * const daemon = DaemonStore.of({ tasks, conduit, signaldock })
   * ```
   */
  static of(stores: DaemonStores, options: DaemonStoreOptions = {}): DaemonStore {
    return new DaemonStore(stores, options, { store: 'daemon', file: ':memory:' })
  }
}
