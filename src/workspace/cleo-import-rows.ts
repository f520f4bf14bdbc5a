/**
 * The row machinery of the CLEO import (issue 18): reading CLEO's tables from a
 * private copy, converting CLEO's values (three timestamp conventions, JSON text,
 * loose enums), and writing rows into a cleo-store store one savepoint per row, so a
 * row the target's constraints refuse is reported and skipped instead of failing the
 * store. Pure helpers plus {@link ImportWriter}; the per-store mappings live in
 * `cleo-import-<store>.ts`.
 *
 * @module
 */
import type { DatabaseSync } from 'node:sqlite'

import type { SqliteDatabase } from '../sqlite/database.js'
import { rawQuery } from '../sqlite/database.js'
import { CleoStoreError } from '../sqlite/errors.js'
import type { CleoImportSkip } from './cleo-import.types.js'

export type { CleoImportSkip, CleoImportTableReport } from './cleo-import.types.js'

/** One CLEO row as read (column → SQLite value). */
export type CleoRow = Record<string, unknown>

/** The table report while the import fills it (see {@link CleoImportTableReport}). */
export interface TableReport {
  /** CLEO's table, or the file pattern (`adrs/*.md`, `agent-outputs/MANIFEST.jsonl`). */
  readonly source: string
  /** cleo-store's table the rows went to; `null` when the table is not imported. */
  readonly target: string | null
  /** Rows (or files, or lines) read. */
  read: number
  /** Rows written. */
  imported: number
  /** Rows not written (`read - imported`). */
  skipped: number
  /** Why rows were skipped: the first {@link MAX_REASONS} skips, each with its key. */
  readonly reasons: CleoImportSkip[]
}

/** Skips listed per table in a report (the counts stay exact beyond it). */
export const MAX_REASONS = 100

/**
 * Reads CLEO's table `name` and adds its report (rows read counted) to `reports`;
 * `null` when CLEO's file has no such table.
 */
export function startTable(cleo: DatabaseSync, reports: TableReport[], name: string, target: string | null): { rows: CleoRow[]; report: TableReport } | null {
  const rows = readTable(cleo, name)
  if (rows === null) return null
  const report = tableReport(name, target)
  report.read = rows.length
  reports.push(report)
  return { rows, report }
}

/** A new, empty table report. */
export function tableReport(source: string, target: string | null): TableReport {
  return { source, target, read: 0, imported: 0, skipped: 0, reasons: [] }
}

/** Records a skipped row on `report`. */
export function skip(report: TableReport, key: string, reason: string): void {
  report.skipped += 1
  if (report.reasons.length < MAX_REASONS) report.reasons.push({ key, reason })
}

// ── reading ─────────────────────────────────────────────────────────────────────

/** The tables of a CLEO database (as `sqlite_schema` lists them). */
export function tableNames(source: DatabaseSync): string[] {
  return (source.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view')").all() as Array<{ name: string }>).map((r) => r.name)
}

/** The CLEO file each private copy was made from (for error messages). */
export const COPIED_FROM = new WeakMap<DatabaseSync, { readonly store: string; readonly file: string }>()

/**
 * Every row of `table` in CLEO's database, in rowid order when it has one; `null` when
 * the table is absent. A table SQLite cannot read is `CORRUPT`, naming CLEO's file.
 */
export function readTable(source: DatabaseSync, table: string): CleoRow[] | null {
  const exists = source.prepare("SELECT 1 AS x FROM sqlite_schema WHERE type = 'table' AND name = ?").get(table)
  if (exists === undefined) return null
  const name = `"${table.replaceAll('"', '""')}"`
  try {
    const withoutRowid = source.prepare("SELECT 1 AS x FROM pragma_table_list WHERE name = ? AND wr = 1").get(table) !== undefined
    return source.prepare(`SELECT * FROM ${name}${withoutRowid ? '' : ' ORDER BY rowid'}`).all() as CleoRow[]
  } catch (error) {
    const origin = COPIED_FROM.get(source)
    throw new CleoStoreError('CORRUPT', `CLEO's ${origin?.store ?? ''} table ${table} could not be read: ${(error as Error).message}; nothing was imported`, {
      ...(origin === undefined ? {} : { store: origin.store, file: origin.file }),
      cause: error,
    })
  }
}

// ── values ──────────────────────────────────────────────────────────────────────

/** A text value, or `null` (empty strings and non-text values are `null`). */
export function text(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  return null
}

/** An integer, or `null`. */
export function int(value: unknown): number | null {
  if (typeof value === 'bigint') return Number(value)
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value)
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim())
  return null
}

/** A real number, or `null`. */
export function real(value: unknown): number | null {
  if (typeof value === 'bigint') return Number(value)
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value)
  return null
}

/** 0/1 from CLEO's integer booleans (`null` stays `null`). */
export function bool(value: unknown): 0 | 1 | null {
  const n = int(value)
  if (n === null) return typeof value === 'boolean' ? (value ? 1 : 0) : null
  return n === 0 ? 0 : 1
}

/** `value` when it is one of `allowed`, else `null`. */
export function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T | null {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : null
}

/** Epoch seconds below this are taken for seconds, above for milliseconds (year 5138 in seconds). */
const SECONDS_LIMIT = 1e11

/**
 * Epoch milliseconds from any of CLEO's timestamp conventions: SQL `datetime('now')`
 * text (`YYYY-MM-DD HH:MM:SS`, UTC), ISO-8601 text, epoch seconds or milliseconds
 * (numbers or digit strings). `null` when absent or unreadable.
 *
 * @example
 * ```ts
 * cleoTime('2026-04-01 09:00:00') // 1775034000000
 * cleoTime(1775034000) // 1775034000000
 * ```
 */
export function cleoTime(value: unknown): number | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'number' || typeof value === 'bigint') {
    const n = Number(value)
    if (!Number.isFinite(n) || n <= 0) return null
    return Math.round(n < SECONDS_LIMIT ? n * 1000 : n)
  }
  if (typeof value !== 'string') return null
  const trimmed = value.trim()
  if (trimmed === '') return null
  if (/^\d+(\.\d+)?$/.test(trimmed)) return cleoTime(Number(trimmed))
  // `YYYY-MM-DD HH:MM:SS[.fff]` without a zone is SQLite's UTC text.
  const sqlText = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/.exec(trimmed)
  const parsed = Date.parse(sqlText ? `${sqlText[1]}T${sqlText[2]}Z` : /^\d{4}-\d{2}-\d{2}$/.test(trimmed) ? `${trimmed}T00:00:00Z` : trimmed)
  return Number.isFinite(parsed) ? parsed : null
}

/** Parsed JSON text, or `undefined` when absent or not JSON. */
export function parseJson(value: unknown): unknown {
  if (typeof value !== 'string' || value.trim() === '') return undefined
  try {
    return JSON.parse(value)
  } catch {
    return undefined
  }
}

/** JSON text of an array column: CLEO's array, `'[]'` when absent; `undefined` when present but not an array. */
export function jsonArray(value: unknown): string | undefined {
  if (value === null || value === undefined || value === '') return '[]'
  const parsed = parseJson(value)
  return Array.isArray(parsed) ? JSON.stringify(parsed) : undefined
}

/** JSON text of an object column: CLEO's object, `'{}'` when absent; `undefined` when present but not an object. */
export function jsonObject(value: unknown): string | undefined {
  if (value === null || value === undefined || value === '') return '{}'
  const parsed = parseJson(value)
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? JSON.stringify(parsed) : undefined
}

/** JSON text of any valid JSON value, `null` when absent; `undefined` when present but not JSON. */
export function jsonAny(value: unknown): string | null | undefined {
  if (value === null || value === undefined || value === '') return null
  const parsed = parseJson(value)
  return parsed === undefined ? undefined : JSON.stringify(parsed)
}

/** A comma- or JSON-array list of words (CLEO keeps ADR keywords and topics as text). */
export function wordList(value: unknown): string[] {
  if (value === null || value === undefined) return []
  const parsed = parseJson(value)
  if (Array.isArray(parsed)) return parsed.filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim())
  return String(value)
    .split(/[,;\n]/)
    .map((v) => v.trim())
    .filter((v) => v !== '')
}

/** Drops `undefined` and `null` members (for metadata objects). */
export function compact(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined && v !== null))
}

// ── writing ─────────────────────────────────────────────────────────────────────

/** A row to insert: column → value (all already in cleo-store's encoding). */
export type TargetRow = Record<string, string | number | null>

/** How an insert went. */
export type InsertOutcome = 'imported' | 'exists' | 'refused'

/**
 * Writes rows into one cleo-store database inside the caller's write transaction,
 * each row in its own savepoint: a row the target refuses (a CHECK, a trigger, a
 * missing parent) is rolled back alone and reported with SQLite's reason; a row whose
 * unique key is already present is skipped as `exists` (`ON CONFLICT DO NOTHING`, so
 * only uniqueness conflicts are treated so — every other constraint still refuses).
 */
export class ImportWriter {
  constructor(readonly db: SqliteDatabase<unknown>) {}

  /** Inserts `row` into `table`; on success counts it on `report`, otherwise records the skip. */
  insert(report: TableReport, key: string, table: string, row: TargetRow): InsertOutcome {
    const columns = Object.keys(row)
    const statement = `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`
    const outcome = this.attempt(() => this.db.run(rawQuery(statement, columns.map((c) => row[c]))).changes > 0)
    if (outcome === true) {
      report.imported += 1
      return 'imported'
    }
    if (outcome === false) {
      skip(report, key, 'already present (same unique key)')
      return 'exists'
    }
    skip(report, key, outcome.reason)
    return 'refused'
  }

  /** Runs a statement in a savepoint; `{ reason }` when SQLite refused it (rolled back alone). */
  attempt<T>(fn: () => T): T | { readonly reason: string } {
    this.db.exec('SAVEPOINT cleo_import_row')
    try {
      const result = fn()
      this.db.exec('RELEASE cleo_import_row')
      return result
    } catch (error) {
      this.db.exec('ROLLBACK TO cleo_import_row')
      this.db.exec('RELEASE cleo_import_row')
      return { reason: refusal(error) }
    }
  }

  /** Runs a statement outside any row accounting (fixups after the rows are in). */
  run(statement: string, parameters: readonly unknown[] = []): number {
    return this.db.run(rawQuery(statement, parameters)).changes
  }

  /** Rows of a query on the target. */
  all<R>(statement: string, parameters: readonly unknown[] = []): R[] {
    return this.db.all(rawQuery<R>(statement, parameters))
  }
}

/** SQLite's message for a refused row, without the values (a message may not quote data). */
function refusal(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : ''
  const text = /constraint|FOREIGN KEY|tasks:|sessions|audit_log|brain_|RAISE|UNIQUE|CHECK|NOT NULL/i.test(message) ? message : cause || message
  return text.replace(/^[A-Z_]+: /, '').slice(0, 300)
}
