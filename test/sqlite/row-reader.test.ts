/**
 * The fast row path of `db.get`/`db.all` (arrays from node:sqlite, objects built by
 * a literal compiled per statement) returns exactly what object rows would: same
 * keys in the same order, same values, duplicate names resolved the same way, odd
 * names kept inert, and a schema change under `SELECT *` neither loses columns nor
 * runs a statement twice.
 */
import { DatabaseSync } from 'node:sqlite'

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { rawQuery } from '../../src/sqlite/database.js'
import { openDatabase } from '../../src/sqlite/open-database.js'

const migrations = {
  '0001_t': {
    async up() {},
  },
}

async function open() {
  const db = await openDatabase<any>(':memory:', { store: { name: 'tasks', migrations } })
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b REAL, c BLOB, d INTEGER)')
  return db
}

/** The same query as plain object rows, on a fresh connection with the same rows. */
function plain(setup: string, sql: string, params: unknown[] = []): unknown[] {
  const db = new DatabaseSync(':memory:')
  db.exec(setup)
  return db.prepare(sql).all(...(params as never[]))
}

describe('row reader', () => {
  it('returns the rows object mode returns, keys in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ a: fc.option(fc.string()), b: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true })), d: fc.option(fc.integer()) }), { maxLength: 20 }),
        async (rows) => {
          const db = await open()
          try {
            await db.write(() => {
              for (const r of rows) db.run(rawQuery('INSERT INTO t (a, b, d) VALUES (?, ?, ?)', [r.a, r.b, r.d]))
            })
            const got = await db.read(() => db.all(rawQuery('SELECT * FROM t ORDER BY id')))
            // The same rows bound the same way (not as SQL literals: SQLite's decimal
            // parser may round extreme doubles differently from JavaScript), read as objects.
            const reference = new DatabaseSync(':memory:')
            reference.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b REAL, c BLOB, d INTEGER)')
            const insert = reference.prepare('INSERT INTO t (a, b, d) VALUES (?, ?, ?)')
            for (const r of rows) insert.run(r.a, r.b, r.d === null ? null : BigInt(r.d))
            const want = reference.prepare('SELECT * FROM t ORDER BY id').all()
            reference.close()
            expect(got).toEqual(want)
            for (let i = 0; i < got.length; i++) expect(Object.keys(got[i] as object)).toEqual(Object.keys(want[i] as object))
          } finally {
            await db.close()
          }
        },
      ),
      { numRuns: 25 },
    )
  })

  it('resolves duplicate column names like object mode, and keeps odd names inert', async () => {
    const db = await open()
    try {
      db.exec("INSERT INTO t (a, d) VALUES ('x', 1)")
      const sql = `SELECT a, d AS a, 1 AS "__proto__", 2 AS "constructor", 3 AS "a b", 4 AS "}) || (" FROM t`
      const got = await db.read(() => db.get(rawQuery(sql)))
      const want = plain("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b REAL, c BLOB, d INTEGER); INSERT INTO t (a, d) VALUES ('x', 1)", sql)[0]
      expect(got).toEqual(want)
      expect(Object.getPrototypeOf(got)).toBe(Object.getPrototypeOf(want))
      const odd = await db.read(() => db.get(rawQuery(`SELECT 3 AS "a b", 4 AS "}) || (", 5 AS "\\u2028" FROM t`)))
      expect(odd).toEqual({ 'a b': 3, '}) || (': 4, '\\u2028': 5 })
      expect(await db.read(() => db.get(rawQuery('SELECT * FROM t WHERE id = ?', [99])))).toBeUndefined()
    } finally {
      await db.close()
    }
  })

  it('a schema change under SELECT * … RETURNING neither drops the new column nor writes twice', async () => {
    const db = await open()
    try {
      const insert = rawQuery<Record<string, unknown>>('INSERT INTO t (a) VALUES (?) RETURNING *', ['one'])
      expect(Object.keys((await db.write(() => db.get(insert)))!)).toEqual(['id', 'a', 'b', 'c', 'd'])
      db.exec('ALTER TABLE t ADD COLUMN e TEXT')
      const row = await db.write(() => db.get(rawQuery<Record<string, unknown>>('INSERT INTO t (a) VALUES (?) RETURNING *', ['two'])))
      expect(row).toEqual({ id: 2, a: 'two', b: null, c: null, d: null, e: null })
      expect(await db.read(() => db.all(rawQuery('SELECT count(*) AS n FROM t')))).toEqual([{ n: 2 }])
      const again = await db.write(() => db.get(rawQuery<Record<string, unknown>>('INSERT INTO t (a) VALUES (?) RETURNING *', ['three'])))
      expect(Object.keys(again!)).toEqual(['id', 'a', 'b', 'c', 'd', 'e'])
    } finally {
      await db.close()
    }
  })
})
