import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'

import type { Generated } from 'kysely'
import { describe, expect, it } from 'vitest'

import { SqliteDatabase } from '../../src/sqlite/database.js'
import { openDatabase } from '../../src/sqlite/open-database.js'
import { template } from '../../src/sqlite/query-template.js'
import { StatementCache } from '../../src/sqlite/statement-cache.js'
import { expectCode, tempDir } from '../helpers.js'
import { itemStore } from './item-store.js'

interface Db {
  item: { id: Generated<number>; name: string; qty: number }
}

const store = itemStore()

const INSERT = template<Db, { name: string; qty: number }>()((db, p) =>
  db.insertInto('item').values({ name: p('name'), qty: p('qty') }).returning('id'),
)
const BY_NAME = template<Db, { name: string }>()((db, p) => db.selectFrom('item').selectAll().where('name', '=', p('name')))
const COUNT = template<Db>()((db) => db.selectFrom('item').select((eb) => eb.fn.countAll<number>().as('n')))

describe('SqliteDatabase', () => {
  it('executes templates with named parameters, compiled once', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    const first = await db.write(() => db.get(INSERT, { name: 'a', qty: 1 }))
    const second = await db.write(() => db.get(INSERT, { name: 'b', qty: 2 }))
    expect(first).toEqual({ id: 1 })
    expect(second).toEqual({ id: 2 })
    expect(await db.read(() => db.get(BY_NAME, { name: 'b' }))).toEqual({ id: 2, name: 'b', qty: 2 })
    expect(await db.read(() => db.get(BY_NAME, { name: 'zzz' }))).toBeUndefined()
    expect(INSERT.sql).toBe('insert into "item" ("name", "qty") values (?, ?) returning "id"')
    await db.close()
  })

  it('commits a write transaction, and rolls all of it back on a throw', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    await db.write(() => {
      db.run(INSERT, { name: 'a', qty: 1 })
      db.run(INSERT, { name: 'b', qty: 1 })
    })
    await expectCode(
      db.write(() => {
        db.run(INSERT, { name: 'c', qty: 1 })
        db.run(INSERT, { name: 'a', qty: 1 }) // UNIQUE violation
      }),
      'CONFLICT',
    )
    await expectCode(db.write(() => db.run(INSERT, { name: 'd', qty: -1 })), 'INVARIANT')
    expect(await db.read(() => db.get(COUNT))).toEqual({ n: 2 })
    await db.close()
  })

  it('refuses an asynchronous write callback and writes nothing', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    await expectCode(
      db.write((async () => {
        db.run(INSERT, { name: 'a', qty: 1 })
      }) as () => unknown),
      'INTERNAL',
    )
    expect(await db.read(() => db.get(COUNT))).toEqual({ n: 0 })
    await db.close()
  })

  it('retries a write whole on BUSY, then succeeds once the lock is free', async () => {
    const file = join(tempDir(), 'busy.db')
    // The budget is far beyond the 60 ms pause, so a late timer on a busy machine cannot turn this into BUSY.
    const db = await openDatabase<Db>(file, { store, busyTimeoutMs: 60_000 })
    const other = new DatabaseSync(file)
    other.exec('BEGIN IMMEDIATE')
    setTimeout(() => other.exec('COMMIT'), 60)
    let runs = 0
    await db.write(() => {
      runs++
      db.run(INSERT, { name: 'after-wait', qty: 1 })
    })
    // BEGIN IMMEDIATE failed before the callback ran, so it ran exactly once.
    expect(runs).toBe(1)
    expect(await db.read(() => db.get(BY_NAME, { name: 'after-wait' }))).toMatchObject({ qty: 1 })
    other.close()
    await db.close()
  })

  it('throws BUSY once the busy timeout has passed while another connection holds the lock', async () => {
    const file = join(tempDir(), 'busy.db')
    const db = await openDatabase<Db>(file, { store, busyTimeoutMs: 300 })
    const other = new DatabaseSync(file)
    other.exec('BEGIN IMMEDIATE')
    try {
      const started = performance.now()
      const error = await expectCode(db.write(() => db.run(INSERT, { name: 'never', qty: 1 })), 'BUSY')
      expect(performance.now() - started).toBeGreaterThanOrEqual(290)
      expect(error.details?.['waitedMs']).toBeGreaterThanOrEqual(290)
      // How many attempts fit in 300 ms depends on the scheduler: at least one.
      expect(error.details?.['attempts']).toBeGreaterThanOrEqual(1)
      expect(error.file).toBe(file)
    } finally {
      other.exec('ROLLBACK')
      other.close()
    }
    expect(await db.read(() => db.get(BY_NAME, { name: 'never' }))).toBeUndefined()
    await db.close()
  })

  it('keeps the event loop running while it waits for the lock', async () => {
    const file = join(tempDir(), 'busy.db')
    const db = await openDatabase<Db>(file, { store, busyTimeoutMs: 60_000 })
    const other = new DatabaseSync(file)
    other.exec('BEGIN IMMEDIATE')
    // The lock is released by the 20th timer tick: the write can only succeed if the
    // event loop kept running while it waited (a wait blocking the loop would never see
    // the tick, and end in BUSY). No count of ticks per millisecond is assumed.
    let ticks = 0
    const timer = setInterval(() => {
      if (++ticks === 20) other.exec('COMMIT')
    }, 10)
    await db.write(() => db.run(INSERT, { name: 'patient', qty: 1 }))
    clearInterval(timer)
    other.close()
    expect(ticks).toBeGreaterThanOrEqual(20)
    await db.close()
  })

  it('retries an asynchronous Kysely transaction on BUSY as well', async () => {
    const file = join(tempDir(), 'busy.db')
    const db = await openDatabase<Db>(file, { store, busyTimeoutMs: 60_000 })
    const other = new DatabaseSync(file)
    other.exec('BEGIN IMMEDIATE')
    setTimeout(() => other.exec('COMMIT'), 150)
    const rows = await db.transaction((trx) => trx.insertInto('item').values({ name: 'k', qty: 2 }).returning('id').execute())
    expect(rows).toEqual([{ id: 1 }])
    other.close()
    await db.close()
  })

  it('waits for the lock on a lone Kysely statement outside a transaction too', async () => {
    const file = join(tempDir(), 'busy.db')
    const db = await openDatabase<Db>(file, { store, busyTimeoutMs: 60_000 })
    const other = new DatabaseSync(file)
    other.exec('BEGIN IMMEDIATE')
    setTimeout(() => other.exec('COMMIT'), 150)
    await db.kysely.insertInto('item').values({ name: 'autocommit', qty: 1 }).execute()
    expect(await db.read(() => db.get(BY_NAME, { name: 'autocommit' }))).toMatchObject({ qty: 1 })
    other.close()
    await db.close()
  })

  it('serialises a repository write behind an open Kysely transaction on the same connection', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    const order: string[] = []
    let inside!: () => void
    const entered = new Promise<void>((resolve) => (inside = resolve))
    const kyselyTx = db.kysely.transaction().execute(async (trx) => {
      await trx.insertInto('item').values({ name: 'k1', qty: 1 }).execute()
      order.push('kysely-1')
      inside()
      await new Promise((r) => setTimeout(r, 20))
      await trx.insertInto('item').values({ name: 'k2', qty: 1 }).execute()
      order.push('kysely-2')
    })
    await entered
    const write = db.write(() => {
      order.push('write')
      db.run(INSERT, { name: 'w', qty: 1 })
    })
    await Promise.all([kyselyTx, write])
    expect(order).toEqual(['kysely-1', 'kysely-2', 'write'])
    await db.close()
  })

  it('throws CLOSED after close, and close is idempotent', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    await db.close()
    await db.close()
    expect(db.closed).toBe(true)
    await expectCode(db.read(() => db.get(COUNT)), 'CLOSED')
    await expectCode(() => db.get(COUNT), 'CLOSED')
  })

  it('keeps a snapshot across statements in snapshot()', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    const result = await db.snapshot(() => [db.get(COUNT), db.get(COUNT)])
    expect(result).toEqual([{ n: 0 }, { n: 0 }])
    await db.close()
  })
})

describe('StatementCache', () => {
  it('prepares each SQL text once and stays bounded, evicting the least recently used', () => {
    const raw = new DatabaseSync(':memory:')
    const cache = new StatementCache(raw, 2)
    const a = cache.get('SELECT 1')
    expect(cache.get('SELECT 1')).toBe(a)
    cache.get('SELECT 2')
    cache.get('SELECT 1') // refresh 1: 2 becomes the oldest
    cache.get('SELECT 3')
    expect(cache.size).toBe(2)
    expect(cache.get('SELECT 1')).toBe(a)
    expect(cache.get('SELECT 1').returnsRows).toBe(true)
    expect(cache.get("CREATE TABLE t (x)").returnsRows).toBe(false)
    raw.close()
  })

  it('is used by SqliteDatabase: a repeated query does not prepare again', async () => {
    const db = await openDatabase<Db>(':memory:', { store, statementCacheSize: 64 })
    const before = db.statements.size
    for (let i = 0; i < 10; i++) await db.read(() => db.get(BY_NAME, { name: String(i) }))
    expect(db.statements.size).toBe(before + 1)
    expect(db).toBeInstanceOf(SqliteDatabase)
    await db.close()
  })
})
