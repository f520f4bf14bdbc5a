/**
 * The signaldock.db repository.
 *
 * @module
 */
import type { SqliteDatabase } from '../sqlite/database.js'
import type { RepositoryOptions } from '../sqlite/store-repository.js'
import { openStoreDatabase, StoreRepository } from '../sqlite/store-repository.js'
import type { SignaldockDatabase } from './signaldock.tables.js'
import { SIGNALDOCK_STORE } from './signaldock.store.js'

/** Options of {@link SignaldockRepository.open}. */
export interface SignaldockRepositoryOptions extends RepositoryOptions {}

/**
 * signaldock.db — agent identity, capabilities, auth tables and availability (global tier).
 *
 * @example
 * ```ts
 * await using signaldock = await SignaldockRepository.open(':memory:')
 * ```
 */
export class SignaldockRepository extends StoreRepository<SignaldockDatabase> {
  private constructor(db: SqliteDatabase<SignaldockDatabase>, options: SignaldockRepositoryOptions) {
    super(db, options)
  }

  /**
   * Opens (creating and migrating if needed) signaldock.db at `path`, or an in-memory
   * database with `':memory:'`.
   */
  static async open(path: string, options: SignaldockRepositoryOptions = {}): Promise<SignaldockRepository> {
    const db = await openStoreDatabase<SignaldockDatabase>(SIGNALDOCK_STORE, path, options)
    return new SignaldockRepository(db, options)
  }
}
