/**
 * A small golden query set over a realistic agent memory: recall@5 per search
 * mode, printed, and the rule that hybrid is never worse than either signal alone.
 */
import { beforeAll, describe, expect, it } from 'vitest'

import type { BrainMemoryInputOf, BrainMemoryKind, BrainRepository } from '../../src/brain/index.js'
import { FeatureHashingEmbedder } from '../../src/brain/index.js'
import { openBrain } from './brain-helpers.js'
import { CORPUS, GOLDEN } from './fixtures/golden-set.js'

describe('brain golden queries', () => {
  let brain: BrainRepository
  const ids = new Map<string, string>()

  beforeAll(async () => {
    ;({ brain } = await openBrain({ embedder: new FeatureHashingEmbedder() }))
    for (const entry of CORPUS) {
      const { label, ...input } = entry
      const id =
        input.kind === 'sticky'
          ? (await brain.stickyNotes.add({ content: input.content })).note.id
          : (await brain.record(input as BrainMemoryInputOf<BrainMemoryKind> & { kind: BrainMemoryKind })).memory.id
      ids.set(id, label)
    }
  })

  async function recallAt5(mode: 'fts' | 'vector' | 'hybrid', fusion: 'score' | 'rrf' = 'score'): Promise<{ recall: number; perQuery: number[] }> {
    const perQuery: number[] = []
    for (const [query, relevant] of GOLDEN) {
      const hits = await brain.search(query, { mode, fusion, limit: 5 })
      const found = new Set(hits.map((h) => ids.get(h.id)))
      perQuery.push(relevant.filter((label) => found.has(label)).length / relevant.length)
    }
    return { recall: perQuery.reduce((a, b) => a + b, 0) / perQuery.length, perQuery }
  }

  it('reports recall@5 per mode; hybrid is not worse than either signal alone', async () => {
    const fts = await recallAt5('fts')
    const vector = await recallAt5('vector')
    const hybrid = await recallAt5('hybrid')
    const rrf = await recallAt5('hybrid', 'rrf')
    if (process.env['BRAIN_GOLDEN_DEBUG']) {
      GOLDEN.forEach(([q], i) => console.log(q.padEnd(40), fts.perQuery[i], vector.perQuery[i], hybrid.perQuery[i], rrf.perQuery[i]))
    }
    console.log(
      `brain golden set (${GOLDEN.length} queries, ${CORPUS.length} entries) recall@5: ` +
        `fts ${fts.recall.toFixed(3)}  vector ${vector.recall.toFixed(3)}  hybrid(score) ${hybrid.recall.toFixed(3)}  hybrid(rrf) ${rrf.recall.toFixed(3)}`,
    )
    expect(hybrid.recall).toBeGreaterThanOrEqual(fts.recall)
    expect(hybrid.recall).toBeGreaterThanOrEqual(vector.recall)
    expect(rrf.recall).toBeGreaterThanOrEqual(Math.min(fts.recall, vector.recall))
    // The set is not trivial for either signal alone.
    expect(fts.recall).toBeLessThan(1)
    expect(vector.recall).toBeLessThan(1)
  })
})
