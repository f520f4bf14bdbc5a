/**
 * Issue 20, item 3, on both engines: `conduit.inbox.wait` and `conduit.queue.wait` resolve
 * when there is something for the caller — across real processes on a real file or a PostgreSQL schema
 * (the waiting child tells the parent over IPC once it waits; the parent writes from
 * another child process; the waiter reports its wake), already-available work,
 * jobs falling due later, timeouts, aborts, closing, strict options, and many
 * waiters sharing one poller. No assertion depends on time.
 */
import type { ChildProcess } from 'node:child_process'
import { execFile, fork, spawn } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'

import { afterEach, describe, expect, it } from 'vitest'

import { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import { CHANGE_WATCH_POLICY } from '../../src/sqlite/change-watch.js'
import type { SqliteDatabase } from '../../src/sqlite/database.js'
import type { Clock } from '../../src/sqlite/clock.js'
import { manualClock } from '../../src/sqlite/clock.js'
import { expectCode, REPO_ROOT } from '../helpers.js'
import { openConduitTarget } from '../fixtures/conduit-target.js'
import type { ConduitEngineName } from './conduit-fixtures.js'
import { CONDUIT_ENGINES, sharedTestTarget } from './conduit-fixtures.js'

const FIXTURE = join(REPO_ROOT, 'test/fixtures/conduit-wake.ts')
const execFileAsync = promisify(execFile)

const opened: ConduitRepository[] = []
const children: ChildProcess[] = []
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
  for (const repo of opened.splice(0)) await repo.close()
})

async function open(target: string, options: Parameters<typeof ConduitRepository.open>[1] = {}): Promise<ConduitRepository> {
  const repo = await openConduitTarget(target, options)
  opened.push(repo)
  return repo
}

/** A store with alice and bob attached; returns its target (a conduit.db path, or a PostgreSQL schema as JSON). */
const project = (engine: ConduitEngineName = 'sqlite') => sharedTestTarget(engine)

function changes(repo: ConduitRepository) {
  return (repo as unknown as { db: SqliteDatabase<unknown> }).db.changes
}

interface WatchState {
  listeners: number
  pollTimers: number
  polls: number
  walHint: boolean
}
interface ChildReport {
  waiting?: boolean
  woke?: Array<{ ready: boolean }>
  claimed?: number | null
  unread?: number
  /** The SQLite change watch's counters; null on PostgreSQL. */
  state: WatchState | null
}

/** A forked waiter: its reports arrive in order through `next()`. */
function waiter(args: string[]): { next(): Promise<ChildReport>; exited: Promise<number | null> } {
  const child = fork(FIXTURE, args, { cwd: REPO_ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  children.push(child)
  const queue: ChildReport[] = []
  const pending: Array<(report: ChildReport) => void> = []
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  child.on('message', (message) => {
    const resolve = pending.shift()
    if (resolve) resolve(message as ChildReport)
    else queue.push(message as ChildReport)
  })
  return {
    next: () => {
      const ready = queue.shift()
      if (ready) return Promise.resolve(ready)
      return Promise.race([
        new Promise<ChildReport>((resolve) => pending.push(resolve)),
        exited.then((code) => Promise.reject(new Error(`waiter exited (${code}) before reporting`))),
      ])
    },
    exited,
  }
}

/** Runs the fixture once in a child process (a writer of another process). */
async function inChild(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', FIXTURE, ...args], { cwd: REPO_ROOT, timeout: 120_000 })
  return stdout
}

describe.each(CONDUIT_ENGINES)('across processes (the waiter and the writer are different processes) on %s', (engine) => {
  const sqlite = engine === 'sqlite'
  it('inbox.wait in one process wakes when another process sends to the agent', async () => {
    const file = await project(engine)
    const child = waiter(['wait-inbox', file, 'bob'])
    const waiting = await child.next()
    expect(waiting.waiting).toBe(true)
    if (sqlite) expect(waiting.state!.listeners).toBe(1)
    await inChild('send', file, 'alice', 'bob')
    const report = await child.next()
    expect(report.woke).toEqual([{ ready: true }])
    if (sqlite) expect(report.state).toMatchObject({ listeners: 0, pollTimers: 0 })
    expect(await child.exited).toBe(0)
  })

  it('queue.wait in one process wakes when another process enqueues, and the job is claimable then', async () => {
    const file = await project(engine)
    const child = waiter(['wait-queue', file, 'jobs'])
    expect((await child.next()).waiting).toBe(true)
    await inChild('enqueue', file, 'jobs')
    const report = await child.next()
    expect(report.woke).toEqual([{ ready: true }])
    expect(report.claimed).toEqual(expect.any(Number))
    expect(await child.exited).toBe(0)
  })

  it('a job another process enqueues for later wakes the waiter when it falls due (not before: the claim that follows gets it)', async () => {
    const file = await project(engine)
    const child = waiter(['wait-queue', file, 'later'])
    expect((await child.next()).waiting).toBe(true)
    await inChild('enqueue', file, 'later', '300')
    const report = await child.next()
    expect(report.woke).toEqual([{ ready: true }])
    expect(report.claimed).toEqual(expect.any(Number))
  })

  it('a message to another agent does not wake the waiter', async () => {
    const file = await project(engine)
    const child = waiter(['wait-inbox', file, 'bob'])
    expect((await child.next()).waiting).toBe(true)
    await inChild('send', file, 'bob', 'alice')
    const repo = await open(file)
    // bob has nothing; alice's message is not his. Only bob's message wakes him.
    expect(await repo.inbox.wait('bob', { timeoutMs: 0 })).toEqual({ ready: false })
    await inChild('send', file, 'alice', 'bob')
    // Woken by bob's message: it was there when the waiter looked (the first write only made it look again).
    expect(await child.next()).toMatchObject({ woke: [{ ready: true }], unread: 1 })
  })

  it('many waiters of one process share one poller, and one write of another process wakes them all', async () => {
    const file = await project(engine)
    const child = waiter(['wait-inbox', file, 'bob', '50'])
    const waiting = await child.next()
    if (sqlite) expect(waiting.state).toMatchObject({ listeners: 50, pollTimers: 1 })
    await inChild('send', file, 'alice', 'bob')
    const report = await child.next()
    expect(report.woke).toHaveLength(50)
    expect(report.woke!.every((result) => result.ready)).toBe(true)
    // Stopped once nobody waits.
    if (sqlite) expect(report.state).toMatchObject({ listeners: 0, pollTimers: 0, walHint: false })
  })

  it('a pending wait keeps its process alive (a top-level await waits), and nothing outlives it', async () => {
    const file = await project(engine)
    // No IPC channel, no other handle: only the wait itself can keep this child alive.
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, 'wait-alone', file, 'bob'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    children.push(child)
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    let stdout = ''
    const started = new Promise<void>((resolve) =>
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString()
        if (stdout.includes('started')) resolve()
      }),
    )
    await Promise.race([started, exited.then((code) => Promise.reject(new Error(`exited (${code}) before waiting`)))])
    await inChild('send', file, 'alice', 'bob')
    // It woke, and then ended by itself although its repository is still open.
    expect(await exited).toBe(0)
    expect(stdout.trim().split('\n')).toEqual(['started', 'woke {"ready":true}'])
  })
})

describe.each(CONDUIT_ENGINES)('in one process on %s', (engine) => {
  /** A conduit with alice and bob attached: a file on SQLite, a fresh schema on PostgreSQL. */
  async function fresh(options: { clock?: Clock } = {}): Promise<ConduitRepository> {
    return open(await project(engine), options)
  }
  /** The SQLite change watch's counters (PostgreSQL LISTENs instead: nothing to count). */
  const idle = (conduit: ConduitRepository) => {
    if (engine === 'sqlite') expect(changes(conduit).state).toMatchObject({ listeners: 0, pollTimers: 0 })
  }
  it('resolves at once when there already is something: an unread message, a due job (even with timeoutMs: 0)', async () => {
    const conduit = await fresh()
    await conduit.messages.send({ from: 'alice', to: 'bob', content: 'hi' })
    await conduit.queue.enqueue({ queue: 'q', payload: 1 })
    expect(await conduit.inbox.wait('bob', { timeoutMs: 0 })).toEqual({ ready: true })
    expect(await conduit.inbox.wait('bob')).toEqual({ ready: true })
    expect(await conduit.queue.wait('q', { timeoutMs: 0 })).toEqual({ ready: true })
    expect(await conduit.queue.wait('q')).toEqual({ ready: true })
  })

  it('inbox: a read message is not "something"; marking it read makes the next wait wait', async () => {
    const conduit = await fresh()
    const { message } = await conduit.messages.send({ from: 'alice', to: 'bob', content: 'hi' })
    expect(await conduit.inbox.wait('bob', { timeoutMs: 0 })).toEqual({ ready: true })
    await conduit.inbox.markRead('bob', [message.id])
    expect(await conduit.inbox.wait('bob', { timeoutMs: 0 })).toEqual({ ready: false })
    expect(await conduit.inbox.wait('alice', { timeoutMs: 0 })).toEqual({ ready: false })
  })

  // The SQLite change watch's policy and a shared file: SQLite only.
  it.runIf(engine === 'sqlite')('this process’s own writes wake waiters directly — through the same repository and through another one on the same file', async () => {
    const file = await project()
    const policy = { ...CHANGE_WATCH_POLICY }
    // The poller practically off: only the direct announcement can wake these waiters.
    Object.assign(CHANGE_WATCH_POLICY, { minPollMs: 2 ** 30, maxPollMs: 2 ** 30, maxPollMsWithHint: 2 ** 30, watchWal: false })
    try {
      const a = await open(file)
      const b = await open(file)
      const sameRepo = a.inbox.wait('bob')
      const otherRepo = a.queue.wait('q')
      const viaKysely = a.queue.wait('raw')
      await a.messages.send({ from: 'alice', to: 'bob', content: 'hi' })
      expect(await sameRepo).toEqual({ ready: true })
      await b.queue.enqueue({ queue: 'q', payload: 1 })
      expect(await otherRepo).toEqual({ ready: true })
      // A write made through the repository's Kysely (outside its methods) is announced too.
      await b.kysely
        .insertInto('delivery_jobs')
        .values({ queue: 'raw', payload: '1', status: 'pending', ordered: 0, attempts: 0, max_attempts: 3, available_at: 0, lease_token: 0, created_at: 0, updated_at: 0 } as never)
        .execute()
      expect(await viaKysely).toEqual({ ready: true })
    } finally {
      Object.assign(CHANGE_WATCH_POLICY, policy)
    }
  })

  it('queue: a delayed job is not claimable now (timeoutMs: 0 says so) and is once the clock reaches it', async () => {
    const clock = manualClock(Date.parse('2026-01-01T00:00:00Z'))
    const conduit = await fresh({ clock })
    await conduit.queue.enqueue({ queue: 'q', payload: 1, delayMs: 60_000 })
    expect(await conduit.queue.wait('q', { timeoutMs: 0 })).toEqual({ ready: false })
    clock.advance(60_000)
    expect(await conduit.queue.wait('q', { timeoutMs: 0 })).toEqual({ ready: true })
  })

  it('queue: a job falling due later wakes a pending wait with no write (delay, nack backoff, expired lease)', async () => {
    const conduit = await fresh()
    // delayMs
    await conduit.queue.enqueue({ queue: 'q', payload: 1, delayMs: 150 })
    expect(await conduit.queue.wait('q', { timeoutMs: 0 })).toEqual({ ready: false })
    expect(await conduit.queue.wait('q')).toEqual({ ready: true })
    const [job] = await conduit.queue.claim(1, { queue: 'q', owner: 'w', leaseMs: 60_000 })
    expect(job).toBeDefined()
    // a retry's backoff
    expect((await conduit.queue.nack(job!.lease, { delayMs: 150 })).outcome).toBe('retry')
    expect(await conduit.queue.wait('q', { timeoutMs: 0 })).toEqual({ ready: false })
    expect(await conduit.queue.wait('q')).toEqual({ ready: true })
    // an expiring lease (a crashed worker's job comes back)
    const [again] = await conduit.queue.claim(1, { queue: 'q', owner: 'w', leaseMs: 150 })
    expect(again?.id).toBe(job!.id)
    expect(await conduit.queue.wait('q', { timeoutMs: 0 })).toEqual({ ready: false })
    expect(await conduit.queue.wait('q')).toEqual({ ready: true })
    const [third] = await conduit.queue.claim(1, { queue: 'q', owner: 'w2', leaseMs: 60_000 })
    expect(third).toMatchObject({ id: job!.id, attempts: 3 })
  })

  it('queue: an ordered job behind an in-flight head is not claimable; the head’s ack wakes the waiter', async () => {
    const conduit = await fresh()
    await conduit.queue.enqueueMany([
      { queue: 'q', payload: 1, partitionKey: 'p', ordered: true },
      { queue: 'q', payload: 2, partitionKey: 'p', ordered: true },
    ])
    const [head] = await conduit.queue.claim(1, { queue: 'q', owner: 'w', leaseMs: 60_000 })
    expect(await conduit.queue.wait('q', { timeoutMs: 0 })).toEqual({ ready: false })
    const wait = conduit.queue.wait('q')
    await conduit.queue.ack(head!.lease)
    expect(await wait).toEqual({ ready: true })
  })

  it('queue: a job of another queue, a leased job and an expired lease with no attempts left do not count', async () => {
    const clock = manualClock(Date.parse('2026-01-01T00:00:00Z'))
    const conduit = await fresh({ clock })
    await conduit.queue.enqueue({ queue: 'other', payload: 1 })
    await conduit.queue.enqueue({ queue: 'q', payload: 1, maxAttempts: 1 })
    await conduit.queue.claim(1, { queue: 'q', owner: 'w', leaseMs: 1000 })
    expect(await conduit.queue.wait('q', { timeoutMs: 0 })).toEqual({ ready: false })
    clock.advance(1000)
    expect(await conduit.queue.wait('q', { timeoutMs: 0 })).toEqual({ ready: false })
  })

  it('timeoutMs elapsed with nothing there: resolves { ready: false }', async () => {
    const conduit = await fresh()
    expect(await conduit.inbox.wait('bob', { timeoutMs: 1 })).toEqual({ ready: false })
    expect(await conduit.queue.wait('q', { timeoutMs: 1 })).toEqual({ ready: false })
    expect(await conduit.queue.wait('q', { timeoutMs: 0 })).toEqual({ ready: false })
    idle(conduit)
  })

  it('signal aborted: rejects with an AbortError whose cause is the reason; an already-aborted signal rejects at once', async () => {
    const conduit = await fresh()
    const controller = new AbortController()
    const pending = conduit.inbox.wait('bob', { signal: controller.signal })
    const reason = new Error('shutting down')
    controller.abort(reason)
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: reason })
    idle(conduit)

    const aborted = AbortSignal.abort('gone')
    await expect(conduit.queue.wait('q', { signal: aborted })).rejects.toMatchObject({ name: 'AbortError', cause: 'gone' })
    // Even when there is something: an aborted signal wins.
    await conduit.messages.send({ from: 'alice', to: 'bob', content: 'hi' })
    await expect(conduit.inbox.wait('bob', { signal: aborted })).rejects.toMatchObject({ name: 'AbortError' })
    // abort() without a reason: the cause is the signal's default reason (a DOMException AbortError).
    const plain = new AbortController()
    const waiting = conduit.queue.wait('q', { signal: plain.signal })
    plain.abort()
    const error = await waiting.then(() => null, (e: unknown) => e as Error & { cause: unknown })
    expect(error).toBeInstanceOf(Error)
    expect(error!.name).toBe('AbortError')
    expect(error!.cause).toBe(plain.signal.reason)
  })

  it('closing the repository rejects pending waiters with CLOSED; a closed repository rejects CLOSED at once', async () => {
    const conduit = await fresh()
    const inbox = conduit.inbox.wait('bob')
    const queue = conduit.queue.wait('q', { timeoutMs: 60_000 })
    await conduit.close()
    await expectCode(inbox, 'CLOSED')
    await expectCode(queue, 'CLOSED')
    await expectCode(conduit.inbox.wait('bob'), 'CLOSED')
    await expectCode(conduit.queue.wait('q', { timeoutMs: 0 }), 'CLOSED')
  })

  it('inside conduit.transaction() a wait is VALIDATION (the transaction holds the write lock: nothing could arrive)', async () => {
    const conduit = await fresh()
    await conduit.transaction(async (tx) => {
      await expectCode(tx.inbox.wait('bob', { timeoutMs: 0 }), 'VALIDATION')
      await expectCode(tx.queue.wait('q', { timeoutMs: 0 }), 'VALIDATION')
    })
    // Outside, from another async flow while a transaction runs, a wait simply waits for its end.
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const transaction = conduit.transaction(async (tx) => {
      await tx.messages.send({ from: 'alice', to: 'bob', content: 'in the transaction' })
      await held
    })
    const wait = conduit.inbox.wait('bob')
    release()
    await transaction
    expect(await wait).toEqual({ ready: true })
  })

  it('options are strict: unknown keys, a bad timeoutMs or signal, a bad agent or queue are VALIDATION', async () => {
    const conduit = await fresh()
    for (const wait of [(o: unknown) => conduit.inbox.wait('bob', o as never), (o: unknown) => conduit.queue.wait('q', o as never)]) {
      const unknownKey = await expectCode(wait({ timeout: 5 }), 'VALIDATION')
      expect(unknownKey.details?.['path']).toEqual(['timeout'])
      for (const timeoutMs of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10', 2 ** 31]) {
        const bad = await expectCode(wait({ timeoutMs }), 'VALIDATION')
        expect(bad.details?.['path']).toEqual(['timeoutMs'])
      }
      const signal = await expectCode(wait({ signal: { aborted: false } }), 'VALIDATION')
      expect(signal.details?.['path']).toEqual(['signal'])
      await expectCode(wait(null), 'VALIDATION')
    }
    await expectCode(conduit.inbox.wait('', { timeoutMs: 0 }), 'VALIDATION')
    await expectCode(conduit.queue.wait(42 as never, { timeoutMs: 0 }), 'VALIDATION')
    idle(conduit)
  })
})
