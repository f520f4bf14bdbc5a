/**
 * The telemetry.db repository.
 *
 * @module
 */
import type { SqliteDatabase } from '../sqlite/database.js'
import type { RepositoryOptions } from '../sqlite/store-repository.js'
import { openStoreDatabase, StoreRepository } from '../sqlite/store-repository.js'
import type { TelemetryDatabase } from './telemetry.tables.js'
import { TELEMETRY_STORE } from './telemetry.store.js'

/** Options of {@link TelemetryRepository.open}. */
export interface TelemetryRepositoryOptions extends RepositoryOptions {}

/**
 * telemetry.db — opt-in CLI telemetry events (global tier).
 *
 * @example
 * ```ts
 * await using telemetry = await TelemetryRepository.open(':memory:')
 * ```
 */
export class TelemetryRepository extends StoreRepository<TelemetryDatabase> {
  private constructor(db: SqliteDatabase<TelemetryDatabase>, options: TelemetryRepositoryOptions) {
    super(db, options)
  }

  /**
   * Opens (creating and migrating if needed) telemetry.db at `path`, or an in-memory
   * database with `':memory:'`.
   */
  static async open(path: string, options: TelemetryRepositoryOptions = {}): Promise<TelemetryRepository> {
    const db = await openStoreDatabase<TelemetryDatabase>(TELEMETRY_STORE, path, options)
    return new TelemetryRepository(db, options)
  }
}
