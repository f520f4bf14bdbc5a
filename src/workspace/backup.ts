/**
 * Backup and restore of a whole workspace.
 *
 * **Backup** (`ws.backup(dir)`) is online: the workspace stays open and other processes
 * keep writing. A read transaction is pinned on every store first (a WAL snapshot each,
 * taken one right after another), then each store is copied from its snapshot with
 * SQLite's online backup API (`node:sqlite` `backup()`): the copy is exactly the
 * committed state at the snapshot, and writes made meanwhile neither restart nor tear
 * it. Each copy is switched to a self-contained rollback-journal file, checked with
 * `integrity_check`, and listed in `manifest.json` with its store, schema version and
 * SHA-256. Everything is written in a temporary folder that is renamed into place last,
 * so a backup folder either is complete or does not exist. Older backups of the same
 * project in `dir` are rotated out (the newest `keep` stay).
 *
 * **Restore** (`CleoWorkspace.restore(backupDir, projectDir)`) is never automatic and
 * never runs over a live database. It verifies the manifest and every checksum before
 * touching anything; refuses (`BUSY`) when a target store is open in this process or
 * held by another process — probed by taking SQLite's exclusive lock, which it keeps
 * through the swap; writes each store to a temporary file beside its target, checks it,
 * and renames it into place, moving the replaced file and its stale `-wal`/`-shm` into
 * a `restore-replaced-<time>` folder (`restore-replaced-<time>-<random>` when an earlier
 * restore of the same millisecond took that name), or deleting them with `keepReplaced: false`.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'
import {
  chmodSync,
  closeSync,
  copyFileSync,
  createReadStream,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { join, resolve } from 'node:path'

import { sql } from 'kysely'
import { z } from 'zod'

import type * as Types from './backup.types.js'

import { BRAIN_STORE } from '../brain/brain.store.js'
import { GLOBAL_SALT_FILE, MACHINE_KEY_FILE, installKeyFile, keyFilePaths, readKeyFile } from '../kdf/key-files.js'
import { CONDUIT_STORE } from '../conduit/conduit.store.js'
import { NEXUS_STORE } from '../nexus/nexus.store.js'
import { SIGNALDOCK_STORE } from '../signaldock/signaldock.store.js'
import type { Clock } from '../sqlite/clock.js'
import { toIso } from '../sqlite/clock.js'
import type { ErrorContext } from '../sqlite/errors.js'
import { CleoStoreError, toCleoStoreError } from '../sqlite/errors.js'
import { uuidv7Generator } from '../sqlite/ids.js'
import type { DatabaseSync } from '../sqlite/node-sqlite.js'
import { loadNodeSqlite } from '../sqlite/node-sqlite.js'
import type { StoreDefinition } from '../sqlite/store-definition.js'
import type { StoreName } from '../sqlite/store-name.js'
import { APPLICATION_IDS } from '../sqlite/store-definition.js'
import type { StoreRepository } from '../sqlite/store-repository.js'
import { validate } from '../sqlite/validate.js'
import { TASKS_STORE } from '../tasks/tasks.store.js'
import { TELEMETRY_STORE } from '../telemetry/telemetry.store.js'
import { StoreNameSchema, WorkspaceBackupManifestSchema } from './backup.schemas.js'
import { WORKSPACE_BACKUP_FORMAT, WORKSPACE_BACKUP_MANIFEST, DEFAULT_BACKUPS_KEPT } from './backup-format.js'
import type { WorkspaceBackupProgress, WorkspaceBackupOptions, WorkspaceBackup, WorkspaceBackupEntry, WorkspaceBackupServerStore, WorkspaceRestoreOptions, WorkspaceRestoreResult } from './backup.types.js'
export type { WorkspaceBackupProgress, WorkspaceBackupOptions, WorkspaceBackup, WorkspaceBackupEntry, WorkspaceRestoreOptions, WorkspaceRestoreResult } from './backup.types.js'
export { WORKSPACE_BACKUP_FORMAT, WORKSPACE_BACKUP_MANIFEST, DEFAULT_BACKUPS_KEPT } from './backup-format.js'

const STORES: Readonly<Record<StoreName, { tier: 'project' | 'global'; definition: StoreDefinition }>> = {
  tasks: { tier: 'project', definition: TASKS_STORE },
  brain: { tier: 'project', definition: BRAIN_STORE },
  conduit: { tier: 'project', definition: CONDUIT_STORE },
  signaldock: { tier: 'global', definition: SIGNALDOCK_STORE },
  nexus: { tier: 'global', definition: NEXUS_STORE },
  telemetry: { tier: 'global', definition: TELEMETRY_STORE },
}
const STORE_ORDER: readonly StoreName[] = ['tasks', 'brain', 'conduit', 'signaldock', 'nexus', 'telemetry']
/** Pages copied per backup step (between progress reports). */
const PAGES_PER_STEP = 256
/** Temporary backup folders older than this are left-overs of a crash and are removed. */
const STALE_TEMP_MS = 24 * 60 * 60 * 1000
const CONTEXT: ErrorContext = { store: 'workspace' }

/** One store in a backup. */
export type WorkspaceBackupStore = Types.WorkspaceBackupStore

/** A key file in a backup. */
export type WorkspaceBackupKey = Types.WorkspaceBackupKey

/** `manifest.json` of a backup folder. */
export type WorkspaceBackupManifest = Types.WorkspaceBackupManifest

const BackupOptionsSchema = z.strictObject({
  keep: z.int().min(0).default(DEFAULT_BACKUPS_KEPT),
  stores: z.array(StoreNameSchema).min(1).optional(),
  label: z.string().max(200).optional(),
  includeKeys: z.boolean().default(false),
})

/** Options of `CleoWorkspace.restore`, strict (issue 14, item 9). */
const RestoreOptionsSchema = z.strictObject({
  globalDir: z.string().min(1).optional(),
  stores: z.array(StoreNameSchema).min(1).optional(),
  keepReplaced: z.boolean().optional(),
  includeKeys: z.boolean().optional(),
})

/** Throws `VALIDATION` naming an unknown or mistyped option of `CleoWorkspace.restore`. */
export function checkRestoreOptions(options: unknown): void {
  validate(RestoreOptionsSchema, options, 'workspace.restore', CONTEXT)
}

/** What `ws.backup` needs from a workspace. */
export interface BackupSource {
  readonly projectDir: string
  readonly globalDir: string | null
  readonly projectId: string | null
  /** The local stores (SQLite files, or `:memory:`). */
  readonly stores: Readonly<Partial<Record<StoreName, StoreRepository<any>>>>
  /** The workspace's stores on a PostgreSQL server: recorded in the manifest, never copied. */
  readonly onServer?: readonly WorkspaceBackupServerStore[]
  readonly clock: Clock
}

function stamp(ms: number): string {
  return toIso(ms).replace(/[-:]/g, '').replace('.', '')
}

function fsyncPath(path: string, directory = false): void {
  let fd: number | undefined
  try {
    fd = openSync(path, directory ? 'r' : 'r+')
    fsyncSync(fd)
  } catch (error) {
    // Directories cannot be opened for fsync on every platform; files must sync.
    if (!directory) throw error
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** The first column of the one row of `text` (a PRAGMA or an aggregate: always one row). */
function scalar(connection: DatabaseSync, text: string): unknown {
  return Object.values(connection.prepare(text).get() as Record<string, unknown>)[0]
}

/** Begins a read transaction on a fresh connection: the snapshot the backup copies. */
function pinSnapshot(file: string): DatabaseSync {
  const connection = new (loadNodeSqlite().DatabaseSync)(file, { timeout: 5000 })
  try {
    connection.exec('BEGIN')
    scalar(connection, 'SELECT count(*) FROM sqlite_schema')
    return connection
  } catch (error) {
    connection.close()
    throw error
  }
}

/**
 * Makes a fresh copy self-contained (rollback journal, no -wal/-shm), checks it, and
 * describes it for the manifest.
 */
async function sealCopy(store: StoreName, file: string): Promise<WorkspaceBackupStore> {
  const context = { store, file }
  const connection = new (loadNodeSqlite().DatabaseSync)(file)
  let migrations: string[]
  let pages: number
  try {
    const mode = String(scalar(connection, 'PRAGMA journal_mode = DELETE'))
    if (mode !== 'delete') throw new CleoStoreError('INTERNAL', `backup copy stayed in ${mode} journal mode`, context)
    const applicationId = Number(scalar(connection, 'PRAGMA application_id'))
    if (applicationId !== APPLICATION_IDS[store]) {
      throw new CleoStoreError('CORRUPT', `backup copy of ${store} carries application_id ${applicationId}`, context)
    }
    const problems = (connection.prepare('PRAGMA integrity_check').all() as Array<Record<string, unknown>>)
      .map((row) => String(Object.values(row)[0]))
      .filter((message) => message !== 'ok')
    if (problems.length > 0) {
      throw new CleoStoreError('CORRUPT', `backup copy of ${store} failed integrity_check: ${problems.slice(0, 3).join('; ')}`, {
        ...context,
        details: { problems: problems.slice(0, 100) },
      })
    }
    migrations = (connection.prepare('SELECT name FROM kysely_migration ORDER BY name').all() as Array<{ name: string }>).map(
      (row) => row.name,
    )
    pages = Number(scalar(connection, 'PRAGMA page_count'))
  } finally {
    connection.close()
  }
  chmodSync(file, 0o600)
  fsyncPath(file)
  const schemaVersion = migrations[migrations.length - 1]
  if (schemaVersion === undefined) throw new CleoStoreError('CORRUPT', `backup copy of ${store} has no applied migration`, context)
  return {
    store,
    tier: STORES[store].tier,
    file: `${store}.db`,
    schemaVersion,
    migrations,
    bytes: statSync(file).size,
    pages,
    sha256: await sha256Of(file),
  }
}

function readManifest(folder: string): WorkspaceBackupManifest {
  const file = join(folder, WORKSPACE_BACKUP_MANIFEST)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const translated = toCleoStoreError(error, { ...CONTEXT, file })
    if (translated.code === 'NOT_FOUND') {
      throw new CleoStoreError('NOT_FOUND', `${folder} is not a cleo-store backup (no ${WORKSPACE_BACKUP_MANIFEST})`, {
        ...CONTEXT,
        file,
        cause: error,
      })
    }
    throw translated
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    throw new CleoStoreError('CORRUPT', `${file} is not valid JSON`, { ...CONTEXT, file, cause })
  }
  const parsed = WorkspaceBackupManifestSchema.safeParse(json)
  if (!parsed.success) {
    throw new CleoStoreError('CORRUPT', `${file} is not a valid backup manifest: ${parsed.error.issues[0]?.message}`, {
      ...CONTEXT,
      file,
      cause: parsed.error,
    })
  }
  return parsed.data
}

/**
 * The cleo-store backups in `dir` (folders with a valid manifest), newest first.
 * Folders without one are ignored, never touched.
 *
 * @example
 * ```ts
 * const [latest] = await listWorkspaceBackups('/backups/app')
 * if (latest) await CleoWorkspace.restore(latest.path, '/src/app')
 * ```
 */
export async function listWorkspaceBackups(dir: string): Promise<WorkspaceBackupEntry[]> {
  const root = resolve(dir)
  if (!existsSync(root)) return []
  const found: WorkspaceBackupEntry[] = []
  for (const name of readdirSync(root)) {
    if (name.startsWith('.')) continue
    const path = join(root, name)
    try {
      found.push({ path, manifest: readManifest(path) })
    } catch {
      // Not a backup of ours (a file, no or another manifest, unreadable): it is not listed, and never rotated out.
    }
  }
  return found.sort((a, b) =>
    a.manifest.createdAt === b.manifest.createdAt
      ? b.manifest.id.localeCompare(a.manifest.id)
      : b.manifest.createdAt.localeCompare(a.manifest.createdAt),
  )
}

function sameProject(a: WorkspaceBackupManifest, b: WorkspaceBackupManifest): boolean {
  return a.projectId !== null && b.projectId !== null ? a.projectId === b.projectId : a.projectDir === b.projectDir
}

async function rotate(root: string, manifest: WorkspaceBackupManifest, keep: number, now: number): Promise<string[]> {
  for (const name of readdirSync(root)) {
    if (!name.startsWith('.tmp-')) continue
    const path = join(root, name)
    if (now - statSync(path).mtimeMs > STALE_TEMP_MS) rmSync(path, { recursive: true, force: true })
  }
  if (keep === 0) return []
  const mine = (await listWorkspaceBackups(root)).filter((entry) => sameProject(entry.manifest, manifest))
  const removed: string[] = []
  for (const old of mine.slice(keep)) {
    rmSync(old.path, { recursive: true, force: true })
    removed.push(old.path)
  }
  return removed
}

/**
 * Takes an online, consistent backup of the given stores into a new folder of `dir`.
 * See the module documentation; `ws.backup` calls this.
 *
 * @example
 * ```ts
 * const { path, manifest } = await backupWorkspace(source, '/backups/app', { keep: 5 })
 * ```
 */
export async function backupWorkspace(source: BackupSource, dir: string, options: WorkspaceBackupOptions = {}): Promise<WorkspaceBackup> {
  const { onProgress, ...rest } = options
  const o = validate(BackupOptionsSchema, rest, 'workspace.backup', CONTEXT)
  // telemetry.db is never backed up (CLEO: "not backed up by cleo backup").
  if (o.stores?.includes('telemetry')) {
    throw new CleoStoreError('VALIDATION', 'workspace.backup: stores: telemetry.db is never part of a backup', {
      ...CONTEXT,
      details: { path: ['stores'], store: 'telemetry' },
    })
  }
  if (o.includeKeys && source.globalDir === null) {
    throw new CleoStoreError('VALIDATION', 'workspace.backup: includeKeys: an in-memory workspace has no key files', {
      ...CONTEXT,
      details: { path: ['includeKeys'] },
    })
  }
  const onServer = source.onServer ?? []
  const pgDump = (stores: readonly WorkspaceBackupServerStore[]) => stores.map((s) => `pg_dump --schema=${s.schema}`).join(', ')
  const open = STORE_ORDER.filter((store) => store !== 'telemetry' && source.stores[store] !== undefined)
  for (const store of o.stores ?? []) {
    const remote = onServer.find((s) => s.store === store)
    if (remote !== undefined) {
      throw new CleoStoreError('UNSUPPORTED', `workspace.backup: ${store} lives on a PostgreSQL server (${remote.location}); back it up there: ${pgDump([remote])}`, {
        ...CONTEXT,
        details: { path: ['stores'], store, location: remote.location, schema: remote.schema },
      })
    }
    if (!open.includes(store)) {
      throw new CleoStoreError('NOT_FOUND', `store ${store} is not open in this workspace`, { ...CONTEXT, details: { store } })
    }
  }
  const selected = o.stores ? open.filter((store) => o.stores!.includes(store)) : open
  if (selected.length === 0) {
    throw new CleoStoreError('UNSUPPORTED', `workspace.backup: every store of this workspace lives on a PostgreSQL server; back them up there: ${pgDump(onServer)}`, {
      ...CONTEXT,
      details: { onServer },
    })
  }
  const root = resolve(dir)
  const createdAt = source.clock()
  const id = uuidv7Generator(source.clock)()
  const name = `${stamp(createdAt)}-${id.slice(-8)}`
  const temporary = join(root, `.tmp-${name}`)
  const final = join(root, name)
  const snapshots = new Map<StoreName, DatabaseSync>()
  let progressError: unknown
  const report = (progress: WorkspaceBackupProgress) => {
    if (!onProgress || progressError !== undefined) return
    try {
      onProgress(progress)
    } catch (error) {
      progressError = error
    }
  }
  const checkProgress = () => {
    if (progressError !== undefined) throw progressError
  }

  let manifest: WorkspaceBackupManifest
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 })
    mkdirSync(temporary, { mode: 0o700 })
    // Pin every snapshot before copying anything: the stores' snapshots are moments apart.
    for (const store of selected) {
      const path = source.stores[store]!.path
      if (path !== ':memory:') snapshots.set(store, pinSnapshot(path))
    }
    const entries: WorkspaceBackupStore[] = []
    for (const [storeIndex, store] of selected.entries()) {
      const target = join(temporary, `${store}.db`)
      const base = { store, storeIndex, storeCount: selected.length }
      const snapshot = snapshots.get(store)
      let totalPages: number
      if (snapshot) {
        totalPages = Number(scalar(snapshot, 'PRAGMA page_count'))
        report({ ...base, phase: 'copying', totalPages, remainingPages: totalPages })
        await loadNodeSqlite().backup(snapshot, target, {
          rate: PAGES_PER_STEP,
          progress: ({ totalPages: total, remainingPages }) => report({ ...base, phase: 'copying', totalPages: total, remainingPages }),
        })
        // Closing the connection ends its read transaction: the snapshot is released.
        snapshot.close()
        snapshots.delete(store)
      } else {
        // An in-memory store has no file another connection could read: VACUUM INTO
        // copies it in one statement (a consistent snapshot) through its own connection.
        const repo = source.stores[store]!
        const pages = await sql<{ page_count: number }>`PRAGMA page_count`.execute(repo.kysely)
        totalPages = Number(pages.rows[0]!.page_count)
        report({ ...base, phase: 'copying', totalPages, remainingPages: totalPages })
        await sql`VACUUM INTO ${target}`.execute(repo.kysely)
      }
      checkProgress()
      report({ ...base, phase: 'verifying', totalPages, remainingPages: 0 })
      entries.push(await sealCopy(store, target))
      report({ ...base, phase: 'done', totalPages, remainingPages: 0 })
      checkProgress()
    }
    const keys = o.includeKeys ? copyKeyFiles(source.globalDir!, temporary) : undefined
    manifest = {
      format: WORKSPACE_BACKUP_FORMAT,
      formatVersion: 1,
      id,
      createdAt: toIso(createdAt),
      label: o.label ?? null,
      projectDir: source.projectDir,
      globalDir: source.globalDir,
      projectId: source.projectId,
      stores: entries,
      ...(keys === undefined ? {} : { keys }),
      ...(onServer.length === 0 ? {} : { onServer: onServer.map((s) => ({ ...s })) }),
    }
    const manifestFile = join(temporary, WORKSPACE_BACKUP_MANIFEST)
    writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 })
    fsyncPath(manifestFile)
    renameSync(temporary, final)
    fsyncPath(root, true)
  } catch (error) {
    // The snapshots still pinned (each one released is deleted from the map): closing cannot fail.
    for (const snapshot of snapshots.values()) snapshot.close()
    rmSync(temporary, { recursive: true, force: true })
    throw toCleoStoreError(error, { ...CONTEXT, file: root })
  }
  const removed = await rotate(root, manifest, o.keep, createdAt)
  return { path: final, manifest, removed }
}

/** Copies the existing key files of `globalDir` into `folder` (mode 0600); a missing one is skipped. */
function copyKeyFiles(globalDir: string, folder: string): WorkspaceBackupKey[] {
  const paths = keyFilePaths(globalDir)
  const keys: WorkspaceBackupKey[] = []
  for (const [name, file] of [[MACHINE_KEY_FILE, paths.machineKey], [GLOBAL_SALT_FILE, paths.globalSalt]] as const) {
    let bytes: Buffer
    try {
      bytes = readKeyFile(file)
    } catch (error) {
      if (error instanceof CleoStoreError && error.code === 'NOT_FOUND') continue
      throw error
    }
    const target = join(folder, name)
    // A new file: created 0600 (a umask only removes bits).
    writeFileSync(target, bytes, { mode: 0o600 })
    fsyncPath(target)
    keys.push({ name, file: name, sha256: createHash('sha256').update(bytes).digest('hex') })
  }
  return keys
}

/** Where a restore writes, resolved by the caller. */
export interface RestoreTargets {
  /** Real path of an existing project directory. */
  readonly projectDir: string
  /** Absolute path of the global directory (created if needed). */
  readonly globalDir: string
  /**
   * Says whether a tier is open in this process; returns the reason to refuse, or
   * null.
   */
  readonly openInProcess: (tier: 'project' | 'global') => string | null
}

interface Held {
  readonly connection: DatabaseSync | null
  readonly damaged: boolean
}

/**
 * Takes SQLite's exclusive lock on `file` and keeps it: succeeds only when no other
 * connection (of any process) has the database open. The file is switched out of WAL
 * first, so closing this connection later deletes nothing by name (a WAL-mode close
 * would delete `<file>-wal`, which by then may belong to the restored database).
 * A file that is not a readable database is reported `damaged` (it cannot be locked).
 */
function holdExclusively(file: string, store: StoreName): Held {
  if (!existsSync(file)) return { connection: null, damaged: false }
  // Not even a SQLite header: never hand it to SQLite (closing a connection to it
  // could delete the -wal beside it, which is evidence worth keeping).
  if (!hasSqliteHeader(file)) return { connection: null, damaged: true }
  const context = { store, file }
  let connection: DatabaseSync
  try {
    connection = new (loadNodeSqlite().DatabaseSync)(file, { timeout: 250 })
  } catch (error) {
    const translated = toCleoStoreError(error, context)
    if (translated.code === 'CORRUPT') return { connection: null, damaged: true }
    throw translated
  }
  try {
    connection.exec('PRAGMA locking_mode = EXCLUSIVE')
    const mode = String(scalar(connection, 'PRAGMA journal_mode = DELETE'))
    if (mode !== 'delete') throw new CleoStoreError('BUSY', `${file} is in use (journal mode stayed ${mode})`, context)
    connection.exec('BEGIN EXCLUSIVE')
    connection.exec('COMMIT')
    return { connection, damaged: false }
  } catch (error) {
    connection.close()
    const translated = toCleoStoreError(error, context)
    if (translated.code === 'CORRUPT') return { connection: null, damaged: true }
    if (translated.code === 'BUSY') {
      throw new CleoStoreError('BUSY', `${store}.db is open in another process (${file}); close it before restoring`, {
        ...context,
        cause: error,
        details: { store, reason: 'locked' },
      })
    }
    throw translated
  }
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\u0000', 'latin1')

function readHead(file: string, length: number): Buffer {
  const head = Buffer.alloc(length)
  const fd = openSync(file, 'r')
  try {
    readSync(fd, head, 0, length, 0)
  } finally {
    closeSync(fd)
  }
  return head
}

/** True when `file` starts with the SQLite header (an empty file is a fresh database too). */
function hasSqliteHeader(file: string): boolean {
  return statSync(file).size === 0 || readHead(file, SQLITE_HEADER.length).equals(SQLITE_HEADER)
}

const SIDECARS = ['-wal', '-shm', '-journal'] as const
/** The first 8 bytes of a rollback journal that may still be needed (a hot journal). */
const JOURNAL_MAGIC = Buffer.from('d9d505f920a163d7', 'hex')

/** True for a rollback journal whose header was zeroed: nobody needs it. */
function isStaleJournal(file: string): boolean {
  return existsSync(file) && !readHead(file, JOURNAL_MAGIC.length).equals(JOURNAL_MAGIC)
}

/**
 * Makes the folder a restore keeps the replaced files of `directory` in (mode 0700):
 * `restore-replaced-<time>`, or, when a restore of the same millisecond (or a clock set
 * back) already made that one, `restore-replaced-<time>-<random>`, so that a restore
 * never overwrites the files an earlier one kept.
 */
function makeReplacedDir(directory: string, label: string): string {
  const wanted = join(directory, `restore-replaced-${label}`)
  try {
    mkdirSync(wanted, { mode: 0o700 })
    return wanted
  } catch {
    // Taken (or not creatable: mkdtemp then reports why).
    return mkdtempSync(`${wanted}-`)
  }
}

/**
 * Restores the stores of a backup folder into a closed workspace. See the module
 * documentation; `CleoWorkspace.restore` calls this after resolving the directories.
 *
 * @example
 * ```ts
 * await restoreWorkspace('/backups/app/20260101T120000000Z-1a2b3c4d', targets)
 * ```
 */
export async function restoreWorkspace(
  backupDir: string,
  targets: RestoreTargets,
  options: WorkspaceRestoreOptions = {},
): Promise<WorkspaceRestoreResult> {
  checkRestoreOptions(options)
  const folder = resolve(backupDir)
  const manifest = readManifest(folder)
  const wanted = options.stores ?? manifest.stores.map((entry) => entry.store)
  const entries = wanted.map((store) => {
    const entry = manifest.stores.find((e) => e.store === store)
    if (!entry) {
      throw new CleoStoreError('NOT_FOUND', `backup ${folder} holds no ${store} store`, { ...CONTEXT, file: folder, details: { store } })
    }
    return entry
  })

  // 1. Verify everything before touching anything.
  for (const entry of entries) {
    const file = join(folder, entry.file)
    const known = STORES[entry.store].definition.migrations
    const unknown = entry.migrations.filter((name) => !(name in known))
    if (unknown.length > 0) {
      throw new CleoStoreError(
        'SCHEMA_TOO_NEW',
        `the ${entry.store} store of this backup was written by a newer cleo-store (unknown migrations: ${unknown.join(', ')})`,
        { store: entry.store, file, details: { unknownMigrations: unknown } },
      )
    }
    if (!existsSync(file)) throw new CleoStoreError('CORRUPT', `backup file ${file} is missing`, { store: entry.store, file })
    const actual = await sha256Of(file)
    if (actual !== entry.sha256 || statSync(file).size !== entry.bytes) {
      throw new CleoStoreError('CORRUPT', `backup file ${file} does not match its checksum; nothing was restored`, {
        store: entry.store,
        file,
        details: { expected: entry.sha256, actual },
      })
    }
  }

  // 1b. The key files: checksums, and no clash with other key material already there.
  const keyEntries = options.includeKeys === false ? [] : (manifest.keys ?? [])
  const keyBytes = new Map<string, Buffer>()
  for (const key of keyEntries) {
    const file = join(folder, key.file)
    if (!existsSync(file)) throw new CleoStoreError('CORRUPT', `backup key file ${file} is missing`, { ...CONTEXT, file })
    const bytes = readFileSync(file)
    if (createHash('sha256').update(bytes).digest('hex') !== key.sha256) {
      throw new CleoStoreError('CORRUPT', `backup key file ${file} does not match its checksum; nothing was restored`, { ...CONTEXT, file })
    }
    const target = join(targets.globalDir, key.name)
    if (existsSync(target)) {
      const current = readKeyFile(target)
      if (!current.equals(bytes)) {
        throw new CleoStoreError(
          'CONFLICT',
          `${target} already holds other key material; restore with includeKeys: false (agents then re-authenticate), or into another global directory`,
          { ...CONTEXT, file: target, details: { reason: 'other-keys', key: key.name } },
        )
      }
    }
    keyBytes.set(key.name, bytes)
  }

  // 2. Refuse when a target is open in this process.
  for (const tier of new Set(entries.map((entry) => entry.tier))) {
    const reason = targets.openInProcess(tier)
    if (reason !== null) {
      throw new CleoStoreError('BUSY', `cannot restore: ${reason}; close it first`, { ...CONTEXT, details: { tier, reason: 'open-in-process' } })
    }
  }

  const tierDir = (tier: 'project' | 'global') => (tier === 'project' ? join(targets.projectDir, '.cleo') : targets.globalDir)
  const plan = entries.map((entry) => {
    const target = join(tierDir(entry.tier), entry.file)
    return { entry, target, temporary: `${target}.restore-${process.pid}-${randomBytes(4).toString('hex')}` }
  })
  const held: Array<Held & { store: StoreName; target: string }> = []
  const replacedDirs = new Map<string, string>()
  const restored: Array<{ store: StoreName; path: string }> = []
  const installedKeys: Array<{ name: string; outcome: 'created' | 'same' }> = []
  try {
    // 3. Stage each store beside its target and check the staged copy.
    for (const { entry, target, temporary } of plan) {
      mkdirSync(tierDir(entry.tier), { recursive: true, mode: 0o700 })
      copyFileSync(join(folder, entry.file), temporary)
      chmodSync(temporary, 0o600)
      const staged = new (loadNodeSqlite().DatabaseSync)(temporary)
      try {
        const applicationId = Number(scalar(staged, 'PRAGMA application_id'))
        const check = String(scalar(staged, 'PRAGMA quick_check'))
        if (applicationId !== APPLICATION_IDS[entry.store] || check !== 'ok') {
          throw new CleoStoreError('CORRUPT', `staged copy of ${entry.store} failed its check (${check})`, { store: entry.store, file: target })
        }
      } finally {
        staged.close()
      }
      fsyncPath(temporary)
    }

    // 4. Lock every existing target (refuse if any is in use), install the keys, then swap.
    for (const { entry, target } of plan) held.push({ ...holdExclusively(target, entry.store), store: entry.store, target })
    // installKeyFile creates the global directory (0700) when a key is the first file in it.
    for (const [name, bytes] of keyBytes) installedKeys.push({ name, outcome: installKeyFile(join(targets.globalDir, name), bytes) })
    const label = stamp(Date.now())
    for (const { entry, target, temporary } of plan) {
      const directory = tierDir(entry.tier)
      if (options.keepReplaced !== false && (existsSync(target) || SIDECARS.some((s) => existsSync(target + s)))) {
        let keepDir = replacedDirs.get(directory)
        if (!keepDir) {
          keepDir = makeReplacedDir(directory, label)
          replacedDirs.set(directory, keepDir)
        }
        if (existsSync(target)) {
          try {
            linkSync(target, join(keepDir, entry.file))
          } catch {
            copyFileSync(target, join(keepDir, entry.file))
          }
        }
        for (const suffix of SIDECARS) if (existsSync(target + suffix)) renameSync(target + suffix, join(keepDir, entry.file + suffix))
      } else {
        for (const suffix of SIDECARS) rmSync(target + suffix, { force: true })
      }
      renameSync(temporary, target)
      restored.push({ store: entry.store, path: target })
    }
    for (const directory of new Set(plan.map((p) => tierDir(p.entry.tier)))) fsyncPath(directory, true)
  } catch (error) {
    for (const { temporary } of plan) rmSync(temporary, { force: true })
    throw toCleoStoreError(error, { ...CONTEXT, file: folder })
  } finally {
    for (const h of held) h.connection?.close()
  }
  // An exclusive-mode connection may leave a zeroed (never hot) rollback journal behind.
  for (const { entry, target } of plan) {
    if (!isStaleJournal(`${target}-journal`)) continue
    const keepDir = replacedDirs.get(tierDir(entry.tier))
    if (keepDir) renameSync(`${target}-journal`, join(keepDir, `${entry.file}-journal.closed`))
    else rmSync(`${target}-journal`, { force: true })
  }
  return {
    manifest,
    restored,
    replacedDirs: [...replacedDirs.values()],
    damaged: held.filter((h) => h.damaged).map((h) => h.store),
    keys: installedKeys,
  }
}

/**
 * Deletes a database file and its -wal/-shm/-journal, refusing (`BUSY`) while any
 * connection has it open. Returns false when there was no file.
 *
 * @internal
 */
export function deleteDatabaseFiles(file: string, store: StoreName): boolean {
  const existed = existsSync(file)
  const { connection } = holdExclusively(file, store)
  try {
    rmSync(file, { force: true })
    for (const suffix of SIDECARS) rmSync(file + suffix, { force: true })
  } finally {
    connection?.close()
  }
  for (const suffix of SIDECARS) rmSync(file + suffix, { force: true })
  return existed
}
