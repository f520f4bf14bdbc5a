/**
 * The change watch in detail (mutation testing, issue #14): the poller's backoff and
 * its `data_version` reads, the `-wal` file hint, the announcements of this process's
 * commits, closing, and `waitForChange`'s check loop, timeout, recheck and abort.
 *
 * Nothing here waits for real time: the poll, timeout and recheck timers are vitest's
 * fake timers (advanced by hand, so every delay is asserted to the millisecond), the
 * database behind a watch is a stand-in whose `data_version` the test sets, and the
 * `-wal` file watch can be replaced by a stand-in whose events the test fires. Real
 * files are used where the behaviour is about files (the file watch itself).
 * `setImmediate` stays real: awaiting it runs every pending microtask (the watch
 * delivers its wake-ups in a microtask).
 */
import { EventEmitter, getEventListeners } from 'node:events'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import type { ChangeListener, ChangeSource, WaitCheck, WaitResult } from '../../src/sqlite/change-watch.js'
import { AbortError, announceCommit, CHANGE_WATCH_POLICY, ChangeWatch, waitForChange } from '../../src/sqlite/change-watch.js'
import { Mutex } from '../../src/sqlite/mutex.js'
import { tempDir } from '../helpers.js'

/** The `-wal` file watch: the real `fs.watch`, unless a test installs a stand-in. */
const fsWatch = vi.hoisted(() => ({
  create: undefined as undefined | ((path: string, options: unknown, listener: () => void) => unknown),
}))
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>()
  const watch = ((path: string, options: unknown, listener: () => void) =>
    fsWatch.create === undefined ? (actual.watch as (...args: unknown[]) => unknown)(path, options, listener) : fsWatch.create(path, options, listener)) as typeof actual.watch
  return { ...actual, default: { ...actual, watch }, watch }
})

/** A stand-in for the `FSWatcher` of a `-wal` file: the test fires its events. */
class FakeWalWatcher extends EventEmitter {
  closed = false
  constructor(
    readonly path: string,
    readonly fire: () => void,
  ) {
    super()
  }
  close(): void {
    this.closed = true
  }
}

/** Installs the stand-in file watch; returns the watchers it made, in order. */
function fakeFileWatch(): FakeWalWatcher[] {
  const made: FakeWalWatcher[] = []
  fsWatch.create = (path, _options, listener) => {
    const watcher = new FakeWalWatcher(path, listener)
    made.push(watcher)
    return watcher
  }
  return made
}

const saved = { ...CHANGE_WATCH_POLICY }
const cleanups: Array<() => void> = []

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
  Object.assign(CHANGE_WATCH_POLICY, { minPollMs: 1, maxPollMs: 8, maxPollMsWithHint: 32, watchWal: false })
  startedAt = performance.now()
})
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup()
  fsWatch.create = undefined
  Object.assign(CHANGE_WATCH_POLICY, saved)
  vi.useRealTimers()
})

/** Runs every pending microtask (a real macrotask turn). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
/** Moves the fake timers on by `ms`, then lets the callbacks they released run. */
const tick = async (ms: number): Promise<void> => {
  vi.advanceTimersByTime(ms)
  await flush()
}

let sequence = 0

/**
 * A watch over a stand-in database: the test sets its `data_version` (`undefined`: no
 * row), makes its reads fail, or holds its lock. The path is unique unless given.
 */
function fakeDatabase(path = `/nonexistent/cleo-change-watch-${process.pid}-${++sequence}.db`) {
  const db = { version: 1 as number | bigint | undefined, failing: false, mutex: new Mutex(), path }
  const connection = {
    prepare(sql: string) {
      if (sql !== 'PRAGMA data_version') throw new Error(`unexpected statement: ${sql}`)
      return {
        get() {
          if (db.failing) throw new Error('disk I/O error')
          return db.version === undefined ? undefined : { data_version: db.version }
        },
      }
    },
  }
  const watch = new ChangeWatch({ connection: connection as unknown as DatabaseSync, mutex: db.mutex, path })
  return { db, watch }
}

/** A listener that counts its calls. */
function counter(): ChangeListener & { changes: number; closes: Error[] } {
  const self = {
    changes: 0,
    closes: [] as Error[],
    changed() {
      self.changes++
    },
    closed(error: Error) {
      self.closes.push(error)
    },
  }
  return self
}

/** Subscribes for the rest of the test (unsubscribed after it; unsubscribing is idempotent). */
function listen(watch: ChangeWatch, listener: ChangeListener = counter()): () => void {
  const stop = watch.subscribe(listener)
  cleanups.push(stop)
  return stop
}

/** Fake milliseconds since the test started. */
let startedAt = 0
const now = (): number => performance.now() - startedAt

/**
 * Advances the fake clock ms by ms up to `until` (ms since the test started); returns
 * the times at which `watch` read `data_version` (a poll due now included).
 */
function readTimes(watch: ChangeWatch, until: number): number[] {
  const times: number[] = []
  let before = watch.state.polls
  vi.advanceTimersByTime(0)
  if (watch.state.polls !== before) times.push(now())
  while (now() < until) {
    before = watch.state.polls
    vi.advanceTimersByTime(1)
    if (watch.state.polls !== before) times.push(now())
  }
  return times
}

describe('announceCommit: this process’s commits', () => {
  it('wake the committing database’s watch and every other listening watch of this process on the same file, none on other files', async () => {
    const a = fakeDatabase()
    const b = fakeDatabase(a.db.path)
    const other = fakeDatabase()
    const [la, lb, lo] = [counter(), counter(), counter()]
    listen(a.watch, la)
    listen(b.watch, lb)
    listen(other.watch, lo)
    announceCommit(a.db.path, a.watch)
    await flush()
    expect([la.changes, lb.changes, lo.changes]).toEqual([1, 1, 0])
    // A database with no watch of its own (nobody asked for one) still wakes the others.
    announceCommit(a.db.path, undefined)
    await flush()
    expect([la.changes, lb.changes, lo.changes]).toEqual([2, 2, 0])
    announceCommit('/nonexistent/nobody-watches.db', undefined)
    await flush()
    expect([la.changes, lb.changes, lo.changes]).toEqual([2, 2, 0])
  })

  it('reach a watch that stopped and started again, and not one whose other watch on the file stopped', async () => {
    const a = fakeDatabase()
    const b = fakeDatabase(a.db.path)
    const [la, lb] = [counter(), counter()]
    listen(b.watch, lb)
    listen(a.watch)() // a starts and stops: b stays registered for the file
    announceCommit(a.db.path, undefined)
    await flush()
    expect(lb.changes).toBe(1)
    listen(a.watch, la)
    announceCommit(b.db.path, b.watch)
    await flush()
    expect([la.changes, lb.changes]).toEqual([1, 2])
  })

  it('of a :memory: database wake only its own watch: two :memory: databases are not one file', async () => {
    const a = fakeDatabase(':memory:')
    const b = fakeDatabase(':memory:')
    const [la, lb] = [counter(), counter()]
    listen(a.watch, la)
    listen(b.watch, lb)
    announceCommit(':memory:', a.watch)
    await flush()
    expect([la.changes, lb.changes]).toEqual([1, 0])
  })
})

describe('ChangeWatch: listeners and the poller', () => {
  it('the first listener reads data_version and arms one poll timer; later ones share it; the last to leave stops it', () => {
    const { watch } = fakeDatabase()
    expect(watch.state).toEqual({ listeners: 0, pollTimers: 0, polls: 0, walHint: false })
    const stopA = listen(watch)
    expect(watch.state).toEqual({ listeners: 1, pollTimers: 1, polls: 1, walHint: false })
    const stopB = listen(watch)
    expect(watch.state).toEqual({ listeners: 2, pollTimers: 1, polls: 1, walHint: false })
    expect(vi.getTimerCount()).toBe(1)
    stopA()
    stopA() // idempotent: b still listens
    expect(watch.state).toMatchObject({ listeners: 1, pollTimers: 1 })
    expect(readTimes(watch, 3)).toEqual([1, 3])
    stopB()
    expect(watch.state).toMatchObject({ listeners: 0, pollTimers: 0 })
    expect(vi.getTimerCount()).toBe(0)
    expect(readTimes(watch, 100)).toEqual([])
    stopB()
    expect(watch.state).toMatchObject({ listeners: 0, pollTimers: 0 })
  })

  it('a :memory: database has no poller: no read, no timer, no file watch', () => {
    const files = fakeFileWatch()
    CHANGE_WATCH_POLICY.watchWal = true
    const { watch } = fakeDatabase(':memory:')
    const stop = listen(watch)
    expect(watch.state).toEqual({ listeners: 1, pollTimers: 0, polls: 0, walHint: false })
    expect(vi.getTimerCount()).toBe(0)
    expect(files).toHaveLength(0)
    stop()
    expect(watch.state).toEqual({ listeners: 0, pollTimers: 0, polls: 0, walHint: false })
  })

  it('wakes each listener once for several changes in one turn, and again in the next turn', async () => {
    const { watch } = fakeDatabase()
    const [a, b] = [counter(), counter()]
    listen(watch, a)
    listen(watch, b)
    watch.changed()
    watch.changed()
    watch.changed()
    expect(a.changes).toBe(0) // in a microtask: after the writer released the connection
    await flush()
    expect([a.changes, b.changes]).toEqual([1, 1])
    watch.changed()
    await flush()
    expect([a.changes, b.changes]).toEqual([2, 2])
  })

  it('a change while nobody listens queues nothing: a listener that comes later in the same turn is not woken', async () => {
    const { watch } = fakeDatabase()
    watch.changed()
    const late = counter()
    listen(watch, late)
    await flush()
    expect(late.changes).toBe(0)
  })

  it('backs off from minPollMs, doubling up to maxPollMs while nothing changes (no file hint)', () => {
    const { watch } = fakeDatabase()
    listen(watch)
    expect(readTimes(watch, 40)).toEqual([1, 3, 7, 15, 23, 31, 39])
  })

  it('with minPollMs 0 polls at once, then backs off from 1 ms', () => {
    CHANGE_WATCH_POLICY.minPollMs = 0
    const { watch } = fakeDatabase()
    listen(watch)
    expect(readTimes(watch, 16)).toEqual([0, 1, 3, 7, 15])
  })

  it('a data_version that changed wakes every listener once and restarts the backoff from minPollMs', async () => {
    const { db, watch } = fakeDatabase()
    const l = counter()
    listen(watch, l)
    expect(readTimes(watch, 16)).toEqual([1, 3, 7, 15])
    await flush()
    expect(l.changes).toBe(0)
    db.version = 2
    expect(readTimes(watch, 23)).toEqual([23])
    await flush()
    expect(l.changes).toBe(1)
    expect(readTimes(watch, 30)).toEqual([24, 26, 30])
    await flush()
    expect(l.changes).toBe(1)
  })

  it('a bigint data_version (a connection reading bigints) compares by value', async () => {
    const { db, watch } = fakeDatabase()
    db.version = 5n
    const l = counter()
    listen(watch, l)
    expect(readTimes(watch, 3)).toEqual([1, 3])
    await flush()
    expect(l.changes).toBe(0)
    db.version = 6n
    expect(readTimes(watch, 7)).toEqual([7])
    await flush()
    expect(l.changes).toBe(1)
  })

  it('a busy connection is not read: the poll looks again after the same delay, and wakes nobody', async () => {
    const { db, watch } = fakeDatabase()
    const l = counter()
    listen(watch, l)
    expect(readTimes(watch, 3)).toEqual([1, 3]) // next delay: 4
    expect(db.mutex.tryAcquire()).toBe(true) // local work holds the connection
    expect(readTimes(watch, 15)).toEqual([]) // tried at 7, 11, 15: busy each time
    db.mutex.release()
    expect(readTimes(watch, 27)).toEqual([19, 27]) // the delay was kept (4), then doubled
    await flush()
    expect(l.changes).toBe(0)
  })

  it('a failed read wakes nobody and frees the connection; the next good read counts as a change', async () => {
    const { db, watch } = fakeDatabase()
    const l = counter()
    listen(watch, l)
    db.failing = true
    expect(readTimes(watch, 3)).toEqual([1, 3])
    expect(db.mutex.locked).toBe(false)
    await flush()
    expect(l.changes).toBe(0)
    db.failing = false // same data_version as before the failures: still unknown in between
    expect(readTimes(watch, 7)).toEqual([7])
    await flush()
    expect(l.changes).toBe(1)
    expect(readTimes(watch, 10)).toEqual([8, 10]) // backoff restarted
  })

  it('a read that returns no row is unknown too: the next good read counts as a change', async () => {
    const { db, watch } = fakeDatabase()
    const l = counter()
    listen(watch, l)
    db.version = undefined
    expect(readTimes(watch, 1)).toEqual([1])
    await flush()
    expect(l.changes).toBe(0)
    db.version = 1
    expect(readTimes(watch, 3)).toEqual([3])
    await flush()
    expect(l.changes).toBe(1)
  })

  it('a connection busy when the first listener came: the first read counts as a change (a commit in between is not lost)', async () => {
    const { db, watch } = fakeDatabase()
    const l = counter()
    expect(db.mutex.tryAcquire()).toBe(true)
    listen(watch, l)
    expect(watch.state.polls).toBe(0)
    db.mutex.release()
    expect(readTimes(watch, 1)).toEqual([1])
    await flush()
    expect(l.changes).toBe(1)
    expect(readTimes(watch, 4)).toEqual([2, 4])
    await flush()
    expect(l.changes).toBe(1)
  })

  it('a known data_version at subscribe is the baseline: an unchanged first read wakes nobody', async () => {
    const { watch } = fakeDatabase()
    const l = counter()
    listen(watch, l)
    expect(readTimes(watch, 1)).toEqual([1])
    await flush()
    expect(l.changes).toBe(0)
  })

  it('starting again after the last listener left restarts the backoff from minPollMs and reads a new baseline', async () => {
    const { db, watch } = fakeDatabase()
    const stop = listen(watch)
    expect(readTimes(watch, 40)).toEqual([1, 3, 7, 15, 23, 31, 39])
    stop()
    db.version = 7 // a commit while nobody listened: not a change for the next listener
    const l = counter()
    listen(watch, l)
    expect(watch.state.polls).toBe(9) // the baseline of the new start
    expect(readTimes(watch, 47)).toEqual([41, 43, 47])
    await flush()
    expect(l.changes).toBe(0)
  })
})

describe('ChangeWatch: the -wal file hint', () => {
  it('watches the -wal file and, while it works, idles up to maxPollMsWithHint', () => {
    const files = fakeFileWatch()
    CHANGE_WATCH_POLICY.watchWal = true
    const { db, watch } = fakeDatabase()
    const stop = listen(watch)
    expect(files.map((w) => w.path)).toEqual([`${db.path}-wal`])
    expect(watch.state.walHint).toBe(true)
    expect(readTimes(watch, 100)).toEqual([1, 3, 7, 15, 31, 63, 95])
    stop()
    expect(files[0]!.closed).toBe(true)
    expect(watch.state.walHint).toBe(false)
  })

  it('is not used when the policy says so', () => {
    const files = fakeFileWatch()
    const { watch } = fakeDatabase()
    listen(watch)
    expect(files).toHaveLength(0)
    expect(watch.state.walHint).toBe(false)
  })

  it('an event polls at once, restarts the backoff from minPollMs, and replaces the pending poll', async () => {
    const files = fakeFileWatch()
    CHANGE_WATCH_POLICY.watchWal = true
    const { db, watch } = fakeDatabase()
    const l = counter()
    listen(watch, l)
    expect(readTimes(watch, 20)).toEqual([1, 3, 7, 15]) // next poll due at 31
    const polls = watch.state.polls
    files[0]!.fire() // a write of some frames, not yet a commit
    expect(watch.state.polls).toBe(polls + 1)
    expect(vi.getTimerCount()).toBe(1)
    expect(readTimes(watch, 36)).toEqual([21, 23, 27, 35]) // not 31: that poll was replaced
    await flush()
    expect(l.changes).toBe(0)
    db.version = 2
    files[0]!.fire() // the commit
    await flush()
    expect(l.changes).toBe(1)
    expect(readTimes(watch, 40)).toEqual([37, 39])
  })

  it('an event after the last listener left reads nothing and arms nothing', () => {
    const files = fakeFileWatch()
    CHANGE_WATCH_POLICY.watchWal = true
    const { watch } = fakeDatabase()
    listen(watch)()
    const polls = watch.state.polls
    files[0]!.fire()
    expect(watch.state).toEqual({ listeners: 0, pollTimers: 0, polls, walHint: false })
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a file watch that fails is dropped: the poll alone goes on, capped at maxPollMs', () => {
    const files = fakeFileWatch()
    CHANGE_WATCH_POLICY.watchWal = true
    const { watch } = fakeDatabase()
    listen(watch)
    files[0]!.emit('error', new Error('EIO'))
    expect(watch.state.walHint).toBe(false)
    expect(readTimes(watch, 40)).toEqual([1, 3, 7, 15, 23, 31, 39])
  })

  it('a late error of an earlier file watch leaves the current one in place', () => {
    const files = fakeFileWatch()
    CHANGE_WATCH_POLICY.watchWal = true
    const { watch } = fakeDatabase()
    listen(watch)()
    listen(watch)
    expect(files).toHaveLength(2)
    files[0]!.emit('error', new Error('EIO'))
    expect(watch.state.walHint).toBe(true)
    expect(readTimes(watch, 63)).toEqual([1, 3, 7, 15, 31, 63])
  })

  it('with no -wal file to watch there is no hint, and the poll goes on', () => {
    CHANGE_WATCH_POLICY.watchWal = true // the real fs.watch: the stand-in database's directory does not exist
    const { watch } = fakeDatabase()
    listen(watch)
    expect(watch.state.walHint).toBe(false)
    expect(readTimes(watch, 23)).toEqual([1, 3, 7, 15, 23])
  })

  it.runIf(process.platform === 'linux')('the real -wal file watch keeps no process alive and wakes the watch on another connection’s commit', async () => {
    const file = join(tempDir('change-watch-mutation-'), 'wal.db')
    const connection = new DatabaseSync(file)
    cleanups.push(() => connection.close())
    connection.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (x)')
    const other = new DatabaseSync(file)
    cleanups.push(() => other.close())
    other.exec('PRAGMA busy_timeout = 5000')
    CHANGE_WATCH_POLICY.watchWal = true
    CHANGE_WATCH_POLICY.minPollMs = 2 ** 30 // the fake clock is never advanced: only the hint can wake
    const watch = new ChangeWatch({ connection, mutex: new Mutex(), path: file })
    const fileWatches = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'FSEventWrap').length
    const before = fileWatches()
    let woken!: () => void
    const changed = new Promise<void>((resolve) => (woken = resolve))
    listen(watch, { changed: () => woken(), closed: () => {} })
    expect(watch.state.walHint).toBe(true)
    expect(fileWatches()).toBe(before)
    other.exec('INSERT INTO t VALUES (1)')
    await changed
  })
})

describe('ChangeWatch: closing', () => {
  it('tells every listener once, synchronously, and stops; a second close changes nothing', async () => {
    const files = fakeFileWatch()
    CHANGE_WATCH_POLICY.watchWal = true
    const { watch } = fakeDatabase()
    const [a, b] = [counter(), counter()]
    const stopA = listen(watch, a)
    listen(watch, b)
    const error = new Error('closed')
    watch.close(error)
    expect(a.closes).toEqual([error])
    expect(b.closes).toEqual([error])
    expect(watch.state).toMatchObject({ listeners: 0, pollTimers: 0, walHint: false })
    expect(files[0]!.closed).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
    watch.close(new Error('again'))
    stopA()
    watch.changed()
    await flush()
    expect(a.closes).toEqual([error])
    expect(b.closes).toEqual([error])
    expect([a.changes, b.changes]).toEqual([0, 0])
  })

  it('a listener that comes after the close is told the first error in a microtask, and nothing starts', async () => {
    const { watch } = fakeDatabase()
    const error = new Error('closed')
    watch.close(error)
    watch.close(new Error('again'))
    const late = counter()
    const stop = watch.subscribe(late)
    expect(late.closes).toEqual([])
    await flush()
    expect(late.closes).toEqual([error])
    expect(watch.state).toEqual({ listeners: 0, pollTimers: 0, polls: 0, walHint: false })
    stop()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a watch whose listeners all left is not held by the process (it can be collected)', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const staying = fakeDatabase()
    listen(staying.watch) // another watch on the same file keeps listening
    const ref = ((): WeakRef<ChangeWatch> => {
      const { watch } = fakeDatabase(staying.db.path)
      watch.subscribe(counter())()
      return new WeakRef(watch)
    })()
    await flush() // a WeakRef's target is kept until the end of the current job
    gc()
    expect(ref.deref()).toBeUndefined()
  })
})

describe('AbortError', () => {
  it('is shaped like Node’s: name AbortError, code ABORT_ERR, the default message, the cause', () => {
    const error = new AbortError(undefined, { cause: 'why' })
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('AbortError')
    expect(error.code).toBe('ABORT_ERR')
    expect(error.message).toBe('The operation was aborted')
    expect(error.cause).toBe('why')
    expect(new AbortError('stopped').message).toBe('stopped')
  })
})

/** A change source the test drives: it reports changes and closes when told. */
function fakeSource(onSubscribe?: (listener: ChangeListener) => void) {
  const source = {
    listeners: new Set<ChangeListener>(),
    subscribes: 0,
    unsubscribes: 0,
    subscribe(listener: ChangeListener) {
      source.subscribes++
      source.listeners.add(listener)
      onSubscribe?.(listener)
      return () => {
        source.unsubscribes++
        source.listeners.delete(listener)
      }
    },
    change() {
      for (const listener of [...source.listeners]) listener.changed()
    },
    close(error: Error) {
      for (const listener of [...source.listeners]) listener.closed(error)
    },
  }
  return source satisfies ChangeSource
}

/** A condition check whose calls the test answers one by one. */
function manualCheck() {
  const pending: Array<{ resolve(result: WaitCheck): void; reject(error: unknown): void }> = []
  const self = {
    calls: 0,
    running: 0,
    maxRunning: 0,
    check(): Promise<WaitCheck> {
      self.calls++
      self.running++
      self.maxRunning = Math.max(self.maxRunning, self.running)
      return new Promise<WaitCheck>((resolve, reject) => pending.push({ resolve, reject }))
    },
    /** Answers the oldest pending call. */
    answer(result: WaitCheck | Error): void {
      const call = pending.shift()
      if (call === undefined) throw new Error('no check is pending')
      self.running--
      if (result instanceof Error) call.reject(result)
      else call.resolve(result)
    },
  }
  return self
}

/** The outcome of a wait, readable at any time. */
function track(promise: Promise<WaitResult>) {
  const outcome = { state: 'pending' as 'pending' | 'resolved' | 'rejected', value: undefined as WaitResult | undefined, error: undefined as unknown }
  promise.then(
    (value) => Object.assign(outcome, { state: 'resolved', value }),
    (error: unknown) => Object.assign(outcome, { state: 'rejected', error }),
  )
  return outcome
}

const notReady = async (): Promise<WaitCheck> => ({ ready: false })
const fixedClock = (): number => 1_000

describe('waitForChange', () => {
  it('resolves ready at once when the first check is ready, and leaves nothing behind', async () => {
    const source = fakeSource()
    const wait = track(waitForChange(source, async () => ({ ready: true }), { timeoutMs: 50 }, fixedClock))
    await flush()
    expect(wait).toMatchObject({ state: 'resolved', value: { ready: true } })
    expect(source.listeners.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('without timeoutMs waits for a change however long it takes, with no timer', async () => {
    const source = fakeSource()
    let calls = 0
    const wait = track(waitForChange(source, async () => ({ ready: ++calls === 2 }), {}, fixedClock))
    await flush()
    expect(vi.getTimerCount()).toBe(0)
    await tick(2 ** 40)
    expect(wait.state).toBe('pending')
    expect(calls).toBe(1)
    source.change()
    await flush()
    expect(wait).toMatchObject({ state: 'resolved', value: { ready: true } })
    expect(calls).toBe(2)
    expect(source.listeners.size).toBe(0)
  })

  it('resolves not ready exactly timeoutMs after it started, and unsubscribes', async () => {
    const source = fakeSource()
    const wait = track(waitForChange(source, notReady, { timeoutMs: 100 }, fixedClock))
    await flush()
    await tick(99)
    expect(wait.state).toBe('pending')
    expect(source.listeners.size).toBe(1)
    await tick(1)
    expect(wait).toMatchObject({ state: 'resolved', value: { ready: false } })
    expect(source.unsubscribes).toBe(1)
    expect(source.listeners.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('counts the first check’s own time in timeoutMs', async () => {
    vi.advanceTimersByTime(10_000) // the wait does not start at time 0
    const wait = track(
      waitForChange(
        fakeSource(),
        async () => {
          vi.advanceTimersByTime(30) // a slow first check
          return { ready: false }
        },
        { timeoutMs: 100 },
        fixedClock,
      ),
    )
    await flush()
    await tick(69)
    expect(wait.state).toBe('pending')
    await tick(1)
    expect(wait).toMatchObject({ state: 'resolved', value: { ready: false } })
  })

  it('arms its timeout once, after the first check: a wait that ends after several checks leaves no timer behind', async () => {
    const source = fakeSource()
    let calls = 0
    const wait = track(waitForChange(source, async () => ({ ready: ++calls === 3 }), { timeoutMs: 5_000 }, fixedClock))
    await flush()
    source.change()
    await flush()
    expect(calls).toBe(2)
    expect(vi.getTimerCount()).toBe(1)
    source.change()
    await flush()
    expect(wait).toMatchObject({ state: 'resolved', value: { ready: true } })
    expect(vi.getTimerCount()).toBe(0)
  })

  it('lets the first check finish even when it outlasts timeoutMs (timeoutMs 0: "is there something now?")', async () => {
    const slow = (ready: boolean) => async (): Promise<WaitCheck> => {
      vi.advanceTimersByTime(150)
      return { ready }
    }
    const ready = track(waitForChange(fakeSource(), slow(true), { timeoutMs: 0 }, fixedClock))
    const late = track(waitForChange(fakeSource(), slow(false), { timeoutMs: 100 }, fixedClock))
    await flush()
    expect(ready).toMatchObject({ state: 'resolved', value: { ready: true } })
    await tick(0) // the timeout is already past: it ends the wait at the next turn of the timers
    expect(late).toMatchObject({ state: 'resolved', value: { ready: false } })
  })

  it('a timeoutMs beyond what setTimeout takes waits (it is not cut to an instant)', async () => {
    const wait = track(waitForChange(fakeSource(), notReady, { timeoutMs: 2 ** 40 }, fixedClock))
    await flush()
    await tick(60_000)
    expect(wait.state).toBe('pending')
  })

  it('checks again at recheckAt, on the given clock', async () => {
    let now = 5_000
    let calls = 0
    const check = async (): Promise<WaitCheck> => (++calls === 1 ? { ready: false, recheckAt: now + 500 } : { ready: true })
    const wait = track(waitForChange(fakeSource(), check, {}, () => now))
    await flush()
    now += 10_000 // the store's clock is not the timers' clock: the delay was taken when the check answered
    await tick(499)
    expect(calls).toBe(1)
    await tick(1)
    expect(calls).toBe(2)
    expect(wait).toMatchObject({ state: 'resolved', value: { ready: true } })
  })

  it('a recheckAt already past checks again at the next turn of the timers, not in a loop', async () => {
    let calls = 0
    const check = async (): Promise<WaitCheck> => (++calls <= 2 ? { ready: false, recheckAt: 0 } : { ready: true })
    const wait = track(waitForChange(fakeSource(), check, {}, fixedClock))
    await flush()
    expect(calls).toBe(1)
    await tick(1)
    expect(calls).toBe(2)
    await tick(1)
    expect(calls).toBe(3)
    expect(wait.state).toBe('resolved')
  })

  it('no recheckAt (null or absent) arms no recheck', async () => {
    for (const answer of [{ ready: false, recheckAt: null }, { ready: false }] satisfies WaitCheck[]) {
      let calls = 0
      const wait = track(waitForChange(fakeSource(), async () => (calls++, answer), {}, fixedClock))
      await flush()
      expect(vi.getTimerCount()).toBe(0)
      await tick(10_000)
      expect(calls).toBe(1)
      expect(wait.state).toBe('pending')
    }
  })

  it('a later check’s recheckAt replaces the earlier one', async () => {
    const source = fakeSource()
    const answers: WaitCheck[] = [
      { ready: false, recheckAt: 1_100 },
      { ready: false, recheckAt: 1_500 },
    ]
    let calls = 0
    const wait = track(waitForChange(source, async () => answers[calls++] ?? { ready: true }, {}, fixedClock))
    await flush()
    vi.advanceTimersByTime(10)
    source.change()
    await flush()
    expect(calls).toBe(2)
    expect(vi.getTimerCount()).toBe(1)
    await tick(499) // past the first recheckAt (100), before the second (510)
    expect(calls).toBe(2)
    await tick(1)
    expect(calls).toBe(3)
    expect(wait.state).toBe('resolved')
  })

  it('a recheckAt beyond what setTimeout takes is not cut to an instant', async () => {
    let calls = 0
    track(waitForChange(fakeSource(), async () => (calls++, { ready: false, recheckAt: 1_000 + 2 ** 40 }), {}, fixedClock))
    await flush()
    await tick(60_000)
    expect(calls).toBe(1)
  })

  it('a timeout or a recheckAt already past arms no negative timer (no TimeoutNegativeWarning from Node)', async () => {
    vi.useRealTimers()
    const warnings: string[] = []
    // Only the timers' warnings (TimeoutNegativeWarning, TimeoutOverflowWarning): any other is not this test's.
    const onWarning = (warning: Error): void => {
      if (warning.name.startsWith('Timeout')) warnings.push(`${warning.name}: ${warning.message}`)
    }
    process.on('warning', onWarning)
    cleanups.push(() => process.off('warning', onWarning))
    // The first check takes some time: the timeout of 0 is past when it is armed.
    expect(await waitForChange(fakeSource(), notReady, { timeoutMs: 0 }, Date.now)).toEqual({ ready: false })
    let calls = 0
    const check = async (): Promise<WaitCheck> => (++calls === 1 ? { ready: false, recheckAt: 0 } : { ready: true })
    expect(await waitForChange(fakeSource(), check, {}, Date.now)).toEqual({ ready: true })
    await flush() // warnings are emitted on the next tick
    expect(warnings).toEqual([])
  })

  it('a signal already aborted rejects at once with an AbortError: no check, no subscription', async () => {
    const source = fakeSource()
    let calls = 0
    const controller = new AbortController()
    controller.abort('stop')
    const wait = track(waitForChange(source, async () => (calls++, { ready: true }), { signal: controller.signal }, fixedClock))
    await flush()
    expect(wait.state).toBe('rejected')
    expect(wait.error).toBeInstanceOf(AbortError)
    expect((wait.error as AbortError).cause).toBe('stop')
    expect(calls).toBe(0)
    expect(source.subscribes).toBe(0)
  })

  it('an abort while waiting rejects with an AbortError and leaves no listener, timer or abort handler', async () => {
    const source = fakeSource()
    const controller = new AbortController()
    const wait = track(waitForChange(source, async () => ({ ready: false, recheckAt: 2_000 }), { signal: controller.signal, timeoutMs: 5_000 }, fixedClock))
    await flush()
    expect(vi.getTimerCount()).toBe(2)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    const reason = new Error('shutting down')
    controller.abort(reason)
    await flush()
    expect(wait.state).toBe('rejected')
    expect(wait.error).toBeInstanceOf(AbortError)
    expect((wait.error as AbortError).cause).toBe(reason)
    expect(source.listeners.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('a wait that ends while its check runs ignores the check’s answer: nothing is armed afterwards', async () => {
    const source = fakeSource()
    const check = manualCheck()
    const controller = new AbortController()
    const wait = track(waitForChange(source, check.check, { signal: controller.signal, timeoutMs: 100 }, fixedClock))
    await flush()
    controller.abort()
    check.answer({ ready: false, recheckAt: 2_000 })
    await flush()
    expect(wait.state).toBe('rejected')
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(10_000)
    source.change()
    await flush()
    expect(check.calls).toBe(1)
  })

  it('the source closing rejects with its error and leaves nothing behind', async () => {
    const source = fakeSource()
    const wait = track(waitForChange(source, async () => ({ ready: false, recheckAt: 2_000 }), { timeoutMs: 5_000 }, fixedClock))
    await flush()
    const error = new Error('CLOSED')
    source.close(error)
    await flush()
    expect(wait).toMatchObject({ state: 'rejected', error })
    expect(source.listeners.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a failing check rejects with its error and leaves nothing behind', async () => {
    const source = fakeSource()
    const check = manualCheck()
    const controller = new AbortController()
    const wait = track(waitForChange(source, check.check, { timeoutMs: 5_000, signal: controller.signal }, fixedClock))
    await flush()
    check.answer({ ready: false, recheckAt: 2_000 })
    source.change()
    await flush()
    const error = new Error('no such table')
    check.answer(error)
    await flush()
    expect(wait).toMatchObject({ state: 'rejected', error })
    expect(source.listeners.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('changes during a check make exactly one more check, never two at once', async () => {
    const source = fakeSource()
    const check = manualCheck()
    const wait = track(waitForChange(source, check.check, {}, fixedClock))
    await flush()
    source.change()
    source.change()
    source.change()
    await flush()
    expect(check.calls).toBe(1)
    check.answer({ ready: false })
    await flush()
    expect(check.calls).toBe(2)
    check.answer({ ready: false })
    await flush()
    expect(check.calls).toBe(2) // nothing changed during the second check
    // Idle now: the next change starts a new round, whose own changes again make one more check.
    source.change()
    await flush()
    expect(check.calls).toBe(3)
    source.change()
    source.change()
    await flush()
    expect(check.calls).toBe(3)
    check.answer({ ready: false })
    await flush()
    expect(check.calls).toBe(4)
    check.answer({ ready: true })
    await flush()
    expect(wait).toMatchObject({ state: 'resolved', value: { ready: true } })
    expect(check.maxRunning).toBe(1)
  })

  it('a source that reports a change from inside subscribe still gets one check at a time', async () => {
    const source = fakeSource((listener) => listener.changed())
    const check = manualCheck()
    const wait = track(waitForChange(source, check.check, {}, fixedClock))
    await flush()
    expect(check.calls).toBe(1)
    source.change() // during the first check
    await flush()
    expect(check.calls).toBe(1)
    expect(check.maxRunning).toBe(1)
    check.answer({ ready: false })
    await flush()
    expect(check.calls).toBe(2)
    check.answer({ ready: true })
    await flush()
    expect(wait.state).toBe('resolved')
    expect(check.maxRunning).toBe(1)
  })

  it('a source that reports closed from inside subscribe rejects with its error and leaves nothing behind', async () => {
    const error = new Error('CLOSED')
    const source = fakeSource((listener) => listener.closed(error))
    const controller = new AbortController()
    let calls = 0
    const wait = track(waitForChange(source, async () => (calls++, { ready: true }), { signal: controller.signal, timeoutMs: 10 }, fixedClock))
    await flush()
    expect(wait).toMatchObject({ state: 'rejected', error })
    expect(calls).toBe(0)
    expect(source.listeners.size).toBe(0)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a change a source reports after the wait ended starts no check', async () => {
    let listener: ChangeListener | undefined
    const source = fakeSource((l) => (listener = l))
    let calls = 0
    const wait = track(waitForChange(source, async () => (calls++, { ready: false }), { timeoutMs: 10 }, fixedClock))
    await flush()
    await tick(10)
    expect(wait.state).toBe('resolved')
    listener!.changed() // late: e.g. a notification already on its way when the wait unsubscribed
    await flush()
    expect(calls).toBe(1)
  })

  it('waits on a real watch: a change of data_version found by the poll makes the waiter check again', async () => {
    const { db, watch } = fakeDatabase()
    let calls = 0
    const wait = track(waitForChange(watch, async () => ({ ready: ++calls === 2 }), {}, fixedClock))
    await flush()
    expect(watch.state.listeners).toBe(1)
    db.version = 2
    await tick(1)
    expect(wait).toMatchObject({ state: 'resolved', value: { ready: true } })
    expect(calls).toBe(2)
    expect(watch.state).toMatchObject({ listeners: 0, pollTimers: 0 })
  })
})
