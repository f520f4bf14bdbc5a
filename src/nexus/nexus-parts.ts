/**
 * What the aggregates of nexus.db share: the store engine, the clock, the error
 * context and the id generator. Internal: not exported from the package.
 *
 * @module
 */
import type { Clock } from '../sqlite/clock.js'
import type { ErrorContext } from '../sqlite/errors.js'
import type { StoreEngine } from '../sqlite/store-engine.js'
import type { NexusDatabase } from './nexus.tables.js'

/** @internal */
export interface NexusParts {
  /** Runs every statement of the aggregates (SQLite's nexus.db or a PostgreSQL schema). */
  readonly engine: StoreEngine<NexusDatabase>
  readonly clock: Clock
  readonly context: Required<ErrorContext>
  /** UUIDv7 generator bound to the clock. */
  readonly newId: () => string
}
