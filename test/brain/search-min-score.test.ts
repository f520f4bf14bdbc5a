/**
 * `minScore` (issue 15 item 7): search can say "nothing relevant". Figures of the
 * feature-hashing embedder quoted in docs/brain-search-and-embedders.md come from
 * the corpus below (printed with CLEO_PRINT_SCORES=1).
 */
import { describe, expect, it } from 'vitest'

import { FeatureHashingEmbedder } from '../../src/brain/index.js'
import { expectCode } from '../helpers.js'
import { samples } from './brain-helpers.js'
import type { BrainEngineName } from './open-brain.js'
import { BRAIN_ENGINES, openBrainOn } from './open-brain.js'

const CORPUS = [
  'Use SQLite WAL mode so readers never block the writer',
  'Retry the whole transaction when SQLite reports BUSY',
  'Deferred transactions that upgrade get BUSY without waiting',
  'Deploy step times out while the cache is cold',
  'Keep the release checklist in the repository wiki',
  'Agents post progress to the shared conversation every hour',
  'Rotate API keys every ninety days and store them encrypted',
  'Prefer small pull requests reviewed by two people',
  'Benchmarks run on an idle machine with the CPU governor pinned',
  'Sticky notes are converted into learnings at the end of a session',
  'Vector search ranks entries by cosine similarity of embeddings',
  'Full-text search ranks entries by BM25 over stemmed words',
]

const RELATED = 'why does sqlite report busy when a transaction retries'
const UNRELATED = 'banana bread recipe walnuts cinnamon'
/** Unrelated too, but shares the words `with` and `and` with two entries. */
const UNRELATED_COMMON_WORDS = 'banana bread recipe with walnuts and cinnamon'

/** The corpus, with vectors where the engine has them. */
async function corpus(engine: BrainEngineName) {
  const opened = await openBrainOn(engine, { embedder: new FeatureHashingEmbedder() })
  for (const [i, text] of CORPUS.entries()) await opened.brain.record(samples.learning(`${text} (${i})`))
  return opened
}

describe.each(BRAIN_ENGINES)('brain search: minScore (%s)', (engine) => {
  it('an unrelated query fills the limit with weak vector hits; minScore empties it while a related query keeps its best hits', async () => {
    const { brain } = await corpus(engine)
    const figures: Record<string, { related: number[]; unrelated: number[] }> = {}
    for (const mode of ['vector', 'hybrid', 'fts'] as const) {
      const related = (await brain.search(RELATED, { mode, limit: 5 })).map((h) => h.score)
      const unrelated = (await brain.search(UNRELATED, { mode, limit: 5 })).map((h) => h.score)
      figures[mode] = { related, unrelated }
    }
    if (process.env['CLEO_PRINT_SCORES']) console.log(JSON.stringify(figures, null, 1))
    // Without minScore the unrelated query still returns hits in vector and hybrid modes…
    expect(figures['vector']!.unrelated.length).toBeGreaterThan(0)
    expect(figures['hybrid']!.unrelated.length).toBeGreaterThan(0)
    // …all of them weaker than the related query's best hit.
    const bestUnrelated = Math.max(...figures['vector']!.unrelated)
    expect(figures['vector']!.related[0]!).toBeGreaterThan(bestUnrelated)
    // FTS finds nothing: the unrelated query shares no word with the corpus.
    expect(figures['fts']!.unrelated).toEqual([])

    // The limit of a relative BM25 score: a query sharing only common words gets a
    // best full-text hit scoring 1 (documented; the vector signal stays low).
    const common = await brain.search(UNRELATED_COMMON_WORDS, { mode: 'hybrid', limit: 5 })
    if (process.env['CLEO_PRINT_SCORES']) console.log(JSON.stringify(common.map((h) => [h.score, h.signals.fts?.score, h.signals.vector?.score])))
    expect(Math.max(...common.map((h) => h.signals.fts?.score ?? 0))).toBe(1)
    expect(common[0]!.score).toBeGreaterThan(0.7)
    expect(common[0]!.signals.vector?.score ?? 0).toBeLessThan(0.2)

    for (const mode of ['vector', 'hybrid'] as const) {
      const threshold = 0.2
      expect(await brain.search(UNRELATED, { mode, minScore: threshold })).toEqual([])
      const kept = await brain.search(RELATED, { mode, minScore: threshold })
      expect(kept.length).toBeGreaterThan(0)
      expect(kept.every((h) => h.score >= threshold)).toBe(true)
      expect(kept[0]!.entry.kind === 'learning' && kept[0]!.entry.insight).toMatch(/BUSY/)
      // Everything at or above the threshold is kept, in the same order.
      const all = await brain.search(RELATED, { mode, limit: 50 })
      expect(kept.map((h) => h.id)).toEqual(all.filter((h) => h.score >= threshold).slice(0, 10).map((h) => h.id))
    }
  })

  it('fts mode: minScore is relative to the best full-text hit (which scores 1)', async () => {
    const { brain } = await corpus(engine)
    const all = await brain.search(RELATED, { mode: 'fts', limit: 50 })
    expect(all[0]!.score).toBe(1)
    const weaker = all.filter((h) => h.score < 1)
    expect(weaker.length).toBeGreaterThan(0)
    const cut = (await brain.search(RELATED, { mode: 'fts', limit: 50, minScore: 0.999 })).map((h) => h.id)
    expect(cut).toEqual(all.filter((h) => h.score >= 0.999).map((h) => h.id))
    expect(cut.length).toBeLessThan(all.length)
  })

  it('rrf fusion scores are small (Σ 1/(60+rank)): minScore works on that scale too', async () => {
    const { brain } = await corpus(engine)
    const all = await brain.search(RELATED, { mode: 'hybrid', fusion: 'rrf', limit: 50 })
    expect(all[0]!.score).toBeLessThanOrEqual(2 / 61)
    const threshold = 1 / 61 + 1e-9 // found by both signals
    const kept = await brain.search(RELATED, { mode: 'hybrid', fusion: 'rrf', limit: 50, minScore: threshold })
    expect(kept.length).toBeGreaterThan(0)
    expect(kept.every((h) => h.signals.fts !== null && h.signals.vector !== null)).toBe(true)
    expect(kept.length).toBe(all.filter((h) => h.score >= threshold).length)
  })

  it('minScore outside 0..1 or not a number is VALIDATION naming it', async () => {
    const { brain } = await corpus(engine)
    for (const bad of [-0.1, 1.5, Number.NaN, '0.5']) {
      const error = await expectCode(brain.search('sqlite', { minScore: bad as never }), 'VALIDATION')
      expect(error.details?.['path']).toEqual(['minScore'])
    }
  })
})
