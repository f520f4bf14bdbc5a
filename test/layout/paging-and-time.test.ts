/**
 * One shape for pages and for time (DESIGN §7): every paged list returns
 * `{ items, nextCursor }` and has an async iterator that visits every item once;
 * every time input accepts a Date, epoch ms and ISO-8601 alike.
 */
import { describe, expect, it } from 'vitest'

import { BrainRepository, ConduitRepository, NexusRepository, TasksRepository } from '../../src/index.js'
import { manualClock } from '../../src/sqlite/clock.js'
import { timeInput } from '../../src/sqlite/time-input.js'

const T0 = Date.UTC(2026, 0, 1)

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}

/** Walks a list page by page through `nextCursor`, checking the shape of every page. */
async function walk<T>(fetch: (cursor: string | undefined) => Promise<{ items: readonly T[]; nextCursor: string | null }>): Promise<T[]> {
  const out: T[] = []
  let cursor: string | undefined
  for (let pages = 0; pages < 100; pages++) {
    const page = await fetch(cursor)
    expect(Object.keys(page)).toEqual(expect.arrayContaining(['items', 'nextCursor']))
    out.push(...page.items)
    if (page.nextCursor === null) return out
    cursor = page.nextCursor
  }
  throw new Error('more than 100 pages')
}

describe('paged lists: { items, nextCursor } and an async iterator', () => {
  it('tasks: list, ready, audit and sessions', async () => {
    const clock = manualClock(T0)
    await using tasks = await TasksRepository.open(':memory:', { clock })
    for (let i = 0; i < 7; i++) {
      await tasks.create({ title: `t${i}`, priority: (['low', 'high', 'medium'] as const)[i % 3] })
      clock.advance(1000)
    }
    for (let i = 0; i < 5; i++) await tasks.sessions.start({ id: `S${i}`, name: `s${i}` }).then((s) => tasks.sessions.end(s.id))

    const listed = await walk((cursor) => tasks.list({ limit: 3, ...(cursor ? { cursor } : {}) }))
    expect(listed.map((t) => t.title)).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6'])
    expect((await collect(tasks.iterate({ limit: 2 }))).map((t) => t.id)).toEqual(listed.map((t) => t.id))

    const readyAll = (await tasks.dependencies.ready({ limit: 100 })).items
    expect(readyAll).toHaveLength(7)
    const readyPaged = await walk((cursor) => tasks.dependencies.ready({ limit: 2, ...(cursor ? { cursor } : {}) }))
    expect(readyPaged.map((t) => t.id)).toEqual(readyAll.map((t) => t.id))
    expect((await collect(tasks.dependencies.iterateReady({ limit: 3 }))).map((t) => t.id)).toEqual(readyAll.map((t) => t.id))
    await expect(tasks.dependencies.ready({ cursor: 'nope' })).rejects.toMatchObject({ code: 'VALIDATION' })

    const audit = await walk((cursor) => tasks.audit.list({ limit: 4, ...(cursor ? { cursor } : {}) }))
    expect(audit.length).toBeGreaterThan(7)
    expect((await collect(tasks.audit.iterate({ limit: 3 }))).map((e) => e.id)).toEqual(audit.map((e) => e.id))

    const sessions = await walk((cursor) => tasks.sessions.list({ limit: 2, ...(cursor ? { cursor } : {}) }))
    expect(sessions).toHaveLength(5)
    expect((await collect(tasks.sessions.iterate({ limit: 2 }))).map((s) => s.id)).toEqual(sessions.map((s) => s.id))
  })

  it('brain: memories and sticky notes', async () => {
    const clock = manualClock(T0)
    await using brain = await BrainRepository.open(':memory:', { clock })
    for (let i = 0; i < 5; i++) {
      await brain.record({ kind: 'learning', insight: `insight number ${i}`, source: 'test', confidence: 0.5 })
      await brain.stickyNotes.add({ content: `note ${i}` })
      clock.advance(1000)
    }
    const memories = await walk((cursor) => brain.list({ limit: 2, ...(cursor ? { cursor } : {}) }))
    expect(memories.length).toBeGreaterThanOrEqual(5)
    expect((await collect(brain.iterate({ limit: 2 }))).map((m) => m.id)).toEqual(memories.map((m) => m.id))
    const notes = await walk((cursor) => brain.stickyNotes.list({ limit: 2, ...(cursor ? { cursor } : {}) }))
    expect(notes).toHaveLength(5)
    expect((await collect(brain.stickyNotes.iterate({ limit: 2 }))).map((n) => n.id)).toEqual(notes.map((n) => n.id))
  })

  it('conduit: history and inbox (with position to commit)', async () => {
    const clock = manualClock(T0)
    await using conduit = await ConduitRepository.open(':memory:', { clock })
    await conduit.agentRefs.attach('alice')
    await conduit.agentRefs.attach('bob')
    let conversationId = ''
    for (let i = 0; i < 5; i++) {
      const sent = await conduit.messages.send({ from: 'alice', to: 'bob', content: `m${i}` })
      conversationId = sent.message.conversationId
      clock.advance(1000)
    }
    const history = await walk((cursor) => conduit.messages.history(conversationId, { limit: 2, ...(cursor ? { cursor } : {}) }))
    expect(history.map((m) => m.content)).toEqual(['m4', 'm3', 'm2', 'm1', 'm0'])
    expect((await collect(conduit.messages.iterate(conversationId, { limit: 3 }))).map((m) => m.content)).toEqual(['m4', 'm3', 'm2', 'm1', 'm0'])

    const inbox = await walk((cursor) => conduit.inbox.page('bob', { limit: 2, ...(cursor ? { cursor } : {}) }))
    expect(inbox.map((m) => m.content)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'])
    expect((await collect(conduit.inbox.iterate('bob', { limit: 2 }))).map((m) => m.content)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'])
    const last = await conduit.inbox.page('bob', { limit: 5 })
    expect(last.nextCursor).toBeNull()
    await conduit.inbox.commit('bob', last.position)
    expect((await conduit.inbox.page('bob')).items).toEqual([])
  })

  it('nexus: audit, both orders', async () => {
    const clock = manualClock(T0)
    await using nexus = await NexusRepository.open(':memory:', { clock })
    for (let i = 0; i < 6; i++) {
      await nexus.audit.append({ action: 'step', details: { i } })
      if (i % 2 === 0) clock.advance(1000) // pairs share a timestamp: the id breaks the tie
    }
    for (const order of ['asc', 'desc'] as const) {
      const all = (await nexus.audit.list({ order })).items
      expect(all).toHaveLength(6)
      const paged = await walk((cursor) => nexus.audit.list({ order, limit: 4, ...(cursor ? { cursor } : {}) }))
      expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id))
      expect((await collect(nexus.audit.iterate({ order, limit: 1 }))).map((e) => e.id)).toEqual(all.map((e) => e.id))
    }
    await expect(nexus.audit.list({ cursor: 'nope' })).rejects.toMatchObject({ code: 'VALIDATION' })
  })
})

describe('time inputs: Date, epoch ms and ISO-8601 alike', () => {
  const at = T0 + 1500
  const forms = [new Date(at), at, new Date(at).toISOString(), '2026-01-01T01:00:01.500+01:00'] as const

  it('the shared schema parses each form to the same epoch ms, and refuses nonsense', () => {
    for (const form of forms) expect(timeInput.parse(form)).toBe(at)
    for (const bad of [new Date(Number.NaN), -1, 1.5, '2026-01-01', 'yesterday', null]) {
      expect(timeInput.safeParse(bad).success, String(bad)).toBe(false)
    }
  })

  it('tasks.audit.list, inbox.page and nexus.audit.list take every form', async () => {
    const clock = manualClock(T0)
    await using tasks = await TasksRepository.open(':memory:', { clock })
    await using conduit = await ConduitRepository.open(':memory:', { clock })
    await using nexus = await NexusRepository.open(':memory:', { clock })
    await conduit.agentRefs.attach('alice')
    await conduit.agentRefs.attach('bob')
    await tasks.create({ title: 'early' })
    await conduit.messages.send({ from: 'alice', to: 'bob', content: 'early' })
    await nexus.audit.append({ action: 'early' })
    clock.set(at)
    await tasks.create({ title: 'late' })
    await conduit.messages.send({ from: 'alice', to: 'bob', content: 'late' })
    await nexus.audit.append({ action: 'late' })
    for (const since of forms) {
      expect((await tasks.audit.list({ since })).items.map((e) => e.timestamp)).toEqual([new Date(at).toISOString()])
      expect((await conduit.inbox.page('bob', { since })).items.map((m) => m.content)).toEqual(['late'])
      expect((await nexus.audit.list({ since })).items.map((e) => e.action)).toEqual(['late'])
      expect((await nexus.audit.list({ until: since })).items.map((e) => e.action)).toEqual(['early'])
    }
  })
})
