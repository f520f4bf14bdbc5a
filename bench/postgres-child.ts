/**
 * Child process of `bench/postgres.ts` (forked, IPC). Modes:
 *
 *   worker <ours-sqlite|ours-postgres|raw-postgres|raw-postgres-rc> <file|url> <schema> <recipe.json|->
 *       opens the store (or a plain pg.Client), reports `ready`, waits for `go`, then
 *       loops claim(1) → ack on queue `bench` until a claim comes back empty, and
 *       reports the acked job ids, its start and end stamps, its CPU time over the
 *       loop and the raw ack retries
 *   waiter <sqlite|postgres> <file|url> <schema> <inbox|queue>
 *       loops: wait for bob's inbox (or the `wake` queue), stamp the wake, consume what
 *       woke it (inbox: marks read the message whose id the parent sends next; queue:
 *       claims and acks), arm the next wait, report the stamp
 *
 * Stamps are `process.hrtime` (CLOCK_MONOTONIC on Linux: comparable across processes).
 */
import { readFileSync } from 'node:fs'

import pg from 'pg'

import { ConduitRepository } from '../src/conduit/conduit-repository.js'
import { messageReader } from './ipc.js'
import type { Recipe } from './postgres-raw.js'
import { ackReadCommitted, replayAck, replayClaim } from './postgres-raw.js'

const [mode, kind, target, schema, extra] = process.argv.slice(2) as [string, string, string, string, string]
const LEASE_MS = 60_000
const owner = `worker-${process.pid}`

const { next } = messageReader(process)
const report = (message: unknown) => new Promise<void>((resolve) => process.send!(message, () => resolve()))
const afterMicrotasks = () => new Promise<void>((resolve) => setImmediate(resolve))

function open(engine: string): Promise<ConduitRepository> {
  return engine.endsWith('sqlite') ? ConduitRepository.open(target) : ConduitRepository.openPostgres(target, { schema })
}

async function worker(): Promise<void> {
  const ids: number[] = []
  let retries = 0
  if (kind.startsWith('raw-postgres')) {
    const captured = JSON.parse(readFileSync(extra, 'utf8')) as Recipe
    const recipe = kind === 'raw-postgres-rc' ? ackReadCommitted(captured) : captured
    const client = new pg.Client({ connectionString: target })
    await client.connect()
    await report({ ready: true })
    await next()
    const started = process.hrtime.bigint()
    const cpu = process.cpuUsage()
    for (;;) {
      const job = await replayClaim(client, recipe, { queue: 'bench', owner, leaseMs: LEASE_MS })
      if (job === null) break
      retries += await replayAck(client, recipe, { ...job, owner })
      ids.push(job.id)
    }
    const finished = process.hrtime.bigint()
    const used = process.cpuUsage(cpu)
    await client.end()
    await report({ ids, retries, cpuMicros: used.user + used.system, started: started.toString(), finished: finished.toString() })
    return
  }
  const conduit = await open(kind)
  await report({ ready: true })
  await next()
  const started = process.hrtime.bigint()
  const cpu = process.cpuUsage()
  for (;;) {
    const [job] = await conduit.queue.claim(1, { queue: 'bench', owner, leaseMs: LEASE_MS })
    if (job === undefined) break
    await conduit.queue.ack(job.lease)
    ids.push(job.id)
  }
  const finished = process.hrtime.bigint()
  const used = process.cpuUsage(cpu)
  await conduit.close()
  await report({ ids, retries, cpuMicros: used.user + used.system, started: started.toString(), finished: finished.toString() })
}

async function waiter(): Promise<void> {
  const conduit = await open(kind)
  const what = extra
  const wait = () => (what === 'inbox' ? conduit.inbox.wait('bob') : conduit.queue.wait('wake'))
  let pending = wait()
  await afterMicrotasks()
  await report({ ready: true })
  for (;;) {
    await pending
    const woke = process.hrtime.bigint()
    let stop = false
    if (what === 'inbox') {
      const { id, stop: last } = await next<{ id: string; stop: boolean }>()
      await conduit.inbox.markRead('bob', [id])
      stop = last
    } else {
      for (const job of await conduit.queue.claim(100, { queue: 'wake', owner, leaseMs: LEASE_MS })) {
        await conduit.queue.ack(job.lease)
        stop ||= (job.payload as unknown) === 'stop'
      }
    }
    if (stop) break
    pending = wait()
    await afterMicrotasks()
    await report({ woke: woke.toString() })
  }
  await conduit.close()
}

if (mode === 'worker') await worker()
else if (mode === 'waiter') await waiter()
else throw new Error(`unknown mode ${mode}`)
process.disconnect?.()
