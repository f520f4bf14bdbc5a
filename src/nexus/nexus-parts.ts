/**
 * What the aggregates of nexus.db share: the database, the clock, the error context and
 * the id generator. Internal: not exported from the package.
 *
 * @module
 */
import type { Clock } from '../sqlite/clock.js'
import type { SqliteDatabase } from '../sqlite/database.js'
import type { ErrorContext } from '../sqlite/errors.js'
import type { NexusDatabase } from './nexus.tables.js'

/** @internal */
export interface NexusParts {
  readonly db: SqliteDatabase<NexusDatabase>
  readonly clock: Clock
  readonly context: Required<ErrorContext>
  /** UUIDv7 generator bound to the clock. */
  readonly newId: () => string
}
