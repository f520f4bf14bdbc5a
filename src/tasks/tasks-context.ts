/**
 * What every aggregate of tasks.db shares: the store engine, the clock, id generation,
 * validation, errors, and the audit writer that records a mutation inside the
 * mutation's own transaction. Internal to the store.
 *
 * @module
 */
import type { z } from 'zod'

import type { Clock } from '../sqlite/clock.js'
import type { CleoStoreErrorCode, CleoStoreErrorDetailsOf, ErrorContext } from '../sqlite/errors.js'
import { CleoStoreError } from '../sqlite/errors.js'
import { uuidv7Generator } from '../sqlite/ids.js'
import { template } from '../sqlite/query-template.js'
import type { Executor, Step, StoreEngine } from '../sqlite/store-engine.js'
import { validate } from '../sqlite/validate.js'
import type { TaskAuditEntityType } from './tasks.enums.js'
import type {
  TaskMutationOptions,
} from './tasks.types.js'
import { TaskMutationOptionsSchema } from './tasks.schemas.js'
import type { TasksDatabase } from './tasks.tables.js'

/** @internal What a tasks.db transaction body runs its statements with. */
export type TasksExecutor = Executor<TasksDatabase>

/** Repository-wide settings of tasks.db. */
export interface TasksSettings {
  /** Actor recorded on audit rows when a call names none. */
  readonly actor: string
  /** Levels the task tree may have (CLEO's `hierarchy.maxDepth`, default 3: epic → task → subtask). */
  readonly maxDepth: number
  /** Changing a task under another agent's live claim needs the claim token (default false). */
  readonly enforceClaims: boolean
  /** Recorded on operation audit rows (null: none). */
  readonly projectHash: string | null
}

/** Default {@link TasksSettings}. */
export const DEFAULT_TASKS_SETTINGS: TasksSettings = Object.freeze({ actor: 'system', maxDepth: 3, enforceClaims: false, projectHash: null })

/** Who acts, resolved from {@link TaskMutationOptions} and the settings. */
export interface Actor {
  readonly actor: string
  readonly sessionId: string | null
  readonly requestId: string | null
}

/** One audit row to write. */
export interface AuditEntry {
  readonly action: string
  readonly entityType: TaskAuditEntityType
  readonly entityId: string
  readonly taskId?: string | null
  readonly before?: unknown
  readonly after?: unknown
  readonly details?: unknown
}

interface AuditParams {
  timestamp: number
  action: string
  entity_type: TaskAuditEntityType
  entity_id: string
  task_id: string | null
  actor: string
  session_id: string | null
  request_id: string | null
  before_json: string | null
  after_json: string | null
  details_json: string | null
}

/** Built once: `.loose()` constructs a new schema (~100 µs) on every call. */
const LOOSE_MUTATION_OPTIONS = TaskMutationOptionsSchema.loose()

const INSERT_AUDIT = template<TasksDatabase, AuditParams>()((db, p) =>
  db.insertInto('audit_log').values({
    timestamp: p('timestamp'),
    action: p('action'),
    entity_type: p('entity_type'),
    entity_id: p('entity_id'),
    task_id: p('task_id'),
    actor: p('actor'),
    session_id: p('session_id'),
    request_id: p('request_id'),
    before_json: p('before_json'),
    after_json: p('after_json'),
    details_json: p('details_json'),
  }),
)

const jsonOrNull = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value))

/** Shared state and helpers of the tasks.db aggregates. */
export class TasksContext {
  /** Where the rows live: every statement of the aggregates goes through it. */
  readonly engine: StoreEngine<TasksDatabase>
  readonly clock: Clock
  /** A UUIDv7 generator on the injected clock. */
  readonly newId: () => string
  #settings: TasksSettings = DEFAULT_TASKS_SETTINGS
  #configured = false

  constructor(engine: StoreEngine<TasksDatabase>, clock: Clock) {
    this.engine = engine
    this.clock = clock
    this.newId = uuidv7Generator(clock)
  }

  /** Sets the repository's settings, once (called by the repository's constructor). */
  configure(settings: TasksSettings): void {
    if (this.#configured) throw new CleoStoreError('INTERNAL', 'tasks context configured twice', this.errorContext)
    this.#settings = Object.freeze({ ...settings })
    this.#configured = true
  }

  get settings(): TasksSettings {
    return this.#settings
  }

  /** Store and file, for errors. */
  get errorContext(): Required<ErrorContext> {
    return this.engine.context
  }

  /** The current time, epoch ms, from the injected clock. */
  now(): number {
    return Math.floor(this.clock())
  }

  /** Parses `input` or throws `VALIDATION` (nothing written). */
  parse<S extends z.ZodType>(schema: S, input: unknown, operation: string): z.output<S> {
    return validate(schema, input, operation, this.errorContext)
  }

  /** Parses mutation options and resolves the actor. */
  actor(options: unknown, operation: string): Actor {
    const parsed = this.parse(LOOSE_MUTATION_OPTIONS, options ?? {}, operation) as TaskMutationOptions
    return {
      actor: parsed.actor ?? this.#settings.actor,
      sessionId: parsed.sessionId ?? null,
      requestId: parsed.requestId ?? null,
    }
  }

  /** A typed error carrying this store's context. */
  error<C extends CleoStoreErrorCode>(code: C, message: string, details?: CleoStoreErrorDetailsOf<C>): CleoStoreError<C> {
    return new CleoStoreError(code, message, details === undefined ? this.errorContext : { ...this.errorContext, details })
  }

  /** `NOT_FOUND` for an unknown id. */
  notFound(kind: string, id: string): CleoStoreError {
    return this.error('NOT_FOUND', `${kind} ${JSON.stringify(id)} does not exist`, { kind, id })
  }

  /**
   * Writes one audit row. Run it (`yield*`) inside the write body of the mutation it
   * records, so it commits or rolls back with it.
   */
  *audit(x: TasksExecutor, who: Actor, entry: AuditEntry, at = this.now()): Step<void> {
    yield* x.run(INSERT_AUDIT, {
      timestamp: at,
      action: entry.action,
      entity_type: entry.entityType,
      entity_id: entry.entityId,
      task_id: entry.taskId ?? null,
      actor: who.actor,
      session_id: who.sessionId,
      request_id: who.requestId,
      before_json: jsonOrNull(entry.before),
      after_json: jsonOrNull(entry.after),
      details_json: jsonOrNull(entry.details),
    })
  }
}

const CURSOR_PREFIX = 'c1.'

/**
 * Encodes a keyset position as an opaque cursor string.
 *
 * @internal
 */
export function encodeCursor(position: ReadonlyArray<string | number>): string {
  return CURSOR_PREFIX + Buffer.from(JSON.stringify(position), 'utf8').toString('base64url')
}

/**
 * Decodes a cursor made by {@link encodeCursor}; throws `VALIDATION` when it is not
 * one, or its shape does not match `shape` ('n' number, 's' string).
 *
 * @internal
 */
export function decodeCursor(ctx: TasksContext, cursor: string, shape: string, operation: string): Array<string | number> {
  const bad = () =>
    new CleoStoreError('VALIDATION', `${operation}: cursor: not a cursor of this list (got ${JSON.stringify(cursor.slice(0, 40))})`, {
      ...ctx.errorContext,
      details: { operation, path: ['cursor'] },
    })
  if (!cursor.startsWith(CURSOR_PREFIX)) throw bad()
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(cursor.slice(CURSOR_PREFIX.length), 'base64url').toString('utf8'))
  } catch {
    throw bad()
  }
  if (!Array.isArray(value) || value.length !== shape.length) throw bad()
  for (let i = 0; i < shape.length; i++) {
    const want = shape[i] === 'n' ? 'number' : 'string'
    if (typeof value[i] !== want || (want === 'number' && !Number.isSafeInteger(value[i]))) throw bad()
  }
  return value as Array<string | number>
}
