/**
 * The one error type cleo-store throws, and the single place where SQLite and
 * file-system failures are translated into it.
 *
 * @module
 */
import type { CleoLegacyStore } from './cleo-legacy.js'

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

// --- typed error details (issue 15 item 3) ---

/**
 * A field path into an input: property names and array indexes, outermost first.
 *
 * @example
 * ```ts
 * const path: CleoStoreFieldPath = ['items', 3, 'title'] // input.items[3].title
 * ```
 */
export type CleoStoreFieldPath = readonly (string | number)[]

/**
 * One problem of a rejected input (`VALIDATION` lists them all in `details.issues`).
 *
 * @example
 * ```ts
 * if (isCleoStoreError(e, 'VALIDATION')) for (const issue of e.details?.issues ?? []) console.log(issue.path.join('.'), issue.message)
 * ```
 */
export interface CleoStoreValidationIssue {
  readonly path: CleoStoreFieldPath
  readonly message: string
}

/**
 * Extra facts any error's `details` may carry besides the typed ones of its code
 * (read them with `details['name']`; they are `unknown` until checked).
 *
 * @example
 * ```ts
 * if (isCleoStoreError(e, 'CONFLICT') && typeof e.details?.['holder'] === 'string') console.log(e.details['holder'])
 * ```
 */
export interface CleoStoreOtherDetails {
  readonly [fact: string]: unknown
}

/**
 * The shape of `error.details` per error code. The named fields are the ones the
 * library sets (optional where only some failures set them); other facts may
 * appear as `unknown`. `details` itself is `undefined` when a failure has none.
 * Narrow with {@link isCleoStoreError}.
 *
 * @example
 * ```ts
 * if (isCleoStoreError(error, 'CYCLE')) console.log(error.details?.path.join(' → '))
 * if (isCleoStoreError(error, 'VALIDATION')) console.log(error.details?.path, error.details?.issues)
 * ```
 */
export interface CleoStoreErrorDetails {
  /** `path` names the (first) offending field; `issues` lists every problem (schema validation). */
  readonly VALIDATION: CleoStoreOtherDetails & {
    readonly path?: CleoStoreFieldPath
    readonly issues?: readonly CleoStoreValidationIssue[]
    /** The operation that rejected the input, e.g. `tasks.create`. */
    readonly operation?: string
  }
  /** The missing thing's `id` and `kind` (or the `path` of the input naming it), when known. */
  readonly NOT_FOUND: CleoStoreOtherDetails & {
    readonly id?: string | number
    readonly kind?: string
    readonly path?: CleoStoreFieldPath
  }
  /** The conflicting record's id and, for version checks, the versions. */
  readonly CONFLICT: CleoStoreOtherDetails & {
    readonly id?: string
    readonly existingId?: string
    readonly expectedVersion?: number
    readonly sqliteCode?: number
  }
  /** `path`: the ids along the cycle that the change would close, first = last. */
  readonly CYCLE: CleoStoreOtherDetails & { readonly path: readonly string[] }
  /** The record concerned and the rule, status or transition refused. */
  readonly INVARIANT: CleoStoreOtherDetails & {
    readonly id?: string
    readonly status?: string
    readonly from?: string
    readonly to?: string
    readonly sqliteCode?: number
  }
  /** `attempts` and `waitedMs` once the retries are exhausted; `sqliteCode` for one failed statement. */
  readonly BUSY: CleoStoreOtherDetails & {
    readonly attempts?: number
    readonly waitedMs?: number
    readonly reason?: string
    readonly sqliteCode?: number
  }
  readonly STORAGE_FULL: CleoStoreOtherDetails & { readonly sqliteCode?: number }
  readonly CORRUPT: CleoStoreOtherDetails & { readonly reason?: string; readonly sqliteCode?: number }
  /**
   * The file's `application_id` and its tables (a count for SQLite, up to 20 names for PostgreSQL);
   * `reason` (`'not-a-file'`, `'cleo-legacy'`, …) and, for CLEO's own files, `cleoStore`: which CLEO store it is.
   */
  readonly WRONG_STORE: CleoStoreOtherDetails & {
    readonly applicationId?: number
    readonly tables?: number | readonly string[]
    readonly reason?: string
    readonly cleoStore?: CleoLegacyStore
  }
  /** The migrations in the file that this version does not know. */
  readonly SCHEMA_TOO_NEW: CleoStoreOtherDetails & { readonly unknownMigrations?: readonly string[] }
  /** The migration that failed or was edited. */
  readonly MIGRATION_FAILED: CleoStoreOtherDetails & { readonly migration?: string | undefined }
  readonly KEY_FILE: CleoStoreOtherDetails
  /** The lease or claim that is no longer held: its `token` (fencing number or claim token). */
  readonly LEASE_LOST: CleoStoreOtherDetails & { readonly token?: string | number | null }
  readonly CLOSED: CleoStoreOtherDetails
  readonly READ_ONLY: CleoStoreOtherDetails & { readonly sqliteCode?: number }
  readonly IO: CleoStoreOtherDetails & { readonly sqliteCode?: number }
  /** `missing`: the optional package or runtime feature that is absent (e.g. `sqlite-vec`). */
  readonly UNSUPPORTED: CleoStoreOtherDetails & { readonly missing?: string; readonly path?: CleoStoreFieldPath }
  readonly INTERNAL: CleoStoreOtherDetails & { readonly sqliteCode?: number }
}

/**
 * The `details` type of errors with `code` (untyped facts for a code without an entry).
 *
 * @example
 * ```ts
 * const details: CleoStoreErrorDetailsOf<'BUSY'> = { attempts: 3, waitedMs: 5000 }
 * ```
 */
export type CleoStoreErrorDetailsOf<C extends CleoStoreErrorCode> = C extends keyof CleoStoreErrorDetails
  ? CleoStoreErrorDetails[C]
  : CleoStoreOtherDetails

/**
 * A `CleoStoreError` whose type is the union of one member per code, so that
 * checking `error.code` narrows `error.details` (what `isCleoStoreError(error)`
 * returns).
 *
 * @example
 * ```ts
 * function explain(error: AnyCleoStoreError): string {
 *   switch (error.code) {
 *     case 'CYCLE': return `cycle: ${error.details?.path.join(' → ')}`
 *     case 'BUSY': return `busy after ${error.details?.attempts ?? 1} attempts`
 *     default: return error.message
 *   }
 * }
 * ```
 */
export type AnyCleoStoreError = { [C in CleoStoreErrorCode]: CleoStoreError<C> }[CleoStoreErrorCode]

// --- end typed error details ---

/** Options of {@link CleoStoreError}. */
export interface CleoStoreErrorOptions<C extends CleoStoreErrorCode = CleoStoreErrorCode> extends ErrorContext {
  /** The underlying error (SQLite, file system, zod). */
  readonly cause?: unknown
  /** Structured facts about the failure (a field path, a cycle path, a limit). Never secrets. */
  readonly details?: CleoStoreErrorDetailsOf<C>
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
export class CleoStoreError<C extends CleoStoreErrorCode = CleoStoreErrorCode> extends Error {
  override readonly name = 'CleoStoreError'
  /** Machine-readable code; see {@link CleoStoreErrorCode}. */
  readonly code: C
  /** Store or component concerned, when known. */
  readonly store: string | undefined
  /** File concerned, when known. */
  readonly file: string | undefined
  /** Structured facts about the failure; typed per code (see {@link CleoStoreErrorDetails}). */
  readonly details: CleoStoreErrorDetailsOf<C> | undefined

  constructor(code: C, message: string, options: CleoStoreErrorOptions<C> = {}) {
    super(`${code}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.store = options.store
    this.file = options.file
    this.details = options.details
  }
}

/**
 * True when `error` is a {@link CleoStoreError}, optionally with the given code (or
 * one of the given codes). The check narrows: with a code, `error.code` is that code
 * and `error.details` has that code's shape ({@link CleoStoreErrorDetails}); without,
 * `error` is an {@link AnyCleoStoreError}, so a `switch (error.code)` narrows too.
 *
 * @example
 * ```ts
 * if (isCleoStoreError(error, 'BUSY')) retryLater(error.details?.attempts)
 * if (isCleoStoreError(error, 'CYCLE')) console.log(error.details?.path.join(' → '))
 * if (isCleoStoreError(error, ['NOT_FOUND', 'CLOSED'])) return null
 * ```
 */
export function isCleoStoreError(error: unknown): error is AnyCleoStoreError
export function isCleoStoreError<C extends CleoStoreErrorCode>(error: unknown, code: C | readonly C[]): error is { [K in C]: CleoStoreError<K> }[C]
export function isCleoStoreError(error: unknown, code?: CleoStoreErrorCode | readonly CleoStoreErrorCode[]): boolean {
  if (!(error instanceof CleoStoreError)) return false
  if (code === undefined) return true
  return typeof code === 'string' ? error.code === code : code.includes(error.code)
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

/** File-system (`uv`) error codes, by the code of the `CleoStoreError` they become. */
const FS_CODES: Readonly<Record<string, CleoStoreErrorCode>> = {
  ENOENT: 'NOT_FOUND',
  ENOTDIR: 'NOT_FOUND',
  EACCES: 'READ_ONLY',
  EPERM: 'READ_ONLY',
  EROFS: 'READ_ONLY',
  ENOSPC: 'STORAGE_FULL',
  EDQUOT: 'STORAGE_FULL',
  EFBIG: 'STORAGE_FULL', // file too large for the file system or RLIMIT_FSIZE (SQLite: SQLITE_FULL)
  // the operating system failed: not a bug of cleo-store
  EIO: 'IO',
  EMFILE: 'IO',
  ENFILE: 'IO',
  EBUSY: 'IO',
  EXDEV: 'IO',
  ENXIO: 'IO',
  ETXTBSY: 'IO',
  EISDIR: 'IO',
  ELOOP: 'IO',
  ENAMETOOLONG: 'IO',
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
    // own keys only: a `code` of 'toString' or 'constructor' must not read the prototype
    const fsCode = typeof code === 'string' && Object.hasOwn(FS_CODES, code) ? FS_CODES[code] : undefined
    if (fsCode !== undefined) return new CleoStoreError(fsCode, `${String(message)}`, { ...context, cause: error })
  }
  const message = error instanceof Error ? error.message : String(error)
  return new CleoStoreError('INTERNAL', `${message}${where}`, { ...context, cause: error })
}
