/**
 * The benchmark harness: every workload runs the same operation three ways in one
 * process — through cleo-store, as hand-written raw node:sqlite, and through Drizzle
 * on node:sqlite (CLEO's own stack) — each on its own file database in WAL mode, and
 * reports ops/s, p50/p99 latency and the ratios ours/raw and ours/Drizzle.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { Bench } from 'tinybench'

/** One implementation of a workload's operation. */
export type Operation = () => unknown | Promise<unknown>

/** What a workload's setup returns. */
export interface Contenders {
  readonly ours: Operation
  readonly raw: Operation
  readonly drizzle?: Operation
  /** Drizzle with prepared statements (`.prepare()`): how a careful Drizzle user writes a hot path. */
  readonly drizzlePrepared?: Operation
  /** Ours on the exact path the target is stated against (issue 19 item 7: the same store with `binaryPreselection: 'never'`). */
  readonly exact?: Operation
  /** Called once after measuring. */
  readonly teardown?: () => unknown | Promise<unknown>
  /** Extra facts to print (dataset size, …). */
  readonly notes?: string
}

/** A benchmark workload. */
export interface Workload {
  readonly name: string
  /** `read`/`write` single-row operations have ratio targets (≥0.6× / ≥0.5× raw). */
  readonly kind: 'read' | 'write' | 'query' | 'lifecycle'
  /** Absolute latency target, if the issue sets one (ms, on p50). */
  readonly p50TargetMs?: number
  setup(dir: string): Promise<Contenders>
}

/** One measured implementation. */
export interface Measurement {
  readonly opsPerSec: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly samples: number
}

/** The result of one workload. */
export interface WorkloadResult {
  readonly name: string
  readonly kind: Workload['kind']
  readonly ours: Measurement
  readonly raw: Measurement
  readonly drizzle: Measurement | null
  readonly drizzlePrepared: Measurement | null
  readonly exact: Measurement | null
  /** Ours' p50 over the exact path's p50 (issue 19 item 7's target is ≤ 0.4). */
  readonly p50OverExact: number | null
  readonly oursOverRaw: number
  readonly oursOverDrizzle: number | null
  readonly oursOverDrizzlePrepared: number | null
  /** False in a `--quick` run: the sizes are not the ones a target is stated for. */
  readonly fullSize: boolean
  readonly p50TargetMs: number | null
  readonly notes: string | null
}

/** Opens a raw node:sqlite file with the same pragmas cleo-store uses. */
export function openRaw(file: string): DatabaseSync {
  const db = new DatabaseSync(file, { timeout: 5000 })
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON')
  return db
}

/** A fresh directory for one workload, removed afterwards. */
export function workloadDir(): string {
  return mkdtempSync(join(tmpdir(), 'cleo-bench-'))
}

async function measure(operation: Operation, timeMs: number): Promise<Measurement> {
  const bench = new Bench({ time: timeMs, warmupTime: Math.min(200, timeMs / 4), throws: true })
  bench.add('op', operation)
  await bench.run()
  const result = bench.tasks[0]!.result
  if (result.state !== 'completed') throw new Error(`benchmark task ended in state ${result.state}`)
  return {
    opsPerSec: result.throughput.mean,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    samples: result.latency.samplesCount,
  }
}

const ROUNDS = 3

function best(current: Measurement | undefined, next: Measurement): Measurement {
  return current === undefined || next.opsPerSec > current.opsPerSec ? next : current
}

/** Runs one workload and returns its figures. */
export async function runWorkload(workload: Workload, timeMs: number): Promise<WorkloadResult> {
  const dir = workloadDir()
  try {
    const contenders = await workload.setup(dir)
    try {
      // Contenders alternate over ROUNDS rounds (so none always runs first, after the
      // seeding's garbage, or last); each keeps its best round (least disturbed by
      // the machine's noise).
      let ours: Measurement | undefined
      let raw: Measurement | undefined
      let drizzle: Measurement | null = null
      let drizzlePrepared: Measurement | null = null
      let exact: Measurement | null = null
      const slice = timeMs / ROUNDS
      for (let round = 0; round < ROUNDS; round++) {
        const order =
          round % 2 === 0
            ? (['ours', 'exact', 'raw', 'drizzle', 'drizzlePrepared'] as const)
            : (['drizzlePrepared', 'drizzle', 'raw', 'exact', 'ours'] as const)
        for (const who of order) {
          const operation = contenders[who]
          if (operation === undefined) continue
          const m = await measure(operation, slice)
          if (who === 'ours') ours = best(ours, m)
          else if (who === 'raw') raw = best(raw, m)
          else if (who === 'drizzle') drizzle = best(drizzle ?? undefined, m)
          else if (who === 'exact') exact = best(exact ?? undefined, m)
          else drizzlePrepared = best(drizzlePrepared ?? undefined, m)
        }
      }
      if (ours === undefined || raw === undefined) throw new Error('no measurement')
      return {
        name: workload.name,
        kind: workload.kind,
        ours,
        raw,
        drizzle,
        drizzlePrepared,
        exact,
        p50OverExact: exact ? ours.p50Ms / exact.p50Ms : null,
        oursOverRaw: ours.opsPerSec / raw.opsPerSec,
        oursOverDrizzle: drizzle ? ours.opsPerSec / drizzle.opsPerSec : null,
        oursOverDrizzlePrepared: drizzlePrepared ? ours.opsPerSec / drizzlePrepared.opsPerSec : null,
        fullSize: process.env.BENCH_QUICK !== '1',
        p50TargetMs: workload.p50TargetMs ?? null,
        notes: contenders.notes ?? null,
      }
    } finally {
      await contenders.teardown?.()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const us = (ms: number) => `${fmt(ms * 1000, 1)} µs`

/**
 * The verdict on an absolute target: "met"/"missed" only for a run at full size —
 * a `--quick` run measured smaller datasets than the target is stated for.
 */
export function verdict(met: boolean, fullSize: boolean): string {
  return fullSize ? (met ? 'met' : 'missed') : 'not judged (--quick: smaller dataset)'
}

/** Renders results as a Markdown table. */
export function toMarkdown(results: readonly WorkloadResult[]): string {
  const lines = [
    '| workload | ours ops/s | raw ops/s | Drizzle ops/s | Drizzle prepared ops/s | ours p50 | ours p99 | raw p50 | ours/raw | ours/Drizzle | ours/Drizzle prepared | p50 target |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ]
  for (const r of results) {
    lines.push(
      `| ${r.name} | ${fmt(r.ours.opsPerSec)} | ${fmt(r.raw.opsPerSec)} | ${r.drizzle ? fmt(r.drizzle.opsPerSec) : '—'} | ${r.drizzlePrepared ? fmt(r.drizzlePrepared.opsPerSec) : '—'} | ${us(r.ours.p50Ms)} | ${us(r.ours.p99Ms)} | ${us(r.raw.p50Ms)} | ${fmt(r.oursOverRaw, 2)}× | ${r.oursOverDrizzle === null ? '—' : `${fmt(r.oursOverDrizzle, 2)}×`} | ${r.oursOverDrizzlePrepared === null ? '—' : `${fmt(r.oursOverDrizzlePrepared, 2)}×`} | ${
        r.p50TargetMs === null ? '—' : `≤ ${r.p50TargetMs} ms ${verdict(r.ours.p50Ms <= r.p50TargetMs, r.fullSize)}`
      } |`,
    )
  }
  const scaled = results.filter((r) => r.exact !== null)
  if (scaled.length > 0) {
    lines.push(
      '',
      '| workload (issue 19 item 7) | ours p50 | exact path p50 | ours p50 / exact p50 | target ≤ 0.4× |',
      '| --- | ---: | ---: | ---: | --- |',
    )
    for (const r of scaled) {
      lines.push(`| ${r.name} | ${us(r.ours.p50Ms)} | ${us(r.exact!.p50Ms)} | ${fmt(r.p50OverExact!, 2)}× | ${verdict(r.p50OverExact! <= 0.4, r.fullSize)} |`)
    }
  }
  return lines.join('\n')
}
