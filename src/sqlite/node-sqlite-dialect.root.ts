/**
 * The root module's `NodeSqliteDialect`: the same class as `cleo-store/kysely`'s, typed without
 * loading Kysely's declarations. Its instances are the Kysely `Dialect` once `cleo-store/kysely` is
 * imported anywhere in the program (module augmentation of {@link NodeSqliteDialectTypes}); an opaque
 * {@link NodeSqliteDialectHandle} otherwise.
 *
 * @module
 */
import { NodeSqliteDialect as KyselyNodeSqliteDialect } from './node-sqlite-dialect.js'
import type { NodeSqliteDialectConfig } from './node-sqlite-dialect-config.js'
export type { NodeSqliteDialectConfig } from './node-sqlite-dialect-config.js'

declare const dialectBrand: unique symbol

/**
 * A `NodeSqliteDialect` as the root module types it while `cleo-store/kysely` is not
 * imported: opaque. Import `cleo-store/kysely` (types only is enough) to pass it to
 * `new Kysely({ dialect })`.
 *
 * @example
 * ```ts
 * const dialect: NodeSqliteDialectHandle = new NodeSqliteDialect({ database }) // without cleo-store/kysely
 * ```
 */
export interface NodeSqliteDialectHandle {
  /** A type-level brand; no such property exists. */
  readonly [dialectBrand]: 'NodeSqliteDialect'
}

/**
 * Filled by `cleo-store/kysely` with `{ instance: NodeSqliteDialect }` (the Kysely
 * `Dialect` class); empty at the root.
 *
 * @example
 * ```ts
 * type Dialect = NodeSqliteDialectTypes['instance'] // with cleo-store/kysely imported
 * ```
 */
export interface NodeSqliteDialectTypes {}

/**
 * An instance of {@link NodeSqliteDialect}: Kysely's `Dialect` once `cleo-store/kysely`
 * is imported, else a {@link NodeSqliteDialectHandle}.
 *
 * @example
 * ```ts
 * const dialect: NodeSqliteDialect = new NodeSqliteDialect({ database: new DatabaseSync(':memory:') })
 * ```
 */
export type NodeSqliteDialect = NodeSqliteDialectTypes extends { readonly instance: infer D } ? D : NodeSqliteDialectHandle

/**
 * cleo-store's `node:sqlite` driver for your own Kysely instance (the class
 * `cleo-store/kysely` exports; this binding only types it without Kysely).
 *
 * @example
 * ```ts
 * import { DatabaseSync } from 'node:sqlite'
 * import { Kysely } from 'kysely'
 * import { NodeSqliteDialect } from 'cleo-store'
 * import type {} from 'cleo-store/kysely' // types the dialect as Kysely's Dialect
 *
 * const db = new Kysely<MyDb>({ dialect: new NodeSqliteDialect({ database: new DatabaseSync(':memory:') }) })
 * ```
 */
export const NodeSqliteDialect: new (config: NodeSqliteDialectConfig) => NodeSqliteDialect = KyselyNodeSqliteDialect
