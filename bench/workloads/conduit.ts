/**
 * conduit.db workloads: message send, inbox page, full-text message search on 1M
 * messages, and one delivery-queue cycle (enqueue → claim → ack).
 *
 * Raw and Drizzle execute exactly the SQL statements ours executes (captured from
 * one run of ours: same text, same order, same transactions) with the same
 * arguments; Drizzle runs them through its `sql` template and session (`dz.get` /
 * `dz.all` / `dz.run`), which is the path CLEO's Drizzle code takes for FTS and
 * window queries; its query builder would add cost on top. Neither validates input
 * nor maps rows to domain objects.
 */
import { randomUUID } from 'node:crypto'
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DatabaseSync, StatementSync } from 'node:sqlite'

import { drizzle } from 'drizzle-orm/node-sqlite'

import { ConduitRepository } from '../../src/conduit/index.js'
import type { Workload } from '../harness.js'
import { openRaw } from '../harness.js'
import { captureSql, counter, scalar, size, withParams } from './common.js'

const T0 = 1_700_000_000_000

/** 256 words: message content is eight of them, spread deterministically. */
const WORDS = Array.from({ length: 256 }, (_, i) => {
  const base = ['build', 'green', 'deploy', 'failed', 'review', 'merge', 'agent', 'task', 'parser', 'schema', 'queue', 'lease', 'index', 'query', 'plan', 'release']
  return i < base.length ? base[i]! : `w${i.toString(36)}x`
})
const WORDS_SQL = `CREATE TEMP TABLE words (k INTEGER PRIMARY KEY, w TEXT NOT NULL);
  INSERT INTO temp.words (k, w) VALUES ${WORDS.map((w, i) => `(${i}, '${w}')`).join(', ')};`
const PRIMES = [7, 13, 31, 61, 101, 151, 211, 241]
const CONTENT_SQL = PRIMES.map((p, j) => `(SELECT w FROM temp.words WHERE k = (i * ${p} + ${j * 17}) % 256)`).join(` || ' ' || `)

/** `count` messages from alice to bob in their direct conversation, with bob's recipient rows. */
export function seedMessages(count: number): string {
  return `${WORDS_SQL}
    ${counter(count)}
    INSERT INTO messages (id, conversation_id, from_agent_id, content, created_at)
    SELECT 'seed-' || i, (SELECT id FROM conversations WHERE direct_key = '["alice","bob"]'), 'alice', ${CONTENT_SQL}, ${T0} + i FROM n;
    INSERT INTO message_recipients (agent_id, message_seq) SELECT 'bob', seq FROM messages WHERE id LIKE 'seed-%';
    UPDATE conversations SET message_count = (SELECT count(*) FROM messages) WHERE direct_key = '["alice","bob"]';`
}

async function openConduit(path: string) {
  return ConduitRepository.open(path)
}

/** A conduit file with alice, bob and carol attached and the alice–bob conversation, seeded; copied for raw and Drizzle. */
async function threeFiles(dir: string, messages: number) {
  const files = { ours: join(dir, 'ours.db'), raw: join(dir, 'raw.db'), drizzle: join(dir, 'drizzle.db') }
  const setup = await openConduit(files.ours)
  for (const agent of ['alice', 'bob', 'carol']) await setup.agentRefs.attach(agent)
  await setup.messages.send({ from: 'alice', to: 'bob', content: 'first' })
  await setup.close()
  if (messages > 0) {
    const db = openRaw(files.ours)
    db.exec(`BEGIN IMMEDIATE; ${seedMessages(messages)} COMMIT; ANALYZE;`)
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    db.close()
  }
  copyFileSync(files.ours, files.raw)
  copyFileSync(files.ours, files.drizzle)
  const ours = await openConduit(files.ours)
  const raw = openRaw(files.raw)
  const dz = drizzle({ client: openRaw(files.drizzle) })
  return {
    files,
    ours,
    raw,
    dz,
    teardown: async () => {
      await ours.close()
      raw.close()
      dz.$client.close()
    },
  }
}

/** Prepared statements for captured SQL texts, on a raw connection. */
function prepareAll(db: DatabaseSync, texts: readonly string[]): StatementSync[] {
  return texts.map((text) => db.prepare(text))
}

function inTransaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE')
  try {
    const result = fn()
    db.exec('COMMIT')
    return result
  } catch (error) {
    db.exec('ROLLBACK')
    throw error
  }
}

const sentence = (n: number) => `${WORDS[n % 256]} ${WORDS[(n * 7) % 256]} ${WORDS[(n * 13) % 256]} status update ${n}`

export const conduitWorkloads: Workload[] = [
  {
    name: 'conduit: message send (direct)',
    kind: 'write',
    async setup(dir) {
      const { ours, raw, dz, teardown, files } = await threeFiles(dir, size(10_000, 1_000))
      const texts = await captureSql(() => ours.messages.send({ from: 'alice', to: 'bob', content: 'capture' }))
      if (texts.length !== 6) throw new Error(`message send ran ${texts.length} statements; update the workload`)
      const [touch, requireTo, findDirect, insert, recipients, bump] = prepareAll(raw, texts) as [StatementSync, StatementSync, StatementSync, StatementSync, StatementSync, StatementSync]
      const counters = { ours: 0, raw: 0, drizzle: 0 }
      return {
        ours: () => ours.messages.send({ from: 'alice', to: 'bob', content: sentence(counters.ours++) }),
        raw: () =>
          inTransaction(raw, () => {
            const now = Date.now()
            touch.get(now, 'alice', 1)
            requireTo.get('bob', 1)
            const { id: conversationId } = findDirect.get('["alice","bob"]') as { id: string }
            const row = insert.get(randomUUID(), conversationId, 'alice', sentence(counters.raw++), 'text', null, null, '{}', now) as { seq: number }
            recipients.all(row.seq, conversationId, 'alice')
            bump.run(now, now, conversationId)
          }),
        drizzle: () =>
          dz.transaction((tx) => {
            const now = Date.now()
            tx.get(withParams(texts[0]!, [now, 'alice', 1]))
            tx.get(withParams(texts[1]!, ['bob', 1]))
            const { id: conversationId } = tx.get<{ id: string }>(withParams(texts[2]!, ['["alice","bob"]']))!
            const row = tx.get<{ seq: number }>(
              withParams(texts[3]!, [randomUUID(), conversationId, 'alice', sentence(counters.drizzle++), 'text', null, null, '{}', now]),
            )!
            tx.all(withParams(texts[4]!, [row.seq, conversationId, 'alice']))
            tx.run(withParams(texts[5]!, [now, now, conversationId]))
          }),
        notes: `${scalar(files.ours, 'SELECT count(*) FROM messages')} messages before`,
        teardown,
      }
    },
  },
  {
    name: 'conduit: inbox page (50)',
    kind: 'query',
    async setup(dir) {
      const { ours, raw, dz, teardown, files } = await threeFiles(dir, size(10_000, 1_000))
      const texts = await captureSql(() => ours.inbox.page('bob', { limit: 50 }))
      if (texts.length !== 2) throw new Error(`inbox page ran ${texts.length} statements; update the workload`)
      const [cursor, page] = prepareAll(raw, texts) as [StatementSync, StatementSync]
      const pageArgs = (after: number) => ['bob', after, null, null, null, null, 0, 0, 51] // ours reads one more row to know whether a next page exists
      return {
        ours: () => ours.inbox.page('bob', { limit: 50 }),
        raw: () => {
          raw.exec('BEGIN')
          try {
            const after = (cursor.get('bob', 'default') as { position: number } | undefined)?.position ?? 0
            return page.all(...pageArgs(after))
          } finally {
            raw.exec('COMMIT')
          }
        },
        drizzle: () =>
          dz.transaction(
            (tx) => {
              const after = tx.get<{ position: number }>(withParams(texts[0]!, ['bob', 'default']))?.position ?? 0
              return tx.all(withParams(texts[1]!, pageArgs(after)))
            },
            { behavior: 'deferred' },
          ),
        notes: `${scalar(files.ours, "SELECT count(*) FROM message_recipients WHERE agent_id = 'bob'")} messages in bob's inbox`,
        teardown,
      }
    },
  },
  {
    name: 'conduit: message search (1M messages)',
    kind: 'query',
    p50TargetMs: 20,
    async setup(dir) {
      const count = size(1_000_000, 20_000)
      const { ours, raw, dz, teardown, files } = await threeFiles(dir, count)
      const query = 'build green'
      const texts = await captureSql(() => ours.messages.search({ query }))
      if (texts.length !== 1) throw new Error(`message search ran ${texts.length} statements; update the workload`)
      const search = raw.prepare(texts[0]!)
      const args = ['"build" "green"', 5000, 20]
      const matches = scalar(files.ours, `SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '"build" "green"'`)
      return {
        ours: () => ours.messages.search({ query }),
        raw: () => search.all(...args),
        drizzle: () => dz.all(withParams(texts[0]!, args)),
        notes: `${count} messages, '${query}' matches ${matches}; relevance over the 5000 newest matches, top 20`,
        teardown,
      }
    },
  },
  {
    name: 'conduit: queue enqueue → claim → ack',
    kind: 'write',
    async setup(dir) {
      const { ours, raw, dz, teardown } = await threeFiles(dir, 0)
      const cycle = async (n: number) => {
        await ours.queue.enqueue({ queue: 'bench', payload: { n } })
        const [job] = await ours.queue.claim(1, { queue: 'bench', owner: 'worker', leaseMs: 30_000 })
        await ours.queue.ack(job!.lease)
      }
      const texts = await captureSql(() => cycle(0))
      if (texts.length !== 4) throw new Error(`queue cycle ran ${texts.length} statements; update the workload`)
      const [enqueue, reap, claim, ack] = prepareAll(raw, texts) as [StatementSync, StatementSync, StatementSync, StatementSync]
      const enqueueArgs = (n: number, now: number) => ['bench', JSON.stringify({ n }), null, 0, null, null, 0, 6, now, 0, now, now, null, null]
      const claimArgs = (now: number) => ['worker', now + 30_000, now, 'bench', now, 'bench', now]
      const counters = { ours: 1, raw: 1, drizzle: 1 }
      return {
        ours: () => cycle(counters.ours++),
        raw: () => {
          inTransaction(raw, () => {
            const now = Date.now()
            enqueue.get(...enqueueArgs(counters.raw++, now))
          })
          const job = inTransaction(raw, () => {
            const now = Date.now()
            reap.run(now, 'bench', now)
            return claim.all(...claimArgs(now))[0] as { id: number; lease_token: number }
          })
          inTransaction(raw, () => {
            const now = Date.now()
            ack.run(now, now, null, null, job.lease_token, job.id, 'worker', job.lease_token)
          })
        },
        drizzle: () => {
          dz.transaction((tx) => {
            tx.get(withParams(texts[0]!, enqueueArgs(counters.drizzle++, Date.now())))
          })
          const job = dz.transaction((tx) => {
            const now = Date.now()
            tx.run(withParams(texts[1]!, [now, 'bench', now]))
            return tx.all<{ id: number; lease_token: number }>(withParams(texts[2]!, claimArgs(now)))[0]!
          })
          dz.transaction((tx) => {
            const now = Date.now()
            tx.run(withParams(texts[3]!, [now, now, null, null, job.lease_token, job.id, 'worker', job.lease_token]))
          })
        },
        notes: 'three transactions per cycle; one queue, no partitions',
        teardown,
      }
    },
  },
]
