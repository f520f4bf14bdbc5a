/**
 * What every brain aggregate shares: the store engine, the clock, the id generator
 * and the vector index of one repository handle. Internal.
 *
 * @module
 */
import type { Clock } from '../sqlite/clock.js'
import type { ErrorContext } from '../sqlite/errors.js'
import type { ReferenceGuard, SoftReference } from '../sqlite/reference-guard.js'
import type { Executor, StoreEngine } from '../sqlite/store-engine.js'
import type { BrainDatabase } from './brain.tables.js'
import type { VectorIndex } from './vector-index.js'
import type { BrainKnownReferences } from './brain.types.js'
export type { BrainKnownReferences } from './brain.types.js'

/** The executor of a brain transaction body. */
export type BrainExecutor = Executor<BrainDatabase>

/** The shared state of one brain handle. */
export interface BrainCore {
  /** Runs every statement: brain.db's SQLite connection, or a PostgreSQL schema. */
  readonly engine: StoreEngine<BrainDatabase>
  readonly clock: Clock
  readonly newId: () => string
  readonly vectors: VectorIndex
  readonly context: Required<ErrorContext>
  /** The workspace's cross-database write guard (tasks and sessions), if any. */
  readonly guard?: ReferenceGuard | undefined
  /** Every task and session id of tasks.db, when a workspace lets brain see them (maintenance). */
  readonly knownReferences?: BrainKnownReferences | undefined
}

/**
 * The tasks.db ids a memory input or patch names: decision contexts (task, epic)
 * and an observation's source session. Nulls (clearing a reference) are not checked.
 */
export function memoryReferences(input: Record<string, unknown>, at: ReadonlyArray<string | number> = []): SoftReference[] {
  const refs: SoftReference[] = []
  for (const [field, kind] of [['contextTaskId', 'task'], ['contextEpicId', 'task'], ['sourceSessionId', 'session']] as const) {
    const id = input[field]
    if (typeof id === 'string') refs.push({ kind, id, path: [...at, field] })
  }
  return refs
}
