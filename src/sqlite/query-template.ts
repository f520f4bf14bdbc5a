/**
 * "Typed at build time, prepared at run time": a repository writes a query once
 * with Kysely's builder, naming its parameters with `p('name')`; the query is
 * compiled once per dialect, on first use, and each call only binds new values to
 * the cached prepared statement. No builder objects are allocated on the hot path.
 *
 * A template compiles for SQLite (`?` parameters) and, for the stores that can
 * live on a server, for PostgreSQL (`$1`…): the builder receives the dialect as
 * its third argument and branches on it only where the SQL differs.
 *
 * @module
 */
import type { Compilable, CompiledQuery, Kysely, RawBuilder } from 'kysely'
import {
  DummyDriver,
  Kysely as KyselyClass,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
} from 'kysely'

import { toSqlValue } from './node-sqlite-driver.js'
import type { SqlValue } from './node-sqlite.js'

/** A named parameter placeholder inside a template. */
class Param {
  constructor(readonly name: string) {}
}

/** Yields a typed placeholder for the parameter `name` of a template. */
export type ParamFactory<P> = <K extends keyof P & string>(name: K) => P[K]

/** The SQL dialects a template compiles for. */
export type SqlDialect = 'sqlite' | 'postgres'

/** A compiled query with named parameters; execute it with a database's `all`/`get`/`run`. */
export interface QueryTemplate<P, R> {
  /** The SQLite SQL text (compiled on first access). */
  readonly sql: string
  /** Binds named arguments to the positional parameters of {@link sql}. */
  bind(args: P): SqlValue[]
  /** The SQL text in `dialect` (compiled on first access). */
  sqlFor(dialect: SqlDialect): string
  /** Binds named arguments to the positional parameters of `sqlFor(dialect)`; `convert` maps each value to the driver's. */
  bindFor<V>(dialect: SqlDialect, args: P, convert: (value: unknown) => V): V[]
  /** Phantom: the row type. */
  readonly __row?: R
}

const compilers = new Map<SqlDialect, Kysely<any>>()

/** A Kysely instance that can only compile (no connection), for `dialect` (default SQLite). */
export function compileOnlyKysely<DB>(dialect: SqlDialect = 'sqlite'): Kysely<DB> {
  let compiler = compilers.get(dialect)
  if (compiler === undefined) {
    const postgres = dialect === 'postgres'
    compiler = new KyselyClass<any>({
      dialect: {
        createAdapter: () => (postgres ? new PostgresAdapter() : new SqliteAdapter()),
        createDriver: () => new DummyDriver(),
        createIntrospector: (db) => (postgres ? new PostgresIntrospector(db) : new SqliteIntrospector(db)),
        createQueryCompiler: () => (postgres ? new PostgresQueryCompiler() : new SqliteQueryCompiler()),
      },
    })
    compilers.set(dialect, compiler)
  }
  return compiler as Kysely<DB>
}

/** What a template builder receives: a compile-only Kysely, the parameter factory, the dialect. */
type TemplateBuilder<P, R> = (db: Kysely<any>, p: ParamFactory<P>, dialect: SqlDialect) => Compilable<R>

/** One dialect's compilation: the text, and per positional parameter a named slot or a literal value. */
interface Compiled {
  readonly sql: string
  readonly slots: ReadonlyArray<Param | { readonly literal: unknown }>
}

class CompiledTemplate<P, R> implements QueryTemplate<P, R> {
  readonly #build: TemplateBuilder<P, R>
  // The SQLite compilation is kept apart, literals pre-converted: it is the hot path.
  #sqlite: { readonly sql: string; readonly slots: ReadonlyArray<Param | SqlValue> } | undefined
  readonly #byDialect = new Map<SqlDialect, Compiled>()

  constructor(build: TemplateBuilder<P, R>) {
    this.#build = build
  }

  #compileFor(dialect: SqlDialect): Compiled {
    const factory = ((name: string) => new Param(name)) as unknown as ParamFactory<P>
    const compiled: CompiledQuery<R> = this.#build(compileOnlyKysely(dialect), factory, dialect).compile()
    return { sql: compiled.sql, slots: compiled.parameters.map((value) => (value instanceof Param ? value : { literal: value })) }
  }

  #compile(): { readonly sql: string; readonly slots: ReadonlyArray<Param | SqlValue> } {
    const { sql, slots } = this.#compileFor('sqlite')
    this.#sqlite = { sql, slots: slots.map((slot) => (slot instanceof Param ? slot : toSqlValue(slot.literal))) }
    return this.#sqlite
  }

  get sql(): string {
    return (this.#sqlite ?? this.#compile()).sql
  }

  bind(args: P): SqlValue[] {
    const slots = (this.#sqlite ?? this.#compile()).slots
    // Stryker disable next-line ArrayDeclaration: pre-sized for speed; the loop fills every index either way
    const out = new Array<SqlValue>(slots.length)
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]
      out[i] = slot instanceof Param ? toSqlValue((args as Record<string, unknown>)[slot.name]) : (slot as SqlValue)
    }
    return out
  }

  #compiled(dialect: SqlDialect): Compiled {
    let compiled = this.#byDialect.get(dialect)
    if (compiled === undefined) {
      compiled = this.#compileFor(dialect)
      this.#byDialect.set(dialect, compiled)
    }
    return compiled
  }

  sqlFor(dialect: SqlDialect): string {
    return this.#compiled(dialect).sql
  }

  bindFor<V>(dialect: SqlDialect, args: P, convert: (value: unknown) => V): V[] {
    const slots = this.#compiled(dialect).slots
    // Stryker disable next-line ArrayDeclaration: pre-sized for speed; the loop fills every index either way
    const out = new Array<V>(slots.length)
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!
      out[i] = convert(slot instanceof Param ? (args as Record<string, unknown>)[slot.name] : slot.literal)
    }
    return out
  }
}

/**
 * Declares a query template over the database type `DB` with parameters `P`.
 *
 * @example
 * ```ts
 * const GET_TASK = template<TasksDatabase, { id: string }>()((db, p) =>
 *   db.selectFrom('tasks').selectAll().where('id', '=', p('id')),
 * )
 * const row = database.get(GET_TASK, { id: 'T1' }) // typed row | undefined
 * ```
 */
export function template<DB, P = Record<string, never>>() {
  return <R>(build: (db: Kysely<DB>, p: ParamFactory<P>, dialect: SqlDialect) => Compilable<R>): QueryTemplate<P, R> =>
    new CompiledTemplate<P, R>(build as TemplateBuilder<P, R>)
}

/** True for a {@link QueryTemplate}. */
export function isTemplate(value: unknown): value is QueryTemplate<unknown, unknown> {
  return value instanceof CompiledTemplate
}

/**
 * A raw `sql` statement as a template builder's result (raw builders compile
 * against a Kysely instance; templates take anything with `compile()`).
 *
 * @example
 * ```ts
 * const T = template<DB, { id: number }>()((db, p) => rawStatement(db, sql`DELETE FROM t WHERE id = ${p('id')}`))
 * ```
 */
export function rawStatement<R>(db: Kysely<any>, statement: RawBuilder<R>): Compilable<R> {
  return { compile: () => statement.compile(db) }
}

/**
 * A parameter whose type PostgreSQL cannot infer from where it stands (`$1 IS NULL`,
 * a bare select-list value): cast to `postgresType` there; unchanged on SQLite.
 *
 * @example
 * ```ts
 * template<DB, { queue: string | null }>()((db, p, dialect) =>
 *   db.selectFrom('jobs').selectAll().where((eb) => eb(typedParam(p('queue'), 'text', dialect), 'is', null)))
 * ```
 */
export function typedParam<T>(value: T, postgresType: 'text' | 'bigint' | 'integer', dialect: SqlDialect): RawBuilder<T> {
  return dialect === 'postgres' ? sql<T>`cast(${value} as ${sql.raw(postgresType)})` : sql<T>`${value}`
}
