/**
 * The brain rows of `npm run bench:postgres` (issue 21): recording a memory and
 * hybrid search, on SQLite (a brain.db file) and on PostgreSQL (a schema of the
 * bench's server), at growing store sizes — the cost curve of each engine.
 *
 * One store per engine grows through the sizes (`--memories=10000,100000`). The
 * SQLite store is filled through the API, `recordMany` batches of 500 observations
 * (the texts and the 384-d feature-hashing embedder of `bench/workloads/brain.ts`);
 * afterwards the PostgreSQL store gets copies of the same rows, vectors and codes by
 * bulk `INSERT`, size by size (through the API it costs ~10 ms per memory on this
 * machine, ~20 minutes for 100 000: every statement is a round trip; the per-record
 * cost is the **record** column). Then at each size, on each engine:
 * - **record**: `brain.record` of one new observation (embed, duplicate check, row,
 *   vector, code), `--brain-records` times; the median.
 * - **hybrid search**: `brain.search(q, { mode: 'hybrid', limit: 10 })` over
 *   `--brain-queries` different queries after one warm-up; the median. Two paths
 *   per engine, each a handle of its own on the same store: **exact** (every vector
 *   scanned: `exactSearchUpTo: Infinity`) and **binary** (Hamming pre-selection +
 *   exact re-rank without measuring first: `exactSearchUpTo: 0, binaryPreselection:
 *   'always'`, oversampling 10).
 * PostgreSQL without pgvector (the server here) keeps vectors as `real[]` and
 * scans them in SQL (see src/brain/postgres-vectors.ts).
 */
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import pg from 'pg'
import * as sqliteVec from 'sqlite-vec'

import type { BrainRepository, BrainSearchTuning } from '../src/brain/index.js'
import { BrainRepository as Brain } from '../src/brain/index.js'
import { embedder, memoryText } from './workloads/brain.js'

export interface BrainBenchRow {
  readonly engine: 'sqlite' | 'postgres'
  readonly memories: number
  /** Seconds to grow the store to `memories` from the previous size (SQLite: recordMany, batches of 500; PostgreSQL: the bulk copy). */
  readonly fillSeconds: number
  readonly recordMs: number
  readonly exactSearchMs: number
  readonly binarySearchMs: number
  /** The vector backend the PostgreSQL store recorded (`embedding.backend`), or sqlite-vec. */
  readonly backend: string
}

const QUERIES = [
  'sqlite writer busy after deploy',
  'flaky test network latency',
  'memory leak heap profile trace',
  'vector search rank fusion recall',
  'backup restore migrate replica',
  'token budget prompt model',
  'release review merge branch',
  'queue lease retry transaction',
]

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)]!
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - start) / 1e6
}

const EXACT: BrainSearchTuning = { exactSearchUpTo: Infinity }
const BINARY: BrainSearchTuning = { exactSearchUpTo: 0, binaryPreselection: 'always' }

/**
 * Measures one engine through every size. `open(tuning)` opens a handle on the
 * engine's store (created by the first call).
 */
async function measure(
  engine: BrainBenchRow['engine'],
  open: (tuning: BrainSearchTuning) => Promise<BrainRepository>,
  /** Grows the store to `size`; returns the seconds to report when not its own duration. */
  grow: (writer: BrainRepository, size: number) => Promise<number | void>,
  options: { sizes: readonly number[]; records: number; queries: number; log: (line: string) => void },
): Promise<BrainBenchRow[]> {
  const rows: BrainBenchRow[] = []
  const writer = await open(EXACT)
  let extra = 0
  try {
    for (const size of options.sizes) {
      const start = process.hrtime.bigint()
      const reported = await grow(writer, size)
      const fillSeconds = reported ?? Number(process.hrtime.bigint() - start) / 1e9
      const record: number[] = []
      for (let i = 0; i < options.records; i++) {
        // Texts no other row has (the bulk copy and the other engine's records use the same numbering).
        const text = memoryText(10_000_000 + size + extra++)
        record.push(await timed(() => writer.record({ kind: 'observation', ...text })))
      }
      const search = async (tuning: BrainSearchTuning) => {
        const brain = await open(tuning)
        try {
          await brain.search(QUERIES[0]!, { mode: 'hybrid', limit: 10 })
          const times: number[] = []
          for (let q = 0; q < options.queries; q++) {
            times.push(await timed(() => brain.search(QUERIES[q % QUERIES.length]!, { mode: 'hybrid', limit: 10 })))
          }
          return median(times)
        } finally {
          await brain.close()
        }
      }
      const exactSearchMs = await search(EXACT)
      const binarySearchMs = await search(BINARY)
      const backend =
        engine === 'sqlite'
          ? 'sqlite-vec'
          : ((await writer.kysely.selectFrom('brain_schema_meta').select('value').where('key', '=', 'embedding.backend').executeTakeFirst())?.value ?? '?')
      const row = { engine, memories: size, fillSeconds, recordMs: median(record), exactSearchMs, binarySearchMs, backend }
      options.log(`  ${engine} at ${size}: record ${row.recordMs.toFixed(2)} ms, hybrid exact ${exactSearchMs.toFixed(1)} ms, binary ${binarySearchMs.toFixed(1)} ms (fill ${fillSeconds.toFixed(0)} s)`)
      rows.push(row)
    }
  } finally {
    await writer.close()
  }
  return rows
}

/** A grower through the API: observations `memoryText(0…size − 1)`, in `recordMany` batches of 500. */
function apiGrower(name: string, log: (line: string) => void): (writer: BrainRepository, size: number) => Promise<void> {
  let filled = 0
  return async (writer, size) => {
    for (; filled < size; ) {
      const batch = []
      for (let i = filled; i < Math.min(size, filled + 500); i++) batch.push({ kind: 'observation' as const, ...memoryText(i) })
      await writer.recordMany(batch)
      filled += batch.length
      if (filled % 10_000 === 0) log(`  ${name}: ${filled} memories…`)
    }
  }
}

const OBSERVATION_COLUMNS = [
  'seq', 'id', 'type', 'title', 'subtitle', 'narrative', 'facts_json', 'concepts_json', 'files_read_json', 'files_modified_json',
  'project', 'source_session_id', 'source_type', 'agent', 'discovery_tokens', 'quality_score', 'memory_tier', 'memory_type',
  'verified', 'source_confidence', 'citation_count', 'valid_at', 'invalid_at', 'superseded_by', 'tier_promoted_at',
  'tier_promotion_reason', 'content_hash', 'idempotency_key', 'created_at', 'updated_at',
]
const OBSERVATION_KEY_BASE = 4 * 2 ** 40

/** Multi-row INSERT of `rows` (each `columns.length` values) into `table`, 500 rows per statement. */
async function insertRows(client: pg.Client, table: string, columns: readonly string[], rows: unknown[][], casts: readonly string[] = []): Promise<void> {
  for (let start = 0; start < rows.length; start += 500) {
    const chunk = rows.slice(start, start + 500)
    const values = chunk.map(
      (_, r) => `(${columns.map((_, c) => `$${r * columns.length + c + 1}${casts[c] ? `::${casts[c]}` : ''}`).join(', ')})`,
    )
    await client.query(`insert into ${table} (${columns.join(', ')}) values ${values.join(', ')}`, chunk.flat())
  }
}

/** The `i` of an observation titled by `memoryText(i)`. */
const runOf = (title: string) => Number(/observed in run (\d+)$/.exec(title)?.[1] ?? -1)

/**
 * Copies the observations `memoryText(from…to − 1)` of the SQLite store with their
 * vectors and codes — the rows cleo-store wrote, as they are (not the bench's
 * measured records) — and moves the identity past them.
 */
async function copyToPostgres(file: string, url: string, schema: string, from: number, to: number): Promise<void> {
  const lite = new DatabaseSync(file, { readOnly: true, allowExtension: true })
  lite.loadExtension(sqliteVec.getLoadablePath())
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`set search_path to "${schema}"`)
    const rows = (lite.prepare(`SELECT ${OBSERVATION_COLUMNS.join(', ')} FROM brain_observations ORDER BY seq`).all() as Array<Record<string, unknown>>).filter(
      (row) => runOf(String(row['title'])) >= from && runOf(String(row['title'])) < to,
    )
    const keys = new Set(rows.map((row) => OBSERVATION_KEY_BASE + Number(row['seq'])))
    await client.query('begin')
    await insertRows(client, 'brain_observations', OBSERVATION_COLUMNS, rows.map((row) => OBSERVATION_COLUMNS.map((c) => row[c] ?? null)))
    const vectors = (lite.prepare('SELECT rowid AS key, embedding, kind FROM brain_embeddings').all() as Array<{ key: number; embedding: Uint8Array; kind: string }>).filter(
      (v) => keys.has(v.key),
    )
    await insertRows(
      client,
      'brain_embeddings',
      ['key', 'kind', 'embedding'],
      vectors.map((v) => [v.key, v.kind, Array.from(new Float32Array(v.embedding.buffer.slice(v.embedding.byteOffset, v.embedding.byteOffset + v.embedding.byteLength)))]),
      ['', '', 'real[]'],
    )
    const codes = (lite.prepare('SELECT memory_key AS key, code FROM brain_embedding_codes').all() as Array<{ key: number; code: Uint8Array }>).filter((c) => keys.has(c.key))
    await insertRows(client, 'brain_embedding_codes', ['memory_key', 'code'], codes.map((c) => [c.key, Buffer.from(c.code)]))
    await client.query(`select setval(pg_get_serial_sequence('brain_observations', 'seq'), (select max(seq) from brain_observations))`)
    await client.query('commit')
    // Statistics for the planner, as autovacuum would gather them for a store that grew gradually.
    await client.query('analyze brain_observations, brain_embeddings, brain_embedding_codes')
  } finally {
    await client.end()
    lite.close()
  }
}

/**
 * Runs the brain rows on both engines: SQLite in `dir`, PostgreSQL in `schema` of
 * `url`. The SQLite store grows first through every size; the PostgreSQL store then
 * grows by copies of its rows.
 */
export async function brainBench(
  url: string,
  dir: string,
  schema: string,
  options: { sizes: readonly number[]; records: number; queries: number; log: (line: string) => void },
): Promise<BrainBenchRow[]> {
  const file = join(dir, 'brain-bench.db')
  const sqlite = await measure('sqlite', (searchTuning) => Brain.open(file, { embedder, searchTuning }), apiGrower('sqlite', options.log), options)
  // PostgreSQL gets copies of the SQLite store's rows (its memoryText rows, not its measured records).
  let copied = 0
  const postgres = await measure(
    'postgres',
    (searchTuning) => Brain.openPostgres(url, { schema, embedder, searchTuning }),
    async (_writer, size) => {
      await copyToPostgres(file, url, schema, copied, size)
      copied = size
    },
    options,
  )
  return [...sqlite, ...postgres]
}

const f = (n: number) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0))

/** The Markdown table of the brain rows, with the cost curve (per-query time at each size over the first size's). */
export function brainTable(rows: readonly BrainBenchRow[]): string {
  const out = [
    '| memories | engine (vectors) | fill from previous size (s; PostgreSQL: bulk copy) | record, median ms | hybrid search, exact path, median ms | hybrid search, binary pre-selection, median ms | exact search cost × first size |',
    '|---:|---|---:|---:|---:|---:|---:|',
  ]
  for (const row of rows) {
    const first = rows.find((r) => r.engine === row.engine)!
    out.push(
      `| ${row.memories} | ${row.engine === 'sqlite' ? 'SQLite (sqlite-vec)' : `PostgreSQL (${row.backend})`} | ${f(row.fillSeconds)} | ${f(row.recordMs)} | ${f(row.exactSearchMs)} | ${f(row.binarySearchMs)} | ${(row.exactSearchMs / first.exactSearchMs).toFixed(1)}× |`,
    )
  }
  return out.join('\n')
}
