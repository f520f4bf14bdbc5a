/**
 * brain.db workloads: recording a memory (with its 384-d embedding) and hybrid
 * search (full text + vector kNN, fused) over 100k memories.
 *
 * Every contender computes embeddings with the same embedder (the feature-hashing
 * one that ships with cleo-store, 384 dimensions), so that cost is equal. Raw runs
 * the statements ours runs (captured from one run of ours) on a copy of the same
 * seeded file with sqlite-vec loaded: for record, the duplicate check, the row
 * insert and the vector insert in one transaction; for search, exactly the captured
 * reads with their arguments in one read transaction. Raw does not fuse or map the
 * results. Drizzle runs the same statements through its `sql` template.
 */
import { createHash, randomUUID } from 'node:crypto'
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { drizzle } from 'drizzle-orm/node-sqlite'
import * as sqliteVec from 'sqlite-vec'

import { BRAIN_DEFAULT_MMAP_SIZE, BrainRepository, FeatureHashingEmbedder } from '../../src/brain/index.js'
import { quantizeInt8 } from '../../src/brain/vector-index.js'
import type { Workload } from '../harness.js'
import type { CapturedCall } from './common.js'
import { captureCalls, size, withParams } from './common.js'

export const embedder = new FeatureHashingEmbedder({ dimensions: 384 })

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

async function threeFiles(dir: string, memories: number) {
  const files = { ours: join(dir, 'ours.db'), raw: join(dir, 'raw.db'), drizzle: join(dir, 'drizzle.db') }
  const seed = await BrainRepository.open(files.ours, { embedder })
  for (let start = 0; start < memories; start += 1000) {
    const batch = []
    for (let i = start; i < Math.min(memories, start + 1000); i++) batch.push({ kind: 'observation' as const, ...memoryText(i) })
    await seed.recordMany(batch)
  }
  await seed.close()
  copyFileSync(files.ours, files.raw)
  copyFileSync(files.ours, files.drizzle)
  const ours = await BrainRepository.open(files.ours, { embedder })
  const raw = openRawVec(files.raw)
  const dz = drizzle({ client: openRawVec(files.drizzle) })
  return {
    ours,
    raw,
    dz,
    teardown: async () => {
      await ours.close()
      raw.close()
      dz.$client.close()
    },
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
      const inserts = calls.filter((c) => c.method === 'run')
      const [dedup, meta, insertRow, insertVec] = [calls[0]!, calls[2]!, inserts[0]!, inserts[1]!]
      if (calls.length !== 5 || !/insert into "brain_observations"/.test(insertRow.sql) || !/brain_embeddings/.test(insertVec.sql)) {
        throw new Error('memory record ran other statements; update the workload')
      }
      const kindBase = (BigInt(insertVec.args[0] as bigint) >> 42n) << 42n
      const rowArgs = (title: string, narrative: string, hash: string, now: number) =>
        insertRow.args.map((value, i) => (i === 0 ? randomUUID() : i === 2 ? title : i === 4 ? narrative : i === 25 ? hash : i >= 27 || i === 20 ? now : value))
      const stmts = { dedup: raw.prepare(dedup.sql), meta: raw.prepare(meta.sql), row: raw.prepare(insertRow.sql), vec: raw.prepare(insertVec.sql) }
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
            const { lastInsertRowid } = stmts.row.run(...(rowArgs(title, narrative, hash, now) as never[]))
            stmts.vec.run(kindBase + BigInt(lastInsertRowid), new Uint8Array(vector!.buffer), new Uint8Array(quantizeInt8(vector!).buffer), 'observation')
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
            const { lastInsertRowid } = tx.run(withParams(insertRow.sql, rowArgs(title, narrative, hash, now)))
            tx.run(withParams(insertVec.sql, [kindBase + BigInt(lastInsertRowid), new Uint8Array(vector!.buffer), new Uint8Array(quantizeInt8(vector!).buffer), 'observation']))
          })
        },
        notes: `${size(10_000, 1_000)} memories before; observation with title and narrative`,
        teardown,
      }
    },
  },
  {
    name: 'brain: hybrid search (100k memories, 384-d)',
    kind: 'query',
    p50TargetMs: 50,
    async setup(dir) {
      const count = size(100_000, 5_000)
      const { ours, raw, dz, teardown } = await threeFiles(dir, count)
      const query = 'sqlite writer busy after deploy'
      const calls = await captureCalls(() => ours.search(query, { mode: 'hybrid', limit: 10 }))
      return {
        ours: () => ours.search(query, { mode: 'hybrid', limit: 10 }),
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
        notes: `${count} memories with 384-d vectors; ${calls.length} statements per search; limit 10`,
        teardown,
      }
    },
  },
]
