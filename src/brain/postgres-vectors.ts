/**
 * brain's vectors on PostgreSQL: the statements `vector-index.ts` runs there in
 * place of sqlite-vec's, and the choice of how vectors are kept.
 *
 * `brain_embeddings` is created at run time, as the vec0 table is on SQLite (its
 * dimension comes from the embedder), when a store is first opened with an
 * embedder. Two backends, chosen then and recorded in `brain_schema_meta` as
 * `embedding.backend`:
 *
 * - **`exact`** (portable, any PostgreSQL 15+): `embedding real[]` (CHECKed to the
 *   dimension), no index; kNN is an exact cosine scan in SQL —
 *   `1 − Σab / √(Σa² · Σb²)` over `unnest(embedding, query)`, in double precision
 *   (sqlite-vec sums in single precision: distances agree to ~1e-7). Measured at
 *   10 000 × 384-d (psql, a loaded machine, 3 runs each): the expression written
 *   into the statement (a subquery over `unnest`; a lateral join is the same) and
 *   the same body as a SQL function cost the same within the noise (1.8–2.5 s vs
 *   1.7–2.0 s); a PL/pgSQL loop was slower (2.4–2.5 s); unit-normalised vectors with
 *   a bare dot product saved nothing (1.8–2.0 s: the cost is the `unnest` rows, not
 *   the arithmetic). The statement keeps the expression (no schema object to
 *   create). That is ~100–200 µs per stored vector here, two orders of magnitude
 *   above sqlite-vec's scan: see BENCHMARKS.md for the cost curve.
 * - **`pgvector-hnsw`**, when the server has the `vector` extension (installed in
 *   the database, or available and this role may create it): `embedding vector(N)`
 *   with an HNSW index (`vector_cosine_ops`), kNN by `<=>` (approximate, as HNSW
 *   is). The extension is created in the schema `cleo_extensions` (never in a
 *   store's schema: dropping one store must not drop another's type); one already
 *   installed is used where it is, every name qualified with its schema.
 *
 * Binary pre-selection (the codes of migration 0003) runs on both engines:
 * `bit_count(code_bits # query)` over `brain_embedding_codes.code_bits`, then an
 * exact re-rank of the candidates in one statement.
 *
 * @module
 */
import type { RawBuilder } from 'kysely'
import { sql } from 'kysely'

import type { QueryTemplate } from '../sqlite/query-template.js'
import { rawStatement, template } from '../sqlite/query-template.js'
import type { BrainDatabase } from './brain.tables.js'
import type { BrainEntryKind } from './memory-kinds.js'
import { BRAIN_ENTRY_KINDS, KEY_BASE, KIND_TABLES } from './memory-kinds.js'

/** How a store on PostgreSQL keeps its vectors (`embedding.backend` in `brain_schema_meta`). */
export type PostgresVectorBackend = 'exact' | 'pgvector-hnsw'

/** The `brain_schema_meta` key of the backend. */
export const EMBEDDING_BACKEND_KEY = 'embedding.backend'

/** The schema cleo-store creates the `vector` extension in when it installs it. */
export const PGVECTOR_SCHEMA = 'cleo_extensions'

/** What the server says about pgvector (see {@link PGVECTOR_PROBE}). */
export interface PgvectorProbe {
  /** The server has the extension's files (`pg_available_extensions`). */
  readonly available: boolean
  /** The schema the extension is installed in, in this database, or null. */
  readonly installedIn: string | null
  /** This role may `CREATE EXTENSION vector`: a superuser, or a trusted extension and `CREATE` on the database. */
  readonly creatable: boolean
}

/**
 * The backend a new vector table gets: pgvector when it is installed, or available
 * and creatable; `exact` otherwise (pure).
 *
 * @example
 * ```ts
 * chooseVectorBackend({ available: false, installedIn: null, creatable: true }) // 'exact'
 * ```
 */
export function chooseVectorBackend(probe: PgvectorProbe): PostgresVectorBackend {
  return probe.installedIn !== null || (probe.available && probe.creatable) ? 'pgvector-hnsw' : 'exact'
}

type NoArgs = Record<string, never>
const pgSql = <P = NoArgs>() => template<BrainDatabase, P>()
const stmt = <R = unknown>(text: RawBuilder<R>) => pgSql()((db) => rawStatement(db, text))

/** One row: is pgvector available, installed (where), creatable by this role. */
export const PGVECTOR_PROBE = stmt<{ available: boolean; installed_in: string | null; creatable: boolean }>(sql`
  select
    exists (select 1 from pg_available_extensions where name = 'vector') as available,
    (select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'vector') as installed_in,
    coalesce((select r.rolsuper from pg_roles r where r.rolname = current_user), false)
      or (has_database_privilege(current_database(), 'CREATE')
        and coalesce((select bool_or(v.trusted) from pg_available_extension_versions v where v.name = 'vector'), false)) as creatable`)

/** Installs pgvector in {@link PGVECTOR_SCHEMA} (run only when the probe said it may). */
export const INSTALL_PGVECTOR: readonly QueryTemplate<NoArgs, unknown>[] = [
  stmt(sql`create schema if not exists ${sql.id(PGVECTOR_SCHEMA)}`),
  stmt(sql`create extension if not exists vector schema ${sql.id(PGVECTOR_SCHEMA)}`),
]

/** A query vector as PostgreSQL takes it: a `real[]` (node-postgres sends a JS array as an array literal). */
export function vectorArray(vector: Float32Array): number[] {
  return Array.from(vector)
}

/** Exact cosine distance of `embedding` (a `real[]` column) to the query parameter, in double precision. */
const cosine = (column: RawBuilder<unknown>, query: unknown) => sql<number>`(
    select 1 - sum(a::float8 * b) / nullif(sqrt(sum(a::float8 * a) * sum(b::float8 * b)), 0)
    from unnest(${column}, cast(${query} as real[])) as t (a, b))`

const EMBEDDINGS = sql.table('brain_embeddings')
const CODES = sql.table('brain_embedding_codes')
/** The query code as a bit string (computed once per statement). */
const queryBits = (code: unknown) => sql`(select ('x' || encode(cast(${code} as bytea), 'hex'))::bit varying as q) as query`

/** The statements of the vector and code tables on PostgreSQL that do not depend on the backend. */
export const PG_VECTORS = {
  exists: stmt<{ n: number }>(sql`select (to_regclass('brain_embeddings') is not null)::integer as n`),
  count: stmt<{ n: number }>(sql`select count(*) as n from ${EMBEDDINGS}`),
  drop: stmt(sql`drop table if exists ${EMBEDDINGS}`),
  delete: pgSql<{ key: number }>()((db, p) => rawStatement(db, sql`delete from ${EMBEDDINGS} where key = ${p('key')}`)),
  deleteCode: pgSql<{ key: number }>()((db, p) => rawStatement(db, sql`delete from ${CODES} where memory_key = ${p('key')}`)),
  insertCode: pgSql<{ key: number; code: Uint8Array }>()((db, p) =>
    rawStatement(
      db,
      sql`insert into ${CODES} (memory_key, code) values (${p('key')}, ${p('code')})
        on conflict (memory_key) do update set code = excluded.code`,
    ),
  ),
  codeCount: stmt<{ n: number }>(sql`select count(*) as n from ${CODES}`),
  clearCodes: stmt(sql`delete from ${CODES}`),
  vectorKeys: stmt<{ key: number }>(sql`select key from ${EMBEDDINGS} order by key`),
  vectorOf: pgSql<{ key: number }>()((db, p) =>
    rawStatement(db, sql<{ embedding: number[] }>`select cast(embedding as real[]) as embedding from ${EMBEDDINGS} where key = ${p('key')}`),
  ),
  /** The `n` codes nearest to a code by Hamming distance. */
  hamming: pgSql<{ code: Uint8Array; n: number }>()((db, p) =>
    rawStatement(
      db,
      sql<{ key: number }>`select c.memory_key as key from ${CODES} as c, ${queryBits(p('code'))}
        order by bit_count(c.code_bits # query.q), c.memory_key limit ${p('n')}`,
    ),
  ),
  hammingKinds: pgSql<{ codes: number[]; code: Uint8Array; n: number }>()((db, p) =>
    rawStatement(
      db,
      sql<{ key: number }>`select c.memory_key as key from ${CODES} as c, ${queryBits(p('code'))}
        where c.memory_key / ${sql.lit(KEY_BASE)} = any(cast(${p('codes')} as bigint[]))
        order by bit_count(c.code_bits # query.q), c.memory_key limit ${p('n')}`,
    ),
  ),
  /** Queued keys that still have a vector. */
  staleQueued: stmt<{ key: number }>(
    sql`select q.memory_key as key from brain_embedding_queue as q join ${EMBEDDINGS} as r on r.key = q.memory_key`,
  ),
  /** Vectors of one kind's key range whose entry row is gone. */
  orphans: Object.fromEntries(
    BRAIN_ENTRY_KINDS.map((kind) => [
      kind,
      pgSql<{ from: number; to: number; base: number }>()((db, p) =>
        rawStatement(
          db,
          sql<{ key: number }>`select r.key from ${EMBEDDINGS} as r
            where r.key >= ${p('from')} and r.key < ${p('to')}
              and not exists (select 1 from ${sql.table(KIND_TABLES[kind])} as t where t.seq = r.key - cast(${p('base')} as bigint))`,
        ),
      ),
    ]),
  ) as Record<BrainEntryKind, QueryTemplate<{ from: number; to: number; base: number }, { key: number }>>,
  /** Codes without a vector. */
  strayCodes: stmt<{ key: number }>(
    sql`select c.memory_key as key from ${CODES} as c where not exists (select 1 from ${EMBEDDINGS} as r where r.key = c.memory_key)`,
  ),
  /** Queues every entry of one kind (set-based). */
  requeue: Object.fromEntries(
    BRAIN_ENTRY_KINDS.map((kind) => [
      kind,
      pgSql<{ base: number; reason: string; now: number }>()((db, p) =>
        rawStatement(
          db,
          sql`insert into brain_embedding_queue (memory_key, reason, attempts, last_error, queued_at)
            select cast(${p('base')} as bigint) + seq, cast(${p('reason')} as text), 0, null, cast(${p('now')} as bigint)
            from ${sql.table(KIND_TABLES[kind])}`,
        ),
      ),
    ]),
  ) as Record<BrainEntryKind, QueryTemplate<{ base: number; reason: string; now: number }, unknown>>,
}

/** The statements that depend on the backend: writing, reading and ranking vectors. */
export interface BackendStatements {
  readonly insert: QueryTemplate<{ key: number; kind: string; embedding: number[] }, unknown>
  readonly knn: QueryTemplate<{ query: number[]; k: number }, { key: number; distance: number }>
  readonly knnKinds: QueryTemplate<{ query: number[]; k: number; kinds: string[] }, { key: number; distance: number }>
  /** The exact distance of each of `keys` to the query (the re-rank of binary candidates, one statement). */
  readonly distances: QueryTemplate<{ query: number[]; keys: number[] }, { key: number; distance: number }>
  readonly distance: QueryTemplate<{ query: number[]; key: number }, { distance: number }>
  /** Runs before `knn`/`knnKinds` (HNSW: lets the search return `k` rows), or null. */
  readonly prepareKnn: QueryTemplate<{ k: number }, unknown> | null
}

const exactStatements: BackendStatements = {
  insert: pgSql<{ key: number; kind: string; embedding: number[] }>()((db, p) =>
    rawStatement(db, sql`insert into ${EMBEDDINGS} (key, kind, embedding) values (${p('key')}, ${p('kind')}, cast(${p('embedding')} as real[]))`),
  ),
  knn: pgSql<{ query: number[]; k: number }>()((db, p) =>
    rawStatement(
      db,
      sql<{ key: number; distance: number }>`select e.key, ${cosine(sql`e.embedding`, p('query'))} as distance from ${EMBEDDINGS} as e
        order by distance, e.key limit ${p('k')}`,
    ),
  ),
  knnKinds: pgSql<{ query: number[]; k: number; kinds: string[] }>()((db, p) =>
    rawStatement(
      db,
      sql<{ key: number; distance: number }>`select e.key, ${cosine(sql`e.embedding`, p('query'))} as distance from ${EMBEDDINGS} as e
        where e.kind = any(cast(${p('kinds')} as text[]))
        order by distance, e.key limit ${p('k')}`,
    ),
  ),
  distances: pgSql<{ query: number[]; keys: number[] }>()((db, p) =>
    rawStatement(
      db,
      sql<{ key: number; distance: number }>`select e.key, ${cosine(sql`e.embedding`, p('query'))} as distance
        from ${EMBEDDINGS} as e where e.key = any(cast(${p('keys')} as bigint[]))`,
    ),
  ),
  distance: pgSql<{ query: number[]; key: number }>()((db, p) =>
    rawStatement(db, sql<{ distance: number }>`select ${cosine(sql`e.embedding`, p('query'))} as distance from ${EMBEDDINGS} as e where e.key = ${p('key')}`),
  ),
  prepareKnn: null,
}

const pgvectorCache = new Map<string, BackendStatements>()

/** pgvector's statements, every name qualified with the extension's schema. */
function pgvectorStatements(schema: string): BackendStatements {
  let cached = pgvectorCache.get(schema)
  if (cached !== undefined) return cached
  const type = sql`${sql.id(schema)}.vector`
  const op = sql.raw(`operator("${schema.replaceAll('"', '""')}".<=>)`)
  const toVector = (value: unknown) => sql`cast(cast(${value} as real[]) as ${type})`
  cached = {
    insert: pgSql<{ key: number; kind: string; embedding: number[] }>()((db, p) =>
      rawStatement(db, sql`insert into ${EMBEDDINGS} (key, kind, embedding) values (${p('key')}, ${p('kind')}, ${toVector(p('embedding'))})`),
    ),
    knn: pgSql<{ query: number[]; k: number }>()((db, p) =>
      rawStatement(
        db,
        sql<{ key: number; distance: number }>`select key, embedding ${op} ${toVector(p('query'))} as distance from ${EMBEDDINGS}
          order by embedding ${op} ${toVector(p('query'))} limit ${p('k')}`,
      ),
    ),
    knnKinds: pgSql<{ query: number[]; k: number; kinds: string[] }>()((db, p) =>
      rawStatement(
        db,
        sql<{ key: number; distance: number }>`select key, embedding ${op} ${toVector(p('query'))} as distance from ${EMBEDDINGS}
          where kind = any(cast(${p('kinds')} as text[]))
          order by embedding ${op} ${toVector(p('query'))} limit ${p('k')}`,
      ),
    ),
    distances: pgSql<{ query: number[]; keys: number[] }>()((db, p) =>
      rawStatement(
        db,
        sql<{ key: number; distance: number }>`select key, embedding ${op} ${toVector(p('query'))} as distance from ${EMBEDDINGS}
          where key = any(cast(${p('keys')} as bigint[]))`,
      ),
    ),
    distance: pgSql<{ query: number[]; key: number }>()((db, p) =>
      rawStatement(db, sql<{ distance: number }>`select embedding ${op} ${toVector(p('query'))} as distance from ${EMBEDDINGS} where key = ${p('key')}`),
    ),
    // HNSW returns at most ef_search rows (default 40).
    prepareKnn: pgSql<{ k: number }>()((db, p) =>
      rawStatement(db, sql`select set_config('hnsw.ef_search', cast(greatest(40, cast(${p('k')} as integer)) as text), true)`),
    ),
  }
  pgvectorCache.set(schema, cached)
  return cached
}

/** The statements of `backend` (`pgvectorSchema`: where the extension lives). */
export function backendStatements(backend: PostgresVectorBackend, pgvectorSchema: string | null): BackendStatements {
  return backend === 'exact' ? exactStatements : pgvectorStatements(pgvectorSchema ?? PGVECTOR_SCHEMA)
}

/** The CREATE statements of `brain_embeddings` for `backend` and `dimensions` (an integer checked by the caller). */
export function createStatements(backend: PostgresVectorBackend, pgvectorSchema: string | null, dimensions: number): QueryTemplate<NoArgs, unknown>[] {
  const n = sql.lit(dimensions)
  if (backend === 'exact') {
    return [
      stmt(sql`create table ${EMBEDDINGS} (
        key bigint primary key,
        kind text collate "C" not null,
        embedding real[] not null check (cardinality(embedding) = ${n} and array_ndims(embedding) = 1)
      )`),
    ]
  }
  const schema = sql.id(pgvectorSchema ?? PGVECTOR_SCHEMA)
  return [
    stmt(sql`create table ${EMBEDDINGS} (
      key bigint primary key,
      kind text collate "C" not null,
      embedding ${schema}.vector(${n}) not null
    )`),
    stmt(sql`create index brain_embeddings_hnsw on ${EMBEDDINGS} using hnsw (embedding ${schema}.vector_cosine_ops)`),
  ]
}
