/**
 * brain's vector statements on PostgreSQL (src/brain/postgres-vectors.ts), run
 * through the PostgreSQL engine on a migrated brain schema: the choice of backend
 * (pgvector only where the extension exists), the exact cosine kNN in SQL against
 * sqlite-vec's distances and a scan in JS, the Hamming pre-selection on the stored
 * codes, and the maintenance statements. The pgvector leg runs only on a server that
 * has the extension (Debian's PostgreSQL packages here do not).
 */
import { DatabaseSync } from 'node:sqlite'

import * as sqliteVec from 'sqlite-vec'
import { describe, expect, it } from 'vitest'

import { BRAIN_STORE } from '../../src/brain/brain.store.js'
import { vectorBytes } from '../../src/brain/embedder.js'
import { KEY_BASE } from '../../src/brain/memory-kinds.js'
import type { PostgresVectorBackend } from '../../src/brain/postgres-vectors.js'
import {
  backendStatements,
  chooseVectorBackend,
  createStatements,
  INSTALL_PGVECTOR,
  PG_VECTORS,
  PGVECTOR_PROBE,
  vectorArray,
} from '../../src/brain/postgres-vectors.js'
import { binaryCode } from '../../src/brain/vector-index.js'
import { openPostgresDatabase } from '../../src/postgres/postgres-database.js'
import { PostgresStoreEngine } from '../../src/postgres/postgres-engine.js'
import type { BrainDatabase } from '../../src/brain/brain.tables.js'
import { prng } from '../brain/fixtures/prng.js'
import pg from 'pg'

import { rawQuery } from '../../src/sqlite/database.js'
import { dropSchemasAfterEach, freshSchema, POSTGRES_URL } from './pg-test-schemas.js'

/** Whether the run's server has pgvector's files (the pgvector leg runs only then). */
const PGVECTOR_AVAILABLE =
  POSTGRES_URL !== null &&
  (await (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL })
    await client.connect()
    try {
      return (await client.query(`select 1 from pg_available_extensions where name = 'vector'`)).rowCount === 1
    } finally {
      await client.end()
    }
  })())

describe('the vector backend of a brain store on PostgreSQL', () => {
  it('is pgvector-hnsw only when the extension is installed, or available and creatable; exact otherwise', () => {
    const cases: Array<[boolean, string | null, boolean, PostgresVectorBackend]> = [
      [false, null, false, 'exact'],
      [false, null, true, 'exact'], // Debian's packages: no extension files
      [true, null, false, 'exact'], // available, but this role may not create it
      [true, null, true, 'pgvector-hnsw'],
      [true, 'public', false, 'pgvector-hnsw'], // installed by an administrator
    ]
    for (const [available, installedIn, creatable, expected] of cases) {
      expect(chooseVectorBackend({ available, installedIn, creatable }), JSON.stringify({ available, installedIn, creatable })).toBe(expected)
    }
  })
})

/** sqlite-vec's cosine distance of two vectors (single-precision sums). */
function sqliteVecDistance(a: Float32Array, b: Float32Array): number {
  const db = new DatabaseSync(':memory:', { allowExtension: true })
  try {
    db.loadExtension(sqliteVec.getLoadablePath())
    return (db.prepare('SELECT vec_distance_cosine(?, ?) AS d').get(vectorBytes(a), vectorBytes(b)) as { d: number }).d
  } finally {
    db.close()
  }
}

function cosineDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) (dot += a[i]! * b[i]!), (na += a[i]! * a[i]!), (nb += b[i]! * b[i]!)
  return 1 - dot / Math.sqrt(na * nb)
}

function hamming(a: Uint8Array, b: Uint8Array): number {
  let bits = 0
  for (let i = 0; i < a.length; i++) for (let x = a[i]! ^ b[i]!; x !== 0; x &= x - 1) bits++
  return bits
}

if (POSTGRES_URL !== null) {
  const url = POSTGRES_URL
  const open: Array<{ close(): Promise<void> }> = []
  dropSchemasAfterEach(() => Promise.allSettled(open.splice(0).map((db) => db.close())))

  async function engine(): Promise<PostgresStoreEngine<BrainDatabase>> {
    const db = await openPostgresDatabase<BrainDatabase>(BRAIN_STORE, url, { schema: freshSchema('brainvec') })
    open.push(db)
    return new PostgresStoreEngine(db)
  }

  async function probe(e: PostgresStoreEngine<BrainDatabase>) {
    const row = (await e.read((x) => x.get(PGVECTOR_PROBE)))!
    return { available: row.available, installedIn: row.installed_in, creatable: row.creatable }
  }

  /** Seeded vectors of `dims` dimensions, keyed as observations (kind code 4) and decisions (1), alternately. */
  function vectors(count: number, dims: number, seed = 3): Array<{ key: number; kind: string; vector: Float32Array }> {
    const random = prng(seed)
    return Array.from({ length: count }, (_, i) => ({
      key: (i % 2 === 0 ? 4 : 1) * KEY_BASE + i + 1,
      kind: i % 2 === 0 ? 'observation' : 'decision',
      vector: Float32Array.from({ length: dims }, () => random() * 2 - 1),
    }))
  }

  describe('brain vectors on PostgreSQL', () => {
    it('this server: the probe reads pgvector as the server has it; without it, the backend is exact', async () => {
      const found = await probe(await engine())
      expect(found.available).toBe(PGVECTOR_AVAILABLE)
      expect(typeof found.creatable).toBe('boolean')
      if (!found.available) {
        expect(found.installedIn).toBeNull()
        expect(chooseVectorBackend(found)).toBe('exact')
      }
    })

    it('exact: kNN in SQL ranks as an exact scan does, with distances equal to sqlite-vec to 1e-6; kinds, re-rank and distance too', async () => {
      const e = await engine()
      const dims = 48
      const stored = vectors(300, dims)
      const S = backendStatements('exact', null)
      await e.write(function* (x) {
        for (const statement of createStatements('exact', null, dims)) yield* x.run(statement)
        for (const { key, kind, vector } of stored) yield* x.run(S.insert, { key, kind, embedding: vectorArray(vector) })
      })
      expect((await e.read((x) => x.get(PG_VECTORS.count)))?.n).toBe(300)
      // A vector reads back exactly (float4 round trip).
      const back = await e.read((x) => x.get(PG_VECTORS.vectorOf, { key: stored[7]!.key }))
      expect(Float32Array.from(back!.embedding)).toEqual(stored[7]!.vector)

      for (const q of vectors(5, dims, 99).map((v) => v.vector)) {
        const expected = stored.map((s) => ({ key: s.key, kind: s.kind, distance: cosineDistance(q, s.vector) })).sort((a, b) => a.distance - b.distance)
        const knn = await e.read((x) => x.all(S.knn, { query: vectorArray(q), k: 10 }))
        expect(knn.map((n) => n.key)).toEqual(expected.slice(0, 10).map((n) => n.key))
        for (const n of knn) {
          const v = stored.find((s) => s.key === n.key)!.vector
          expect(Math.abs(n.distance - sqliteVecDistance(q, v))).toBeLessThan(1e-6)
        }
        const decisions = await e.read((x) => x.all(S.knnKinds, { query: vectorArray(q), k: 5, kinds: ['decision'] }))
        expect(decisions.map((n) => n.key)).toEqual(expected.filter((n) => n.kind === 'decision').slice(0, 5).map((n) => n.key))
        const some = expected.slice(20, 40).map((n) => n.key)
        const reranked = await e.read((x) => x.all(S.distances, { query: vectorArray(q), keys: some }))
        expect(new Map(reranked.map((n) => [n.key, n.distance]))).toEqual(
          new Map(expected.slice(20, 40).map((n) => [n.key, expect.closeTo(n.distance, 6)])),
        )
        const one = await e.read((x) => x.get(S.distance, { query: vectorArray(q), key: stored[3]!.key }))
        expect(one!.distance).toBeCloseTo(sqliteVecDistance(q, stored[3]!.vector), 6)
      }
      // The dimension is checked.
      await expect(e.write((x) => x.run(S.insert, { key: 1, kind: 'decision', embedding: [1, 2, 3] }))).rejects.toMatchObject({ code: 'INVARIANT' })
    })

    it('Hamming pre-selection: the codes nearest to a query code, in Hamming order, all kinds or some', async () => {
      const e = await engine()
      const stored = vectors(200, 96)
      const codes = stored.map((s) => ({ key: s.key, code: binaryCode(s.vector) }))
      await e.write(function* (x) {
        for (const { key, code } of codes) yield* x.run(PG_VECTORS.insertCode, { key, code })
        // An upsert replaces a code.
        yield* x.run(PG_VECTORS.insertCode, { key: codes[0]!.key, code: codes[0]!.code })
      })
      expect((await e.read((x) => x.get(PG_VECTORS.codeCount)))?.n).toBe(200)
      const query = binaryCode(vectors(1, 96, 42)[0]!.vector)
      const ranked = codes.map((c) => ({ key: c.key, d: hamming(query, c.code) })).sort((a, b) => a.d - b.d || a.key - b.key)
      const near = await e.read((x) => x.all(PG_VECTORS.hamming, { code: query, n: 25 }))
      expect(near.map((r) => r.key)).toEqual(ranked.slice(0, 25).map((r) => r.key))
      const nearDecisions = await e.read((x) => x.all(PG_VECTORS.hammingKinds, { codes: [1], code: query, n: 10 }))
      expect(nearDecisions.map((r) => r.key)).toEqual(ranked.filter((r) => Math.floor(r.key / KEY_BASE) === 1).slice(0, 10).map((r) => r.key))
    })

    it('maintenance: orphans, stray codes, stale queue rows and the requeue of every entry', async () => {
      const e = await engine()
      const S = backendStatements('exact', null)
      const decision = (seq: number) =>
        rawQuery(`insert into brain_decisions (seq, id, type, decision, rationale, confidence, memory_tier, memory_type, valid_at, content_hash, created_at, updated_at)
          values (${seq}, 'D${seq}', 'technical', 'd${seq}', 'r', 'high', 'short', 'semantic', 0, '${String(seq).padStart(64, '0')}', 0, 0)`)
      await e.write(function* (x) {
        for (const statement of createStatements('exact', null, 2)) yield* x.run(statement)
        yield* x.run(decision(1))
        yield* x.run(decision(2))
        // Vectors of D1, D2 and of a decision that does not exist (seq 3); a code without a vector.
        for (const seq of [1, 2, 3]) yield* x.run(S.insert, { key: KEY_BASE + seq, kind: 'decision', embedding: [1, seq] })
        for (const seq of [1, 2, 3, 4]) yield* x.run(PG_VECTORS.insertCode, { key: KEY_BASE + seq, code: new Uint8Array([seq]) })
      })
      const orphans = await e.read((x) => x.all(PG_VECTORS.orphans.decision, { from: KEY_BASE, to: 2 * KEY_BASE, base: KEY_BASE }))
      expect(orphans).toEqual([{ key: KEY_BASE + 3 }])
      expect(await e.read((x) => x.all(PG_VECTORS.orphans.observation, { from: 4 * KEY_BASE, to: 5 * KEY_BASE, base: 4 * KEY_BASE }))).toEqual([])
      expect(await e.read((x) => x.all(PG_VECTORS.strayCodes))).toEqual([{ key: KEY_BASE + 4 }])
      const now = Date.UTC(2026, 0, 1)
      await e.write(function* (x) {
        for (const kind of ['decision', 'observation'] as const) {
          yield* x.run(PG_VECTORS.requeue[kind], { base: (kind === 'decision' ? 1 : 4) * KEY_BASE, reason: 'reset', now })
        }
      })
      expect(await e.read((x) => x.all(rawQuery('select memory_key, reason, attempts, queued_at from brain_embedding_queue order by 1')))).toEqual([
        { memory_key: KEY_BASE + 1, reason: 'reset', attempts: 0, queued_at: now },
        { memory_key: KEY_BASE + 2, reason: 'reset', attempts: 0, queued_at: now },
      ])
      // Queued keys that still have a vector.
      expect(await e.read((x) => x.all(PG_VECTORS.staleQueued))).toEqual([{ key: KEY_BASE + 1 }, { key: KEY_BASE + 2 }])
      await e.write(function* (x) {
        yield* x.run(PG_VECTORS.delete, { key: KEY_BASE + 1 })
        yield* x.run(PG_VECTORS.deleteCode, { key: KEY_BASE + 1 })
      })
      expect((await e.read((x) => x.all(PG_VECTORS.vectorKeys))).map((r) => r.key)).toEqual([KEY_BASE + 2, KEY_BASE + 3])
      expect(await e.read((x) => x.get(PG_VECTORS.exists))).toEqual({ n: 1 })
      await e.write((x) => x.run(PG_VECTORS.drop))
      expect(await e.read((x) => x.get(PG_VECTORS.exists))).toEqual({ n: 0 })
    })

    // Runs only on a server with pgvector; Debian's PostgreSQL packages (this project's test server) have none.
    it.runIf(PGVECTOR_AVAILABLE)('pgvector: a vector(N) column with an HNSW index; distances as the exact path', async () => {
      const e = await engine()
      let found = await probe(e)
      expect(chooseVectorBackend(found)).toBe('pgvector-hnsw')
      if (found.installedIn === null) {
        await e.write(function* (x) {
          for (const statement of INSTALL_PGVECTOR) yield* x.run(statement)
        })
        found = await probe(e)
      }
      const S = backendStatements('pgvector-hnsw', found.installedIn)
      const stored = vectors(200, 32)
      await e.write(function* (x) {
        for (const statement of createStatements('pgvector-hnsw', found.installedIn, 32)) yield* x.run(statement)
        for (const { key, kind, vector } of stored) yield* x.run(S.insert, { key, kind, embedding: vectorArray(vector) })
      })
      const index = await e.read((x) => x.get(rawQuery<{ def: string }>(`select indexdef as def from pg_indexes where schemaname = current_schema() and indexname = 'brain_embeddings_hnsw'`)))
      expect(index?.def).toMatch(/USING hnsw \(embedding .*vector_cosine_ops\)/)
      const q = vectors(1, 32, 5)[0]!.vector
      const one = await e.read((x) => x.get(S.distance, { query: vectorArray(q), key: stored[0]!.key }))
      expect(one!.distance).toBeCloseTo(sqliteVecDistance(q, stored[0]!.vector), 6)
      const knn = await e.read(function* (x) {
        yield* x.run(S.prepareKnn!, { k: 10 })
        return yield* x.all(S.knn, { query: vectorArray(q), k: 10 })
      })
      expect(knn).toHaveLength(10)
    })
  })
}
