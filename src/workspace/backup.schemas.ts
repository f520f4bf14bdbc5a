/**
 * zod schemas of a workspace backup's manifest (`cleo-store/schemas` exports them; the backup module
 * parses with them).
 *
 * @module
 */
import { z } from 'zod'

import { GLOBAL_SALT_FILE, MACHINE_KEY_FILE } from '../kdf/key-files.js'
import type { StoreName } from '../sqlite/store-name.js'
import { WORKSPACE_BACKUP_FORMAT } from './backup-format.js'

/** The tier each store lives in (the backup module's store table agrees). */
const STORE_TIERS: Readonly<Record<StoreName, 'project' | 'global'>> = {
  tasks: 'project',
  brain: 'project',
  conduit: 'project',
  signaldock: 'global',
  nexus: 'global',
  telemetry: 'global',
}

export const StoreNameSchema = z.enum(['tasks', 'brain', 'conduit', 'signaldock', 'nexus', 'telemetry'])

/** One store in a backup. */
export const WorkspaceBackupStoreSchema = z
  .strictObject({
    store: StoreNameSchema,
    tier: z.enum(['project', 'global']),
    /** File name inside the backup folder: always `<store>.db`. */
    file: z.string(),
    /** Newest applied migration of the copy. */
    schemaVersion: z.string().min(1),
    /** Every applied migration of the copy, in order. */
    migrations: z.array(z.string()),
    bytes: z.int().min(0),
    pages: z.int().min(0),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .refine((entry) => entry.file === `${entry.store}.db` && entry.tier === STORE_TIERS[entry.store], {
    message: 'file must be <store>.db and tier must match the store',
    path: ['file'],
  })

/**
 * A key file in a backup (`includeKeys`).
 *
 * @example
 * ```ts
 * manifest.keys?.map((key) => key.name) // ['machine-key', 'global-salt']
 * ```
 */
export const WorkspaceBackupKeySchema = z.strictObject({
  name: z.enum([MACHINE_KEY_FILE, GLOBAL_SALT_FILE]),
  /** File name inside the backup folder (the same as `name`). */
  file: z.enum([MACHINE_KEY_FILE, GLOBAL_SALT_FILE]),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
})

/** A store of the backed-up workspace that lives on a PostgreSQL server, so is not in the folder. */
export const WorkspaceBackupServerStoreSchema = z.strictObject({
  store: StoreNameSchema,
  /** Its server target, `postgres://user@host:port/db#schema` (never a password). */
  location: z.string(),
  /** Its schema on the server: what `pg_dump --schema=…` takes. */
  schema: z.string(),
})

/**
 * `manifest.json` of a backup folder.
 *
 * @example
 * ```ts
 * const manifest = WorkspaceBackupManifestSchema.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')))
 * ```
 */
export const WorkspaceBackupManifestSchema = z.strictObject({
  format: z.literal(WORKSPACE_BACKUP_FORMAT),
  formatVersion: z.literal(1),
  /** UUIDv7 of the backup. */
  id: z.string().length(36),
  /** ISO-8601 UTC. */
  createdAt: z.iso.datetime(),
  label: z.string().max(200).nullable(),
  /** Real path of the project the backup was taken from. */
  projectDir: z.string(),
  /** Global directory it was taken from (null for an in-memory workspace). */
  globalDir: z.string().nullable(),
  projectId: z.string().nullable(),
  stores: z.array(WorkspaceBackupStoreSchema).min(1),
  /**
   * Key files copied with `includeKeys` (mode 0600 in the folder): a restore onto
   * another machine then opens every sealed credential. Absent or empty: no keys.
   */
  keys: z.array(WorkspaceBackupKeySchema).optional(),
  /**
   * The workspace's stores on a PostgreSQL server at the time of the backup: not in
   * this folder (back them up on the server: `pg_dump --schema=<schema>`). Absent:
   * every store was local.
   */
  onServer: z.array(WorkspaceBackupServerStoreSchema).optional(),
})
