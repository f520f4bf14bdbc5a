/**
 * The on-disk format names of a workspace backup (no zod: the root type graph imports this file).
 *
 * @module
 */

/** The `format` of a backup manifest. */
export const WORKSPACE_BACKUP_FORMAT = 'cleo-store-backup'

/** The manifest file inside a backup folder. */
export const WORKSPACE_BACKUP_MANIFEST = 'manifest.json'

/** Backups of one project kept in a folder by default. */
export const DEFAULT_BACKUPS_KEPT = 10
