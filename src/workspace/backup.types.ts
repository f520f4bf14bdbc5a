/**
 * Plain types of a workspace backup's manifest (what its schemas return). The root module's types come
 * from here, not from zod; `test/types/workspace.types.test-d.ts` keeps each one equal to its schema.
 *
 * @module
 */
import type { StoreName } from '../sqlite/store-name.js'

/** One store in a backup. */
export interface WorkspaceBackupStore {
  store: 'tasks' | 'brain' | 'conduit' | 'signaldock' | 'nexus' | 'telemetry'
  tier: 'project' | 'global'
  /** File name inside the backup folder: always `<store>.db`. */
  file: string
  /** Newest applied migration of the copy. */
  schemaVersion: string
  /** Every applied migration of the copy, in order. */
  migrations: string[]
  bytes: number
  pages: number
  sha256: string
}

/** A key file in a backup. */
export interface WorkspaceBackupKey {
  name: 'machine-key' | 'global-salt'
  /** File name inside the backup folder (the same as `name`). */
  file: 'machine-key' | 'global-salt'
  sha256: string
}

/** `manifest.json` of a backup folder. */
export interface WorkspaceBackupManifest {
  format: 'cleo-store-backup'
  formatVersion: 1
  /** UUIDv7 of the backup. */
  id: string
  /** ISO-8601 UTC. */
  createdAt: string
  label: string | null
  /** Real path of the project the backup was taken from. */
  projectDir: string
  /** Global directory it was taken from (null for an in-memory workspace). */
  globalDir: string | null
  projectId: string | null
  stores: WorkspaceBackupStore[]
  /**
   * Key files copied with `includeKeys` (mode 0600 in the folder): a restore onto
   * another machine then opens every sealed credential. Absent or empty: no keys.
   */
  keys?: WorkspaceBackupKey[] | undefined
  /**
   * The workspace's stores on a PostgreSQL server at the time of the backup: not in
   * this folder (back them up on the server: `pg_dump --schema=<schema>`). Absent:
   * every store was local.
   */
  onServer?: WorkspaceBackupServerStore[] | undefined
}

/** A store of a backed-up workspace that lives on a PostgreSQL server (so is not in the backup). */
export interface WorkspaceBackupServerStore {
  store: StoreName
  /** Its server target, `postgres://user@host:port/db#schema` (never a password). */
  location: string
  /** Its schema on the server: what `pg_dump --schema=…` takes. */
  schema: string
}

/** A progress report of `ws.backup`. */
export interface WorkspaceBackupProgress {
  readonly store: StoreName
  /** `copying` (pages move), `verifying` (integrity_check and checksum), `done`. */
  readonly phase: 'copying' | 'verifying' | 'done'
  /** 0-based position of this store in the backup. */
  readonly storeIndex: number
  readonly storeCount: number
  readonly totalPages: number
  readonly remainingPages: number
}

/** Options of `ws.backup`. */
export interface WorkspaceBackupOptions {
  /** Called as pages are copied and as each store is verified. If it throws, the backup is abandoned and the error rethrown. */
  readonly onProgress?: (progress: WorkspaceBackupProgress) => void
  /** Backups of this project kept in `dir`, the newest (default 10); 0 keeps all. */
  readonly keep?: number
  /** Only these stores (default: every open store). */
  readonly stores?: readonly StoreName[]
  /** Free text stored in the manifest. */
  readonly label?: string
  /**
   * Also copy the global directory's `machine-key` and `global-salt` (mode 0600;
   * listed in the manifest's `keys`), so a restore onto another machine opens every
   * sealed credential (default false). Anyone holding the folder can then open
   * them: keep it as safe as the keys. Not for an in-memory workspace.
   */
  readonly includeKeys?: boolean
}

/** A finished backup. */
export interface WorkspaceBackup {
  /** Absolute path of the backup folder (pass it to `CleoWorkspace.restore`). */
  readonly path: string
  readonly manifest: WorkspaceBackupManifest
  /** Older backup folders removed by rotation. */
  readonly removed: readonly string[]
}

/** A backup found by `listWorkspaceBackups`. */
export interface WorkspaceBackupEntry {
  readonly path: string
  readonly manifest: WorkspaceBackupManifest
}

/** Options of `CleoWorkspace.restore`. */
export interface WorkspaceRestoreOptions {
  /** Global directory to restore the global stores into (default: as `CleoWorkspace.open`). */
  readonly globalDir?: string
  /** Only these stores (default: every store in the backup). */
  readonly stores?: readonly StoreName[]
  /**
   * Keep the replaced files (and their -wal/-shm) in a `restore-replaced-<time>` folder
   * beside them (`restore-replaced-<time>-<random>` when that name is taken; default true);
   * false deletes them.
   */
  readonly keepReplaced?: boolean
  /**
   * Install the backup's key files (when it was made with `includeKeys`) into the
   * global directory (default true). A key file already there with other bytes is
   * never overwritten: the restore is refused with `CONFLICT` before anything is
   * touched; pass false to restore without the keys (agents whose seals then do not
   * open are marked `requiresReauth` at the next open).
   */
  readonly includeKeys?: boolean
}

/** What `CleoWorkspace.restore` did. */
export interface WorkspaceRestoreResult {
  readonly manifest: WorkspaceBackupManifest
  /** Each restored store and the file it now lives in. */
  readonly restored: ReadonlyArray<{ readonly store: StoreName; readonly path: string }>
  /** Where the replaced files were moved (one folder per tier), when kept. */
  readonly replacedDirs: readonly string[]
  /** Stores whose previous file was damaged (could not be locked, was replaced all the same). */
  readonly damaged: readonly StoreName[]
  /** Key files of the backup installed (`created`) or found identical (`same`). */
  readonly keys: ReadonlyArray<{ readonly name: string; readonly outcome: 'created' | 'same' }>
}
