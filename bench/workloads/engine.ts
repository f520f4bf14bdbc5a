/**
 * Engine workloads: the cost of cleo-store's execution path itself (a template run
 * on the cached prepared statement inside read/write), without any repository logic.
 */
import { join } from 'node:path'

import { sql as dsql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-sqlite'
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import type { Generated, Kysely } from 'kysely'

import { openDatabase } from '../../src/sqlite/open-database.js'
import { template } from '../../src/sqlite/query-template.js'
import type { Workload } from '../harness.js'
import { openRaw } from '../harness.js'

interface Db {
  item: { id: Generated<number>; name: string; qty: number }
}

const migrations = {
  '0001_item': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('item')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('qty', 'integer', (c) => c.notNull())
        .execute()
    },
  },
}
const DDL = 'CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL)'
const item = sqliteTable('item', { id: integer('id').primaryKey(), name: text('name').notNull(), qty: integer('qty').notNull() })

const INSERT = template<Db, { name: string; qty: number }>()((db, p) => db.insertInto('item').values({ name: p('name'), qty: p('qty') }))
const GET = template<Db, { id: number }>()((db, p) => db.selectFrom('item').selectAll().where('id', '=', p('id')))

const ROWS = 10_000

export const engineWorkloads: Workload[] = [
  {
    name: 'engine: insert one row (own transaction)',
    kind: 'write',
    async setup(dir) {
      const ours = await openDatabase<Db>(join(dir, 'ours.db'), { store: { name: 'tasks', migrations } })
      const raw = openRaw(join(dir, 'raw.db'))
      raw.exec(DDL)
      const rawInsert = raw.prepare('INSERT INTO item (name, qty) VALUES (?, ?)')
      const begin = raw.prepare('BEGIN IMMEDIATE')
      const commit = raw.prepare('COMMIT')
      const dz = drizzle({ client: openRaw(join(dir, 'drizzle.db')) })
      dz.$client.exec(DDL)
      let n = 0
      return {
        ours: () => ours.write(() => ours.run(INSERT, { name: `n${n++}`, qty: n })),
        raw: () => {
          begin.run()
          rawInsert.run(`n${n++}`, n)
          commit.run()
        },
        drizzle: () => dz.transaction((tx) => void tx.insert(item).values({ name: `n${n++}`, qty: n }).run()),
        teardown: async () => {
          await ours.close()
          raw.close()
          dz.$client.close()
        },
      }
    },
  },
  {
    name: 'engine: read one row by primary key',
    kind: 'read',
    async setup(dir) {
      const ours = await openDatabase<Db>(join(dir, 'ours.db'), { store: { name: 'tasks', migrations } })
      const raw = openRaw(join(dir, 'raw.db'))
      raw.exec(DDL)
      const dz = drizzle({ client: openRaw(join(dir, 'drizzle.db')) })
      dz.$client.exec(DDL)
      const seed = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS}) INSERT INTO item (name, qty) SELECT 'n' || i, i FROM n`
      ours.exec(seed)
      raw.exec(seed)
      dz.$client.exec(seed)
      const rawGet = raw.prepare('SELECT * FROM item WHERE id = ?')
      let i = 0
      const nextId = () => (i++ % ROWS) + 1
      return {
        ours: () => ours.read(() => ours.get(GET, { id: nextId() })),
        raw: () => rawGet.get(nextId()),
        drizzle: () => dz.select().from(item).where(dsql`${item.id} = ${nextId()}`).get(),
        notes: `${ROWS} rows`,
        teardown: async () => {
          await ours.close()
          raw.close()
          dz.$client.close()
        },
      }
    },
  },
]
