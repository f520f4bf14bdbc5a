import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'


import {
  BRAIN_DECISION_CONFIDENCES,
  BRAIN_DECISION_OUTCOMES,
  BRAIN_DECISION_TYPES,
  BRAIN_LINK_TYPES,
  BRAIN_MEMORY_TIERS,
  BRAIN_MEMORY_TYPES,
  BRAIN_OBSERVATION_SOURCE_TYPES,
  BRAIN_OBSERVATION_TYPES,
  BRAIN_PATTERN_IMPACTS,
  BRAIN_PATTERN_TYPES,
  BRAIN_SOURCE_CONFIDENCES,
  BRAIN_STICKY_COLORS,
  BRAIN_STICKY_PRIORITIES,
  BRAIN_STICKY_STATUSES,
  BrainRepository,
} from '../../src/brain/index.js'
import { expectCode, tempDir } from '../helpers.js'
import { openBrain, samples, track } from './brain-helpers.js'

const HASH = 'a'.repeat(64)

describe('brain schema (migration 0002)', () => {
  it('creates the FTS5 table and its triggers by migration, before any search or write', async () => {
    const { brain } = await openBrain()
    const names = (await sql<{ name: string }>`SELECT name FROM sqlite_schema WHERE name LIKE 'brain_%'`.execute(brain.kysely)).rows.map(
      (r) => r.name,
    )
    expect(names).toEqual(expect.arrayContaining(['brain_memory_fts', 'brain_decisions_fts_ai', 'brain_sticky_notes_fts_au', 'brain_embedding_queue']))
    expect(brain.schemaVersion).toBe('0003_embedding_codes')
  })

  it('every enum column is a CHECK that accepts exactly the exported values', async () => {
    const { brain } = await openBrain()
    const k = brain.kysely
    const shared = (over: Record<string, unknown> = {}) => ({
      memory_tier: 'short',
      memory_type: 'semantic',
      source_confidence: 'agent',
      valid_at: 1,
      content_hash: HASH,
      created_at: 1,
      updated_at: 1,
      ...over,
    })
    let n = 0
    const decision = (over: Record<string, unknown>) =>
      k
        .insertInto('brain_decisions')
        .values({ id: `d${n++}`, type: 'technical', decision: 'x', rationale: 'y', confidence: 'low', ...shared({ content_hash: `${n}`.padStart(64, '0') }), ...over } as never)
        .execute()
    const enums: Array<[string, readonly string[]]> = [
      ['type', BRAIN_DECISION_TYPES],
      ['confidence', BRAIN_DECISION_CONFIDENCES],
      ['outcome', BRAIN_DECISION_OUTCOMES],
      ['memory_tier', BRAIN_MEMORY_TIERS],
      ['memory_type', BRAIN_MEMORY_TYPES],
      ['source_confidence', BRAIN_SOURCE_CONFIDENCES],
    ]
    for (const [column, values] of enums) {
      for (const value of values) await decision({ [column]: value })
      await expectCode(decision({ [column]: 'bogus' }), 'INVARIANT')
    }
    await expectCode(decision({ verified: 2 }), 'INVARIANT')
    await expectCode(decision({ quality_score: 1.5 }), 'INVARIANT')
    await expectCode(decision({ alternatives_json: '{"not":"an array"}' }), 'INVARIANT')
    await expectCode(decision({ alternatives_json: 'not json' }), 'INVARIANT')
    await expectCode(decision({ content_hash: 'short' }), 'INVARIANT')
    await expectCode(decision({ superseded_by: 'someone' }), 'INVARIANT') // superseded requires invalid_at
    await expectCode(decision({ decision: '   ' }), 'INVARIANT')

    const tableEnums: Array<[string, string, readonly string[], Record<string, unknown>]> = [
      ['brain_patterns', 'type', BRAIN_PATTERN_TYPES, { pattern: 'p', context: 'c', ...shared() }],
      ['brain_patterns', 'impact', BRAIN_PATTERN_IMPACTS, { type: 'workflow', pattern: 'p', context: 'c', ...shared() }],
      ['brain_observations', 'type', BRAIN_OBSERVATION_TYPES, { title: 't', ...shared() }],
      ['brain_observations', 'source_type', BRAIN_OBSERVATION_SOURCE_TYPES, { type: 'change', title: 't', ...shared() }],
      ['brain_sticky_notes', 'color', BRAIN_STICKY_COLORS, { content: 'c', content_hash: HASH, created_at: 1, updated_at: 1 }],
      ['brain_sticky_notes', 'priority', BRAIN_STICKY_PRIORITIES, { content: 'c', content_hash: HASH, created_at: 1, updated_at: 1 }],
    ]
    for (const [table, column, values, base] of tableEnums) {
      for (const value of values) {
        const hash = `${n}`.padStart(64, '1')
        await k.insertInto(table as never).values({ id: `r${n++}`, ...base, content_hash: hash, [column]: value } as never).execute()
      }
      await expectCode(k.insertInto(table as never).values({ id: `r${n++}`, ...base, [column]: 'bogus' } as never).execute(), 'INVARIANT')
    }
    expect(BRAIN_STICKY_STATUSES).toEqual(['active', 'converted', 'archived'])
  })

  it('a valid content hash is unique per kind; an invalidated one is not', async () => {
    const { brain } = await openBrain()
    const insert = (id: string, invalid: number | null) =>
      brain.kysely
        .insertInto('brain_learnings')
        .values({
          id,
          insight: 'i',
          source: 's',
          confidence: 0.5,
          memory_tier: 'short',
          memory_type: 'semantic',
          source_confidence: 'agent',
          valid_at: 1,
          invalid_at: invalid,
          content_hash: HASH,
          created_at: 1,
          updated_at: 1,
        } as never)
        .execute()
    await insert('a', null)
    await expectCode(insert('b', null), 'CONFLICT')
    await insert('c', 5)
  })

  it('links must point at an existing memory (trigger) and go with it; seq and id are immutable', async () => {
    const { brain } = await openBrain()
    const link = (memoryId: string) =>
      brain.kysely
        .insertInto('brain_memory_links')
        .values({ memory_kind: 'decision', memory_id: memoryId, task_id: 'T1', link_type: 'applies_to', created_at: 1 })
        .execute()
    await expectCode(link('ghost'), 'INVARIANT')
    const { memory } = await brain.record(samples.decision())
    await link(memory.id)
    await expectCode(brain.kysely.updateTable('brain_decisions').set({ id: 'other' }).execute(), 'INVARIANT')
    await brain.delete(memory.id)
    expect(await brain.kysely.selectFrom('brain_memory_links').selectAll().execute()).toEqual([])
    expect(BRAIN_LINK_TYPES).toContain('contradicts')
  })

  it('keeps the FTS index in step with inserts, text updates and deletes (raw SQL too)', async () => {
    const { brain } = await openBrain()
    const { memory } = await brain.record(samples.learning('zebras prefer sqlite'))
    expect((await brain.search('zebras', { mode: 'fts' })).map((h) => h.id)).toEqual([memory.id])
    await brain.kysely.updateTable('brain_learnings').set({ insight: 'giraffes prefer sqlite' }).execute()
    expect(await brain.search('zebras', { mode: 'fts' })).toEqual([])
    expect((await brain.search('giraffes', { mode: 'fts' })).map((h) => h.id)).toEqual([memory.id])
    await brain.kysely.deleteFrom('brain_learnings').execute()
    expect(await brain.search('giraffes', { mode: 'fts' })).toEqual([])
  })

  it('stores astral characters byte for byte; refuses NUL on every Node version (issue 14: no U+0000 in text)', async () => {
    const { brain } = await openBrain()
    const text = 'nul\u0000inside — 🧠 naïve 中文'
    const refused = await expectCode(brain.record(samples.learning(text)), 'VALIDATION')
    expect(refused.details?.['rule']).toBe('nul')
    expect((await brain.list()).items).toEqual([])
    const astral = '🧠 naïve 中文'
    const { memory } = await brain.record(samples.learning(astral))
    const back = await brain.get(memory.id)
    expect(back.kind === 'learning' && back.insight).toBe(astral)
  })

  it('reopens a file-backed store: data, FTS and migrations persist; integrity is clean', async () => {
    const file = `${tempDir()}/brain.db`
    const first = await BrainRepository.open(file)
    const { memory } = await first.record(samples.observation('persisted across opens'))
    await first.close()
    const second = track(await BrainRepository.open(file))
    expect((await second.get(memory.id)).id).toBe(memory.id)
    expect((await second.search('persisted', { mode: 'fts' }))[0]?.id).toBe(memory.id)
    expect((await second.integrityCheck()).ok).toBe(true)
  })
})
