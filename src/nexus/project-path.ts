/**
 * How a project directory is identified in nexus.db: its resolved real path, and the
 * SHA-256 of that path.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import { realpathSync } from 'node:fs'
import { resolve } from 'node:path'

/**
 * The resolved real path of `path` (symlinks followed) when it exists, else its
 * absolute form. Two spellings of one directory give one path.
 *
 * @example
 * ```ts
 * resolveProjectPath('./my-app') // '/home/me/src/my-app'
 * ```
 */
export function resolveProjectPath(path: string): string {
  const absolute = resolve(path)
  try {
    return realpathSync(absolute)
  } catch {
    return absolute
  }
}

/**
 * SHA-256 (64 hex characters) of a project path, as stored in
 * `project_registry.project_hash`. Pass a path from {@link resolveProjectPath}.
 *
 * @example
 * ```ts
 * projectPathHash('/home/me/src/my-app') // 'c0ffee…' (64 hex characters)
 * ```
 */
export function projectPathHash(resolvedPath: string): string {
  return createHash('sha256').update(resolvedPath, 'utf8').digest('hex')
}
