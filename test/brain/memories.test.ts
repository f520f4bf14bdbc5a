import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { brainContentHash } from '../../src/brain/index.js'
import { expectCode } from '../helpers.js'
import { DAY, samples, T0 } from './brain-helpers.js'
import { BRAIN_ENGINES, openBrainOn } from './open-brain.js'

describe.each(BRAIN_ENGINES)('brain: recording each kind (%s)', (engine) => {
  it('records a decision with its defaults and maps every column back', async () => {
    const { brain } = await openBrainOn(engine)
    const { memory, outcome, embedding } = await brain.record({
      ...samples.decision(),
      alternatives: ['rollback journal', 'in-memory only'],
      contextTaskId: 'T7',
      outcome: 'pending',
    })
    expect(outcome).toBe('created')
    expect(embedding).toBe('none') // no embedder, no vector table
    expect(memory).toMatchObject({
      kind: 'decision',
      type: 'technical',
      decision: 'Use SQLite WAL mode for every store',
      alternatives: ['rollback journal', 'in-memory only'],
      contextTaskId: 'T7',
      contextEpicId: null,
      outcome: 'pending',
      tier: 'medium',
      memoryType: 'semantic',
      sourceConfidence: 'owner',
      verified: true,
      citationCount: 0,
      validAt: new Date(T0).toISOString(),
      invalidAt: null,
      createdAt: new Date(T0).toISOString(),
    })
    expect(memory.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(memory.contentHash).toBe(brainContentHash(memory.decision))
    expect(await brain.get(memory.id)).toEqual(memory)
  })

  it('records patterns, learnings and observations with kind-specific defaults', async () => {
    const { brain } = await openBrainOn(engine)
    const pattern = (await brain.record(samples.pattern())).memory
    const learning = (await brain.record({ ...samples.learning(), actionable: true, applicableTypes: ['write'] })).memory
    const observation = (await brain.record({ ...samples.observation(), facts: ['cold cache'], sourceSessionId: 'S1' })).memory
    expect(pattern).toMatchObject({ kind: 'pattern', frequency: 1, memoryType: 'procedural', tier: 'short', verified: false, examples: [] })
    expect(learning).toMatchObject({ kind: 'learning', confidence: 0.8, actionable: true, applicableTypes: ['write'], memoryType: 'semantic' })
    expect(observation).toMatchObject({ kind: 'observation', type: 'discovery', facts: ['cold cache'], sourceSessionId: 'S1', memoryType: 'episodic' })
    for (const m of [pattern, learning, observation]) expect(await brain.get(m.id)).toEqual(m)
  })

  it('ids are unique across kinds and time-ordered; the kind is not in the id', async () => {
    const { brain, clock } = await openBrainOn(engine)
    const ids: string[] = []
    for (const make of [samples.decision, samples.pattern, samples.learning, samples.observation]) {
      ids.push((await brain.record(make())).memory.id)
      clock.advance(1)
    }
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids.map((id) => id[0])).size).toBe(1)
  })

  it('refuses empty, blank, unknown-field and out-of-range input with VALIDATION before writing', async () => {
    const { brain } = await openBrainOn(engine)
    await expectCode(brain.record({ ...samples.decision(''), kind: 'decision' }), 'VALIDATION')
    await expectCode(brain.record(samples.learning(' \n\t ')), 'VALIDATION')
    await expectCode(brain.record({ ...samples.learning(), confidence: 1.5 }), 'VALIDATION')
    await expectCode(brain.record({ ...samples.decision(), type: 'mystical' } as never), 'VALIDATION')
    await expectCode(brain.record({ ...samples.decision(), colour: 'red' } as never), 'VALIDATION')
    await expectCode(brain.record({ kind: 'opinion', text: 'x' } as never), 'VALIDATION')
    await expectCode(brain.record(samples.observation('broken \ud800 surrogate')), 'VALIDATION')
    const error = await expectCode(brain.record({ ...samples.pattern(), successRate: -1 }), 'VALIDATION')
    expect(error.details?.['path']).toEqual(['successRate'])
    expect((await brain.list()).items).toEqual([])
  })

  it('stores any well-formed non-blank Unicode text exactly (property)', async () => {
    const { brain } = await openBrainOn(engine)
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }).filter((s) => s.trim().length > 0), async (text) => {
        const { memory } = await brain.record(samples.learning(text))
        const back = await brain.get(memory.id)
        expect(back.kind === 'learning' && back.insight).toBe(text)
        await brain.delete(memory.id)
      }),
      { numRuns: 60 },
    )
  })

  it('get throws NOT_FOUND, find returns null, for unknown ids', async () => {
    const { brain } = await openBrainOn(engine)
    await expectCode(brain.get('0190a000-0000-7000-8000-000000000000'), 'NOT_FOUND')
    expect(await brain.find('nope')).toBeNull()
  })
})

describe.each(BRAIN_ENGINES)('brain: dedup on write (%s)', (engine) => {
  it('a duplicate of the same kind returns the existing entry and bumps its citation count', async () => {
    const { brain } = await openBrainOn(engine)
    const first = await brain.record(samples.decision('Use SQLite WAL mode'))
    const again = await brain.record({ ...samples.decision('  use   sqlite WAL MODE '), rationale: 'other words', confidence: 'low' })
    expect(again.outcome).toBe('duplicate')
    expect(again.memory.id).toBe(first.memory.id)
    expect(again.memory.citationCount).toBe(1)
    expect(again.memory.kind === 'decision' && again.memory.rationale).toBe('readers never block the writer')
    const third = await brain.record(samples.decision('Use SQLite WAL mode'))
    expect(third.memory.citationCount).toBe(2)
    expect((await brain.list()).items).toHaveLength(1)
  })

  it('patterns seen again also count their frequency', async () => {
    const { brain } = await openBrainOn(engine)
    await brain.record(samples.pattern())
    const { memory } = await brain.record(samples.pattern())
    expect(memory.kind === 'pattern' && memory.frequency).toBe(2)
    expect(memory.citationCount).toBe(1)
  })

  it('dedup is per kind and ignores invalidated memories', async () => {
    const { brain } = await openBrainOn(engine)
    const text = 'WAL needs a shared-memory file'
    const learning = await brain.record(samples.learning(text))
    const observation = await brain.record({ kind: 'observation', title: text })
    expect(observation.outcome).toBe('created')
    await brain.invalidate(learning.memory.id)
    const fresh = await brain.record(samples.learning(text))
    expect(fresh.outcome).toBe('created')
    expect(fresh.memory.id).not.toBe(learning.memory.id)
  })

  it('an idempotency key replays the first result without citing it; reused for other text it is CONFLICT', async () => {
    const { brain } = await openBrainOn(engine)
    const first = await brain.record({ ...samples.learning(), idempotencyKey: 'req-1' })
    const replay = await brain.record({ ...samples.learning(), idempotencyKey: 'req-1' })
    expect(replay.outcome).toBe('replayed')
    expect(replay.memory).toEqual(first.memory)
    await expectCode(brain.record({ ...samples.learning('something else entirely'), idempotencyKey: 'req-1' }), 'CONFLICT')
  })
})

describe.each(BRAIN_ENGINES)('brain: recordMany (%s)', (engine) => {
  it('records a mixed batch in one transaction with one embed call; in-batch duplicates cite the first', async () => {
    const { FeatureHashingEmbedder } = await import('../../src/brain/index.js')
    const { ControlledEmbedder } = await import('./brain-helpers.js')
    const embedder = new ControlledEmbedder(new FeatureHashingEmbedder({ dimensions: 32 }))
    const { brain } = await openBrainOn(engine, { embedder })
    const existing = (await brain.record(samples.learning())).memory
    const calls = embedder.calls
    const results = await brain.recordMany([
      samples.decision(),
      samples.pattern(),
      samples.learning(), // duplicate of an existing memory
      samples.observation(),
      samples.observation(), // duplicate inside the batch
    ])
    expect(embedder.calls).toBe(calls + 1)
    expect(results.map((r) => r.outcome)).toEqual(['created', 'created', 'duplicate', 'created', 'duplicate'])
    expect(results.map((r) => r.embedding)).toEqual(['stored', 'stored', 'none', 'stored', 'none'])
    expect(results[2]!.memory.id).toBe(existing.id)
    expect(results[4]!.memory.id).toBe(results[3]!.memory.id)
    expect(results[4]!.memory.citationCount).toBe(1)
    expect(await brain.embeddingStatus()).toMatchObject({ vectors: 4, queued: 0 })
  })

  it('without an embedder: one transaction, outcomes in input order, in-batch duplicates cite the first', async () => {
    const { brain } = await openBrainOn(engine)
    const existing = (await brain.record(samples.learning())).memory
    const results = await brain.recordMany([samples.decision(), samples.learning(), samples.observation(), samples.observation()])
    expect(results.map((r) => [r.outcome, r.embedding])).toEqual([
      ['created', 'none'],
      ['duplicate', 'none'],
      ['created', 'none'],
      ['duplicate', 'none'],
    ])
    expect(results[1]!.memory).toMatchObject({ id: existing.id, citationCount: 1 })
    expect(results[3]!.memory).toMatchObject({ id: results[2]!.memory.id, citationCount: 1 })
    expect((await brain.list()).items).toHaveLength(3)
  })

  it('rejects the whole batch before writing: invalid entry (path names its index), or a conflict', async () => {
    const { brain } = await openBrainOn(engine)
    const error = await expectCode(brain.recordMany([samples.decision(), { ...samples.learning(), confidence: 2 }]), 'VALIDATION')
    expect(error.details?.['path']).toEqual([1, 'confidence'])
    await expectCode(brain.recordMany([]), 'VALIDATION')
    await expectCode(
      brain.recordMany([
        { ...samples.learning('one'), idempotencyKey: 'k' },
        { ...samples.learning('two'), idempotencyKey: 'k' },
      ]),
      'CONFLICT',
    )
    expect((await brain.list()).items).toEqual([])
  })
})

describe.each(BRAIN_ENGINES)('brain: list, update, invalidate, delete (%s)', (engine) => {
  it('lists across kinds newest first, with cursor pages, tier and validity filters', async () => {
    const { brain, clock } = await openBrainOn(engine)
    const ids: string[] = []
    for (let i = 0; i < 7; i++) {
      const make = [samples.decision, samples.pattern, samples.learning, samples.observation][i % 4]!
      ids.push((await brain.record(make(`memory number ${i}`))).memory.id)
      clock.advance(10)
    }
    const seen: string[] = []
    let page = await brain.list({ limit: 3 })
    seen.push(...page.items.map((m) => m.id))
    while (page.nextCursor !== null) {
      page = await brain.list({ limit: 3, cursor: page.nextCursor })
      seen.push(...page.items.map((m) => m.id))
    }
    expect(seen).toEqual([...ids].reverse())
    expect((await brain.list({ kinds: ['pattern'] })).items.map((m) => m.kind)).toEqual(['pattern', 'pattern'])
    expect((await brain.list({ tier: 'medium' })).items.every((m) => m.kind === 'decision')).toBe(true)
    await brain.invalidate(ids[0]!)
    expect((await brain.list()).items.map((m) => m.id)).not.toContain(ids[0])
    expect((await brain.list({ validOnly: false })).items.map((m) => m.id)).toContain(ids[0])
  })

  it('update changes fields, keeps the kind, and re-hashes changed text', async () => {
    const { brain, clock } = await openBrainOn(engine)
    const { memory } = await brain.record(samples.decision())
    clock.advance(1000)
    const updated = await brain.update(memory.id, { kind: 'decision', outcome: 'success', decision: 'Use WAL mode everywhere', qualityScore: 0.9 })
    expect(updated).toMatchObject({ outcome: 'success', decision: 'Use WAL mode everywhere', qualityScore: 0.9 })
    expect(updated.contentHash).toBe(brainContentHash('Use WAL mode everywhere'))
    expect(updated.updatedAt).toBe(new Date(T0 + 1000).toISOString())
    expect(updated.createdAt).toBe(memory.createdAt)
    expect(await brain.get(memory.id)).toEqual(updated)
  })

  it('update refuses a kind mismatch, unknown ids, and text that duplicates another memory', async () => {
    const { brain } = await openBrainOn(engine)
    const a = (await brain.record(samples.learning('first insight'))).memory
    await brain.record(samples.learning('second insight'))
    await expectCode(brain.update(a.id, { kind: 'decision', outcome: 'success' }), 'VALIDATION')
    await expectCode(brain.update('missing', { kind: 'learning', confidence: 0.1 }), 'NOT_FOUND')
    await expectCode(brain.update(a.id, { kind: 'learning', insight: 'Second   INSIGHT' }), 'CONFLICT')
    await expectCode(brain.update(a.id, { kind: 'learning', insight: '' }), 'VALIDATION')
    expect((await brain.get(a.id)).kind === 'learning' && ((await brain.get(a.id)) as { insight: string }).insight).toBe('first insight')
  })

  it('invalidate sets invalid_at and supersession; the superseding memory must exist and differ', async () => {
    const { brain, clock } = await openBrainOn(engine)
    const old = (await brain.record(samples.decision('Use rollback journal'))).memory
    const replacement = (await brain.record(samples.decision('Use WAL'))).memory
    await expectCode(brain.invalidate(old.id, { supersededBy: old.id }), 'VALIDATION')
    await expectCode(brain.invalidate(old.id, { supersededBy: 'ghost' }), 'NOT_FOUND')
    await expectCode(brain.invalidate('ghost'), 'NOT_FOUND')
    clock.advance(DAY)
    const invalid = await brain.invalidate(old.id, { supersededBy: replacement.id })
    expect(invalid).toMatchObject({ invalidAt: new Date(T0 + DAY).toISOString(), supersededBy: replacement.id })
    clock.advance(DAY)
    const again = await brain.invalidate(old.id)
    expect(again.invalidAt).toBe(invalid.invalidAt) // idempotent: the first time stands
  })

  it('delete removes the memory and reports whether there was one', async () => {
    const { brain } = await openBrainOn(engine)
    const { memory } = await brain.record(samples.observation())
    expect(await brain.delete(memory.id)).toBe(true)
    expect(await brain.delete(memory.id)).toBe(false)
    expect(await brain.find(memory.id)).toBeNull()
    expect(await brain.search('deploy cold caches', { mode: 'fts' })).toEqual([])
  })
})
