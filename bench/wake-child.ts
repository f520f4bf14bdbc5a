/**
 * Child process of `bench/wake.ts` (forked, IPC). Modes:
 *
 *   waiter <db> <inbox|queue> <hint 0|1>  loops: wait for bob's inbox (or the `wake` queue),
 *                                         stamp the wake (`process.hrtime`: CLOCK_MONOTONIC,
 *                                         comparable across processes on Linux), consume what
 *                                         woke it, arm the next wait, then report the stamp
 *   idle <db> <hint 0|1> <seconds> <n>    CPU time of this process over `seconds` with no
 *                                         waiter, then with `n` pending waits (nothing is
 *                                         written meanwhile): the idle cost of the poller
 */
import { ConduitRepository } from '../src/conduit/conduit-repository.js'
import { CHANGE_WATCH_POLICY } from '../src/sqlite/change-watch.js'
import type { SqliteDatabase } from '../src/sqlite/database.js'

const [mode, dbFile, ...rest] = process.argv.slice(2)
const conduit = await ConduitRepository.open(dbFile!)
const afterMicrotasks = () => new Promise<void>((resolve) => setImmediate(resolve))
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
const report = (message: unknown) => new Promise<void>((resolve) => process.send!(message, () => resolve()))
const watch = () => (conduit as unknown as { db: SqliteDatabase<unknown> }).db.changes

if (mode === 'waiter') {
  const [kind, hint] = rest
  CHANGE_WATCH_POLICY.watchWal = hint === '1'
  const wait = () => (kind === 'inbox' ? conduit.inbox.wait('bob') : conduit.queue.wait('wake'))
  let pending = wait()
  await afterMicrotasks()
  await report({ ready: true })
  let stop = false
  process.on('message', (message) => {
    if ((message as { stop?: boolean }).stop) stop = true
  })
  while (!stop) {
    await pending
    const woke = process.hrtime.bigint()
    if (kind === 'inbox') {
      const { items } = await conduit.inbox.page('bob', { unreadOnly: true, limit: 100 })
      if (items.length > 0) await conduit.inbox.markRead('bob', items.map((m) => m.id))
    } else {
      for (const job of await conduit.queue.claim(100, { queue: 'wake', owner: 'bench', leaseMs: 60_000 })) await conduit.queue.ack(job.lease)
    }
    pending = wait()
    await afterMicrotasks()
    await report({ woke: woke.toString(), polls: watch().state.polls })
  }
  pending.catch(() => {}) // rejected CLOSED below
} else if (mode === 'idle') {
  const [hint, seconds, n] = rest
  CHANGE_WATCH_POLICY.watchWal = hint === '1'
  const ms = Number(seconds) * 1000
  const measure = async () => {
    const cpu = process.cpuUsage()
    const polls = watch().state.polls
    const started = performance.now()
    await sleep(ms)
    const used = process.cpuUsage(cpu)
    return { cpuMicros: used.user + used.system, wallMs: performance.now() - started, polls: watch().state.polls - polls }
  }
  await sleep(200)
  const baseline = await measure()
  const controller = new AbortController()
  const waits = Array.from({ length: Number(n) }, () => conduit.inbox.wait('nobody', { signal: controller.signal }).catch(() => {}))
  await sleep(500) // let the backoff reach its cap: this is the steady idle state
  const waiting = await measure()
  controller.abort()
  await Promise.all(waits)
  await report({ baseline, waiting, state: watch().state })
}
await conduit.close()
process.disconnect?.()
