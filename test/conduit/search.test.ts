/**
 * Message search: FTS5 through `toFtsQuery`, so no user string can break it;
 * filters by conversation, agent and time; ordering; and an index that is
 * maintained by triggers and never rebuilt when the store opens.
 */
import { join } from 'node:path'

import fc from 'fast-check'
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import type { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import { expectCode, tempDir } from '../helpers.js'
import { CONDUIT_ENGINES, openTestConduit, rows, T0 } from './conduit-fixtures.js'

describe.each(CONDUIT_ENGINES)('search on %s', (engine) => {
  let conduit: ConduitRepository
  let clock: Awaited<ReturnType<typeof openTestConduit>>['clock']

  beforeEach(async () => {
    ;({ conduit, clock } = await openTestConduit({ agents: ['alice', 'bob', 'carol'] }, engine))
  })
  afterEach(async () => {
    await conduit.close()
  })

  const HOSTILE = [
    '"',
    '""',
    "'",
    '*',
    '* *',
    '(',
    ')',
    '((((',
    'NEAR(',
    'NEAR(a b, 3)',
    'AND',
    'OR OR OR',
    'NOT',
    'a AND',
    'content:deploy',
    'messages_fts:x',
    '^start',
    '-minus',
    '+plus',
    'a"b',
    "'; DROP TABLE messages; --",
    // tsquery syntax (PostgreSQL): operators, prefix and weight marks, escapes.
    'a & b | !c',
    "':*",
    "'a':* & !'b'",
    'a <-> b',
    'a <2> b',
    '\\',
    '\\x',
    "it''s",
    'x:A',
    '((',
    '🚀🔥',
    'é́́',
    '\u0301',
    '\u202Eevil',
    ' ',
    '',
    'x'.repeat(100_000),
    Array.from({ length: 500 }, (_, i) => `w${i}`).join(' '),
  ]

  describe('search', () => {
    it('finds messages by words, ranked, with filters', async () => {
      const ab = await conduit.messages.send({ from: 'alice', to: 'bob', content: 'The deploy failed on staging' })
      clock.advance(1000)
      await conduit.messages.send({ from: 'bob', to: 'alice', content: 'deploy deploy deploy: retrying the deploy' })
      clock.advance(1000)
      const ac = await conduit.messages.send({ from: 'alice', to: 'carol', content: 'Déploiement réussi, deploy OK' })

      const hits = await conduit.messages.search({ query: 'deploy' })
      expect(hits).toHaveLength(3)
      expect(hits[0]!.message.content).toBe('deploy deploy deploy: retrying the deploy') // BM25: most relevant first
      expect(hits.every((h) => typeof h.score === 'number')).toBe(true)
      expect(hits.map((h) => h.score!)).toEqual([...hits.map((h) => h.score!)].sort((a, b) => b - a))

      expect((await conduit.messages.search({ query: 'deploy staging' })).map((h) => h.message.id)).toEqual([ab.message.id])
      expect(await conduit.messages.search({ query: 'deploy zebra' })).toEqual([])
      expect(await conduit.messages.search({ query: 'deploy zebra', mode: 'any' })).toHaveLength(3)
      expect((await conduit.messages.search({ query: 'deplo', prefix: true })).length).toBe(3)
      expect((await conduit.messages.search({ query: 'deploiement' })).map((h) => h.message.id)).toEqual([ac.message.id]) // diacritics folded

      const recent = await conduit.messages.search({ query: 'deploy', order: 'recent' })
      expect(recent.map((h) => h.message.createdAt)).toEqual([T0 + 2000, T0 + 1000, T0].map((t) => new Date(t).toISOString()))
      expect(recent.every((h) => h.score === null)).toBe(true)

      expect((await conduit.messages.search({ query: 'deploy', conversationId: ac.message.conversationId })).map((h) => h.message.id)).toEqual([
        ac.message.id,
      ])
      expect(await conduit.messages.search({ query: 'deploy', agentId: 'carol' })).toHaveLength(1) // received
      expect(await conduit.messages.search({ query: 'deploy', agentId: 'bob' })).toHaveLength(2) // received + sent
      expect(await conduit.messages.search({ query: 'deploy', fromAgentId: 'bob' })).toHaveLength(1)
      expect(await conduit.messages.search({ query: 'deploy', since: new Date(T0 + 1000).toISOString() })).toHaveLength(2)
      expect(await conduit.messages.search({ query: 'deploy', until: new Date(T0 + 1000) })).toHaveLength(1)
      expect(await conduit.messages.search({ query: 'deploy', limit: 1 })).toHaveLength(1)
    })

    it('ranks the newest rankWindow matches: exact when a query matches fewer', async () => {
      const best = await conduit.messages.send({ from: 'alice', to: 'bob', content: 'deploy deploy deploy deploy' })
      for (let i = 0; i < 3; i++) await conduit.messages.send({ from: 'alice', to: 'bob', content: `deploy, then a long tail of other words number ${i}` })
      expect((await conduit.messages.search({ query: 'deploy' }))[0]!.message.id).toBe(best.message.id)
      expect((await conduit.messages.search({ query: 'deploy', rankWindow: 4 }))[0]!.message.id).toBe(best.message.id)
      // With a window of the 3 newest matches, the oldest (best) one is not ranked.
      const windowed = await conduit.messages.search({ query: 'deploy', rankWindow: 3, limit: 3 })
      expect(windowed).toHaveLength(3)
      expect(windowed.map((h) => h.message.id)).not.toContain(best.message.id)
      // The same holds with filters (the window is taken after filtering).
      const filtered = await conduit.messages.search({ query: 'deploy', rankWindow: 3, limit: 3, fromAgentId: 'alice' })
      expect(filtered.map((h) => h.message.id)).toEqual(windowed.map((h) => h.message.id))
      // limit above the window widens the window to the limit.
      expect(await conduit.messages.search({ query: 'deploy', rankWindow: 1, limit: 10 })).toHaveLength(4)
    })

    it('treats operators, quotes and column filters in the query as plain words', async () => {
      const { message } = await conduit.messages.send({ from: 'alice', to: 'bob', content: 'use content:deploy AND NEAR(x) "quoted"' })
      await conduit.messages.send({ from: 'alice', to: 'bob', content: 'unrelated words' })
      for (const query of ['content:deploy', 'NEAR(x)', '"quoted"', 'AND', 'near']) {
        expect((await conduit.messages.search({ query })).map((h) => h.message.id), query).toEqual([message.id])
      }
    })

    it('never throws on hostile strings', async () => {
      await conduit.messages.send({ from: 'alice', to: 'bob', content: 'something to find' })
      for (const query of HOSTILE) {
        const hits = await conduit.messages.search({ query })
        expect(Array.isArray(hits), JSON.stringify(query.slice(0, 20))).toBe(true)
      }
      // Text must be well-formed Unicode without NUL, queries included (issue 14, item 7): refused, typed.
      for (const query of ['\u0000', '\uD800', 'a\uDC00b']) {
        const error = await expectCode(conduit.messages.search({ query }), 'VALIDATION')
        expect(error.details?.['path']).toEqual(['query'])
      }
    })

    it('never throws on any string (property)', async () => {
      await conduit.messages.send({ from: 'alice', to: 'bob', content: 'alpha beta gamma "delta" NEAR(epsilon)' })
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.string({ unit: 'binary', maxLength: 64 }), fc.string({ maxLength: 64 }), fc.constantFrom(...HOSTILE)),
          fc.constantFrom('all' as const, 'any' as const),
          fc.boolean(),
          fc.constantFrom('relevance' as const, 'recent' as const),
          async (query, mode, prefix, order) => {
            if (/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(query)) {
              await expectCode(conduit.messages.search({ query, mode, prefix, order }), 'VALIDATION')
              return
            }
            const hits = await conduit.messages.search({ query, mode, prefix, order })
            expect(hits.length).toBeLessThanOrEqual(1)
          },
        ),
        { numRuns: 300 },
      )
    })

    it('finds a message by any word it contains (property)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.stringMatching(/^[a-z]{3,10}$/), { minLength: 1, maxLength: 6 }), fc.nat(), async (words, pick) => {
          const { message } = await conduit.messages.send({ from: 'alice', to: 'bob', content: words.join(' — ') })
          const hits = await conduit.messages.search({ query: `"${words[pick % words.length]}" OR (`, mode: 'any', order: 'recent', limit: 200 })
          expect(hits.map((h) => h.message.id)).toContain(message.id)
        }),
        { numRuns: 50 },
      )
    })

    it('validates its options', async () => {
      await expectCode(conduit.messages.search({ query: 'x', limit: 0 }), 'VALIDATION')
      await expectCode(conduit.messages.search({ query: 'x', since: 'yesterday' }), 'VALIDATION')
      await expectCode(conduit.messages.search({ query: 42 as never }), 'VALIDATION')
    })
  })

  describe('the index follows the rows', () => {
    it('follows inserts, edits and deletes (FTS5 triggers; a generated column on PostgreSQL)', async () => {
      const { message } = await conduit.messages.send({ from: 'alice', to: 'bob', content: 'original words' })
      await rows(conduit, `UPDATE messages SET content = 'edited text' WHERE id = '${message.id}'`)
      expect(await conduit.messages.search({ query: 'original' })).toEqual([])
      expect(await conduit.messages.search({ query: 'edited' })).toHaveLength(1)
      await rows(conduit, `DELETE FROM messages WHERE id = '${message.id}'`)
      expect(await conduit.messages.search({ query: 'edited' })).toEqual([])
      if (engine === 'sqlite') expect(await rows(conduit, `INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)`)).toEqual([])
    })

    it('splits words at punctuation and folds accents and case, on both engines', async () => {
      const { message } = await conduit.messages.send({ from: 'alice', to: 'bob', content: 'Mail ÉLODIE@example.com about the foo-bar_baz path /usr/lib' })
      for (const query of ['example', 'elodie', 'Élodie', 'bar', 'baz', 'foo bar baz', 'usr lib', 'EXAMPLE.COM']) {
        expect((await conduit.messages.search({ query })).map((h) => h.message.id), query).toEqual([message.id])
      }
      expect((await conduit.messages.search({ query: 'elo', prefix: true })).map((h) => h.message.id)).toEqual([message.id])
      expect(await conduit.messages.search({ query: 'elo' })).toEqual([])
    })

    it('ranks a corpus in the same order on both engines (the words repeated most first)', async () => {
      const contents = ['deploy once, then many other words about the weather', 'deploy deploy deploy now', 'deploy deploy later today']
      const ids: string[] = []
      for (const content of contents) {
        ids.push((await conduit.messages.send({ from: 'alice', to: 'bob', content })).message.id)
        clock.advance(1)
      }
      const hits = await conduit.messages.search({ query: 'deploy' })
      expect(hits.map((h) => h.message.id)).toEqual([ids[1], ids[2], ids[0]])
      expect(hits.every((h) => h.score! > 0 || engine === 'sqlite')).toBe(true)
    })
  })

  // FTS5's shadow tables and sqlite_schema exist only on SQLite.
  describe.runIf(engine === 'sqlite')('the FTS index', () => {

    it('is created by migration and never rebuilt when the store opens', async () => {
      const file = join(tempDir('conduit-fts-'), 'conduit.db')
      const { conduit: first } = await openTestConduit({ path: file, agents: ['alice', 'bob'] }, engine)
      const kept = await first.messages.send({ from: 'alice', to: 'bob', content: 'kept in the index' })
      const dropped = await first.messages.send({ from: 'alice', to: 'bob', content: 'dropped from the index' })
      // Take one message out of the index by hand. A rebuild on open would put it back.
      await sql`INSERT INTO messages_fts (messages_fts, rowid, content)
        SELECT 'delete', seq, content FROM messages WHERE id = ${dropped.message.id}`.execute(first.kysely)
      expect(await first.messages.search({ query: 'dropped' })).toEqual([])
      await first.close()

      for (let i = 0; i < 2; i++) {
        const { conduit: reopened } = await openTestConduit({ path: file }, engine)
        try {
          expect(await reopened.messages.search({ query: 'dropped' })).toEqual([])
          expect((await reopened.messages.search({ query: 'kept' })).map((h) => h.message.id)).toEqual([kept.message.id])
          const schema = await sql<{ name: string }>`SELECT name FROM sqlite_schema WHERE name LIKE 'messages_fts%' AND type IN ('table', 'trigger') ORDER BY name`.execute(reopened.kysely)
          expect(schema.rows.map((r) => r.name)).toEqual([
            'messages_fts',
            'messages_fts_config',
            'messages_fts_data',
            'messages_fts_delete',
            'messages_fts_docsize',
            'messages_fts_idx',
            'messages_fts_insert',
            'messages_fts_update',
          ])
        } finally {
          await reopened.close()
        }
      }
    })
  })
})
