/**
 * The public types of `CleoWorkspace.importFromCleo`: its options and its report.
 * Plain declarations in a file of their own: the root module's types reach them, and
 * must load neither zod nor Kysely (`test/dist/type-cost.test.ts`).
 *
 * @module
 */
import type { CleoLegacyStore } from '../sqlite/cleo-legacy.js'

/**
 * Options of `CleoWorkspace.importFromCleo`.
 *
 * @example
 * ```ts
 * await CleoWorkspace.importFromCleo('/work/app', { dryRun: true })
 * ```
 */
export interface CleoImportOptions {
  /** cleo-store's global directory (resolved as by `CleoWorkspace.open`: `$CLEO_HOME`, then the platform data directory). */
  readonly globalDir?: string
  /** Where CLEO keeps its global `nexus.db` / `signaldock.db`; default: the same directory as `globalDir`. */
  readonly cleoGlobalDir?: string
  /** Build and verify everything in a private temporary folder, report, and write nothing. */
  readonly dryRun?: boolean
}

/** Why one row was not imported. */
export interface CleoImportSkip {
  /** The row's key in CLEO's table (its id, or its key columns joined). */
  readonly key: string
  /** Why: a constraint of cleo-store's table, a dangling reference, a duplicate, … */
  readonly reason: string
}

/**
 * Rows read, imported and skipped for one source table (or file set) of a CLEO store.
 *
 * @example
 * ```ts
 * // { source: 'tasks', target: 'tasks', read: 3, imported: 3, skipped: 0, reasons: [] }
 * ```
 */
export interface CleoImportTableReport {
  readonly source: string
  readonly target: string | null
  readonly read: number
  readonly imported: number
  readonly skipped: number
  readonly reasons: readonly CleoImportSkip[]
}

/**
 * What happened to one CLEO store.
 *
 * - `replace`: CLEO's file sat where cleo-store's goes; it was moved aside and the
 *   imported store put in its place;
 * - `create`: CLEO's file is elsewhere (`cleoGlobalDir`); a new cleo-store file was created;
 * - `merge`: a cleo-store file already existed there (another project imported first):
 *   rows were added to it, rows already present skipped.
 */
export type CleoImportMode = 'replace' | 'create' | 'merge'

/** The report of one CLEO store. */
export interface CleoImportStoreReport {
  /** Which CLEO store. */
  readonly store: CleoLegacyStore
  /** CLEO's file. */
  readonly source: string
  /** cleo-store's file (the imported store is, or would be, there). */
  readonly target: string
  readonly mode: CleoImportMode
  /** Per source table (or file set): rows read, imported, skipped with reasons. */
  readonly tables: readonly CleoImportTableReport[]
}

/**
 * The report of `CleoWorkspace.importFromCleo`. A project with no CLEO stores (never
 * CLEO's, or already imported) gives `stores: []` and `movedAside: []`.
 *
 * @example
 * ```ts
 * const report = await CleoWorkspace.importFromCleo('/work/app')
 * for (const store of report.stores) for (const t of store.tables) console.log(store.store, t.source, t.read, t.imported, t.skipped)
 * ```
 */
export interface CleoImportReport {
  readonly projectDir: string
  readonly dryRun: boolean
  readonly stores: readonly CleoImportStoreReport[]
  /** CLEO's files moved aside, byte-identical (`from` → `to`); empty on a dry run. */
  readonly movedAside: ReadonlyArray<{ readonly from: string; readonly to: string }>
  /** The `cleo-legacy-<time>` folders holding them. */
  readonly legacyDirs: readonly string[]
}
