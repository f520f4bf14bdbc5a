/**
 * The one-table store the engine's tests open: `item (id, name UNIQUE, qty CHECK >= 0)`,
 * optionally with more tables created by `more`.
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

import type { StoreDefinition } from '../../src/sqlite/store-definition.js'

/** A `tasks`-named store whose single migration creates `item`, then runs `more`. */
export function itemStore(more: (db: Kysely<any>) => Promise<void> = async () => {}): StoreDefinition {
  return {
    name: 'tasks',
    migrations: {
      '0001_item': {
        async up(db: Kysely<any>) {
          await db.schema
            .createTable('item')
            .addColumn('id', 'integer', (c) => c.primaryKey())
            .addColumn('name', 'text', (c) => c.notNull().unique())
            .addColumn('qty', 'integer', (c) => c.notNull().check(sql`qty >= 0`))
            .execute()
          await more(db)
        },
      },
    },
  }
}
