/**
 * conduit's schema on PostgreSQL (migrations/conduit/0001_initial.postgres.ts),
 * checked against the SQLite conduit.db it renders: the same tables, columns (in
 * order), indexes and triggers; the guards refuse and allow what SQLite's do, with
 * the same message and code; the maintenance triggers maintain the same rows.
 * Every comparison opens both engines in the same test and runs the same SQL text
 * on both. PostgreSQL leg only: registered when the run has a server.
 */
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'

import { conduitMigrations } from '../../migrations/conduit/index.js'
import { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import { CONDUIT_STORE } from '../../src/conduit/conduit.store.js'
import type { PostgresDatabase } from '../../src/postgres/postgres-database.js'
import { migrationChecksum } from '../../src/sqlite/migrate.js'
import { expectCode } from '../helpers.js'
import { POSTGRES_URL, freshSchema } from './pg-test-schemas.js'
import type { GuardCase, RenditionDifferences, Row } from './schema-pair.js'
import { expectGuardRendered, expectSameConstraints, expectSameTables, expectSameTriggers, normalise, outcome, schemaPairOpeners } from './schema-pair.js'

/**
 * What the rendition leaves out or adds on purpose (everything else must match):
 * the FTS5 index and its sync triggers; the search vector and its GIN index; the
 * 0/1 flags stay `integer`.
 */
const DIFFERENCES: RenditionDifferences = {
  sqliteOnlyTables: /^messages_fts/,
  sqliteOnlyTriggers: ['messages_fts_insert', 'messages_fts_delete', 'messages_fts_update'],
  postgresOnlyColumns: { messages: ['search_vector'] },
  postgresOnlyIndexes: ['messages_search'],
  smallIntegers: ['delivery_jobs.ordered', 'project_agent_refs.enabled'],
}

if (POSTGRES_URL !== null) {
  const url = POSTGRES_URL
  const { openPostgres, openPair } = schemaPairOpeners(CONDUIT_STORE, url, () => ConduitRepository.open(':memory:'))

  /** A row without its generated id: an identity spends a value on a refused insert, SQLite's AUTOINCREMENT does not. */
  function withoutId({ id: _id, ...row }: Row): Row {
    return row
  }

  /** A group conversation, a message to bob and carol, and a message delivery job for bob (id 1, pending). */
  const FIXTURE = [
    `INSERT INTO conversations (id, kind, name, created_by, created_at, updated_at) VALUES ('c1', 'group', 'g', 'alice', 0, 0)`,
    `INSERT INTO messages (id, conversation_id, from_agent_id, content, created_at) VALUES ('m1', 'c1', 'alice', 'hello world', 0)`,
    `INSERT INTO message_recipients (agent_id, message_seq) SELECT 'bob', seq FROM messages WHERE id = 'm1'`,
    `INSERT INTO message_recipients (agent_id, message_seq) SELECT 'carol', seq FROM messages WHERE id = 'm1'`,
    `INSERT INTO delivery_jobs (queue, payload, max_attempts, available_at, created_at, updated_at, message_id, recipient_id)
      VALUES ('q', '{"messageId":"m1","recipientId":"bob"}', 3, 0, 0, 0, 'm1', 'bob')`,
  ]
  /** Job 1 claimed by w1 until 100 (lease_token 1, attempts 1). */
  const CLAIM = `UPDATE delivery_jobs SET status = 'leased', lease_owner = 'w1', lease_token = lease_token + 1,
    lease_expires_at = 100, attempts = attempts + 1, updated_at = 0 WHERE id = 1`
  /** Job 1 leaves its lease (fenced) for `status`. */
  const release = (status: 'done' | 'dead', at: number) =>
    `UPDATE delivery_jobs SET status = '${status}', finished_at = ${at}, lease_owner = NULL, lease_expires_at = NULL, fence_token = 1 WHERE id = 1`
  const uxJob = (queue: string, payload: string, dedupKey: string | null) =>
    `INSERT INTO delivery_jobs (queue, payload, dedup_key, max_attempts, available_at, created_at, updated_at)
      VALUES ('${queue}', '${payload}', ${dedupKey === null ? 'NULL' : `'${dedupKey}'`}, 1, 0, 0, 0)`
  const UX_OK = uxJob('ux-cleanup:feedback:s1', '{"deletionType":"feedback","sessionId":"s1","messageId":"x1"}', 'x1')

  /** For each guard trigger: what it refuses, and a legal statement touching the same columns. */
  const GUARDS: readonly GuardCase[] = [
    {
      trigger: 'delivery_jobs_fenced_release',
      table: 'delivery_jobs',
      setup: [CLAIM],
      refused: `UPDATE delivery_jobs SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL, updated_at = 1 WHERE id = 1`,
      legal: [`UPDATE delivery_jobs SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL, updated_at = 1, fence_token = 1 WHERE id = 1`],
    },
    {
      trigger: 'delivery_jobs_finish_from_lease',
      table: 'delivery_jobs',
      setup: [],
      refused: `UPDATE delivery_jobs SET status = 'done', finished_at = 1 WHERE id = 1`,
      legal: [CLAIM, release('done', 1)],
    },
    {
      trigger: 'delivery_jobs_claim_fenced',
      table: 'delivery_jobs',
      setup: [CLAIM],
      refused: `UPDATE delivery_jobs SET lease_owner = 'w2', lease_token = 2, lease_expires_at = 200, updated_at = 50 WHERE id = 1`,
      legal: [`UPDATE delivery_jobs SET lease_owner = 'w2', lease_token = 2, lease_expires_at = 200, updated_at = 150 WHERE id = 1`],
    },
    {
      trigger: 'delivery_jobs_attempts_forward',
      table: 'delivery_jobs',
      setup: [CLAIM],
      refused: `UPDATE delivery_jobs SET attempts = 0 WHERE id = 1`,
      legal: [release('dead', 1), `UPDATE delivery_jobs SET status = 'pending', attempts = 0, finished_at = NULL WHERE id = 1`],
    },
    {
      trigger: 'delivery_jobs_ux_cleanup_insert',
      table: 'delivery_jobs',
      setup: [],
      refused: uxJob('ux-cleanup:feedback:s1', '{"deletionType":"feedback","sessionId":"s2","messageId":"x1"}', 'x1'),
      legal: [UX_OK],
    },
    {
      trigger: 'delivery_jobs_ux_cleanup_update',
      table: 'delivery_jobs',
      setup: [UX_OK],
      refused: `UPDATE delivery_jobs SET queue = 'ux-cleanup:feedback:s9' WHERE id = 2`,
      legal: [`UPDATE delivery_jobs SET payload = '{"deletionType":"feedback","sessionId":"s1","messageId":"x1","note":1}' WHERE id = 2`],
    },
  ]

  describe('conduit schema on PostgreSQL', () => {
    it('migrates on the first open (into its own schema) and verifies the checksums on the next', async () => {
      const schema = freshSchema('conduit')
      const first = await openPostgres(schema)
      const names = Object.keys(conduitMigrations).sort()
      expect(first.schemaVersion).toBe(names.at(-1))
      const bookkeeping = async (db: PostgresDatabase<any>) =>
        (
          await sql<Row>`select m.name, m.timestamp, c.checksum
            from ${sql.table(`${db.schema}.kysely_migration`)} m join ${sql.table(`${db.schema}.cleo_migration_checksum`)} c using (name)
            order by m.name`.execute(db.kysely)
        ).rows
      const applied = await bookkeeping(first)
      expect(applied.map((row) => row.name)).toEqual(names)
      // The checksum of each migration is the SHA-256 of its SQLite emission, on PostgreSQL too.
      expect(applied.map((row) => row.checksum)).toEqual(await Promise.all(names.map((name) => migrationChecksum(conduitMigrations[name]!))))
      // Nothing landed outside the store's schema.
      const stray = await sql<Row>`select to_regclass('public.messages') as messages, to_regprocedure('public.cleo_json_valid(text)') as fn`.execute(first.kysely)
      expect(stray.rows[0]).toEqual({ messages: null, fn: null })
      expect(await sql<Row>`select key, value from ${sql.table(`${schema}.conduit_schema_meta`)}`.execute(first.kysely)).toMatchObject({
        rows: [{ key: 'store', value: 'conduit' }],
      })
      const stamp = (await sql<{ updated_at: string }>`select updated_at from ${sql.table(`${schema}.conduit_schema_meta`)}`.execute(first.kysely)).rows[0]!
      expect(Number(stamp.updated_at)).toBeGreaterThan(Date.UTC(2025, 0, 1))
      await first.close()

      const second = await openPostgres(schema)
      expect(await bookkeeping(second)).toEqual(applied)
      expect((await second.integrityCheck()).ok).toBe(true)
      await sql`update ${sql.table(`${schema}.cleo_migration_checksum`)} set checksum = 'edited' where name = '0004_delivery_queue'`.execute(second.kysely)
      await second.close()
      await expectCode(openPostgres(schema), 'MIGRATION_FAILED')
    })

    it('has every table, column (same order, mapped type, nullability, default) and index of a migrated SQLite conduit.db', async () => {
      const pair = await openPair()
      await expectSameTables(pair, DIFFERENCES)
      const { pg } = pair
      const generated = await sql<Row>`
        select data_type, is_generated, generation_expression from information_schema.columns
        where table_schema = ${pg.schema} and table_name = 'messages' and column_name = 'search_vector'`.execute(pg.kysely)
      expect(generated.rows).toEqual([
        {
          data_type: 'tsvector',
          is_generated: 'ALWAYS',
          // The function is stored by reference: PostgreSQL prints it with its schema.
          generation_expression: `to_tsvector('simple'::regconfig, ${pg.schema}.cleo_search_text(COALESCE(content, ''::text)))`,
        },
      ])
    })

    it('keeps every CHECK (by count), PRIMARY KEY, UNIQUE, foreign key (with its ON DELETE) and each index\'s uniqueness and predicate', async () => {
      const sqliteFacts = await expectSameConstraints(await openPair(), DIFFERENCES)
      expect(sqliteFacts.filter((fact) => fact.includes(' references '))).toHaveLength(13)
    })

    it('has a trigger of the same name, timing, event (UPDATE OF columns) and table for every SQLite trigger but the FTS ones', async () => {
      expect(await expectSameTriggers(await openPair(), DIFFERENCES, GUARDS)).toHaveLength(9)
    })

    for (const guard of GUARDS) {
      it(`${guard.trigger}: refuses what SQLite refuses, with INVARIANT and the same message, and lets a legal change through`, async () => {
        const pair = await openPair()
        await expectGuardRendered(pair, FIXTURE, guard)
        const jobs = await pair.select('SELECT * FROM delivery_jobs ORDER BY id')
        expect(jobs.postgres.map(withoutId)).toEqual(jobs.sqlite.map(withoutId))
      })
    }

    it('ux-cleanup guards: every payload is accepted or refused as on SQLite (three-valued logic, ASCII-case LIKE, first duplicate key)', async () => {
      const pair = await openPair()
      const cases: Array<[string, string, string | null]> = [
        ['ux-cleanup:feedback:s1', '{"deletionType":"feedback","sessionId":"s1","messageId":"x1"}', 'x1'],
        ['ux-cleanup:user_input:s1', '{"deletionType":"user_input","sessionId":"s1","messageId":"x2"}', 'x2'],
        ['ux-cleanup:feedback:s1', '{"deletionType":"feedback","sessionId":"s1","messageId":"x3"}', null],
        ['ux-cleanup:feedback:s1', '{"deletionType":"other","sessionId":"s1","messageId":"x4"}', 'x4'],
        ['ux-cleanup:feedback:s1', '{"deletionType":"feedback","sessionId":1,"messageId":"x5"}', 'x5'],
        ['ux-cleanup:feedback:', '{"deletionType":"feedback","sessionId":"","messageId":"x6"}', 'x6'],
        ['UX-Cleanup:feedback:s1', '{"deletionType":"feedback","sessionId":"s1","messageId":"x7"}', 'x7'],
        ['ux-cleanup:feedback:s1', '{"deletionType":"feedback","sessionId":"s1","sessionId":"s2","messageId":"x8"}', 'x8'],
        ['ux-cleanup:feedback:s2', '{"deletionType":"feedback","sessionId":"s1","sessionId":"s2","messageId":"x9"}', 'x9'],
        ['ux-cleanup:feedback:s1', '{"deletionType":"feedback","sessionId":"s1","messageId":null}', null],
        ['ux-cleanup:feedback:s1', '{"deletionType":"feedback","sessionId":"s1"}', null],
        ['ux-cleanup:feedback:s1', '{}', null],
        ['ux-cleanup:feedback:s1', '{}', 'x10'],
        ['ux-cleanup:feedback:s1', '[1]', null],
        ['ux-cleanup:feedback:s1', '{', 'x11'],
        ['ux-cleanupfeedback', '{"deletionType":"feedback","sessionId":"s1","messageId":"x12"}', 'x12'],
        ['other', '{', 'x13'],
      ]
      const results: Array<{ statement: string; sqlite: string; postgres: string }> = []
      for (const [queue, payload, dedupKey] of cases) {
        const statement = uxJob(queue, payload, dedupKey)
        results.push({ statement, sqlite: await outcome(pair.onSqlite(statement)), postgres: await outcome(pair.onPostgres(statement)) })
      }
      for (const result of results) expect(result.postgres, result.statement).toBe(result.sqlite)
      expect(new Set(results.map((r) => r.sqlite))).toEqual(new Set(['ok', 'INVARIANT']))
      const jobs = await pair.select('SELECT * FROM delivery_jobs ORDER BY queue, payload')
      expect(jobs.postgres.map(withoutId)).toEqual(jobs.sqlite.map(withoutId))
    })

    it('delivery_jobs_done_delivers_message: acknowledging a message job marks its recipient delivered, nobody else', async () => {
      const pair = await openPair()
      for (const statement of [...FIXTURE, CLAIM, release('done', 42)]) await pair.both(statement)
      const recipients = await pair.select('SELECT agent_id, delivered_at FROM message_recipients ORDER BY agent_id')
      expect(recipients.sqlite).toEqual([
        { agent_id: 'bob', delivered_at: 42 },
        { agent_id: 'carol', delivered_at: null },
      ])
      expect(recipients.postgres).toEqual(recipients.sqlite)
    })

    it('dead_letters_history_insert and _replay: the history copies each dead letter with its job, follows its replay and outlives the job', async () => {
      const pair = await openPair()
      const steps = [
        ...FIXTURE,
        CLAIM,
        release('dead', 5),
        `INSERT INTO dead_letters (job_id, reason, error, attempts, dead_at) VALUES (1, 'max_attempts', 'boom', 1, 5)`,
      ]
      for (const statement of steps) await pair.both(statement)
      const history = () => pair.select('SELECT * FROM dead_letter_history ORDER BY id')
      const written = await history()
      expect(written.sqlite).toEqual([
        { id: 1, job_id: 1, queue: 'q', message_id: 'm1', recipient_id: 'bob', reason: 'max_attempts', error: 'boom', attempts: 1, dead_at: 5, replayed_at: null },
      ])
      expect(written.postgres).toEqual(written.sqlite)
      await pair.both('UPDATE dead_letters SET replayed_at = 9 WHERE id = 1')
      await pair.both('DELETE FROM delivery_jobs WHERE id = 1')
      const after = await history()
      expect(after.sqlite).toEqual([{ ...written.sqlite[0], replayed_at: 9 }])
      expect(after.postgres).toEqual(after.sqlite)
      expect((await pair.select('SELECT count(*) AS n FROM dead_letters')).postgres).toEqual([{ n: 0 }])
    })

    it('maintenance triggers work through schema-qualified statements, whatever the search_path', async () => {
      const pg = await openPostgres()
      const db = pg.kysely // qualifies every table with the store's schema; the session's search_path is the server default
      await db.insertInto('conversations').values({ id: 'c1', kind: 'group', name: 'g', created_by: 'a', created_at: 0, updated_at: 0 }).execute()
      const { seq } = await db
        .insertInto('messages')
        .values({ id: 'm1', conversation_id: 'c1', from_agent_id: 'a', content: 'x', created_at: 0 })
        .returning('seq')
        .executeTakeFirstOrThrow()
      await db.insertInto('message_recipients').values({ agent_id: 'bob', message_seq: seq }).execute()
      const job = { queue: 'q', payload: '{}', max_attempts: 1, available_at: 0, created_at: 0, updated_at: 0, message_id: 'm1', recipient_id: 'bob' }
      const { id } = await db.insertInto('delivery_jobs').values(job).returning('id').executeTakeFirstOrThrow()
      await db
        .updateTable('delivery_jobs')
        .set({ status: 'leased', lease_owner: 'w', lease_token: 1, lease_expires_at: 10 })
        .where('id', '=', id)
        .execute()
      const searchPath = sql<{ path: string }>`select current_setting('search_path') as path`
      const paths = await db.transaction().execute(async (trx) => {
        const before = (await searchPath.execute(trx)).rows[0]!.path
        await trx
          .updateTable('delivery_jobs')
          .set({ status: 'done', finished_at: 7, lease_owner: null, lease_expires_at: null, fence_token: 1 })
          .where('id', '=', id)
          .execute()
        return { before, after: (await searchPath.execute(trx)).rows[0]!.path }
      })
      // The trigger function set its own search_path and gave the caller's back.
      expect(paths.after).toBe(paths.before)
      expect(paths.before).not.toContain(pg.schema)
      expect(Number((await db.selectFrom('message_recipients').select('delivered_at').executeTakeFirstOrThrow()).delivered_at)).toBe(7)
      await db.insertInto('dead_letters').values({ job_id: id, reason: 'rejected', attempts: 0, dead_at: 8 }).execute()
      await db.updateTable('dead_letters').set({ replayed_at: 9 }).execute()
      expect(normalise(await db.selectFrom('dead_letter_history').select(['queue', 'message_id', 'replayed_at']).execute())).toEqual([
        { queue: 'q', message_id: 'm1', replayed_at: 9 },
      ])
    })

    it('maintenance triggers follow a renamed schema', async () => {
      const pair = await openPair()
      for (const statement of [...FIXTURE, CLAIM]) await pair.onPostgres(statement)
      const moved = `${pair.pg.schema}_moved`
      // In one transaction, rolled back: the store's schema is left as it was.
      const delivered = await pair.pg.kysely
        .transaction()
        .execute(async (trx) => {
          await sql`alter schema ${sql.id(pair.pg.schema)} rename to ${sql.id(moved)}`.execute(trx)
          await sql`select set_config('search_path', ${moved}, true)`.execute(trx)
          await sql.raw(release('done', 11)).execute(trx)
          const rows = (await sql.raw<Row>(`SELECT agent_id, delivered_at FROM message_recipients ORDER BY agent_id`).execute(trx)).rows
          throw Object.assign(new Error('roll back'), { rows })
        })
        .catch((error: { rows?: Row[] }) => {
          if (!error.rows) throw error
          return error.rows
        })
      expect(normalise(delivered)).toEqual([
        { agent_id: 'bob', delivered_at: 11 },
        { agent_id: 'carol', delivered_at: null },
      ])
    })

    it('CHECKs, UNIQUEs and foreign keys refuse (or allow) each statement as on SQLite, with the same code', async () => {
      const pair = await openPair()
      for (const statement of FIXTURE) await pair.both(statement)
      const long = (n: number) => `'${'x'.repeat(n)}'`
      const conversation = (values: string) =>
        `INSERT INTO conversations (id, kind, direct_key, name, title, visibility, created_by, created_at, updated_at) VALUES (${values}, 'a', 0, 0)`
      const job = (values: string) =>
        `INSERT INTO delivery_jobs (queue, payload, status, ordered, partition_key, max_attempts, lease_owner, lease_expires_at, finished_at, available_at, created_at, updated_at) VALUES (${values}, 0, 0, 0)`
      const cases: Array<[string, string]> = [
        [conversation(`'c2', 'channel', NULL, 'n', NULL, 'private'`), 'INVARIANT'],
        [conversation(`'c2', 'direct', NULL, NULL, NULL, 'private'`), 'INVARIANT'],
        [conversation(`'c2', 'direct', '["a","b"]', 'n', NULL, 'private'`), 'INVARIANT'],
        [conversation(`'c2', 'group', NULL, 'n', NULL, 'secret'`), 'INVARIANT'],
        [conversation(`'c2', 'group', NULL, '', NULL, 'private'`), 'INVARIANT'],
        [conversation(`'c2', 'group', NULL, 'n', ${long(513)}, 'private'`), 'INVARIANT'],
        [conversation(`'c2', 'group', NULL, 'g', NULL, 'private'`), 'CONFLICT'],
        [conversation(`'c2', 'group', NULL, 'n2', ${long(512)}, 'shared'`), 'ok'],
        [conversation(`'c3', 'direct', '["a","b"]', NULL, NULL, 'private'`), 'ok'],
        [conversation(`'c4', 'direct', '["a","b"]', NULL, NULL, 'private'`), 'CONFLICT'],
        [`INSERT INTO conversation_participants (conversation_id, agent_id, joined_at) VALUES ('nope', 'a', 0)`, 'INVARIANT'],
        [`INSERT INTO conversation_participants (conversation_id, agent_id, joined_at) VALUES ('c1', ${long(129)}, 0)`, 'INVARIANT'],
        [`INSERT INTO messages (id, conversation_id, from_agent_id, content, content_type, created_at) VALUES ('m2', 'c1', 'a', 'x', 'tweet', 0)`, 'INVARIANT'],
        [`INSERT INTO messages (id, conversation_id, from_agent_id, content, reply_to, created_at) VALUES ('m2', 'c1', 'a', 'x', 'nope', 0)`, 'INVARIANT'],
        [`INSERT INTO messages (id, conversation_id, from_agent_id, content, created_at) VALUES ('', 'c1', 'a', 'x', 0)`, 'INVARIANT'],
        [`INSERT INTO messages (id, conversation_id, from_agent_id, content, created_at) VALUES ('m1', 'c1', 'a', 'x', 0)`, 'CONFLICT'],
        [`INSERT INTO messages (id, conversation_id, from_agent_id, content, idempotency_key, reply_to, created_at) VALUES ('m2', 'c1', 'a', 'x', 'k', 'm1', 0)`, 'ok'],
        [`INSERT INTO messages (id, conversation_id, from_agent_id, content, idempotency_key, created_at) VALUES ('m3', 'c1', 'a', 'x', 'k', 0)`, 'CONFLICT'],
        [`INSERT INTO messages (id, conversation_id, from_agent_id, content, idempotency_key, created_at) VALUES ('m3', 'c1', 'b', 'x', 'k', 0)`, 'ok'],
        [`INSERT INTO message_recipients (agent_id, message_seq, read_at) SELECT 'dan', seq, 1 FROM messages WHERE id = 'm1'`, 'INVARIANT'],
        [`INSERT INTO message_recipients (agent_id, message_seq) VALUES ('dan', 999)`, 'INVARIANT'],
        [`INSERT INTO inbox_cursors (agent_id, consumer, position, updated_at) VALUES ('a', 'c', -1, 0)`, 'INVARIANT'],
        [`INSERT INTO message_pins (message_id, pinned_by, conversation_id, note, created_at) VALUES ('m1', 'a', 'c1', ${long(2001)}, 0)`, 'INVARIANT'],
        [`INSERT INTO attachments (slug, conversation_id, from_agent_id, format, created_at, updated_at) VALUES ('s', 'c1', 'a', 'pdf', 0, 0)`, 'INVARIANT'],
        [`INSERT INTO attachments (slug, conversation_id, from_agent_id, mode, created_at, updated_at) VALUES ('s', 'c1', 'a', 'open', 0, 0)`, 'INVARIANT'],
        [`INSERT INTO attachments (slug, conversation_id, from_agent_id, current_version, created_at, updated_at) VALUES ('s', 'c1', 'a', 0, 0, 0)`, 'INVARIANT'],
        [`INSERT INTO attachments (slug, conversation_id, from_agent_id, created_at, updated_at) VALUES ('s', 'c1', 'a', 0, 0)`, 'ok'],
        [`INSERT INTO attachment_versions (slug, version_number, author_agent_id, change_type, content_hash, created_at) VALUES ('s', 1, 'a', 'initial', '${'a'.repeat(64)}', 0)`, 'INVARIANT'],
        [`INSERT INTO attachment_approvals (slug, reviewer_agent_id, version_reviewed, created_at, updated_at) VALUES ('s', 'r', 1, 0, 0)`, 'INVARIANT'],
        [`INSERT INTO attachment_contributors (slug, agent_id, version_count, first_contribution_at, last_contribution_at) VALUES ('s', 'a', -1, 0, 0)`, 'INVARIANT'],
        [job(`'q', '{', 'pending', 0, NULL, 1, NULL, NULL, NULL`), 'INVARIANT'],
        [job(`'q', '1', 'waiting', 0, NULL, 1, NULL, NULL, NULL`), 'INVARIANT'],
        [job(`'q', '1', 'leased', 0, NULL, 1, NULL, NULL, NULL`), 'INVARIANT'],
        [job(`'q', '1', 'leased', 0, NULL, 1, 'w', NULL, NULL`), 'INVARIANT'],
        [job(`'q', '1', 'pending', 1, NULL, 1, NULL, NULL, NULL`), 'INVARIANT'],
        [job(`'q', '1', 'pending', 2, 'p', 1, NULL, NULL, NULL`), 'INVARIANT'],
        [job(`'q', '1', 'done', 0, NULL, 1, NULL, NULL, NULL`), 'INVARIANT'],
        [job(`'q', '1', 'pending', 0, NULL, 1001, NULL, NULL, NULL`), 'INVARIANT'],
        [job(`'q', '1', 'pending', 0, NULL, 'six', NULL, NULL, NULL`), 'INVARIANT'],
        [job(`'', '1', 'pending', 0, NULL, 1, NULL, NULL, NULL`), 'INVARIANT'],
        [job(`'q', '[1]', 'pending', 1, 'p', '7', NULL, NULL, NULL`), 'ok'],
        [`INSERT INTO dead_letters (job_id, reason, attempts, dead_at) VALUES (1, 'tired', 0, 0)`, 'INVARIANT'],
        [`INSERT INTO dead_letters (job_id, reason, attempts, dead_at) VALUES (999, 'rejected', 0, 0)`, 'INVARIANT'],
        [`INSERT INTO dead_letters (job_id, reason, attempts, dead_at) VALUES (1, 'rejected', 0, 0)`, 'ok'],
        [`INSERT INTO dead_letters (job_id, reason, attempts, dead_at) VALUES (1, 'rejected', 0, 0)`, 'CONFLICT'],
        [`INSERT INTO project_agent_refs (agent_id, enabled, attached_at, updated_at) VALUES ('x', 2, 0, 0)`, 'INVARIANT'],
        [`INSERT INTO project_agent_refs (agent_id, enabled, attached_at, updated_at) VALUES ('x', 0, 0, 0)`, 'INVARIANT'],
        [`INSERT INTO project_agent_refs (agent_id, capabilities_override, attached_at, updated_at) VALUES ('x', '{"a":1}', 0, 0)`, 'INVARIANT'],
        [`INSERT INTO project_agent_refs (agent_id, capabilities_override, attached_at, updated_at) VALUES ('x', '["a"]', 0, 0)`, 'ok'],
        [`INSERT INTO snapshot_cache (data_type, scope_id, snapshot, digest, updated_at) VALUES ('a:b', '', '{}', 'd', 0)`, 'INVARIANT'],
        [`INSERT INTO snapshot_cache (data_type, scope_id, snapshot, digest, updated_at) VALUES ('a', ${long(513)}, '{}', 'd', 0)`, 'INVARIANT'],
        [`INSERT INTO snapshot_cache (data_type, scope_id, snapshot, digest, updated_at) VALUES ('a', '', '{', 'd', 0)`, 'INVARIANT'],
        [`INSERT INTO snapshot_cache (data_type, scope_id, snapshot, digest, updated_at) VALUES ('a', '', '{}', '', 0)`, 'INVARIANT'],
        [`INSERT INTO snapshot_cache (data_type, scope_id, snapshot, digest, updated_at) VALUES ('a', '', '"s"', 'd', 0)`, 'ok'],
        [`INSERT INTO writer_leases (name, owner, token, acquired_at, heartbeat_at, expires_at) VALUES ('l', 'o', 0, 0, 0, 0)`, 'INVARIANT'],
        [`INSERT INTO writer_leases (name, owner, token, acquired_at, heartbeat_at, expires_at) VALUES ('l', 'o', 1, 0, 5, 4)`, 'INVARIANT'],
        [`INSERT INTO writer_leases (name, owner, token, acquired_at, heartbeat_at, expires_at) VALUES ('l', NULL, 1, 0, 5, 4)`, 'ok'],
        [`INSERT INTO daemon_settings (key, value, created_at, updated_at) VALUES ('', '1', 0, 0)`, 'INVARIANT'],
        [`INSERT INTO voice_assignments (id, service_name, voice, assigned_at) VALUES ('v', 's', ${long(201)}, 0)`, 'INVARIANT'],
        [`INSERT INTO voice_assignments (id, service_name, voice, assigned_at) VALUES ('v', '', '', 0)`, 'INVARIANT'],
        [`INSERT INTO dead_letter_history (id, job_id, queue, reason, attempts, dead_at) VALUES (50, 1, 'q', 'tired', 0, 0)`, 'INVARIANT'],
        [`DELETE FROM conversations WHERE id = 'c1'`, 'ok'],
      ]
      for (const [statement, expected] of cases) {
        expect(await outcome(pair.onSqlite(statement)), `SQLite: ${statement}`).toBe(expected)
        expect(await outcome(pair.onPostgres(statement)), `PostgreSQL: ${statement}`).toBe(expected)
      }
      // The delete cascaded alike.
      const left = await pair.select(
        'SELECT (SELECT count(*) FROM messages) AS messages, (SELECT count(*) FROM message_recipients) AS recipients, (SELECT count(*) FROM attachments) AS attachments',
      )
      expect(left.sqlite).toEqual([{ messages: 0, recipients: 0, attachments: 0 }])
      expect(left.postgres).toEqual(left.sqlite)
      // Blobs, through the query builder (byte literals differ between the engines).
      for (const db of [pair.lite, pair.pg.kysely] as const) {
        const blob = (hash: string, content: number[], size: number) =>
          outcome((db as typeof pair.pg.kysely).insertInto('attachment_blobs').values({ hash, content: new Uint8Array(content), size, created_at: 0 }).execute())
        expect(await blob('abc', [0], 1)).toBe('INVARIANT')
        expect(await blob('A'.repeat(64), [0], 1)).toBe('INVARIANT')
        expect(await blob('g'.repeat(64), [0], 1)).toBe('INVARIANT')
        expect(await blob('a'.repeat(64), [0, 1], 1)).toBe('INVARIANT')
        expect(await blob('a'.repeat(64), [0, 1], 2)).toBe('ok')
      }
    })

    it('JSON CHECKs: cleo_json_valid refuses "{" and accepts "{}"; cleo_json_valid/cleo_json_type agree with json_valid/json_type', async () => {
      const pair = await openPair()
      const setting = (value: string) => `INSERT INTO daemon_settings (key, value, created_at, updated_at) VALUES ('k${value.length}', '${value}', 0, 0)`
      await expectCode(pair.onPostgres(setting('{')), 'INVARIANT')
      await pair.onPostgres(setting('{}'))
      const metadata = (id: string, value: string) =>
        `INSERT INTO messages (id, conversation_id, from_agent_id, content, metadata, created_at) VALUES ('${id}', 'c1', 'a', 'x', '${value}', 0)`
      await pair.both(FIXTURE[0]!)
      for (const [id, value, expected] of [
        ['a', '[]', 'INVARIANT'],
        ['b', '"{}"', 'INVARIANT'],
        ['c', '{"k":[1]}', 'ok'],
      ] as const) {
        expect(await outcome(pair.onSqlite(metadata(id, value))), value).toBe(expected)
        expect(await outcome(pair.onPostgres(metadata(id, value))), value).toBe(expected)
      }
      const documents = [
        '{}', '{', '[]', '[1, 2]', '"s"', '1', '-0', '1.5', '1e3', '-2E-3', 'true', 'false', 'null', ' {"a": [1, {"b": null}]} ',
        '', ' ', 'nul', '{"a":1,}', "{''a'':1}", '[1] x', '"\\ud800"', '"\\u0000"', '{"a":1,"a":2}', 'NaN', '01', '.5', '1.', '"a\tb"', '[[[[[]]]]]',
        '12345678901234567890123', '-9223372036854775808', '1E400', '-1e-400',
      ]
      for (const document of documents) {
        const literal = `'${document}'`
        const valid = normalise(await pair.onSqlite(`SELECT json_valid(${literal}) AS valid`))
        expect(normalise(await pair.onPostgres(`SELECT cleo_json_valid(${literal}) AS valid`)), document).toEqual(valid)
        if (valid[0]!['valid'] === 1) {
          const type = normalise(await pair.onSqlite(`SELECT json_type(${literal}) AS type`))
          expect(normalise(await pair.onPostgres(`SELECT cleo_json_type(${literal}) AS type`)), document).toEqual(type)
        }
      }
      expect(normalise(await pair.onPostgres(`SELECT cleo_json_valid(NULL) AS v, cleo_json_type(NULL) AS t, cleo_json_type('{') AS m`))).toEqual([
        { v: null, t: null, m: null },
      ])
    })

    it('search_vector: generated from the content on insert and update, served by a GIN index', async () => {
      const pair = await openPair()
      for (const statement of FIXTURE) await pair.onPostgres(statement)
      const matches = async (word: string) =>
        (await pair.onPostgres(`SELECT id FROM messages WHERE search_vector @@ to_tsquery('simple', cleo_search_text('${word}'))`)).map((row) => row['id'])
      expect(await matches('hello')).toEqual(['m1'])
      expect(await matches('HELLO')).toEqual(['m1'])
      await pair.onPostgres(`UPDATE messages SET content = 'Grüße aus Köln' WHERE id = 'm1'`)
      expect(await matches('hello')).toEqual([])
      expect(await matches('köln')).toEqual(['m1'])
      expect(await matches('koln')).toEqual(['m1']) // accents folded on both sides
      expect(await matches('GRUSSE')).toEqual([]) // ß is not a mark: no folding to ss
      const index = await pair.onPostgres(`SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'messages_search'`)
      expect(String(index[0]?.['indexdef'])).toMatch(/USING gin \(search_vector\)/)
    })
  })
}
// Without a server this suite is not registered, like every PostgreSQL leg (the global setup prints why).
