/**
 * Helpers shared by the store workloads: dataset sizes (shrunk by `--quick` or
 * `BENCH_QUICK=1` for a smoke run), creating the same schema in the three
 * contenders' files, and set-based seeding.
 */
import { DatabaseSync } from 'node:sqlite'

import { openRaw } from '../harness.js'

/** True for a smoke run (`npm run bench -- --quick` or `BENCH_QUICK=1`). */
export function quick(): boolean {
  return process.env.BENCH_QUICK === '1'
}

/** The full dataset size, or a small one for a smoke run. */
export function size(full: number, small: number): number {
  return quick() ? small : full
}

/**
 * Creates a store file with the repository's own migrations (open, then close),
 * so raw and Drizzle run against exactly the tables, indexes and triggers ours
 * uses, then runs `seed` (set-based SQL, one transaction) on it.
 */
export async function prepareStoreFile(
  open: (path: string) => Promise<{ close(): Promise<void> | void }>,
  path: string,
  seed?: string,
): Promise<void> {
  const repository = await open(path)
  await repository.close()
  if (seed === undefined) return
  const db = openRaw(path)
  try {
    db.exec('BEGIN IMMEDIATE')
    db.exec(seed)
    db.exec('COMMIT')
    db.exec('ANALYZE')
  } finally {
    db.close()
  }
}

/** One scalar from a file (for notes: row counts). */
export function scalar(path: string, sqlText: string): number {
  const db = new DatabaseSync(path, { readOnly: true })
  try {
    return Number(Object.values(db.prepare(sqlText).get() ?? {})[0] ?? 0)
  } finally {
    db.close()
  }
}

/** `WITH RECURSIVE n(i)` counting 1…count, to prefix a set-based INSERT … SELECT. */
export function counter(count: number, name = 'n'): string {
  return `WITH RECURSIVE ${name}(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM ${name} WHERE i < ${Math.trunc(count)})`
}
