/**
 * The conduit.db repository.
 *
 * @module
 */
import type { SqliteDatabase } from '../sqlite/database.js'
import type { RepositoryOptions } from '../sqlite/store-repository.js'
import { openStoreDatabase, StoreRepository } from '../sqlite/store-repository.js'
import type { ConduitDatabase } from './conduit.tables.js'
import { CONDUIT_STORE } from './conduit.store.js'

/** Options of {@link ConduitRepository.open}. */
export interface ConduitRepositoryOptions extends RepositoryOptions {}

/**
 * conduit.db — conversations, messages, attachments, project agent refs and the durable delivery queue (project tier).
 *
 * @example
 * ```ts
 * await using conduit = await ConduitRepository.open(':memory:')
 * ```
 */
export class ConduitRepository extends StoreRepository<ConduitDatabase> {
  private constructor(db: SqliteDatabase<ConduitDatabase>, options: ConduitRepositoryOptions) {
    super(db, options)
  }

  /**
   * Opens (creating and migrating if needed) conduit.db at `path`, or an in-memory
   * database with `':memory:'`.
   */
  static async open(path: string, options: ConduitRepositoryOptions = {}): Promise<ConduitRepository> {
    const db = await openStoreDatabase<ConduitDatabase>(CONDUIT_STORE, path, options)
    return new ConduitRepository(db, options)
  }
}
