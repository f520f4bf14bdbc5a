/**
 * Helpers shared by the store workloads: dataset sizes (shrunk by `--quick` or
 * `BENCH_QUICK=1` for a smoke run), creating the same schema in the three
 * contenders' files, and set-based seeding.
 */
import { DatabaseSync, StatementSync } from 'node:sqlite'

import type { SQL } from 'drizzle-orm'
import { sql as dsql } from 'drizzle-orm'

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

/**
 * The SQL texts an operation executes, in order (BEGIN/COMMIT excluded): run it once
 * through ours, so raw and Drizzle can execute exactly the same statements.
 */
export async function captureSql(operation: () => unknown): Promise<string[]> {
  const proto = StatementSync.prototype as unknown as Record<'run' | 'get' | 'all', (...args: unknown[]) => unknown>
  const saved = { run: proto.run, get: proto.get, all: proto.all }
  const seen: string[] = []
  for (const method of ['run', 'get', 'all'] as const) {
    const original = saved[method]
    proto[method] = function (this: StatementSync, ...args: unknown[]) {
      const text = this.sourceSQL
      if (!/^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b/i.test(text)) seen.push(text)
      return original.apply(this, args)
    }
  }
  try {
    await operation()
  } finally {
    Object.assign(proto, saved)
  }
  return seen
}

/** The same SQL text run through Drizzle's `sql` with bound parameters. */
export function withParams(text: string, params: readonly unknown[]): SQL {
  const parts = text.split('?')
  if (parts.length !== params.length + 1) throw new Error(`expected ${parts.length - 1} parameters, got ${params.length}`)
  const chunks: SQL[] = [dsql.raw(parts[0]!)]
  for (let i = 0; i < params.length; i++) chunks.push(dsql`${params[i]}`, dsql.raw(parts[i + 1]!))
  return dsql.join(chunks)
}

/** One statement execution seen by {@link captureCalls}. */
export interface CapturedCall {
  readonly sql: string
  readonly method: 'run' | 'get' | 'all'
  readonly args: readonly unknown[]
}

/** Like {@link captureSql}, with the method and the arguments of every execution. */
export async function captureCalls(operation: () => unknown): Promise<CapturedCall[]> {
  const proto = StatementSync.prototype as unknown as Record<'run' | 'get' | 'all', (...args: unknown[]) => unknown>
  const saved = { run: proto.run, get: proto.get, all: proto.all }
  const seen: CapturedCall[] = []
  for (const method of ['run', 'get', 'all'] as const) {
    const original = saved[method]
    proto[method] = function (this: StatementSync, ...args: unknown[]) {
      const text = this.sourceSQL
      if (!/^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b/i.test(text)) seen.push({ sql: text, method, args })
      return original.apply(this, args)
    }
  }
  try {
    await operation()
  } finally {
    Object.assign(proto, saved)
  }
  return seen
}
