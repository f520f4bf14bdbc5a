/**
 * sqlite-vec is an optional dependency (issue 15 item 6). Its JavaScript package and
 * its per-platform native package (`sqlite-vec-<os>-<arch>`) are looked up once per
 * process, lazily, with a dynamic import: when either is missing — `npm install
 * --omit=optional`, or a platform sqlite-vec ships no binary for — the stores that
 * use vectors still open, full-text search works, and vector operations are
 * `UNSUPPORTED` with {@link SQLITE_VEC_FIX}.
 *
 * @module
 */
import type { DatabaseSync } from './node-sqlite.js'

/**
 * Platforms sqlite-vec 0.1.9 ships a native package for (its `optionalDependencies`):
 * `os-arch` as Node reports them. There is no `win32-arm64` package, and the Linux
 * binaries are built against glibc.
 *
 * @example
 * ```ts
 * const here = `${process.platform}-${process.arch}`
 * if (!SQLITE_VEC_PLATFORMS.includes(here)) console.warn('no vector search on', here)
 * ```
 */
export const SQLITE_VEC_PLATFORMS: readonly string[] = Object.freeze([
  'linux-x64',
  'linux-arm64',
  'darwin-x64',
  'darwin-arm64',
  'win32-x64',
])

/**
 * What an `UNSUPPORTED` error about sqlite-vec tells the user to do.
 *
 * @example
 * ```ts
 * const { sqliteVecMissing } = await brain.embeddingStatus()
 * if (sqliteVecMissing) console.warn(`vector search is off (${sqliteVecMissing}): ${SQLITE_VEC_FIX}`)
 * ```
 */
export const SQLITE_VEC_FIX =
  'install the optional dependency sqlite-vec (`npm install sqlite-vec`, without --omit=optional) on a platform it ships a binary for ' +
  '(linux x64/arm64 with glibc, macOS x64/arm64, Windows x64); full-text search works without it'

/** Whether sqlite-vec can be loaded in this process, and why not. */
export type SqliteVecStatus = { readonly available: true; readonly path: string } | { readonly available: false; readonly reason: string }

let resolved: Promise<SqliteVecStatus> | undefined

/** Resolves (once per process) the path of sqlite-vec's loadable extension, or why it cannot be loaded. */
export function sqliteVecStatus(): Promise<SqliteVecStatus> {
  resolved ??= (async (): Promise<SqliteVecStatus> => {
    try {
      // Kept external by the bundler (tsup.config.ts), so a missing package fails here, not at import time.
      const mod = await import('sqlite-vec')
      return { available: true, path: mod.getLoadablePath() }
    } catch (error) {
      return { available: false, reason: error instanceof Error ? error.message : String(error) }
    }
  })()
  return resolved
}

/**
 * Loads sqlite-vec into `connection` (extension loading must be enabled). Returns
 * null on success, or the reason it is unavailable.
 */
export async function loadSqliteVec(connection: DatabaseSync): Promise<string | null> {
  const status = await sqliteVecStatus()
  if (!status.available) return status.reason
  try {
    connection.loadExtension(status.path)
    return null
  } catch (error) {
    return `the sqlite-vec binary ${status.path} could not be loaded: ${error instanceof Error ? error.message : String(error)}`
  }
}

/** Connections into which sqlite-vec could not be loaded, with the reason. */
const unavailable = new WeakMap<object, string>()

/** Records that sqlite-vec is missing on the connection `owner` (the engine's database handle). */
export function markSqliteVecUnavailable(owner: object, reason: string): void {
  unavailable.set(owner, reason)
}

/** Why sqlite-vec is not loaded on `owner`'s connection, or null when it is loaded (or was never asked for). */
export function sqliteVecUnavailableReason(owner: object): string | null {
  return unavailable.get(owner) ?? null
}
