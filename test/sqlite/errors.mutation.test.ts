/**
 * The single translation point of errors (`toCleoStoreError`), the details the
 * mutation run of `src/sqlite/errors.ts` showed untested (issue 14 item 14): every
 * SQLite result class, the message, `store`/`file`, `cause` and `details` each
 * translation carries, and `isCleoStoreError` with a list of codes.
 */
import { DatabaseSync } from 'node:sqlite'
import { describe, expect, it } from 'vitest'

import { CleoStoreError, isCleoStoreError, sqliteErrorCode, toCleoStoreError } from '../../src/sqlite/errors.js'

const CONTEXT = { store: 'tasks', file: '/data/.cleo/tasks.db' }

/** The error node:sqlite throws for a failed statement, with its extended result code. */
function sqliteError(errcode: number, message = 'boom'): Error {
  return Object.assign(new Error(message), { code: 'ERR_SQLITE_ERROR', errcode, errstr: 'x' })
}

/** The error a real node:sqlite statement throws. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to throw')
}

describe('toCleoStoreError: SQLite result codes', () => {
  it.each([
    // [extended result code, code, message]
    [5, 'BUSY', 'database is locked by another connection (/data/.cleo/tasks.db): boom'],
    [6, 'BUSY', 'database is locked by another connection (/data/.cleo/tasks.db): boom'], // SQLITE_LOCKED
    [262, 'BUSY', 'database is locked by another connection (/data/.cleo/tasks.db): boom'], // SQLITE_LOCKED_SHAREDCACHE
    [2067, 'CONFLICT', 'boom'], // CONSTRAINT_UNIQUE
    [1555, 'CONFLICT', 'boom'], // CONSTRAINT_PRIMARYKEY
    [275, 'INVARIANT', 'boom'], // CONSTRAINT_CHECK
    [1299, 'INVARIANT', 'boom'], // CONSTRAINT_NOTNULL
    [13, 'STORAGE_FULL', 'database or disk is full (/data/.cleo/tasks.db)'],
    [11, 'CORRUPT', 'not a valid database file (/data/.cleo/tasks.db): boom'],
    [26, 'CORRUPT', 'not a valid database file (/data/.cleo/tasks.db): boom'], // NOTADB
    [8, 'READ_ONLY', 'cannot write (/data/.cleo/tasks.db): boom'],
    [3, 'READ_ONLY', 'cannot write (/data/.cleo/tasks.db): boom'], // SQLITE_PERM
    [10, 'IO', 'I/O failure (/data/.cleo/tasks.db): boom'],
    [266, 'IO', 'I/O failure (/data/.cleo/tasks.db): boom'], // IOERR_READ
    [14, 'IO', 'I/O failure (/data/.cleo/tasks.db): boom'], // CANTOPEN
    [1, 'INTERNAL', 'boom (/data/.cleo/tasks.db)'], // SQLITE_ERROR: a bad statement is a bug
    [20, 'INTERNAL', 'boom (/data/.cleo/tasks.db)'], // MISMATCH
  ] as const)('errcode %i → %s', (errcode, code, message) => {
    const cause = sqliteError(errcode)
    const e = toCleoStoreError(cause, CONTEXT)
    expect(e).toBeInstanceOf(CleoStoreError)
    expect(e.code).toBe(code)
    expect(e.message).toBe(`${code}: ${message}`)
    expect(e.store).toBe('tasks')
    expect(e.file).toBe('/data/.cleo/tasks.db')
    expect(e.cause).toBe(cause)
    expect(e.details).toEqual({ sqliteCode: errcode })
  })

  it('without a file the message names none; without a message it says "SQLite error"', () => {
    expect(toCleoStoreError(sqliteError(5)).message).toBe('BUSY: database is locked by another connection: boom')
    expect(toCleoStoreError(sqliteError(13)).message).toBe('STORAGE_FULL: database or disk is full')
    const bare = Object.assign(Object.create(null) as object, { code: 'ERR_SQLITE_ERROR', errcode: 1 })
    expect(toCleoStoreError(bare).message).toBe('INTERNAL: SQLite error')
  })

  it('only node:sqlite errors with a numeric errcode are SQLite errors', () => {
    expect(sqliteErrorCode(sqliteError(19))).toBe(19)
    expect(sqliteErrorCode(Object.assign(new Error('x'), { code: 'ERR_SQLITE_ERROR', errcode: '19' }))).toBeUndefined()
    expect(sqliteErrorCode(Object.assign(new Error('x'), { code: 'SQLITE_ERROR', errcode: 19 }))).toBeUndefined()
    expect(sqliteErrorCode(null)).toBeUndefined()
    expect(sqliteErrorCode('ERR_SQLITE_ERROR')).toBeUndefined()
    expect(toCleoStoreError(Object.assign(new Error('x'), { code: 'ERR_SQLITE_ERROR', errcode: '5' })).code).toBe('INTERNAL')
  })

  it('a real UNIQUE violation and a real statement on a closed database', () => {
    const db = new DatabaseSync(':memory:')
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)')
    db.exec("INSERT INTO t (name) VALUES ('a')")
    const unique = toCleoStoreError(thrownBy(() => db.exec("INSERT INTO t (name) VALUES ('a')")), CONTEXT)
    expect(unique.code).toBe('CONFLICT')
    expect(unique.details).toEqual({ sqliteCode: 2067 })
    db.close()
    const closed = toCleoStoreError(thrownBy(() => db.exec('SELECT 1')), CONTEXT)
    expect(closed.code).toBe('CLOSED')
    expect(closed.message).toBe('CLOSED: database is closed (/data/.cleo/tasks.db)')
    expect(closed.store).toBe('tasks')
  })
})

describe('toCleoStoreError: everything else', () => {
  it('a file-system error keeps its message and carries the context and the cause', () => {
    const cause = Object.assign(new Error("EIO: i/o error, read '/x'"), { code: 'EIO' })
    const e = toCleoStoreError(cause, CONTEXT)
    expect(e.message).toBe("IO: EIO: i/o error, read '/x'")
    expect(e).toMatchObject({ store: 'tasks', file: '/data/.cleo/tasks.db', details: undefined })
    expect(e.cause).toBe(cause)
  })

  it('ERR_INVALID_STATE is CLOSED only when it says the database is not open', () => {
    const notOpen = Object.assign(new Error('database is not open'), { code: 'ERR_INVALID_STATE' })
    expect(toCleoStoreError(notOpen).code).toBe('CLOSED')
    expect(toCleoStoreError(notOpen).message).toBe('CLOSED: database is closed')
    const other = Object.assign(new Error('some other invalid state'), { code: 'ERR_INVALID_STATE' })
    expect(toCleoStoreError(other).code).toBe('INTERNAL')
  })

  it('anything else is INTERNAL with its message and the file, and keeps the cause', () => {
    const bug = new TypeError('x is not a function')
    const e = toCleoStoreError(bug, CONTEXT)
    expect(e.message).toBe('INTERNAL: x is not a function (/data/.cleo/tasks.db)')
    expect(e.cause).toBe(bug)
    expect(e.store).toBe('tasks')
    expect(toCleoStoreError('a string').message).toBe('INTERNAL: a string')
    expect(toCleoStoreError(undefined).message).toBe('INTERNAL: undefined')
    expect(toCleoStoreError(null).message).toBe('INTERNAL: null')
    // "not open" in a message is CLOSED only from node:sqlite's ERR_INVALID_STATE
    expect(toCleoStoreError(Object.assign(new Error('the port is not open'), { code: 'EBADF' })).code).toBe('INTERNAL')
    expect(toCleoStoreError(new Error('database is not open')).code).toBe('INTERNAL')
    const same = new CleoStoreError('CYCLE', 'x', { details: { path: ['T1', 'T1'] } })
    expect(toCleoStoreError(same, CONTEXT)).toBe(same)
  })

  it('a CleoStoreError without a cause has none; with one it keeps it', () => {
    expect('cause' in new CleoStoreError('IO', 'x')).toBe(false)
    const cause = new Error('inner')
    expect(new CleoStoreError('IO', 'x', { cause }).cause).toBe(cause)
    expect(new CleoStoreError('IO', 'x').name).toBe('CleoStoreError')
  })
})

describe('isCleoStoreError', () => {
  it('with no code, one code or a list of codes', () => {
    const e = new CleoStoreError('BUSY', 'x')
    expect(isCleoStoreError(e)).toBe(true)
    expect(isCleoStoreError(new Error('BUSY: x'))).toBe(false)
    expect(isCleoStoreError({ code: 'BUSY' })).toBe(false)
    expect(isCleoStoreError(e, 'BUSY')).toBe(true)
    expect(isCleoStoreError(e, 'IO')).toBe(false)
    expect(isCleoStoreError(e, ['IO', 'BUSY'])).toBe(true)
    expect(isCleoStoreError(e, ['IO', 'CLOSED'])).toBe(false)
    expect(isCleoStoreError(e, [])).toBe(false)
    // a code is compared whole: 'IO' is inside 'VALIDATION' but is not it
    expect(isCleoStoreError(new CleoStoreError('IO', 'x'), 'VALIDATION')).toBe(false)
  })
})
