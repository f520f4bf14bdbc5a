/**
 * brain.db workloads: recording a memory (with its 384-d embedding) and hybrid
 * search (full text + vector kNN, fused) over 100k memories.
 *
 * Every contender computes embeddings with the same embedder (the feature-hashing
 * one that ships with cleo-store, 384 dimensions), so that cost is equal. Raw runs
 * the statements ours runs (captured from one run of ours) on a copy of the same
 * seeded file with sqlite-vec loaded: for record, the duplicate check, the row
 * insert, the vector insert and its binary code (issue 19) in one transaction; for search, exactly the captured
 * reads with their arguments in one read transaction. Raw does not fuse or map the
 * results. Drizzle runs the same statements through its `sql` template.
 */
import { createHash, randomUUID } from 'node:crypto'
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { drizzle } from 'drizzle-orm/node-sqlite'
import * as sqliteVec from 'sqlite-vec'

import type { Embedder } from '../../src/brain/index.js'
import { BRAIN_DEFAULT_MMAP_SIZE, BrainRepository, FeatureHashingEmbedder } from '../../src/brain/index.js'
import { binaryCode, EMBEDDING_META, quantizeInt8 } from '../../src/brain/vector-index.js'
import type { Workload } from '../harness.js'
import type { CapturedCall } from './common.js'
import { captureCalls, size, withParams } from './common.js'
import { prng } from '../../test/brain/fixtures/prng.js'

export const embedder = new FeatureHashingEmbedder({ dimensions: 384 })
const defaultEmbedder = embedder

/** FNV-1a of a string. */
function fnv(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h >>> 0
}

function gaussians(random: () => number, n: number, scale: number): Float32Array {
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random())
  return out
}

/**
 * A synthetic embedder with the structure of a sentence model's output (issue 19
 * item 7): each text is hashed to one of 1 000 topics and one of 16 subtopics of it;
 * its vector is topic + 0.6 × subtopic + 0.35 × noise (each a seeded Gaussian
 * vector). Neighbours are then the texts of the same subtopic, then of the same
 * topic — unlike the feature-hashing corpus of the other rows, whose generator
 * repeats a 48-word vocabulary so that its top 10 are ties among ~1 000 near-duplicates.
 */
export class TopicEmbedder implements Embedder {
  readonly dimensions = 384
  readonly modelId = 'bench-topics-v1/384/1000x16'
  readonly #topics: Float32Array[]
  readonly #subtopics: Float32Array[]
  constructor() {
    const random = prng(20261202)
    this.#topics = Array.from({ length: 1000 }, () => gaussians(random, 384, 1))
    this.#subtopics = Array.from({ length: 16_000 }, () => gaussians(random, 384, 0.6))
  }
  embedOne(text: string): Float32Array {
    const h = fnv(text)
    const topic = h % 1000
    const sub = this.#subtopics[topic * 16 + ((h >>> 10) % 16)]!
    const t = this.#topics[topic]!
    const v = gaussians(prng(h), 384, 0.35)
    for (let i = 0; i < 384; i++) v[i]! += t[i]! + sub[i]!
    return v
  }
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedOne(t))
  }
}

const VOCABULARY = (
  'deploy pipeline timeout cache cold warm sqlite writer lock busy retry transaction agent task parser schema queue lease ' +
  'index query plan release review merge branch commit test flaky network latency memory leak heap profile trace span ' +
  'token budget prompt model embedding vector search rank fusion recall precision shard replica backup restore migrate'
).split(' ')

export function memoryText(i: number): { title: string; narrative: string } {
  const w = (k: number) => VOCABULARY[(i * k + k * 3) % VOCABULARY.length]!
  return { title: `${w(7)} ${w(11)} ${w(13)} observed in run ${i}`, narrative: `${w(17)} ${w(19)} ${w(23)} ${w(29)} ${w(31)} after ${w(37)}` }
}

function openRawVec(file: string): DatabaseSync {
  const db = new DatabaseSync(file, { timeout: 5000, allowExtension: true })
  db.loadExtension(sqliteVec.getLoadablePath())
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA mmap_size = ${BRAIN_DEFAULT_MMAP_SIZE}`)
  return db
}

async function threeFiles(dir: string, memories: number, embedder: Embedder = defaultEmbedder, copies = true) {
  const files = { ours: join(dir, 'ours.db'), raw: join(dir, 'raw.db'), drizzle: join(dir, 'drizzle.db') }
  const seed = await BrainRepository.open(files.ours, { embedder })
  for (let start = 0; start < memories; start += 1000) {
    const batch = []
    for (let i = start; i < Math.min(memories, start + 1000); i++) batch.push({ kind: 'observation' as const, ...memoryText(i) })
    await seed.recordMany(batch)
  }
  await seed.close()
  if (copies) {
    copyFileSync(files.ours, files.raw)
    copyFileSync(files.ours, files.drizzle)
  } else {
    // Large stores: raw and Drizzle read the same file (searches only read).
    files.raw = files.ours
    files.drizzle = files.ours
  }
  // Ours opens with the default tuning: above 20 000 vectors the store measures the
  // binary path on itself on this open and records its plan (see vector-index.ts).
  const ours = await BrainRepository.open(files.ours, { embedder })
  const exact = await BrainRepository.open(files.ours, { embedder, searchTuning: { binaryPreselection: 'never' } })
  const raw = openRawVec(files.raw)
  const dz = drizzle({ client: openRawVec(files.drizzle) })
  return {
    ours,
    exact,
    raw,
    dz,
    plan: planOf(files.ours),
    teardown: async () => {
      await ours.close()
      await exact.close()
      raw.close()
      dz.$client.close()
    },
  }
}

/** The search plan the store recorded (JSON in brain_schema_meta), for the notes. */
function planOf(file: string): string {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    const row = db.prepare('SELECT value FROM brain_schema_meta WHERE key = ?').get(EMBEDDING_META.searchPlan) as { value: string } | undefined
    if (row === undefined) return 'no plan recorded (exact: at or below exactSearchUpTo)'
    const plan = JSON.parse(row.value) as { plan: string; recall: number }
    return `store's measured plan: ${plan.plan} (binary recall@10 ${plan.recall})`
  } finally {
    db.close()
  }
}

function replay(db: DatabaseSync, calls: readonly CapturedCall[]): void {
  for (const call of calls) db.prepare(call.sql)[call.method](...(call.args as never[]))
}

export const brainWorkloads: Workload[] = [
  {
    name: 'brain: memory record (384-d embedding)',
    kind: 'write',
    async setup(dir) {
      const { ours, raw, dz, teardown } = await threeFiles(dir, size(10_000, 1_000))
      const calls = await captureCalls(() => ours.record({ kind: 'observation', title: 'capture title', narrative: 'capture' }))
      // The row insert returns its seq (RETURNING, as on PostgreSQL); vector and code inserts return nothing.
      const inserts = calls.filter((c) => /^\s*insert/i.test(c.sql))
      const [dedup, meta, insertRow, insertVec, insertCode] = [calls[0]!, calls[2]!, inserts[0]!, inserts[1]!, inserts[2]!]
      if (
        calls.length !== 6 ||
        !/insert into "brain_observations"/.test(insertRow.sql) ||
        !/brain_embeddings/.test(insertVec.sql) ||
        !/brain_embedding_codes/.test(insertCode.sql)
      ) {
        throw new Error('memory record ran other statements; update the workload')
      }
      const kindBase = (BigInt(insertVec.args[0] as bigint) >> 42n) << 42n
      const rowArgs = (title: string, narrative: string, hash: string, now: number) =>
        insertRow.args.map((value, i) => (i === 0 ? randomUUID() : i === 2 ? title : i === 4 ? narrative : i === 25 ? hash : i >= 27 || i === 20 ? now : value))
      const stmts = {
        dedup: raw.prepare(dedup.sql),
        meta: raw.prepare(meta.sql),
        row: raw.prepare(insertRow.sql),
        vec: raw.prepare(insertVec.sql),
        code: raw.prepare(insertCode.sql),
      }
      const counters = { ours: 0, raw: 0, drizzle: 0 }
      const next = (who: keyof typeof counters) => {
        const n = 1_000_000 + counters[who]++
        return memoryText(n)
      }
      const hashOf = (title: string, narrative: string) => createHash('sha256').update(`${title}\n${narrative}`.toLowerCase()).digest('hex')
      return {
        ours: () => ours.record({ kind: 'observation', ...next('ours') }),
        raw: async () => {
          const { title, narrative } = next('raw')
          const [vector] = await embedder.embed([`${title}\n${narrative}`])
          const hash = hashOf(title, narrative)
          stmts.dedup.get(hash)
          raw.exec('BEGIN IMMEDIATE')
          try {
            const now = Date.now()
            stmts.dedup.get(hash)
            stmts.meta.get('embedding.dimensions')
            const { seq } = stmts.row.get(...(rowArgs(title, narrative, hash, now) as never[])) as { seq: number }
            const key = kindBase + BigInt(seq)
            stmts.vec.run(key, new Uint8Array(vector!.buffer), new Uint8Array(quantizeInt8(vector!).buffer), 'observation')
            stmts.code.run(key, binaryCode(vector!))
            raw.exec('COMMIT')
          } catch (error) {
            raw.exec('ROLLBACK')
            throw error
          }
        },
        drizzle: async () => {
          const { title, narrative } = next('drizzle')
          const [vector] = await embedder.embed([`${title}\n${narrative}`])
          const hash = hashOf(title, narrative)
          dz.get(withParams(dedup.sql, [hash]))
          dz.transaction((tx) => {
            const now = Date.now()
            tx.get(withParams(dedup.sql, [hash]))
            tx.get(withParams(meta.sql, ['embedding.dimensions']))
            const { seq } = tx.get<{ seq: number }>(withParams(insertRow.sql, rowArgs(title, narrative, hash, now)))!
            const key = kindBase + BigInt(seq)
            tx.run(withParams(insertVec.sql, [key, new Uint8Array(vector!.buffer), new Uint8Array(quantizeInt8(vector!).buffer), 'observation']))
            tx.run(withParams(insertCode.sql, [key, binaryCode(vector!)]))
          })
        },
        notes: `${size(10_000, 1_000)} memories before; observation with title and narrative`,
        teardown,
      }
    },
  },
  hybridSearch('brain: hybrid search (100k memories, 384-d)', [100_000, 5_000], () => embedder, { copies: true }),
  hybridSearch('brain: hybrid search (100k memories, 384-d, topic-structured vectors)', [100_000, 5_000], () => new TopicEmbedder(), { copies: true }),
  // The 1M row (issue 19 item 7): ~10 minutes of seeding; skipped with BENCH_BRAIN_1M=0.
  ...(process.env.BENCH_BRAIN_1M === '0'
    ? []
    : [hybridSearch('brain: hybrid search (1M memories, 384-d, topic-structured vectors)', [1_000_000, 10_000], () => new TopicEmbedder(), { copies: false })]),
]

/**
 * Hybrid search over `count` memories: ours (default tuning: the store's measured
 * plan), ours on the exact path (`binaryPreselection: 'never'`, the same file), raw
 * replaying ours' captured statements, Drizzle running them through `sql`.
 */
function hybridSearch(name: string, sizes: [full: number, small: number], makeEmbedder: () => Embedder, options: { copies: boolean }): Workload {
  const query = 'sqlite writer busy after deploy'
  return {
    name,
    kind: 'query',
    ...(name.includes('100k memories, 384-d)') ? { p50TargetMs: 50 } : {}),
    async setup(dir) {
      const count = size(...sizes)
      const embedder = makeEmbedder()
      const { ours, exact, raw, dz, plan, teardown } = await threeFiles(dir, count, embedder, options.copies)
      const calls = await captureCalls(() => ours.search(query, { mode: 'hybrid', limit: 10 }))
      return {
        ours: () => ours.search(query, { mode: 'hybrid', limit: 10 }),
        exact: () => exact.search(query, { mode: 'hybrid', limit: 10 }),
        raw: async () => {
          await embedder.embed([query])
          raw.exec('BEGIN')
          try {
            replay(raw, calls)
          } finally {
            raw.exec('COMMIT')
          }
        },
        drizzle: async () => {
          await embedder.embed([query])
          dz.transaction(
            (tx) => {
              for (const call of calls) {
                const statement = withParams(call.sql, call.args)
                if (call.method === 'run') tx.run(statement)
                else if (call.method === 'get') tx.get(statement)
                else tx.all(statement)
              }
            },
            { behavior: 'deferred' },
          )
        },
        notes: `${count} memories with 384-d vectors; ${calls.length} statements per search; limit 10; ${plan}`,
        teardown,
      }
    },
  }
}
