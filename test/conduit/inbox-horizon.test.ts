/**
 * The inbox horizon on PostgreSQL (issue 20 item 4): `messages.seq` is an identity,
 * handed out when a row is inserted, not when its transaction commits. A reader
 * that pages an inbox by seq must never move its cursor past a message that a
 * transaction still running will commit. Two connections on one schema: the first
 * sends and holds its transaction open, the second sends; a reader pages and commits
 * its cursor; then the first commits — the reader's next page must hold its message.
 * (On SQLite the single writer makes this hold trivially: no test there.)
 */
import { describe, expect, it } from 'vitest'

import { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import { manualClock } from '../../src/sqlite/clock.js'
import { dropSchemasAfterEach, freshSchema, POSTGRES_URL } from '../postgres/pg-test-schemas.js'
import { rows, T0 } from './conduit-fixtures.js'

const opened: ConduitRepository[] = []
dropSchemasAfterEach(() => Promise.allSettled(opened.splice(0).map((conduit) => conduit.close())))

async function openOn(schema: string): Promise<ConduitRepository> {
  const conduit = await ConduitRepository.openPostgres(POSTGRES_URL!, { schema, clock: manualClock(T0) })
  opened.push(conduit)
  return conduit
}

/** A deferred promise: the test's barrier between the two writers. */
function barrier(): { promise: Promise<void>; open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { promise, open }
}

describe.runIf(POSTGRES_URL !== null)('inbox horizon on postgres', () => {
  it('a message committed after a later seq was read is still paged', async () => {
    const schema = freshSchema('conduit')
    const first = await openOn(schema)
    const second = await openOn(schema)
    const reader = await openOn(schema)
    for (const agent of ['alice', 'bob', 'carol']) await first.agentRefs.attach(agent)
    // Both direct conversations exist before the race (so the writers touch different rows).
    await first.messages.send({ from: 'alice', to: 'bob', content: 'setup a' })
    await first.messages.send({ from: 'carol', to: 'bob', content: 'setup c' })
    const setup = await reader.inbox.page('bob')
    expect(setup.items.map((m) => m.content)).toEqual(['setup a', 'setup c'])
    await reader.inbox.commit('bob', setup.position)

    const sentInFirst = barrier()
    const releaseFirst = barrier()
    const held = first.transaction(async (tx) => {
      await tx.messages.send({ from: 'alice', to: 'bob', content: 'slow' })
      sentInFirst.open()
      await releaseFirst.promise
    })
    await sentInFirst.promise
    let secondDone = false
    const fast = second.messages.send({ from: 'carol', to: 'bob', content: 'fast' }).then((sent) => {
      secondDone = true
      return sent
    })
    // Wait (no timing) until the second send has committed, or is blocked behind the first.
    for (;;) {
      if (secondDone) break
      const [waiting] = await rows<{ n: number }>(
        reader,
        `SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE NOT l.granted AND a.datname = current_database() AND a.query LIKE '%cleo.conduit.messages%'`,
      )
      if (waiting!.n > 0) break
      await new Promise((resolve) => setImmediate(resolve))
    }
    const during = await reader.inbox.page('bob')
    await reader.inbox.commit('bob', during.position)

    releaseFirst.open()
    await held
    await fast
    const after = await reader.inbox.page('bob')
    expect([...during.items, ...after.items].map((m) => m.content).sort()).toEqual(['fast', 'slow'])
  })
})
