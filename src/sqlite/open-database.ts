/**
 * Opening a database file the way DESIGN §4 requires:
 * 0. what sits at the path is classified without touching it ({@link inspectStorePath}):
 *    a regular file or nothing is fine; a symlink to a regular file is followed (the
 *    store opens its target, so the `-wal`, `-shm` and backups live beside the target,
 *    as SQLite itself resolves links); a dangling symlink is `NOT_FOUND`; a directory,
 *    FIFO, socket, device, symlink loop or symlink to a non-file is `WRONG_STORE`.
 *    An existing file that cannot be written (read-only mount, immutable file or
 *    directory, missing permission) is `READ_ONLY` now, not at the first write;
 * 1. the parent directory is created with mode 0700 and a new file with mode 0600;
 * 2. read-only probes come first — a file that is not SQLite is `CORRUPT`, a file of
 *    another application or store is `WRONG_STORE` (CLEO's own files, recognised by
 *    their tables, with `details.reason: 'cleo-legacy'`: see cleo-legacy.ts), a file
 *    migrated by a newer version is `SCHEMA_TOO_NEW` — and such files are left
 *    byte-identical;
 * 3. pragmas: `journal_mode=WAL` (read back; refused if not granted, except for
 *    `:memory:`), `foreign_keys=ON`, `busy_timeout`, `synchronous` (NORMAL or FULL),
 *    `journal_size_limit` (the WAL is truncated back after checkpoints);
 * 4. sqlite-vec is loaded for stores that use it (when it is installed: it is an
 *    optional dependency), then extension loading is switched off, so SQL can never
 *    call `load_extension()`;
 * 5. migrations run (see migrate.ts).
 *
 * @module
 */
import { accessSync, closeSync, constants, copyFileSync, lstatSync, mkdtempSync, openSync, readSync, realpathSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

import { BUSY_SLICE_MS, DEFAULT_BUSY_RETRY, retryWhileBusy, SqliteDatabase } from './database.js'
import { CleoStoreError, toCleoStoreError } from './errors.js'
import type { MigrateOptions } from './migrate.js'
import { migrateToLatest, verifyMigrations } from './migrate.js'
import type { DatabaseSync, NodeSqliteModule } from './node-sqlite.js'
import { loadNodeSqlite } from './node-sqlite.js'
import type { StoreDefinition } from './store-definition.js'
import type { StoreName } from './store-name.js'
import { APPLICATION_IDS } from './store-definition.js'
import { recognizeCleoStore } from './cleo-legacy.js'
import { loadSqliteVec, markSqliteVecUnavailable } from './sqlite-vec.js'
import type { EngineOptions } from './engine-options.js'
export type { EngineOptions } from './engine-options.js'

/** The in-memory database path. */
export const MEMORY = ':memory:'

/**
 * In-memory templates: the image of a freshly migrated `:memory:` database, per
 * store definition, taken the first time this process opens one. Later in-memory
 * opens of the same store deserialize it instead of running the migrations again
 * (test fixtures open hundreds). Keyed by the definition object, so a store with
 * other migrations never shares an image.
 */
const memoryTemplates = new WeakMap<StoreDefinition, Uint8Array>()

type ImageConnection = DatabaseSync & { serialize?(): Uint8Array; deserialize?(image: Uint8Array): void }

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions extends EngineOptions {
  readonly store: StoreDefinition
}

/** Default `busy_timeout` in ms. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000
/** How long opening waits for another process that is creating or migrating the same file. */
export const OPEN_TIMEOUT_MS = 30_000
/** WAL files are truncated back to this size after a checkpoint (64 MiB). */
export const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024

function storeOfApplicationId(id: number): StoreName | undefined {
  return (Object.keys(APPLICATION_IDS) as StoreName[]).find((name) => APPLICATION_IDS[name] === id)
}

/** The first column of the one row `sql` returns (a pragma or an aggregate: always one row). */
function scalar(connection: DatabaseSync, sql: string): unknown {
  return Object.values(connection.prepare(sql).get() as Record<string, unknown>)[0]
}

/**
 * Creates the file (0600) when missing. The directory must exist: a repository opened
 * on its own never creates directories (a mistyped path is `NOT_FOUND`, as with SQLite
 * itself); `CleoWorkspace.open` creates the directories it owns (`<project>/.cleo`,
 * the global directory) before opening its stores.
 */
function prepareFile(file: string, context: { store: string; file: string }): void {
  const directory = dirname(file)
  let isDirectory: boolean
  try {
    isDirectory = statSync(directory).isDirectory()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      throw new CleoStoreError('NOT_FOUND', `cannot create ${file}: the directory ${directory} does not exist (create it first)`, {
        ...context,
        cause: error,
      })
    }
    if (code === 'ENOTDIR') {
      throw new CleoStoreError('NOT_FOUND', `cannot create ${file}: a parent path is not a directory`, { ...context, cause: error })
    }
    throw toCleoStoreError(error, context)
  }
  if (!isDirectory) throw new CleoStoreError('NOT_FOUND', `cannot create ${file}: a parent path is not a directory`, context)
  try {
    closeSync(openSync(file, 'wx', 0o600))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw toCleoStoreError(error, context)
    // Created meanwhile by another process, or something else is there: classify it.
    inspectStorePath(file, context)
  }
}

/** What {@link inspectStorePath} found at a store path. */
export interface StorePathInfo {
  /** The path to open: the given one, or the target of a symlink to a regular file. */
  readonly path: string
  /** True when a regular file is there (possibly empty). */
  readonly exists: boolean
}

function kindOf(stat: import('node:fs').Stats): string {
  if (stat.isDirectory()) return 'a directory'
  if (stat.isFIFO()) return 'a FIFO'
  if (stat.isSocket()) return 'a socket'
  // What is left once regular files and symlinks are excluded: a character or block device.
  return 'a device'
}

/**
 * Classifies what sits at a store path without opening, creating or changing
 * anything. The symlink policy: a symlink whose target is a regular file is
 * followed — the returned `path` is the target's real path, so the store's `-wal`,
 * `-shm`, lock and backups live beside the target, as SQLite resolves links itself;
 * a dangling symlink is `NOT_FOUND` (`details.reason: 'dangling-symlink'`; nothing is
 * ever created through a link); a symlink loop, a symlink to anything but a regular
 * file, a directory, FIFO, socket or device is `WRONG_STORE` (`details.reason:
 * 'not-a-file'`).
 *
 * @example
 * ```ts
 * const { path, exists } = inspectStorePath('/repo/.cleo/tasks.db', { store: 'tasks', file: '/repo/.cleo/tasks.db' })
 * ```
 */
export function inspectStorePath(file: string, context: { store: string; file: string }): StorePathInfo {
  let stat: import('node:fs').Stats
  try {
    stat = lstatSync(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // A missing file (or a parent that is not a directory, which creating reports).
    if (code === 'ENOENT' || code === 'ENOTDIR') return { path: file, exists: false }
    throw toCleoStoreError(error, context)
  }
  if (stat.isFile()) return { path: file, exists: true }
  if (!stat.isSymbolicLink()) {
    throw new CleoStoreError('WRONG_STORE', `${file} is ${kindOf(stat)}, not a database file; it was left untouched`, {
      ...context,
      details: { reason: 'not-a-file' },
    })
  }
  let target: string
  try {
    target = realpathSync(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new CleoStoreError('NOT_FOUND', `${file} is a symlink to a missing file; nothing is created through a link`, {
        ...context,
        cause: error,
        details: { reason: 'dangling-symlink' },
      })
    }
    if (code === 'ELOOP') {
      throw new CleoStoreError('WRONG_STORE', `${file} is a symlink loop, not a database file; it was left untouched`, {
        ...context,
        cause: error,
        details: { reason: 'not-a-file' },
      })
    }
    throw toCleoStoreError(error, context)
  }
  const targetStat = statSync(target)
  if (!targetStat.isFile()) {
    throw new CleoStoreError('WRONG_STORE', `${file} is a symlink to ${kindOf(targetStat)}, not a database file; it was left untouched`, {
      ...context,
      details: { reason: 'not-a-file', target },
    })
  }
  return { path: target, exists: true }
}

function readOnlyError(file: string, what: string, error: unknown, context: { store: string; file: string }): CleoStoreError {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new CleoStoreError('READ_ONLY', `cannot write ${what} (${code}); it was left untouched`, {
      ...context,
      cause: error,
      details: { reason: code === 'EROFS' ? 'read-only-file-system' : 'not-writable', path: file },
    })
  }
  return toCleoStoreError(error, context)
}

/**
 * Refuses with `READ_ONLY`, before anything is written, a store file that cannot be
 * written (read-only mount: `EROFS`; immutable file: `EPERM`; no permission:
 * `EACCES`) or whose directory cannot take its `-wal`/`-shm`. It asks the kernel
 * (`access(W_OK)`) rather than opening the file: closing a descriptor of a database
 * file would drop the POSIX locks other connections of this process hold on it.
 */
function assertWritable(file: string, context: { store: string; file: string }): void {
  try {
    accessSync(file, constants.W_OK)
  } catch (error) {
    throw readOnlyError(file, file, error, context)
  }
  assertDirectoryWritable(dirname(file), context)
}

/** `READ_ONLY` when `dir` (or, if missing, its nearest existing ancestor) cannot be written. */
function assertDirectoryWritable(dir: string, context: { store: string; file: string }): void {
  let current = dir
  for (;;) {
    try {
      accessSync(current, constants.W_OK)
      return
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT') {
        // Up to the nearest existing ancestor.
        const parent = dirname(current)
        // The callers pass absolute paths, whose root exists; this keeps any other path (a
        // relative one under a deleted working directory) from looping forever.
        // Stryker disable next-line ConditionalExpression: equivalent for the absolute paths the callers pass
        if (parent === current) return
        current = parent
        continue
      }
      if (code === 'ENOTDIR') return // reported when creating
      throw readOnlyError(current, `the directory ${current}`, error, context)
    }
  }
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1')

/**
 * Reads the 100-byte SQLite header of an existing file: a file that does not start
 * with the SQLite magic, or that is shorter than the size its header records (a
 * truncated copy), is `CORRUPT`. An empty file is a fresh database.
 */
async function checkHeader(file: string, context: { store: string; file: string }): Promise<void> {
  // With a WAL beside it the main file may legitimately be shorter than its header
  // says: a checkpoint writes page 1 (the new size) before the pages that extend the
  // file, and a process killed in between leaves exactly that — the WAL still holds
  // every page and SQLite's recovery replays it. The size check is for a file without
  // a WAL (a truncated copy); a short file is declared truncated only if it stays short.
  for (let attempt = 1; ; attempt++) {
    try {
      readHeader(file, context, !hasWal(file) && !hasJournal(file))
      return
    } catch (error) {
      if (attempt >= 4 || !(error instanceof CleoStoreError) || error.details?.['pages'] === undefined) throw error
      await sleep(25 * attempt)
    }
  }
}

function readHeader(file: string, context: { store: string; file: string }, checkSize: boolean): void {
  const size = statSync(file).size
  if (size === 0) return
  const header = Buffer.alloc(100)
  let read: number
  try {
    const fd = openSync(file, 'r')
    try {
      read = readSync(fd, header, 0, 100, 0)
    } finally {
      closeSync(fd)
    }
  } catch (error) {
    // A file that may be written but not read (mode 0200): refused with its context.
    throw toCleoStoreError(error, context)
  }
  if (read < 100 || !header.subarray(0, 16).equals(SQLITE_MAGIC)) {
    throw new CleoStoreError('CORRUPT', `${file} is not a SQLite database; it was left untouched`, context)
  }
  const rawPageSize = header.readUInt16BE(16)
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize
  const changeCounter = header.readUInt32BE(24)
  const pages = header.readUInt32BE(28)
  const validFor = header.readUInt32BE(92)
  // The in-header size is trustworthy only when written by the same change (SQLite §1.3.7).
  if (checkSize && validFor === changeCounter && size < pages * pageSize) {
    throw new CleoStoreError(
      'CORRUPT',
      `${file} is truncated: ${size} bytes, but its header records ${pages} pages of ${pageSize} bytes; it was left untouched`,
      { ...context, details: { size, pages, pageSize } },
    )
  }
}

/**
 * Read-only probes. Returns true when the file is fresh (no schema yet).
 * Throws CORRUPT / WRONG_STORE without writing anything.
 */
function probe(connection: DatabaseSync, store: StoreName, context: { store: string; file: string }): boolean {
  let tables: number
  let applicationId: number
  try {
    tables = Number(scalar(connection, "SELECT count(*) FROM sqlite_schema WHERE type IN ('table', 'view')"))
    applicationId = Number(scalar(connection, 'PRAGMA application_id'))
  } catch (error) {
    throw toCleoStoreError(error, context)
  }
  const expected = APPLICATION_IDS[store]
  if (applicationId === expected) return false
  if (applicationId === 0 && tables === 0) return true
  if (applicationId === 0) {
    const legacy = cleoLegacyRefusal(connection, store, tables, context)
    if (legacy !== null) throw legacy
  }
  const other = storeOfApplicationId(applicationId)
  const what = other
    ? `the cleo-store ${other} database`
    : applicationId === 0
      ? `a SQLite database of another application (${tables} tables)`
      : `a SQLite database of another application (application_id 0x${(applicationId >>> 0).toString(16)})`
  throw new CleoStoreError('WRONG_STORE', `${context.file} is ${what}, not a ${store} store; it was left untouched`, {
    ...context,
    details: { applicationId, tables },
  })
}

/**
 * A foreign database (application_id 0, with tables) that carries CLEO's markers is
 * CLEO's own store: the refusal, `WRONG_STORE` with `details.reason: 'cleo-legacy'`,
 * naming the CLEO store its tables identify (whatever the file is called); null for
 * any other database.
 */
function cleoLegacyRefusal(connection: DatabaseSync, store: StoreName, tables: number, context: { store: string; file: string }): CleoStoreError | null {
  let names: string[]
  try {
    names = (connection.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as Array<{ name: string }>).map((row) => row.name)
  } catch (error) {
    throw toCleoStoreError(error, context)
  }
  const cleoStore = recognizeCleoStore(names)
  if (cleoStore === null) return null
  return new CleoStoreError(
    'WRONG_STORE',
    `${context.file} is CLEO's own ${cleoStore}.db (CLEO's format, recognised by its tables), not a cleo-store ${store} store; ` +
      `it was left untouched. cleo-store does not open CLEO's files in place: import the project with ` +
      `CleoWorkspace.importFromCleo(projectDir) (see docs/cleo-import.md)`,
    { ...context, details: { reason: 'cleo-legacy', cleoStore, applicationId: 0, tables } },
  )
}

function enableWal(connection: DatabaseSync, context: { store: string; file: string }): void {
  // Switching to WAL needs a moment of exclusive access; under another process's lock
  // SQLite may keep the old mode silently (CLEO lost writes that way). Read it back;
  // the caller retries while the file is busy.
  const mode = String(scalar(connection, 'PRAGMA journal_mode = WAL')).toLowerCase()
  if (mode !== 'wal') {
    throw new CleoStoreError('BUSY', `${context.file} stayed in journal mode ${mode}; refusing to open without WAL`, context)
  }
}

function hasWal(file: string): boolean {
  return nonEmpty(`${file}-wal`)
}

/** A non-empty rollback journal beside the file: possibly hot (a crashed writer's). */
function hasJournal(file: string): boolean {
  return nonEmpty(`${file}-journal`)
}

/** True when a file with content is at `path` (beside a store file, whose directory can be searched). */
function nonEmpty(path: string): boolean {
  return (statSync(path, { throwIfNoEntry: false })?.size ?? 0) > 0
}

/**
 * Runs the refusal probes (WRONG_STORE, SCHEMA_TOO_NEW, edited migrations) without
 * writing. With a WAL beside the file the connection is read-only (it must see the
 * WAL's commits and cannot checkpoint them away); otherwise it is `immutable`: SQLite
 * then ignores every sidecar and takes no lock, so a hot rollback `-journal` is not
 * rolled back and nothing is created.
 */
async function probeReadOnly(sqlite: NodeSqliteModule, file: string, options: OpenDatabaseOptions): Promise<void> {
  const context = { store: options.store.name, file }
  const immutable = !hasWal(file)
  // Even a read-only connection writes the -shm of a WAL database (wal-index recovery,
  // read marks). A file whose header is not a cleo-store's may be CLEO's own, which
  // must stay byte-identical, sidecars included: it is recognised on a private copy.
  if (!immutable && storeOfApplicationId(headerApplicationId(file)) === undefined) probeCleoLegacyCopy(sqlite, file, options.store.name, context)
  const location = immutable ? Object.assign(pathToFileURL(file), { search: '?immutable=1' }) : file
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS
  await retryWhileBusy(
    async () => {
      let connection: DatabaseSync
      try {
        connection = new sqlite.DatabaseSync(location, { readOnly: true, timeout: Math.min(busyTimeoutMs, BUSY_SLICE_MS) })
      } catch (error) {
        throw toCleoStoreError(error, context)
      }
      try {
        probe(connection, options.store.name, context)
        await verifyMigrations(new SqliteDatabase<unknown>({ connection, context }), options.store)
      } finally {
        connection.close()
      }
    },
    { ...DEFAULT_BUSY_RETRY, timeoutMs: Math.max(busyTimeoutMs, OPEN_TIMEOUT_MS) },
    context,
  )
}

/**
 * The `application_id` recorded in the main file's header (0 when unset or unreadable). Only
 * chooses whether the private copy is needed; the file passed the header check (100 bytes).
 */
function headerApplicationId(file: string): number {
  const header = Buffer.alloc(72)
  try {
    const fd = openSync(file, 'r')
    try {
      readSync(fd, header, 0, 72, 0)
    } finally {
      closeSync(fd)
    }
  } catch {
    // unreadable: the zeroed header, application_id 0
  }
  return header.readInt32BE(68)
}

/**
 * Copies `file` and its `-wal` into a private temporary folder and refuses with
 * `cleo-legacy` when the copy is one of CLEO's stores. The original and its sidecars
 * are only read. Anything else found on the copy (or a failed copy) is left to the
 * ordinary read-only probe, which reports it as before.
 */
function probeCleoLegacyCopy(sqlite: NodeSqliteModule, file: string, store: StoreName, context: { store: string; file: string }): void {
  let folder: string | undefined
  let connection: DatabaseSync | undefined
  let refusal: CleoStoreError | null = null
  try {
    folder = mkdtempSync(join(tmpdir(), 'cleo-store-probe-'))
    const copy = join(folder, 'probe.db')
    copyFileSync(file, copy)
    copyFileSync(`${file}-wal`, `${copy}-wal`)
    connection = new sqlite.DatabaseSync(copy)
    const tables = Number(scalar(connection, "SELECT count(*) FROM sqlite_schema WHERE type IN ('table', 'view')"))
    if (Number(scalar(connection, 'PRAGMA application_id')) === 0) refusal = cleoLegacyRefusal(connection, store, tables, context)
  } catch {
    // Not readable on the copy either (or no copy): left to the read-only probe.
  } finally {
    connection?.close()
    if (folder !== undefined) rmSync(folder, { recursive: true })
  }
  if (refusal !== null) throw refusal
}

/** Options of {@link probeStoreFile}. */
export interface ProbeStoreFileOptions {
  /**
   * When to run the SQL refusal probes on an existing file: `'always'`, or only when
   * a `-wal` or `-journal` sits beside it (`'sidecars'`: a read-write connection would
   * replay or roll back those before its own read-only checks could refuse).
   */
  readonly probe: 'always' | 'sidecars'
}

/**
 * Every check of an existing store file that can refuse it, made without creating,
 * writing or locking anything: the path's type ({@link inspectStorePath}),
 * writability (`READ_ONLY`), the header (`CORRUPT`), and the SQL refusal probes
 * (`WRONG_STORE`, `SCHEMA_TOO_NEW`, edited migrations — read-only with a WAL,
 * `immutable` otherwise). For a missing file it checks that the nearest existing
 * directory can be written. `CleoWorkspace.open` runs it over every store file
 * before it creates any, so a refused open creates nothing.
 *
 * @example
 * ```ts
 * const { path, exists } = await probeStoreFile('/repo/.cleo/tasks.db', { store: TASKS_STORE }, { probe: 'always' })
 * ```
 */
export async function probeStoreFile(path: string, options: OpenDatabaseOptions, probeOptions: ProbeStoreFileOptions): Promise<StorePathInfo> {
  const requested = resolve(path)
  const info = inspectStorePath(requested, { store: options.store.name, file: requested })
  const context = { store: options.store.name, file: info.path }
  if (!info.exists) {
    assertDirectoryWritable(dirname(info.path), context)
    return info
  }
  assertWritable(info.path, context)
  await checkHeader(info.path, context)
  if (statSync(info.path).size === 0) return info
  // A WAL beside the file may hold committed transactions, a -journal a crashed
  // writer's undo log. A read-write connection that is refused and closed would
  // checkpoint the one and roll back the other; a read-only or immutable one cannot.
  if (probeOptions.probe === 'always' || hasWal(info.path) || hasJournal(info.path)) {
    await probeReadOnly(loadNodeSqlite(), info.path, options)
  }
  return info
}

/**
 * Opens (creating if needed) the database of `options.store` at `path`, applies the
 * pragmas, and migrates it. Use `':memory:'` for a throw-away database.
 *
 * @example
 * ```ts
 * const db = await openDatabase<TasksDatabase>('/repo/.cleo/tasks.db', { store: TASKS_STORE })
 * ```
 */
export async function openDatabase<DB>(path: string, options: OpenDatabaseOptions): Promise<SqliteDatabase<DB>> {
  const sqlite = loadNodeSqlite()
  const { store } = options
  const memory = path === MEMORY
  let file = memory ? MEMORY : resolve(path)
  if (!memory) file = (await probeStoreFile(file, options, { probe: 'sidecars' })).path
  const context = { store: store.name, file }
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new CleoStoreError('VALIDATION', `busyTimeoutMs must be a non-negative integer (got ${String(busyTimeoutMs)})`, {
      ...context,
      details: { operation: 'open', path: ['busyTimeoutMs'] },
    })
  }
  if (!memory) {
    prepareFile(file, context)
    await checkHeader(file, context)
  }

  let connection: DatabaseSync
  try {
    connection = new sqlite.DatabaseSync(file, {
      open: true,
      // Enforced from here on: a deserialized template keeps the connection's setting.
      enableForeignKeyConstraints: true,
      allowExtension: store.vectors === true,
      timeout: Math.min(busyTimeoutMs, BUSY_SLICE_MS),
    })
  } catch (error) {
    throw toCleoStoreError(error, context)
  }

  const template = memory ? memoryTemplates.get(store) : undefined
  const image = connection as ImageConnection
  try {
    // A copy of the template (taken only where node:sqlite can serialize, and so deserialize):
    // migrated, application_id set; the pragmas follow.
    if (template !== undefined) image.deserialize!(template)
    const database = new SqliteDatabase<DB>({
      connection,
      context,
      ...(options.statementCacheSize === undefined ? {} : { statementCacheSize: options.statementCacheSize }),
      busyRetry: { timeoutMs: busyTimeoutMs, ...options.busyRetry },
    })
    // Another process may be creating or migrating the same file right now: the
    // set-up below is idempotent, so it is simply repeated while the file is locked.
    const setupPolicy = { ...DEFAULT_BUSY_RETRY, timeoutMs: Math.max(busyTimeoutMs, OPEN_TIMEOUT_MS) }
    await retryWhileBusy(
      async () => {
        const fresh = probe(connection, store.name, context)
        // Read-only check first: a newer or edited schema is refused before any write.
        await verifyMigrations(database as SqliteDatabase<unknown>, store)
        if (fresh) connection.exec(`PRAGMA application_id = ${APPLICATION_IDS[store.name]}`)
        if (!memory) enableWal(connection, context)
        connection.exec(`PRAGMA synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`)
        connection.exec(`PRAGMA journal_size_limit = ${JOURNAL_SIZE_LIMIT}`)
      },
      setupPolicy,
      context,
    )
    if (store.vectors) {
      // sqlite-vec is optional: without it the store opens and its vector features
      // report UNSUPPORTED (the store asks sqliteVecUnavailableReason(database)).
      try {
        const missing = await loadSqliteVec(connection)
        if (missing !== null) markSqliteVecUnavailable(database, missing)
      } finally {
        connection.enableLoadExtension(false)
      }
    }
    const migrateOptions: MigrateOptions = {
      busyTimeoutMs,
      ...(options.backupsKept === undefined ? {} : { backupsKept: options.backupsKept }),
    }
    if (template === undefined) {
      await migrateToLatest(database as SqliteDatabase<unknown>, store, migrateOptions)
      if (memory && typeof image.serialize === 'function') memoryTemplates.set(store, image.serialize())
    }
    return database
  } catch (error) {
    try {
      connection.close()
    } catch {
      // Closing is best effort (a connection closed already throws); the original error is what matters.
    }
    throw toCleoStoreError(error, context)
  }
}
