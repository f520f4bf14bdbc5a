/**
 * The tasks.db repository: task records as its own methods, every other aggregate
 * as a property.
 *
 * @module
 */
import { z } from 'zod'

import type { SqliteDatabase } from '../sqlite/database.js'
import type { RepositoryOptions } from '../sqlite/store-repository.js'
import { SqliteStoreEngine } from '../sqlite/store-engine.js'
import type { IterateFilter } from '../sqlite/paging.js'
import { iteratePages } from '../sqlite/paging.js'
import { openStoreDatabase, StoreRepository } from '../sqlite/store-repository.js'
import { checkOptions, FunctionSchema, POSTGRES_OPTION_SHAPE, repositoryOptionsSchema } from '../sqlite/options.js'
import type { Clock } from '../sqlite/clock.js'
import type { ReferenceGuard } from '../sqlite/reference-guard.js'
import type { StoreEngine } from '../sqlite/store-engine.js'
import type { PostgresStoreOptions, PostgresTarget } from '../postgres/postgres-options.js'
import { openPostgresDatabase } from '../postgres/postgres-database.js'
import { PostgresStoreEngine, serverDatabase } from '../postgres/postgres-engine.js'
import { AgentCredentials } from './agent-credentials.js'
import { CleoStoreError } from '../sqlite/errors.js'
import { validate } from '../sqlite/validate.js'
import { TaskAdrs } from './task-adrs.js'
import { TaskAgentInstances } from './task-agent-instances.js'
import { TaskAuditLog } from './task-audit-log.js'
import { TaskClaims } from './task-claims.js'
import { TaskDependencies } from './task-dependencies.js'
import { TaskExternalLinks } from './task-external-links.js'
import type { TaskPage } from './task-items.js'
import { TaskItems } from './task-items.js'
import { TaskLifecycle } from './task-lifecycle.js'
import { TaskManifests } from './task-manifests.js'
import { TaskRelations } from './task-relations.js'
import { TaskReleases } from './task-releases.js'
import type { Task } from './task.types.js'
import { TaskSessions } from './task-sessions.js'
import { TaskStatusRegistry } from './task-status-registry.js'
import { TaskTokenUsage } from './task-token-usage.js'
import { DEFAULT_TASKS_SETTINGS, TasksContext } from './tasks-context.js'
import type {
  ArchiveTaskOptions,
  CreateTaskInput,
  TaskMutationOptions,
  RestoreTaskOptions,
  TaskListFilter,
  TaskWriteOptions,
  UpdateTaskInput,
} from './tasks.types.js'
import { TasksNameSchema } from './tasks.schemas.js'
import type { TasksDatabase } from './tasks.tables.js'
import { TASKS_STORE } from './tasks.store.js'

/**
 * Options of {@link TasksRepository.open}.
 *
 * @example
 * ```ts
 * await TasksRepository.open(':memory:', { actor: 'harness', maxDepth: 4, clock: () => fixedMs })
 * ```
 */
export interface TasksRepositoryOptions extends RepositoryOptions {
  /** Actor recorded on audit rows when a call names none (default `system`). */
  readonly actor?: string
  /** Levels the task tree may have, 1–16 (default 3: epic → task → subtask, CLEO's `maxDepth`). */
  readonly maxDepth?: number
  /**
   * Claims a harness can enforce (default false). When true, changing a task
   * (`update`, `complete`, `reparent`, `archive`, `restore`) while another agent
   * holds a live claim on it is `CONFLICT` unless the call passes that claim's
   * `claimToken` (or acts as the claiming agent, `{ actor }`). With a token, the
   * claim's agent is the audit actor unless `actor` is given.
   */
  readonly enforceClaims?: boolean
  /**
   * Recorded as `project_hash` on operation audit rows (`tasks.audit.record`). A
   * workspace passes its nexus project hash; default none.
   */
  readonly projectHash?: string
}

/**
 * Options of {@link TasksRepository.openPostgres}: the server store's (schema,
 * retry, pool size) and the repository's settings and clock.
 *
 * @example
 * ```ts
 * const options: TasksPostgresOptions = { schema: 'acme_api_tasks', actor: 'planner', busyTimeoutMs: 10_000 }
 * ```
 */
export interface TasksPostgresOptions extends PostgresStoreOptions {
  /** Returns epoch milliseconds; inject one in tests (default `Date.now`). */
  readonly clock?: Clock
  /** Checks ids this store's writes name in other databases; a workspace sets it. */
  readonly referenceGuard?: ReferenceGuard | undefined
  /** Actor recorded on audit rows when a call names none (default `system`). */
  readonly actor?: string
  /** Levels the task tree may have, 1–16 (default 3). */
  readonly maxDepth?: number
  /** Changing a task under another agent's live claim needs its claim token (default false; see {@link TasksRepositoryOptions.enforceClaims}). */
  readonly enforceClaims?: boolean
  /** Recorded as `project_hash` on operation audit rows; default none. */
  readonly projectHash?: string
}

const SETTINGS_OPTION_SHAPE = {
  actor: z.unknown().optional(),
  maxDepth: z.unknown().optional(),
  enforceClaims: z.unknown().optional(),
  projectHash: z.unknown().optional(),
} as const

/** `TasksRepository.openPostgres` options, strict like `open`'s. */
const PostgresOptionsSchema = z.strictObject({
  ...POSTGRES_OPTION_SHAPE,
  ...SETTINGS_OPTION_SHAPE,
  clock: FunctionSchema.optional(),
  referenceGuard: FunctionSchema.optional(),
})

/** `TasksRepository.open` options, strict (issue 14, item 9). */
const OpenOptionsSchema = repositoryOptionsSchema(SETTINGS_OPTION_SHAPE)

const SettingsSchema = z.strictObject({
  actor: TasksNameSchema.default(DEFAULT_TASKS_SETTINGS.actor),
  maxDepth: z.number().int().min(1).max(16).default(DEFAULT_TASKS_SETTINGS.maxDepth),
  enforceClaims: z.boolean().default(false),
  projectHash: z.string().min(1).max(128).nullable().default(null),
})

function settingsInput(options: TasksRepositoryOptions | TasksPostgresOptions) {
  return { actor: options.actor, maxDepth: options.maxDepth, enforceClaims: options.enforceClaims, projectHash: options.projectHash }
}

/**
 * tasks.db — tasks, dependencies, sessions, lifecycle, ADRs, audit log (project
 * tier).
 *
 * Task records are the repository's own methods (`create`, `get`, `find`,
 * `update`, `complete`, `list`, `reparent`, `archive`, `restore`, `ancestors`,
 * `descendants`); every other aggregate is a property: `dependencies` (and ready
 * work), `relations`, `claims`, `sessions`, `lifecycle`, `manifests`, `releases`,
 * `adrs`, `audit`, `tokens`, `externalLinks`, `agents`, `statuses`.
 *
 * Every mutation validates its input first (`VALIDATION`, nothing written), runs
 * in one `BEGIN IMMEDIATE` transaction together with its audit row, and takes
 * `{ actor, sessionId, requestId }` as its last argument.
 *
 * @example
 * ```ts
 * await using tasks = await TasksRepository.open(':memory:')
 * const epic = await tasks.create({ title: 'Parser', type: 'epic' })
 * const t1 = await tasks.create({ title: 'Lexer', parentId: epic.id })
 * const t2 = await tasks.create({ title: 'Grammar', parentId: epic.id, dependsOn: [t1.id] })
 * const { items: [next] } = await tasks.dependencies.ready() // t1
 * ```
 */
export class TasksRepository extends StoreRepository<'tasks'> {
  // Each aggregate is a class in its own file whose constructor takes the shared
  // TasksContext (engine, clock, ids, validation, the audit writer). Adding one
  // is two lines: its declaration below and its construction in the constructor.
  readonly #ctx: TasksContext
  readonly #items: TaskItems
  /** Dependencies between tasks, cycle-checked; ready work, `next`, blockers. */
  readonly dependencies: TaskDependencies
  /** Typed relations between tasks. */
  readonly relations: TaskRelations
  /** Leases on tasks with fencing tokens. */
  readonly claims: TaskClaims
  /** Agent sessions (CLEO and TeleClaude), handoffs, work history. */
  readonly sessions: TaskSessions
  /** RCASD-IVTR+C pipelines, stages, gates, evidence, transitions. */
  readonly lifecycle: TaskLifecycle
  /** Lifecycle manifest entries and pipeline manifest records. */
  readonly manifests: TaskManifests
  /** Release manifests. */
  readonly releases: TaskReleases
  /** Architecture decision records, task links, relations. */
  readonly adrs: TaskAdrs
  /** The audit log written by every mutation. */
  readonly audit: TaskAuditLog
  /** LLM token usage records and aggregates. */
  readonly tokens: TaskTokenUsage
  /** Links to issues in external trackers. */
  readonly externalLinks: TaskExternalLinks
  /** Running agent instances and their heartbeats. */
  readonly agentInstances: TaskAgentInstances
  /** The seeded status registry. */
  readonly statuses: TaskStatusRegistry
  /** `agent_credentials`: the local cache of sealed signaldock agent credentials. */
  readonly credentials: AgentCredentials

  private constructor(
    db: SqliteDatabase<TasksDatabase> | PostgresStoreEngine<TasksDatabase>,
    options: TasksRepositoryOptions | TasksPostgresOptions,
  ) {
    super(db instanceof PostgresStoreEngine ? { server: serverDatabase(db) } : db, options)
    const engine = db instanceof PostgresStoreEngine ? db : new SqliteStoreEngine(db)
    const settings = validate(SettingsSchema, settingsInput(options), 'TasksRepository.open', engine.context)
    this.#ctx = new TasksContext(engine, this.clock)
    this.#ctx.configure(settings)
    this.#items = new TaskItems(this.#ctx)
    this.dependencies = new TaskDependencies(this.#ctx)
    this.relations = new TaskRelations(this.#ctx)
    this.claims = new TaskClaims(this.#ctx)
    this.sessions = new TaskSessions(this.#ctx)
    this.lifecycle = new TaskLifecycle(this.#ctx)
    this.manifests = new TaskManifests(this.#ctx)
    this.releases = new TaskReleases(this.#ctx)
    this.adrs = new TaskAdrs(this.#ctx)
    this.audit = new TaskAuditLog(this.#ctx)
    this.tokens = new TaskTokenUsage(this.#ctx)
    this.externalLinks = new TaskExternalLinks(this.#ctx)
    this.agentInstances = new TaskAgentInstances(this.#ctx)
    this.statuses = new TaskStatusRegistry(this.#ctx)
    this.credentials = new AgentCredentials(engine, this.clock, this.referenceGuard)
  }

  /** @internal The store engine the aggregates run on (tests reach the rows through it). */
  get engine(): StoreEngine<TasksDatabase> {
    return this.#ctx.engine
  }

  /**
   * Opens (creating and migrating if needed) tasks.db at `path`, or an in-memory
   * database with `':memory:'`.
   * The file is created if missing, its directory is not: a missing directory is
   * `NOT_FOUND` (create it first; `CleoWorkspace.open` creates its own).
   *
   * @example
   * ```ts
   * const tasks = await TasksRepository.open('/repo/.cleo/tasks.db', { actor: 'my-harness' })
   * ```
   */
  static async open(path: string, options: TasksRepositoryOptions = {}): Promise<TasksRepository> {
    checkOptions(OpenOptionsSchema, options, 'TasksRepository.open', { store: TASKS_STORE.name })
    const { actor: _actor, maxDepth: _maxDepth, enforceClaims: _enforce, projectHash: _hash, ...engine } = options
    validate(SettingsSchema, settingsInput(options), 'TasksRepository.open', { store: TASKS_STORE.name })
    const db = await openStoreDatabase<TasksDatabase>(TASKS_STORE, path, engine)
    return new TasksRepository(db, options)
  }

  /**
   * Opens tasks on a PostgreSQL server — one project's tasks shared by many hosts —
   * creating its schema (default `tasks`; a workspace names it after the project
   * key) and migrating it if needed. Same API, errors and rules as on SQLite:
   * writes run `SERIALIZABLE` (ids stay gap-free and unique, dependency cycles are
   * still refused) and a lost race is retried whole until `busyTimeoutMs`, then
   * `BUSY`; `claims.claimNext` skips tasks other hosts are claiming
   * (`FOR UPDATE SKIP LOCKED`).
   *
   * `target` is a connection string (cleo-store creates a `pg` pool and ends it on
   * `close()`; without the optional peer dependency `pg`: `UNSUPPORTED`) or your own
   * `pg.Pool` (never ended by cleo-store).
   *
   * Throws `VALIDATION` (bad target, schema name or option), `IO` (server
   * unreachable), `NOT_FOUND` (no such database), `WRONG_STORE`, `SCHEMA_TOO_NEW`,
   * `MIGRATION_FAILED`.
   *
   * @example
   * ```ts
   * const tasks = await TasksRepository.openPostgres(process.env.DATABASE_URL!, { schema: 'acme_api_tasks', actor: 'planner' })
   * ```
   */
  static async openPostgres(target: PostgresTarget, options: TasksPostgresOptions = {}): Promise<TasksRepository> {
    checkOptions(PostgresOptionsSchema, options, 'TasksRepository.openPostgres', { store: TASKS_STORE.name })
    validate(SettingsSchema, settingsInput(options), 'TasksRepository.openPostgres', { store: TASKS_STORE.name })
    const { clock: _clock, referenceGuard: _guard, actor: _actor, maxDepth: _maxDepth, enforceClaims: _enforce, projectHash: _hash, ...server } = options
    const db = await openPostgresDatabase<TasksDatabase>(TASKS_STORE, target, server)
    return new TasksRepository(new PostgresStoreEngine(db), options)
  }

  // ── batches (issue 19) ──
  /**
   * Runs `fn` in one all-or-nothing write transaction. `tx` is this repository:
   * every call made from inside `fn` (its async flow) — creates, updates,
   * dependencies, sessions, … with their validation and audit rows — joins the
   * transaction, each in a savepoint (a call that throws leaves nothing behind, and
   * `fn` may catch the error and go on). When `fn` throws or rejects, nothing of it
   * is kept; otherwise everything commits at once. Calls from other async flows
   * wait until it ends. The write lock is held while `fn` awaits: keep network I/O
   * out of it.
   *
   * @example
   * ```ts
   * const created = await tasks.transaction(async (tx) => {
   *   const epic = await tx.create({ title: 'Parser', type: 'epic' })
   *   const lexer = await tx.create({ title: 'Lexer', parentId: epic.id })
   *   await tx.create({ title: 'Grammar', parentId: epic.id, dependsOn: [lexer.id] })
   *   return epic
   * }) // three tasks and three audit rows, or none
   * ```
   */
  transaction<T>(fn: (tx: TasksRepository) => Promise<T> | T): Promise<T> {
    if (typeof fn !== 'function') {
      return Promise.reject(new CleoStoreError('VALIDATION', 'tasks.transaction: expected a function', { ...this.context, details: { operation: 'tasks.transaction', path: [] } }))
    }
    return this.#ctx.engine.batch(() => fn(this))
  }

  /**
   * Creates a task. Its id `T<n>` is drawn in the insert's own transaction, so a
   * failed create leaves no gap and concurrent processes never share an id. The
   * type is inferred from the parent when omitted (root or under an epic → task;
   * under a task → subtask); the tree rules and depth limit are checked in the
   * same transaction (`INVARIANT`), as are `dependsOn` edges (`CYCLE`). An audit
   * row is written with the task.
   *
   * @example
   * ```ts
   * const task = await tasks.create({ title: 'Write the lexer', priority: 'high', labels: ['parser'] }, { actor: 'planner' })
   * task.id // 'T1'
   * ```
   */
  create(input: CreateTaskInput, options: TaskMutationOptions = {}): Promise<Task> {
    return this.#items.create(input, options)
  }

  /**
   * Reads a task; `NOT_FOUND` when it does not exist (archived tasks are found).
   *
   * @example
   * ```ts
   * const task = await tasks.get('T1')
   * ```
   */
  get(id: string): Promise<Task> {
    return this.#items.get(id)
  }

  /**
   * Reads a task, or `null` when it does not exist.
   *
   * @example
   * ```ts
   * const task = await tasks.find('T99') // null
   * ```
   */
  find(id: string): Promise<Task | null> {
    return this.#items.find(id)
  }

  /**
   * Changes a task's fields. `expectedVersion` makes it optimistic (a different
   * current version → `CONFLICT`); `claimToken` fences it (not the live claim →
   * `LEASE_LOST`). Status changes follow {@link TASK_STATUS_TRANSITIONS}
   * (`INVARIANT` otherwise); finishing a task releases its claim, and finishing
   * the last open child of an epic completes the epic (never an epic without
   * children). Archived tasks must be restored first.
   *
   * @example
   * ```ts
   * const t = await tasks.get('T1')
   * await tasks.update('T1', { status: 'active', assignee: 'agent-7' }, { expectedVersion: t.version })
   * ```
   */
  update(id: string, patch: UpdateTaskInput, options: TaskWriteOptions = {}): Promise<Task> {
    return this.#items.update(id, patch, options)
  }

  /**
   * Finishes a task in one call: a pending or active task becomes `done` (a
   * pending one passes through active), its claim is released, and an epic whose
   * last open child this was completes too. Takes the options of {@link update}:
   * `claimToken` fences it (and makes the claim's agent the audit actor). Other
   * statuses → `INVARIANT`; a lifecycle pipeline not at `contribution` or completed
   * → `INVARIANT` (T877).
   *
   * @example
   * ```ts
   * const next = await tasks.claims.claimNext({ agent: 'a1', ttlMs: 60_000 })
   * if (next) await tasks.complete(next.task.id, { claimToken: next.claim.token })
   * ```
   */
  complete(id: string, options: TaskWriteOptions = {}): Promise<Task> {
    return this.#items.complete(id, options)
  }

  /**
   * Lists tasks (oldest first), filtered by status, parent, type, priority,
   * assignee, claimer, labels (all of) and full-text words, a page at a time.
   * Archived tasks are left out unless `archived` says otherwise.
   *
   * @example
   * ```ts
   * let page = await tasks.list({ parentId: 'T1', limit: 50 })
   * while (page.nextCursor) page = await tasks.list({ parentId: 'T1', limit: 50, cursor: page.nextCursor })
   * ```
   */
  list(filter: TaskListFilter = {}): Promise<TaskPage> {
    return this.#items.list(filter)
  }

  /**
   * Every task matching `filter`, oldest first, fetched a page at a time (`limit`
   * is the page size).
   *
   * @example
   * ```ts
   * for await (const task of tasks.iterate({ status: 'pending' })) console.log(task.id, task.title)
   * ```
   */
  iterate(filter: IterateFilter<TaskListFilter> = {}): AsyncGenerator<Task, void, undefined> {
    return iteratePages((cursor) => this.#items.list(cursor === undefined ? filter : { ...filter, cursor }))
  }

  /**
   * Moves a task under another parent (or to the root with `null`), retyping it by
   * its new place (under an epic or at the root → task; under a task → subtask;
   * epics only under epics). `CYCLE` when the new parent is inside the task's own
   * subtree; `INVARIANT` when the tree rules or the depth limit would break.
   *
   * @example
   * ```ts
   * await tasks.reparent('T7', 'T2') // T7 becomes a subtask of task T2
   * ```
   */
  reparent(id: string, parentId: string | null, options: TaskWriteOptions = {}): Promise<Task> {
    return this.#items.reparent(id, parentId, options)
  }

  /**
   * Archives a task: the soft delete. The status is kept (so `restore` brings the
   * task back as it was) and `archiveReason` says why: completed, cancelled or
   * deleted. Refused (`CONFLICT`) while it has live children unless `cascade`, and
   * while live tasks depend on it unfinished unless `force` (which removes those
   * edges). Releases its claim.
   *
   * @example
   * ```ts
   * await tasks.archive('T1', { cascade: true, actor: 'cleanup' })
   * ```
   */
  archive(id: string, options: ArchiveTaskOptions = {}): Promise<Task> {
    return this.#items.archive(id, options)
  }

  /**
   * Restores an archived task (with `cascade`, its archived descendants too).
   * `CONFLICT` when it is not archived or its parent still is.
   *
   * @example
   * ```ts
   * await tasks.restore('T1', { cascade: true })
   * ```
   */
  restore(id: string, options: RestoreTaskOptions = {}): Promise<Task> {
    return this.#items.restore(id, options)
  }

  /**
   * The ancestors of a task, parent first (a recursive query).
   *
   * @example
   * ```ts
   * const [parent, grandparent] = await tasks.ancestors('T9')
   * ```
   */
  ancestors(id: string): Promise<Task[]> {
    return this.#items.ancestors(id)
  }

  /**
   * The descendants of a task, breadth-first, archived ones included.
   *
   * @example
   * ```ts
   * const subtree = await tasks.descendants('T1')
   * ```
   */
  descendants(id: string): Promise<Task[]> {
    return this.#items.descendants(id)
  }
}
