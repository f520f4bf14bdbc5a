/**
 * `node --import tsx bench/sizes.ts [--quick]`: the cost of every query whose cost
 * could grow with its table, at 1k / 10k / 100k rows, on ANALYZEd files (as the
 * library's own close() leaves them). Ours only (the public API); p50 of repeated
 * calls. Writes bench/results/sizes.json and prints a Markdown table.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { BrainRepository } from '../src/brain/index.js'
import { ConduitRepository } from '../src/conduit/index.js'
import { TasksRepository } from '../src/tasks/index.js'
import { openRaw } from './harness.js'
import { embedder, memoryText } from './workloads/brain.js'
import { seedMessages } from './workloads/conduit.js'
import { seedEveryTaskDepends, seedTasks } from './workloads/tasks.js'

const quick = process.argv.includes('--quick')
const SIZES = quick ? [1_000, 3_000] : [1_000, 10_000, 100_000]
/** Memory search embeds every memory through the public API: 100k takes long; measured up to this size. */
const MEMORY_SIZES = quick ? [1_000] : [1_000, 10_000, 100_000]

async function p50(fn: () => unknown, budgetMs = quick ? 100 : 400): Promise<number> {
  for (let i = 0; i < 5; i++) await fn()
  const times: number[] = []
  const end = performance.now() + budgetMs
  while (times.length < 15 || (performance.now() < end && times.length < 2000)) {
    const t = performance.now()
    await fn()
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]!
}

const rows: Record<string, Record<number, number>> = {}
const record = (name: string, n: number, ms: number) => {
  rows[name] ??= {}
  rows[name]![n] = ms
  process.stdout.write(`${name} @ ${n}: ${(ms * 1000).toFixed(1)} µs\n`)
}

const root = mkdtempSync(join(tmpdir(), 'cleo-sizes-'))
try {
  for (const n of SIZES) {
    // tasks.db: epics of 50, 30 % done, every task but the first two with two dependencies.
    const file = join(root, `tasks-${n}.db`)
    await (await TasksRepository.open(file)).close()
    const db = openRaw(file)
    db.exec(`BEGIN IMMEDIATE; ${seedTasks(n)} ${seedEveryTaskDepends(n)} COMMIT; ANALYZE;`)
    db.close()
    const tasks = await TasksRepository.open(file)
    const deep = `T${n - 7}` // a task under the last epic, with dependencies
    const epic = `T${Math.floor((n - 1) / 50) * 50 + 1 - 50}`
    record('tasks: ready() (limit 100)', n, await p50(() => tasks.dependencies.ready()))
    record('tasks: blockers (direct)', n, await p50(() => tasks.dependencies.blockers(deep)))
    record('tasks: blockers (transitive)', n, await p50(() => tasks.dependencies.blockers(deep, { transitive: true })))
    record('tasks: descendants (epic of 49)', n, await p50(() => tasks.descendants(epic)))
    record('tasks: ancestors', n, await p50(() => tasks.ancestors(deep)))
    record('tasks: list page (50, by status)', n, await p50(() => tasks.list({ status: 'pending', limit: 50 })))
    record('tasks: list page (50, no filter)', n, await p50(() => tasks.list({ limit: 50 })))
    await tasks.close()

    // conduit.db: n messages alice → bob (eight words from 256; "build" is in ~3 %).
    const cfile = join(root, `conduit-${n}.db`)
    const setup = await ConduitRepository.open(cfile)
    for (const agent of ['alice', 'bob', 'carol']) await setup.agentRefs.attach(agent)
    await setup.messages.send({ from: 'alice', to: 'bob', content: 'first' })
    await setup.close()
    const cdb = openRaw(cfile)
    cdb.exec(`BEGIN IMMEDIATE; ${seedMessages(n)} COMMIT; ANALYZE;`)
    cdb.close()
    const conduit = await ConduitRepository.open(cfile)
    record('conduit: inbox page (50)', n, await p50(() => conduit.inbox.page('bob', { limit: 50 })))
    record('conduit: message search (two words, relevance, bounded)', n, await p50(() => conduit.messages.search({ query: 'build green' })))
    record('conduit: message search (one common word, relevance, bounded)', n, await p50(() => conduit.messages.search({ query: 'build' })))
    record(
      'conduit: message search (one common word, relevance, unbounded)',
      n,
      await p50(() => conduit.messages.search({ query: 'build', rankWindow: 1_000_000 })),
    )
    record('conduit: message search (one common word, recent)', n, await p50(() => conduit.messages.search({ query: 'build', order: 'recent' })))
    await conduit.close()
  }
  for (const n of MEMORY_SIZES) {
    const bfile = join(root, `brain-${n}.db`)
    const brain = await BrainRepository.open(bfile, { embedder })
    for (let start = 0; start < n; start += 1000) {
      const batch = []
      for (let i = start; i < Math.min(n, start + 1000); i++) batch.push({ kind: 'observation' as const, ...memoryText(i) })
      await brain.recordMany(batch)
    }
    await brain.close() // PRAGMA optimize: statistics
    const reopened = await BrainRepository.open(bfile, { embedder })
    record('brain: memory search (hybrid, limit 10)', n, await p50(() => reopened.search('deploy pipeline timeout', { mode: 'hybrid', limit: 10 })))
    record('brain: memory search (fts, limit 10)', n, await p50(() => reopened.search('deploy pipeline timeout', { mode: 'fts', limit: 10 })))
    record('brain: list page (10)', n, await p50(() => reopened.list({ limit: 10 })))
    await reopened.close()
  }
} finally {
  rmSync(root, { recursive: true, force: true })
}

const fmt = (ms: number | undefined) => (ms === undefined ? '—' : ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`)
const all = [...new Set([...SIZES, ...MEMORY_SIZES])]
const lines = [`| query | ${all.map((n) => `${n / 1000}k`).join(' | ')} | largest / smallest |`, `| --- | ${all.map(() => '---:').join(' | ')} | ---: |`]
for (const [name, bySize] of Object.entries(rows)) {
  const sizes = Object.keys(bySize).map(Number).sort((a, b) => a - b)
  const growth = bySize[sizes.at(-1)!]! / bySize[sizes[0]!]!
  lines.push(`| ${name} | ${all.map((n) => fmt(bySize[n])).join(' | ')} | ${growth.toFixed(2)}× |`)
}
console.log(`\n${lines.join('\n')}`)
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true })
writeFileSync(join(import.meta.dirname, 'results', quick ? 'sizes-quick.json' : 'sizes.json'), `${JSON.stringify({ date: new Date().toISOString(), rows }, null, 2)}\n`)
