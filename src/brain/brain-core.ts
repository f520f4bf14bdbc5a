/**
 * What every brain aggregate shares: the database, the clock, the id generator and
 * the vector index of one repository handle. Internal.
 *
 * @module
 */
import type { Clock } from '../sqlite/clock.js'
import type { SqliteDatabase } from '../sqlite/database.js'
import type { ErrorContext } from '../sqlite/errors.js'
import type { BrainDatabase } from './brain.tables.js'
import type { VectorIndex } from './vector-index.js'

/** The shared state of one brain handle. */
export interface BrainCore {
  readonly db: SqliteDatabase<BrainDatabase>
  readonly clock: Clock
  readonly newId: () => string
  readonly vectors: VectorIndex
  readonly context: Required<ErrorContext>
}
