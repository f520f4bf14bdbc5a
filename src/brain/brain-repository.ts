/**
 * The brain.db repository.
 *
 * @module
 */
import type { SqliteDatabase } from '../sqlite/database.js'
import type { RepositoryOptions } from '../sqlite/store-repository.js'
import { openStoreDatabase, StoreRepository } from '../sqlite/store-repository.js'
import type { BrainDatabase } from './brain.tables.js'
import { BRAIN_STORE } from './brain.store.js'

/** Options of {@link BrainRepository.open}. */
export interface BrainRepositoryOptions extends RepositoryOptions {}

/**
 * brain.db — decisions, patterns, learnings, observations, sticky notes; full-text and vector search (project tier).
 *
 * @example
 * ```ts
 * await using brain = await BrainRepository.open(':memory:')
 * ```
 */
export class BrainRepository extends StoreRepository<BrainDatabase> {
  private constructor(db: SqliteDatabase<BrainDatabase>, options: BrainRepositoryOptions) {
    super(db, options)
  }

  /**
   * Opens (creating and migrating if needed) brain.db at `path`, or an in-memory
   * database with `':memory:'`.
   */
  static async open(path: string, options: BrainRepositoryOptions = {}): Promise<BrainRepository> {
    const db = await openStoreDatabase<BrainDatabase>(BRAIN_STORE, path, options)
    return new BrainRepository(db, options)
  }
}
