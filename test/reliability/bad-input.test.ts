/**
 * Bad input: fast-check throws arbitrary values at the public mutating methods of
 * every store. Whatever happens, a rejected call is a typed CleoStoreError and leaves
 * every database exactly as it was (compared by a full dump before and after); shapes
 * that cannot be valid are rejected with VALIDATION. And arbitrary strings given to
 * every search never produce an SQL or FTS syntax error.
 */
import type { Kysely } from 'kysely'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { CleoWorkspace, FeatureHashingEmbedder, isCleoStoreError } from '../../src/index.js'
import { tempDir } from '../helpers.js'

let ws: CleoWorkspace

beforeAll(async () => {
  ws = await CleoWorkspace.open(tempDir(), { inMemory: true, telemetry: true, embedder: new FeatureHashingEmbedder({ dimensions: 64 }) })
  await ws.agents.register({ agentId: 'agent-a', name: 'A', attach: true })
  await ws.agents.register({ agentId: 'agent-b', name: 'B', attach: true })
  await ws.tasks.create({ title: 'seed task' })
  await ws.brain.record({ kind: 'learning', insight: 'seed memory about retries', source: 's', confidence: 0.5 })
  await ws.conduit.messages.send({ from: 'agent-a', to: 'agent-b', content: 'seed message about retries' })
})

afterAll(async () => {
  await ws.close()
})

async function dump(): Promise<string> {
  const parts: string[] = []
  for (const store of [ws.tasks, ws.brain, ws.conduit, ws.signaldock, ws.nexus, ws.telemetry!]) {
    const k = store.kysely as unknown as Kysely<any>
    const tables = await k.selectFrom('sqlite_schema').select('name').where('type', '=', 'table').orderBy('name').execute()
    for (const { name } of tables) {
      const table = String(name)
      // Virtual tables' shadow tables mirror their content tables; vec0 chunks are binary.
      if (/_fts|_vec|vec0|_chunks|_rowids|_info|_data|_idx|_docsize|_config|_content/.test(table) || table.startsWith('sqlite_')) continue
      parts.push(table, JSON.stringify(await k.selectFrom(table).selectAll().execute(), (_k, v) => (typeof v === 'bigint' ? String(v) : v)))
    }
  }
  return parts.join('\n')
}

/** Arbitrary values, biased toward objects with plausible but wrong fields. */
const garbage = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.record(
    {
      title: fc.oneof(fc.string(), fc.integer(), fc.constant('')),
      kind: fc.oneof(fc.constantFrom('learning', 'decision', 'nope'), fc.string()),
      from: fc.string(),
      to: fc.string(),
      content: fc.oneof(fc.string(), fc.constant('')),
      agentId: fc.string(),
      queue: fc.string(),
      payload: fc.anything({ maxDepth: 1 }),
      status: fc.string(),
      priority: fc.string(),
      confidence: fc.double(),
    },
    { requiredKeys: [] },
  ),
)

const METHODS: Record<string, (input: unknown) => Promise<unknown>> = {
  'tasks.create': (i) => ws.tasks.create(i as never),
  'tasks.update': (i) => ws.tasks.update('T1', i as never),
  'tasks.dependencies.add': (i) => ws.tasks.dependencies.add(i as never, 'T1'),
  'tasks.relations.add': (i) => ws.tasks.relations.add(i as never),
  'tasks.sessions.start': (i) => ws.tasks.sessions.start(i as never),
  'tasks.sessions.upsert': (i) => ws.tasks.sessions.upsert(i as never),
  'tasks.claims.claim': (i) => ws.tasks.claims.claim('T1', i as never),
  'brain.record': (i) => ws.brain.record(i as never),
  'brain.stickyNotes.add': (i) => ws.brain.stickyNotes.add(i as never),
  'conduit.messages.send': (i) => ws.conduit.messages.send(i as never),
  'conduit.queue.enqueue': (i) => ws.conduit.queue.enqueue(i as never),
  'conduit.queue.claim': (i) => ws.conduit.queue.claim(3, i as never),
  'conduit.agentRefs.attach': (i) => ws.conduit.agentRefs.attach(i as never),
  'conduit.attachments.create': (i) => ws.conduit.attachments.create(i as never),
  'signaldock.agents.register': (i) => ws.signaldock.agents.register(i as never),
  'agents.register': (i) => ws.agents.register(i as never),
  'nexus.projects.register': (i) => ws.nexus.projects.register(i as never),
  'telemetry.record': (i) => ws.telemetry!.record(i as never),
}

describe('arbitrary input to every mutating method', () => {
  for (const [name, call] of Object.entries(METHODS)) {
    it(`${name}: a rejected call is typed and changes nothing`, { timeout: 60_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(garbage, async (input) => {
          const before = await dump()
          try {
            await call(input)
            return // a valid input: it may write
          } catch (error) {
            expect(isCleoStoreError(error), String(error)).toBe(true)
          }
          expect(await dump()).toBe(before)
        }),
        { numRuns: 25 },
      )
    })
  }

  it('shapes that cannot be valid are VALIDATION', async () => {
    for (const [name, call] of Object.entries(METHODS)) {
      for (const input of [null, 42, [], { unexpected: true }]) {
        let code: string | undefined
        try {
          await call(input)
        } catch (error) {
          code = (error as { code?: string }).code
        }
        expect(code, `${name}(${JSON.stringify(input)})`).toBe('VALIDATION')
      }
    }
  })
})

describe('arbitrary strings to every search', () => {
  it('never produce a syntax error', { timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 120 }), async (text) => {
        await ws.brain.search(text, { mode: 'fts' })
        await ws.brain.search(text, { mode: 'hybrid' })
        await ws.conduit.messages.search({ query: text })
        await ws.tasks.list({ text } as never)
      }),
      { numRuns: 150 },
    )
  })
})
