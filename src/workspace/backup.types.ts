/**
 * Plain types of a workspace backup's manifest (what its schemas return). The root module's types come from here, not from zod; `test/types/workspace.types.test-d.ts` keeps each one equal to its schema.
 *
 * @module
 */

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
}
