/**
 * In-memory fixtures (issue 19, item 6): a `:memory:` store is a copy of a template
 * migrated once per process — each copy independent, fully migrated, with its
 * pragmas — and schema statements take no slot in the statement cache.
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'
import type { Migration } from 'kysely/migration'
import { describe, expect, it } from 'vitest'

import { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import { openDatabase } from '../../src/sqlite/open-database.js'
import type { StoreDefinition } from '../../src/sqlite/store-definition.js'
import { TasksRepository } from '../../src/tasks/index.js'
import { TASKS_STORE } from '../../src/tasks/tasks.store.js'

describe('in-memory stores from a template', () => {
  it('every in-memory store is its own migrated copy: writes never leak into the template or another copy', async () => {
    const a = await TasksRepository.open(':memory:')
    const b = await TasksRepository.open(':memory:')
    try {
      await a.create({ title: 'only in a' })
      expect((await a.list({ limit: 5 })).items).toHaveLength(1)
      expect((await b.list({ limit: 5 })).items).toHaveLength(0)
      const c = await TasksRepository.open(':memory:')
      try {
        expect((await c.list({ limit: 5 })).items).toHaveLength(0)
        expect((await c.create({ title: 'first in c' })).id).toBe('T1')
        expect(c.schemaVersion).toBe(Object.keys(TASKS_STORE.migrations).sort().at(-1))
        const pragmas = await sql<{ fk: number; app: number }>`SELECT (SELECT foreign_keys FROM pragma_foreign_keys) AS fk, (SELECT application_id FROM pragma_application_id) AS app`.execute(c.kysely)
        expect(pragmas.rows[0]!.fk).toBe(1)
        expect(pragmas.rows[0]!.app).not.toBe(0)
        // Triggers came with the copy: the ready counters move.
        const x = await c.create({ title: 'x' })
        await c.create({ title: 'y', dependsOn: [x.id] })
        expect((await c.dependencies.ready()).items.map((t) => t.title)).toEqual(['first in c', 'x'])
      } finally {
        await c.close()
      }
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('a store with other migrations gets its own image', async () => {
    const extra: Migration = {
      async up(db: Kysely<any>) {
        await sql`CREATE TABLE extra_table (id INTEGER PRIMARY KEY) STRICT`.execute(db)
      },
    }
    const store: StoreDefinition = { ...TASKS_STORE, migrations: { ...TASKS_STORE.migrations, '9999_extra': extra } }
    await (await TasksRepository.open(':memory:')).close() // the plain template exists
    for (let i = 0; i < 2; i++) {
      const db = await openDatabase(':memory:', { store })
      try {
        const found = db.connection.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'extra_table'").get() as { n: number }
        expect(found.n).toBe(1)
      } finally {
        await db.close()
      }
    }
    const plain = await TasksRepository.open(':memory:')
    try {
      const found = await sql<{ n: number }>`SELECT count(*) AS n FROM sqlite_schema WHERE name = 'extra_table'`.execute(plain.kysely)
      expect(found.rows[0]!.n).toBe(0)
    } finally {
      await plain.close()
    }
  })

  it('conduit (FTS) works in a copy', async () => {
    const conduit = await ConduitRepository.open(':memory:')
    try {
      for (const agent of ['alice', 'bob']) await conduit.agentRefs.attach(agent)
      await conduit.messages.send({ from: 'alice', to: 'bob', content: 'the build is green' })
      expect((await conduit.messages.search({ query: 'green' })).length).toBeGreaterThan(0)
    } finally {
      await conduit.close()
    }
  })

  it('schema statements (migrations) take no slot in the statement cache', async () => {
    const db = await openDatabase(':memory:', { store: { name: 'tasks', migrations: { '0001_x': { async up(k: Kysely<any>) { for (let i = 0; i < 20; i++) await sql.raw(`CREATE TABLE t${i} (id INTEGER PRIMARY KEY) STRICT`).execute(k) } } } } })
    try {
      // 20 CREATE TABLEs ran; only the migrator's bookkeeping statements are cached.
      expect(db.statements.size).toBeLessThan(20)
    } finally {
      await db.close()
    }
  })
})
