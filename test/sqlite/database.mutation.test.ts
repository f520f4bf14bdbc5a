/**
 * `SqliteDatabase` (`src/sqlite/database.ts`) and the BUSY retry (`src/sqlite/busy-retry.ts`),
 * to the detail a mutation run checks (issue 14 item 14): batches (joining, savepoints,
 * rollback, waiting callers, which errors are translated), reads and snapshots joining a
 * batch, `pragma`, `integrityCheck`, `exec`, the closed state, and the retry's count of
 * attempts, its message and its backoff bounds. No timing: the lock is held by another
 * connection or by a batch the test releases itself.
 */
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'

import type { Generated } from 'kysely'
import { afterEach, describe, expect, it, vi } from 'vitest'

import type { SqliteDatabase } from '../../src/sqlite/database.js'
import { backoffDelay, rawQuery, retryWhileBusy } from '../../src/sqlite/database.js'
import { CleoStoreError } from '../../src/sqlite/errors.js'
import { openDatabase } from '../../src/sqlite/open-database.js'
import { template } from '../../src/sqlite/query-template.js'
import { expectCode, tempDir } from '../helpers.js'
import { itemStore } from './item-store.js'

/**
 * Whether this runtime's node:sqlite shows a column added under a prepared `SELECT *`
 * (Node 24 does; the Node 22 floor keeps the statement's first columns). The reader
 * can only follow what the runtime returns.
 */
const RUNTIME_SEES_NEW_COLUMNS = ((): boolean => {
  const probe = new DatabaseSync(':memory:')
  try {
    probe.exec('CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1)')
    const statement = probe.prepare('SELECT * FROM t')
    statement.all()
    probe.exec('ALTER TABLE t ADD COLUMN b TEXT')
    return Object.keys((statement.all() as Array<Record<string, unknown>>)[0]!).includes('b')
  } finally {
    probe.close()
  }
})()

interface Db {
  item: { id: Generated<number>; name: string; qty: number }
  child: { id: Generated<number>; item_id: number }
}

const store = itemStore(async (db) => {
  await db.schema
    .createTable('child')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('item_id', 'integer', (c) => c.notNull().references('item.id'))
    .execute()
})

const INSERT = template<Db, { name: string; qty: number }>()((db, p) => db.insertInto('item').values({ name: p('name'), qty: p('qty') }))
const NAMES = template<Db>()((db) => db.selectFrom('item').select('name').orderBy('id'))
const names = (rows: Array<{ name: string }>) => rows.map((row) => row.name)

/**
 * A batch on `db` that runs `first`, then holds the connection until `release()` (and runs
 * `atEnd`); resolves once the batch holds it (or has failed).
 */
async function holdingBatch(
  db: SqliteDatabase<Db>,
  first: () => Promise<unknown> | void = () => {},
  atEnd: () => void = () => {},
): Promise<{ batch: Promise<void>; release: () => void }> {
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  let held!: () => void
  const holding = new Promise<void>((resolve) => (held = resolve))
  const batch = db.batch(async () => {
    await first()
    held()
    await gate
    atEnd()
  })
  await Promise.race([holding, batch])
  return { batch, release }
}

const CONTEXT = { store: 'tasks', file: '/data/tasks.db' }
const busy = (message = 'database is locked') => Object.assign(new Error(message), { code: 'ERR_SQLITE_ERROR', errcode: 5 })

afterEach(() => {
  vi.restoreAllMocks()
})

describe('batch', () => {
  it('commits every step at once; a failed step is rolled back to its savepoint and the batch goes on', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    const result = await db.batch(async () => {
      await db.write(() => db.run(INSERT, { name: 'a', qty: 1 }))
      await expectCode(
        db.write(() => {
          db.run(INSERT, { name: 'half', qty: 1 })
          db.run(INSERT, { name: 'a', qty: 1 }) // UNIQUE
        }),
        'CONFLICT',
      )
      await expectCode(
        db.write((async () => db.run(INSERT, { name: 'async', qty: 1 })) as () => unknown),
        'INTERNAL',
      )
      // Reads and snapshots inside the batch see its uncommitted steps.
      expect(names(await db.read(() => db.all(NAMES)))).toEqual(['a'])
      expect(names(await db.snapshot(() => db.all(NAMES)))).toEqual(['a'])
      await expectCode(db.read(() => db.all(rawQuery('SELECT * FROM nowhere'))), 'INTERNAL')
      await expectCode(
        db.snapshot(() => {
          throw new CleoStoreError('NOT_FOUND', 'x')
        }),
        'NOT_FOUND',
      )
      // A batch inside the batch joins it.
      await db.batch(() => db.write(() => db.run(INSERT, { name: 'inner', qty: 1 })))
      return 'done'
    })
    expect(result).toBe('done')
    expect(names(await db.read(() => db.all(NAMES)))).toEqual(['a', 'inner'])
    expect(db.connection.isTransaction).toBe(false)
    expect(db.mutex.locked).toBe(false)
    await db.close()
  })

  it('rolls everything back when the callback throws; the caller’s own error passes unchanged', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    const own = new Error('mine')
    const thrown = await db
      .batch(async () => {
        await db.write(() => db.run(INSERT, { name: 'gone', qty: 1 }))
        throw own
      })
      .catch((error: unknown) => error)
    expect(thrown).toBe(own)
    expect(db.connection.isTransaction).toBe(false)
    expect(db.mutex.locked).toBe(false)
    expect(await db.read(() => db.all(NAMES))).toEqual([])
    await db.close()
  })

  it('translates a SQLite error thrown straight out of the callback', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    await db.write(() => db.run(INSERT, { name: 'a', qty: 1 }))
    const error = await expectCode(
      db.batch(() => {
        db.connection.exec("INSERT INTO item (name, qty) VALUES ('b', 1)")
        db.connection.exec("INSERT INTO item (name, qty) VALUES ('a', 1)")
      }),
      'CONFLICT',
    )
    expect(error.store).toBe('tasks')
    expect(names(await db.read(() => db.all(NAMES)))).toEqual(['a'])
    await db.close()
  })

  it('makes calls from other async flows wait until it ends', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    const order: string[] = []
    const { batch, release } = await holdingBatch(
      db,
      () => db.write(() => db.run(INSERT, { name: 'in-batch', qty: 1 })),
      () => order.push('batch-end'),
    )
    expect(db.joinsBatch()).toBe(false)
    const outsideWrite = db.write(() => {
      order.push('write')
      db.run(INSERT, { name: 'outside', qty: 1 })
    })
    const outsideRead = db.read(() => {
      order.push('read')
      return names(db.all(NAMES))
    })
    const outsideSnapshot = db.snapshot(() => {
      order.push('snapshot')
      return names(db.all(NAMES))
    })
    release()
    await batch
    expect(await outsideRead).toEqual(['in-batch', 'outside'])
    expect(await outsideSnapshot).toEqual(['in-batch', 'outside'])
    await outsideWrite
    expect(order).toEqual(['batch-end', 'write', 'read', 'snapshot'])
    await db.close()
  })

  it('refuses to begin while a transaction is open on the connection, and frees the lock', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    db.connection.exec('BEGIN')
    const error = await expectCode(db.batch(() => 1), 'INTERNAL')
    expect(error.message).toBe('INTERNAL: batch() called while a transaction is open on this connection')
    expect(error.store).toBe('tasks')
    expect(db.mutex.locked).toBe(false)
    await expectCode(db.write(() => 1), 'INTERNAL')
    expect(db.mutex.locked).toBe(false)
    db.connection.exec('ROLLBACK')
    await db.close()
  })

  /** A file database whose write lock another connection holds. */
  async function lockedByAnother(busyTimeoutMs: number) {
    const file = join(tempDir(), 'batch.db')
    const db = await openDatabase<Db>(file, { store, busyTimeoutMs })
    const other = new DatabaseSync(file)
    other.exec('BEGIN IMMEDIATE')
    return { db, other }
  }

  it('waits for another connection’s write lock before it begins, then runs its callback once', async () => {
    const { db, other } = await lockedByAnother(60_000)
    let runs = 0
    let attempts = 0
    const waiting = db.batch(() => {
      runs++
      db.run(INSERT, { name: 'x', qty: 1 })
    })
    // Let BEGIN IMMEDIATE fail at least once, then free the lock from this (the test's) side.
    const spy = vi.spyOn(Math, 'random').mockImplementation(() => {
      attempts++
      if (attempts === 1) other.exec('COMMIT')
      return 0
    })
    await waiting
    spy.mockRestore()
    expect(attempts).toBeGreaterThanOrEqual(1)
    expect(runs).toBe(1)
    expect(names(await db.read(() => db.all(NAMES)))).toEqual(['x'])
    other.close()
    await db.close()
  })

  it('gives up with BUSY when the lock is not granted within the busy timeout, and frees its own lock', async () => {
    const { db, other } = await lockedByAnother(0)
    let runs = 0
    await expectCode(
      db.batch(() => {
        runs++
      }),
      'BUSY',
    )
    expect(runs).toBe(0)
    expect(db.mutex.locked).toBe(false)
    other.exec('ROLLBACK')
    other.close()
    await db.close()
  })
})

describe('read, write, exec, pragma and integrityCheck', () => {
  it('pragma reads one value, refuses what is not a pragma name, and is undefined without a row', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    expect(await db.read(() => db.pragma('foreign_keys'))).toBe(1)
    expect(await db.read(() => db.pragma('foreign_key_check'))).toBeUndefined()
    const error = await expectCode(() => db.pragma('user_version; DROP TABLE item'), 'VALIDATION')
    expect(error.message).toBe('VALIDATION: not a pragma name: user_version; DROP TABLE item')
    expect(error.store).toBe('tasks')
    await expectCode(() => db.pragma('Foreign_keys'), 'VALIDATION')
    await expectCode(() => db.pragma('x1'), 'VALIDATION')
    await expectCode(() => db.pragma(''), 'VALIDATION')
    await db.close()
  })

  it('integrityCheck: ok, then the foreign-key violations with table, rowid and parent', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    expect(await db.integrityCheck()).toEqual({ ok: true, problems: [], foreignKeyViolations: [] })
    expect(await db.integrityCheck({ quick: true })).toEqual({ ok: true, problems: [], foreignKeyViolations: [] })
    db.exec('PRAGMA foreign_keys = OFF')
    db.exec('INSERT INTO child (id, item_id) VALUES (7, 99)')
    expect(await db.integrityCheck({ quick: true })).toEqual({
      ok: false,
      problems: [],
      foreignKeyViolations: [{ table: 'child', rowid: 7, parent: 'item' }],
    })
    await db.close()
  })

  it('integrityCheck reports the problems of an index that disagrees with its table', async () => {
    const file = join(tempDir(), 'damaged.db')
    const db = await openDatabase<Db>(file, { store })
    db.exec("CREATE TABLE pair (a, b); CREATE INDEX pair_a ON pair (a); INSERT INTO pair VALUES (1, 2), (3, 4)")
    await db.close()
    const raw = new DatabaseSync(file, { defensive: false } as never)
    raw.exec("PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'CREATE INDEX pair_a ON pair (b)' WHERE name = 'pair_a'")
    raw.close()
    const reopened = await openDatabase<Db>(file, { store })
    const report = await reopened.integrityCheck()
    expect(report.ok).toBe(false)
    expect(report.problems.length).toBeGreaterThan(0)
    expect(report.problems.every((p) => typeof p === 'string' && p !== 'ok')).toBe(true)
    expect(report.foreignKeyViolations).toEqual([])
    await reopened.close()
  })

  it('exec runs several statements, translates errors, and refuses after close', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    db.exec("INSERT INTO item (name, qty) VALUES ('a', 1); INSERT INTO item (name, qty) VALUES ('b', 1)")
    expect(names(db.all(NAMES))).toEqual(['a', 'b'])
    const error = await expectCode(() => db.exec("INSERT INTO item (name, qty) VALUES ('a', 1)"), 'CONFLICT')
    expect(error.store).toBe('tasks')
    expect(db.path).toBe(':memory:')
    await db.close()
    const closed = await expectCode(() => db.exec('SELECT 1'), 'CLOSED')
    expect(closed.message).toBe('CLOSED: tasks store is closed (:memory:)')
    await expectCode(db.write(() => 1), 'CLOSED')
    await expectCode(db.snapshot(() => 1), 'CLOSED')
    await expectCode(db.batch(() => 1), 'CLOSED')
    await expectCode(() => db.transaction(async () => 1), 'CLOSED')
  })

  it('a read that throws frees the lock and is translated; run reports changes and the rowid', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    await expectCode(db.read(() => db.all(rawQuery('SELECT * FROM nowhere'))), 'INTERNAL')
    expect(db.mutex.locked).toBe(false)
    const result = await db.write(() => db.run(INSERT, { name: 'a', qty: 1 }))
    expect(result).toEqual({ changes: 1, lastInsertRowid: 1 })
    expect(await db.write(() => db.run(rawQuery('UPDATE item SET qty = qty + 1')))).toEqual({ changes: 1, lastInsertRowid: 1 })
    await expectCode(() => db.run(rawQuery('UPDATE nowhere SET x = 1')), 'INTERNAL')
    await expectCode(() => db.get(rawQuery('SELECT * FROM nowhere')), 'INTERNAL')
    await db.close()
  })

  it('a write after a rolled-back snapshot error frees the lock; snapshot rolls back its transaction', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    await expectCode(
      db.snapshot(() => {
        db.all(NAMES)
        throw new CleoStoreError('NOT_FOUND', 'x')
      }),
      'NOT_FOUND',
    )
    expect(db.connection.isTransaction).toBe(false)
    expect(db.mutex.locked).toBe(false)
    await db.write(() => db.run(INSERT, { name: 'a', qty: 1 }))
    await db.close()
  })

  it('the change watch: one per database, woken by a commit, closed with CLOSED (also when made after close)', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    const events: string[] = []
    const watch = db.changes
    expect(db.changes).toBe(watch)
    watch.subscribe({ changed: () => events.push('changed'), closed: (error) => events.push(`closed ${(error as CleoStoreError).code}`) })
    await db.write(() => db.run(INSERT, { name: 'a', qty: 1 }))
    await Promise.resolve()
    expect(events).toEqual(['changed'])
    await db.close()
    expect(events).toEqual(['changed', 'closed CLOSED'])
    const late = await openDatabase<Db>(':memory:', { store })
    await late.close()
    const closed = await new Promise<Error>((resolve) => late.changes.subscribe({ changed: () => {}, closed: resolve }))
    expect(closed).toMatchObject({ code: 'CLOSED', message: 'CLOSED: tasks store is closed (:memory:)' })
  })
})

describe('retryWhileBusy', () => {
  const policy = { timeoutMs: 60_000, baseDelayMs: 0, maxDelayMs: 0 }

  it('retries while BUSY and returns the first success, running the attempt again each time', async () => {
    let calls = 0
    const value = await retryWhileBusy(
      () => {
        if (++calls < 3) throw busy()
        return 'ok'
      },
      policy,
      CONTEXT,
    )
    expect(value).toBe('ok')
    expect(calls).toBe(3)
  })

  it('throws any other error at once, translated with the context', async () => {
    let calls = 0
    const error = await expectCode(
      retryWhileBusy(
        () => {
          calls++
          throw Object.assign(new Error('UNIQUE constraint failed'), { code: 'ERR_SQLITE_ERROR', errcode: 2067 })
        },
        policy,
        CONTEXT,
      ),
      'CONFLICT',
    )
    expect(calls).toBe(1)
    expect(error.store).toBe('tasks')
  })

  it('after the timeout: BUSY naming store, attempts (inner ones counted) and file, with the cause', async () => {
    const inner = new CleoStoreError('BUSY', 'begin stayed busy', { details: { attempts: 4 } })
    const error = await expectCode(
      retryWhileBusy(
        () => {
          throw inner
        },
        { ...policy, timeoutMs: 0 },
        CONTEXT,
      ),
      'BUSY',
    )
    expect(error.message).toMatch(
      /^BUSY: tasks: the database stayed busy \(locked by another connection, or conflicting transactions\) for \d+ ms \(4 attempts; \/data\/tasks\.db\)$/,
    )
    expect(error.cause).toBe(inner)
    expect(error.store).toBe('tasks')
    expect(error.file).toBe('/data/tasks.db')
    expect(error.details).toEqual({ attempts: 4, waitedMs: expect.any(Number) })
    const raw = busy()
    const once = await expectCode(
      retryWhileBusy(
        () => {
          throw raw
        },
        { ...policy, timeoutMs: 0 },
        CONTEXT,
      ),
      'BUSY',
    )
    expect(once.details?.['attempts']).toBe(1)
    expect(once.cause).toBe(raw)
  })

  it('counts attempts across retries, one per plain BUSY', async () => {
    let calls = 0
    // The clock advances only through the attempts: each one moves it by 10 ms.
    let now = 0
    vi.spyOn(performance, 'now').mockImplementation(() => now)
    vi.spyOn(Math, 'random').mockReturnValue(0)
    const error = await expectCode(
      retryWhileBusy(
        () => {
          calls++
          now += 10
          throw busy()
        },
        { timeoutMs: 30, baseDelayMs: 1, maxDelayMs: 1 },
        CONTEXT,
      ),
      'BUSY',
    )
    expect(calls).toBe(3)
    expect(error.details).toEqual({ attempts: 3, waitedMs: 30 })
    expect(error.message).toContain('for 30 ms (3 attempts; /data/tasks.db)')
  })

  it('backoffDelay: full jitter up to min(cap, base · 2^(attempt − 1))', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    expect(backoffDelay(1, 2, 25)).toBe(1)
    expect(backoffDelay(2, 2, 25)).toBe(2)
    expect(backoffDelay(3, 2, 25)).toBe(4)
    expect(backoffDelay(10, 2, 25)).toBe(12.5)
    expect(backoffDelay(0, 2, 25)).toBe(1)
    vi.spyOn(Math, 'random').mockReturnValue(0)
    expect(backoffDelay(5, 2, 25)).toBe(0)
  })
})

describe('details the engine-database run left', () => {
  it('names what is wrong with a write: an asynchronous callback (alone or in a batch), an open transaction', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    const sync = 'INTERNAL: write() callback must be synchronous'
    expect((await expectCode(db.write((async () => 1) as () => unknown), 'INTERNAL')).message).toBe(sync)
    await db.batch(async () => {
      expect((await expectCode(db.write((async () => 1) as () => unknown), 'INTERNAL')).message).toBe(sync)
    })
    db.connection.exec('BEGIN')
    const open = await expectCode(db.write(() => 1), 'INTERNAL')
    expect(open.message).toBe('INTERNAL: write() called while a transaction is open on this connection')
    db.connection.exec('ROLLBACK')
    await db.close()
  })

  it('runs a failing write callback once (the error is not mistaken for BUSY)', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    let calls = 0
    await expectCode(
      db.write(() => {
        calls++
        throw new CleoStoreError('NOT_FOUND', 'x')
      }),
      'NOT_FOUND',
    )
    expect(calls).toBe(1)
    await db.close()
  })

  it('close closes the connection, empties the statement cache and frees the lock; anything after is CLOSED', async () => {
    const db = await openDatabase<Db>(join(tempDir(), 'close.db'), { store })
    await db.read(() => db.all(NAMES))
    await db.close()
    expect(db.connection.isOpen).toBe(false)
    expect(db.statements.size).toBe(0)
    expect(db.mutex.locked).toBe(false)
    await expectCode(db.read(() => 1), 'CLOSED')
    const error = await expectCode(() => db.get(NAMES), 'CLOSED')
    expect(error.message).toBe(`CLOSED: tasks store is closed (${db.path})`)
  })

  it('runs Kysely builders and statements without rows through all/get', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    await db.write(() => db.run(INSERT, { name: 'a', qty: 1 }))
    expect(db.all(db.kysely.selectFrom('item').select('name'))).toEqual([{ name: 'a' }])
    expect(db.get(db.kysely.selectFrom('item').select('qty').where('name', '=', 'a'))).toEqual({ qty: 1 })
    expect(await db.write(() => db.all(rawQuery('UPDATE item SET qty = 2')))).toEqual([])
    expect(await db.write(() => db.get(rawQuery('UPDATE item SET qty = 3')))).toBeUndefined()
    await db.close()
  })

  it('exposes its BUSY retry policy: the busy timeout with the default backoff', async () => {
    const db = await openDatabase<Db>(':memory:', { store, busyTimeoutMs: 1234 })
    expect(db.busyRetry).toEqual({ timeoutMs: 1234, baseDelayMs: 2, maxDelayMs: 25 })
    await db.close()
  })
})

describe('details left "not investigated" by the engine-database run', () => {
  it.runIf(RUNTIME_SEES_NEW_COLUMNS)('a schema change under SELECT * through all and get: the new column, values in place, then the reader remade', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    await db.write(() => db.run(INSERT, { name: 'a', qty: 1 }))
    const all = rawQuery<Record<string, unknown>>('SELECT * FROM item ORDER BY id')
    const one = rawQuery<Record<string, unknown>>('SELECT * FROM item WHERE name = ?', ['a'])
    expect(db.all(all)).toEqual([{ id: 1, name: 'a', qty: 1 }])
    expect(db.get(one)).toEqual({ id: 1, name: 'a', qty: 1 })
    db.exec("ALTER TABLE item ADD COLUMN colour TEXT DEFAULT 'red'")
    for (let round = 0; round < 2; round++) {
      const rows = db.all(all)
      expect(rows).toEqual([{ id: 1, name: 'a', qty: 1, colour: 'red' }])
      expect(Object.keys(rows[0]!)).toEqual(['id', 'name', 'qty', 'colour'])
      const row = db.get(one)!
      expect(row).toEqual({ id: 1, name: 'a', qty: 1, colour: 'red' })
      expect(Object.keys(row)).toEqual(['id', 'name', 'qty', 'colour'])
    }
    // An empty result through the same readers.
    expect(db.all(rawQuery('SELECT * FROM item WHERE id < 0'))).toEqual([])
    expect(db.get(rawQuery('SELECT * FROM item WHERE id < 0'))).toBeUndefined()
    await db.close()
  })

  it.runIf(RUNTIME_SEES_NEW_COLUMNS)('after a stale read the reader is remade: a later change to the same width names the new columns', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    await db.write(() => db.run(INSERT, { name: 'a', qty: 1 }))
    const all = rawQuery<Record<string, unknown>>('SELECT * FROM item')
    expect(db.all(all)).toEqual([{ id: 1, name: 'a', qty: 1 }])
    db.exec("ALTER TABLE item ADD COLUMN colour TEXT DEFAULT 'red'")
    expect(db.all(all)).toEqual([{ id: 1, name: 'a', qty: 1, colour: 'red' }])
    db.exec('ALTER TABLE item DROP COLUMN qty') // back to three columns, other names
    expect(db.all(all)).toEqual([{ id: 1, name: 'a', colour: 'red' }])
    await db.close()
  })

  it.runIf(RUNTIME_SEES_NEW_COLUMNS)('a stale row is a plain object: its properties can be set, deleted and listed', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    await db.write(() => db.run(INSERT, { name: 'a', qty: 1 }))
    const all = rawQuery<Record<string, unknown>>('SELECT * FROM item')
    const get = rawQuery<Record<string, unknown>>('SELECT * FROM item LIMIT 1')
    db.all(all)
    db.get(get)
    db.exec('ALTER TABLE item ADD COLUMN extra TEXT')
    for (const row of [db.all(all)[0]!, db.get(get)!]) {
      expect(Object.keys(row)).toEqual(['id', 'name', 'qty', 'extra'])
      row['name'] = 'changed'
      expect(row['name']).toBe('changed')
      delete row['qty']
      expect(Object.keys(row)).toEqual(['id', 'name', 'extra'])
      expect(JSON.stringify(row)).toBe('{"id":1,"name":"changed","extra":null}')
    }
    await db.close()
  })

  it('a write callback returning a function with a then method (not a promise) commits', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    const callable = Object.assign(() => 0, { then: (resolve: (value: string) => void) => resolve('adopted') })
    // Promise.resolve adopts it, so the write resolves with what its then passes on.
    expect(await db.write(() => (db.run(INSERT, { name: 'kept', qty: 1 }), callable))).toBe('adopted')
    expect(names(db.all(NAMES))).toEqual(['kept'])
    await db.batch(async () => {
      expect(await db.write(() => (db.run(INSERT, { name: 'step', qty: 1 }), callable))).toBe('adopted')
    })
    expect(names(db.all(NAMES))).toEqual(['kept', 'step'])
    await db.close()
  })

  it('a write callback may return null, alone or in a batch', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    expect(await db.write(() => (db.run(INSERT, { name: 'a', qty: 1 }), null))).toBeNull()
    await db.batch(async () => {
      expect(await db.write(() => (db.run(INSERT, { name: 'b', qty: 1 }), null))).toBeNull()
    })
    expect(names(db.all(NAMES))).toEqual(['a', 'b'])
    await db.close()
  })

  it('retryWhileBusy retries a BUSY that carries no details', async () => {
    let calls = 0
    const value = await retryWhileBusy(
      () => {
        if (++calls < 3) throw new CleoStoreError('BUSY', 'plain')
        return 'ok'
      },
      { timeoutMs: 60_000, baseDelayMs: 0, maxDelayMs: 0 },
      CONTEXT,
    )
    expect(value).toBe('ok')
    expect(calls).toBe(3)
  })

  it('a step of a batch whose savepoint cannot be opened is not run', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    let ran = false
    let stepError: unknown
    const batch = db.batch(async () => {
      db.connection.close() // finalizes the prepared SAVEPOINT: it can no longer run
      await db
        .write(() => {
          ran = true
          return 1
        })
        .catch((error: unknown) => {
          stepError = error
        })
    })
    await expect(batch).rejects.toThrow(/finalized/) // its COMMIT cannot run either
    expect(stepError).toBeInstanceOf(CleoStoreError)
    expect(ran).toBe(false)
    expect(db.mutex.locked).toBe(false)
  })
})

describe('close: PRAGMA optimize, and the operations refused after it', () => {
  it('runs PRAGMA optimize once on a file database before the connection closes', async () => {
    const db = await openDatabase<Db>(join(tempDir(), 'optimize.db'), { store })
    const exec = vi.spyOn(db.connection, 'exec')
    const openWhenRun: boolean[] = []
    exec.mockImplementation(function (this: DatabaseSync, sql: string) {
      openWhenRun.push(db.connection.isOpen)
      return DatabaseSync.prototype.exec.call(db.connection, sql)
    })
    await db.close()
    expect(exec.mock.calls).toEqual([['PRAGMA optimize']])
    expect(openWhenRun).toEqual([true])
    expect(db.connection.isOpen).toBe(false)
  })

  it('does not optimize a :memory: database (its statistics die with it)', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    const exec = vi.spyOn(db.connection, 'exec')
    await db.close()
    expect(exec).not.toHaveBeenCalled()
    expect(db.connection.isOpen).toBe(false)
  })

  it('still closes when PRAGMA optimize fails', async () => {
    const db = await openDatabase<Db>(join(tempDir(), 'optimize-fails.db'), { store })
    await db.read(() => db.all(NAMES))
    vi.spyOn(db.connection, 'exec').mockImplementation(() => {
      throw Object.assign(new Error('attempt to write a readonly database'), { code: 'ERR_SQLITE_ERROR', errcode: 8 })
    })
    await db.close()
    expect(db.closed).toBe(true)
    expect(db.connection.isOpen).toBe(false)
    expect(db.statements.size).toBe(0)
    expect(db.mutex.locked).toBe(false)
  })

  it('closes without error when the connection was already closed under it', async () => {
    const db = await openDatabase<Db>(join(tempDir(), 'closed-under.db'), { store })
    const exec = vi.spyOn(db.connection, 'exec')
    db.connection.close()
    await db.close()
    expect(exec).not.toHaveBeenCalled()
    expect(db.closed).toBe(true)
    expect(db.mutex.locked).toBe(false)
  })

  it('waits for the operation holding the connection, which completes, before closing', async () => {
    const db = await openDatabase<Db>(join(tempDir(), 'close-waits.db'), { store })
    const { batch, release } = await holdingBatch(db, () => db.write(() => db.run(INSERT, { name: 'last', qty: 1 })))
    let closed = false
    const closing = db.close().then(() => (closed = true))
    await Promise.resolve()
    expect(db.closed).toBe(true)
    expect(db.connection.isOpen).toBe(true)
    expect(closed).toBe(false)
    release()
    await batch
    await closing
    expect(db.connection.isOpen).toBe(false)
    const reopened = await openDatabase<Db>(db.path, { store })
    expect(names(await reopened.read(() => reopened.all(NAMES)))).toEqual(['last'])
    await reopened.close()
  })

  it('write, snapshot, batch, read and transaction after close are refused with the store’s CLOSED error', async () => {
    const file = join(tempDir(), 'after-close.db')
    const db = await openDatabase<Db>(file, { store })
    await db.close()
    const message = `CLOSED: tasks store is closed (${file})`
    let ran = 0
    for (const call of [
      () => db.write(() => ran++),
      () => db.snapshot(() => ran++),
      () => db.batch(() => ran++),
      () => db.read(() => ran++),
      () => db.transaction(async () => ran++),
      () => db.all(NAMES),
      () => db.run(INSERT, { name: 'x', qty: 1 }),
    ]) {
      const error = await expectCode(call, 'CLOSED')
      expect(error.message).toBe(message)
      expect(error.store).toBe('tasks')
    }
    expect(ran).toBe(0)
    expect(db.mutex.locked).toBe(false)
  })
})

describe('close called again while it waits', () => {
  it('a second close resolves only once the connection is closed, like the first', async () => {
    const db = await openDatabase<Db>(join(tempDir(), 'close-twice.db'), { store })
    const { batch, release } = await holdingBatch(db)
    const settled: string[] = []
    const first = db.close().then(() => settled.push(`first open=${db.connection.isOpen}`))
    const second = db.close().then(() => settled.push(`second open=${db.connection.isOpen}`))
    // Let every ready callback run: neither close may finish while the batch holds the connection.
    for (let i = 0; i < 10; i++) await Promise.resolve()
    expect(settled).toEqual([])
    release()
    await Promise.all([batch, first, second])
    expect(settled).toEqual(['first open=false', 'second open=false'])
  })
})

describe('the synchronous fast paths and the statement reuse', () => {
  it('read and write run their callback at once when the connection is free; write has committed when it returns', async () => {
    const db = await openDatabase<Db>(join(tempDir(), 'fast.db'), { store })
    const other = new DatabaseSync(db.path)
    let read = false
    const reading = db.read(() => (read = true))
    expect(read).toBe(true)
    await reading
    const writing = db.write(() => db.run(INSERT, { name: 'now', qty: 1 }))
    // Another connection already sees the commit: nothing waited for a later tick.
    expect(other.prepare('SELECT name FROM item').all()).toEqual([{ name: 'now' }])
    await writing
    other.close()
    await db.close()
  })

  it('a repeated query prepares nothing after its first run, through all and get', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    await db.write(() => db.run(INSERT, { name: 'a', qty: 1 }))
    const all = rawQuery<Record<string, unknown>>('SELECT * FROM item ORDER BY id')
    const one = rawQuery<Record<string, unknown>>('SELECT * FROM item WHERE name = ?', ['a'])
    expect(db.all(all)).toEqual([{ id: 1, name: 'a', qty: 1 }])
    expect(db.get(one)).toEqual({ id: 1, name: 'a', qty: 1 })
    const prepare = vi.spyOn(db.connection, 'prepare')
    for (let round = 0; round < 3; round++) {
      expect(db.all(all)).toEqual([{ id: 1, name: 'a', qty: 1 }])
      expect(db.get(one)).toEqual({ id: 1, name: 'a', qty: 1 })
    }
    expect(prepare).not.toHaveBeenCalled()
    await db.close()
  })

  it('a snapshot callback that ended the transaction itself and then throws: its own error reaches the caller', async () => {
    const db = await openDatabase<Db>(':memory:', { store })
    await expectCode(
      db.snapshot(() => {
        db.connection.exec('COMMIT')
        throw new CleoStoreError('NOT_FOUND', 'gone')
      }),
      'NOT_FOUND',
    )
    expect(db.connection.isTransaction).toBe(false)
    expect(db.mutex.locked).toBe(false)
    await db.close()
  })
})
