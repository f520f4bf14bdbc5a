/**
 * A full disk, simulated with `PRAGMA max_page_count`: writes fail with STORAGE_FULL,
 * nothing of the failed transaction is kept, earlier data is intact, and the store
 * works again once space is available.
 */
import { join } from 'node:path'

import type { Generated, Kysely } from 'kysely'
import { describe, expect, it } from 'vitest'

import { rawQuery } from '../../src/sqlite/database.js'
import { openDatabase } from '../../src/sqlite/open-database.js'
import { template } from '../../src/sqlite/query-template.js'
import { expectCode, tempDir } from '../helpers.js'

interface Db {
  blob: { id: Generated<number>; body: string }
}
const store = {
  name: 'tasks' as const,
  migrations: {
    '0001_blob': {
      async up(db: Kysely<any>) {
        await db.schema.createTable('blob').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('body', 'text', (c) => c.notNull()).execute()
      },
    },
  },
}
const INSERT = template<Db, { body: string }>()((db, p) => db.insertInto('blob').values({ body: p('body') }))
const COUNT = template<Db>()((db) => db.selectFrom('blob').select((eb) => eb.fn.countAll<number>().as('n')))

describe('full disk', () => {
  it('fails writes with STORAGE_FULL, keeps earlier data, and recovers when space returns', async () => {
    const db = await openDatabase<Db>(join(tempDir(), 'full.db'), { store })
    await db.write(() => {
      for (let i = 0; i < 10; i++) db.run(INSERT, { body: `early-${i}` })
    })
    const pages = Number(db.pragma('page_count'))
    db.get(rawQuery(`PRAGMA max_page_count = ${pages + 2}`))
    const big = 'x'.repeat(3000)
    const error = await expectCode(
      db.write(() => {
        for (let i = 0; i < 50; i++) db.run(INSERT, { body: big })
      }),
      'STORAGE_FULL',
    )
    expect(error.file).toBe(db.path)
    // The failed transaction left nothing behind; the earlier rows are all there.
    expect(await db.read(() => db.get(COUNT))).toEqual({ n: 10 })
    expect((await db.integrityCheck()).ok).toBe(true)

    db.get(rawQuery('PRAGMA max_page_count = 1073741823'))
    await db.write(() => {
      for (let i = 0; i < 50; i++) db.run(INSERT, { body: big })
    })
    expect(await db.read(() => db.get(COUNT))).toEqual({ n: 60 })
    await db.close()
  })
})
