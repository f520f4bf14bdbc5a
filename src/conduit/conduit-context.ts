/**
 * What every conduit aggregate shares: the store engine, the injected clock and
 * randomness, the id generator, and small helpers for errors. Internal.
 *
 * @module
 */
import type { Clock } from '../sqlite/clock.js'
import type { Executor, StoreEngine } from '../sqlite/store-engine.js'
import type { ErrorContext } from '../sqlite/errors.js'
import { CleoStoreError } from '../sqlite/errors.js'
import type { ReferenceGuard } from '../sqlite/reference-guard.js'
import { quote } from '../sqlite/validate.js'
import type { ConduitDatabase } from './conduit.tables.js'

/** @internal What a conduit transaction body runs its statements with. */
export type ConduitExecutor = Executor<ConduitDatabase>

/** @internal The shared state of a {@link ConduitRepository}'s aggregates. */
export interface ConduitContext {
  /** Where the rows live (SQLite or a PostgreSQL schema): every statement goes through it. */
  readonly engine: StoreEngine<ConduitDatabase>
  readonly clock: Clock
  /** Returns a number in [0, 1): backoff jitter. */
  readonly random: () => number
  /** Returns a fresh UUIDv7. */
  readonly nextId: () => string
  readonly errorContext: Required<ErrorContext>
  /** The workspace's cross-database write guard (signaldock agents), if any. */
  readonly guard?: ReferenceGuard | undefined
}

/** UTF-8 length of a string. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

/** A `VALIDATION` error for content over a size limit. */
export function tooLarge(
  ctx: ConduitContext,
  operation: string,
  path: string[],
  size: number,
  limit: number,
): CleoStoreError {
  return new CleoStoreError(
    'VALIDATION',
    `${operation}: ${path.join('.')} is ${size} bytes; the limit is ${limit} bytes`,
    { ...ctx.errorContext, details: { operation, path, size, limit } },
  )
}

/** A `NOT_FOUND` error quoting the missing id. */
export function notFound(ctx: ConduitContext, what: string, id: string | number, details: Record<string, unknown> = {}): CleoStoreError {
  return new CleoStoreError('NOT_FOUND', `${what} ${quote(id)} not found`, {
    ...ctx.errorContext,
    details: { what, id, ...details },
  })
}

/** An `INVARIANT` error (a domain rule refused the write). */
export function invariant(ctx: ConduitContext, message: string, details: Record<string, unknown> = {}): CleoStoreError {
  return new CleoStoreError('INVARIANT', message, { ...ctx.errorContext, details })
}

/** A `VALIDATION` error for a rule zod cannot see (it spans several inputs). */
export function invalid(ctx: ConduitContext, operation: string, path: string[], message: string, value: unknown): CleoStoreError {
  return new CleoStoreError('VALIDATION', `${operation}: ${path.join('.')}: ${message} (got ${quote(value)})`, {
    ...ctx.errorContext,
    details: { operation, path },
  })
}

/**
 * A `VALIDATION` error for a `wait` called inside `conduit.transaction()`: the
 * transaction holds the write lock while it waits, so nothing could arrive.
 */
export function waitInTransaction(ctx: ConduitContext, operation: string): CleoStoreError {
  return new CleoStoreError(
    'VALIDATION',
    `${operation}: cannot wait inside conduit.transaction() (it holds the write lock until it ends, so nothing could arrive); wait before or after it`,
    { ...ctx.errorContext, details: { operation, path: [] } },
  )
}
