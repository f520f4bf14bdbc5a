/**
 * The single place where PostgreSQL (node-postgres) failures become
 * {@link CleoStoreError}s, with the same codes the SQLite engine gives, so a
 * repository's callers branch on `error.code` whatever the engine:
 *
 * | PostgreSQL | code |
 * | --- | --- |
 * | `23505` unique_violation | `CONFLICT` |
 * | `23503` foreign_key, `23514` check, `23502` not_null, `23P01` exclusion, `23000`/`23001`, `40002`, class `22` data exceptions | `INVARIANT` |
 * | `40001` serialization_failure, `40P01` deadlock_detected, `55P03` lock_not_available, `57014` query_canceled (statement/lock timeout), `53300` too_many_connections | `BUSY` (transient: the transaction helper retries it whole) |
 * | `53100` disk_full | `STORAGE_FULL` |
 * | `25006` read_only_sql_transaction, `42501` insufficient_privilege | `READ_ONLY` |
 * | `3D000` no such database, `3F000` no such schema | `NOT_FOUND` |
 * | `XX001` data_corrupted, `XX002` index_corrupted | `CORRUPT` |
 * | `0A000` feature_not_supported | `UNSUPPORTED` |
 * | class `08` connection, `28` authentication, `53`/`58` resources and system, `57P0x` shutdown; `ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`, `ENOTFOUND`…; "Connection terminated" | `IO` |
 * | a pool that was ended, a destroyed driver | `CLOSED` |
 * | anything else | `INTERNAL` |
 *
 * `details` carry `sqlState` and, when PostgreSQL names them, `constraint`, `table`
 * and `column` — never the row values of PostgreSQL's `detail` field.
 *
 * @module
 */
import type { CleoStoreErrorCode, ErrorContext } from '../sqlite/errors.js'
import { CleoStoreError, toCleoStoreError } from '../sqlite/errors.js'

/** SQLSTATE codes with a fixed translation. */
const SQLSTATE_CODES: Readonly<Record<string, CleoStoreErrorCode>> = Object.freeze({
  '23505': 'CONFLICT',
  '23503': 'INVARIANT',
  '23514': 'INVARIANT',
  '23502': 'INVARIANT',
  '23P01': 'INVARIANT',
  '23000': 'INVARIANT',
  '23001': 'INVARIANT',
  '40002': 'INVARIANT',
  '40001': 'BUSY',
  '40P01': 'BUSY',
  '55P03': 'BUSY',
  '57014': 'BUSY',
  '53300': 'BUSY',
  '53100': 'STORAGE_FULL',
  '25006': 'READ_ONLY',
  '42501': 'READ_ONLY',
  '3D000': 'NOT_FOUND',
  '3F000': 'NOT_FOUND',
  XX001: 'CORRUPT',
  XX002: 'CORRUPT',
  '0A000': 'UNSUPPORTED',
})

/** SQLSTATE classes (first two characters) with a translation, when the code has none. */
const SQLSTATE_CLASSES: Readonly<Record<string, CleoStoreErrorCode>> = Object.freeze({
  '08': 'IO',
  '28': 'IO',
  '53': 'IO',
  '58': 'IO',
  '22': 'INVARIANT',
  '23': 'INVARIANT',
})

/** Socket-level failures of the connection to the server. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
])

/** Messages node-postgres (and Kysely's driver) use for a lost or refused connection. */
const CONNECTION_LOST = /connection terminated|connection error|not queryable|timeout exceeded when trying to connect|connection timeout/i
/** …and for a pool or driver that was shut down by its owner. */
const SHUT_DOWN = /after calling end on the pool|driver has already been destroyed|client was closed/i

interface PgErrorShape {
  code?: unknown
  severity?: unknown
  message?: unknown
  constraint?: unknown
  table?: unknown
  column?: unknown
}

/** The SQLSTATE of a PostgreSQL server error (a node-postgres `DatabaseError`), if it is one. */
export function postgresSqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { code, severity } = error as PgErrorShape
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof severity === 'string' ? code : undefined
}

/** The code a SQLSTATE translates to. */
export function codeOfSqlState(sqlState: string): CleoStoreErrorCode {
  if (sqlState.startsWith('57P')) return 'IO'
  return SQLSTATE_CODES[sqlState] ?? SQLSTATE_CLASSES[sqlState.slice(0, 2)] ?? 'INTERNAL'
}

/**
 * Translates anything node-postgres or Kysely's PostgreSQL driver throws into a
 * {@link CleoStoreError}; a `CleoStoreError` passes through unchanged.
 *
 * @example
 * ```ts
 * try {
 *   await client.query('INSERT INTO users …')
 * } catch (error) {
 *   throw toCleoStoreErrorFromPostgres(error, { store: 'signaldock', file: 'postgres://db.example/app' })
 * }
 * ```
 */
export function toCleoStoreErrorFromPostgres(error: unknown, context: ErrorContext = {}): CleoStoreError {
  if (error instanceof CleoStoreError) return error
  const where = context.file ? ` (${context.file})` : ''
  const e = (typeof error === 'object' && error !== null ? error : {}) as PgErrorShape
  const message = typeof e.message === 'string' ? e.message : String(error)
  const sqlState = postgresSqlState(error)
  if (sqlState !== undefined) {
    const details: Record<string, unknown> = { sqlState }
    for (const key of ['constraint', 'table', 'column'] as const) {
      if (typeof e[key] === 'string') details[key] = e[key]
    }
    const code = codeOfSqlState(sqlState)
    const text = code === 'IO' ? `PostgreSQL connection failure${where}: ${message}` : `${message}${where}`
    return new CleoStoreError(code, text, { ...context, cause: error, details })
  }
  // Several addresses tried (IPv6 and IPv4): Node reports an AggregateError of socket errors.
  const socket = error instanceof AggregateError ? ((error.errors[0] ?? {}) as PgErrorShape) : e
  if (typeof socket.code === 'string' && NETWORK_CODES.has(socket.code)) {
    const text = typeof socket.message === 'string' && socket.message !== '' ? socket.message : message
    return new CleoStoreError('IO', `cannot reach PostgreSQL${where}: ${text}`, {
      ...context,
      cause: error,
      details: { errno: socket.code },
    })
  }
  if (SHUT_DOWN.test(message)) {
    return new CleoStoreError('CLOSED', `the PostgreSQL pool was closed${where}: ${message}`, { ...context, cause: error })
  }
  if (CONNECTION_LOST.test(message)) {
    return new CleoStoreError('IO', `PostgreSQL connection lost${where}: ${message}`, { ...context, cause: error })
  }
  return toCleoStoreError(error, context)
}
