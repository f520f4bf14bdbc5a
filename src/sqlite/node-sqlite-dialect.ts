/**
 * A Kysely dialect for `node:sqlite`, assembled from Kysely's own SQLite adapter,
 * query compiler and introspector plus our {@link NodeSqliteDriver}.
 *
 * @module
 */
import type { DatabaseIntrospector, Dialect, DialectAdapter, Driver, Kysely, QueryCompiler } from 'kysely'
import { SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely'

import { Mutex } from './mutex.js'
import type { ConnectionHost } from './node-sqlite-driver.js'
import { NodeSqliteDriver } from './node-sqlite-driver.js'
import { StatementCache } from './statement-cache.js'
import type { NodeSqliteDialectConfig } from './node-sqlite-dialect-config.js'
export type { NodeSqliteDialectConfig } from './node-sqlite-dialect-config.js'

/**
 * Kysely's SQLite adapter, declaring what SQLite really does: DDL is transactional,
 * so Kysely's `Migrator` runs pending migrations and their bookkeeping in one
 * transaction (which our driver begins `IMMEDIATE`: the cross-process migration lock).
 */
export class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true
  }
}

/**
 * Use cleo-store's node:sqlite driver with your own Kysely instance.
 *
 * @example
 * ```ts
 * import { DatabaseSync } from 'node:sqlite'
 * import { Kysely } from 'kysely'
 * import { NodeSqliteDialect } from 'cleo-store/kysely' // (from 'cleo-store' once cleo-store/kysely is imported)
 *
 * const db = new Kysely<MyDb>({ dialect: new NodeSqliteDialect({ database: new DatabaseSync(':memory:') }) })
 * const rows = await db.insertInto('t').values({ a: 1 }).returningAll().execute() // rows are returned
 * ```
 */
export class NodeSqliteDialect implements Dialect {
  readonly #host: ConnectionHost

  constructor(config: NodeSqliteDialectConfig | ConnectionHost) {
    this.#host =
      'connection' in config
        ? config
        : {
            connection: config.database,
            statements: new StatementCache(config.database, config.statementCacheSize),
            mutex: new Mutex(),
            context: {},
          }
  }

  createDriver(): Driver {
    return new NodeSqliteDriver(this.#host)
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler()
  }

  createAdapter(): DialectAdapter {
    return new TransactionalSqliteAdapter()
  }

  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db)
  }
}
