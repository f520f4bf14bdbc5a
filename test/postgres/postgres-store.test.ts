/**
 * The PostgreSQL side of the engine on a real server: schemas, migrations (once,
 * transactional, verified, refused when too new or foreign), pools (whose are
 * ended), BUSY, connection failures. The contract suites in test/signaldock run
 * the repository itself on both engines.
 */
import pg from 'pg'
import { sql } from 'kysely'
import type { Kysely } from 'kysely'
import type { Migration } from 'kysely/migration'
import { afterEach, describe, expect, it } from 'vitest'

import { signaldockMigrations } from '../../migrations/signaldock/index.js'
import { describePostgresTarget, openPostgresDatabase } from '../../src/postgres/postgres-database.js'
import { SignaldockRepository } from '../../src/signaldock/signaldock-repository.js'
import { SIGNALDOCK_STORE } from '../../src/signaldock/signaldock.store.js'
import { expectCode, runFixture } from '../helpers.js'
import { POSTGRES_URL, freshSchema, openTarget } from '../signaldock/helpers.js'

describe('describePostgresTarget', () => {
  it('names user, host, port, database and schema, never the password or the query', () => {
    expect(describePostgresTarget('postgres://app:s3cret@db.example:6432/cloud?sslmode=require&password=x', 'signaldock')).toBe(
      'postgres://app@db.example:6432/cloud#signaldock',
    )
    expect(describePostgresTarget('host=/run/pg dbname=x password=s3cret', 'sd')).toBe('postgres://localhost#sd')
    const pool = { connect: async () => ({}) as never, end: async () => {}, options: { user: 'u', host: 'h', port: 5433, database: 'd', password: 'p' } }
    expect(describePostgresTarget(pool, 'sd')).toBe('postgres://u@h:5433/d#sd')
  })

  it('refuses a bad schema name or target before connecting', async () => {
    for (const schema of ['Upper', 'has-dash', '1starts', '', 'x'.repeat(64), 'a;drop']) {
      const error = await expectCode(SignaldockRepository.openPostgres('postgres://nobody@127.0.0.1:1/x', { schema }), 'VALIDATION')
      expect(error.details?.['path']).toEqual(['schema'])
    }
    await expectCode(SignaldockRepository.openPostgres({} as never), 'VALIDATION')
    await expectCode(SignaldockRepository.openPostgres('  '), 'VALIDATION')
  })
})

if (POSTGRES_URL !== null) {
  const url = POSTGRES_URL
  const admins: pg.Pool[] = []
  afterEach(async () => {
    await Promise.all(admins.splice(0).map((pool) => pool.end()))
  })
  /** A pool of the test's own, ended after the test. */
  function pool(): pg.Pool {
    const created = new pg.Pool({ connectionString: url, max: 3 })
    admins.push(created)
    return created
  }
  async function count(p: pg.Pool, text: string): Promise<number> {
    return Number((await p.query(text)).rows[0].n)
  }

  describe('signaldock on a PostgreSQL server', () => {
    it('keeps every table and its bookkeeping in its own schema, and reports where, without the password', async () => {
      const schema = freshSchema()
      const withPassword = url.replace('postgres://postgres@', 'postgres://postgres:hunter2@')
      const repo = await openTarget({ postgres: withPassword, schema })
      expect(repo.dialect).toBe('postgres')
      expect(repo.schemaVersion).toBe('0005_strict_agent_availability')
      expect(repo.sqlite).toBeNull()
      expect(repo.path).toMatch(new RegExp(`^postgres://postgres@127\\.0\\.0\\.1:\\d+/\\w+#${schema}$`))
      expect(repo.path).not.toContain('hunter2')
      const admin = pool()
      const tables = (await admin.query('select table_name from information_schema.tables where table_schema = $1 order by 1', [schema])).rows.map((r) => r.table_name)
      expect(tables).toEqual(expect.arrayContaining(['agents', 'users', 'kysely_migration', 'cleo_migration_checksum', 'signaldock_schema_meta']))
      expect(await count(admin, "select count(*) as n from information_schema.tables where table_schema = 'public'")).toBe(0)
      const checksums = (await admin.query(`select name, checksum from ${schema}.cleo_migration_checksum order by name`)).rows
      expect(checksums.map((r) => r.name)).toEqual(['0001_initial', '0002_identity', '0003_foreign_key_indexes', '0005_strict_agent_availability'])
      const error = await expectCode(repo.users.create({ email: 'a@x.io', slug: 'a' }).then(() => repo.users.create({ email: 'a@x.io' })), 'CONFLICT')
      expect(error.message).not.toContain('hunter2')
      expect((await repo.integrityCheck()).ok).toBe(true)
    })

    it('several processes opening one fresh schema at once migrate it exactly once', async () => {
      const schema = freshSchema('race')
      const target = JSON.stringify({ postgres: url, schema })
      const startAt = Date.now() + 1500
      const runs = await Promise.all([1, 2, 3, 4].map(() => runFixture('signaldock-open.ts', [target, String(startAt)])))
      for (const run of runs) expect(JSON.parse(run.stdout.trim())).toEqual({ ok: true, version: '0005_strict_agent_availability' })
      const admin = pool()
      expect(await count(admin, `select count(*) as n from ${schema}.kysely_migration`)).toBe(4)
      expect(await count(admin, `select count(*) as n from ${schema}.cleo_migration_checksum`)).toBe(4)
      expect(await count(admin, `select count(*) as n from ${schema}.signaldock_schema_meta`)).toBe(1)
    })

    it('a schema migrated by a newer version is SCHEMA_TOO_NEW, and left untouched', async () => {
      const schema = freshSchema()
      await (await openTarget({ postgres: url, schema })).close()
      const admin = pool()
      await admin.query(`insert into ${schema}.kysely_migration (name, timestamp) values ('9999_future', 'then')`)
      const before = await count(admin, `select count(*) as n from information_schema.tables where table_schema = '${schema}'`)
      const error = await expectCode(SignaldockRepository.openPostgres(url, { schema }), 'SCHEMA_TOO_NEW')
      expect(error.details?.['unknownMigrations']).toEqual(['9999_future'])
      expect(await count(admin, `select count(*) as n from information_schema.tables where table_schema = '${schema}'`)).toBe(before)
    })

    it('an applied migration whose checksum changed is MIGRATION_FAILED; an open store reports it in integrityCheck', async () => {
      const schema = freshSchema()
      const repo = await openTarget({ postgres: url, schema })
      const admin = pool()
      await admin.query(`update ${schema}.cleo_migration_checksum set checksum = repeat('0', 64) where name = '0002_identity'`)
      const error = await expectCode(SignaldockRepository.openPostgres(url, { schema }), 'MIGRATION_FAILED')
      expect(error.details?.['migration']).toBe('0002_identity')
      const report = await repo.integrityCheck()
      expect(report.ok).toBe(false)
      expect(report.problems.join('\n')).toMatch(/0002_identity differs/)
    })

    it("a schema holding another application's tables is WRONG_STORE, and left untouched", async () => {
      const admin = pool()
      const foreign = freshSchema('app')
      await admin.query(`create schema ${foreign}; create table ${foreign}.users (id int primary key)`)
      await expectCode(SignaldockRepository.openPostgres(url, { schema: foreign }), 'WRONG_STORE')
      const otherKysely = freshSchema('kapp')
      await admin.query(`create schema ${otherKysely}; create table ${otherKysely}.kysely_migration (name varchar(255) primary key, timestamp varchar(255))`)
      await admin.query(`insert into ${otherKysely}.kysely_migration values ('2024_01_01_users', 'then')`)
      await expectCode(SignaldockRepository.openPostgres(url, { schema: otherKysely }), 'WRONG_STORE')
      expect(await count(admin, `select count(*) as n from information_schema.tables where table_schema = '${foreign}'`)).toBe(1)
      expect(await count(admin, `select count(*) as n from information_schema.tables where table_schema = '${otherKysely}'`)).toBe(1)
    })

    it('a failing migration is rolled back whole, DDL included: the schema stays at its last version', async () => {
      const schema = freshSchema()
      await (await openTarget({ postgres: url, schema })).close()
      const broken: Migration = {
        async up(db: Kysely<any>) {
          await db.schema.createTable('half_done').addColumn('id', 'integer').execute()
          await sql`select this_function_does_not_exist()`.execute(db)
        },
      }
      const store = { ...SIGNALDOCK_STORE, migrations: { ...signaldockMigrations, '0099_broken': broken } }
      const error = await expectCode(openPostgresDatabase(store, url, { schema }), 'MIGRATION_FAILED')
      expect(error.details?.['migration']).toBe('0099_broken')
      const admin = pool()
      expect(await count(admin, `select count(*) as n from information_schema.tables where table_schema = '${schema}' and table_name = 'half_done'`)).toBe(0)
      expect(await count(admin, `select count(*) as n from ${schema}.kysely_migration`)).toBe(4)
      const repo = await openTarget({ postgres: url, schema })
      expect(repo.schemaVersion).toBe('0005_strict_agent_availability')
    })

    it('a pool you pass is shared and never ended; a pool cleo-store creates is ended on close', async () => {
      const mine = pool()
      const schema = freshSchema()
      const first = await SignaldockRepository.openPostgres(mine, { schema })
      const second = await SignaldockRepository.openPostgres(mine, { schema })
      await first.agents.register({ agentId: 'a', name: 'A' })
      expect((await second.agents.get('a'))!.name).toBe('A')
      await first.close()
      await first.close() // idempotent
      await expectCode(first.agents.get('a'), 'CLOSED')
      expect((await second.agents.get('a'))!.agentId).toBe('a') // the pool lives on
      await second.close()
      expect((await mine.query('select 1 as one')).rows[0].one).toBe(1)

      const owned = await SignaldockRepository.openPostgres(url, { schema })
      const kysely = owned.kysely
      await owned.close()
      await expectCode(owned.agents.list(), 'CLOSED')
      await expectCode(kysely.selectFrom('agents').selectAll().execute(), 'CLOSED')
    })

    it('a statement that waits for a lock longer than the busy timeout is BUSY; a shorter wait succeeds', async () => {
      const schema = freshSchema()
      const repo = await openTarget({ postgres: url, schema }, { busyTimeoutMs: 300 })
      await repo.agents.register({ agentId: 'a', name: 'A' })
      const blocker = await pool().connect()
      try {
        await blocker.query('begin')
        await blocker.query(`select * from ${schema}.agents where agent_id = 'a' for update`)
        const started = performance.now()
        const error = await expectCode(repo.agents.update('a', { name: 'B' }), 'BUSY')
        expect(performance.now() - started).toBeGreaterThanOrEqual(290)
        expect(error.details?.['attempts']).toBeGreaterThanOrEqual(1)
        const pending = repo.agents.update('a', { name: 'C' })
        await new Promise((r) => setTimeout(r, 100))
        await blocker.query('commit')
        expect((await pending).name).toBe('C')
      } finally {
        await blocker.query('rollback').catch(() => {})
        blocker.release()
      }
    })

    it('serialization failures between concurrent writers are retried until they commit', async () => {
      const repo = await openTarget({ postgres: url, schema: freshSchema() })
      const user = await repo.users.create({ email: 'u@x.io' })
      // Same provider account, linked concurrently: an upsert — one insert, the rest update.
      const links = await Promise.all(
        Array.from({ length: 8 }, (_, i) => repo.accounts.link({ userId: user.id, providerId: 'github', accountId: '1', accessToken: `t${i}` })),
      )
      expect(new Set(links.map((l) => l.id)).size).toBe(1)
      expect(await repo.accounts.listForUser(user.id)).toHaveLength(1)
    })

    it('an unreachable server is IO, a missing database NOT_FOUND', async () => {
      await expectCode(SignaldockRepository.openPostgres('postgres://postgres@127.0.0.1:1/nothing'), 'IO')
      const missing = new URL(url)
      missing.pathname = '/no_such_database_here'
      await expectCode(SignaldockRepository.openPostgres(missing.toString()), 'NOT_FOUND')
    })
  })
}
