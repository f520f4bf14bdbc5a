/**
 * What every signaldock aggregate works with: an async Kysely (the only way the
 * aggregates touch the database, so the same code runs on SQLite and on
 * PostgreSQL), the injected clock, an id generator, the error context, and the
 * engine's transaction runner ({@link transact}).
 *
 * @module
 */
import type { Kysely, Transaction } from 'kysely'

import type { Clock } from '../sqlite/clock.js'
import { toIso } from '../sqlite/clock.js'
import type { ErrorContext } from '../sqlite/errors.js'
import { CleoStoreError } from '../sqlite/errors.js'
import type { SignaldockDatabase } from './signaldock.tables.js'

/** Options of one transaction. */
export interface SignaldockTransactionOptions {
  /** Only reads: a shared snapshot, no write lock (SQLite `BEGIN DEFERRED`; PostgreSQL `REPEATABLE READ READ ONLY`). */
  readonly readOnly?: boolean
}

/** Runs `fn` in one transaction of the engine, retried whole while the engine reports `BUSY`. */
export type SignaldockTransactionRunner = <T>(
  fn: (trx: Transaction<SignaldockDatabase>) => Promise<T>,
  options: SignaldockTransactionOptions,
) => Promise<T>

/** Internal services shared by the aggregates of one repository. */
export interface SignaldockContext {
  readonly kysely: Kysely<SignaldockDatabase>
  readonly clock: Clock
  readonly newId: () => string
  readonly errors: Required<ErrorContext>
  readonly transaction: SignaldockTransactionRunner
}

/**
 * Runs `fn` in one transaction — the single transaction helper of signaldock. The
 * engine decides how: on SQLite `BEGIN IMMEDIATE` (read-only: `DEFERRED`); on
 * PostgreSQL `SERIALIZABLE` (read-only: `REPEATABLE READ READ ONLY`). A transaction
 * that fails with `BUSY` (a locked SQLite file; a PostgreSQL serialization failure
 * or deadlock) is retried whole, with jittered backoff, by the engine's
 * `retryWhileBusy` until the busy timeout; then `BUSY` is thrown. `fn` may run more
 * than once: it must touch the database only through `trx`.
 */
export function transact<T>(
  ctx: SignaldockContext,
  fn: (trx: Transaction<SignaldockDatabase>) => Promise<T>,
  options: SignaldockTransactionOptions = {},
): Promise<T> {
  return ctx.transaction(fn, options)
}

/** Epoch ms of a `bigint` column (number on SQLite, string on PostgreSQL). */
export function ms(value: number | string): number {
  return Number(value)
}

/** ISO string of a `bigint` epoch-ms column. */
export function iso(value: number | string): string {
  return toIso(Number(value))
}

/** ISO string of a nullable `bigint` epoch-ms column. */
export function isoOrNull(value: number | string | null): string | null {
  return value === null ? null : toIso(Number(value))
}

/** `NOT_FOUND` for a missing agent slug. */
export function agentNotFound(ctx: SignaldockContext, agentId: string): CleoStoreError {
  return new CleoStoreError('NOT_FOUND', `agent ${JSON.stringify(agentId)} is not registered`, {
    ...ctx.errors,
    details: { agentId },
  })
}

/** Resolves agent slugs to internal ids inside `trx`; throws NOT_FOUND for a missing one. */
export async function requireAgentKey(
  ctx: SignaldockContext,
  trx: Kysely<SignaldockDatabase>,
  agentId: string,
): Promise<string> {
  const row = await trx.selectFrom('agents').select('id').where('agent_id', '=', agentId).executeTakeFirst()
  if (!row) throw agentNotFound(ctx, agentId)
  return row.id
}
