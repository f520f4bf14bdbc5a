/**
 * Regression suite for our node:sqlite Kysely driver. kysely-node-sqlite 1.1.0 lost
 * the rows of INSERT/UPDATE/DELETE … RETURNING and of raw `sql` selects; every case
 * below returns rows, decided by StatementSync.columns().
 */
import { DatabaseSync } from 'node:sqlite'

import type { Generated } from 'kysely'
import { Kysely, sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { NodeSqliteDialect } from '../../src/sqlite/node-sqlite-dialect.js'
import { expectCode, tempDir } from '../helpers.js'

interface Db {
  person: { id: Generated<number>; name: string; age: number | null }
}

let raw: DatabaseSync
let db: Kysely<Db>

beforeEach(async () => {
  raw = new DatabaseSync(':memory:')
  db = new Kysely<Db>({ dialect: new NodeSqliteDialect({ database: raw }) })
  await db.schema
    .createTable('person')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('age', 'integer')
    .execute()
  await db.insertInto('person').values([{ name: 'ada', age: 36 }, { name: 'bob', age: null }]).execute()
})

afterEach(async () => {
  await db.destroy()
  raw.close()
})

describe('NodeSqliteDialect', () => {
  it('returns rows of a builder select', async () => {
    const rows = await db.selectFrom('person').select(['name', 'age']).orderBy('name').execute()
    expect(rows).toEqual([
      { name: 'ada', age: 36 },
      { name: 'bob', age: null },
    ])
  })

  it('returns rows of a raw sql select', async () => {
    const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM person`.execute(db)
    expect(rows).toEqual([{ n: 2 }])
  })

  it('returns the value of a PRAGMA read', async () => {
    const { rows } = await sql<{ foreign_keys: number }>`PRAGMA foreign_keys`.execute(db)
    expect(rows).toHaveLength(1)
    expect(Object.keys(rows[0]!)).toEqual(['foreign_keys'])
  })

  it('returns rows of INSERT … RETURNING', async () => {
    const rows = await db.insertInto('person').values({ name: 'cy', age: 7 }).returning(['id', 'name']).execute()
    expect(rows).toEqual([{ id: 3, name: 'cy' }])
  })

  it('returns rows of UPDATE … RETURNING', async () => {
    const rows = await db.updateTable('person').set({ age: 37 }).where('name', '=', 'ada').returningAll().execute()
    expect(rows).toEqual([{ id: 1, name: 'ada', age: 37 }])
  })

  it('returns rows of DELETE … RETURNING', async () => {
    const rows = await db.deleteFrom('person').where('name', '=', 'bob').returning('id').execute()
    expect(rows).toEqual([{ id: 2 }])
    expect(await db.selectFrom('person').select('name').execute()).toEqual([{ name: 'ada' }])
  })

  it('reports affected rows and insert ids of plain writes', async () => {
    const insert = await db.insertInto('person').values({ name: 'dee', age: 1 }).executeTakeFirstOrThrow()
    expect(insert.insertId).toBe(3n)
    const update = await db.updateTable('person').set({ age: 2 }).executeTakeFirstOrThrow()
    expect(update.numUpdatedRows).toBe(3n)
  })

  it('binds booleans as integers and undefined as NULL', async () => {
    const { rows } = await sql<{ t: number; f: number }>`SELECT ${true} AS t, ${false} AS f`.execute(db)
    expect(rows).toEqual([{ t: 1, f: 0 }])
  })

  it('streams rows in chunks', async () => {
    await db
      .insertInto('person')
      .values(Array.from({ length: 25 }, (_, i) => ({ name: `p${i}`, age: i })))
      .execute()
    const names: string[] = []
    for await (const row of db.selectFrom('person').select('name').orderBy('id').stream(10)) names.push(row.name)
    expect(names).toHaveLength(27)
    expect(names.slice(0, 3)).toEqual(['ada', 'bob', 'p0'])
  })

  it('commits a transaction and rolls one back on throw', async () => {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('person').values({ name: 'tx1', age: 1 }).execute()
    })
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('person').values({ name: 'tx2', age: 2 }).execute()
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    const names = (await db.selectFrom('person').select('name').execute()).map((r) => r.name)
    expect(names).toContain('tx1')
    expect(names).not.toContain('tx2')
  })

  it('begins write transactions IMMEDIATE (the write lock is held from BEGIN)', async () => {
    const file = `${tempDir()}/immediate.db`
    const a = new DatabaseSync(file)
    a.exec('PRAGMA journal_mode=WAL; CREATE TABLE t (x INTEGER)')
    const other = new DatabaseSync(file, { timeout: 0 })
    const k = new Kysely<{ t: { x: number } }>({ dialect: new NodeSqliteDialect({ database: a }) })
    try {
      await k.transaction().execute(async () => {
        // No statement ran yet inside the transaction, but the lock is already taken.
        expect(() => other.exec('BEGIN IMMEDIATE')).toThrow(/locked|busy/i)
      })
    } finally {
      await k.destroy()
      other.close()
      a.close()
    }
  })

  it('supports savepoints: rollback to one keeps earlier work', async () => {
    const trx = await db.startTransaction().execute()
    await trx.insertInto('person').values({ name: 'kept', age: 1 }).execute()
    const sp = await trx.savepoint('inner').execute()
    await sp.insertInto('person').values({ name: 'dropped', age: 2 }).execute()
    await sp.rollbackToSavepoint('inner').execute()
    const sp2 = await trx.savepoint('second "quoted"').execute()
    await sp2.insertInto('person').values({ name: 'released', age: 3 }).execute()
    await sp2.releaseSavepoint('second "quoted"').execute()
    await trx.commit().execute()
    const names = (await db.selectFrom('person').select('name').execute()).map((r) => r.name)
    expect(names).toEqual(expect.arrayContaining(['kept', 'released']))
    expect(names).not.toContain('dropped')
  })

  it('translates SQLite errors into CleoStoreError codes', async () => {
    await expectCode(db.insertInto('person').values({ name: 'ada', age: 1 }).execute(), 'CONFLICT')
    await expectCode(db.insertInto('person').values({ id: 1, name: 'new', age: 1 }).execute(), 'CONFLICT')
    await expectCode(sql`INSERT INTO person (name) VALUES (NULL)`.execute(db), 'INVARIANT')
    await expectCode(sql`SELECT * FROM missing_table`.execute(db), 'INTERNAL')
  })
})

describe('parameter binding', () => {
  it('binds integers as INTEGER (node:sqlite alone binds every number as REAL)', async () => {
    const raw = new DatabaseSync(':memory:')
    const db = new Kysely<Record<string, never>>({ dialect: new NodeSqliteDialect({ database: raw }) })
    const { rows } = await sql<{ t: string; q: number; f: string }>`SELECT typeof(${5}) AS t, ${5} / 2 AS q, typeof(${2.5}) AS f`.execute(db)
    expect(rows).toEqual([{ t: 'integer', q: 2, f: 'real' }])
    raw.exec("CREATE VIRTUAL TABLE doc USING fts5(body); INSERT INTO doc (rowid, body) VALUES (7, 'seven'), (8, 'eight')")
    const hit = await sql<{ body: string }>`SELECT body FROM doc WHERE doc MATCH ${'seven OR eight'} AND rowid = ${8}`.execute(db)
    expect(hit.rows).toEqual([{ body: 'eight' }])
    await db.destroy()
    raw.close()
  })
})
