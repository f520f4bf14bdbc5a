/**
 * A small golden query set over a realistic agent memory: recall@5 per search
 * mode, printed, and the rule that hybrid is never worse than either signal alone —
 * on SQLite and, when the run has a server, on PostgreSQL (exact vector path), where
 * the vector signal must also be the same as SQLite's: the same neighbours in the
 * same order, with the same distances to 1e-6.
 */
import { describe, expect, it } from 'vitest'

import type { BrainMemoryInputOf, BrainMemoryKind, BrainRepository, BrainSearchHit } from '../../src/brain/index.js'
import { FeatureHashingEmbedder } from '../../src/brain/index.js'
import { POSTGRES_URL } from '../postgres/pg-test-schemas.js'
import { CORPUS, GOLDEN } from './fixtures/golden-set.js'
import type { BrainEngineName } from './open-brain.js'
import { BRAIN_ENGINES, openBrainOn } from './open-brain.js'

/** The golden corpus in a fresh store on `engine`; the label of each stored id. */
async function goldenStore(engine: BrainEngineName): Promise<{ brain: BrainRepository; labels: Map<string, string> }> {
  const { brain } = await openBrainOn(engine, { embedder: new FeatureHashingEmbedder() })
  const labels = new Map<string, string>()
  for (const entry of CORPUS) {
    const { label, ...input } = entry
    const id =
      input.kind === 'sticky'
        ? (await brain.stickyNotes.add({ content: input.content })).note.id
        : (await brain.record(input as BrainMemoryInputOf<BrainMemoryKind> & { kind: BrainMemoryKind })).memory.id
    labels.set(id, label)
  }
  return { brain, labels }
}

async function recallAt5(
  brain: BrainRepository,
  labels: Map<string, string>,
  mode: 'fts' | 'vector' | 'hybrid',
  fusion: 'score' | 'rrf' = 'score',
): Promise<{ recall: number; perQuery: number[] }> {
  const perQuery: number[] = []
  for (const [query, relevant] of GOLDEN) {
    const hits = await brain.search(query, { mode, fusion, limit: 5 })
    const found = new Set(hits.map((h) => labels.get(h.id)))
    perQuery.push(relevant.filter((label) => found.has(label)).length / relevant.length)
  }
  return { recall: perQuery.reduce((a, b) => a + b, 0) / perQuery.length, perQuery }
}

describe('brain golden queries', () => {
  it.each(BRAIN_ENGINES)('%s: reports recall@5 per mode; hybrid is not worse than either signal alone', async (engine) => {
    const { brain, labels } = await goldenStore(engine)
    const fts = await recallAt5(brain, labels, 'fts')
    const vector = await recallAt5(brain, labels, 'vector')
    const hybrid = await recallAt5(brain, labels, 'hybrid')
    const rrf = await recallAt5(brain, labels, 'hybrid', 'rrf')
    if (process.env['BRAIN_GOLDEN_DEBUG']) {
      GOLDEN.forEach(([q], i) => console.log(q.padEnd(40), fts.perQuery[i], vector.perQuery[i], hybrid.perQuery[i], rrf.perQuery[i]))
    }
    console.log(
      `brain golden set on ${engine} (${GOLDEN.length} queries, ${CORPUS.length} entries) recall@5: ` +
        `fts ${fts.recall.toFixed(3)}  vector ${vector.recall.toFixed(3)}  hybrid(score) ${hybrid.recall.toFixed(3)}  hybrid(rrf) ${rrf.recall.toFixed(3)}`,
    )
    expect(hybrid.recall).toBeGreaterThanOrEqual(fts.recall)
    expect(hybrid.recall).toBeGreaterThanOrEqual(vector.recall)
    expect(rrf.recall).toBeGreaterThanOrEqual(Math.min(fts.recall, vector.recall))
    // The set is not trivial for either signal alone.
    expect(fts.recall).toBeLessThan(1)
    expect(vector.recall).toBeLessThan(1)
  })

  it.runIf(POSTGRES_URL !== null)('the vector signal is the same on both engines: neighbours, order and distances (to 1e-6)', async () => {
    const lite = await goldenStore('sqlite')
    const pg = await goldenStore('postgres')
    const signal = (hits: BrainSearchHit[], labels: Map<string, string>) => hits.map((h) => ({ label: labels.get(h.id), raw: h.signals.vector!.raw }))
    let compared = 0
    for (const [query] of GOLDEN) {
      const a = signal(await lite.brain.search(query, { mode: 'vector', limit: 10 }), lite.labels)
      const b = signal(await pg.brain.search(query, { mode: 'vector', limit: 10 }), pg.labels)
      expect(b.map((h) => h.label), query).toEqual(a.map((h) => h.label))
      a.forEach((hit, i) => expect(Math.abs(hit.raw - b[i]!.raw), `${query}: ${hit.label}`).toBeLessThan(1e-6))
      compared += a.length
    }
    expect(compared).toBeGreaterThan(GOLDEN.length * 5)
  })
})
