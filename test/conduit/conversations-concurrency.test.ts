/**
 * The direct conversation of a pair is found or created under concurrency: several
 * processes (and several connections in one process) that message each other for
 * the first time at the same moment all end up in one conversation, whose counters
 * count every message.
 */
import { describe, expect, it } from 'vitest'

import { openConduitTarget } from '../fixtures/conduit-target.js'
import { runFixture, startGate } from '../helpers.js'
import { CONDUIT_ENGINES, sharedTestTarget } from './conduit-fixtures.js'

describe.each(CONDUIT_ENGINES)('direct conversation found-or-created under concurrency on %s', (engine) => {
  /** A store with alice and bob attached: a conduit.db path, or a PostgreSQL schema as JSON. */
  const prepare = () => sharedTestTarget(engine)

  it('across processes', async () => {
    const file = await prepare()
    const gate = startGate(6)
    const outputs = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) =>
        runFixture('conduit-direct-race.ts', [file, i % 2 ? 'alice' : 'bob', i % 2 ? 'bob' : 'alice', gate, '10']),
      ),
    )
    const results = outputs.map((o) => JSON.parse(o.stdout.trim()) as { ok: boolean; conversations: string[] })
    for (const result of results) expect(result, JSON.stringify(result)).toMatchObject({ ok: true })
    const ids = new Set(results.flatMap((r) => r.conversations))
    expect(ids.size).toBe(1)

    const conduit = await openConduitTarget(file)
    try {
      const [id] = [...ids]
      expect(await conduit.conversations.get(id!)).toMatchObject({ participants: ['alice', 'bob'], messageCount: 60 })
      expect(await conduit.conversations.list()).toHaveLength(1)
      expect((await conduit.inbox.page('alice', { limit: 500 })).items).toHaveLength(30)
      expect((await conduit.inbox.page('bob', { limit: 500 })).items).toHaveLength(30)
    } finally {
      await conduit.close()
    }
  }, 180_000)

  it('across connections of one process', async () => {
    const file = await prepare()
    const connections = await Promise.all([0, 1, 2, 3].map(() => openConduitTarget(file)))
    try {
      const sent = await Promise.all(
        connections.flatMap((conduit, i) =>
          [0, 1, 2].map((n) => conduit.messages.send({ from: i % 2 ? 'alice' : 'bob', to: i % 2 ? 'bob' : 'alice', content: `${i}.${n}` })),
        ),
      )
      expect(new Set(sent.map((s) => s.message.conversationId)).size).toBe(1)
      expect((await connections[0]!.conversations.get(sent[0]!.message.conversationId))!.messageCount).toBe(12)
    } finally {
      await Promise.all(connections.map((c) => c.close()))
    }
  })
})
