import { describe, expect, it } from 'vitest'

import { CleoWorkspace } from '../../src/workspace/workspace.js'
import { BrainRepository, FeatureHashingEmbedder } from '../../src/brain/index.js'
import { expectCode, runFixture, startGate, tempDir } from '../helpers.js'
import { track } from './brain-helpers.js'
import { BRAIN_ENGINES, openBrainOn } from './open-brain.js'
import { freshSchema, POSTGRES_URL } from '../postgres/pg-test-schemas.js'

describe('brain across processes', () => {
  it('two processes opening a fresh store with an embedder create one vector table and dedup each other', async () => {
    const file = `${tempDir()}/brain.db`
    // Both open the fresh store at the same time: a barrier, not a start time.
    const gate = startGate(2)
    const results = await Promise.all(['a', 'b'].map((tag) => runFixture('../brain/fixtures/brain-writer.ts', [file, tag, gate])))
    const outcomes = results.map((r) => JSON.parse(r.stdout) as Record<string, number>)
    const created = outcomes.reduce((n, o) => n + (o['created'] ?? 0), 0)
    const duplicates = outcomes.reduce((n, o) => n + (o['duplicate'] ?? 0), 0)
    expect(created).toBe(60) // 20 shared once + 20 + 20 own
    expect(duplicates).toBe(20)

    const brain = track(await BrainRepository.open(file, { embedder: new FeatureHashingEmbedder({ dimensions: 64 }) }))
    const all = []
    for (let page = await brain.list({ limit: 1000 }); ; ) {
      all.push(...page.items)
      if (page.nextCursor === null) break
      page = await brain.list({ limit: 1000, cursor: page.nextCursor })
    }
    expect(all).toHaveLength(60)
    expect(all.filter((m) => m.citationCount === 1)).toHaveLength(20)
    expect(await brain.embeddingStatus()).toMatchObject({ dimensions: 64, vectors: 60, queued: 0 })
    expect((await brain.integrityCheck()).ok).toBe(true)
  })
})

describe.each(BRAIN_ENGINES.filter((engine) => engine === 'postgres'))('brain across processes (%s)', () => {
  it('two processes recording into one schema at once dedup each other: each shared text is created once', async () => {
    const schema = freshSchema('brain')
    const gate = startGate(2)
    const results = await Promise.all(['a', 'b'].map((tag) => runFixture('../brain/fixtures/brain-writer.ts', [POSTGRES_URL!, tag, gate, schema])))
    const outcomes = results.map((r) => JSON.parse(r.stdout) as Record<string, number>)
    expect(outcomes.reduce((n, o) => n + (o['created'] ?? 0), 0)).toBe(60) // 20 shared once + 20 + 20 own
    expect(outcomes.reduce((n, o) => n + (o['duplicate'] ?? 0), 0)).toBe(20)

    const { brain } = await openBrainOn('postgres', {}, schema)
    const all = []
    // The writers ran on the real clock, this handle on the manual one (T0, before them): every memory, valid or not yet.
    for await (const memory of brain.iterate({ limit: 25, validOnly: false })) all.push(memory)
    expect(all).toHaveLength(60)
    expect(all.filter((m) => m.citationCount === 1)).toHaveLength(20)
  })
})

describe('workspace wiring', () => {
  it('passes the embedder to brain.db only; vector search works through the workspace', async () => {
    const project = tempDir()
    const ws = await CleoWorkspace.open(project, { globalDir: tempDir(), embedder: new FeatureHashingEmbedder({ dimensions: 32 }) })
    try {
      const { memory } = await ws.brain.record({ kind: 'learning', insight: 'Workspaces share one embedder', source: 'test', confidence: 0.9 })
      const hits = await ws.brain.search('workspace embedder', { mode: 'vector' })
      expect(hits[0]?.id).toBe(memory.id)
      expect((await ws.brain.embeddingStatus()).dimensions).toBe(32)
    } finally {
      await ws.close()
    }
    const memoryWs = await CleoWorkspace.open(project, { inMemory: true, embedder: new FeatureHashingEmbedder({ dimensions: 8 }) })
    try {
      expect((await memoryWs.brain.embeddingStatus()).dimensions).toBe(8)
      expect(memoryWs.tasks.schemaVersion).toBeTruthy()
    } finally {
      await memoryWs.close()
    }
    // The recorded dimension is enforced through the workspace too.
    await expectCode(CleoWorkspace.open(project, { globalDir: tempDir(), embedder: new FeatureHashingEmbedder({ dimensions: 16 }) }), 'VALIDATION')
  })
})
