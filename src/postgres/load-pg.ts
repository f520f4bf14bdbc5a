/**
 * node-postgres (`pg`) is an optional peer dependency: it is imported only when a
 * store is opened on PostgreSQL with a connection string, so users who never do
 * that never load it (and need not install it).
 *
 * @module
 */
import type { PostgresPool } from 'kysely'

import type { ErrorContext } from '../sqlite/errors.js'
import { CleoStoreError } from '../sqlite/errors.js'

/** What cleo-store sets on the pools it creates. */
export interface OwnedPoolConfig {
  readonly connectionString: string
  readonly max: number
  readonly application_name: string
  /** Longest wait for a row or table lock, per statement, in ms. */
  readonly lock_timeout: number
}

/** A pg `Pool` as cleo-store uses it: Kysely's pool interface plus the `error` event. */
export interface OwnedPool extends PostgresPool {
  on(event: 'error', listener: (error: Error) => void): unknown
}

/** The part of the `pg` module cleo-store uses. */
export interface PgModule {
  readonly Pool: new (config: OwnedPoolConfig) => OwnedPool
}

let loading: Promise<PgModule> | undefined

function isMissing(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && /\bpg\b/.test(String(message))
}

/**
 * Imports `pg` once. Throws `UNSUPPORTED` (with how to fix it) when it is not
 * installed.
 */
export function loadPg(context: ErrorContext = {}): Promise<PgModule> {
  loading ??= import('pg').then((module: unknown) => {
    const pg = ((module as { default?: unknown }).default ?? module) as Partial<PgModule>
    if (typeof pg.Pool !== 'function') throw new Error('the "pg" module has no Pool export')
    return pg as PgModule
  })
  return loading.catch((error: unknown) => {
    loading = undefined
    if (isMissing(error)) {
      throw new CleoStoreError(
        'UNSUPPORTED',
        'PostgreSQL needs the optional peer dependency "pg" (node-postgres): run `npm install pg`, or pass your own pg Pool',
        { ...context, cause: error },
      )
    }
    throw new CleoStoreError('UNSUPPORTED', `the "pg" module could not be loaded: ${String((error as Error)?.message ?? error)}`, {
      ...context,
      cause: error,
    })
  })
}
