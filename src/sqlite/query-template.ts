/**
 * "Typed at build time, prepared at run time": a repository writes a query once
 * with Kysely's builder, naming its parameters with `p('name')`; the query is
 * compiled once, on first use, and each call only binds new values to the cached
 * prepared statement. No builder objects are allocated on the hot path.
 *
 * @module
 */
import type { Compilable, CompiledQuery, Kysely } from 'kysely'
import { DummyDriver, Kysely as KyselyClass, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely'

import { toSqlValue } from './node-sqlite-driver.js'
import type { SqlValue } from './node-sqlite.js'

/** A named parameter placeholder inside a template. */
class Param {
  constructor(readonly name: string) {}
}

/** Yields a typed placeholder for the parameter `name` of a template. */
export type ParamFactory<P> = <K extends keyof P & string>(name: K) => P[K]

/** A compiled query with named parameters; execute it with a database's `all`/`get`/`run`. */
export interface QueryTemplate<P, R> {
  /** The SQL text (compiled on first access). */
  readonly sql: string
  /** Binds named arguments to the positional parameters of {@link sql}. */
  bind(args: P): SqlValue[]
  /** Phantom: the row type. */
  readonly __row?: R
}

let compiler: Kysely<any> | undefined

/** A Kysely instance that can only compile (SQLite dialect, no connection). */
export function compileOnlyKysely<DB>(): Kysely<DB> {
  compiler ??= new KyselyClass<any>({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new SqliteIntrospector(db),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  })
  return compiler as Kysely<DB>
}

class CompiledTemplate<P, R> implements QueryTemplate<P, R> {
  readonly #build: (db: Kysely<any>, p: ParamFactory<P>) => Compilable<R>
  #sql: string | undefined
  #slots: ReadonlyArray<Param | SqlValue> = []

  constructor(build: (db: Kysely<any>, p: ParamFactory<P>) => Compilable<R>) {
    this.#build = build
  }

  #compile(): string {
    const factory = ((name: string) => new Param(name)) as unknown as ParamFactory<P>
    const compiled: CompiledQuery<R> = this.#build(compileOnlyKysely(), factory).compile()
    this.#slots = compiled.parameters.map((value) => (value instanceof Param ? value : toSqlValue(value)))
    this.#sql = compiled.sql
    return compiled.sql
  }

  get sql(): string {
    return this.#sql ?? this.#compile()
  }

  bind(args: P): SqlValue[] {
    if (this.#sql === undefined) this.#compile()
    const slots = this.#slots
    const out = new Array<SqlValue>(slots.length)
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]
      out[i] = slot instanceof Param ? toSqlValue((args as Record<string, unknown>)[slot.name]) : (slot as SqlValue)
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
  return <R>(build: (db: Kysely<DB>, p: ParamFactory<P>) => Compilable<R>): QueryTemplate<P, R> =>
    new CompiledTemplate<P, R>(build as (db: Kysely<any>, p: ParamFactory<P>) => Compilable<R>)
}

/** True for a {@link QueryTemplate}. */
export function isTemplate(value: unknown): value is QueryTemplate<unknown, unknown> {
  return value instanceof CompiledTemplate
}
