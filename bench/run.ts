/**
 * `npm run bench [-- --time=ms] [-- filter…]`: runs the workloads and prints a table
 * of ops/s, p50/p99 and ratios; writes bench/results/latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'

import type { Workload, WorkloadResult } from './harness.js'
import { runWorkload, toMarkdown } from './harness.js'
import { brainWorkloads } from './workloads/brain.js'
import { conduitWorkloads } from './workloads/conduit.js'
import { engineWorkloads } from './workloads/engine.js'
import { tasksWorkloads } from './workloads/tasks.js'
import { workspaceWorkloads } from './workloads/workspace.js'

const args = process.argv.slice(2)
if (args.includes('--quick')) process.env.BENCH_QUICK = '1'

const all: Workload[] = [...engineWorkloads, ...tasksWorkloads, ...conduitWorkloads, ...brainWorkloads, ...workspaceWorkloads]
const timeArg = args.find((a) => a.startsWith('--time='))
const timeMs = timeArg ? Number(timeArg.slice('--time='.length)) : 1500
const filters = args.filter((a) => !a.startsWith('--'))
const selected = filters.length === 0 ? all : all.filter((w) => filters.some((f) => w.name.includes(f)))

const results: WorkloadResult[] = []
for (const workload of selected) {
  process.stdout.write(`running ${workload.name}…\n`)
  results.push(await runWorkload(workload, timeMs))
}

const machine = `${cpus()[0]?.model ?? 'unknown CPU'} ×${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, SQLite ${process.versions.sqlite}`
console.log(`\n${machine}\n`)
console.log(toMarkdown(results))
console.log(`\npeak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`)
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true })
writeFileSync(
  join(import.meta.dirname, 'results', 'latest.json'),
  `${JSON.stringify({ machine, date: new Date().toISOString(), timeMs, results, peakRssMiB: process.resourceUsage().maxRSS / 1024 }, null, 2)}\n`,
)
