/**
 * The two key files of the global directory, `global-salt` and `machine-key`: 32
 * random bytes each, mode 0600, created once and never overwritten. This module is
 * the only reader and writer of both (one path resolver: the global directory the
 * caller passes, which honours `CLEO_HOME` through `resolveGlobalDir`).
 *
 * Creation is atomic and exclusive: the bytes are written and fsynced to a private
 * temporary file, which is then hard-linked to the final name. `link()` fails when
 * the name exists, so of several processes racing on a fresh directory exactly one
 * wins, the others read the winner's file, and nobody ever sees a partial file.
 *
 * Reading refuses (`KEY_FILE`) a symlink, anything but a regular file, a size other
 * than 32 bytes and, on POSIX, a mode other than 0600 — a key file that others can
 * read is treated as compromised rather than silently fixed.
 *
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { dirname, join } from 'node:path'

import { CleoStoreError, toCleoStoreError } from '../sqlite/errors.js'
import { KEY_BYTES } from './api-key-kdf.js'

/** File name of the global salt inside the global directory. */
export const GLOBAL_SALT_FILE = 'global-salt'
/** File name of the machine key inside the global directory. */
export const MACHINE_KEY_FILE = 'machine-key'
/** The only mode a key file may have on POSIX systems. */
export const KEY_FILE_MODE = 0o600

/** The key material of one machine: both key files' contents. */
export interface KeyMaterial {
  /** Contents of `machine-key` (32 bytes). */
  readonly machineKey: Buffer
  /** Contents of `global-salt` (32 bytes). */
  readonly globalSalt: Buffer
}

/** Options of {@link loadKeyMaterial}. */
export interface LoadKeyMaterialOptions {
  /** Create missing key files (default true). With false, a missing file is `NOT_FOUND`. */
  readonly create?: boolean
}

const POSIX = process.platform !== 'win32'
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0)
/** Errors of `link()` that mean "this file system has no hard links". */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK'])

function context(file: string) {
  return { store: 'kdf', file }
}

function keyFileError(file: string, problem: string, details: Record<string, unknown> = {}): CleoStoreError {
  return new CleoStoreError('KEY_FILE', `key file ${file} ${problem}; it was left untouched`, {
    ...context(file),
    details: { ...details },
  })
}

/**
 * The paths of both key files in `globalDir`.
 *
 * @example
 * ```ts
 * keyFilePaths('/home/me/.local/share/cleo').machineKey // '/home/me/.local/share/cleo/machine-key'
 * ```
 */
export function keyFilePaths(globalDir: string): { readonly globalSalt: string; readonly machineKey: string } {
  return Object.freeze({ globalSalt: join(globalDir, GLOBAL_SALT_FILE), machineKey: join(globalDir, MACHINE_KEY_FILE) })
}

/**
 * Reads and validates one key file. Throws `NOT_FOUND` when it does not exist and
 * `KEY_FILE` when it is a symlink, not a regular file, not exactly 32 bytes, or (on
 * POSIX) not mode 0600.
 *
 * @example
 * ```ts
 * const salt = readKeyFile(join(globalDir, 'global-salt')) // 32 bytes
 * ```
 */
export function readKeyFile(file: string): Buffer {
  let link
  try {
    link = lstatSync(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      throw new CleoStoreError('NOT_FOUND', `key file ${file} does not exist`, { ...context(file), cause: error })
    }
    throw toCleoStoreError(error, context(file))
  }
  if (link.isSymbolicLink()) throw keyFileError(file, 'is a symbolic link')
  if (!link.isFile()) throw keyFileError(file, 'is not a regular file')

  let fd: number
  try {
    fd = openSync(file, READ_FLAGS)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // O_NOFOLLOW: the file was replaced by a symlink between lstat and open.
    if (code === 'ELOOP' || code === 'EMLINK') throw keyFileError(file, 'is a symbolic link')
    if (code === 'ENOENT') {
      throw new CleoStoreError('NOT_FOUND', `key file ${file} does not exist`, { ...context(file), cause: error })
    }
    throw toCleoStoreError(error, context(file))
  }
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile()) throw keyFileError(file, 'is not a regular file')
    const mode = stat.mode & 0o777
    if (POSIX && mode !== KEY_FILE_MODE) {
      throw keyFileError(file, `has mode 0${mode.toString(8)}, expected 0600`, { mode })
    }
    if (stat.size !== KEY_BYTES) {
      throw keyFileError(file, `holds ${stat.size} bytes, expected ${KEY_BYTES}`, { size: stat.size })
    }
    const buffer = Buffer.alloc(KEY_BYTES + 1)
    let read = 0
    for (;;) {
      const n = readSync(fd, buffer, read, buffer.length - read, read)
      if (n === 0) break
      read += n
      if (read === buffer.length) break
    }
    if (read !== KEY_BYTES) throw keyFileError(file, `holds ${read} bytes, expected ${KEY_BYTES}`, { size: read })
    return buffer.subarray(0, KEY_BYTES)
  } catch (error) {
    throw toCleoStoreError(error, context(file))
  } finally {
    closeSync(fd)
  }
}

function writeAll(fd: number, data: Buffer): void {
  let written = 0
  while (written < data.length) written += writeSync(fd, data, written, data.length - written)
}

function fsyncDirectory(dir: string): void {
  if (!POSIX) return
  try {
    const fd = openSync(dir, constants.O_RDONLY)
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  } catch {
    // Best effort: some file systems refuse fsync on a directory.
  }
}

/** Writes `data` (default 32 fresh random bytes) to `file` only if it does not exist; false if it did. */
function createExclusively(file: string, data: Buffer = randomBytes(KEY_BYTES)): boolean {
  const dir = dirname(file)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const temp = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`
  const fd = openSync(temp, 'wx', KEY_FILE_MODE)
  try {
    try {
      fchmodSync(fd, KEY_FILE_MODE) // the umask may have removed bits; never added any
      writeAll(fd, data)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    try {
      linkSync(temp, file)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? ''
      if (code === 'EEXIST') return false
      if (!NO_HARD_LINKS.has(code)) throw error
      return createWithoutLink(file, data)
    }
    fsyncDirectory(dir)
    return true
  } finally {
    try {
      unlinkSync(temp)
    } catch {
      // Already gone.
    }
  }
}

/**
 * Fallback for file systems without hard links: an exclusive create of the final
 * name, then the write. A reader racing with it may briefly see a short file
 * (`KEY_FILE`); {@link ensureKeyFile} retries that case.
 */
function createWithoutLink(file: string, data: Buffer): boolean {
  let fd: number
  try {
    fd = openSync(file, 'wx', KEY_FILE_MODE)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    fchmodSync(fd, KEY_FILE_MODE)
    writeAll(fd, data)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  fsyncDirectory(dirname(file))
  return true
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/**
 * Returns the contents of the key file at `file`, creating it first if it does not
 * exist (32 random bytes, mode 0600, exclusive create). Concurrent callers in any
 * number of processes all get the same bytes. An existing file is never rewritten:
 * a bad one throws `KEY_FILE`.
 *
 * @example
 * ```ts
 * const machineKey = ensureKeyFile(join(globalDir, 'machine-key'))
 * ```
 */
export function ensureKeyFile(file: string): Buffer {
  try {
    return readKeyFile(file)
  } catch (error) {
    if (!(error instanceof CleoStoreError && error.code === 'NOT_FOUND')) throw error
  }
  try {
    createExclusively(file)
  } catch (error) {
    throw toCleoStoreError(error, context(file))
  }
  // Read back what is there now: ours, or the file of the process that won.
  for (let attempt = 1; ; attempt++) {
    try {
      return readKeyFile(file)
    } catch (error) {
      // Only the no-hard-link fallback can expose a short file, for a moment.
      const short = error instanceof CleoStoreError && error.code === 'KEY_FILE' && error.details?.['size'] !== undefined
      if (!short || attempt >= 20) throw error
      sleepSync(5 * attempt)
    }
  }
}

/**
 * Loads (creating on first use, unless `create: false`) the machine key and the
 * global salt of `globalDir`.
 *
 * @example
 * ```ts
 * import { loadKeyMaterial } from 'cleo-store/kdf'
 *
 * const keys = loadKeyMaterial(ws.globalDir!)
 * keys.machineKey.length // 32
 * ```
 */
export function loadKeyMaterial(globalDir: string, options: LoadKeyMaterialOptions = {}): KeyMaterial {
  const paths = keyFilePaths(globalDir)
  const load = options.create === false ? readKeyFile : ensureKeyFile
  return Object.freeze({ machineKey: load(paths.machineKey), globalSalt: load(paths.globalSalt) })
}

/**
 * Installs a key file with the given 32 bytes (a restore from a backup made with
 * its keys): created atomically with mode 0600 when absent (`'created'`), left as
 * it is when it already holds these bytes (`'same'`). A file with other bytes is
 * never overwritten: `CONFLICT` (the bytes are never quoted).
 *
 * @example
 * ```ts
 * installKeyFile(join(globalDir, 'machine-key'), readFileSync(join(backup, 'machine-key')))
 * ```
 */
export function installKeyFile(file: string, bytes: Buffer): 'created' | 'same' {
  if (bytes.length !== KEY_BYTES) throw keyFileError(file, `would get ${bytes.length} bytes instead of ${KEY_BYTES}`, { size: bytes.length })
  let created: boolean
  try {
    created = createExclusively(file, bytes)
  } catch (error) {
    throw toCleoStoreError(error, context(file))
  }
  if (created) return 'created'
  if (timingSafeEqual(readKeyFile(file), bytes)) return 'same'
  throw new CleoStoreError('CONFLICT', `key file ${file} already holds other key material; it was left untouched`, {
    ...context(file),
    details: { reason: 'other-keys' },
  })
}
