/**
 * The engine port of the stores that can leave the machine (issue 20): an
 * aggregate writes each transaction body **once**, as a generator function that
 * runs its statements with `yield*`, and the engine decides how they execute.
 *
 * ```ts
 * await engine.write(function* (x) {
 *   const job = yield* x.get(GET_JOB, { id })
 *   if (job === undefined) throw notFound(…)
 *   yield* x.run(ACK_JOB, { id, now })
 * })
 * ```
 *
 * - **SQLite** ({@link SqliteStoreEngine}): the executor runs each statement at
 *   once, synchronously, on the cached prepared statement, so a body never
 *   suspends; it runs inside the database's synchronous `write` (`BEGIN IMMEDIATE`
 *   … `COMMIT`, BUSY retry, batches joined through savepoints) exactly as the
 *   hand-written synchronous callbacks did. No promise per statement.
 * - **PostgreSQL** (`src/postgres/postgres-engine.ts`): the executor's steps
 *   *yield* each statement; the engine sends it to the server, resumes the body
 *   with the rows (or throws the error into it), and retries the whole body on a
 *   serialization failure — a body is re-run from its start, so it must do nothing
 *   but compute and run statements.
 *
 * Why generators and not `async` bodies: on SQLite an `async` body would hold the
 * write lock across microtask turns and pay a promise per statement on the hot
 * paths (the queue's claim→ack); a generator keeps the local engine synchronous and
 * still lets a server engine suspend between statements.
 *
 * @module
 */
import type { Kysely } from 'kysely'

import type { ChangeSource } from './change-watch.js'
import type { Query, RunResult, SqliteDatabase } from './database.js'
import type { ErrorContext } from './errors.js'
import { CleoStoreError } from './errors.js'
import type { SqlDialect } from './query-template.js'

/** A statement a body asks its engine to run (only server engines ever see one). */
export interface PendingStatement {
  readonly method: 'all' | 'run'
  readonly query: Query<unknown>
  readonly args: unknown
}

/**
 * One step of a transaction body: delegate to it with `yield*`; it evaluates to `T`.
 * On SQLite it completes without suspending.
 */
export type Step<T> = Generator<PendingStatement, T, unknown>

/** Runs statements for a transaction body. */
export interface Executor<DB> {
  readonly dialect: SqlDialect
  /**
   * A Kysely to build dynamic queries with, in this engine's dialect (build only:
   * run them through {@link get}/{@link all}/{@link run}).
   */
  readonly kysely: Kysely<DB>
  /** The first row, or undefined. */
  get<R>(query: Query<R>, args?: unknown): Step<R | undefined>
  /** Every row. */
  all<R>(query: Query<R>, args?: unknown): Step<R[]>
  /** A statement without rows; `changes` is the number of rows it changed. */
  run(query: Query<unknown>, args?: unknown): Step<RunResult>
}

/** A transaction body: a generator function over an executor. */
export type Body<DB, T> = (x: Executor<DB>) => Step<T>

/** Options of {@link StoreEngine.write}. */
export interface WriteOptions {
  /**
   * The isolation a server engine runs the body under. `serializable` (default):
   * as if the transactions ran one at a time, a lost race retried whole.
   * `read committed`: for bodies that lock what they take (`FOR UPDATE SKIP LOCKED`)
   * and so need no retry. SQLite's single writer gives both anyway.
   */
  readonly isolation?: 'serializable' | 'read committed'
}

/** What the aggregates of a store need from its engine. */
export interface StoreEngine<DB> {
  readonly dialect: SqlDialect
  /** Store name and file (or server target), for errors. */
  readonly context: Required<ErrorContext>
  /** Builds dynamic queries in this engine's dialect (see {@link Executor.kysely}). */
  readonly kysely: Kysely<DB>
  /** One body outside a write transaction: reads that are a single statement. */
  read<T>(body: Body<DB, T>): Promise<T>
  /** One body in a read transaction: several statements, one snapshot. */
  snapshot<T>(body: Body<DB, T>): Promise<T>
  /** One body in a write transaction; all or nothing. */
  write<T>(body: Body<DB, T>, options?: WriteOptions): Promise<T>
  /**
   * Runs `fn` as one all-or-nothing transaction that every `read`/`snapshot`/`write`
   * made from its async flow joins (each write in a savepoint).
   */
  batch<T>(fn: () => Promise<T> | T): Promise<T>
  /** True inside the async flow of an open {@link batch}. */
  joinsBatch(): boolean
  /** Wakes waiters when this store changes (`inbox.wait`, `queue.wait`). */
  readonly changes: ChangeSource
}

/**
 * Runs a step that must not suspend (a body on a synchronous engine) and returns
 * its value. A step that yields a statement is an `INTERNAL` error: it was written
 * against a server executor.
 */
export function completeNow<T>(step: Step<T>, context: Required<ErrorContext>): T {
  const result = step.next()
  if (result.done === true) return result.value
  step.return(undefined as T)
  throw new CleoStoreError('INTERNAL', 'a transaction body yielded a statement to a synchronous engine', context)
}

/** Runs a body's steps to the end, sending each yielded statement to `execute`. */
export async function completeAsync<T>(step: Step<T>, execute: (statement: PendingStatement) => Promise<unknown>): Promise<T> {
  let result = step.next()
  while (result.done !== true) {
    let value: unknown
    try {
      value = await execute(result.value)
    } catch (error) {
      // The body may catch it (e.g. a unique violation it expects) and go on.
      result = step.throw(error)
      continue
    }
    result = step.next(value)
  }
  return result.value
}

/** The SQLite executor: every statement runs at once on the connection. */
class SqliteExecutor<DB> implements Executor<DB> {
  readonly dialect = 'sqlite'
  readonly #db: SqliteDatabase<DB>

  constructor(db: SqliteDatabase<DB>) {
    this.#db = db
  }

  get kysely(): Kysely<DB> {
    return this.#db.kysely
  }

  *get<R>(query: Query<R>, args?: unknown): Step<R | undefined> {
    return this.#db.get(query, args)
  }

  *all<R>(query: Query<R>, args?: unknown): Step<R[]> {
    return this.#db.all(query, args)
  }

  *run(query: Query<unknown>, args?: unknown): Step<RunResult> {
    return this.#db.run(query, args)
  }
}

/**
 * A store engine over an open SQLite database: the bodies run synchronously inside
 * the database's `read`, `snapshot` and `write`, whose rules (locks, `BEGIN
 * IMMEDIATE`, BUSY retry, batches) are unchanged.
 */
export class SqliteStoreEngine<DB> implements StoreEngine<DB> {
  readonly dialect = 'sqlite'
  readonly db: SqliteDatabase<DB>
  readonly #x: SqliteExecutor<DB>

  constructor(db: SqliteDatabase<DB>) {
    this.db = db
    this.#x = new SqliteExecutor(db)
  }

  get context(): Required<ErrorContext> {
    return this.db.context
  }

  get kysely(): Kysely<DB> {
    return this.db.kysely
  }

  get changes(): ChangeSource {
    return this.db.changes
  }

  read<T>(body: Body<DB, T>): Promise<T> {
    return this.db.read(() => completeNow(body(this.#x), this.db.context))
  }

  snapshot<T>(body: Body<DB, T>): Promise<T> {
    return this.db.snapshot(() => completeNow(body(this.#x), this.db.context))
  }

  write<T>(body: Body<DB, T>): Promise<T> {
    return this.db.write(() => completeNow(body(this.#x), this.db.context))
  }

  batch<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.db.batch(fn)
  }

  joinsBatch(): boolean {
    return this.db.joinsBatch()
  }
}
