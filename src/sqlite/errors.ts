/**
 * The one error type cleo-store throws, and the single place where SQLite and
 * file-system failures are translated into it.
 *
 * @module
 */

/**
 * Machine-readable error codes. Callers branch on `error.code`, never on the message.
 *
 * | code | meaning |
 * | --- | --- |
 * | `VALIDATION` | input rejected before anything was written (`details.path` names the field) |
 * | `NOT_FOUND` | an id, file or directory that does not exist |
 * | `CONFLICT` | a uniqueness rule or an optimistic-concurrency version check failed |
 * | `CYCLE` | a dependency would close a cycle |
 * | `INVARIANT` | a domain rule enforced by the database (CHECK, foreign key, trigger) refused the write |
 * | `BUSY` | the write lock could not be taken within the busy timeout and the bounded retries |
 * | `STORAGE_FULL` | the disk (or `max_page_count`) is full; nothing was written |
 * | `CORRUPT` | the file is not a SQLite database, is truncated, or failed an integrity check |
 * | `WRONG_STORE` | the file is a SQLite database of another application or of another cleo store |
 * | `SCHEMA_TOO_NEW` | the file carries migrations this version does not know; it was left untouched |
 * | `MIGRATION_FAILED` | a migration failed (rolled back) or an applied migration was edited |
 * | `KEY_FILE` | a key file has the wrong size, mode or type |
 * | `LEASE_LOST` | a lease or fencing token is no longer held by the caller |
 * | `CLOSED` | the store or workspace was closed |
 * | `READ_ONLY` | the file or its directory cannot be written |
 * | `IO` | another operating-system or SQLite I/O failure |
 * | `UNSUPPORTED` | the runtime lacks something required (Node version, sqlite-vec) |
 * | `INTERNAL` | a bug in cleo-store; please report it |
 */
export type CleoStoreErrorCode =
  | 'VALIDATION'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'CYCLE'
  | 'INVARIANT'
  | 'BUSY'
  | 'STORAGE_FULL'
  | 'CORRUPT'
  | 'WRONG_STORE'
  | 'SCHEMA_TOO_NEW'
  | 'MIGRATION_FAILED'
  | 'KEY_FILE'
  | 'LEASE_LOST'
  | 'CLOSED'
  | 'READ_ONLY'
  | 'IO'
  | 'UNSUPPORTED'
  | 'INTERNAL'

/** Where an error happened: the store name and the database file, when known. */
export interface ErrorContext {
  /** Store name (`tasks`, `brain`, …) or another component (`workspace`, `kdf`). */
  readonly store?: string
  /** Absolute path of the file concerned, or `:memory:`. */
  readonly file?: string
}

/** Options of {@link CleoStoreError}. */
export interface CleoStoreErrorOptions extends ErrorContext {
  /** The underlying error (SQLite, file system, zod). */
  readonly cause?: unknown
  /** Structured facts about the failure (a field path, a cycle path, a limit). Never secrets. */
  readonly details?: Readonly<Record<string, unknown>>
}

/**
 * Every error cleo-store throws on purpose is a `CleoStoreError`.
 *
 * @example
 * ```ts
 * try {
 *   await ws.tasks.create({ title: '' })
 * } catch (error) {
 *   if (error instanceof CleoStoreError && error.code === 'VALIDATION') {
 *     console.log(error.details?.path) // ['title']
 *   }
 * }
 * ```
 */
export class CleoStoreError extends Error {
  override readonly name = 'CleoStoreError'
  /** Machine-readable code; see {@link CleoStoreErrorCode}. */
  readonly code: CleoStoreErrorCode
  /** Store or component concerned, when known. */
  readonly store: string | undefined
  /** File concerned, when known. */
  readonly file: string | undefined
  /** Structured facts about the failure. */
  readonly details: Readonly<Record<string, unknown>> | undefined

  constructor(code: CleoStoreErrorCode, message: string, options: CleoStoreErrorOptions = {}) {
    super(`${code}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.store = options.store
    this.file = options.file
    this.details = options.details
  }
}

/**
 * True when `error` is a {@link CleoStoreError}, optionally with the given code.
 *
 * @example
 * ```ts
 * if (isCleoStoreError(error, 'BUSY')) retryLater()
 * ```
 */
export function isCleoStoreError(error: unknown, code?: CleoStoreErrorCode): error is CleoStoreError {
  return error instanceof CleoStoreError && (code === undefined || error.code === code)
}

/** SQLite primary result codes we translate (the low byte of an extended code). */
const SQLITE = {
  ERROR: 1,
  INTERNAL: 2,
  PERM: 3,
  ABORT: 4,
  BUSY: 5,
  LOCKED: 6,
  NOMEM: 7,
  READONLY: 8,
  INTERRUPT: 9,
  IOERR: 10,
  CORRUPT: 11,
  FULL: 13,
  CANTOPEN: 14,
  PROTOCOL: 15,
  CONSTRAINT: 19,
  MISMATCH: 20,
  NOTADB: 26,
} as const

/** Extended constraint codes. */
const CONSTRAINT_PRIMARYKEY = 1555
const CONSTRAINT_UNIQUE = 2067

interface SqliteErrorShape {
  code?: unknown
  errcode?: unknown
  errstr?: unknown
  message?: unknown
}

/** The extended SQLite result code of a node:sqlite error, if it is one. */
export function sqliteErrorCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const e = error as SqliteErrorShape
  return e.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number' ? e.errcode : undefined
}

const FS_CODES: Readonly<Record<string, CleoStoreErrorCode>> = {
  ENOENT: 'NOT_FOUND',
  ENOTDIR: 'NOT_FOUND',
  EACCES: 'READ_ONLY',
  EPERM: 'READ_ONLY',
  EROFS: 'READ_ONLY',
  ENOSPC: 'STORAGE_FULL',
  EDQUOT: 'STORAGE_FULL',
}

/**
 * Translates any thrown value into a {@link CleoStoreError}. A `CleoStoreError`
 * passes through unchanged; SQLite and file-system errors get their code; anything
 * else becomes `INTERNAL`. This is the only translation point of the library.
 */
export function toCleoStoreError(error: unknown, context: ErrorContext = {}): CleoStoreError {
  if (error instanceof CleoStoreError) return error
  const where = context.file ? ` (${context.file})` : ''
  const errcode = sqliteErrorCode(error)
  if (errcode !== undefined) {
    const message = String((error as SqliteErrorShape).message ?? 'SQLite error')
    const options = { ...context, cause: error, details: { sqliteCode: errcode } }
    switch (errcode & 0xff) {
      case SQLITE.BUSY:
      case SQLITE.LOCKED:
        return new CleoStoreError('BUSY', `database is locked by another connection${where}: ${message}`, options)
      case SQLITE.CONSTRAINT:
        return errcode === CONSTRAINT_UNIQUE || errcode === CONSTRAINT_PRIMARYKEY
          ? new CleoStoreError('CONFLICT', message, options)
          : new CleoStoreError('INVARIANT', message, options)
      case SQLITE.FULL:
        return new CleoStoreError('STORAGE_FULL', `database or disk is full${where}`, options)
      case SQLITE.CORRUPT:
      case SQLITE.NOTADB:
        return new CleoStoreError('CORRUPT', `not a valid database file${where}: ${message}`, options)
      case SQLITE.READONLY:
      case SQLITE.PERM:
        return new CleoStoreError('READ_ONLY', `cannot write${where}: ${message}`, options)
      case SQLITE.IOERR:
      case SQLITE.CANTOPEN:
        return new CleoStoreError('IO', `I/O failure${where}: ${message}`, options)
      default:
        return new CleoStoreError('INTERNAL', `${message}${where}`, options)
    }
  }
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown }
    if (code === 'ERR_INVALID_STATE' && /not open/i.test(String(message))) {
      return new CleoStoreError('CLOSED', `database is closed${where}`, { ...context, cause: error })
    }
    if (typeof code === 'string' && code in FS_CODES) {
      return new CleoStoreError(FS_CODES[code]!, `${String(message)}`, { ...context, cause: error })
    }
  }
  const message = error instanceof Error ? error.message : String(error)
  return new CleoStoreError('INTERNAL', `${message}${where}`, { ...context, cause: error })
}
