import { describe, expect, it } from 'vitest'

import { FeatureHashingEmbedder } from '../../src/brain/index.js'
import { expectCode } from '../helpers.js'
import { samples } from './brain-helpers.js'
import { BRAIN_ENGINES, openBrainOn } from './open-brain.js'

describe.each(BRAIN_ENGINES)('brain sticky notes (%s)', (engine) => {
  it('adds, dedups active notes, replays idempotency keys, lists by status newest first', async () => {
    const { brain, clock } = await openBrainOn(engine)
    const a = await brain.stickyNotes.add({ content: 'check lock contention', tags: ['sqlite'], color: 'yellow', priority: 'high' })
    expect(a).toMatchObject({ outcome: 'created', note: { kind: 'sticky', status: 'active', tags: ['sqlite'], color: 'yellow', convertedTo: null } })
    expect((await brain.stickyNotes.add({ content: '  Check LOCK contention ' })).outcome).toBe('duplicate')
    clock.advance(1)
    const b = await brain.stickyNotes.add({ content: 'second note', idempotencyKey: 'k' })
    expect((await brain.stickyNotes.add({ content: 'second note', idempotencyKey: 'k' })).outcome).toBe('replayed')
    await expectCode(brain.stickyNotes.add({ content: 'other text', idempotencyKey: 'k' }), 'CONFLICT')
    expect((await brain.stickyNotes.list()).items.map((n) => n.id)).toEqual([b.note.id, a.note.id])
    const page = await brain.stickyNotes.list({ limit: 1 })
    expect(page.nextCursor).toBe(b.note.id)
    expect((await brain.stickyNotes.list({ limit: 1, cursor: page.nextCursor! })).items[0]!.id).toBe(a.note.id)
    await expectCode(brain.stickyNotes.add({ content: '   ' }), 'VALIDATION')
    await expectCode(brain.stickyNotes.add({ content: 'x', color: 'orange' } as never), 'VALIDATION')
  })

  it('updates (re-embedding changed text), archives, deletes', async () => {
    const { brain } = await openBrainOn(engine, { embedder: new FeatureHashingEmbedder({ dimensions: 32 }) })
    const { note } = await brain.stickyNotes.add({ content: 'original words' })
    const updated = await brain.stickyNotes.update(note.id, { content: 'replacement text', priority: 'low' })
    expect(updated).toMatchObject({ content: 'replacement text', priority: 'low' })
    expect((await brain.search('replacement', { mode: 'fts' }))[0]?.id).toBe(note.id)
    expect((await brain.embeddingStatus()).vectors).toBe(1)
    const archived = await brain.stickyNotes.archive(note.id)
    expect(archived.status).toBe('archived')
    expect(await brain.stickyNotes.archive(note.id)).toEqual(archived)
    expect((await brain.stickyNotes.list({ status: 'archived' })).items.map((n) => n.id)).toEqual([note.id])
    expect(await brain.stickyNotes.delete(note.id)).toBe(true)
    expect(await brain.stickyNotes.find(note.id)).toBeNull()
    await expectCode(brain.stickyNotes.get(note.id), 'NOT_FOUND')
    expect((await brain.embeddingStatus()).vectors).toBe(0)
  })

  it('converts a note into a memory in one transaction; a converted note cannot be converted or archived again', async () => {
    const { brain } = await openBrainOn(engine)
    const { note } = await brain.stickyNotes.add({ content: 'Deferred transactions get BUSY at upgrade' })
    const result = await brain.stickyNotes.convert(note.id, { kind: 'learning', source: 'sticky', confidence: 0.6 })
    expect(result.outcome).toBe('created')
    expect(result.memory).toMatchObject({ kind: 'learning', insight: 'Deferred transactions get BUSY at upgrade', confidence: 0.6 })
    expect(result.note).toMatchObject({ status: 'converted', convertedTo: { kind: 'learning', id: result.memory.id } })
    await expectCode(brain.stickyNotes.convert(note.id, { kind: 'learning', source: 's', confidence: 0.5 }), 'CONFLICT')
    await expectCode(brain.stickyNotes.archive(note.id), 'CONFLICT')
    // Converted notes leave valid-only search; the memory is found instead.
    expect((await brain.search('deferred upgrade')).map((h) => h.kind)).toEqual(['learning'])
  })

  it('a conversion that duplicates a memory points the note at it; invalid input converts nothing', async () => {
    const { brain } = await openBrainOn(engine)
    const existing = (await brain.record(samples.decision('Use WAL'))).memory
    const { note } = await brain.stickyNotes.add({ content: 'use wal' })
    await expectCode(brain.stickyNotes.convert(note.id, { kind: 'decision', type: 'technical' } as never), 'VALIDATION')
    expect((await brain.stickyNotes.get(note.id)).status).toBe('active')
    const result = await brain.stickyNotes.convert(note.id, { kind: 'decision', type: 'technical', rationale: 'r', confidence: 'low' })
    expect(result.outcome).toBe('duplicate')
    expect(result.memory.id).toBe(existing.id)
    expect(result.note.convertedTo).toEqual({ kind: 'decision', id: existing.id })
    await expectCode(brain.stickyNotes.convert('ghost', { kind: 'observation' }), 'NOT_FOUND')
  })
})

describe.each(BRAIN_ENGINES)('brain memory links (%s)', (engine) => {
  it('links memories to tasks idempotently, lists by memory and by task, and removes', async () => {
    const { brain } = await openBrainOn(engine)
    const decision = (await brain.record(samples.decision())).memory
    const learning = (await brain.record(samples.learning())).memory
    const link = await brain.links.add({ memoryId: decision.id, taskId: 'T1', linkType: 'applies_to' })
    expect(link).toMatchObject({ memoryKind: 'decision', memoryId: decision.id, taskId: 'T1', linkType: 'applies_to' })
    expect(await brain.links.add({ memoryId: decision.id, taskId: 'T1', linkType: 'applies_to' })).toEqual(link)
    await brain.links.add({ memoryId: learning.id, taskId: 'T1', linkType: 'produced_by' })
    await brain.links.add({ memoryId: decision.id, taskId: 'T2', linkType: 'contradicts' })
    expect((await brain.links.forTask('T1')).map((l) => l.memoryKind).sort()).toEqual(['decision', 'learning'])
    expect((await brain.links.forMemory(decision.id)).map((l) => `${l.taskId}:${l.linkType}`)).toEqual(['T1:applies_to', 'T2:contradicts'])
    expect(await brain.links.remove({ memoryId: decision.id, taskId: 'T2', linkType: 'contradicts' })).toBe(true)
    expect(await brain.links.remove({ memoryId: decision.id, taskId: 'T2', linkType: 'contradicts' })).toBe(false)
  })

  it('refuses unknown memories (sticky notes are not memories) and bad link types', async () => {
    const { brain } = await openBrainOn(engine)
    const { note } = await brain.stickyNotes.add({ content: 'n' })
    await expectCode(brain.links.add({ memoryId: 'ghost', taskId: 'T1', linkType: 'applies_to' }), 'NOT_FOUND')
    await expectCode(brain.links.add({ memoryId: note.id, taskId: 'T1', linkType: 'applies_to' }), 'NOT_FOUND')
    const { memory } = await brain.record(samples.learning())
    await expectCode(brain.links.add({ memoryId: memory.id, taskId: 'T1', linkType: 'blocks' } as never), 'VALIDATION')
  })

  it('links are deleted with their memory', async () => {
    const { brain } = await openBrainOn(engine)
    const { memory } = await brain.record(samples.observation())
    await brain.links.add({ memoryId: memory.id, taskId: 'T9', linkType: 'produced_by' })
    await brain.delete(memory.id)
    expect(await brain.links.forTask('T9')).toEqual([])
  })
})
