/**
 * SQL is built only with bound parameters. This test finds every place in src/ where
 * SQL text is assembled at run time (template literals with `${…}` handed to
 * exec/prepare/rawQuery, or Kysely's `sql.raw`/`sql.lit`/`CompiledQuery.raw`) and
 * requires each to be on the allow-list below, with the reason it cannot carry user
 * input. A new occurrence fails the test until it is reviewed and listed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

import { describe, expect, it } from 'vitest'

import { REPO_ROOT } from '../helpers.js'

/** file → line fragments allowed there, with why they are safe. */
const ALLOWED: Record<string, Array<{ fragment: string; why: string }>> = {
  'src/sqlite/open-database.ts': [
    { fragment: 'PRAGMA application_id = ${APPLICATION_IDS', why: 'constant from a frozen table' },
    { fragment: "PRAGMA synchronous = ${options.synchronous === 'FULL'", why: 'one of two literals' },
    { fragment: 'PRAGMA journal_size_limit = ${JOURNAL_SIZE_LIMIT}', why: 'constant' },
  ],
  'src/sqlite/database.ts': [
    { fragment: 'rawQuery(`PRAGMA ${name}`)', why: 'name checked against /^[a-z_]+$/ first' },
    { fragment: 'rawQuery<Record<string, unknown>>(`PRAGMA ${pragma}`)', why: 'one of two literals' },
  ],
  'src/conduit/delivery-queue.queries.ts': [
    { fragment: "const PENDING = sql.lit('pending' as const)", why: 'status constant' },
    { fragment: "const LEASED = sql.lit('leased' as const)", why: 'status constant' },
    { fragment: "const DONE = sql.lit('done' as const)", why: 'status constant' },
    { fragment: "const DEAD = sql.lit('dead' as const)", why: 'status constant' },
    { fragment: 'const windowLit = sql.lit(window)', why: 'integer validated by the claim schema; cached per batch size' },
    { fragment: 'const limitLit = sql.lit(limit)', why: 'integer validated by the claim schema; cached per batch size' },
    { fragment: "sql.lit('lease_expired').as('reason')", why: 'reason constant' },
  ],
  'src/brain/brain-repository.ts': [{ fragment: 'PRAGMA mmap_size = ${mmapSize}', why: 'checked Number.isSafeInteger and >= 0 just before' }],
  'src/brain/postgres-vectors.ts': [
    { fragment: 'where c.memory_key / ${sql.lit(KEY_BASE)} = any(', why: 'numeric constant (2^40, the memory-key base)' },
    { fragment: 'const op = sql.raw(`operator("${schema.replaceAll', why: "the pgvector extension's schema, read from the server's catalog or the constant cleo_extensions, double-quoted with quotes doubled" },
    { fragment: 'const n = sql.lit(dimensions)', why: "the embedder's dimension, checked an integer >= 1 before the statements are built" },
  ],
  'src/brain/vector-index.ts': [
    { fragment: 'vec0(embedding float[${sql.lit(dimensions)}]', why: "the embedder's dimension, checked an integer >= 1 (checkEmbedder, then createTable) before the statement is built" },
  ],
  'src/conduit/messages.ts': [
    { fragment: '${sql.lit(Number.MAX_SAFE_INTEGER)}', why: 'numeric constant' },
    { fragment: "sql.raw(dialect === 'postgres' ? 'JOIN' : 'CROSS JOIN')", why: 'one of two keywords chosen by the dialect' },
  ],
  'src/conduit/snapshot-cache.ts': [
    { fragment: "${sql.raw(dialect === 'postgres' ? 'greatest' : 'max')}(updated_at", why: 'one of two function names chosen by the dialect' },
  ],
  'src/signaldock/account-tokens.ts': [{ fragment: 'const UNSEALED = sql.lit(0)', why: 'numeric constant (the partial index needs a literal)' }],
  'src/workspace/cleo-import-rows.ts': [
    {
      fragment: "return source.prepare(`SELECT * FROM ${name}${withoutRowid ? '' : ' ORDER BY rowid'}`)",
      why: 'a table name from the importer\'s own constant lists, double-quoted with quotes doubled; a private copy of CLEO\'s file',
    },
  ],
  'src/workspace/cleo-import.ts': [
    { fragment: 'rawQuery<{ n: number }>(`SELECT count(*) AS n FROM "${table}"`)', why: "cleo-store's own table names (from sqlite_schema or the importer's constant lists)" },
  ],
  'src/sqlite/query-template.ts': [
    { fragment: 'cast(${value} as ${sql.raw(postgresType)})', why: "postgresType is typed 'text' | 'bigint' | 'integer' (literals in the code)" },
  ],
  'src/postgres/postgres-engine.ts': [
    { fragment: 'client.query(`LISTEN "${this.#channel}"`', why: 'the schema name, validated /^[a-z_][a-z0-9_]{0,62}$/ when the store opened' },
    { fragment: 'client.query(`UNLISTEN "${this.#channel}"`', why: 'the schema name, validated when the store opened' },
  ],
  'src/workspace/migrate-to-server.ts': [
    { fragment: "pragma_table_info('${table}')", why: "table names read from the store's own sqlite_schema (cleo-store's tables)" },
    { fragment: "pragma_foreign_key_list('${table}')", why: "table names read from the store's own sqlite_schema" },
    { fragment: 'rawQuery(`SELECT * FROM "${table}" ORDER BY ${orderBy}`)', why: "the store's own table and column names (sqlite_schema, table_info)" },
    { fragment: 'rawQuery(`INSERT INTO "${table.table}" (${quoted(columns)}) VALUES ${tuples.join', why: 'own table/column names; every value is a bound $n parameter' },
    { fragment: 'rawQuery(`SELECT 1 AS one FROM "${name}" LIMIT 1`)', why: "table names read from a fresh store's own sqlite_schema" },
    { fragment: 'rawQuery(`SELECT 1 AS one FROM "${table}" LIMIT 1`)', why: "table names read from the store's own sqlite_schema" },
    { fragment: 'rawQuery(`ALTER TABLE "${table.table}" DISABLE TRIGGER USER`)', why: "the store's own table names" },
    { fragment: 'rawQuery(`ALTER TABLE "${table.table}" ENABLE TRIGGER USER`)', why: "the store's own table names" },
    { fragment: 'coalesce(max("${column}"), 0) + 1, false) FROM "${table}"`', why: "identity columns listed by the server's information_schema for the store's schema" },
    { fragment: 'rawQuery(`SELECT ${quoted(columns)} FROM "${table.table}" ORDER BY ${quoted(table.key)}`)', why: "the store's own table and column names" },
  ],
  'src/sqlite/migrate.ts': [
    { fragment: 'rawQuery<{ name: string }>(`SELECT name FROM ${MIGRATION_TABLE}', why: 'constant table name' },
    { fragment: 'rawQuery<{ name: string; checksum: string }>(`SELECT name, checksum FROM ${CHECKSUM_TABLE}', why: 'constant table name' },
  ],
}

const DYNAMIC = [
  /\b(?:exec|prepare|rawQuery(?:<.+?>)?)\(\s*`[^`]*\$\{/, // runtime SQL text
  /\bsql\.(?:raw|lit)\(/, // Kysely escape hatches
  /\bCompiledQuery\.raw\(\s*`[^`]*\$\{/,
  /\bclient\.query\(\s*`[^`]*\$\{/, // node-postgres, the PostgreSQL engine
]

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : []
  })
}

describe('SQL hygiene', () => {
  it('builds SQL from values only through bound parameters (allow-listed exceptions)', () => {
    const unexpected: string[] = []
    const used = new Set<string>()
    for (const path of sourceFiles(join(REPO_ROOT, 'src'))) {
      const file = relative(REPO_ROOT, path)
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach((line, index) => {
          if (!DYNAMIC.some((pattern) => pattern.test(line))) return
          const allowed = ALLOWED[file]?.find((entry) => line.includes(entry.fragment))
          if (allowed) used.add(`${file}:${allowed.fragment}`)
          else unexpected.push(`${file}:${index + 1}: ${line.trim()}`)
        })
    }
    expect(unexpected, 'dynamic SQL not on the allow-list').toEqual([])
    // Stale entries hide nothing but rot: every allow-list entry must still match.
    const stale = Object.entries(ALLOWED).flatMap(([file, entries]) =>
      entries.filter((entry) => !used.has(`${file}:${entry.fragment}`)).map((entry) => `${file}: ${entry.fragment}`),
    )
    expect(stale).toEqual([])
  })
})
