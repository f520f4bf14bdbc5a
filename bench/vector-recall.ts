/**
 * Recall of the binary pre-selection against the exact scan (issue 19 item 7):
 * `node --import tsx bench/vector-recall.ts [--quick] [corpus name filter…]` → a Markdown table and
 * `bench/results/vector-recall.json`.
 *
 * Per corpus: the store is seeded, reopened with the default tuning above
 * `exactSearchUpTo` (so it measures itself and records its plan), and the same
 * queries run in `mode: 'vector'`, `limit: 10` on three handles of the same file:
 * exact (`binaryPreselection: 'never'`), the store's own choice (`'auto'`) and
 * binary forced (`'always'`, with the oversampling the store measured, or 10).
 * Recall@10 is tie-aware: a result counts when its exact cosine distance is within
 * the exact 10th neighbour's. Queries are texts that are not in the store.
 *
 * Corpora: the golden set's 33 entries plus 20 000 (quick: 5 000) filler memories
 * and its 18 queries (feature hashing); the bench's 100k feature-hashing corpus
 * (`memoryText`); 100k topic-structured vectors (`TopicEmbedder`); 100k random
 * clustered vectors; 100k isotropic random vectors.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import type { BrainMemoryInputOf, BrainMemoryKind, Embedder } from '../src/brain/index.js'
import { BrainRepository, FeatureHashingEmbedder } from '../src/brain/index.js'
import { EMBEDDING_META } from '../src/brain/vector-index.js'
import type { VectorSearchPlan } from '../src/brain/vector-index.js'
import { CORPUS, GOLDEN } from '../test/brain/fixtures/golden-set.js'
import { memoryText, TopicEmbedder } from './workloads/brain.js'
import { prng } from '../test/brain/fixtures/prng.js'

const quick = process.argv.includes('--quick')
const N = quick ? 10_000 : 100_000

function gaussians(random: () => number, n: number): Float32Array {
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random())
  return out
}

/** Seeded random vectors for texts `v<i>` / `q<i>`: `clusters` Gaussian clusters (noise 0.5 of a centroid), or isotropic (0). */
class RandomEmbedder implements Embedder {
  readonly dimensions = 384
  readonly modelId: string
  readonly #centroids: Float32Array[]
  constructor(readonly clusters: number) {
    this.modelId = `bench-random/${clusters}`
    const random = prng(99)
    this.#centroids = Array.from({ length: clusters }, () => gaussians(random, 384))
  }
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((text) => {
      const m = /^([vq])(\d+)/.exec(text)!
      const random = prng((m[1] === 'q' ? 7_000_001 : 3) + Number(m[2]) * 7919)
      const noise = gaussians(random, 384)
      if (this.clusters === 0) return noise
      const c = this.#centroids[Math.floor(random() * this.clusters)]!
      return c.map((x, i) => x + 0.5 * noise[i]!)
    })
  }
}

interface Corpus {
  readonly name: string
  readonly embedder: Embedder
  readonly size: number
  entries(start: number, end: number): Array<BrainMemoryInputOf<BrainMemoryKind> & { kind: BrainMemoryKind }>
  readonly queries: readonly string[]
}

const numbered = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`)
const observations = (texts: (i: number) => { title: string; narrative: string }) => (start: number, end: number) =>
  Array.from({ length: end - start }, (_, j) => ({ kind: 'observation' as const, ...texts(start + j) }))
const golden = CORPUS.filter((e) => e.kind !== 'sticky').map(({ label: _label, ...input }) => input) as unknown as Array<
  BrainMemoryInputOf<BrainMemoryKind> & { kind: BrainMemoryKind }
>
const fillerSize = quick ? 5_000 : 20_000

const corpora: Corpus[] = [
  {
    name: `golden set (${golden.length} entries + ${fillerSize} filler memories, feature hashing)`,
    embedder: new FeatureHashingEmbedder({ dimensions: 384 }),
    size: golden.length + fillerSize,
    entries: (start, end) => [...(start === 0 ? golden : []), ...observations(memoryText)(start, Math.min(end, fillerSize))].slice(0, end - start),
    queries: GOLDEN.map(([q]) => q),
  },
  {
    name: `bench corpus (${N / 1000}k, feature hashing)`,
    embedder: new FeatureHashingEmbedder({ dimensions: 384 }),
    size: N,
    entries: observations(memoryText),
    queries: ['sqlite writer busy after deploy', 'flaky test network latency', 'memory leak heap profile', 'release review merge', 'token budget prompt'],
  },
  {
    name: `topic-structured (${N / 1000}k, TopicEmbedder)`,
    embedder: new TopicEmbedder(),
    size: N,
    entries: observations(memoryText),
    queries: numbered('query about topic ', 20),
  },
  {
    name: `random, clustered (${N / 1000}k, 2 000 Gaussian clusters)`,
    embedder: new RandomEmbedder(2000),
    size: N,
    entries: observations((i) => ({ title: `v${i}`, narrative: `entry ${i}` })),
    queries: numbered('q', 20),
  },
  {
    name: `random, isotropic (${N / 1000}k)`,
    embedder: new RandomEmbedder(0),
    size: N,
    entries: observations((i) => ({ title: `v${i}`, narrative: `entry ${i}` })),
    queries: numbered('q', 20),
  },
]

function recallAt10(approx: number[], exact: number[]): number {
  if (exact.length === 0) return 1
  const bound = exact[Math.min(9, exact.length - 1)]! + 1e-6
  return approx.slice(0, 10).filter((d) => d <= bound).length / Math.min(10, exact.length)
}

const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const rows: Array<Record<string, unknown>> = []
for (const corpus of corpora.filter((c) => filters.length === 0 || filters.some((f) => c.name.includes(f)))) {
  const dir = mkdtempSync(join(tmpdir(), 'cleo-recall-'))
  try {
    const file = join(dir, 'brain.db')
    const seed = await BrainRepository.open(file, { embedder: corpus.embedder })
    for (let start = 0; start < corpus.size; start += 1000) {
      const batch = corpus.entries(start, Math.min(corpus.size, start + 1000))
      if (batch.length > 0) await seed.recordMany(batch)
    }
    await seed.close()
    const exactSearchUpTo = Math.min(20_000, Math.floor(corpus.size / 2))
    const auto = await BrainRepository.open(file, { embedder: corpus.embedder, searchTuning: { exactSearchUpTo } })
    const meta = new DatabaseSync(file, { readOnly: true })
    const plan = JSON.parse((meta.prepare('SELECT value FROM brain_schema_meta WHERE key = ?').get(EMBEDDING_META.searchPlan) as { value: string }).value) as VectorSearchPlan
    meta.close()
    const exact = await BrainRepository.open(file, { embedder: corpus.embedder, searchTuning: { binaryPreselection: 'never' } })
    const always = await BrainRepository.open(file, {
      embedder: corpus.embedder,
      searchTuning: { exactSearchUpTo, binaryPreselection: 'always', oversample: plan.plan === 'binary' ? plan.oversample : 10 },
    })
    let forced = 0
    let chosen = 0
    for (const q of corpus.queries) {
      const e = (await exact.search(q, { mode: 'vector', limit: 10 })).map((h) => h.signals.vector!.raw)
      forced += recallAt10((await always.search(q, { mode: 'vector', limit: 10 })).map((h) => h.signals.vector!.raw), e)
      chosen += recallAt10((await auto.search(q, { mode: 'vector', limit: 10 })).map((h) => h.signals.vector!.raw), e)
    }
    await Promise.all([auto.close(), exact.close(), always.close()])
    const row = {
      corpus: corpus.name,
      plan: plan.plan,
      measuredRecall: plan.recall,
      oversample: plan.oversample,
      binaryRecall: forced / corpus.queries.length,
      storeChoiceRecall: chosen / corpus.queries.length,
      queries: corpus.queries.length,
    }
    rows.push(row)
    console.log(JSON.stringify(row))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const table = [
  '| corpus | store\'s plan (measured recall@10, oversampling) | binary path recall@10 on the queries | recall@10 of the store\'s choice |',
  '| --- | --- | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r['corpus']} | ${r['plan']} (${(r['measuredRecall'] as number).toFixed(3)}, ×${r['oversample']}) | ${(r['binaryRecall'] as number).toFixed(3)} (${r['queries']} queries) | ${(r['storeChoiceRecall'] as number).toFixed(3)} |`,
  ),
].join('\n')
console.log(`\n${table}`)
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true })
writeFileSync(join(import.meta.dirname, 'results', 'vector-recall.json'), `${JSON.stringify({ date: new Date().toISOString(), quick, rows }, null, 2)}\n`)
