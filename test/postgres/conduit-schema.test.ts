/**
 * conduit's schema on PostgreSQL (migrations/conduit/0001_initial.postgres.ts),
 * checked against the SQLite conduit.db it renders: the same tables, columns (in
 * order), indexes and triggers; the guards refuse and allow what SQLite's do, with
 * the same message and code; the maintenance triggers maintain the same rows.
 * Every comparison opens both engines in the same test and runs the same SQL text
 * on both. PostgreSQL leg only: registered when the run has a server.
 */
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'

import { conduitMigrations } from '../../migrations/conduit/index.js'
import { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import { CONDUIT_STORE } from '../../src/conduit/conduit.store.js'
import type { PostgresDatabase } from '../../src/postgres/postgres-database.js'
import { openPostgresDatabase } from '../../src/postgres/postgres-database.js'
import { isCleoStoreError } from '../../src/sqlite/errors.js'
import { migrationChecksum } from '../../src/sqlite/migrate.js'
import { expectCode } from '../helpers.js'
import { POSTGRES_URL, freshSchema } from '../signaldock/helpers.js'

type Row = Record<string, unknown>

/** What PostgreSQL has and SQLite has not, on purpose (everything else must match). */
const POSTGRES_ONLY = {
  columns: { messages: ['search_vector'] } as Record<string, string[]>,
  indexes: ['messages_search'],
}
/** What SQLite has and PostgreSQL has not, on purpose: the FTS5 index and its sync triggers. */
const SQLITE_ONLY = {
  tables: /^messages_fts/,
  triggers: ['messages_fts_insert', 'messages_fts_delete', 'messages_fts_update'],
}
/** The integer columns that stay `integer` (0/1 flags); every other SQLite INTEGER is a `bigint`. */
const INTEGER_FLAGS = ['delivery_jobs.ordered', 'project_agent_refs.enabled']
/** Bookkeeping of the migrators, not the store's schema. */
const BOOKKEEPING = ['kysely_migration', 'kysely_migration_lock', 'cleo_migration_checksum']

if (POSTGRES_URL !== null) {
  const url = POSTGRES_URL
  const closing: Array<() => Promise<void>> = []
  afterEach(async () => {
    await Promise.allSettled(closing.splice(0).map((close) => close()))
  })

  async function openPostgres(schema = freshSchema('conduit')): Promise<PostgresDatabase<any>> {
    const db = await openPostgresDatabase<any>(CONDUIT_STORE, url, { schema })
    closing.push(() => db.close())
    return db
  }

  async function openSqlite(): Promise<ConduitRepository> {
    const conduit = await ConduitRepository.open(':memory:')
    closing.push(() => conduit.close())
    return conduit
  }

  /** Digit strings (PostgreSQL's int8) and booleans as numbers, so rows of both engines compare. */
  function normalise(rows: readonly Row[]): Row[] {
    return rows.map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([key, value]) => [
          key,
          typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : typeof value === 'boolean' ? Number(value) : value,
        ]),
      ),
    )
  }

  /** The same SQL text on both engines: raw SQL on PostgreSQL runs with `search_path` = the store's schema. */
  interface Pair {
    readonly lite: ConduitRepository
    readonly pg: PostgresDatabase<any>
    onSqlite(text: string): Promise<Row[]>
    onPostgres(text: string): Promise<Row[]>
    /** Runs `text` on both; both must succeed. */
    both(text: string): Promise<void>
    /** Runs `text` on both and returns their rows, normalised. */
    select(text: string): Promise<{ sqlite: Row[]; postgres: Row[] }>
  }

  async function openPair(): Promise<Pair> {
    const [lite, pg] = await Promise.all([openSqlite(), openPostgres()])
    const pair: Pair = {
      lite,
      pg,
      async onSqlite(text) {
        return (await sql.raw<Row>(text).execute(lite.kysely)).rows
      },
      async onPostgres(text) {
        return pg.kysely.transaction().execute(async (trx) => {
          await sql`select set_config('search_path', ${pg.schema}, true)`.execute(trx)
          return (await sql.raw<Row>(text).execute(trx)).rows
        })
      },
      async both(text) {
        await pair.onSqlite(text)
        await pair.onPostgres(text)
      },
      async select(text) {
        return { sqlite: normalise(await pair.onSqlite(text)), postgres: normalise(await pair.onPostgres(text)) }
      },
    }
    return pair
  }

  /** A row without its generated id: an identity spends a value on a refused insert, SQLite's AUTOINCREMENT does not. */
  function withoutId({ id: _id, ...row }: Row): Row {
    return row
  }

  /** How a statement ended: `ok` or the error code. */
  async function outcome(run: Promise<unknown>): Promise<string> {
    try {
      await run
      return 'ok'
    } catch (error) {
      if (isCleoStoreError(error)) return error.code
      throw error
    }
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
  const GUARDS: ReadonlyArray<{ trigger: string; setup: string[]; refused: string; legal: string[] }> = [
    {
      trigger: 'delivery_jobs_fenced_release',
      setup: [CLAIM],
      refused: `UPDATE delivery_jobs SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL, updated_at = 1 WHERE id = 1`,
      legal: [`UPDATE delivery_jobs SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL, updated_at = 1, fence_token = 1 WHERE id = 1`],
    },
    {
      trigger: 'delivery_jobs_finish_from_lease',
      setup: [],
      refused: `UPDATE delivery_jobs SET status = 'done', finished_at = 1 WHERE id = 1`,
      legal: [CLAIM, release('done', 1)],
    },
    {
      trigger: 'delivery_jobs_claim_fenced',
      setup: [CLAIM],
      refused: `UPDATE delivery_jobs SET lease_owner = 'w2', lease_token = 2, lease_expires_at = 200, updated_at = 50 WHERE id = 1`,
      legal: [`UPDATE delivery_jobs SET lease_owner = 'w2', lease_token = 2, lease_expires_at = 200, updated_at = 150 WHERE id = 1`],
    },
    {
      trigger: 'delivery_jobs_attempts_forward',
      setup: [CLAIM],
      refused: `UPDATE delivery_jobs SET attempts = 0 WHERE id = 1`,
      legal: [release('dead', 1), `UPDATE delivery_jobs SET status = 'pending', attempts = 0, finished_at = NULL WHERE id = 1`],
    },
    {
      trigger: 'delivery_jobs_ux_cleanup_insert',
      setup: [],
      refused: uxJob('ux-cleanup:feedback:s1', '{"deletionType":"feedback","sessionId":"s2","messageId":"x1"}', 'x1'),
      legal: [UX_OK],
    },
    {
      trigger: 'delivery_jobs_ux_cleanup_update',
      setup: [UX_OK],
      refused: `UPDATE delivery_jobs SET queue = 'ux-cleanup:feedback:s9' WHERE id = 2`,
      legal: [`UPDATE delivery_jobs SET payload = '{"deletionType":"feedback","sessionId":"s1","messageId":"x1","note":1}' WHERE id = 2`],
    },
  ]

  /** `RAISE(ABORT, '…')` messages of SQLite's triggers, by trigger name. */
  async function sqliteGuardMessages(lite: ConduitRepository): Promise<Map<string, string>> {
    const triggers = (await sql.raw<{ name: string; sql: string }>(`SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'`).execute(lite.kysely)).rows
    const messages = new Map<string, string>()
    for (const { name, sql: text } of triggers) {
      const message = /RAISE\(ABORT, '([^']*)'\)/.exec(text)?.[1]
      if (message !== undefined) messages.set(name, message)
    }
    return messages
  }

  /** `{ timing, event, columns, table }` of a CREATE TRIGGER statement of either engine. */
  function triggerShape(text: string): Row {
    const match = /\b(BEFORE|AFTER)\s+(INSERT|UPDATE|DELETE)(?:\s+OF\s+([\w\s,]+?))?\s+ON\s+(?:\w+\.)?(\w+)/i.exec(text)
    if (!match) throw new Error(`unreadable trigger: ${text}`)
    const columns = (match[3] ?? '').split(',').map((c) => c.trim()).filter(Boolean)
    return { timing: match[1]!.toUpperCase(), event: match[2]!.toUpperCase(), columns, table: match[4] }
  }

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
      const { lite, pg } = await openPair()
      const sqliteTables = (
        await sql.raw<{ name: string }>(
          `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
        ).execute(lite.kysely)
      ).rows
        .map((row) => row.name)
        .filter((name) => !SQLITE_ONLY.tables.test(name) && !BOOKKEEPING.includes(name))
      const postgresTables = (
        await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = ${pg.schema} order by 1`.execute(pg.kysely)
      ).rows
        .map((row) => row.name)
        .filter((name) => !BOOKKEEPING.includes(name))
      expect(postgresTables).toEqual(sqliteTables)

      for (const table of sqliteTables) {
        const sqliteColumns = (
          await sql.raw<{ name: string; type: string; notnull: number; pk: number; dflt_value: string | null }>(
            `SELECT name, type, "notnull", pk, dflt_value FROM pragma_table_info('${table}') ORDER BY cid`,
          ).execute(lite.kysely)
        ).rows.map((c) => ({
          name: c.name,
          type:
            c.type.toUpperCase() === 'INTEGER'
              ? INTEGER_FLAGS.includes(`${table}.${c.name}`)
                ? 'integer'
                : 'bigint'
              : ({ TEXT: 'text collate C', BLOB: 'bytea' } as Record<string, string>)[c.type.toUpperCase()] ?? `unmapped ${c.type}`,
          nullable: c.notnull === 0 && c.pk === 0,
          default: c.dflt_value,
        }))
        const postgresColumns = (
          await sql<{ name: string; type: string; collation: string | null; nullable: string; default: string | null }>`
            select column_name as name, data_type as type, collation_name as collation, is_nullable as nullable, column_default as default
            from information_schema.columns where table_schema = ${pg.schema} and table_name = ${table} order by ordinal_position`.execute(pg.kysely)
        ).rows.map((c) => ({
          name: c.name,
          type: c.collation === null ? c.type : `${c.type} collate ${c.collation}`,
          nullable: c.nullable === 'YES',
          // '{}'::text → '{}' (SQLite keeps the literal as written)
          default: c.default?.replace(/::[a-z ]+$/, '') ?? null,
        }))
        const extra = POSTGRES_ONLY.columns[table] ?? []
        expect(postgresColumns.filter((c) => !extra.includes(c.name)), table).toEqual(sqliteColumns)
        expect(postgresColumns.slice(sqliteColumns.length).map((c) => c.name), table).toEqual(extra)
      }
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

      const sqliteIndexes = (
        await sql.raw<{ name: string; tbl_name: string }>(
          `SELECT name, tbl_name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`,
        ).execute(lite.kysely)
      ).rows.filter((row) => !BOOKKEEPING.includes(row.tbl_name))
      // Indexes PostgreSQL builds for PRIMARY KEY and UNIQUE constraints are SQLite's automatic ones.
      const postgresIndexes = (
        await sql<{ name: string; tbl_name: string }>`
          select i.indexname as name, i.tablename as tbl_name from pg_indexes i
          where i.schemaname = ${pg.schema}
            and not exists (select 1 from pg_constraint c join pg_class x on x.oid = c.conindid
                            join pg_namespace n on n.oid = x.relnamespace where n.nspname = i.schemaname and x.relname = i.indexname)
          order by 1`.execute(pg.kysely)
      ).rows.filter((row) => !BOOKKEEPING.includes(row.tbl_name))
      expect(postgresIndexes.filter((row) => !POSTGRES_ONLY.indexes.includes(row.name))).toEqual(sqliteIndexes)
      expect(postgresIndexes.map((row) => row.name)).toEqual(expect.arrayContaining(POSTGRES_ONLY.indexes))
    })

    it('has a trigger of the same name, timing, event (UPDATE OF columns) and table for every SQLite trigger but the FTS ones', async () => {
      const { lite, pg } = await openPair()
      const sqliteTriggers = (await sql.raw<{ name: string; sql: string }>(`SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY name`).execute(lite.kysely)).rows
      const postgresTriggers = (
        await sql<{ name: string; sql: string }>`
          select t.tgname as name, pg_get_triggerdef(t.oid) as sql from pg_trigger t
          join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = ${pg.schema} and not t.tgisinternal order by 1`.execute(pg.kysely)
      ).rows
      const expected = sqliteTriggers.filter((t) => !SQLITE_ONLY.triggers.includes(t.name))
      expect(postgresTriggers.map((t) => t.name)).toEqual(expected.map((t) => t.name))
      expect(expected).toHaveLength(9)
      for (const [i, trigger] of expected.entries()) {
        expect(triggerShape(postgresTriggers[i]!.sql), trigger.name).toEqual(triggerShape(trigger.sql))
      }
      // Each guard is covered below; no trigger is left untested.
      expect([...(await sqliteGuardMessages(lite)).keys()].sort()).toEqual(GUARDS.map((g) => g.trigger).sort())
    })

    for (const guard of GUARDS) {
      it(`${guard.trigger}: refuses what SQLite refuses, with INVARIANT and the same message, and lets a legal change through`, async () => {
        const pair = await openPair()
        const message = (await sqliteGuardMessages(pair.lite)).get(guard.trigger)!
        for (const statement of [...FIXTURE, ...guard.setup]) await pair.both(statement)
        const onSqlite = await expectCode(pair.onSqlite(guard.refused), 'INVARIANT')
        const onPostgres = await expectCode(pair.onPostgres(guard.refused), 'INVARIANT')
        expect(onSqlite.message).toBe(`INVARIANT: ${message}`)
        expect(onPostgres.message).toContain(`INVARIANT: ${message}`)
        expect(onPostgres.details).toMatchObject({ sqlState: '23514', constraint: guard.trigger, table: 'delivery_jobs' })
        for (const statement of guard.legal) await pair.both(statement)
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
      await db
        .updateTable('delivery_jobs')
        .set({ status: 'done', finished_at: 7, lease_owner: null, lease_expires_at: null, fence_token: 1 })
        .where('id', '=', id)
        .execute()
      expect(Number((await db.selectFrom('message_recipients').select('delivered_at').executeTakeFirstOrThrow()).delivered_at)).toBe(7)
      await db.insertInto('dead_letters').values({ job_id: id, reason: 'rejected', attempts: 0, dead_at: 8 }).execute()
      await db.updateTable('dead_letters').set({ replayed_at: 9 }).execute()
      expect(normalise(await db.selectFrom('dead_letter_history').select(['queue', 'message_id', 'replayed_at']).execute())).toEqual([
        { queue: 'q', message_id: 'm1', replayed_at: 9 },
      ])
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
