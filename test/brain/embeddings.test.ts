/**
 * The vector table and its writes, and cosine ranking, on both engines: SQLite
 * (sqlite-vec's vec0) and PostgreSQL (`brain_embeddings` with `real[]` vectors and an
 * exact scan in SQL, or pgvector where the server has it; see
 * src/brain/postgres-vectors.ts). A "place" is a brain.db file or a schema.
 */
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'

import type { BrainRepositoryOptions } from '../../src/brain/index.js'
import { BrainRepository, FeatureHashingEmbedder } from '../../src/brain/index.js'
import { expectCode, tempDir } from '../helpers.js'
import { dropSchemasAfterEach, freshSchema, POSTGRES_URL } from '../postgres/pg-test-schemas.js'
import { ControlledEmbedder, KnownVectorEmbedder, samples, track } from './brain-helpers.js'
import type { BrainEngineName as Engine } from './open-brain.js'
import { BRAIN_ENGINES, execSql, openBrainOn as openBrain } from './open-brain.js'

const onServer: BrainRepository[] = []
dropSchemasAfterEach(() => Promise.allSettled(onServer.splice(0).map((brain) => brain.close())))

/** A new place for a store: a brain.db path, or a schema name. */
function place(engine: Engine): string {
  return engine === 'sqlite' ? `${tempDir()}/brain.db` : freshSchema('brain')
}

/** Opens the store at `at` (closed after the test): the tests that reopen a store. */
async function openAt(engine: Engine, at: string, options: BrainRepositoryOptions = {}): Promise<BrainRepository> {
  if (engine === 'sqlite') return track(await BrainRepository.open(at, options))
  const { embedder, embedderChange, searchTuning, clock } = options
  const brain = await BrainRepository.openPostgres(POSTGRES_URL!, {
    schema: at,
    ...(embedder === undefined ? {} : { embedder }),
    ...(embedderChange === undefined ? {} : { embedderChange }),
    ...(searchTuning === undefined ? {} : { searchTuning }),
    ...(clock === undefined ? {} : { clock }),
  })
  onServer.push(brain)
  return brain
}

async function meta(brain: BrainRepository): Promise<Record<string, string>> {
  const rows = await brain.kysely.selectFrom('brain_schema_meta').select(['key', 'value']).execute()
  return Object.fromEntries(rows.map((r) => [r.key, r.value]))
}

/** The vector table's dimension as its DDL states it (vec0's float[N]; the real[] CHECK or vector(N) on PostgreSQL), or undefined when there is none. */
async function vectorTableDimension(engine: Engine, brain: BrainRepository): Promise<number | undefined> {
  if (engine === 'sqlite') {
    const rows = await sql<{ sql: string }>`SELECT sql FROM sqlite_schema WHERE name = 'brain_embeddings'`.execute(brain.kysely)
    const ddl = rows.rows[0]?.sql
    if (ddl === undefined) return undefined
    expect(ddl).toMatch(/vec0\(embedding float\[\d+\] distance_metric=cosine, embedding_int8 int8\[\d+\], kind text\)/)
    return Number(/float\[(\d+)\]/.exec(ddl)![1])
  }
  const rows = await execSql<{ type: string; check: string | null }>(
    brain,
    sql`
    select format_type(a.atttypid, a.atttypmod) as type,
      (select pg_get_constraintdef(c.oid) from pg_constraint c where c.conrelid = a.attrelid and c.contype = 'c' limit 1) as check
    from pg_attribute a where a.attrelid = to_regclass('brain_embeddings') and a.attname = 'embedding'`,
  )
  const row = rows[0]
  if (row === undefined) return undefined
  if (row.type === 'real[]') return Number(/cardinality\(embedding\) = (\d+)/.exec(row.check ?? '')![1])
  return Number(/vector\((\d+)\)/.exec(row.type)![1])
}

describe.each(BRAIN_ENGINES)('brain embeddings: the vector table (%s)', (engine) => {
  it('is created on the first open with an embedder: cosine vec0, model and dimension recorded', async () => {
    const { brain: plain } = await openBrain(engine)
    expect(await vectorTableDimension(engine, plain)).toBeUndefined()
    const { brain } = await openBrain(engine, { embedder: new FeatureHashingEmbedder({ dimensions: 64 }) })
    expect(await vectorTableDimension(engine, brain)).toBe(64)
    expect(await meta(brain)).toMatchObject({
      'embedding.dimensions': '64',
      'embedding.metric': 'cosine',
      'embedding.model_id': new FeatureHashingEmbedder({ dimensions: 64 }).modelId,
      // sqlite-vec keeps an int8 copy; PostgreSQL records how it keeps the vectors.
      ...(engine === 'sqlite' ? { 'embedding.quantization': 'int8-unit-x254-v1' } : { 'embedding.backend': expect.stringMatching(/^(exact|pgvector-hnsw)$/) }),
    })
    if (engine === 'postgres') expect(await meta(brain)).not.toHaveProperty(['embedding.quantization'])
    expect(await brain.embeddingStatus()).toMatchObject({ embedder: true, dimensions: 64, vectors: 0, queued: 0 })
  })

  it('queues the memories that existed before the first embedder, and reindex embeds them', async () => {
    const file = place(engine)
    const before = await openAt(engine, file)
    await before.record(samples.decision())
    await before.stickyNotes.add({ content: 'a sticky thought' })
    await before.close()
    const brain = await openAt(engine, file, { embedder: new FeatureHashingEmbedder({ dimensions: 32 }) })
    expect(await brain.embeddingStatus()).toMatchObject({ vectors: 0, queued: 2 })
    const progress: number[] = []
    const report = await brain.reindex({ batchSize: 1, onProgress: ({ done }) => progress.push(done) })
    expect(report).toEqual({ embedded: 2, failed: 0, skipped: 0, remaining: 0 })
    expect(progress).toEqual([1, 2])
    expect(await brain.embeddingStatus()).toMatchObject({ vectors: 2, queued: 0 })
  })

  it('refuses another dimension or model id on a later open with VALIDATION; reset + reindex re-embeds everything', async () => {
    const file = place(engine)
    const a = await openAt(engine, file, { embedder: new FeatureHashingEmbedder({ dimensions: 32 }) })
    for (const make of [samples.decision, samples.pattern, samples.learning, samples.observation]) await a.record(make())
    expect((await a.embeddingStatus()).vectors).toBe(4)
    await a.close()

    const error = await expectCode(openAt(engine, file, { embedder: new FeatureHashingEmbedder({ dimensions: 48 }) }), 'VALIDATION')
    expect(error.details?.['stored']).toMatchObject({ dimensions: 32 })
    const renamed = { dimensions: 32, modelId: 'another-model', embed: new FeatureHashingEmbedder({ dimensions: 32 }).embed }
    await expectCode(openAt(engine, file, { embedder: renamed }), 'VALIDATION')
    // Without an embedder the store still opens (full-text only).
    const plain = await openAt(engine, file)
    await expectCode(plain.search('wal', { mode: 'vector' }), 'UNSUPPORTED')
    await plain.close()

    const b = await openAt(engine, file, { embedder: new FeatureHashingEmbedder({ dimensions: 48 }), embedderChange: 'reset' })
    expect(await vectorTableDimension(engine, b)).toBe(48)
    expect(await b.embeddingStatus()).toMatchObject({ dimensions: 48, vectors: 0, queued: 4 })
    expect(await b.search('WAL mode', { mode: 'vector' })).toEqual([])
    expect(await b.reindex()).toEqual({ embedded: 4, failed: 0, skipped: 0, remaining: 0 })
    const hits = await b.search('Use SQLite WAL mode for every store; readers never block the writer', { mode: 'vector' })
    expect(hits[0]?.kind).toBe('decision')
    expect(hits[0]?.signals.vector?.raw).toBeCloseTo(0, 5) // the decision's own text: same direction
  })

  it('refuses a bad embedder declaration', async () => {
    for (const dimensions of [0, 1.5, 9000]) {
      await expectCode(openBrain(engine, { embedder: { dimensions, embed: async () => [] } }), 'VALIDATION')
    }
  })

  it('refuses a write when another handle reset the store to another dimension', async () => {
    const file = place(engine)
    const a = await openAt(engine, file, { embedder: new FeatureHashingEmbedder({ dimensions: 16 }) })
    await openAt(engine, file, { embedder: new FeatureHashingEmbedder({ dimensions: 24 }), embedderChange: 'reset' })
    await expectCode(a.record(samples.learning()), 'VALIDATION')
    await expectCode(a.search('anything', { mode: 'vector' }), 'VALIDATION')
    expect((await a.list()).items).toEqual([])
  })
})

describe.each(BRAIN_ENGINES)('brain embeddings: writes (%s)', (engine) => {
  it('a failed embed still stores the memory and queues it; reindex later embeds it', async () => {
    const embedder = new ControlledEmbedder(new FeatureHashingEmbedder({ dimensions: 32 }))
    const { brain } = await openBrain(engine, { embedder })
    embedder.mode = 'throw'
    const result = await brain.record(samples.learning())
    expect(result).toMatchObject({ outcome: 'created', embedding: 'queued' })
    expect(await brain.get(result.memory.id)).toEqual(result.memory)
    const queue = await execSql(brain, sql`SELECT reason, attempts, last_error FROM brain_embedding_queue`)
    expect(queue).toMatchObject([{ reason: 'failed', attempts: 1, last_error: 'model server unavailable' }])
    expect(await brain.reindex()).toMatchObject({ embedded: 0, failed: 1, remaining: 1 })
    embedder.mode = 'ok'
    expect(await brain.reindex()).toEqual({ embedded: 1, failed: 0, skipped: 0, remaining: 0 })
    expect((await brain.search(samples.learning().insight, { mode: 'vector' }))[0]?.id).toBe(result.memory.id)
  })

  it.each(['wrong-length', 'nan', 'wrong-count'] as const)('refuses a malformed embedding (%s) with VALIDATION before writing', async (mode) => {
    const embedder = new ControlledEmbedder(new FeatureHashingEmbedder({ dimensions: 32 }))
    const { brain } = await openBrain(engine, { embedder })
    embedder.mode = mode
    await expectCode(brain.record(samples.observation()), 'VALIDATION')
    await expectCode(brain.stickyNotes.add({ content: 'note' }), 'VALIDATION')
    expect((await brain.list()).items).toEqual([])
    expect(await brain.embeddingStatus()).toMatchObject({ vectors: 0, queued: 0 })
  })

  it('re-embedding replaces the vector (delete + insert), never a second row', async () => {
    const embedder = new KnownVectorEmbedder(3, [
      ['alpha', [1, 0, 0]],
      ['beta', [0, 1, 0]],
    ])
    const { brain } = await openBrain(engine, { embedder })
    const { memory } = await brain.record(samples.learning('alpha insight'))
    expect((await brain.search('alpha', { mode: 'vector' }))[0]?.signals.vector?.raw).toBeCloseTo(0, 6)
    await brain.update(memory.id, { kind: 'learning', insight: 'beta insight' })
    expect((await brain.embeddingStatus()).vectors).toBe(1)
    const [hit] = await brain.search('beta', { mode: 'vector' })
    expect(hit?.signals.vector?.raw).toBeCloseTo(0, 6)
    // An update that leaves the text alone does not call the embedder.
    const calls = embedder.calls
    await brain.update(memory.id, { kind: 'learning', confidence: 0.2 })
    expect(embedder.calls).toBe(calls)
  })

  it('a failed re-embed on update drops the stale vector and queues the memory', async () => {
    const embedder = new ControlledEmbedder(new FeatureHashingEmbedder({ dimensions: 32 }))
    const { brain } = await openBrain(engine, { embedder })
    const { memory } = await brain.record(samples.pattern())
    embedder.mode = 'throw'
    await brain.update(memory.id, { kind: 'pattern', pattern: 'Completely different words now' })
    expect(await brain.embeddingStatus()).toMatchObject({ vectors: 0, queued: 1 })
  })

  it('without an embedder, writes to a store that has vectors are queued (no_embedder)', async () => {
    const file = place(engine)
    const a = await openAt(engine, file, { embedder: new FeatureHashingEmbedder({ dimensions: 16 }) })
    await a.close()
    const b = await openAt(engine, file)
    expect((await b.record(samples.decision())).embedding).toBe('queued')
    await expectCode(b.reindex(), 'UNSUPPORTED')
    expect((await b.kysely.selectFrom('brain_embedding_queue').select('reason').execute()).map((r) => r.reason)).toEqual(['no_embedder'])
  })

  it('text without features gets no vector and is not queued', async () => {
    const { brain } = await openBrain(engine, { embedder: new FeatureHashingEmbedder({ dimensions: 16 }) })
    const result = await brain.record({ kind: 'learning', insight: '!!! ???', source: '...', confidence: 0.5 })
    expect(result.embedding).toBe('none')
    expect(await brain.embeddingStatus()).toMatchObject({ vectors: 0, queued: 0 })
  })

  it('deleting a memory removes its vector', async () => {
    const { brain } = await openBrain(engine, { embedder: new FeatureHashingEmbedder({ dimensions: 16 }) })
    const { memory } = await brain.record(samples.decision())
    expect((await brain.embeddingStatus()).vectors).toBe(1)
    await brain.delete(memory.id)
    expect((await brain.embeddingStatus()).vectors).toBe(0)
  })
})

describe.each(BRAIN_ENGINES)('brain embeddings: cosine ranking on known vectors (%s)', (engine) => {
  const table: ReadonlyArray<readonly [string, number[]]> = [
    ['north', [1, 0, 0, 0]],
    ['northeast', [1, 1, 0, 0]],
    ['east', [0, 1, 0, 0]],
    ['south', [-1, 0, 0, 0]],
    ['query-n', [2, 0.2, 0, 0]],
  ]

  it('ranks by cosine distance (not L2) and reports 1 − cosine as the raw value', async () => {
    // Longer vectors in the same direction must not rank worse: cosine ignores length.
    const embedder = new KnownVectorEmbedder(4, [['northeast', [10, 10, 0, 0]], ...table])
    const { brain } = await openBrain(engine, { embedder })
    const ids = new Map<string, string>()
    for (const name of ['north', 'northeast', 'east', 'south']) ids.set((await brain.record(samples.learning(`${name} insight`))).memory.id, name)
    const hits = await brain.search('query-n', { mode: 'vector', limit: 10 })
    expect(hits.map((h) => ids.get(h.id))).toEqual(['north', 'northeast', 'east']) // south: similarity ≤ 0, dropped
    const q = [2, 0.2, 0, 0]
    const cos = (v: number[]) => (q[0]! * v[0]! + q[1]! * v[1]!) / (Math.hypot(...q) * Math.hypot(...v))
    expect(hits[0]!.signals.vector!.raw).toBeCloseTo(1 - cos([1, 0, 0, 0]), 5)
    expect(hits[1]!.signals.vector!.raw).toBeCloseTo(1 - cos([10, 10, 0, 0]), 5)
    expect(hits[2]!.signals.vector!.raw).toBeCloseTo(1 - cos([0, 1, 0, 0]), 5)
    expect(hits.map((h) => h.signals.vector!.rank)).toEqual([1, 2, 3])
    expect(hits[0]!.score).toBeCloseTo(cos([1, 0, 0, 0]), 5)
  })

  it('the binary candidate path re-ranks by exact cosine and finds the same neighbours as the exact scan', async () => {
    const embedder = new FeatureHashingEmbedder({ dimensions: 128 })
    const exact = (await openBrain(engine, { embedder, searchTuning: { exactSearchUpTo: Infinity } })).brain
    // SQLite measures the binary path (6 vectors: it finds them all) and takes it; PostgreSQL takes it when told to.
    const approx = (await openBrain(engine, { embedder, searchTuning: { exactSearchUpTo: 0, ...(engine === 'postgres' ? { binaryPreselection: 'always' as const } : {}) } })).brain
    const texts = [
      'sqlite busy timeout retry',
      'deploy pipeline cache warmup',
      'vector index cosine distance',
      'sticky notes convert to memory',
      'task dependencies cycle detection',
      'agent availability fallback selection',
    ]
    for (const text of texts) {
      await exact.record(samples.observation(text))
      await approx.record(samples.observation(text))
    }
    for (const query of ['cosine vector', 'busy retry', 'cycle in dependencies']) {
      const a = await approx.search(query, { mode: 'vector', limit: 3 })
      const e = await exact.search(query, { mode: 'vector', limit: 3 })
      expect(a.map((h) => h.entry.kind === 'observation' && h.entry.title)).toEqual(e.map((h) => h.entry.kind === 'observation' && h.entry.title))
      a.forEach((hit, i) => expect(hit.signals.vector!.raw).toBeCloseTo(e[i]!.signals.vector!.raw, 6))
    }
    await expectCode(openBrain(engine, { searchTuning: { oversample: 0 } }), 'VALIDATION')
    await expectCode(openBrain(engine, { searchTuning: { exactSearchUpTo: -1 } }), 'VALIDATION')
    if (engine === 'sqlite') await expectCode(BrainRepository.open(':memory:', { mmapSize: -1 }), 'VALIDATION')
  })
})
