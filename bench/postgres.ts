/**
 * `npm run bench:postgres [-- --jobs=1000 --rounds=3 --workers=1,4,8 --samples=200 --gap=250 --ack-rc]`
 * `[--only=conduit|brain --memories=10000,100000 --brain-records=50 --brain-queries=5]`:
 * conduit's delivery queue and wake-ups on PostgreSQL and on SQLite, side by side
 * (issue 20), then brain's record and hybrid search at growing sizes (issue 21,
 * `bench/postgres-brain.ts`; results in bench/results/postgres-brain.json). Uses the server of `CLEO_BENCH_PG_URL` (in schemas of its own, dropped
 * at the end) or starts a throw-away one with `scripts/test-postgres.sh start` and
 * stops it at the end. Writes bench/results/postgres.json and prints Markdown tables.
 *
 * - **claim → ack throughput**: `jobs` jobs are enqueued, then `n` forked worker
 *   processes each loop `queue.claim(1)` → `queue.ack` until a claim comes back empty.
 *   All workers are opened and connected first and released together; the time is
 *   from the release to the last worker's end (`process.hrtime`, monotonic across
 *   processes). Contenders: cleo-store on a conduit.db file the processes share,
 *   cleo-store on PostgreSQL, and raw `pg` sending the statements cleo-store sends
 *   (captured from it, see `bench/postgres-raw.ts`). For each worker count the three
 *   alternate over `rounds` rounds (forward, reversed, forward, …), each on a fresh
 *   queue, and each keeps its best round. `--ack-rc` adds a diagnostic fourth: raw
 *   with the ack transaction `READ COMMITTED` instead of `SERIALIZABLE`. After every run every job must be `done`
 *   after exactly one claim and acked by exactly one worker, or the bench fails.
 * - **send → wake latency**: as `bench/wake.ts`: a forked child waits
 *   (`queue.wait` / `inbox.wait`), this process enqueues / sends after a random
 *   idle gap in [0, gap] ms; latency = the child's wake stamp minus the moment the
 *   write was called here. The inbox waiter marks read the message whose id this
 *   process hands it (not `inbox.page`, which does not run on PostgreSQL yet), on
 *   both engines.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { promisify } from 'node:util'

import pg from 'pg'

import { ConduitRepository } from '../src/conduit/conduit-repository.js'
import { forkChild } from './ipc.js'
import type { LatencySummary } from './latency.js'
import { summariseLatencies } from './latency.js'
import { brainBench, brainTable } from './postgres-brain.js'
import { captureCycle } from './postgres-raw.js'

const args = process.argv.slice(2)
const arg = (name: string, fallback: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback
const JOBS = Number(arg('jobs', '1000'))
const WORKERS = arg('workers', '1,4,8').split(',').map(Number)
const ROUNDS = Number(arg('rounds', '3'))
const SAMPLES = Number(arg('samples', '200'))
const GAP_MS = Number(arg('gap', '250'))
/** `--ack-rc`: a fourth contender, raw with the ack transaction READ COMMITTED (diagnostic). */
const ACK_RC = args.includes('--ack-rc')
/** `--only=conduit` or `--only=brain`: one part of the bench (default both). */
const ONLY = arg('only', 'all')
const BRAIN_SIZES = arg('memories', '10000,100000').split(',').map(Number)
const BRAIN_RECORDS = Number(arg('brain-records', '50'))
const BRAIN_QUERIES = Number(arg('brain-queries', '5'))
const CHILD = join(import.meta.dirname, 'postgres-child.ts')
const REPO = resolve(import.meta.dirname, '..')

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms))
const execFileAsync = promisify(execFile)

type Contender = 'ours-sqlite' | 'ours-postgres' | 'raw-postgres' | 'raw-postgres-rc'

// ── the server ──

interface Server {
  readonly url: string
  stop(): Promise<void>
}

async function startServer(): Promise<Server> {
  const given = process.env['CLEO_BENCH_PG_URL']
  if (given) return { url: given, stop: async () => {} }
  const { stdout } = await execFileAsync('bash', [join(REPO, 'scripts/test-postgres.sh'), 'start'], { cwd: REPO, timeout: 300_000 })
  const url = /^export CLEO_TEST_PG_URL=(\S+)$/m.exec(stdout)?.[1]
  const dir = /^export CLEO_TEST_PG_DIR=(\S+)$/m.exec(stdout)?.[1]
  if (!url || !dir) throw new Error(`scripts/test-postgres.sh start gave no server: ${stdout.trim()}`)
  return { url, stop: () => execFileAsync('bash', [join(REPO, 'scripts/test-postgres.sh'), 'stop', dir]).then(() => {}) }
}

// ── children ──

const child = (argv: string[]) => forkChild(CHILD, argv)

// ── load average, sampled through the run ──

const loadSamples: number[] = []
const loadTimer = setInterval(() => loadSamples.push(loadavg()[0]!), 5000)

// ── claim → ack throughput ──

interface ThroughputRow {
  readonly contender: Contender
  readonly workers: number
  readonly jobs: number
  readonly seconds: number
  readonly jobsPerSecond: number
  /** CPU time (user + system) of the worker processes over their loops, per job: the client's cost. */
  readonly clientCpuMicrosPerJob: number
  /** Raw contenders: ack transactions retried after a serialization failure. */
  readonly rawAckRetries: number
  /** PostgreSQL contenders: transactions the server rolled back during the run (pg_stat_database). */
  readonly serverRollbacks: number | null
  readonly loadAverage: number
}

/** Runs `fn` on a fresh connection to `url`, closed afterwards. */
async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

function rollbacks(url: string): Promise<number> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ n: string }>('SELECT xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()')
    return Number(rows[0]?.n ?? 0)
  })
}

async function throughput(server: Server, dir: string, contender: Contender, workers: number, run: number): Promise<ThroughputRow> {
  const postgres = contender !== 'ours-sqlite'
  const schema = `bench_tp_${process.pid}_${run}`
  const target = postgres ? server.url : join(dir, `queue-${run}.db`)
  const open = () => (postgres ? ConduitRepository.openPostgres(server.url, { schema }) : ConduitRepository.open(target))
  let recipeFile = '-'
  if (contender.startsWith('raw-postgres')) {
    const pool = new pg.Pool({ connectionString: server.url, max: 2 })
    try {
      const recipe = await captureCycle(pool, (p, clock) => ConduitRepository.openPostgres(p, { schema, clock }), 'capture')
      recipeFile = join(dir, `recipe-${run}.json`)
      writeFileSync(recipeFile, JSON.stringify(recipe))
    } finally {
      await pool.end()
    }
  }
  const conduit = await open()
  for (let i = 0; i < JOBS; i += 500) {
    await conduit.queue.enqueueMany(Array.from({ length: Math.min(500, JOBS - i) }, (_, k) => ({ queue: 'bench', payload: { n: i + k } })))
  }
  await conduit.close()

  const procs = Array.from({ length: workers }, () => child(['worker', contender, target, schema, recipeFile]))
  for (const p of procs) await p.next()
  const rolledBefore = postgres ? await rollbacks(server.url) : 0
  const load = loadavg()[0]!
  const released = process.hrtime.bigint()
  for (const p of procs) p.proc.send({ go: true })
  const reports = await Promise.all(procs.map((p) => p.next<{ ids: number[]; retries: number; cpuMicros: number; finished: string }>()))
  await Promise.all(procs.map((p) => p.exited))
  const end = reports.reduce((max, r) => (BigInt(r.finished) > max ? BigInt(r.finished) : max), released)
  const seconds = Number(end - released) / 1e9
  // Backends count their transactions when they end: the workers' connections are closed by now.
  await sleep(500)
  const serverRollbacks = postgres ? (await rollbacks(server.url)) - rolledBefore : null

  await verify(contender, server.url, schema, target, reports.map((r) => r.ids))
  return {
    contender,
    workers,
    jobs: JOBS,
    seconds,
    jobsPerSecond: JOBS / seconds,
    clientCpuMicrosPerJob: reports.reduce((sum, r) => sum + r.cpuMicros, 0) / JOBS,
    rawAckRetries: reports.reduce((sum, r) => sum + r.retries, 0),
    serverRollbacks,
    loadAverage: load,
  }
}

/** Every job done, claimed once, acked by exactly one worker: else the run is wrong and the bench fails. */
async function verify(contender: Contender, url: string, schema: string, file: string, acked: number[][]): Promise<void> {
  const all = acked.flat()
  const distinct = new Set(all)
  const countsSql = (prefix: string) => `SELECT
      count(*) AS total,
      count(*) FILTER (WHERE status = 'done' AND attempts = 1) AS done_once
    FROM ${prefix}delivery_jobs WHERE queue = 'bench'`
  let total: number
  let doneOnce: number
  let ids: Set<number>
  if (contender === 'ours-sqlite') {
    const db = new DatabaseSync(file, { readOnly: true })
    try {
      const row = db.prepare(countsSql('')).get() as { total: number; done_once: number }
      total = Number(row.total)
      doneOnce = Number(row.done_once)
      ids = new Set((db.prepare("SELECT id FROM delivery_jobs WHERE queue = 'bench'").all() as Array<{ id: number }>).map((r) => Number(r.id)))
    } finally {
      db.close()
    }
  } else {
    ;({ total, doneOnce, ids } = await withClient(url, async (client) => {
      const { rows } = await client.query<{ total: string; done_once: string }>(countsSql(`"${schema}".`))
      const stored = await client.query<{ id: string }>(`SELECT id FROM "${schema}".delivery_jobs WHERE queue = 'bench'`)
      return { total: Number(rows[0]!.total), doneOnce: Number(rows[0]!.done_once), ids: new Set(stored.rows.map((r) => Number(r.id))) }
    }))
  }
  const problems: string[] = []
  if (total !== JOBS) problems.push(`${total} jobs in the queue, ${JOBS} enqueued`)
  if (doneOnce !== JOBS) problems.push(`${doneOnce} of ${JOBS} jobs done after exactly one claim`)
  if (all.length !== JOBS) problems.push(`the workers acked ${all.length} times`)
  if (distinct.size !== all.length) problems.push(`${all.length - distinct.size} jobs acked twice`)
  for (const id of distinct) if (!ids.has(id)) problems.push(`acked job ${id} is not in the queue`)
  if (problems.length > 0) throw new Error(`${contender}, ${acked.length} workers: ${problems.slice(0, 5).join('; ')}`)
}

// ── send → wake latency ──

interface WakeRow extends LatencySummary {
  readonly engine: 'sqlite' | 'postgres'
  readonly kind: 'queue' | 'inbox'
  readonly loadAverage: number
  /** Median time the write itself took here (from the call to its return): part of every latency. */
  readonly writeP50Ms: number
}

async function wake(server: Server, dir: string, engine: WakeRow['engine'], kind: WakeRow['kind'], run: number): Promise<WakeRow> {
  const schema = `bench_wake_${process.pid}_${run}`
  const target = engine === 'postgres' ? server.url : join(dir, `wake-${run}.db`)
  const conduit = engine === 'postgres' ? await ConduitRepository.openPostgres(target, { schema }) : await ConduitRepository.open(target)
  try {
    await conduit.agentRefs.attach('alice')
    await conduit.agentRefs.attach('bob')
    const waiter = child(['waiter', engine, target, schema, kind])
    await waiter.next()
    const load = loadavg()[0]!
    const write = async (i: number, stop: boolean) => {
      if (kind === 'inbox') {
        const { message } = await conduit.messages.send({ from: 'alice', to: 'bob', content: stop ? 'stop' : `ping ${i}` })
        waiter.proc.send({ id: message.id, stop })
      } else {
        await conduit.queue.enqueue({ queue: 'wake', payload: stop ? 'stop' : i })
      }
    }
    const latencies: bigint[] = []
    const writes: bigint[] = []
    for (let i = 0; i < SAMPLES; i++) {
      await sleep(Math.random() * GAP_MS)
      const sent = process.hrtime.bigint()
      await write(i, false)
      writes.push(process.hrtime.bigint() - sent)
      const { woke } = await waiter.next<{ woke: string }>()
      latencies.push(BigInt(woke) - sent)
    }
    await write(SAMPLES, true)
    await waiter.exited
    return { engine, kind, ...summariseLatencies(latencies), loadAverage: load, writeP50Ms: summariseLatencies(writes).p50Ms }
  } finally {
    await conduit.close()
  }
}

// ── the run ──

function dropSchemas(url: string): Promise<void> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ name: string }>(
      `SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE 'bench\\_tp\\_${process.pid}\\_%' OR nspname LIKE 'bench\\_wake\\_${process.pid}\\_%' OR nspname = 'bench_brain_${process.pid}'`,
    )
    for (const { name } of rows) await client.query(`DROP SCHEMA "${name}" CASCADE`)
  })
}

function serverFacts(url: string): Promise<string> {
  return withClient(url, async (client) => {
    const setting = async (name: string) => (await client.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name]
    return `PostgreSQL ${await setting('server_version')} on ${new URL(url).hostname} (fsync=${await setting('fsync')}, synchronous_commit=${await setting('synchronous_commit')})`
  })
}

const f = (n: number) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0))
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`

function tables(rows: ThroughputRow[], wakeRows: WakeRow[]): string {
  const out: string[] = []
  out.push(
    `| workers | SQLite, ours (jobs/s) | PostgreSQL, ours (jobs/s) | PostgreSQL, raw pg (jobs/s) | **PG ours / raw** | **PG / SQLite** (ours) | worker CPU µs/job SQLite / PG ours / PG raw | raw ack retries | server rollbacks ours / raw |` +
      (ACK_RC ? ' raw pg, ack READ COMMITTED (jobs/s) |' : ''),
  )
  out.push(`|---:|---:|---:|---:|---:|---:|---:|---:|---:|${ACK_RC ? '---:|' : ''}`)
  for (const workers of WORKERS) {
    const get = (c: Contender) => rows.find((r) => r.workers === workers && r.contender === c)!
    const [s, o, r] = [get('ours-sqlite'), get('ours-postgres'), get('raw-postgres')]
    const rc = rows.find((x) => x.workers === workers && x.contender === 'raw-postgres-rc')
    out.push(
      `| ${workers} | ${f(s.jobsPerSecond)} | ${f(o.jobsPerSecond)} | ${f(r.jobsPerSecond)} | ${ratio(o.jobsPerSecond, r.jobsPerSecond)} | ${ratio(o.jobsPerSecond, s.jobsPerSecond)} | ${f(s.clientCpuMicrosPerJob)} / ${f(o.clientCpuMicrosPerJob)} / ${f(r.clientCpuMicrosPerJob)} | ${r.rawAckRetries} | ${o.serverRollbacks} / ${r.serverRollbacks} |` +
        (rc ? ` ${f(rc.jobsPerSecond)} (${rc.rawAckRetries} retries) |` : ''),
    )
  }
  out.push('')
  out.push('| send → wake, other process | engine | samples | p50 ms | p90 ms | p99 ms | max ms | mean ms | the write alone, p50 ms | **p50 PG / SQLite** |')
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const w of wakeRows) {
    const what = w.kind === 'queue' ? 'queue.enqueue → queue.wait' : 'messages.send → inbox.wait'
    const sqlite = wakeRows.find((x) => x.kind === w.kind && x.engine === 'sqlite')
    const cmp = w.engine === 'postgres' && sqlite ? ratio(w.p50Ms, sqlite.p50Ms) : ''
    out.push(`| ${what} | ${w.engine === 'postgres' ? 'PostgreSQL (LISTEN/NOTIFY)' : 'SQLite (-wal hint + poll)'} | ${w.samples} | ${f(w.p50Ms)} | ${f(w.p90Ms)} | ${f(w.p99Ms)} | ${f(w.maxMs)} | ${f(w.meanMs)} | ${f(w.writeP50Ms)} | ${cmp} |`)
  }
  return out.join('\n')
}

const server = await startServer()
const root = mkdtempSync(join(tmpdir(), 'cleo-pg-bench-'))
const loadBefore = loadavg()
try {
  const facts = await serverFacts(server.url)
  if (ONLY !== 'brain') {
    const rows: ThroughputRow[] = []
    const rounds: ThroughputRow[] = []
    let run = 0
    const contenders: Contender[] = ['ours-sqlite', 'ours-postgres', 'raw-postgres', ...(ACK_RC ? (['raw-postgres-rc'] as const) : [])]
    for (const workers of WORKERS) {
      // The contenders alternate (forward, reversed, forward, …); each keeps its best round.
      for (let round = 0; round < ROUNDS; round++) {
        for (const contender of round % 2 === 0 ? contenders : [...contenders].reverse()) {
          process.stdout.write(`claim → ack: ${contender}, ${workers} worker(s), ${JOBS} jobs, round ${round + 1}/${ROUNDS}…`)
          const row = await throughput(server, root, contender, workers, ++run)
          process.stdout.write(` ${f(row.jobsPerSecond)} jobs/s\n`)
          rounds.push(row)
        }
      }
      for (const contender of contenders) {
        const mine = rounds.filter((r) => r.workers === workers && r.contender === contender)
        rows.push(mine.reduce((best, r) => (r.jobsPerSecond > best.jobsPerSecond ? r : best)))
      }
    }
    const wakeRows: WakeRow[] = []
    for (const kind of ['queue', 'inbox'] as const) {
      for (const engine of ['sqlite', 'postgres'] as const) {
        process.stdout.write(`send → wake: ${kind} on ${engine}, ${SAMPLES} samples…\n`)
        wakeRows.push(await wake(server, root, engine, kind, ++run))
      }
    }
    const loadAfter = loadavg()
    const machine = `${cpus()[0]?.model ?? 'unknown CPU'} ×${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, SQLite ${process.versions.sqlite}, ${facts}`
    const during = loadSamples.length > 0 ? `${Math.min(...loadSamples).toFixed(1)}–${Math.max(...loadSamples).toFixed(1)}` : 'n/a'
    const load = `load average (1 min) ${loadBefore[0]!.toFixed(2)} before, ${during} during (every 5 s), ${loadAfter[0]!.toFixed(2)} after`
    const table = tables(rows, wakeRows)
    console.log(`\n${machine}\n${load}\n${JOBS} jobs per throughput run, best of ${ROUNDS} alternating rounds; ${SAMPLES} wake samples per row, idle gap uniform in [0, ${GAP_MS}] ms\n`)
    console.log(table)
    mkdirSync(join(import.meta.dirname, 'results'), { recursive: true })
    writeFileSync(
      join(import.meta.dirname, 'results', 'postgres.json'),
      `${JSON.stringify({ machine, load, loadSamples, date: new Date().toISOString(), jobs: JOBS, rounds: ROUNDS, samples: SAMPLES, gapMs: GAP_MS, throughput: rows, throughputRounds: rounds, wake: wakeRows, markdown: table }, null, 2)}\n`,
    )
  }
  if (ONLY !== 'conduit') {
    const brainLoadBefore = loadavg()
    const brainStart = loadSamples.length
    console.log(`brain: record and hybrid search at ${BRAIN_SIZES.join(', ')} memories, SQLite then PostgreSQL…`)
    const brainRows = await brainBench(server.url, root, `bench_brain_${process.pid}`, {
      sizes: BRAIN_SIZES,
      records: BRAIN_RECORDS,
      queries: BRAIN_QUERIES,
      log: (line) => console.log(line),
    })
    const samples = loadSamples.slice(brainStart)
    const during = samples.length > 0 ? `${Math.min(...samples).toFixed(1)}–${Math.max(...samples).toFixed(1)}` : 'n/a'
    const machine = `${cpus()[0]?.model ?? 'unknown CPU'} ×${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, SQLite ${process.versions.sqlite}, ${facts}`
    const load = `load average (1 min) ${brainLoadBefore[0]!.toFixed(2)} before, ${during} during (every 5 s), ${loadavg()[0]!.toFixed(2)} after`
    const table = brainTable(brainRows)
    console.log(`\n${machine}\n${load}\n${BRAIN_RECORDS} records and ${BRAIN_QUERIES} hybrid searches (limit 10) per row; 384-d feature-hashing vectors\n`)
    console.log(table)
    mkdirSync(join(import.meta.dirname, 'results'), { recursive: true })
    writeFileSync(
      join(import.meta.dirname, 'results', 'postgres-brain.json'),
      `${JSON.stringify({ machine, load, date: new Date().toISOString(), records: BRAIN_RECORDS, queries: BRAIN_QUERIES, rows: brainRows, markdown: table }, null, 2)}\n`,
    )
  }
} finally {
  clearInterval(loadTimer)
  rmSync(root, { recursive: true, force: true })
  if (process.env['CLEO_BENCH_PG_URL']) await dropSchemas(server.url).catch((error: unknown) => console.error(`could not drop the bench schemas: ${String(error)}`))
  await server.stop()
}
