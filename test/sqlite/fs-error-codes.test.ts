/**
 * File-system errors (Node's `SystemError` shape: `code`, `errno`, `syscall`, `path`)
 * translated by `toCleoStoreError` — issue 14 item 14 follow-up: an `EIO` was `INTERNAL`
 * ("a bug in cleo-store") although it is the disk failing, which is `IO`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

import { toCleoStoreError } from '../../src/sqlite/errors.js'
import { tempDir } from '../helpers.js'

/** An error shaped like the ones `node:fs` throws (`uv` code, negative errno, syscall, path). */
function systemError(code: string, errno: number, syscall = 'read', path = '/data/.cleo/tasks.db'): Error {
  return Object.assign(new Error(`${code}: failure, ${syscall} '${path}'`), { code, errno, syscall, path })
}

/** The error a real `node:fs` call throws. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to throw')
}

describe('toCleoStoreError: file-system codes', () => {
  it('an EIO (the disk failed a read or write) is IO, not INTERNAL', () => {
    const cause = systemError('EIO', -5)
    const e = toCleoStoreError(cause, { store: 'tasks', file: '/data/.cleo/tasks.db' })
    expect(e.code).toBe('IO')
    expect(e.cause).toBe(cause)
    expect(e.store).toBe('tasks')
  })

  it.each([
    // [code, errno, expected]: other operating-system failures that are not a bug of cleo-store
    ['EIO', -5, 'IO'],
    ['EMFILE', -24, 'IO'], // too many open files in this process
    ['ENFILE', -23, 'IO'], // too many open files in the system
    ['EBUSY', -16, 'IO'], // device or resource busy
    ['EXDEV', -18, 'IO'], // rename across file systems
    ['ENXIO', -6, 'IO'],
    ['ETXTBSY', -26, 'IO'],
    ['EISDIR', -21, 'IO'], // a directory where a file was expected
    ['ELOOP', -40, 'IO'], // too many symbolic links
    ['ENAMETOOLONG', -36, 'IO'],
    ['EFBIG', -27, 'STORAGE_FULL'], // file too large (SQLite reports it as SQLITE_FULL too)
    // the ones mapped before, unchanged
    ['ENOENT', -2, 'NOT_FOUND'],
    ['ENOTDIR', -20, 'NOT_FOUND'],
    ['EACCES', -13, 'READ_ONLY'],
    ['EPERM', -1, 'READ_ONLY'],
    ['EROFS', -30, 'READ_ONLY'],
    ['ENOSPC', -28, 'STORAGE_FULL'],
    ['EDQUOT', -122, 'STORAGE_FULL'],
  ] as const)('%s (errno %i) → %s', (code, errno, expected) => {
    expect(toCleoStoreError(systemError(code, errno)).code).toBe(expected)
  })

  it('errors thrown by real node:fs calls: ENOENT, ENOTDIR and EISDIR', () => {
    const dir = tempDir()
    const file = join(dir, 'file')
    writeFileSync(file, 'x')
    mkdirSync(join(dir, 'sub'))
    expect(toCleoStoreError(thrownBy(() => readFileSync(join(dir, 'missing')))).code).toBe('NOT_FOUND')
    expect(toCleoStoreError(thrownBy(() => readFileSync(join(file, 'below')))).code).toBe('NOT_FOUND')
    expect(toCleoStoreError(thrownBy(() => readFileSync(join(dir, 'sub')))).code).toBe('IO')
  })

  it('an unknown code or a code that is not a string stays INTERNAL', () => {
    expect(toCleoStoreError(systemError('ESOMETHINGNEW', -999)).code).toBe('INTERNAL')
    expect(toCleoStoreError(Object.assign(new Error('x'), { code: 5 })).code).toBe('INTERNAL')
    expect(toCleoStoreError(Object.assign(new Error('x'), { code: 'toString' })).code).toBe('INTERNAL')
  })
})
