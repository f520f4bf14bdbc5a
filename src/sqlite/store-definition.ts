/**
 * What the engine needs to know about a store: its name, its SQLite
 * `application_id`, its frozen migrations, and whether it needs sqlite-vec.
 *
 * @module
 */
import type { Migration } from 'kysely/migration'
import type { StoreName } from './store-name.js'
export type { StoreName } from './store-name.js'

/**
 * SQLite `application_id` of each store (PRAGMA application_id): "CL" followed by a
 * store number. Opening a file that carries another id is refused with `WRONG_STORE`,
 * so brain.db can never be opened as tasks.db, nor a foreign database as either.
 */
export const APPLICATION_IDS: Readonly<Record<StoreName, number>> = Object.freeze({
  tasks: 0x434c0001,
  brain: 0x434c0002,
  conduit: 0x434c0003,
  signaldock: 0x434c0004,
  nexus: 0x434c0005,
  telemetry: 0x434c0006,
})

/** A store as the engine sees it. */
export interface StoreDefinition {
  readonly name: StoreName
  /** Frozen migrations by name; applied in name order. */
  readonly migrations: Readonly<Record<string, Migration>>
  /** Load sqlite-vec into this store's connections. */
  readonly vectors?: boolean
  /**
   * The table whose `store` row names the store, which a PostgreSQL open reads to
   * recognise a schema as this store's (default `<name>_schema_meta`; tasks keeps
   * CLEO's `schema_meta`).
   */
  readonly metaTable?: string
}
