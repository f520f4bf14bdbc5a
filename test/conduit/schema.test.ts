/**
 * The schema itself: STRICT tables, CHECKs on every enum and boolean, UNIQUEs,
 * foreign keys with their ON DELETE actions, and hot-path statements that use the
 * indexes written for them.
 *
 * SQLite only (STRICT, sqlite_schema, EXPLAIN QUERY PLAN): the PostgreSQL schema is
 * compared with this one in test/postgres/conduit-schema.test.ts.
 */
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import type { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import * as queue from '../../src/conduit/delivery-queue.queries.js'
import type { QueryTemplate } from '../../src/sqlite/query-template.js'
import { expectCode } from '../helpers.js'
import { openTestConduit, rows } from './conduit-fixtures.js'

let conduit: ConduitRepository

beforeEach(async () => {
  ;({ conduit } = await openTestConduit({ agents: ['alice', 'bob'] }))
})
afterEach(async () => {
  await conduit.close()
})

const exec = (text: string) => sql.raw(text).execute(conduit.kysely)

describe('conduit.db schema', () => {
  it('has every table of the issue, STRICT', async () => {
    const tables = await rows<{ name: string; sql: string }>(
      conduit,
      `SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'kysely_%'
         AND name NOT LIKE 'messages_fts%' AND name NOT IN ('cleo_migration_checksum') ORDER BY name`,
    )
    expect(tables.map((t) => t.name)).toEqual([
      'attachment_approvals',
      'attachment_blobs',
      'attachment_contributors',
      'attachment_versions',
      'attachments',
      'conduit_schema_meta',
      'conversation_participants',
      'conversations',
      'daemon_settings',
      'dead_letter_history',
      'dead_letters',
      'delivery_jobs',
      'inbox_cursors',
      'message_pins',
      'message_recipients',
      'messages',
      'project_agent_refs',
      'snapshot_cache',
      'voice_assignments',
      'writer_leases',
    ])
    for (const table of tables) expect(table.sql, table.name).toMatch(/\)\s*STRICT/)
  })

  it('refuses out-of-domain values with INVARIANT', async () => {
    const bad = [
      `INSERT INTO conversations (id, kind, created_by, created_at, updated_at) VALUES ('c', 'channel', 'a', 0, 0)`,
      `INSERT INTO conversations (id, kind, created_by, created_at, updated_at) VALUES ('c', 'direct', 'a', 0, 0)`, // direct needs direct_key
      `INSERT INTO conversations (id, kind, visibility, created_by, created_at, updated_at) VALUES ('c', 'group', 'secret', 'a', 0, 0)`,
      `INSERT INTO delivery_jobs (queue, payload, status, max_attempts, available_at, created_at, updated_at) VALUES ('q', '{', 'pending', 1, 0, 0, 0)`,
      `INSERT INTO delivery_jobs (queue, payload, status, max_attempts, available_at, created_at, updated_at) VALUES ('q', '1', 'waiting', 1, 0, 0, 0)`,
      `INSERT INTO delivery_jobs (queue, payload, status, max_attempts, available_at, created_at, updated_at) VALUES ('q', '1', 'leased', 1, 0, 0, 0)`, // leased without owner
      `INSERT INTO delivery_jobs (queue, payload, status, ordered, max_attempts, available_at, created_at, updated_at) VALUES ('q', '1', 'pending', 1, 1, 0, 0, 0)`, // ordered without partition
      `INSERT INTO delivery_jobs (queue, payload, status, max_attempts, available_at, created_at, updated_at) VALUES ('q', '1', 'done', 1, 0, 0, 0)`, // done without finished_at
      `INSERT INTO project_agent_refs (agent_id, enabled, attached_at, updated_at) VALUES ('x', 2, 0, 0)`,
      `INSERT INTO project_agent_refs (agent_id, enabled, attached_at, updated_at) VALUES ('x', 0, 0, 0)`, // disabled without detached_at
      `INSERT INTO project_agent_refs (agent_id, capabilities_override, attached_at, updated_at) VALUES ('x', '{"a":1}', 0, 0)`,
      `INSERT INTO attachment_blobs (hash, content, size, created_at) VALUES ('abc', x'00', 1, 0)`,
      `INSERT INTO attachment_blobs (hash, content, size, created_at) VALUES ('${'a'.repeat(64)}', x'00', 2, 0)`,
      `INSERT INTO delivery_jobs (queue, payload, status, max_attempts, available_at, created_at, updated_at) VALUES ('q', '1', 'pending', 'six', 0, 0, 0)`, // STRICT type
    ]
    for (const statement of bad) await expectCode(exec(statement), 'INVARIANT')
  })

  it('keeps direct_key, group names, dedup keys and one pending coalesce key unique', async () => {
    await conduit.conversations.direct('alice', 'bob')
    const key = JSON.stringify(['alice', 'bob'])
    await expectCode(
      exec(`INSERT INTO conversations (id, kind, direct_key, created_by, created_at, updated_at) VALUES ('x', 'direct', '${key}', 'a', 0, 0)`),
      'CONFLICT',
    )
    const job = `INSERT INTO delivery_jobs (queue, payload, status, dedup_key, coalesce_key, max_attempts, available_at, created_at, updated_at)`
    await exec(`${job} VALUES ('q', '1', 'pending', 'd', 'c', 1, 0, 0, 0)`)
    await expectCode(exec(`${job} VALUES ('q', '1', 'pending', 'd', NULL, 1, 0, 0, 0)`), 'CONFLICT')
    await expectCode(exec(`${job} VALUES ('q', '1', 'pending', NULL, 'c', 1, 0, 0, 0)`), 'CONFLICT')
    // Only pending jobs hold a coalesce key: a finished one with the same key is fine.
    await exec(
      `INSERT INTO delivery_jobs (queue, payload, status, coalesce_key, max_attempts, available_at, created_at, updated_at, finished_at)
       VALUES ('q', '1', 'dead', 'c', 1, 0, 0, 0, 0)`,
    )
    expect(await rows(conduit, "SELECT count(*) AS n FROM delivery_jobs WHERE coalesce_key = 'c'")).toEqual([{ n: 2 }])
  })

  it('cascades: deleting a conversation removes its messages, recipients, pins and attachments', async () => {
    const root = await conduit.messages.send({ from: 'alice', to: 'bob', content: 'root' })
    const reply = await conduit.messages.send({ from: 'bob', to: 'alice', content: 'reply', replyTo: root.message.id })
    await conduit.pins.pin({ messageId: root.message.id, agentId: 'bob' })
    await conduit.attachments.create({ conversationId: root.message.conversationId, agentId: 'alice', slug: 'doc', content: 'x' })

    await exec(`DELETE FROM messages WHERE id = '${root.message.id}'`)
    expect((await conduit.messages.get(reply.message.id))!.replyTo).toBeNull() // ON DELETE SET NULL
    expect(await rows(conduit, 'SELECT count(*) AS n FROM message_pins')).toEqual([{ n: 0 }])

    await exec(`DELETE FROM conversations WHERE id = '${root.message.conversationId}'`)
    for (const table of ['messages', 'message_recipients', 'conversation_participants', 'attachments', 'attachment_versions']) {
      expect(await rows(conduit, `SELECT count(*) AS n FROM ${table}`), table).toEqual([{ n: 0 }])
    }
    expect(await conduit.messages.search({ query: 'reply' })).toEqual([])
    expect((await conduit.integrityCheck()).ok).toBe(true)
  })

  it('purging a dead job removes its dead letters (cascade)', async () => {
    await conduit.queue.enqueue({ payload: 1 })
    const [job] = await conduit.queue.claim(1, { owner: 'w', leaseMs: 10 })
    await conduit.queue.nack(job!.lease, { retry: false })
    await conduit.queue.purgeDeadLetters({ jobIds: [job!.id] })
    expect(await rows(conduit, 'SELECT count(*) AS n FROM dead_letters')).toEqual([{ n: 0 }])
  })

  it('runs the queue statements on their partial indexes', async () => {
    const plan = async (template: QueryTemplate<unknown, unknown>) => {
      const params = template.bind(new Proxy({}, { get: () => null }) as never)
      const placeholders = params.map(() => 'NULL')
      let text = template.sql
      for (const value of placeholders) text = text.replace('?', value)
      const result = await sql.raw<{ detail: string }>(`EXPLAIN QUERY PLAN ${text}`).execute(conduit.kysely)
      return result.rows.map((r) => r.detail).join(' | ')
    }
    const claim = await plan(queue.claimJobsTemplate(10) as QueryTemplate<unknown, unknown>)
    expect(claim).toContain('USING INDEX delivery_jobs_ready (queue=? AND available_at<?)')
    expect(claim).toContain('USING INDEX delivery_jobs_partition (queue=? AND partition_key=? AND id<?)')
    expect(claim).toContain('USING INDEX delivery_jobs_leases (queue=? AND lease_expires_at<?)')
    expect(await plan(queue.DEAD_LETTER_EXHAUSTED_LEASES as QueryTemplate<unknown, unknown>)).toContain('USING INDEX delivery_jobs_leases')
    expect(await plan(queue.DELETE_PENDING_COALESCED as QueryTemplate<unknown, unknown>)).toContain('delivery_jobs_coalesce')
    expect(await plan(queue.GET_JOB_BY_DEDUP_KEY as QueryTemplate<unknown, unknown>)).toContain('delivery_jobs_dedup')
    expect(await plan(queue.PRUNE_DONE_IN_QUEUE as QueryTemplate<unknown, unknown>)).toContain('delivery_jobs_finished')
    expect(await plan(queue.PENDING_STATS as QueryTemplate<unknown, unknown>)).toContain('delivery_jobs_ready')
    expect(await plan(queue.LEASED_STATS as QueryTemplate<unknown, unknown>)).toContain('delivery_jobs_leases')
    for (const hot of [queue.ACK_JOB, queue.EXTEND_LEASE, queue.GET_LEASED_JOB]) {
      expect(await plan(hot as QueryTemplate<unknown, unknown>)).toContain('INTEGER PRIMARY KEY (rowid=?)')
    }
  })
})
