/**
 * brain.db search: record a few memories of different kinds, then search them by
 * full text, by vector, and hybrid — with the feature-hashing embedder that ships
 * with cleo-store (offline, deterministic; plug a real model in through `Embedder`).
 *
 *   node examples/brain-search.ts [directory]
 *
 * Pass a directory to keep `brain.db` there, or a temporary one is used.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { BrainRepository, FeatureHashingEmbedder } from 'cleo-store'

const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'cleo-brain-'))
const brain = await BrainRepository.open(join(dir, 'brain.db'), { embedder: new FeatureHashingEmbedder() })
try {
  const wal = await brain.record({
    kind: 'decision',
    type: 'technical',
    decision: 'Use SQLite WAL mode for every store',
    rationale: 'readers never block the single writer',
    confidence: 'high',
  })
  await brain.record({ kind: 'pattern', type: 'workflow', pattern: 'Retry the whole transaction on SQLITE_BUSY', context: 'write paths' })
  await brain.record({ kind: 'learning', insight: 'A deferred transaction that upgrades gets BUSY at once', source: 'incident', confidence: 0.8 })
  await brain.record({ kind: 'observation', title: 'Deployment pipeline times out on cold caches', narrative: 'first run only' })
  await brain.stickyNotes.add({ content: 'check writer lock contention under three agents' })

  // Recording the same decision again does not add a row: it cites the first one.
  const again = await brain.record({ kind: 'decision', type: 'technical', decision: 'use sqlite  WAL mode for every store', rationale: 'again', confidence: 'high' })
  console.log(`record again: ${again.outcome}, citations ${again.memory.citationCount}, same id: ${again.memory.id === wal.memory.id}`)

  for (const [query, mode] of [
    ['sqlite busy writer', 'fts'],
    ['deplyo timeouts', 'vector'], // typos: full text finds nothing, trigram vectors do
    ['what happens when sqlite is busy', 'hybrid'],
  ] as const) {
    const hits = await brain.search(query, { mode, limit: 3 })
    console.log(`\n${mode.padEnd(6)} "${query}"`)
    for (const hit of hits) {
      const fts = hit.signals.fts ? `fts #${hit.signals.fts.rank}` : 'fts -'
      const vec = hit.signals.vector ? `vec #${hit.signals.vector.rank}` : 'vec -'
      const text = hit.entry.kind === 'sticky' ? hit.entry.content : hit.entry.kind === 'decision' ? hit.entry.decision : hit.entry.kind === 'pattern' ? hit.entry.pattern : hit.entry.kind === 'learning' ? hit.entry.insight : hit.entry.title
      console.log(`  ${hit.score.toFixed(3)}  ${hit.kind.padEnd(11)} ${fts.padEnd(7)} ${vec.padEnd(7)} ${text}`)
    }
  }

  // Any text is a safe query: FTS5 syntax is never interpreted.
  console.log(`\nhostile query "NEAR((\\"*": ${(await brain.search('NEAR(("*', { mode: 'fts' })).length} hits, no error`)

  const status = await brain.embeddingStatus()
  console.log(`vectors: ${status.vectors} × ${status.dimensions}d (${status.modelId}), queued: ${status.queued}`)
  console.log(`store: ${brain.path}`)
} finally {
  await brain.close()
}
