/**
 * `node --import tsx bench/wake.ts [--samples=200] [--gap=250] [--idle=10]`: the wake-up
 * latency of `conduit.inbox.wait` / `conduit.queue.wait` on SQLite (issue 20), and the
 * idle cost of the poller. Writes bench/results/wake.json and prints a Markdown table.
 *
 * - **send → wake, cross-process**: a forked child waits; this process sends bob a
 *   message (or enqueues a job) after a random idle gap in [0, gap] ms (so the poller
 *   is caught at every point of its backoff); latency = the child's wake stamp minus
 *   the moment `send` was called here (so it includes the write itself), both
 *   `process.hrtime` (the system's monotonic clock on Linux). With the `-wal` file hint (default) and with
 *   polling alone.
 * - **send → wake, same process**: the waiter and the writer share the repository
 *   (the commit is announced directly).
 * - **idle cost**: a child's CPU time over `idle` s with no waiter, then with 1 and 100
 *   pending waits and no write; `PRAGMA data_version` reads per second.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'

import { ConduitRepository } from '../src/conduit/conduit-repository.js'
import { forkChild } from './ipc.js'
import type { LatencySummary } from './latency.js'
import { summariseLatencies } from './latency.js'

const args = process.argv.slice(2)
const arg = (name: string, fallback: number) => {
  const found = args.find((a) => a.startsWith(`--${name}=`))
  return found ? Number(found.slice(name.length + 3)) : fallback
}
const SAMPLES = arg('samples', 200)
const GAP_MS = arg('gap', 250)
const IDLE_S = arg('idle', 10)
const CHILD = join(import.meta.dirname, 'wake-child.ts')

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

interface Row extends LatencySummary {
  readonly name: string
}

function summarise(name: string, latenciesNs: bigint[]): Row {
  return { name, ...summariseLatencies(latenciesNs) }
}

async function project(dir: string): Promise<string> {
  const file = join(dir, 'conduit.db')
  const conduit = await ConduitRepository.open(file)
  await conduit.agentRefs.attach('alice')
  await conduit.agentRefs.attach('bob')
  await conduit.close()
  return file
}

const child = (argv: string[]) => forkChild(CHILD, argv)

async function crossProcess(dir: string, kind: 'inbox' | 'queue', hint: boolean): Promise<Row> {
  const file = await project(dir)
  const conduit = await ConduitRepository.open(file)
  const waiter = child(['waiter', file, kind, hint ? '1' : '0'])
  await waiter.next()
  const latencies: bigint[] = []
  for (let i = 0; i < SAMPLES; i++) {
    await sleep(Math.random() * GAP_MS)
    const sent = process.hrtime.bigint()
    if (kind === 'inbox') await conduit.messages.send({ from: 'alice', to: 'bob', content: `ping ${i}` })
    else await conduit.queue.enqueue({ queue: 'wake', payload: i })
    const { woke } = await waiter.next<{ woke: string }>()
    latencies.push(BigInt(woke) - sent)
  }
  waiter.proc.send({ stop: true })
  // The stop is read after the next wake: give it one.
  if (kind === 'inbox') await conduit.messages.send({ from: 'alice', to: 'bob', content: 'stop' })
  else await conduit.queue.enqueue({ queue: 'wake', payload: 'stop' })
  await waiter.exited
  await conduit.close()
  const what = kind === 'inbox' ? 'messages.send → inbox.wait' : 'queue.enqueue → queue.wait'
  return summarise(`${what}, other process, ${hint ? '-wal hint + data_version poll (default)' : 'data_version poll only'}`, latencies)
}

async function sameProcess(dir: string): Promise<Row> {
  const conduit = await ConduitRepository.open(await project(dir))
  const latencies: bigint[] = []
  for (let i = 0; i < SAMPLES; i++) {
    let woke = 0n
    const wait = conduit.inbox.wait('bob').then(() => (woke = process.hrtime.bigint()))
    await sleep(Math.random() * 5)
    const sent = process.hrtime.bigint()
    const { message } = await conduit.messages.send({ from: 'alice', to: 'bob', content: `ping ${i}` })
    await wait
    latencies.push(woke - sent)
    await conduit.inbox.markRead('bob', [message.id])
  }
  await conduit.close()
  return summarise('messages.send → inbox.wait, same process (commit announced)', latencies)
}

interface IdleReport {
  baseline: { cpuMicros: number; wallMs: number; polls: number }
  waiting: { cpuMicros: number; wallMs: number; polls: number }
}

async function idle(dir: string, hint: boolean, waiters: number) {
  const file = await project(dir)
  const c = child(['idle', file, hint ? '1' : '0', String(IDLE_S), String(waiters)])
  const r = await c.next<IdleReport>()
  await c.exited
  const perSecond = (cpuMicros: number, wallMs: number) => cpuMicros / (wallMs / 1000)
  return {
    name: `${waiters} idle wait${waiters === 1 ? '' : 's'}, ${hint ? '-wal hint + poll' : 'poll only'}`,
    pollsPerSecond: r.waiting.polls / (r.waiting.wallMs / 1000),
    cpuMicrosPerSecondBaseline: perSecond(r.baseline.cpuMicros, r.baseline.wallMs),
    cpuMicrosPerSecondWaiting: perSecond(r.waiting.cpuMicros, r.waiting.wallMs),
    extraCorePercent: ((perSecond(r.waiting.cpuMicros, r.waiting.wallMs) - perSecond(r.baseline.cpuMicros, r.baseline.wallMs)) / 1e6) * 100,
  }
}

const root = mkdtempSync(join(tmpdir(), 'cleo-wake-bench-'))
const sub = (name: string) => {
  const dir = join(root, name)
  mkdirSync(dir)
  return dir
}
const loadBefore = loadavg()
try {
  const rows: Row[] = []
  rows.push(await sameProcess(sub('same')))
  for (const kind of ['inbox', 'queue'] as const) {
    for (const hint of [true, false]) {
      process.stdout.write(`running ${kind} hint=${hint}…\n`)
      rows.push(await crossProcess(sub(`${kind}-${hint}`), kind, hint))
    }
  }
  process.stdout.write('measuring idle cost…\n')
  const idleRows = [await idle(sub('idle-1'), true, 1), await idle(sub('idle-100'), true, 100), await idle(sub('idle-poll'), false, 1)]
  const loadAfter = loadavg()
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'} ×${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, SQLite ${process.versions.sqlite}, ${process.platform}`
  const load = `load average ${loadBefore.map((l) => l.toFixed(2)).join(' / ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' / ')} after (1/5/15 min)`
  const f = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1))
  console.log(`\n${machine}\n${load}\nsamples ${SAMPLES} per row, idle gap before each write uniform in [0, ${GAP_MS}] ms\n`)
  console.log('| send → wake | samples | p50 ms | p90 ms | p99 ms | max ms | mean ms |')
  console.log('|---|---:|---:|---:|---:|---:|---:|')
  for (const r of rows) console.log(`| ${r.name} | ${r.samples} | ${f(r.p50Ms)} | ${f(r.p90Ms)} | ${f(r.p99Ms)} | ${f(r.maxMs)} | ${f(r.meanMs)} |`)
  console.log(`\n| idle cost (${IDLE_S} s, no write) | data_version reads/s | CPU µs/s without waiter | CPU µs/s waiting | extra % of one core |`)
  console.log('|---|---:|---:|---:|---:|')
  for (const r of idleRows) {
    console.log(`| ${r.name} | ${r.pollsPerSecond.toFixed(1)} | ${r.cpuMicrosPerSecondBaseline.toFixed(0)} | ${r.cpuMicrosPerSecondWaiting.toFixed(0)} | ${r.extraCorePercent.toFixed(3)} |`)
  }
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true })
  writeFileSync(
    join(import.meta.dirname, 'results', 'wake.json'),
    `${JSON.stringify({ machine, load, date: new Date().toISOString(), samples: SAMPLES, gapMs: GAP_MS, idleSeconds: IDLE_S, rows, idle: idleRows }, null, 2)}\n`,
  )
} finally {
  rmSync(root, { recursive: true, force: true })
}
