/**
 * The result of an integrity check (no Kysely: the root type graph imports this file).
 *
 * @module
 */

/** Result of an integrity check. */
export interface IntegrityReport {
  /** True when SQLite found nothing wrong and no foreign key dangles. */
  readonly ok: boolean
  /** Messages of `PRAGMA integrity_check` (or `quick_check`) other than `ok`. */
  readonly problems: readonly string[]
  /** Rows of `PRAGMA foreign_key_check`. */
  readonly foreignKeyViolations: ReadonlyArray<{ table: string; rowid: number | null; parent: string }>
}
