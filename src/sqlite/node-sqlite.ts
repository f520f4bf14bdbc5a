/**
 * Loads the `node:sqlite` builtin lazily, so importing cleo-store on an old Node
 * fails with a clear `UNSUPPORTED` error at open time instead of a resolver error
 * at import time.
 *
 * @module
 */
import type * as NodeSqlite from 'node:sqlite'

import { CleoStoreError } from './errors.js'

/** The `node:sqlite` module type. */
export type NodeSqliteModule = typeof NodeSqlite
/** A node:sqlite connection. */
export type DatabaseSync = NodeSqlite.DatabaseSync
/** A node:sqlite prepared statement. */
export type StatementSync = NodeSqlite.StatementSync
/** A value node:sqlite can bind. */
export type SqlValue = NodeSqlite.SQLInputValue

let cached: NodeSqliteModule | undefined
let nulSafe = true

/**
 * False on runtimes whose node:sqlite cuts text at the first NUL character when it
 * reads it back (Node 22). Writes of such text are then refused instead of being
 * silently truncated on the next read.
 */
export function textNulSafe(): boolean {
  return nulSafe
}

/** The minimum Node version: `StatementSync.columns()` arrived in 22.16. */
export const MIN_NODE_VERSION = '22.16.0'

/** @internal Exported for its tests: `actual` (`v` prefix allowed) ≥ `minimum`, compared as major.minor.patch. */
export function versionAtLeast(actual: string, minimum: string): boolean {
  const a = actual.replace(/^v/, '').split('.').map(Number)
  const m = minimum.split('.').map(Number)
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (m[i] ?? 0)) return (a[i] ?? 0) > (m[i] ?? 0)
  }
  return true
}

/** Returns the `node:sqlite` module, or throws `UNSUPPORTED` on a Node that lacks it. */
export function loadNodeSqlite(): NodeSqliteModule {
  if (cached) return cached
  const getBuiltin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule
  const mod = versionAtLeast(process.versions.node, MIN_NODE_VERSION)
    ? (getBuiltin?.('node:sqlite') as NodeSqliteModule | undefined)
    : undefined
  if (!mod) {
    throw new CleoStoreError(
      'UNSUPPORTED',
      `cleo-store needs Node >= ${MIN_NODE_VERSION} (node:sqlite with StatementSync.columns()); this is Node ${process.versions.node}`,
    )
  }
  const probe = new mod.DatabaseSync(':memory:')
  try {
    nulSafe = (probe.prepare('SELECT ? AS x').get('a\u0000b') as { x: string }).x.length === 3
  } finally {
    probe.close()
  }
  cached = mod
  return mod
}
