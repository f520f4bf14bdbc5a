/**
 * What every signaldock aggregate works with: an async Kysely (the only way the
 * aggregates touch the database, so the same code runs on another Kysely dialect),
 * the injected clock, an id generator, the error context, and {@link transact}.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises'

import type { Kysely, Transaction } from 'kysely'

import type { Clock } from '../sqlite/clock.js'
import { toIso } from '../sqlite/clock.js'
import type { ErrorContext } from '../sqlite/errors.js'
import { CleoStoreError, isCleoStoreError } from '../sqlite/errors.js'
import type { SignaldockDatabase } from './signaldock.tables.js'

/** How {@link transact} retries a transaction that met a busy database. */
export interface SignaldockTransactionRetryPolicy {
  /** Total attempts, the first included (default 5). */
  readonly attempts: number
  /** Base of the exponential backoff in ms (default 20). */
  readonly baseDelayMs: number
  /** Cap of one delay in ms (default 500). */
  readonly maxDelayMs: number
  /** Which errors are worth retrying (default: `BUSY`). */
  readonly retryable: (error: unknown) => boolean
}

/** The default {@link SignaldockTransactionRetryPolicy}. */
export const DEFAULT_TRANSACTION_RETRY: SignaldockTransactionRetryPolicy = Object.freeze({
  attempts: 5,
  baseDelayMs: 20,
  maxDelayMs: 500,
  retryable: (error: unknown) => isCleoStoreError(error, 'BUSY'),
})

/** Internal services shared by the aggregates of one repository. */
export interface SignaldockContext {
  readonly kysely: Kysely<SignaldockDatabase>
  readonly clock: Clock
  readonly newId: () => string
  readonly errors: Required<ErrorContext>
  readonly retry: SignaldockTransactionRetryPolicy
}

/**
 * Runs `fn` in one Kysely transaction (on node:sqlite begun `IMMEDIATE`; read-only
 * ones `DEFERRED`), and retries the whole transaction with jittered backoff when it
 * fails with a retryable error (BUSY). `fn` may run more than once: it must only
 * touch the database through `trx`.
 */
export async function transact<T>(
  ctx: SignaldockContext,
  fn: (trx: Transaction<SignaldockDatabase>) => Promise<T>,
  options: { readOnly?: boolean } = {},
): Promise<T> {
  const policy = ctx.retry
  for (let attempt = 1; ; attempt++) {
    try {
      let builder = ctx.kysely.transaction()
      if (options.readOnly) builder = builder.setAccessMode('read only')
      return await builder.execute(fn)
    } catch (error) {
      if (!policy.retryable(error) || attempt >= policy.attempts) {
        if (policy.retryable(error)) {
          throw new CleoStoreError('BUSY', `${ctx.errors.store}: transaction still busy after ${attempt} attempts`, {
            ...ctx.errors,
            cause: error,
            details: { attempts: attempt },
          })
        }
        throw error
      }
      await sleep(Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)))
    }
  }
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
