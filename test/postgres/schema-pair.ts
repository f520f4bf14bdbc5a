/**
 * The comparison machinery of the PostgreSQL schema tests (conduit-schema,
 * tasks-schema): a migrated SQLite store and the same store's PostgreSQL schema,
 * opened side by side, the same SQL text run on both, and the structural checks
 * (tables, columns in order, indexes, triggers) that every store's rendition must
 * pass.
 */
import type { Kysely } from 'kysely'
import type { Migration } from 'kysely/migration'
import { sql } from 'kysely'
import { expect, it } from 'vitest'

import type { PostgresDatabase } from '../../src/postgres/postgres-database.js'
import { openPostgresDatabase } from '../../src/postgres/postgres-database.js'
import { isCleoStoreError } from '../../src/sqlite/errors.js'
import { migrationChecksum } from '../../src/sqlite/migrate.js'
import type { StoreDefinition } from '../../src/sqlite/store-definition.js'
import { expectCode } from '../helpers.js'
import { dropSchemasAfterEach, freshSchema } from './pg-test-schemas.js'

export type Row = Record<string, unknown>

/** Bookkeeping of the migrators, not the store's schema. */
export const BOOKKEEPING = ['kysely_migration', 'kysely_migration_lock', 'cleo_migration_checksum']

/** Digit strings (PostgreSQL's int8) and booleans as numbers, so rows of both engines compare. */
export function normalise(rows: readonly Row[]): Row[] {
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([key, value]) => [
        key,
        typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : typeof value === 'boolean' ? Number(value) : value,
      ]),
    ),
  )
}

/** How a statement ended: `ok` or the error code. */
export async function outcome(run: Promise<unknown>): Promise<string> {
  try {
    await run
    return 'ok'
  } catch (error) {
    if (isCleoStoreError(error)) return error.code
    throw error
  }
}

/** A migrated SQLite store and the same store on PostgreSQL; the same SQL text on both. */
export interface SchemaPair {
  readonly lite: Kysely<any>
  readonly pg: PostgresDatabase<any>
  onSqlite(text: string): Promise<Row[]>
  /** Raw SQL on PostgreSQL runs with `search_path` = the store's schema. */
  onPostgres(text: string): Promise<Row[]>
  /** Runs `text` on both; both must succeed. */
  both(text: string): Promise<void>
  /** Runs `text` on both and returns their rows, normalised. */
  select(text: string): Promise<{ sqlite: Row[]; postgres: Row[] }>
}

export function schemaPair(lite: Kysely<any>, pg: PostgresDatabase<any>): SchemaPair {
  const pair: SchemaPair = {
    lite,
    pg,
    async onSqlite(text) {
      return (await sql.raw<Row>(text).execute(lite)).rows
    },
    async onPostgres(text) {
      return pg.kysely.transaction().execute(async (trx) => {
        await sql`select set_config('search_path', ${pg.schema}, true)`.execute(trx)
        return (await sql.raw<Row>(text).execute(trx)).rows
      })
    },
    async both(text) {
      await pair.onSqlite(text)
      await pair.onPostgres(text)
    },
    async select(text) {
      return { sqlite: normalise(await pair.onSqlite(text)), postgres: normalise(await pair.onPostgres(text)) }
    },
  }
  return pair
}

/**
 * Openers of a test file's stores, closed (and their schemas dropped) after each
 * test: `openPostgres` migrates `store` into a fresh schema (or `schema`),
 * `openPair` opens it beside a migrated in-memory SQLite store from `openSqlite`.
 * Call once per test file.
 */
export function schemaPairOpeners(
  store: StoreDefinition,
  url: string,
  openSqlite: () => Promise<{ readonly kysely: Kysely<any>; close(): Promise<void> }>,
): { openPostgres(schema?: string): Promise<PostgresDatabase<any>>; openPair(): Promise<SchemaPair> } {
  const closing: Array<() => Promise<void>> = []
  dropSchemasAfterEach(() => Promise.allSettled(closing.splice(0).map((close) => close())))
  async function openPostgres(schema = freshSchema(store.name)): Promise<PostgresDatabase<any>> {
    const db = await openPostgresDatabase<any>(store, url, { schema })
    closing.push(() => db.close())
    return db
  }
  async function openPair(): Promise<SchemaPair> {
    const [lite, pg] = await Promise.all([openSqlite(), openPostgres()])
    closing.push(() => lite.close())
    return schemaPair(lite.kysely, pg)
  }
  return { openPostgres, openPair }
}

/**
 * Opens `schema` with `open` (migrating it) and asserts that every migration of
 * `migrations` was applied, the last one is the schema version, and each is
 * recorded with its checksum — the SHA-256 of its SQLite emission, on PostgreSQL
 * too. Returns the store.
 */
export async function openMigrated(
  open: (schema: string) => Promise<PostgresDatabase<any>>,
  schema: string,
  migrations: Readonly<Record<string, Migration>>,
): Promise<PostgresDatabase<any>> {
  const db = await open(schema)
  const names = Object.keys(migrations).sort()
  expect(db.schemaVersion).toBe(names.at(-1))
  const applied = await appliedMigrations(db, schema)
  expect(applied.map((row) => row.name)).toEqual(names)
  expect(applied.map((row) => row.checksum)).toEqual(await Promise.all(names.map((name) => migrationChecksum(migrations[name]!))))
  return db
}

/** `RAISE(ABORT, '…')` messages of SQLite's triggers, by trigger name. */
export async function sqliteGuardMessages(lite: Kysely<any>): Promise<Map<string, string>> {
  const triggers = (await sql.raw<{ name: string; sql: string }>(`SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'`).execute(lite)).rows
  const messages = new Map<string, string>()
  for (const { name, sql: text } of triggers) {
    const message = /RAISE\(ABORT, '([^']*)'\)/.exec(text)?.[1]
    if (message !== undefined) messages.set(name, message)
  }
  return messages
}

/** `{ timing, event, columns, table }` of a CREATE TRIGGER statement of either engine. */
export function triggerShape(text: string): Row {
  const match = /\b(BEFORE|AFTER)\s+(INSERT|UPDATE|DELETE)(?:\s+OF\s+([\w\s,]+?))?\s+ON\s+(?:\w+\.)?(\w+)/i.exec(text)
  if (!match) throw new Error(`unreadable trigger: ${text}`)
  const columns = (match[3] ?? '').split(',').map((c) => c.trim()).filter(Boolean)
  return { timing: match[1]!.toUpperCase(), event: match[2]!.toUpperCase(), columns, table: match[4] }
}

/** What one store's rendition leaves out or adds on purpose (everything else must match). */
export interface RenditionDifferences {
  /** SQLite tables with no counterpart (FTS5 and its shadow tables). */
  readonly sqliteOnlyTables: RegExp
  /** SQLite triggers with no counterpart (the FTS sync triggers). */
  readonly sqliteOnlyTriggers: readonly string[]
  /** PostgreSQL-only columns by table (the search vectors), after all of SQLite's. */
  readonly postgresOnlyColumns: Readonly<Record<string, readonly string[]>>
  /** PostgreSQL-only indexes (the GIN indexes). */
  readonly postgresOnlyIndexes: readonly string[]
  /** PostgreSQL-only triggers (nexus's TRUNCATE guard), checked by the store's own test. */
  readonly postgresOnlyTriggers?: readonly string[]
  /** `table.column` of the SQLite INTEGER columns that are `integer` (every other one is a `bigint`). */
  readonly smallIntegers: readonly string[]
}

const SQLITE_TYPES: Readonly<Record<string, string>> = { TEXT: 'text collate C', BLOB: 'bytea', REAL: 'double precision' }

/**
 * Asserts that the PostgreSQL schema has every table, column (same order, mapped
 * type, nullability, default, generated or not) and index of the migrated SQLite
 * store, and nothing else but `differences`.
 */
export async function expectSameTables(pair: SchemaPair, differences: RenditionDifferences): Promise<void> {
  const { lite, pg } = pair
  const sqliteTables = (
    await sql.raw<{ name: string }>(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).execute(lite)
  ).rows
    .map((row) => row.name)
    .filter((name) => !differences.sqliteOnlyTables.test(name) && !BOOKKEEPING.includes(name))
  const postgresTables = (
    await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = ${pg.schema} order by 1`.execute(pg.kysely)
  ).rows
    .map((row) => row.name)
    .filter((name) => !BOOKKEEPING.includes(name))
  expect(postgresTables).toEqual(sqliteTables)

  for (const table of sqliteTables) {
    // table_xinfo: generated columns too (hidden 2 = VIRTUAL, 3 = STORED), which table_info leaves out.
    const sqliteColumns = (
      await sql.raw<{ name: string; type: string; notnull: number; pk: number; dflt_value: string | null; hidden: number }>(
        `SELECT name, type, "notnull", pk, dflt_value, hidden FROM pragma_table_xinfo('${table}') ORDER BY cid`,
      ).execute(lite)
    ).rows.map((c) => ({
      name: c.name,
      type:
        c.type.toUpperCase() === 'INTEGER'
          ? differences.smallIntegers.includes(`${table}.${c.name}`)
            ? 'integer'
            : 'bigint'
          : SQLITE_TYPES[c.type.toUpperCase()] ?? `unmapped ${c.type}`,
      nullable: c.notnull === 0 && c.pk === 0,
      default: c.dflt_value,
      generated: c.hidden >= 2,
    }))
    const postgresColumns = (
      await sql<{ name: string; type: string; collation: string | null; nullable: string; default: string | null; generated: string }>`
        select column_name as name, data_type as type, collation_name as collation, is_nullable as nullable,
          column_default as default, is_generated as generated
        from information_schema.columns where table_schema = ${pg.schema} and table_name = ${table} order by ordinal_position`.execute(pg.kysely)
    ).rows.map((c) => ({
      name: c.name,
      type: c.collation === null ? c.type : `${c.type} collate ${c.collation}`,
      // A generated column is nullable on SQLite (no NOT NULL declared); PostgreSQL says so too.
      nullable: c.nullable === 'YES',
      // '{}'::text → '{}' (SQLite keeps the literal as written)
      default: c.default?.replace(/::[a-z ]+$/, '') ?? null,
      generated: c.generated === 'ALWAYS',
    }))
    const extra = differences.postgresOnlyColumns[table] ?? []
    expect(postgresColumns.filter((c) => !extra.includes(c.name)), table).toEqual(sqliteColumns)
    expect(postgresColumns.slice(sqliteColumns.length).map((c) => c.name), table).toEqual(extra)
  }

  const sqliteIndexes = (
    await sql.raw<{ name: string; tbl_name: string }>(`SELECT name, tbl_name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`).execute(
      lite,
    )
  ).rows.filter((row) => !BOOKKEEPING.includes(row.tbl_name))
  // Indexes PostgreSQL builds for PRIMARY KEY and UNIQUE constraints are SQLite's automatic ones.
  const postgresIndexes = (
    await sql<{ name: string; tbl_name: string }>`
      select i.indexname as name, i.tablename as tbl_name from pg_indexes i
      where i.schemaname = ${pg.schema}
        and not exists (select 1 from pg_constraint c join pg_class x on x.oid = c.conindid
                        join pg_namespace n on n.oid = x.relnamespace where n.nspname = i.schemaname and x.relname = i.indexname)
      order by 1`.execute(pg.kysely)
  ).rows.filter((row) => !BOOKKEEPING.includes(row.tbl_name))
  expect(postgresIndexes.filter((row) => !differences.postgresOnlyIndexes.includes(row.name))).toEqual(sqliteIndexes)
  expect(postgresIndexes.map((row) => row.name)).toEqual(expect.arrayContaining([...differences.postgresOnlyIndexes]))
}

/** Asserts that each query returns the same rows (normalised) on both engines. */
export async function expectSameRows(pair: SchemaPair, queries: readonly string[]): Promise<void> {
  for (const query of queries) {
    const rows = await pair.select(query)
    expect(rows.postgres, query).toEqual(rows.sqlite)
  }
}

/**
 * Registers one test per guard: {@link expectGuardRendered} on a fresh pair from
 * `openPair`, then the rows of `state` compared on both engines.
 */
export function itRendersEachGuard(
  guards: readonly GuardCase[],
  openPair: () => Promise<SchemaPair>,
  fixture: readonly string[],
  state: readonly string[],
): void {
  for (const guard of guards) {
    it(`${guard.trigger}: refuses what SQLite refuses, with INVARIANT and the same message, and lets a legal change through`, async () => {
      const pair = await openPair()
      await expectGuardRendered(pair, fixture, guard)
      await expectSameRows(pair, state)
    })
  }
}

/**
 * Asserts that the PostgreSQL schema keeps every CHECK (counted per table), PRIMARY
 * KEY, UNIQUE, foreign key (with its ON DELETE) and each index's uniqueness and
 * partial predicate of the migrated SQLite store; returns SQLite's facts.
 */
export async function expectSameConstraints(pair: SchemaPair, differences: RenditionDifferences): Promise<string[]> {
  const { lite, pg } = pair
  const onSqlite = async <T,>(text: string) => (await sql.raw<T>(text).execute(lite)).rows
  const tables = (
    await onSqlite<{ name: string; sql: string }>(`SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
  ).filter((t) => !differences.sqliteOnlyTables.test(t.name) && !BOOKKEEPING.includes(t.name))
  const sqliteFacts: string[] = []
  for (const table of tables) {
    sqliteFacts.push(`${table.name} checks ${table.sql.match(/\bCHECK\s*\(/gi)?.length ?? 0}`)
    const pk = (await onSqlite<{ name: string; pk: number }>(`SELECT name, pk FROM pragma_table_info('${table.name}') WHERE pk > 0 ORDER BY pk`)).map((c) => c.name)
    sqliteFacts.push(`${table.name} primary key (${pk.join(', ')})`)
    const foreignKeys = await onSqlite<{ id: number; table: string; from: string; to: string; on_delete: string }>(
      `SELECT id, "table", "from", "to", on_delete FROM pragma_foreign_key_list('${table.name}') ORDER BY id, seq`,
    )
    for (const id of new Set(foreignKeys.map((fk) => fk.id))) {
      const parts = foreignKeys.filter((fk) => fk.id === id)
      sqliteFacts.push(
        `${table.name} (${parts.map((p) => p.from).join(', ')}) references ${parts[0]!.table} (${parts.map((p) => p.to).join(', ')}) on delete ${parts[0]!.on_delete}`,
      )
    }
    for (const index of await onSqlite<{ name: string; unique: number; origin: string; partial: number }>(
      `SELECT name, "unique", origin, partial FROM pragma_index_list('${table.name}')`,
    )) {
      if (index.origin === 'u') {
        const columns = (await onSqlite<{ name: string }>(`SELECT name FROM pragma_index_info('${index.name}') ORDER BY seqno`)).map((c) => c.name)
        sqliteFacts.push(`${table.name} unique (${columns.join(', ')})`)
      }
      if (index.origin === 'c') sqliteFacts.push(`index ${index.name} unique ${index.unique} partial ${index.partial}`)
    }
  }
  const onDelete: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' }
  const constraints = (
    await sql<{ tbl: string; type: string; cols: string[]; ftbl: string | null; fcols: string[] | null; del: string }>`
      select cl.relname as tbl, co.contype as type, fcl.relname as ftbl, co.confdeltype as del,
        array(select a.attname::text from unnest(co.conkey) with ordinality k(n, i)
              join pg_attribute a on a.attrelid = co.conrelid and a.attnum = k.n order by k.i) as cols,
        array(select a.attname::text from unnest(co.confkey) with ordinality k(n, i)
              join pg_attribute a on a.attrelid = co.confrelid and a.attnum = k.n order by k.i) as fcols
      from pg_constraint co join pg_class cl on cl.oid = co.conrelid join pg_namespace n on n.oid = cl.relnamespace
      left join pg_class fcl on fcl.oid = co.confrelid
      where n.nspname = ${pg.schema}`.execute(pg.kysely)
  ).rows.filter((c) => !BOOKKEEPING.includes(c.tbl))
  const postgresFacts: string[] = []
  for (const table of tables) {
    const own = constraints.filter((c) => c.tbl === table.name)
    postgresFacts.push(`${table.name} checks ${own.filter((c) => c.type === 'c').length}`)
    for (const c of own) {
      if (c.type === 'p') postgresFacts.push(`${table.name} primary key (${c.cols.join(', ')})`)
      if (c.type === 'u') postgresFacts.push(`${table.name} unique (${c.cols.join(', ')})`)
      if (c.type === 'f') postgresFacts.push(`${table.name} (${c.cols.join(', ')}) references ${c.ftbl} (${c.fcols!.join(', ')}) on delete ${onDelete[c.del]}`)
    }
  }
  const indexes = (
    await sql<{ name: string; unique: boolean; partial: boolean }>`
      select c.relname as name, i.indisunique as unique, i.indpred is not null as partial
      from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${pg.schema} and not exists (select 1 from pg_constraint co where co.conindid = i.indexrelid)`.execute(pg.kysely)
  ).rows.filter((index) => !differences.postgresOnlyIndexes.includes(index.name))
  for (const index of indexes) postgresFacts.push(`index ${index.name} unique ${Number(index.unique)} partial ${Number(index.partial)}`)
  expect(postgresFacts.sort()).toEqual(sqliteFacts.sort())
  return sqliteFacts
}

/** A guard trigger's case: what it refuses (after `setup`), and legal statements touching the same columns. */
export interface GuardCase {
  readonly trigger: string
  /** The table the trigger is on (the error's `table`). */
  readonly table: string
  readonly setup: readonly string[]
  readonly refused: string
  readonly legal: readonly string[]
}

/**
 * Asserts that PostgreSQL has a trigger of the same name, timing, event (`UPDATE
 * OF` columns) and table for every SQLite trigger but `sqliteOnlyTriggers`, and
 * nothing else but `postgresOnlyTriggers`, and that `guards` covers every SQLite
 * guard (`RAISE(ABORT, …)`);
 * returns the triggers' names.
 */
export async function expectSameTriggers(
  pair: SchemaPair,
  differences: RenditionDifferences,
  guards: readonly GuardCase[],
): Promise<string[]> {
  const sqliteTriggers = (await sql.raw<{ name: string; sql: string }>(`SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY name`).execute(pair.lite))
    .rows
  const postgresTriggers = (
    await sql<{ name: string; sql: string }>`
      select t.tgname as name, pg_get_triggerdef(t.oid) as sql from pg_trigger t
      join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${pair.pg.schema} and not t.tgisinternal order by 1`.execute(pair.pg.kysely)
  ).rows.filter((t) => !(differences.postgresOnlyTriggers ?? []).includes(t.name))
  const expected = sqliteTriggers.filter((t) => !differences.sqliteOnlyTriggers.includes(t.name))
  expect(postgresTriggers.map((t) => t.name)).toEqual(expected.map((t) => t.name))
  for (const [i, trigger] of expected.entries()) {
    expect(triggerShape(postgresTriggers[i]!.sql), trigger.name).toEqual(triggerShape(trigger.sql))
  }
  // Each guard has a case; no guard is left untested.
  expect([...(await sqliteGuardMessages(pair.lite)).keys()].sort()).toEqual(guards.map((g) => g.trigger).sort())
  return expected.map((t) => t.name)
}

/**
 * Runs `fixture` and the guard's setup on both engines, then asserts that both
 * refuse `refused` with `INVARIANT` and SQLite's message (PostgreSQL: SQLSTATE
 * 23514 naming the trigger and its table), and that both accept the legal
 * statements. The caller compares the rows afterwards.
 */
export async function expectGuardRendered(pair: SchemaPair, fixture: readonly string[], guard: GuardCase): Promise<void> {
  const message = (await sqliteGuardMessages(pair.lite)).get(guard.trigger)!
  for (const statement of [...fixture, ...guard.setup]) await pair.both(statement)
  const onSqlite = await expectCode(pair.onSqlite(guard.refused), 'INVARIANT')
  const onPostgres = await expectCode(pair.onPostgres(guard.refused), 'INVARIANT')
  expect(onSqlite.message).toBe(`INVARIANT: ${message}`)
  expect(onPostgres.message).toContain(`INVARIANT: ${message}`)
  expect(onPostgres.details).toMatchObject({ sqlState: '23514', constraint: guard.trigger, table: guard.table })
  for (const statement of guard.legal) await pair.both(statement)
}

/** The migrations a PostgreSQL store recorded in `schema`, by name, with their checksums. */
export async function appliedMigrations(db: PostgresDatabase<any>, schema: string): Promise<Array<{ name: string; checksum: string }>> {
  return (
    await sql<{ name: string; checksum: string }>`select m.name, c.checksum
      from ${sql.table(`${schema}.kysely_migration`)} m join ${sql.table(`${schema}.cleo_migration_checksum`)} c using (name)
      order by m.name`.execute(db.kysely)
  ).rows
}
