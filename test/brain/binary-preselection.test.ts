/**
 * Vector search at scale (issue 19 item 7): binary codes (brain migration 0003)
 * pre-select candidates by Hamming distance, re-ranked by exact cosine distance.
 * Recall against the exact scan on seeded random sets, the per-store plan the store
 * measures and records, codes kept in step with the vectors, and a store made
 * before the codes existed; on PostgreSQL (exact backend), where 'auto' stays exact
 * and 'always' runs the same pre-selection in SQL. No timing here: speed is measured
 * in `bench/`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { sql } from 'kysely'
import * as sqliteVec from 'sqlite-vec'
import { afterAll, describe, expect, it } from 'vitest'

import type { BrainPostgresOptions, BrainSearchHit, Embedder } from '../../src/brain/index.js'
import { BrainRepository, FeatureHashingEmbedder } from '../../src/brain/index.js'
import { BINARY_QUANTIZATION, binaryCode, CODES_TABLE, EMBEDDING_META, VECTOR_TABLE } from '../../src/brain/vector-index.js'
import { dropSchemasAfterEach, freshSchema, POSTGRES_URL } from '../postgres/pg-test-schemas.js'
import { openBrain, samples } from './brain-helpers.js'
import { prng } from './fixtures/prng.js'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cleo-brain-codes-'))
  dirs.push(dir)
  return join(dir, 'brain.db')
}

/**
 * Seeded random vectors for texts `v<i>` (stored) and `q<i>` (queries): `clusters`
 * random unit centroids, each vector a centroid plus Gaussian noise (the shape of a
 * sentence model's output: topics); `clusters: 0` gives isotropic random vectors (no
 * structure at all).
 */
class SeededEmbedder implements Embedder {
  readonly modelId: string
  readonly #centroids: Float32Array[]
  constructor(
    readonly dimensions: number,
    readonly clusters: number,
    readonly noise = 0.12,
  ) {
    this.modelId = `test-seeded/${dimensions}/${clusters}`
    const random = prng(7)
    this.#centroids = Array.from({ length: clusters }, () => this.#gaussian(random))
  }
  #gaussian(random: () => number): Float32Array {
    return Float32Array.from({ length: this.dimensions }, () => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random()))
  }
  vector(text: string): Float32Array {
    const match = /^([vq])(\d+)/.exec(text)
    if (match === null) throw new Error(`SeededEmbedder: unexpected text ${text}`)
    const random = prng((match[1] === 'q' ? 1_000_003 : 17) + Number(match[2]) * 7919)
    const noise = this.#gaussian(random)
    if (this.clusters === 0) return noise
    const c = this.#centroids[Math.floor(random() * this.clusters)]!
    let norm = 0
    for (const x of c) norm += x * x
    const scale = this.noise * Math.sqrt(norm / this.dimensions)
    return c.map((x, i) => x + noise[i]! * scale)
  }
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.vector(t))
  }
}

async function fill(brain: BrainRepository, count: number): Promise<void> {
  for (let start = 0; start < count; start += 500) {
    const batch = []
    for (let i = start; i < Math.min(count, start + 500); i++) batch.push({ kind: 'observation' as const, title: `v${i}`, narrative: `entry ${i}` })
    await brain.recordMany(batch)
  }
}

/** Tie-aware recall@10 of `approx` against `exact` (a hit counts when its distance is within the exact 10th's). */
function recallAt10(approx: number[], exact: number[]): number {
  const bound = exact[Math.min(9, exact.length - 1)]! + 1e-6
  return approx.slice(0, 10).filter((d) => d <= bound).length / Math.min(10, exact.length)
}

/** Each hit of a search for `query` reports the exact cosine distance of its vector (titles are the embedded texts). */
function expectExactDistances(embedder: SeededEmbedder, query: string, hits: readonly BrainSearchHit[]): void {
  const v = embedder.vector(query)
  for (const hit of hits) {
    const w = embedder.vector(hit.entry.kind === 'observation' ? hit.entry.title : '')
    let dot = 0
    let nv = 0
    let nw = 0
    for (let i = 0; i < v.length; i++) (dot += v[i]! * w[i]!), (nv += v[i]! * v[i]!), (nw += w[i]! * w[i]!)
    expect(hit.signals.vector!.raw).toBeCloseTo(1 - dot / Math.sqrt(nv * nw), 5)
  }
}

/** 300 entries: every third a decision, the others observations (texts `v<i>`). */
function mixedBatch() {
  const batch = []
  for (let i = 0; i < 300; i++) {
    batch.push(
      i % 3 === 0
        ? { kind: 'decision' as const, type: 'technical' as const, decision: `v${i}`, rationale: `r${i}`, confidence: 'high' as const }
        : { kind: 'observation' as const, title: `v${i}`, narrative: `entry ${i}` },
    )
  }
  return batch
}

/** A `kinds: ['decision']` search on the binary path returns decisions only, the exact scan's. */
async function expectKindFilterAsExact(binary: BrainRepository, exact: BrainRepository): Promise<void> {
  for (const q of ['q1', 'q2', 'q3']) {
    const b = await binary.search(q, { mode: 'vector', limit: 5, kinds: ['decision'] })
    const e = await exact.search(q, { mode: 'vector', limit: 5, kinds: ['decision'] })
    expect(b.length).toBeGreaterThan(0)
    expect(b.every((h) => h.kind === 'decision')).toBe(true)
    expect(b.map((h) => h.id)).toEqual(e.map((h) => h.id))
  }
}

function rawVec(file: string): DatabaseSync {
  const db = new DatabaseSync(file, { allowExtension: true })
  db.loadExtension(sqliteVec.getLoadablePath())
  return db
}

/** Every vector's code, as stored, and as recomputed from the vector: they must be equal and one per vector. */
function codesOf(file: string): { vectors: number; codes: number; mismatched: number } {
  const db = rawVec(file)
  try {
    const vectors = db.prepare(`SELECT rowid AS key, embedding FROM ${VECTOR_TABLE}`).all() as Array<{ key: number; embedding: Uint8Array }>
    const codes = new Map(
      (db.prepare(`SELECT memory_key AS key, code FROM ${CODES_TABLE}`).all() as Array<{ key: number; code: Uint8Array }>).map((r) => [r.key, r.code]),
    )
    let mismatched = 0
    for (const v of vectors) {
      const stored = codes.get(v.key)
      const expected = binaryCode(new Float32Array(v.embedding.buffer.slice(v.embedding.byteOffset, v.embedding.byteOffset + v.embedding.byteLength)))
      if (stored === undefined || Buffer.compare(Buffer.from(stored), Buffer.from(expected)) !== 0) mismatched++
    }
    return { vectors: vectors.length, codes: codes.size, mismatched }
  } finally {
    db.close()
  }
}

function meta(file: string, key: string): string | undefined {
  const db = new DatabaseSync(file)
  try {
    return (db.prepare('SELECT value FROM brain_schema_meta WHERE key = ?').get(key) as { value: string } | undefined)?.value
  } finally {
    db.close()
  }
}

describe('binary pre-selection (issue 19 item 7)', () => {
  it('finds at least 0.95 of the exact top 10 on a seeded random (clustered) set, and the store records that it may use it', async () => {
    const embedder = new SeededEmbedder(128, 60)
    const file = tempFile()
    const { brain: seed } = await openBrain({ embedder }, file)
    await fill(seed, 4000)
    await seed.close()
    // Reopened above the exact-search size: the store measures the binary path on itself and records the plan.
    const { brain: auto } = await openBrain({ embedder, searchTuning: { exactSearchUpTo: 1000 } }, file)
    const plan = JSON.parse(meta(file, EMBEDDING_META.searchPlan)!)
    expect(plan).toMatchObject({ plan: 'binary', vectors: 4000, codes: BINARY_QUANTIZATION })
    expect([2, 3, 5, 10]).toContain(plan.oversample) // the smallest of these that reached the floor
    expect(plan.recall).toBeGreaterThanOrEqual(0.98)
    const { brain: exact } = await openBrain({ embedder, searchTuning: { exactSearchUpTo: Infinity } }, file)
    const { brain: always } = await openBrain({ embedder, searchTuning: { exactSearchUpTo: 0, binaryPreselection: 'always' } }, file)
    let total = 0
    const queries = 25
    for (let q = 0; q < queries; q++) {
      const e = await exact.search(`q${q}`, { mode: 'vector', limit: 10 })
      const a = await always.search(`q${q}`, { mode: 'vector', limit: 10 })
      const b = await auto.search(`q${q}`, { mode: 'vector', limit: 10 })
      expect(e).toHaveLength(10)
      const exactDistances = e.map((h) => h.signals.vector!.raw)
      total += recallAt10(
        a.map((h) => h.signals.vector!.raw),
        exactDistances,
      )
      // The re-ranked distances are exact cosine distances: what a hit reports does not depend on the path.
      expectExactDistances(embedder, `q${q}`, a)
      expect(b.map((h) => h.id)).toEqual(a.map((h) => h.id)) // 'auto' took the binary path too
    }
    expect(total / queries).toBeGreaterThanOrEqual(0.95)
  })

  it('stays exact on a store where the binary path measures below 0.98 (isotropic random vectors)', async () => {
    const embedder = new SeededEmbedder(128, 0)
    const file = tempFile()
    const { brain: seed } = await openBrain({ embedder }, file)
    await fill(seed, 4000)
    await seed.close()
    const { brain: auto } = await openBrain({ embedder, searchTuning: { exactSearchUpTo: 1000 } }, file)
    const plan = JSON.parse(meta(file, EMBEDDING_META.searchPlan)!)
    expect(plan.plan).toBe('exact')
    expect(plan.recall).toBeLessThan(0.98)
    const { brain: exact } = await openBrain({ embedder, searchTuning: { exactSearchUpTo: Infinity } }, file)
    for (const q of ['q1', 'q2', 'q3']) {
      const a = await auto.search(q, { mode: 'vector', limit: 10 })
      const e = await exact.search(q, { mode: 'vector', limit: 10 })
      expect(a.map((h) => h.id)).toEqual(e.map((h) => h.id))
    }
  })

  it('keeps one code per vector, equal to the code of that vector, through record, re-embedding, delete, reindex and reset', async () => {
    const file = tempFile()
    const embedder = new FeatureHashingEmbedder({ dimensions: 96 })
    const { brain } = await openBrain({ embedder }, file)
    const a = await brain.record(samples.observation('deploy times out on cold caches'))
    const b = await brain.record(samples.decision('use WAL for every store'))
    await brain.record(samples.learning('deferred transactions upgrade to BUSY'))
    expect(codesOf(file)).toEqual({ vectors: 3, codes: 3, mismatched: 0 })
    const before = codesOf(file)
    await brain.update(a.memory.id, { kind: 'observation', title: 'the artifact download dominates cold deploys' })
    expect(codesOf(file)).toEqual(before) // same counts, every code recomputed from the new vector
    await brain.delete(b.memory.id)
    expect(codesOf(file)).toEqual({ vectors: 2, codes: 2, mismatched: 0 })
    await brain.close()

    // Another model: reset drops both representations; reindex writes both again.
    const other = new FeatureHashingEmbedder({ dimensions: 200 })
    const { brain: reset } = await openBrain({ embedder: other, embedderChange: 'reset' }, file)
    expect(codesOf(file)).toEqual({ vectors: 0, codes: 0, mismatched: 0 })
    await reset.reindex()
    expect(codesOf(file)).toEqual({ vectors: 2, codes: 2, mismatched: 0 })
    const hits = await reset.search('cold deploys', { mode: 'vector', limit: 2 })
    expect(hits[0]!.id).toBe(a.memory.id)
  })

  it('a store created before the codes existed gets them on its next open and searches the same', async () => {
    const file = tempFile()
    const embedder = new SeededEmbedder(64, 20)
    const { brain: seed } = await openBrain({ embedder }, file)
    await fill(seed, 600)
    await seed.close()
    // Make the file what an older version left: no migration 0003, no codes table, no code metadata.
    const old = new DatabaseSync(file)
    old.exec(`DROP TABLE ${CODES_TABLE}`)
    old.exec("DELETE FROM kysely_migration WHERE name = '0003_embedding_codes'")
    old.exec("DELETE FROM cleo_migration_checksum WHERE name = '0003_embedding_codes'")
    old.exec(`DELETE FROM brain_schema_meta WHERE key IN ('${EMBEDDING_META.binaryQuantization}', '${EMBEDDING_META.searchPlan}')`)
    old.close()

    const { brain } = await openBrain({ embedder, searchTuning: { exactSearchUpTo: 100, binaryPreselection: 'always' } }, file)
    expect(brain.schemaVersion).toBe('0003_embedding_codes')
    expect(codesOf(file)).toEqual({ vectors: 600, codes: 600, mismatched: 0 })
    expect(meta(file, EMBEDDING_META.binaryQuantization)).toBe(BINARY_QUANTIZATION)
    const { brain: exact } = await openBrain({ embedder, searchTuning: { exactSearchUpTo: Infinity } }, file)
    for (const q of ['q1', 'q2', 'q3', 'q4']) {
      const a = await brain.search(q, { mode: 'vector', limit: 5 })
      const e = await exact.search(q, { mode: 'vector', limit: 5 })
      expect(a.map((h) => h.id)).toEqual(e.map((h) => h.id))
    }
    // Codes lost behind the store's back (rows deleted by hand) are rebuilt on the next open.
    await brain.close()
    const raw = new DatabaseSync(file)
    raw.exec(`DELETE FROM ${CODES_TABLE} WHERE memory_key % 3 = 0`)
    raw.close()
    await openBrain({ embedder }, file)
    expect(codesOf(file)).toEqual({ vectors: 600, codes: 600, mismatched: 0 })
  })

  it('a kind filter on the binary path ranks only that kind, as the exact scan does', async () => {
    const embedder = new SeededEmbedder(64, 10)
    const file = tempFile()
    const { brain } = await openBrain({ embedder }, file)
    await brain.recordMany(mixedBatch())
    const { brain: exact } = await openBrain({ embedder, searchTuning: { exactSearchUpTo: Infinity } }, file)
    const { brain: binary } = await openBrain({ embedder, searchTuning: { exactSearchUpTo: 0, binaryPreselection: 'always' } }, file)
    await expectKindFilterAsExact(binary, exact)
  })

  it('refuses an unknown binaryPreselection', async () => {
    await expect(openBrain({ searchTuning: { binaryPreselection: 'sometimes' as never } })).rejects.toMatchObject({ code: 'VALIDATION' })
  })
})

describe.runIf(POSTGRES_URL !== null)('binary pre-selection on PostgreSQL (exact backend)', () => {
  const onServer: BrainRepository[] = []
  dropSchemasAfterEach(() => Promise.allSettled(onServer.splice(0).map((brain) => brain.close())))
  async function openPg(schema: string, options: Omit<BrainPostgresOptions, 'schema'>): Promise<BrainRepository> {
    const brain = await BrainRepository.openPostgres(POSTGRES_URL!, { schema, ...options })
    onServer.push(brain)
    return brain
  }
  /** Every vector's code, as stored, and as recomputed from the vector. */
  async function pgCodesOf(brain: BrainRepository, schema: string): Promise<{ vectors: number; codes: number; mismatched: number }> {
    const vectors = (await sql<{ key: string; embedding: number[] }>`select key, embedding from ${sql.table(`${schema}.${VECTOR_TABLE}`)}`.execute(brain.kysely)).rows
    const codes = new Map(
      (await sql<{ key: string; code: Uint8Array }>`select memory_key as key, code from ${sql.table(`${schema}.${CODES_TABLE}`)}`.execute(brain.kysely)).rows.map((r) => [
        Number(r.key),
        r.code,
      ]),
    )
    let mismatched = 0
    for (const v of vectors) {
      const stored = codes.get(Number(v.key))
      if (stored === undefined || Buffer.compare(Buffer.from(stored), Buffer.from(binaryCode(Float32Array.from(v.embedding)))) !== 0) mismatched++
    }
    return { vectors: vectors.length, codes: codes.size, mismatched }
  }

  it("'auto' stays exact (nothing measured or recorded); 'always' finds at least 0.95 of the exact top 10 on a clustered set, at exact distances", async () => {
    const embedder = new SeededEmbedder(64, 30)
    const schema = freshSchema('brain')
    const seed = await openPg(schema, { embedder })
    await fill(seed, 1500)
    const auto = await openPg(schema, { embedder, searchTuning: { exactSearchUpTo: 100 } })
    const exact = await openPg(schema, { embedder, searchTuning: { exactSearchUpTo: Infinity } })
    const always = await openPg(schema, { embedder, searchTuning: { exactSearchUpTo: 100, binaryPreselection: 'always' } })
    const plan = await sql<{ value: string }>`select value from ${sql.table(`${schema}.brain_schema_meta`)} where key = ${EMBEDDING_META.searchPlan}`.execute(auto.kysely)
    expect(plan.rows).toEqual([])
    let total = 0
    const queries = 12
    for (let q = 0; q < queries; q++) {
      const e = await exact.search(`q${q}`, { mode: 'vector', limit: 10 })
      const a = await always.search(`q${q}`, { mode: 'vector', limit: 10 })
      const b = await auto.search(`q${q}`, { mode: 'vector', limit: 10 })
      expect(e).toHaveLength(10)
      expect(b.map((h) => h.id)).toEqual(e.map((h) => h.id)) // 'auto' took the exact path
      total += recallAt10(
        a.map((h) => h.signals.vector!.raw),
        e.map((h) => h.signals.vector!.raw),
      )
      expectExactDistances(embedder, `q${q}`, a)
    }
    expect(total / queries).toBeGreaterThanOrEqual(0.95)
  })

  it('keeps one code per vector, equal to the code of that vector, through record, re-embedding, delete, reindex and reset', async () => {
    const schema = freshSchema('brain')
    const brain = await openPg(schema, { embedder: new FeatureHashingEmbedder({ dimensions: 96 }) })
    const a = await brain.record(samples.observation('deploy times out on cold caches'))
    const b = await brain.record(samples.decision('use WAL for every store'))
    await brain.record(samples.learning('deferred transactions upgrade to BUSY'))
    expect(await pgCodesOf(brain, schema)).toEqual({ vectors: 3, codes: 3, mismatched: 0 })
    await brain.update(a.memory.id, { kind: 'observation', title: 'the artifact download dominates cold deploys' })
    expect(await pgCodesOf(brain, schema)).toEqual({ vectors: 3, codes: 3, mismatched: 0 })
    await brain.delete(b.memory.id)
    expect(await pgCodesOf(brain, schema)).toEqual({ vectors: 2, codes: 2, mismatched: 0 })
    await brain.close()
    const reset = await openPg(schema, { embedder: new FeatureHashingEmbedder({ dimensions: 200 }), embedderChange: 'reset' })
    expect(await pgCodesOf(reset, schema)).toEqual({ vectors: 0, codes: 0, mismatched: 0 })
    await reset.reindex()
    expect(await pgCodesOf(reset, schema)).toEqual({ vectors: 2, codes: 2, mismatched: 0 })
    expect((await reset.search('cold deploys', { mode: 'vector', limit: 2 }))[0]!.id).toBe(a.memory.id)
  })

  it('a kind filter on the binary path ranks only that kind, as the exact scan does', async () => {
    const embedder = new SeededEmbedder(64, 10)
    const schema = freshSchema('brain')
    await (await openPg(schema, { embedder })).recordMany(mixedBatch())
    const exact = await openPg(schema, { embedder, searchTuning: { exactSearchUpTo: Infinity } })
    const binary = await openPg(schema, { embedder, searchTuning: { exactSearchUpTo: 0, binaryPreselection: 'always' } })
    await expectKindFilterAsExact(binary, exact)
  })
})
