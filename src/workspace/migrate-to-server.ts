/**
 * `CleoWorkspace.migrateToServer` (issue 20, item 6): copies a local project's
 * coordination stores into their schemas on a PostgreSQL server, verified.
 *
 * For each store moved: the local file is opened (and migrated to the newest
 * schema) as usual; the server schema is created and migrated; a target holding
 * any row is refused (`CONFLICT`) before anything is written. Then, in one
 * server transaction per store: every table is copied in foreign-key order (the
 * store's own maintenance triggers are switched off for the copy — the rows
 * already hold what they would compute — and back on before commit), identity
 * sequences are moved past the copied ids, the seeded tables' rows (the meta table, a
 * status registry: what a fresh store holds after its migrations) are upserted, and
 * each table's row count and checksum (SHA-256 over its rows in primary-key order,
 * every value in one canonical text form) are compared with the local file's: any
 * difference rolls the store back (`CORRUPT`). The local files are left as they
 * are: the workspace ignores them once it is opened with `server`.
 *
 * @module
 */
import { createHash } from 'node:crypto'

import type { PostgresPoolLike } from '../postgres/postgres-options.js'
import { rawQuery } from '../sqlite/database.js'
import type { ErrorContext } from '../sqlite/errors.js'
import { CleoStoreError } from '../sqlite/errors.js'
import type { Executor, Step, StoreEngine } from '../sqlite/store-engine.js'
import type { WorkspaceServerOptions } from './workspace-server.js'
import { connectProjectServer } from './workspace-server.js'

/** The stores `migrateToServer` moves. */
export type MovableStore = 'tasks' | 'brain' | 'conduit' | 'nexus'

/** What {@link migrateToServer} copied, per store and table, and what it left. */
export interface MigrateToServerReport {
  readonly project: string
  readonly stores: ReadonlyArray<{
    readonly store: MovableStore
    /** The server schema the store now lives in. */
    readonly schema: string
    readonly tables: ReadonlyArray<{ readonly table: string; readonly rows: number; readonly checksum: string }>
  }>
  /**
   * Stores not copied because the server already holds theirs: nexus, when the
   * fleet's registry is already on the server (another project or host moved first).
   * The local file is left as it is; opening the project on the server registers it
   * in the server's registry.
   */
  readonly kept: ReadonlyArray<{ readonly store: MovableStore; readonly schema: string; readonly reason: 'target-not-empty'; readonly table: string }>
}

/** Tables never copied: SQLite's own, FTS5's (PostgreSQL searches a generated column), the migrators' bookkeeping. */
const SKIPPED = /^(sqlite_|kysely_|cleo_migration_|.*_fts($|_))/


/** One local table: its columns, key (primary key, else every column), parents, and rows. */
interface LocalTable {
  readonly table: string
  readonly columns: readonly string[]
  readonly key: readonly string[]
  readonly parents: readonly string[]
  /** Seeded by the migrations (a fresh store has rows here: the meta table, a registry): upserted, not a sign of data. */
  readonly seeded: boolean
  readonly rows: ReadonlyArray<Record<string, unknown>>
}

/** Every table of the local store with its rows, parents before children (one snapshot), without what the move leaves out. */
function* readLocal(x: Executor<unknown>, seeded: ReadonlySet<string>, derived: Derived): Step<LocalTable[]> {
  const names = (yield* x.all(rawQuery<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")))
    .map((row) => row.name)
    .filter((name) => !SKIPPED.test(name) && !derived.tables?.test(name))
  const tables = new Map<string, LocalTable>()
  for (const table of names) {
    const info = yield* x.all(rawQuery<{ name: string; pk: number }>(`SELECT name, pk FROM pragma_table_info('${table}')`))
    const parents = yield* x.all(rawQuery<{ table: string }>(`SELECT "table" FROM pragma_foreign_key_list('${table}')`))
    const key = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name)
    const columns = info.map((c) => c.name)
    const orderBy = (key.length > 0 ? key : columns).map((c) => `"${c}"`).join(', ')
    tables.set(table, {
      table,
      columns,
      key: key.length > 0 ? key : columns,
      parents: parents.map((p) => p.table).filter((parent) => parent !== table),
      seeded: seeded.has(table),
      rows: (yield* x.all<Record<string, unknown>>(rawQuery(`SELECT * FROM "${table}" ORDER BY ${orderBy}`))).filter(
        (row) => derived.row?.(table, row) !== true,
      ),
    })
  }
  const ordered: LocalTable[] = []
  const placed = new Set<string>()
  const place = (name: string): void => {
    const table = tables.get(name)
    if (table === undefined || placed.has(name)) return
    placed.add(name)
    for (const parent of table.parents) place(parent)
    ordered.push(table)
  }
  for (const name of names) place(name)
  return ordered
}

/** One value in a form both engines agree on (integers may be bigint on SQLite, bytea is a Buffer on PostgreSQL). */
function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'n'
  if (value instanceof Uint8Array) return `b${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`
  if (typeof value === 'number' || typeof value === 'bigint') return `i${String(value)}`
  return `s${JSON.stringify(String(value))}`
}

/** SHA-256 over rows (already in key order), each the canonical form of `columns`. */
function digest(rows: ReadonlyArray<Record<string, unknown>>, columns: readonly string[]): string {
  const hash = createHash('sha256')
  for (const row of rows) hash.update(`${columns.map((c) => canonical(row[c])).join('\u0001')}\n`)
  return hash.digest('hex')
}

const quoted = (names: readonly string[]) => names.map((name) => `"${name}"`).join(', ')

/** Rows per INSERT statement (PostgreSQL takes at most 65,535 parameters per statement). */
const BATCH_PARAMETERS = 30_000

function* insertRows(x: Executor<unknown>, table: LocalTable, columns: readonly string[]): Step<void> {
  const perStatement = Math.max(1, Math.floor(BATCH_PARAMETERS / columns.length))
  const upsert = table.seeded ? ` ON CONFLICT (${quoted(table.key)}) DO UPDATE SET ${columns.map((c) => `"${c}" = excluded."${c}"`).join(', ')}` : ''
  for (let start = 0; start < table.rows.length; start += perStatement) {
    const values: unknown[] = []
    const tuples = table.rows
      .slice(start, start + perStatement)
      .map((row) => `(${columns.map((c) => `$${values.push(row[c])}`).join(', ')})`)
    yield* x.run(rawQuery(`INSERT INTO "${table.table}" (${quoted(columns)}) VALUES ${tuples.join(', ')}${upsert}`, values))
  }
}

/** Copies one store into an empty server schema and verifies it, in one server transaction. */
async function copyStore(
  local: StoreEngine<unknown>,
  server: StoreEngine<unknown>,
  seeded: ReadonlySet<string>,
  derived: Derived,
  context: Required<ErrorContext>,
): Promise<Array<{ table: string; rows: number; checksum: string }>> {
  const tables = await local.snapshot((x) => readLocal(x, seeded, derived))
  return server.write(function* (x) {
    const plans: Array<{ table: LocalTable; columns: string[] }> = []
    for (const table of tables) {
      const onServer = new Set(
        (yield* x.all(rawQuery<{ column_name: string }>(
            `SELECT column_name FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER'`,
            [table.table],
          ),
        )).map((row) => row.column_name),
      )
      if (onServer.size === 0) {
        throw new CleoStoreError('INTERNAL', `table ${table.table} of the local store has no counterpart on the server`, context)
      }
      plans.push({ table, columns: table.columns.filter((c) => onServer.has(c)) })
    }
    // Checked again inside the copy's transaction: another host may have written since assertEmpty.
    const occupied = yield* firstOccupied(x, plans.filter(({ table }) => !table.seeded).map(({ table }) => table.table))
    if (occupied !== null) throw notEmpty(occupied, context)
    // The rows already hold what the maintenance triggers compute (counters, history):
    // they are off for the copy, on again before the commit. Foreign keys stay checked.
    for (const { table } of plans) yield* x.run(rawQuery(`ALTER TABLE "${table.table}" DISABLE TRIGGER USER`))
    for (const { table, columns } of plans) yield* insertRows(x, table, columns)
    for (const { table } of plans) yield* x.run(rawQuery(`ALTER TABLE "${table.table}" ENABLE TRIGGER USER`))
    const identities = yield* x.all(rawQuery<{ table_name: string; column_name: string }>(`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'`),
    )
    for (const { table_name: table, column_name: column } of identities) {
      yield* x.all(rawQuery(`SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max("${column}"), 0) + 1, false) FROM "${table}"`, [`"${table}"`, column]))
    }
    const report: Array<{ table: string; rows: number; checksum: string }> = []
    for (const { table, columns } of plans) {
      const expected = digest(table.rows, columns)
      const copied = yield* x.all<Record<string, unknown>>(rawQuery(`SELECT ${quoted(columns)} FROM "${table.table}" ORDER BY ${quoted(table.key)}`))
      const actual = digest(copied, columns)
      // A seeded table keeps the server's own rows besides the copied ones: compare the copied keys only.
      const keyOf = (row: Record<string, unknown>) => table.key.map((c) => canonical(row[c])).join('\u0001')
      const copiedKeys = new Set(table.rows.map(keyOf))
      const comparable = table.seeded ? digest(copied.filter((row) => copiedKeys.has(keyOf(row))), columns) : actual
      if (copied.length < table.rows.length || comparable !== expected) {
        throw new CleoStoreError('CORRUPT', `migrateToServer: ${table.table} differs after the copy (${table.rows.length} rows local, ${copied.length} on the server); nothing was kept`, {
          ...context,
          details: { table: table.table, expected, actual: comparable },
        })
      }
      report.push({ table: table.table, rows: table.rows.length, checksum: expected })
    }
    return report
  })
}

/** @internal A store `migrateToServer` moves: how to open its local file and its server schema. */
export interface StoreMove {
  readonly store: MovableStore
  readonly file: string
  /** Its schema on the server. */
  readonly schema: string
  /**
   * A server schema that already holds rows: `refuse` (`CONFLICT`, nothing copied:
   * the project stores) or `keep` (this store is left out and reported in `kept`:
   * nexus, which one host's first move already put on the server).
   */
  readonly whenOccupied: 'refuse' | 'keep'
  /** What the server rebuilds itself and is not copied (brain's vectors: see {@link Derived}). */
  readonly derived?: Derived
  openLocal(file: string): Promise<ServerCapableRepository>
  openServer(pool: PostgresPoolLike, options: { schema: string; busyTimeoutMs?: number }): Promise<ServerCapableRepository>
}

/**
 * @internal Data a store recomputes on the server, left out of the copy: whole
 * tables (`tables`) and single rows (`row` returns true for a row to leave).
 */
export interface Derived {
  readonly tables?: RegExp
  readonly row?: (table: string, row: Record<string, unknown>) => boolean
}

/** @internal What migrateToServer needs of a repository (either engine): its rows, through the engine. */
export interface ServerCapableRepository {
  readonly engine: StoreEngine<unknown>
  readonly path: string
  close(): Promise<void>
}

/** @internal A tasks or conduit repository as migrateToServer holds it (the copy reads and writes raw rows, untyped). */
export function serverCapable(repo: { readonly engine: object; readonly path: string; close(): Promise<void> }): ServerCapableRepository {
  return { engine: repo.engine as StoreEngine<unknown>, path: repo.path, close: () => repo.close() }
}

/** The tables a fresh store of the same kind already has rows in (seeded by its migrations). */
async function seededTables(fresh: ServerCapableRepository): Promise<Set<string>> {
  const names = await fresh.engine.read((x) => x.all(rawQuery<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")))
  return fresh.engine.read(function* (x) {
    const seeded = new Set<string>()
    for (const { name } of names) {
      if (SKIPPED.test(name)) continue
      if ((yield* x.get(rawQuery(`SELECT 1 AS one FROM "${name}" LIMIT 1`))) !== undefined) seeded.add(name)
    }
    return seeded
  })
}

/** The first table of the server schema of a store holding a row besides what its migrations seeded, or null. */
async function occupiedTable(server: StoreEngine<unknown>, local: StoreEngine<unknown>, seeded: ReadonlySet<string>, derived: Derived): Promise<string | null> {
  const tables = (await local.read((x) => x.all(rawQuery<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"))))
    .map((row) => row.name)
    .filter((name) => !SKIPPED.test(name) && !seeded.has(name) && !derived.tables?.test(name))
  return server.read((x) => firstOccupied(x, tables))
}

/** The first of `tables` holding a row, or null. */
function* firstOccupied(x: Executor<unknown>, tables: readonly string[]): Step<string | null> {
  for (const table of tables) {
    if ((yield* x.get(rawQuery(`SELECT 1 AS one FROM "${table}" LIMIT 1`))) !== undefined) return table
  }
  return null
}

function notEmpty(table: string, context: Required<ErrorContext>): CleoStoreError {
  return new CleoStoreError('CONFLICT', `the server schema is not empty: ${table} has rows; migrateToServer copies into an empty project only`, {
    ...context,
    details: { reason: 'target-not-empty', table },
  })
}

/**
 * @internal Use `CleoWorkspace.migrateToServer`.
 *
 * Copies the given stores (those whose file exists) into their schemas on the server
 * (see the module comment). Every target is checked empty before anything is
 * copied (an occupied one is refused, or left out and reported when its move says
 * `keep`); then each store is copied and verified in its own server transaction.
 * Throws `CONFLICT` when a project store's server schema already holds rows, `CORRUPT`
 * when a copied table does not verify (that store is rolled back; a store copied
 * before it stays), and what opening either side throws.
 */
export async function migrateToServer(moves: readonly StoreMove[], server: WorkspaceServerOptions): Promise<MigrateToServerReport> {
  const connected = await connectProjectServer(server, {}, { store: 'workspace', file: moves[0]?.file ?? '' })
  const opened: ServerCapableRepository[] = []
  try {
    const pairs: Array<{ move: StoreMove; local: ServerCapableRepository; remote: ServerCapableRepository; schema: string; seeded: Set<string> }> = []
    for (const move of moves) {
      const schema = move.schema
      const fresh = await move.openLocal(':memory:')
      const seeded = await seededTables(fresh).finally(() => fresh.close())
      const local = await move.openLocal(move.file)
      opened.push(local)
      const remote = await move.openServer(connected.pool, { schema, ...connected.options })
      opened.push(remote)
      pairs.push({ move, local, remote, schema, seeded })
    }
    const kept: Array<MigrateToServerReport['kept'][number]> = []
    const copying: typeof pairs = []
    for (const pair of pairs) {
      const occupied = await occupiedTable(pair.remote.engine, pair.local.engine, pair.seeded, pair.move.derived ?? {})
      if (occupied === null) copying.push(pair)
      else if (pair.move.whenOccupied === 'keep') kept.push({ store: pair.move.store, schema: pair.schema, reason: 'target-not-empty', table: occupied })
      else throw notEmpty(occupied, { store: pair.move.store, file: pair.remote.path })
    }
    const stores: Array<MigrateToServerReport['stores'][number]> = []
    for (const { move, local, remote, schema, seeded } of copying) {
      const tables = await copyStore(local.engine, remote.engine, seeded, move.derived ?? {}, { store: move.store, file: remote.path })
      stores.push({ store: move.store, schema, tables })
    }
    return { project: server.project, stores, kept }
  } finally {
    await Promise.allSettled(opened.map((repo) => repo.close()))
    await connected.close()
  }
}
