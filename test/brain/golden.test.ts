/**
 * A small golden query set over a realistic agent memory: recall@5 per search
 * mode, printed, and the rule that hybrid is never worse than either signal alone.
 */
import { beforeAll, describe, expect, it } from 'vitest'

import type { BrainMemoryInputOf, BrainMemoryKind, BrainRepository } from '../../src/brain/index.js'
import { FeatureHashingEmbedder } from '../../src/brain/index.js'
import { openBrain } from './brain-helpers.js'

type Entry = { label: string } & (
  | ({ kind: BrainMemoryKind } & BrainMemoryInputOf<BrainMemoryKind>)
  | { kind: 'sticky'; content: string; tags?: string[] }
)

const d = (label: string, decision: string, rationale: string): Entry => ({ label, kind: 'decision', type: 'technical', decision, rationale, confidence: 'high' })
const p = (label: string, pattern: string, context: string): Entry => ({ label, kind: 'pattern', type: 'workflow', pattern, context })
const l = (label: string, insight: string, source: string): Entry => ({ label, kind: 'learning', insight, source, confidence: 0.8 })
const o = (label: string, title: string, narrative: string): Entry => ({ label, kind: 'observation', title, narrative })
const s = (label: string, content: string): Entry => ({ label, kind: 'sticky', content })

const CORPUS: Entry[] = [
  d('wal', 'Use SQLite WAL journal mode for every store', 'readers never block the single writer; checkpoints keep the log short'),
  d('busy', 'Retry write transactions on SQLITE_BUSY with jittered backoff', 'busy_timeout alone gives up after 100 ms slices'),
  d('uuid', 'Identify memories with UUIDv7 instead of D### counters', 'counters raced between processes and overflowed at D999'),
  d('kysely', 'Build queries with Kysely and compile hot paths once', 'typed SQL without an ORM runtime'),
  d('postgres', 'Keep PostgreSQL out of the local tier', 'an embedded library must not need a server'),
  d('vec', 'Store embeddings in a vec0 table with cosine distance', 'L2 distances were misread as cosine before'),
  p('backoff', 'Exponential backoff with full jitter for redelivery', 'delivery queue nack path'),
  p('lease', 'Claim jobs with a fenced lease token', 'two workers must never ack the same job'),
  p('migrate', 'Checksum every applied migration and refuse edited ones', 'schema drift between releases'),
  p('dedup', 'Hash normalised text to deduplicate memories on write', 'agents record the same insight many times'),
  p('flaky', 'Quarantine flaky integration tests instead of retrying blindly', 'CI time doubled from retries'),
  p('batch', 'Batch embedding calls to amortise model latency', 'reindex of thousands of entries'),
  l('deferred', 'A deferred transaction that upgrades to a writer gets BUSY immediately', 'incident during the conduit rollout'),
  l('fts', 'FTS5 query syntax errors leak to callers unless user text is quoted', 'search crashed on a stray double quote'),
  l('rrf', 'Reciprocal rank fusion compresses scores to about 0.016', 'basic-memory release notes'),
  l('mmap', 'Memory-mapped reads make vector point lookups cheap', 'profiling the rescoring step'),
  l('foreignkeys', 'Foreign keys were silently off in the test environment', 'VITEST flag disabled PRAGMA foreign_keys'),
  l('ratelimit', 'The embedding provider rate-limits bursts above fifty requests per second', 'reindex job failures'),
  l('timezone', 'Store timestamps as epoch milliseconds, never local time strings', 'mixed formats broke ordering'),
  o('deploy', 'Deployment pipeline times out on cold caches', 'the artifact download dominates the first run'),
  o('oom', 'Worker process ran out of memory during reindex', 'all vectors were held in one array'),
  o('disk', 'Disk full during backup left a truncated file', 'the rename happened before fsync'),
  o('locks', 'Writer lock contention spikes when three agents commit at once', 'observed in the conduit queue'),
  o('vacuum', 'VACUUM INTO produced a consistent snapshot in four seconds', 'backup of the brain database'),
  o('unicode', 'Emoji and combining accents round-trip through the store unchanged', 'naïve café 🧠 test'),
  o('index', 'Missing index on task_id made the links query scan the table', 'EXPLAIN QUERY PLAN showed SCAN'),
  s('todo-vec', 'check whether vector search ever ran in production'),
  s('todo-docs', 'update the README section about hybrid search'),
  s('todo-keys', 'rotate the machine key after the credential cipher change'),
  d('telemetry', 'Telemetry stays opt-in and writes nothing unless enabled', 'users must consent before any file is created'),
  p('outbox', 'Write the outbox row in the same transaction as the message', 'no message without its delivery job'),
  l('wrongtable', 'Decision dedup hashed against the learnings table by mistake', 'code review of the extraction gate'),
  o('orphans', 'Orphaned memory links pointed at deleted tasks', 'reconcile ran one query per row'),
]

/** Query → labels that answer it. */
const GOLDEN: Array<[query: string, relevant: string[]]> = [
  ['WAL journal mode', ['wal']],
  ['what to do when sqlite says busy', ['busy', 'deferred']],
  ['jitter backoff for retries', ['backoff', 'busy']],
  ['fenced lease claim', ['lease']],
  ['migraton checksums', ['migrate']], // typo
  ['embeding vectors cosine', ['vec']], // typo
  ['postgres server', ['postgres']], // "postgres" ≠ "postgresql" for the stemmer
  ['deduplicate memories', ['dedup', 'wrongtable']],
  ['ratelimiting embedding provider', ['ratelimit']], // "ratelimiting" ≠ "rate-limits"
  ['deploy timeouts', ['deploy']],
  ['out of memory reindex', ['oom']],
  ['foreign key enforcement in tests', ['foreignkeys']],
  ['fusion score compression', ['rrf']],
  ['lock contention between agents', ['locks']],
  ['orphan links to deleted tasks', ['orphans']],
  ['did vector search ever run', ['todo-vec', 'vec']],
  ['emoji unicode accents', ['unicode']],
  ['timestamps epoch milliseconds', ['timezone']],
]

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
