/**
 * Release manifests: `tasks.releases`.
 *
 * @module
 */
import type { Selectable } from 'kysely'
import { z } from 'zod'

import { toIso, toIsoOrNull } from '../sqlite/clock.js'
import { fromJson } from '../sqlite/json.js'
import { template } from '../sqlite/query-template.js'
import type { Step } from '../sqlite/store-engine.js'
import { requireTaskRow } from './task-rows.js'
import type { Actor, TasksContext, TasksExecutor } from './tasks-context.js'
import type { ReleaseStatus } from './tasks.enums.js'
import { RELEASE_STATUSES } from './tasks.enums.js'
import type {
  AdvanceReleaseInput,
  CreateReleaseInput,
  TaskMutationOptions,
} from './tasks.types.js'
import { AdvanceReleaseSchema, CreateReleaseSchema, TaskMutationOptionsSchema } from './tasks.schemas.js'
import type { ReleaseManifestsTable, TasksDatabase } from './tasks.tables.js'

/**
 * One release, from draft to pushed.
 *
 * @example
 * ```ts
 * const r: ReleaseManifest = await tasks.releases.create({ version: '1.0.0' })
 * r.status // 'draft'
 * ```
 */
export interface ReleaseManifest {
  readonly id: string
  readonly version: string
  readonly status: ReleaseStatus
  readonly pipelineId: string | null
  readonly epicId: string | null
  readonly tasks: readonly string[]
  readonly changelog: string | null
  readonly notes: string | null
  readonly previousVersion: string | null
  readonly commitSha: string | null
  readonly gitTag: string | null
  readonly npmDistTag: string | null
  readonly createdAt: string
  readonly updatedAt: string
  readonly preparedAt: string | null
  readonly committedAt: string | null
  readonly taggedAt: string | null
  readonly pushedAt: string | null
  readonly cancelledAt: string | null
}

type ReleaseRow = Selectable<ReleaseManifestsTable>

const COLUMNS = [
  'id',
  'version',
  'status',
  'pipeline_id',
  'epic_id',
  'tasks_json',
  'changelog',
  'notes',
  'previous_version',
  'commit_sha',
  'git_tag',
  'npm_dist_tag',
  'created_at',
  'updated_at',
  'prepared_at',
  'committed_at',
  'tagged_at',
  'pushed_at',
  'cancelled_at',
] as const satisfies ReadonlyArray<keyof ReleaseRow>

const GET = template<TasksDatabase, { version: string }>()((db, p) =>
  db.selectFrom('release_manifests').selectAll().where('version', '=', p('version')),
)
const INSERT = template<TasksDatabase, ReleaseRow>()((db, p) =>
  db.insertInto('release_manifests').values(Object.fromEntries(COLUMNS.map((c) => [c, p(c)])) as ReleaseRow),
)
const WRITE = template<TasksDatabase, ReleaseRow>()((db, p) =>
  db
    .updateTable('release_manifests')
    .set(Object.fromEntries(COLUMNS.filter((c) => c !== 'id' && c !== 'version').map((c) => [c, p(c)])) as Partial<ReleaseRow>)
    .where('id', '=', p('id')),
)
const PIPELINE = template<TasksDatabase, { id: string }>()((db, p) => db.selectFrom('lifecycle_pipelines').select('id').where('id', '=', p('id')))

/** The forward order of a release; `cancelled` is reachable from any step before `pushed`. */
const ORDER: readonly ReleaseStatus[] = ['draft', 'prepared', 'committed', 'tagged', 'pushed']
const STAMP: Partial<Record<ReleaseStatus, keyof ReleaseRow>> = {
  prepared: 'prepared_at',
  committed: 'committed_at',
  tagged: 'tagged_at',
  pushed: 'pushed_at',
  cancelled: 'cancelled_at',
}


const ListReleasesSchema = z.strictObject({ status: z.enum(RELEASE_STATUSES).optional(), limit: z.number().int().min(1).max(1000).default(100) })


const ReleaseVersionSchema = z.string().min(1).max(100)

/**
 * Release manifests of tasks.db, as `tasks.releases`: one row per version
 * (UNIQUE), moving forward only — draft → prepared → committed → tagged → pushed,
 * or cancelled before it is pushed. Skipping steps stamps each skipped step too,
 * so the timestamps always say how far a release got.
 *
 * @example
 * ```ts
 * await tasks.releases.create({ version: '1.2.0', tasks: ['T2', 'T3'] })
 * await tasks.releases.advance('1.2.0', { to: 'committed', commitSha: 'abc1234' })
 * await tasks.releases.advance('1.2.0', { to: 'pushed', gitTag: 'v1.2.0', npmDistTag: 'latest' })
 * ```
 */
export class TaskReleases {
  readonly #ctx: TasksContext

  /** @internal Created by the repository. */
  constructor(ctx: TasksContext) {
    this.#ctx = ctx
  }

  /**
   * Creates a draft release. `CONFLICT` when the version exists; `NOT_FOUND` for
   * an unknown task, epic or pipeline.
   *
   * @example
   * ```ts
   * await tasks.releases.create({ version: '2.0.0', epicId: 'T1', previousVersion: '1.9.3' })
   * ```
   */
  async create(input: CreateReleaseInput, options: TaskMutationOptions = {}): Promise<ReleaseManifest> {
    const ctx = this.#ctx
    const data = ctx.parse(CreateReleaseSchema, input, 'tasks.releases.create')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.releases.create')
    const who = ctx.actor(options, 'tasks.releases.create')
    return ctx.engine.write((x) => this.#create(x, data, who))
  }

  *#create(x: TasksExecutor, data: z.output<typeof CreateReleaseSchema>, who: Actor): Step<ReleaseManifest> {
    const ctx = this.#ctx
    const now = ctx.now()
    if ((yield* x.get(GET, { version: data.version })) !== undefined) {
      throw ctx.error('CONFLICT', `release ${data.version} already exists`, { version: data.version })
    }
    if (data.epicId !== undefined) yield* requireTaskRow(x, ctx, data.epicId)
    for (const task of data.tasks) yield* requireTaskRow(x, ctx, task)
    if (data.pipelineId !== undefined && (yield* x.get(PIPELINE, { id: data.pipelineId })) === undefined) {
      throw ctx.notFound('pipeline', data.pipelineId)
    }
    const row: ReleaseRow = {
      id: ctx.newId(),
      version: data.version,
      status: 'draft',
      pipeline_id: data.pipelineId ?? null,
      epic_id: data.epicId ?? null,
      tasks_json: JSON.stringify([...new Set(data.tasks)]),
      changelog: data.changelog ?? null,
      notes: data.notes ?? null,
      previous_version: data.previousVersion ?? null,
      commit_sha: null,
      git_tag: null,
      npm_dist_tag: null,
      created_at: now,
      updated_at: now,
      prepared_at: null,
      committed_at: null,
      tagged_at: null,
      pushed_at: null,
      cancelled_at: null,
    }
    yield* x.run(INSERT, row)
    const release = this.#toRelease(row)
    yield* ctx.audit(x, who, { action: 'release.create', entityType: 'release', entityId: data.version, after: release }, now)
    return release
  }

  /**
   * Reads a release by version; `NOT_FOUND` when there is none.
   *
   * @example
   * ```ts
   * const r = await tasks.releases.get('1.2.0')
   * ```
   */
  async get(version: string): Promise<ReleaseManifest> {
    const ctx = this.#ctx
    const v = ctx.parse(ReleaseVersionSchema, version, 'tasks.releases.get')
    const row = await ctx.engine.read((x) => x.get(GET, { version: v }))
    if (row === undefined) throw ctx.notFound('release', v)
    return this.#toRelease(row)
  }

  /**
   * Releases, newest first, optionally of one status.
   *
   * @example
   * ```ts
   * const drafts = await tasks.releases.list({ status: 'draft' })
   * ```
   */
  async list(filter: { status?: ReleaseStatus; limit?: number } = {}): Promise<ReleaseManifest[]> {
    const ctx = this.#ctx
    const f = ctx.parse(
      ListReleasesSchema,
      filter,
      'tasks.releases.list',
    )
    let q = ctx.engine.kysely.selectFrom('release_manifests').selectAll()
    if (f.status) q = q.where('status', '=', f.status)
    const rows = await ctx.engine.read((x) => x.all(q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit)))
    return rows.map((row) => this.#toRelease(row))
  }

  /**
   * Moves a release forward to `to` (or cancels it), setting the given fields.
   * `INVARIANT` for a backward move, or any move of a pushed or cancelled release.
   *
   * @example
   * ```ts
   * await tasks.releases.advance('1.2.0', { to: 'tagged', gitTag: 'v1.2.0' })
   * ```
   */
  async advance(version: string, input: AdvanceReleaseInput, options: TaskMutationOptions = {}): Promise<ReleaseManifest> {
    const ctx = this.#ctx
    const v = ctx.parse(ReleaseVersionSchema, version, 'tasks.releases.advance')
    const data = ctx.parse(AdvanceReleaseSchema, input, 'tasks.releases.advance')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.releases.advance')
    const who = ctx.actor(options, 'tasks.releases.advance')
    return ctx.engine.write((x) => this.#advance(x, v, data, who))
  }

  *#advance(x: TasksExecutor, v: string, data: z.output<typeof AdvanceReleaseSchema>, who: Actor): Step<ReleaseManifest> {
    const ctx = this.#ctx
    const now = ctx.now()
    const current = yield* x.get(GET, { version: v })
    if (current === undefined) throw ctx.notFound('release', v)
    if (current.status === 'pushed' || current.status === 'cancelled') {
      throw ctx.error('INVARIANT', `release ${v} is ${current.status} and cannot change`, { status: current.status })
    }
    const next: ReleaseRow = { ...current, status: data.to, updated_at: now }
    if (data.to === 'cancelled') {
      next.cancelled_at = now
    } else {
      const from = ORDER.indexOf(current.status)
      const to = ORDER.indexOf(data.to)
      if (to <= from) throw ctx.error('INVARIANT', `release ${v} cannot go from ${current.status} to ${data.to}`, { from: current.status, to: data.to })
      for (const step of ORDER.slice(from + 1, to + 1)) {
        const column = STAMP[step]!
        if (next[column] === null) (next as Record<string, unknown>)[column] = now
      }
    }
    if (data.changelog !== undefined) next.changelog = data.changelog
    if (data.notes !== undefined) next.notes = data.notes
    if (data.commitSha !== undefined) next.commit_sha = data.commitSha
    if (data.gitTag !== undefined) next.git_tag = data.gitTag
    if (data.npmDistTag !== undefined) next.npm_dist_tag = data.npmDistTag
    yield* x.run(WRITE, next)
    const release = this.#toRelease(next)
    yield* ctx.audit(x, who, { action: 'release.advance', entityType: 'release', entityId: v, before: this.#toRelease(current), after: release }, now)
    return release
  }

  #toRelease(row: ReleaseRow): ReleaseManifest {
    return {
      id: row.id,
      version: row.version,
      status: row.status,
      pipelineId: row.pipeline_id,
      epicId: row.epic_id,
      tasks: fromJson<string[]>(row.tasks_json, 'release_manifests.tasks_json', this.#ctx.errorContext),
      changelog: row.changelog,
      notes: row.notes,
      previousVersion: row.previous_version,
      commitSha: row.commit_sha,
      gitTag: row.git_tag,
      npmDistTag: row.npm_dist_tag,
      createdAt: toIso(row.created_at),
      updatedAt: toIso(row.updated_at),
      preparedAt: toIsoOrNull(row.prepared_at),
      committedAt: toIsoOrNull(row.committed_at),
      taggedAt: toIsoOrNull(row.tagged_at),
      pushedAt: toIsoOrNull(row.pushed_at),
      cancelledAt: toIsoOrNull(row.cancelled_at),
    }
  }
}
