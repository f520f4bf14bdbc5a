/**
 * The project registry of nexus.db: every project this machine has opened, keyed by a
 * stable id that lives inside the project, with the resolved real path (unique), its
 * SHA-256, a name, health, permissions, counts and when it was last seen.
 *
 * Identity rules:
 * - the id is the key: a project that moved keeps its id, and registering it at its new
 *   path updates the row (`moved`) instead of adding one;
 * - a path belongs to one project: registering id B at a path held by id A removes A's
 *   row (A's directory now holds B), and the audit log says so (`project.evicted`);
 * - names are labels, not keys: two projects may share a name.
 *
 * @module
 */
import { basename } from 'node:path'

import { z } from 'zod'

import { toIso, toIsoOrNull } from '../sqlite/clock.js'
import { CleoStoreError } from '../sqlite/errors.js'
import { fromJson, toJson } from '../sqlite/json.js'
import { template } from '../sqlite/query-template.js'
import type { Executor, Step } from '../sqlite/store-engine.js'
import { validate } from '../sqlite/validate.js'
import type { NexusAuditLog } from './nexus-audit-log.js'
import type { NexusParts } from './nexus-parts.js'
import type {
  ListNexusProjectsOptions,
  NexusProjectHealth,
  NexusProjectPermission,
  RegisterNexusProjectInput,
  UpdateNexusProjectHealthInput,
  UpdateNexusProjectInput,
} from './nexus.types.js'
import {
  ListNexusProjectsOptionsSchema,
  NexusProjectIdSchema,
  NexusProjectStatsSchema,
  RegisterNexusProjectInputSchema,
  UpdateNexusProjectHealthInputSchema,
  UpdateNexusProjectInputSchema,
} from './nexus.schemas.js'
import type { NexusDatabase, ProjectRegistryTable } from './nexus.tables.js'
import { projectPathHash, resolveProjectPath } from './project-path.js'

/** A registered project. */
export interface NexusProject {
  /** Stable id (kept inside the project, in tasks.db). */
  readonly id: string
  /** SHA-256 (hex) of {@link path}. */
  readonly hash: string
  /** Resolved real path of the project directory when it was last registered. */
  readonly path: string
  readonly name: string
  readonly health: NexusProjectHealth
  readonly healthReason: string | null
  /** ISO-8601 UTC, or null when never checked. */
  readonly healthCheckedAt: string | null
  readonly permissions: NexusProjectPermission
  readonly taskCount: number
  /** Named counts (e.g. `{ memories: 40 }`). */
  readonly stats: Readonly<Record<string, number>>
  readonly labels: readonly string[]
  /** ISO-8601 UTC. */
  readonly registeredAt: string
  /** ISO-8601 UTC. */
  readonly lastSeenAt: string
  /** ISO-8601 UTC. */
  readonly updatedAt: string
  /** Path of the project's tasks.db, when a workspace registered it. */
  readonly tasksDbPath: string | null
  /** Path of the project's brain.db, when a workspace registered it. */
  readonly brainDbPath: string | null
  /** ISO-8601 UTC: when `taskCount` was last counted, or null. */
  readonly lastIndexed: string | null
  /** ISO-8601 UTC: when a workspace last synchronised the row, or null. */
  readonly lastSync: string | null
}

/** What {@link NexusProjects.register} did. */
export interface NexusRegistration {
  readonly project: NexusProject
  /** `registered`: new row; `refreshed`: same id at the same path; `moved`: same id, new path. */
  readonly outcome: 'registered' | 'refreshed' | 'moved'
  /** The path the project had before, when it `moved`. */
  readonly previousPath: string | null
  /** Ids of rows removed because their path now holds this project. */
  readonly evicted: readonly string[]
}

const LABELS = z.array(z.string())

const BY_ID = template<NexusDatabase, { id: string }>()((db, p) =>
  db.selectFrom('project_registry').selectAll().where('project_id', '=', p('id')),
)
const BY_HASH = template<NexusDatabase, { hash: string }>()((db, p) =>
  db.selectFrom('project_registry').selectAll().where('project_hash', '=', p('hash')),
)
const BY_NAME = template<NexusDatabase, { name: string }>()((db, p) =>
  db.selectFrom('project_registry').selectAll().where('name', '=', p('name')).orderBy('last_seen_at', 'desc'),
)
const INSERT = template<NexusDatabase, ProjectRegistryTable>()((db, p) =>
  db.insertInto('project_registry').values({
    project_id: p('project_id'),
    project_hash: p('project_hash'),
    project_path: p('project_path'),
    name: p('name'),
    health_status: p('health_status'),
    health_reason: p('health_reason'),
    health_checked_at: p('health_checked_at'),
    permissions: p('permissions'),
    task_count: p('task_count'),
    stats_json: p('stats_json'),
    labels_json: p('labels_json'),
    registered_at: p('registered_at'),
    last_seen_at: p('last_seen_at'),
    updated_at: p('updated_at'),
    tasks_db_path: p('tasks_db_path'),
    brain_db_path: p('brain_db_path'),
    last_indexed: p('last_indexed'),
    last_sync: p('last_sync'),
  }),
)
const SEEN = template<NexusDatabase, Pick<ProjectRegistryTable, 'project_id' | 'project_path' | 'project_hash' | 'name' | 'permissions' | 'task_count' | 'labels_json' | 'health_status' | 'health_reason' | 'last_seen_at' | 'tasks_db_path' | 'brain_db_path' | 'last_indexed' | 'last_sync'>>()(
  (db, p) =>
    db
      .updateTable('project_registry')
      .set({
        project_path: p('project_path'),
        project_hash: p('project_hash'),
        name: p('name'),
        permissions: p('permissions'),
        task_count: p('task_count'),
        labels_json: p('labels_json'),
        health_status: p('health_status'),
        health_reason: p('health_reason'),
        last_seen_at: p('last_seen_at'),
        updated_at: p('last_seen_at'),
        tasks_db_path: p('tasks_db_path'),
        brain_db_path: p('brain_db_path'),
        last_indexed: p('last_indexed'),
        last_sync: p('last_sync'),
      })
      .where('project_id', '=', p('project_id')),
)
const DELETE = template<NexusDatabase, { id: string }>()((db, p) =>
  db.deleteFrom('project_registry').where('project_id', '=', p('id')),
)

/**
 * `nexus.projects`: register projects and query across them.
 *
 * @example
 * ```ts
 * const all = await ws.nexus.projects.list()
 * const here = await ws.nexus.projects.findByPath(process.cwd())
 * await ws.nexus.projects.updateHealth(here!.id, { status: 'healthy' })
 * ```
 */
export class NexusProjects {
  readonly #parts: NexusParts
  readonly #audit: NexusAuditLog

  /** @internal */
  constructor(parts: NexusParts, audit: NexusAuditLog) {
    this.#parts = parts
    this.#audit = audit
  }

  /**
   * Registers a project or refreshes its row — idempotent. The path is resolved to its
   * real path and hashed. By id: a new id is inserted (`registered`); a known id at the
   * same path gets `last_seen_at` updated (`refreshed`); a known id at another path is a
   * project that moved: path and hash are updated, id, name and history kept (`moved`).
   * A row of another id that held this path is removed (`evicted`). Registration, moves
   * and evictions are written to the audit log; plain refreshes are not. A refresh that
   * would change nothing but a `last_seen_at` less than a minute old writes nothing
   * (see {@link NEXUS_LAST_SEEN_RESOLUTION_MS}), so frequent opens take no write lock.
   *
   * `CleoWorkspace.open` calls this for you.
   *
   * @example
   * ```ts
   * const { outcome, project } = await nexus.projects.register({ projectId: id, path: '/src/app' })
   * ```
   */
  async register(input: RegisterNexusProjectInput): Promise<NexusRegistration> {
    const parsed = validate(RegisterNexusProjectInputSchema, input, 'nexus.projects.register', this.#parts.context)
    const path = resolveProjectPath(parsed.path)
    const hash = projectPathHash(path)
    const { engine } = this.#parts
    // Every open of every project calls this: skip the write lock on the shared nexus.db
    // when nothing would change but a last_seen_at refreshed less than a minute ago.
    const current = await engine.read((x) => x.get(BY_ID, { id: parsed.projectId }))
    if (current && isUnchanged(current, parsed, path, this.#parts.clock())) {
      return { project: this.#map(current), outcome: 'refreshed', previousPath: null, evicted: [] }
    }
    return engine.write((x) => this.#register(x, parsed, path, hash))
  }

  /** The body of {@link register}: evict the path's other holder, then insert or refresh, with their audit rows. */
  *#register(
    x: Executor<NexusDatabase>,
    parsed: z.output<typeof RegisterNexusProjectInputSchema>,
    path: string,
    hash: string,
  ): Step<NexusRegistration> {
    const now = this.#parts.clock()
    const evicted: string[] = []
    const holder = yield* x.get(BY_HASH, { hash })
    if (holder && holder.project_id !== parsed.projectId) {
      yield* x.run(DELETE, { id: holder.project_id })
      yield* this.#audit.appendIn(x, {
        action: 'project.evicted',
        projectId: holder.project_id,
        projectHash: holder.project_hash,
        success: true,
        details: { path, replacedBy: parsed.projectId },
      })
      evicted.push(holder.project_id)
    }
    const existing = yield* x.get(BY_ID, { id: parsed.projectId })
    if (!existing) {
      const row: ProjectRegistryTable = {
        project_id: parsed.projectId,
        project_hash: hash,
        project_path: path,
        name: parsed.name ?? defaultName(path),
        health_status: 'unknown',
        health_reason: null,
        health_checked_at: null,
        permissions: parsed.permissions ?? 'read',
        task_count: parsed.taskCount ?? 0,
        stats_json: '{}',
        labels_json: toJson(parsed.labels ?? []),
        registered_at: now,
        last_seen_at: now,
        updated_at: now,
        tasks_db_path: parsed.tasksDbPath ?? null,
        brain_db_path: parsed.brainDbPath ?? null,
        last_indexed: parsed.lastIndexed ?? null,
        last_sync: parsed.lastSync ?? null,
      }
      yield* x.run(INSERT, row)
      yield* this.#audit.appendIn(x, {
        action: 'project.registered',
        projectId: row.project_id,
        projectHash: hash,
        success: true,
        details: { path, name: row.name },
      })
      return { project: this.#map(row), outcome: 'registered' as const, previousPath: null, evicted }
    }
    const moved = existing.project_path !== path
    // A project that is being opened is reachable again.
    const reachable = existing.health_status === 'unreachable'
    yield* x.run(SEEN, {
      project_id: existing.project_id,
      project_path: path,
      project_hash: hash,
      name: parsed.name ?? existing.name,
      permissions: parsed.permissions ?? existing.permissions,
      task_count: parsed.taskCount ?? existing.task_count,
      labels_json: parsed.labels ? toJson(parsed.labels) : existing.labels_json,
      health_status: reachable ? 'unknown' : existing.health_status,
      health_reason: reachable ? null : existing.health_reason,
      last_seen_at: now,
      tasks_db_path: parsed.tasksDbPath === undefined ? existing.tasks_db_path : parsed.tasksDbPath,
      brain_db_path: parsed.brainDbPath === undefined ? existing.brain_db_path : parsed.brainDbPath,
      last_indexed: parsed.lastIndexed ?? existing.last_indexed,
      last_sync: parsed.lastSync ?? existing.last_sync,
    })
    if (moved) {
      yield* this.#audit.appendIn(x, {
        action: 'project.moved',
        projectId: existing.project_id,
        projectHash: hash,
        success: true,
        details: { from: existing.project_path, to: path },
      })
    }
    const row = (yield* x.get(BY_ID, { id: existing.project_id }))!
    return {
      project: this.#map(row),
      outcome: moved ? ('moved' as const) : ('refreshed' as const),
      previousPath: moved ? existing.project_path : null,
      evicted,
    }
  }

  /**
   * The project with `id`; throws `NOT_FOUND` when there is none.
   *
   * @example
   * ```ts
   * const project = await nexus.projects.get(ws.projectId)
   * ```
   */
  async get(id: string): Promise<NexusProject> {
    const row = await this.#parts.engine.read((x) => x.get(BY_ID, { id }))
    if (!row) throw new CleoStoreError('NOT_FOUND', `no project with id ${JSON.stringify(id)} is registered`, this.#parts.context)
    return this.#map(row)
  }

  /**
   * The project registered at `path` (resolved to its real path first), or null.
   *
   * @example
   * ```ts
   * await nexus.projects.findByPath('/src/app') // NexusProject | null
   * ```
   */
  async findByPath(path: string): Promise<NexusProject | null> {
    return this.findByHash(projectPathHash(resolveProjectPath(path)))
  }

  /**
   * The project whose path hashes to `hash` (see `projectPathHash`), or null.
   *
   * @example
   * ```ts
   * await nexus.projects.findByHash(projectPathHash('/src/app'))
   * ```
   */
  async findByHash(hash: string): Promise<NexusProject | null> {
    const row = await this.#parts.engine.read((x) => x.get(BY_HASH, { hash }))
    return row ? this.#map(row) : null
  }

  /**
   * Projects named `name` (names are not unique), most recently seen first.
   *
   * @example
   * ```ts
   * const apps = await nexus.projects.findByName('app')
   * ```
   */
  async findByName(name: string): Promise<NexusProject[]> {
    const rows = await this.#parts.engine.read((x) => x.all(BY_NAME, { name }))
    return rows.map((row) => this.#map(row))
  }

  /**
   * Lists projects, by name (default) or most recently seen first, optionally only those
   * of one health status.
   *
   * @example
   * ```ts
   * const broken = await nexus.projects.list({ health: 'unreachable' })
   * ```
   */
  async list(options: ListNexusProjectsOptions = {}): Promise<NexusProject[]> {
    const o = validate(ListNexusProjectsOptionsSchema, options, 'nexus.projects.list', this.#parts.context)
    let query = this.#parts.engine.kysely.selectFrom('project_registry').selectAll()
    if (o.health !== undefined) query = query.where('health_status', '=', o.health)
    query =
      o.orderBy === 'name'
        ? query.orderBy('name').orderBy('project_id')
        : query.orderBy('last_seen_at', 'desc').orderBy('project_id')
    const page = query.limit(o.limit).offset(o.offset)
    const rows = await this.#parts.engine.read((x) => x.all(page))
    return rows.map((row) => this.#map(row))
  }

  /**
   * Number of registered projects.
   *
   * @example
   * ```ts
   * await nexus.projects.count() // 3
   * ```
   */
  async count(): Promise<number> {
    const query = this.#parts.engine.kysely.selectFrom('project_registry').select((eb) => eb.fn.countAll<number>().as('n'))
    const row = await this.#parts.engine.read((x) => x.get(query))
    return Number(row?.n ?? 0)
  }

  /**
   * The path of every registered project, however many there are, in one
   * consistent read (no page can be missed or read twice while others register or
   * leave). For scans that must see every project, such as `ws.agents.remove`
   * with `global`.
   *
   * @example
   * ```ts
   * for (const dir of await nexus.projects.allPaths()) inspect(dir)
   * ```
   */
  async allPaths(): Promise<string[]> {
    const query = this.#parts.engine.kysely.selectFrom('project_registry').select('project_path').orderBy('project_path')
    const rows = await this.#parts.engine.read((x) => x.all(query))
    return rows.map((row) => row.project_path)
  }

  /**
   * Records the health of a project and when it was checked.
   *
   * @example
   * ```ts
   * await nexus.projects.updateHealth(id, { status: 'degraded', reason: 'brain.db failed quick_check' })
   * ```
   */
  async updateHealth(id: string, input: UpdateNexusProjectHealthInput): Promise<NexusProject> {
    const parsed = validate(UpdateNexusProjectHealthInputSchema, input, 'nexus.projects.updateHealth', this.#parts.context)
    return this.#update(id, (now) => ({
      health_status: parsed.status,
      health_reason: parsed.reason ?? null,
      health_checked_at: now,
      updated_at: now,
    }))
  }

  /**
   * Changes the name, permissions, labels or counts of a project.
   *
   * @example
   * ```ts
   * await nexus.projects.update(id, { permissions: 'write', taskCount: 42, stats: { memories: 7 } })
   * ```
   */
  async update(id: string, input: UpdateNexusProjectInput): Promise<NexusProject> {
    const parsed = validate(UpdateNexusProjectInputSchema, input, 'nexus.projects.update', this.#parts.context)
    return this.#update(id, (now) => ({
      ...(parsed.name === undefined ? {} : { name: parsed.name }),
      ...(parsed.permissions === undefined ? {} : { permissions: parsed.permissions }),
      ...(parsed.labels === undefined ? {} : { labels_json: toJson(parsed.labels) }),
      ...(parsed.taskCount === undefined ? {} : { task_count: parsed.taskCount }),
      ...(parsed.stats === undefined ? {} : { stats_json: toJson(parsed.stats) }),
      updated_at: now,
    }))
  }

  /**
   * Removes a project from the registry (its files are not touched). Warp chain
   * instances of the project keep running with no project. Returns false when the id
   * was not registered.
   *
   * @example
   * ```ts
   * await nexus.projects.remove(id) // true
   * ```
   */
  async remove(id: string): Promise<boolean> {
    validate(NexusProjectIdSchema, id, 'nexus.projects.remove', this.#parts.context)
    const audit = this.#audit
    return this.#parts.engine.write(function* (x) {
      const row = yield* x.get(BY_ID, { id })
      if (!row) return false
      yield* x.run(DELETE, { id })
      yield* audit.appendIn(x, {
        action: 'project.removed',
        projectId: id,
        projectHash: row.project_hash,
        success: true,
        details: { path: row.project_path },
      })
      return true
    })
  }

  async #update(id: string, changes: (now: number) => Partial<ProjectRegistryTable>): Promise<NexusProject> {
    const { engine, clock, context } = this.#parts
    const map = (row: ProjectRegistryTable) => this.#map(row)
    return engine.write(function* (x) {
      const query = x.kysely.updateTable('project_registry').set(changes(clock())).where('project_id', '=', id)
      if ((yield* x.run(query)).changes === 0) {
        throw new CleoStoreError('NOT_FOUND', `no project with id ${JSON.stringify(id)} is registered`, context)
      }
      return map((yield* x.get(BY_ID, { id }))!)
    })
  }

  #map(row: ProjectRegistryTable): NexusProject {
    const context = this.#parts.context
    return {
      id: row.project_id,
      hash: row.project_hash,
      path: row.project_path,
      name: row.name,
      health: row.health_status,
      healthReason: row.health_reason,
      healthCheckedAt: toIsoOrNull(row.health_checked_at),
      permissions: row.permissions,
      taskCount: row.task_count,
      stats: fromJson<z.output<typeof NexusProjectStatsSchema>>(row.stats_json, 'project_registry.stats_json', context, NexusProjectStatsSchema),
      labels: fromJson(row.labels_json, 'project_registry.labels_json', context, LABELS),
      registeredAt: toIso(row.registered_at),
      lastSeenAt: toIso(row.last_seen_at),
      updatedAt: toIso(row.updated_at),
      tasksDbPath: row.tasks_db_path,
      brainDbPath: row.brain_db_path,
      lastIndexed: toIsoOrNull(row.last_indexed),
      lastSync: toIsoOrNull(row.last_sync),
    }
  }
}

/** `last_seen_at` is refreshed at most this often by a registration that changes nothing else. */
export const NEXUS_LAST_SEEN_RESOLUTION_MS = 60_000

function isUnchanged(
  row: ProjectRegistryTable,
  input: z.output<typeof RegisterNexusProjectInputSchema>,
  path: string,
  now: number,
): boolean {
  return (
    row.project_path === path &&
    row.health_status !== 'unreachable' &&
    now - row.last_seen_at < NEXUS_LAST_SEEN_RESOLUTION_MS &&
    now >= row.last_seen_at &&
    (input.name === undefined || input.name === row.name) &&
    (input.permissions === undefined || input.permissions === row.permissions) &&
    (input.taskCount === undefined || input.taskCount === row.task_count) &&
    (input.labels === undefined || toJson(input.labels) === row.labels_json) &&
    (input.tasksDbPath === undefined || input.tasksDbPath === row.tasks_db_path) &&
    (input.brainDbPath === undefined || input.brainDbPath === row.brain_db_path) &&
    // lastIndexed / lastSync move with every open: like last_seen_at, they are written
    // at most once per resolution window, and a first value is always written.
    (input.lastIndexed === undefined || row.last_indexed !== null) &&
    (input.lastSync === undefined || row.last_sync !== null)
  )
}

function defaultName(path: string): string {
  const name = basename(path)
  return name === '' ? path.slice(0, 200) : name.slice(0, 200)
}
