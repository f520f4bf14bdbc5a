/**
 * The engine's query path to the detail a mutation run checks (issue 14 item 14):
 * query templates (compile once per dialect, literals and parameters bound in order,
 * `typedParam`, `rawStatement`), the statement cache (second-chance eviction, DDL not
 * cached, `clear`), the row reader's fallbacks, `toSqlValue` (both answers of the
 * runtime's NUL-safety probe), and the Kysely driver and dialect (the BUSY retry only
 * outside a transaction, the commit wake-up, streaming chunks, batch connections,
 * `BEGIN DEFERRED` for read-only transactions, savepoint names, transactional DDL).
 * No timing: BUSY is produced by a statement cache that throws it on demand, and the
 * lock holders are other connections, or the host's mutex, that the test controls.
 */
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'

import type { Kysely as KyselyType } from 'kysely'
import { CompiledQuery, Kysely, sql } from 'kysely'
import type { Migration } from 'kysely/migration'
import { Migrator } from 'kysely/migration'
import { afterEach, describe, expect, it, vi } from 'vitest'

import { Mutex } from '../../src/sqlite/mutex.js'
import { NodeSqliteDialect } from '../../src/sqlite/node-sqlite-dialect.js'
import { NodeSqliteDialect as RootNodeSqliteDialect } from '../../src/sqlite/node-sqlite-dialect.root.js'
import type { ConnectionHost } from '../../src/sqlite/node-sqlite-driver.js'
import { NodeSqliteDriver, toSqlValue } from '../../src/sqlite/node-sqlite-driver.js'
import { compileOnlyKysely, isTemplate, rawStatement, template, typedParam } from '../../src/sqlite/query-template.js'
import type { DatabaseSync as DatabaseSyncType } from '../../src/sqlite/node-sqlite.js'
import { rowReader, StatementCache } from '../../src/sqlite/statement-cache.js'
import { expectCode, tempDir } from '../helpers.js'

/** `textNulSafe()` as the driver sees it: the runtime's answer unless a test overrides it. */
const nul = vi.hoisted(() => ({ override: undefined as boolean | undefined }))
vi.mock('../../src/sqlite/node-sqlite.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/sqlite/node-sqlite.js')>()
  return { ...original, textNulSafe: () => nul.override ?? original.textNulSafe() }
})

afterEach(() => {
  nul.override = undefined
})

interface Db {
  item: { id: number; name: string; n: number | null }
}

/** A compiled query as Kysely hands it to the driver: SQL text and positional parameters. */
const raw = (text: string, parameters: unknown[] = []) => CompiledQuery.raw(text, parameters)

/** Runs `fn` with a Kysely over a fresh in-memory node:sqlite database holding an empty `item` table; closes both after. */
async function withItemTable(fn: (k: Kysely<Db>, database: DatabaseSync) => Promise<void>): Promise<void> {
  const database = new DatabaseSync(':memory:')
  const k = new Kysely<Db>({ dialect: new NodeSqliteDialect({ database }) })
  try {
    database.exec('CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT, n INTEGER)')
    await fn(k, database)
  } finally {
    await k.destroy()
    database.close()
  }
}

describe('compileOnlyKysely', () => {
  // One test: the instances are made once per module, so the test that first asks for
  // them is the one that sees how they were made.
  it('keeps one compile-only instance per dialect (SQLite by default), compiling its placeholders, with no connection', async () => {
    const postgres = compileOnlyKysely<Db>('postgres')
    const sqlite = compileOnlyKysely<Db>('sqlite')
    expect(compileOnlyKysely('postgres')).toBe(postgres)
    expect(compileOnlyKysely()).toBe(sqlite)
    expect(postgres).not.toBe(sqlite)
    const query = (k: KyselyType<Db>) => k.selectFrom('item').select('name').where('id', '=', 7)
    expect(query(sqlite).compile().sql).toBe('select "name" from "item" where "id" = ?')
    expect(query(postgres).compile().sql).toBe('select "name" from "item" where "id" = $1')
    // Executing or introspecting returns nothing instead of touching a database.
    for (const k of [postgres, sqlite]) {
      expect(await k.selectFrom('item').selectAll().execute()).toEqual([])
      expect(await k.introspection.getTables()).toEqual([])
    }
  })
})

describe('query templates', () => {
  it('compiles once, on first access of sql, with the dialect passed to the builder', () => {
    const seen: string[] = []
    const t = template<Db, { id: number }>()((db, p, dialect) => {
      seen.push(dialect)
      return db.selectFrom('item').select('name').where('id', '=', p('id'))
    })
    expect(isTemplate(t)).toBe(true)
    expect(seen).toEqual([])
    expect(t.sql).toBe('select "name" from "item" where "id" = ?')
    expect(t.sql).toBe('select "name" from "item" where "id" = ?')
    expect(t.bind({ id: 1 })).toEqual([1n])
    expect(t.bind({ id: 2 })).toEqual([2n])
    expect(seen).toEqual(['sqlite'])
    expect(t.sqlFor('postgres')).toBe('select "name" from "item" where "id" = $1')
    expect(t.sqlFor('postgres')).toBe('select "name" from "item" where "id" = $1')
    expect(t.bindFor('postgres', { id: 3 }, (v) => v)).toEqual([3])
    expect(seen).toEqual(['sqlite', 'postgres'])
    // sqlFor('sqlite') is its own compilation (unconverted literals), made once too.
    expect(t.sqlFor('sqlite')).toBe(t.sql)
    expect(t.sqlFor('sqlite')).toBe(t.sql)
    expect(seen).toEqual(['sqlite', 'postgres', 'sqlite'])
  })

  it('bind compiles on its own when sql was never read', () => {
    let builds = 0
    const t = template<Db, { name: string }>()((db, p) => {
      builds++
      return db.selectFrom('item').select('id').where('name', '=', p('name'))
    })
    expect(t.bind({ name: 'a' })).toEqual(['a'])
    expect(t.bind({ name: 'b' })).toEqual(['b'])
    expect(builds).toBe(1)
    expect(t.sql).toBe('select "id" from "item" where "name" = ?')
    expect(builds).toBe(1)
  })

  it('binds parameters and literals in order: SQLite values converted, other dialects through convert', () => {
    const t = template<Db, { name: string; n: number | boolean | undefined }>()((db, p) =>
      db.selectFrom('item').select('id').where('name', '=', p('name')).where('n', '>', 4).where('n', '<', p('n') as number).limit(10),
    )
    expect(t.sql).toBe('select "id" from "item" where "name" = ? and "n" > ? and "n" < ? limit ?')
    expect(t.bind({ name: 'x', n: true })).toEqual(['x', 4n, 1n, 10n])
    expect(t.bind({ name: 'y', n: undefined })).toEqual(['y', 4n, null, 10n])
    expect(t.sqlFor('postgres')).toBe('select "id" from "item" where "name" = $1 and "n" > $2 and "n" < $3 limit $4')
    const seen: unknown[] = []
    const bound = t.bindFor('postgres', { name: 'z', n: 2.5 }, (value) => {
      seen.push(value)
      return `<${String(value)}>`
    })
    expect(bound).toEqual(['<z>', '<4>', '<2.5>', '<10>'])
    expect(seen).toEqual(['z', 4, 2.5, 10])
    expect(t.bindFor('postgres', { name: 'w', n: 1 }, (value) => value)).toEqual(['w', 4, 1, 10])
  })

  it('a template without parameters binds nothing', () => {
    const t = template<Db>()((db) => db.selectFrom('item').select('id'))
    expect(t.bind({})).toEqual([])
    expect(t.bindFor('postgres', {}, (v) => v)).toEqual([])
  })

  it('rawStatement compiles a raw sql statement with its named parameters', () => {
    const t = template<Db, { id: number }>()((db, p) => rawStatement(db, sql`DELETE FROM item WHERE id = ${p('id')} AND n > ${3}`))
    expect(t.sql).toBe('DELETE FROM item WHERE id = ? AND n > ?')
    expect(t.bind({ id: 5 })).toEqual([5n, 3n])
    expect(t.sqlFor('postgres')).toBe('DELETE FROM item WHERE id = $1 AND n > $2')
    expect(t.bindFor('postgres', { id: 6 }, (v) => v)).toEqual([6, 3])
  })

  it('typedParam casts on PostgreSQL only', () => {
    const t = template<Db, { name: string | null }>()((db, p, dialect) =>
      db
        .selectFrom('item')
        .select('id')
        .where(sql<boolean>`(${typedParam(p('name'), 'text', dialect)} IS NULL OR name = ${p('name')})`),
    )
    expect(t.sql).toBe('select "id" from "item" where (? IS NULL OR name = ?)')
    expect(t.sqlFor('postgres')).toBe('select "id" from "item" where (cast($1 as text) IS NULL OR name = $2)')
    expect(t.bind({ name: null })).toEqual([null, null])
    const big = template<Db, { n: number }>()((db, p, dialect) => db.selectFrom('item').select(sql<number>`${typedParam(p('n'), 'bigint', dialect)}`.as('n')))
    expect(big.sqlFor('postgres')).toBe('select cast($1 as bigint) as "n" from "item"')
    expect(big.sql).toBe('select ? as "n" from "item"')
  })

  it('its SQL and bound values run on a real connection', () => {
    const database = new DatabaseSync(':memory:')
    try {
      database.exec("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT, n INTEGER); INSERT INTO item VALUES (1, 'a', 5), (2, 'b', 9)")
      const t = template<Db, { min: number }>()((db, p) => db.selectFrom('item').select('name').where('n', '>', p('min')).orderBy('id'))
      expect(database.prepare(t.sql).all(...t.bind({ min: 4 }))).toEqual([{ name: 'a' }, { name: 'b' }])
      expect(database.prepare(t.sql).all(...t.bind({ min: 6 }))).toEqual([{ name: 'b' }])
    } finally {
      database.close()
    }
  })
})

describe('toSqlValue', () => {
  it('binds safe integers as BigInt, other numbers as they are', () => {
    expect(toSqlValue(5)).toBe(5n)
    expect(toSqlValue(-3)).toBe(-3n)
    expect(toSqlValue(2.5)).toBe(2.5)
    expect(toSqlValue(2 ** 53)).toBe(2 ** 53)
    expect(toSqlValue(Number.NaN)).toBeNaN()
  })

  it('binds booleans as 1/0 and undefined as NULL; the rest passes through', () => {
    expect(toSqlValue(true)).toBe(1n)
    expect(toSqlValue(false)).toBe(0n)
    expect(toSqlValue(undefined)).toBeNull()
    expect(toSqlValue(null)).toBeNull()
    expect(toSqlValue('text')).toBe('text')
    expect(toSqlValue(7n)).toBe(7n)
    const bytes = new Uint8Array([1, 2])
    expect(toSqlValue(bytes)).toBe(bytes)
  })

  it('refuses text with a NUL where the runtime would cut it short, and only there', async () => {
    nul.override = false
    const error = await expectCode(() => toSqlValue('a\u0000b'), 'UNSUPPORTED')
    expect(error.message).toContain(`Node ${process.versions.node}`)
    expect(error.message).toContain('NUL')
    expect(toSqlValue('ab')).toBe('ab')
    expect(toSqlValue('')).toBe('')
    expect(toSqlValue(4)).toBe(4n)
    expect(toSqlValue(true)).toBe(1n)
    nul.override = true
    expect(toSqlValue('a\u0000b')).toBe('a\u0000b')
  })

  it('the driver refuses such text before running the statement', async () => {
    await withItemTable(async (k, database) => {
      nul.override = false
      await expectCode(k.insertInto('item').values({ id: 1, name: 'a\u0000b', n: 1 }).execute(), 'UNSUPPORTED')
      expect(database.prepare('SELECT count(*) AS c FROM item').get()).toEqual({ c: 0 })
    })
  })
})

describe('StatementCache', () => {
  it('returns the same entry on a hit and decides once whether a statement returns rows', () => {
    const db = new DatabaseSync(':memory:')
    db.exec('CREATE TABLE t (x INTEGER)')
    const cache = new StatementCache(db)
    const select = cache.get('SELECT x FROM t')
    expect(select.returnsRows).toBe(true)
    expect(cache.get('SELECT x FROM t')).toBe(select)
    expect(cache.get('INSERT INTO t VALUES (1)').returnsRows).toBe(false)
    expect(cache.get('INSERT INTO t VALUES (1) RETURNING x').returnsRows).toBe(true)
    expect(cache.size).toBe(3)
    db.close()
  })

  it('does not cache schema changes', () => {
    const db = new DatabaseSync(':memory:')
    const cache = new StatementCache(db)
    for (const ddl of ['CREATE TABLE a (x)', '  create index i on a (x)', 'ALTER TABLE a ADD COLUMN y', '\ndrop table a']) {
      const entry = cache.get(ddl)
      expect(entry.returnsRows).toBe(false)
      const again = cache.get(ddl)
      expect(again).not.toBe(entry)
      again.statement.run()
    }
    expect(cache.size).toBe(0)
    // A word that only starts like one, or one later in the text, is not a schema change.
    db.exec('CREATE TABLE created (dropped INTEGER)')
    cache.get('SELECT dropped FROM created')
    cache.get("SELECT 'drop' AS x")
    expect(cache.size).toBe(2)
    db.close()
  })

  it('evicts the oldest entry not used since it last got a second chance', () => {
    const db = new DatabaseSync(':memory:')
    const cache = new StatementCache(db, 2)
    const a = cache.get('SELECT 1')
    const b = cache.get('SELECT 2')
    expect(cache.get('SELECT 1')).toBe(a) // a used: it survives the next eviction
    cache.get('SELECT 3') // evicts b
    expect(cache.size).toBe(2)
    cache.get('SELECT 4') // a had its second chance: now it goes
    expect(cache.size).toBe(2)
    expect(cache.get('SELECT 1')).not.toBe(a)
    expect(cache.get('SELECT 2')).not.toBe(b)
    db.close()
  })

  it('keeps at least one statement, and clear drops them all', () => {
    const db = new DatabaseSync(':memory:')
    const one = new StatementCache(db, 0)
    const a = one.get('SELECT 1')
    expect(one.size).toBe(1)
    expect(one.get('SELECT 1')).toBe(a)
    one.get('SELECT 2')
    expect(one.size).toBe(1)
    const cache = new StatementCache(db)
    for (let i = 0; i < 10; i++) cache.get(`SELECT ${i}`)
    expect(cache.size).toBe(10)
    const kept = cache.get('SELECT 3')
    cache.clear()
    expect(cache.size).toBe(0)
    expect(cache.get('SELECT 3')).not.toBe(kept)
    db.close()
  })
})

describe('rowReader', () => {
  /** Whether this runtime's statements can return arrays (the reader's fast path). */
  const HAS_ARRAYS = ((): boolean => {
    const probe = new DatabaseSync(':memory:')
    try {
      return typeof (probe.prepare('SELECT 1') as { setReturnArrays?: unknown }).setReturnArrays === 'function'
    } finally {
      probe.close()
    }
  })()

  it('builds rows with the columns the statement returns now', () => {
    const db = new DatabaseSync(':memory:')
    db.exec("CREATE TABLE t (a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x')")
    const reader = rowReader(db, 'SELECT a, b, a + 1 AS "c d" FROM t')
    if (!HAS_ARRAYS) {
      expect(reader).toBeNull()
    } else {
      expect(reader).not.toBeNull()
      expect(reader!.width).toBe(3)
      const values = reader!.statement.get() as unknown as unknown[]
      expect(values).toEqual([1, 'x', 2])
      expect(reader!.toRow(values)).toEqual({ a: 1, b: 'x', 'c d': 2 })
    }
    db.close()
  })

  it('is null where a column is named __proto__', () => {
    const db = new DatabaseSync(':memory:')
    expect(rowReader(db, 'SELECT 1 AS a, 2 AS "__proto__"')).toBeNull()
    db.close()
  })

  it('is null where the runtime cannot return arrays', () => {
    const statement = { columns: () => [{ name: 'a' }], get: () => ({ a: 1 }) }
    const fake = { prepare: () => statement } as unknown as DatabaseSyncType
    expect(rowReader(fake, 'SELECT 1 AS a')).toBeNull()
  })
})

/** A host over a real connection, with spies on what the driver reports. */
function hostOf(connection: DatabaseSync, extra: Partial<ConnectionHost> = {}): ConnectionHost & { commits: number } {
  const host = {
    connection,
    statements: new StatementCache(connection),
    mutex: new Mutex(),
    context: {},
    commits: 0,
    committed() {
      host.commits++
    },
    ...extra,
  }
  return host
}

/** A node:sqlite BUSY error as the driver receives it. */
function busyError(): Error {
  return Object.assign(new Error('database is locked'), { code: 'ERR_SQLITE_ERROR', errcode: 5, errstr: 'database is locked' })
}

/** A statement cache that throws BUSY for its first `times` look-ups, then prepares as usual. */
function busyStatements(connection: DatabaseSync, times: number): StatementCache & { calls: number } {
  const real = new StatementCache(connection)
  const cache = Object.create(real) as StatementCache & { calls: number }
  cache.calls = 0
  cache.get = (text: string) => {
    cache.calls++
    if (cache.calls <= times) throw busyError()
    return real.get(text)
  }
  return cache
}

describe('NodeSqliteDriver: BUSY, context and the commit wake-up', () => {
  it('retries a statement outside a transaction while the database is busy (default policy)', async () => {
    const connection = new DatabaseSync(':memory:')
    const statements = busyStatements(connection, 2)
    const driver = new NodeSqliteDriver(hostOf(connection, { statements }))
    const conn = await driver.acquireConnection()
    const result = await conn.executeQuery(raw('SELECT 41 + 1 AS x'))
    expect(result.rows).toEqual([{ x: 42 }])
    expect(statements.calls).toBe(3)
    await driver.releaseConnection(conn)
    connection.close()
  })

  it('inside a transaction BUSY goes up at once: the transaction is retried by its owner', async () => {
    const connection = new DatabaseSync(':memory:')
    connection.exec('BEGIN')
    const statements = busyStatements(connection, 1)
    const driver = new NodeSqliteDriver(hostOf(connection, { statements }))
    const conn = await driver.acquireConnection()
    await expectCode(conn.executeQuery(raw('SELECT 1 AS x')), 'BUSY')
    expect(statements.calls).toBe(1)
    connection.exec('ROLLBACK')
    await driver.releaseConnection(conn)
    connection.close()
  })

  it('names the store and file of a database that stays busy (defaults: sqlite, no file)', async () => {
    const connection = new DatabaseSync(':memory:')
    const busyRetry = { timeoutMs: 0, baseDelayMs: 0, maxDelayMs: 0 }
    const anonymous = new NodeSqliteDriver(hostOf(connection, { statements: busyStatements(connection, 99), busyRetry }))
    const a = await anonymous.acquireConnection()
    const first = await expectCode(a.executeQuery(raw('SELECT 1')), 'BUSY')
    expect(first.store).toBe('sqlite')
    expect(first.file).toBe('')
    const named = new NodeSqliteDriver(
      hostOf(connection, { statements: busyStatements(connection, 99), busyRetry, context: { store: 'tasks', file: '/data/tasks.db' } }),
    )
    const b = await named.acquireConnection()
    const second = await expectCode(b.executeQuery(raw('SELECT 1')), 'BUSY')
    expect(second.store).toBe('tasks')
    expect(second.file).toBe('/data/tasks.db')
    connection.close()
  })

  it('wakes waiters after a lone write and after a commit, not after reads nor inside a transaction', async () => {
    const database = new DatabaseSync(':memory:')
    const host = hostOf(database)
    const k = new Kysely<Db>({ dialect: new NodeSqliteDialect(host) })
    try {
      await sql`CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT, n INTEGER)`.execute(k)
      host.commits = 0
      await k.insertInto('item').values({ id: 1, name: 'a', n: 1 }).execute()
      expect(host.commits).toBe(1)
      await k.selectFrom('item').selectAll().execute()
      await sql`  pragma user_version`.execute(k)
      await sql`EXPLAIN SELECT 1`.execute(k)
      await sql`VALUES (1)`.execute(k)
      expect(host.commits).toBe(1)
      await k.transaction().execute(async (trx) => {
        await trx.insertInto('item').values({ id: 2, name: 'b', n: 2 }).execute()
        await trx.updateTable('item').set({ n: 3 }).execute()
        expect(host.commits).toBe(1)
      })
      expect(host.commits).toBe(2)
      await expect(
        k.transaction().execute(async (trx) => {
          await trx.insertInto('item').values({ id: 3, name: 'c', n: 3 }).execute()
          throw new Error('rolled back')
        }),
      ).rejects.toThrow('rolled back')
      expect(host.commits).toBe(2)
    } finally {
      await k.destroy()
      database.close()
    }
  })

  it('a plain write returns no rows, only its counts', async () => {
    await withItemTable(async (k) => {
      const result = await sql`INSERT INTO item (name) VALUES ('a'), ('b')`.execute(k)
      expect(result.rows).toEqual([])
      expect(result.numAffectedRows).toBe(2n)
      expect(result.insertId).toBe(2n)
    })
  })
})

describe('NodeSqliteDriver: streaming', () => {
  async function chunks(chunkSize: number, rows: number): Promise<number[]> {
    const connection = new DatabaseSync(':memory:')
    connection.exec('CREATE TABLE t (x INTEGER)')
    const insert = connection.prepare('INSERT INTO t VALUES (?)')
    for (let i = 0; i < rows; i++) insert.run(i)
    const driver = new NodeSqliteDriver(hostOf(connection))
    const conn = await driver.acquireConnection()
    const sizes: number[] = []
    const seen: unknown[] = []
    for await (const chunk of conn.streamQuery(raw('SELECT x FROM t WHERE x >= ? ORDER BY x', [0]), chunkSize)) {
      sizes.push(chunk.rows.length)
      seen.push(...chunk.rows)
    }
    expect(seen).toEqual(Array.from({ length: rows }, (_, x) => ({ x })))
    await driver.releaseConnection(conn)
    connection.close()
    return sizes
  }

  it('yields full chunks and a last partial one, never an empty one', async () => {
    expect(await chunks(10, 25)).toEqual([10, 10, 5])
    expect(await chunks(10, 20)).toEqual([10, 10])
    expect(await chunks(10, 0)).toEqual([])
  })

  it('a chunk size below one streams row by row', async () => {
    expect(await chunks(0, 3)).toEqual([1, 1, 1])
  })

  it('translates errors when preparing and while stepping', async () => {
    const connection = new DatabaseSync(':memory:')
    connection.exec('CREATE TABLE t (x TEXT); INSERT INTO t VALUES (\'1\'), (\'2\'), (\'not json\')')
    const driver = new NodeSqliteDriver(hostOf(connection, { context: { store: 'tasks' } }))
    const conn = await driver.acquireConnection()
    const drain = async (text: string) => {
      const got: unknown[] = []
      for await (const chunk of conn.streamQuery(raw(text), 1)) got.push(...chunk.rows)
      return got
    }
    const missing = await expectCode(drain('SELECT * FROM missing'), 'INTERNAL')
    expect(missing.store).toBe('tasks')
    const stepping = await expectCode(drain('SELECT json(x) AS j FROM t ORDER BY rowid'), 'INTERNAL')
    expect(stepping.store).toBe('tasks')
    // A value refused while binding keeps its own code.
    nul.override = false
    const chunksOf = async () => {
      for await (const chunk of conn.streamQuery(raw('SELECT ? AS v', ['a\u0000b']), 10)) expect(chunk).toBeUndefined()
    }
    await expectCode(chunksOf(), 'UNSUPPORTED')
    await driver.releaseConnection(conn)
    connection.close()
  })
})

describe('NodeSqliteDriver: connections, transactions and savepoints', () => {
  it('a caller inside the host batch joins it: no lock taken, none released', async () => {
    const connection = new DatabaseSync(':memory:')
    let inBatch = false
    const host = hostOf(connection, { joinsBatch: () => inBatch })
    const driver = new NodeSqliteDriver(host)
    const own = await driver.acquireConnection()
    expect(host.mutex.locked).toBe(true)
    await driver.releaseConnection(own)
    expect(host.mutex.locked).toBe(false)
    // A query joining the batch does not take the lock (its owner holds it) nor free it.
    inBatch = true
    const joined = await driver.acquireConnection()
    expect(host.mutex.locked).toBe(false)
    expect(joined).not.toBe(own)
    expect(host.mutex.tryAcquire()).toBe(true) // the batch owner's lock
    expect((await joined.executeQuery(raw('SELECT 1 AS one'))).rows).toEqual([{ one: 1 }])
    await driver.releaseConnection(joined)
    expect(host.mutex.locked).toBe(true)
    host.mutex.release()
    connection.close()
  })

  it('begins read-only transactions DEFERRED: no write lock until a write', async () => {
    const file = join(tempDir(), 'deferred.db')
    const a = new DatabaseSync(file)
    a.exec('PRAGMA journal_mode=WAL; CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT, n INTEGER)')
    const other = new DatabaseSync(file, { timeout: 0 })
    const k = new Kysely<Db>({ dialect: new NodeSqliteDialect({ database: a }) })
    try {
      const rows = await k
        .transaction()
        .setAccessMode('read only')
        .execute(async (trx) => {
          expect(a.isTransaction).toBe(true)
          other.exec('BEGIN IMMEDIATE') // the write lock is free
          other.exec('ROLLBACK')
          return trx.selectFrom('item').selectAll().execute()
        })
      expect(rows).toEqual([])
      expect(a.isTransaction).toBe(false)
    } finally {
      await k.destroy()
      other.close()
      a.close()
    }
  })

  it('rolls back to the named savepoint, with names that differ only by a quote', async () => {
    await withItemTable(async (k) => {
      const trx = await k.startTransaction().execute()
      await trx.insertInto('item').values({ id: 1, name: 'kept', n: 1 }).execute()
      const outer = await trx.savepoint('x"y').execute()
      await outer.insertInto('item').values({ id: 2, name: 'outer', n: 2 }).execute()
      const inner = await outer.savepoint('xy').execute()
      await inner.insertInto('item').values({ id: 3, name: 'inner', n: 3 }).execute()
      await inner.rollbackToSavepoint('x"y').execute()
      await trx.commit().execute()
      expect((await k.selectFrom('item').select('name').execute()).map((r) => r.name)).toEqual(['kept'])
    })
  })

  it('releasing the outermost savepoint outside a transaction commits it', async () => {
    const connection = new DatabaseSync(':memory:')
    connection.exec('CREATE TABLE t (x INTEGER)')
    const driver = new NodeSqliteDriver(hostOf(connection))
    const conn = await driver.acquireConnection()
    await driver.savepoint(conn, 'only')
    expect(connection.isTransaction).toBe(true)
    await conn.executeQuery(raw('INSERT INTO t VALUES (1)'))
    await driver.releaseSavepoint(conn, 'only')
    expect(connection.isTransaction).toBe(false)
    expect(connection.prepare('SELECT count(*) AS c FROM t').get()).toEqual({ c: 1 })
    await driver.releaseConnection(conn)
    await driver.destroy()
    connection.close()
  })
})

describe('NodeSqliteDialect', () => {
  it('runs a Migrator run in one transaction: a failing migration undoes the earlier ones (transactional DDL)', async () => {
    const database = new DatabaseSync(':memory:')
    const k = new Kysely<any>({ dialect: new NodeSqliteDialect({ database }) })
    const migrations: Record<string, Migration> = {
      '0001_a': { up: async (db) => void (await db.schema.createTable('a').addColumn('x', 'integer').execute()) },
      '0002_fails': {
        up: async () => {
          throw new Error('migration failed')
        },
      },
    }
    try {
      const migrator = new Migrator({ db: k, provider: { getMigrations: async () => migrations } })
      const { error } = await migrator.migrateToLatest()
      expect((error as Error).message).toBe('migration failed')
      expect(database.prepare("SELECT count(*) AS c FROM sqlite_schema WHERE name = 'a'").get()).toEqual({ c: 0 })
    } finally {
      await k.destroy()
      database.close()
    }
  })

  it('runs on the host it is given: its statement cache, its lock', async () => {
    const database = new DatabaseSync(':memory:')
    const host = hostOf(database, { statements: new StatementCache(database, 1) })
    const k = new Kysely<Record<string, never>>({ dialect: new NodeSqliteDialect(host) })
    await sql`SELECT 1`.execute(k)
    await sql`SELECT 2`.execute(k)
    expect(host.statements.size).toBe(1)
    expect(host.mutex.locked).toBe(false)
    await k.destroy()
    database.close()
  })

  it('the root module exports the same dialect class', async () => {
    expect(RootNodeSqliteDialect).toBe(NodeSqliteDialect)
    const database = new DatabaseSync(':memory:')
    const k = new Kysely<Db>({ dialect: new RootNodeSqliteDialect({ database }) as unknown as NodeSqliteDialect })
    await k.schema.createTable('item').addColumn('id', 'integer').execute()
    expect((await k.introspection.getTables()).map((t) => t.name)).toEqual(['item'])
    await k.destroy()
    database.close()
  })
})
