/**
 * The nexus.db repository.
 *
 * @module
 */
import type { SqliteDatabase } from '../sqlite/database.js'
import type { RepositoryOptions } from '../sqlite/store-repository.js'
import { openStoreDatabase, StoreRepository } from '../sqlite/store-repository.js'
import type { NexusDatabase } from './nexus.tables.js'
import { NEXUS_STORE } from './nexus.store.js'

/** Options of {@link NexusRepository.open}. */
export interface NexusRepositoryOptions extends RepositoryOptions {}

/**
 * nexus.db — project registry, nexus audit log, warp chains (global tier).
 *
 * @example
 * ```ts
 * await using nexus = await NexusRepository.open(':memory:')
 * ```
 */
export class NexusRepository extends StoreRepository<NexusDatabase> {
  private constructor(db: SqliteDatabase<NexusDatabase>, options: NexusRepositoryOptions) {
    super(db, options)
  }

  /**
   * Opens (creating and migrating if needed) nexus.db at `path`, or an in-memory
   * database with `':memory:'`.
   */
  static async open(path: string, options: NexusRepositoryOptions = {}): Promise<NexusRepository> {
    const db = await openStoreDatabase<NexusDatabase>(NEXUS_STORE, path, options)
    return new NexusRepository(db, options)
  }
}
