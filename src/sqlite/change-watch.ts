/**
 * Change watching for one open SQLite database: the engine half of the wake-ups of
 * issue 20 (`conduit.inbox.wait`, `conduit.queue.wait`).
 *
 * One {@link ChangeWatch} per open database, however many waiters:
 * - **writes of this process** wake it directly: the database announces every commit
 *   ({@link announceCommit}), to its own watch and to the watch of every other open
 *   database of this process on the same file — no polling latency;
 * - **writes of other processes** are seen through `PRAGMA data_version` (it changes
 *   when another connection committed), read on a timer with exponential backoff
 *   (`minPollMs` doubling up to a cap, back to `minPollMs` after a change) and,
 *   where the platform supports it, woken early by an `fs.watch` of the `-wal` file
 *   (a hint only: the poll stays the guarantee, its cap is longer while the hint works).
 *
 * The poller runs only while someone waits: like Node's own `timers/promises`, a
 * pending wait keeps the process alive (an `await conduit.inbox.wait(…)` at the top of
 * a worker script waits instead of letting the process exit with "unsettled top-level
 * await"); once no wait is pending — resolved, timed out, aborted, or the database
 * closed — no timer and no file watch is left (the file watch is never persistent). A
 * waiter is armed before it checks its condition ({@link waitForChange}), so a change
 * between the check and the wait cannot be lost.
 *
 * Later engines (PostgreSQL `LISTEN/NOTIFY`) implement the same small surface:
 * `subscribe(listener)` and `close(error)`.
 *
 * @module
 */
import { watch as watchFile } from 'node:fs'
import type { FSWatcher } from 'node:fs'

import type { Mutex } from './mutex.js'
import type { DatabaseSync } from './node-sqlite.js'

/** How a {@link ChangeWatch} polls for other processes' commits. */
export interface ChangeWatchPolicy {
  /** First delay after a change (ms). */
  readonly minPollMs: number
  /** Largest delay while nothing changes, without the file hint (ms): bounds the cross-process latency. */
  readonly maxPollMs: number
  /**
   * Largest delay while nothing changes when the `-wal` file is watched (ms): the hint
   * wakes the poller at once, the poll only catches a missed event, so it may idle longer.
   */
  readonly maxPollMsWithHint: number
  /** Watch the `-wal` file as a hint (poll at once when it is written). */
  readonly watchWal: boolean
}

/**
 * The default policy: 1 ms doubling to 256 ms with the `-wal` file hint (where
 * `fs.watch` works), to 64 ms without it.
 * @internal Mutable for tests and the benchmark (`bench/wake.ts`), not an API.
 */
export const CHANGE_WATCH_POLICY: { -readonly [K in keyof ChangeWatchPolicy]: ChangeWatchPolicy[K] } = {
  minPollMs: 1,
  maxPollMs: 64,
  maxPollMsWithHint: 256,
  watchWal: true,
}

/** What a watch needs from its database: the connection and its lock. */
export interface ChangeWatchHost {
  readonly connection: DatabaseSync
  readonly mutex: Mutex
  /** Absolute path of the file, or `:memory:`. */
  readonly path: string
}

/** A subscriber: `changed` after any commit that may matter, `closed` once when the database closes. */
export interface ChangeListener {
  changed(): void
  closed(error: Error): void
}

/**
 * Where a wait learns that something may have changed: the port a store engine
 * implements (SQLite: {@link ChangeWatch}; PostgreSQL: `LISTEN/NOTIFY`, later). A
 * listener's `changed` may be called spuriously (the waiter checks again); `closed`
 * is called once when the store closes.
 */
export interface ChangeSource {
  /** Adds a listener; returns the function that removes it (idempotent). */
  subscribe(listener: ChangeListener): () => void
}

/**
 * The watches of this process that have listeners, with their file (`:memory:` ones are
 * never here): local commits reach them directly. Few at a time (one per database
 * someone waits on), and empty when nobody waits.
 */
const active = new Map<ChangeWatch, string>()

/**
 * Announces a commit on `file` (called by the database after every commit): wakes
 * `own` and every other active watch of this process on the same file (`own` is woken
 * once: the wake-ups of one turn are one). Costs an empty loop when nobody waits.
 */
export function announceCommit(file: string, own: ChangeWatch | undefined): void {
  own?.changed()
  for (const [watch, path] of active) if (path === file) watch.changed()
}

/**
 * The change watch of one open database. Created by the database on first use
 * (`SqliteDatabase.changes`); users reach it through the stores' `wait` methods.
 *
 * @example
 * ```ts
 * const stop = db.changes.subscribe({ changed: () => recheck(), closed: (error) => fail(error) })
 * // … later
 * stop()
 * ```
 */
export class ChangeWatch implements ChangeSource {
  readonly #host: ChangeWatchHost
  readonly #listeners = new Set<ChangeListener>()
  #closedError: Error | null = null
  /** A notification is queued (several commits in a row wake listeners once). */
  #scheduled = false
  /** The poll timer, while the poller runs (one per watch). */
  #timer: NodeJS.Timeout | undefined
  #delay = 0
  /** The last `data_version` seen, or undefined / null when unknown (the next read counts as a change). */
  #version: number | undefined | null
  #walWatcher: FSWatcher | undefined
  #polls = 0

  constructor(host: ChangeWatchHost) {
    this.#host = host
  }

  /** @internal For tests and benchmarks: listeners, running poll loops, `data_version` reads so far. */
  get state(): { readonly listeners: number; readonly pollTimers: number; readonly polls: number; readonly walHint: boolean } {
    return { listeners: this.#listeners.size, pollTimers: this.#timer === undefined ? 0 : 1, polls: this.#polls, walHint: this.#walWatcher !== undefined }
  }

  /**
   * Adds a listener; returns the function that removes it. The first listener starts
   * the poller (after reading the current `data_version`, synchronously, so every
   * later commit of another process is seen); the last one to leave stops it. On a
   * closed watch, `closed` is called at once (in a microtask).
   */
  subscribe(listener: ChangeListener): () => void {
    if (this.#closedError !== null) {
      const error = this.#closedError
      queueMicrotask(() => listener.closed(error))
      return () => {}
    }
    this.#listeners.add(listener)
    if (this.#listeners.size === 1) this.#start()
    return () => {
      this.#listeners.delete(listener)
      if (this.#listeners.size === 0) this.#stop() // stopping a stopped watch changes nothing
    }
  }

  /** Something may have changed: wake every listener once, in a microtask (after the writer released the connection). */
  changed(): void {
    if (this.#scheduled || this.#listeners.size === 0) return
    this.#scheduled = true
    queueMicrotask(() => {
      this.#scheduled = false
      for (const listener of [...this.#listeners]) listener.changed()
    })
  }

  /** The database closed: stop, and tell every listener (`error` is the store's `CLOSED`). Idempotent. */
  close(error: Error): void {
    if (this.#closedError !== null) return
    this.#closedError = error
    const listeners = [...this.#listeners]
    this.#listeners.clear()
    this.#stop()
    for (const listener of listeners) listener.closed(error)
  }

  #start(): void {
    const file = this.#host.path
    if (file === ':memory:') return // no other connection can see it: local commits are announced
    active.set(this, file)
    this.#version = this.#readVersion() // null (the connection is busy): unknown
    this.#delay = CHANGE_WATCH_POLICY.minPollMs
    this.#schedule()
    if (CHANGE_WATCH_POLICY.watchWal) this.#watchWal(file)
  }

  #stop(): void {
    active.delete(this)
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#walWatcher?.close()
    this.#walWatcher = undefined
  }

  /** Arms the poll timer in `#delay` ms (one per watch: a pending one is replaced). */
  #schedule(): void {
    clearTimeout(this.#timer)
    this.#timer = setTimeout(this.#poll, this.#delay)
  }

  /**
   * Reads `data_version`: a change wakes the listeners and restarts the backoff; then
   * arms the next poll. Runs only while someone listens (the last to leave clears the
   * timer; the hint checks).
   */
  readonly #poll = (): void => {
    const version = this.#readVersion()
    // null: the connection is busy with local work (its commit is announced): look again after the same delay.
    if (version !== null) {
      const before = this.#version
      this.#version = version
      if (version !== undefined && version !== before) {
        this.#delay = CHANGE_WATCH_POLICY.minPollMs
        this.changed()
      } else {
        const cap = this.#walWatcher === undefined ? CHANGE_WATCH_POLICY.maxPollMs : CHANGE_WATCH_POLICY.maxPollMsWithHint
        this.#delay = Math.min(Math.max(1, this.#delay * 2), cap)
      }
    }
    this.#schedule()
  }

  /**
   * The `-wal` file was written (by any process): poll now. A write of several frames
   * may signal before its commit is visible: then the backoff restarts from
   * `minPollMs`, and the commit's own write signals again.
   */
  readonly #hint = (): void => {
    if (this.#listeners.size === 0) return // an event after the watch stopped
    this.#delay = CHANGE_WATCH_POLICY.minPollMs / 2
    this.#poll()
  }

  /**
   * `PRAGMA data_version` on the database's own connection, when the connection is
   * free; `null` when it is busy; `undefined` when it cannot be read (then the next
   * successful read counts as a change).
   */
  #readVersion(): number | undefined | null {
    const { mutex, connection } = this.#host
    if (!mutex.tryAcquire()) return null
    this.#polls++
    let version: number | undefined
    try {
      // No row (never seen) fails like an unreadable one.
      version = Number((connection.prepare('PRAGMA data_version').get() as { data_version: number | bigint }).data_version)
    } catch {
      // Unknown (undefined): the next successful read counts as a change.
    } finally {
      mutex.release()
    }
    return version
  }

  #watchWal(file: string): void {
    try {
      const watcher = watchFile(`${file}-wal`, { persistent: false }, this.#hint)
      // Node has closed a watch that reports an error. A late event of a watch this
      // one replaced must not drop the current one.
      watcher.on('error', () => {
        if (this.#walWatcher === watcher) this.#walWatcher = undefined
      })
      this.#walWatcher = watcher
    } catch {
      // No hint on this platform or file system (or no -wal file): the poll alone is the guarantee.
    }
  }
}

/**
 * The error a wait rejects with when its `signal` aborts, shaped like Node's own
 * (`timers/promises`, `events.once`): `name` `'AbortError'`, `code` `'ABORT_ERR'`,
 * `cause` the signal's reason.
 *
 * @example
 * ```ts
 * try { await conduit.inbox.wait('bob', { signal }) } catch (error) { if ((error as Error).name === 'AbortError') return }
 * ```
 */
export class AbortError extends Error {
  /** Always `'ABORT_ERR'`, as Node's. */
  readonly code = 'ABORT_ERR'

  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'AbortError'
  }
}

/** What a wait's condition check reports. */
export interface WaitCheck {
  /** The condition holds now: the wait resolves. */
  readonly ready: boolean
  /**
   * When not ready: the epoch ms (on the store's clock) at which the condition may
   * become true without any write (a delayed job falls due), or null.
   */
  readonly recheckAt?: number | null
}

/** The options every `wait` takes (validated by the caller). */
export interface WaitOptions {
  /** Aborts the wait: it rejects with an {@link AbortError} whose `cause` is the signal's reason. */
  readonly signal?: AbortSignal | undefined
  /** Give up after this many ms: the wait resolves `{ ready: false }`. Unset: wait until something arrives. */
  readonly timeoutMs?: number | undefined
}

/**
 * What a `wait` resolves to: `ready: true` when there is something for the caller,
 * `ready: false` when `timeoutMs` passed first.
 *
 * @example
 * ```ts
 * const { ready } = await conduit.inbox.wait('bob', { timeoutMs: 30_000 })
 * if (!ready) console.log('nothing for bob in 30 s')
 * ```
 */
export interface WaitResult {
  readonly ready: boolean
}

/** Largest delay `setTimeout` takes (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Waits until `check` reports ready, re-checking after every change `watch` reports
 * and at the `recheckAt` it names. The listener is armed before the first check (no
 * lost wake-up); the first check always completes before a timeout can end the wait,
 * so `timeoutMs: 0` is a plain "is there something now?". Rejects with an
 * {@link AbortError} when `signal` aborts (at once when it already is), with the
 * database's `CLOSED` error when it closes, and with the error of a failing check.
 *
 * @example
 * ```ts
 * const { ready } = await waitForChange(db.changes, async () => ({ ready: await hasWork() }), { timeoutMs: 1000 }, clock)
 * ```
 */
export function waitForChange(
  watch: ChangeSource,
  check: () => Promise<WaitCheck>,
  options: WaitOptions,
  clock: () => number,
): Promise<WaitResult> {
  const { signal, timeoutMs } = options
  if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }))
  return new Promise<WaitResult>((resolve, reject) => {
    const startedAt = performance.now()
    let done = false
    let dirty = true
    // True while a check loop runs, and while subscribing: a change the source reports
    // from inside `subscribe` only marks the first check dirty (it does not start a loop).
    let checking = true
    let firstCheckDone = false
    let timeoutTimer: NodeJS.Timeout | undefined
    let dueTimer: NodeJS.Timeout | undefined
    // Unset while subscribing: a source may report `closed` from inside `subscribe`.
    let unsubscribe: (() => void) | undefined

    // A second call (a check failing after a timeout) repeats only idempotent steps.
    const finish = (settle: () => void): void => {
      done = true
      unsubscribe?.()
      clearTimeout(timeoutTimer)
      clearTimeout(dueTimer)
      signal?.removeEventListener('abort', onAbort)
      settle()
    }
    const onAbort = (): void => finish(() => reject(new AbortError(undefined, { cause: signal!.reason })))
    // Bounded both ways: setTimeout takes a delay beyond MAX_TIMER_MS as 1 ms, and warns
    // (TimeoutNegativeWarning, Node 23+) of a negative one.
    const armDue = (at: number | null | undefined): void => {
      clearTimeout(dueTimer)
      if (at === null || at === undefined) return
      dueTimer = setTimeout(onChange, Math.min(MAX_TIMER_MS, Math.max(1, at - clock())))
    }
    const armTimeout = (): void => {
      if (timeoutMs === undefined) return
      const left = Math.min(MAX_TIMER_MS, Math.max(0, timeoutMs - (performance.now() - startedAt)))
      timeoutTimer = setTimeout(() => finish(() => resolve({ ready: false })), left)
    }
    const runChecks = async (): Promise<void> => {
      checking = true
      while (dirty && !done) {
        dirty = false
        let result: WaitCheck
        try {
          result = await check()
        } catch (error) {
          finish(() => reject(error))
          return
        }
        if (done) return
        if (result.ready) {
          finish(() => resolve({ ready: true }))
          return
        }
        armDue(result.recheckAt)
        if (!firstCheckDone) {
          firstCheckDone = true
          armTimeout()
        }
      }
      checking = false
    }
    // A change after the wait ended (a late notification) finds `done` in the loop.
    const onChange = (): void => {
      dirty = true
      if (!checking) void runChecks()
    }
    // Armed first: a change that lands while the first check runs marks it dirty.
    unsubscribe = watch.subscribe({ changed: onChange, closed: (error) => finish(() => reject(error)) })
    if (done) {
      unsubscribe() // closed while subscribing
      return
    }
    signal?.addEventListener('abort', onAbort) // removed by finish
    void runChecks()
  })
}
