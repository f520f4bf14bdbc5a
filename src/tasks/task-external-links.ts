/**
 * Links between tasks and issues in other trackers: `tasks.externalLinks`.
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
import type { ExternalLinkType, ExternalSyncDirection } from './tasks.enums.js'
import type {
  LinkExternalTaskInput,
  TaskMutationOptions,
} from './tasks.types.js'
import { LinkExternalTaskSchema, TaskMutationOptionsSchema, TaskIdSchema } from './tasks.schemas.js'
import type { ExternalTaskLinksTable, TasksDatabase } from './tasks.tables.js'

/**
 * A task linked to an item of an external tracker.
 *
 * @example
 * ```ts
 * const link: ExternalTaskLink = await tasks.externalLinks.link({ taskId: 'T1', providerId: 'github', externalId: 'o/r#1' })
 * ```
 */
export interface ExternalTaskLink {
  readonly id: string
  readonly taskId: string
  readonly providerId: string
  readonly externalId: string
  readonly externalUrl: string | null
  readonly externalTitle: string | null
  readonly linkType: ExternalLinkType
  readonly syncDirection: ExternalSyncDirection
  readonly metadata: Readonly<Record<string, unknown>>
  readonly linkedAt: string
  readonly lastSyncAt: string | null
}

type LinkRow = Selectable<ExternalTaskLinksTable>

const INSERT = template<TasksDatabase, LinkRow>()((db, p) =>
  db
    .insertInto('external_task_links')
    .values({
      id: p('id'),
      task_id: p('task_id'),
      provider_id: p('provider_id'),
      external_id: p('external_id'),
      external_url: p('external_url'),
      external_title: p('external_title'),
      link_type: p('link_type'),
      sync_direction: p('sync_direction'),
      metadata_json: p('metadata_json'),
      linked_at: p('linked_at'),
      last_sync_at: p('last_sync_at'),
    })
    .returningAll(),
)
const EXISTING = template<TasksDatabase, { task: string; provider: string; external: string }>()((db, p) =>
  db
    .selectFrom('external_task_links')
    .select('id')
    .where('task_id', '=', p('task'))
    .where('provider_id', '=', p('provider'))
    .where('external_id', '=', p('external')),
)
const GET = template<TasksDatabase, { id: string }>()((db, p) => db.selectFrom('external_task_links').selectAll().where('id', '=', p('id')))
const DELETE = template<TasksDatabase, { id: string }>()((db, p) =>
  db.deleteFrom('external_task_links').where('id', '=', p('id')).returningAll(),
)
const OF_TASK = template<TasksDatabase, { task: string }>()((db, p) =>
  db.selectFrom('external_task_links').selectAll().where('task_id', '=', p('task')).orderBy('linked_at').orderBy('id'),
)
const BY_EXTERNAL = template<TasksDatabase, { provider: string; external: string }>()((db, p) =>
  db
    .selectFrom('external_task_links')
    .selectAll()
    .where('provider_id', '=', p('provider'))
    .where('external_id', '=', p('external'))
    .orderBy('linked_at'),
)
const SYNCED = template<TasksDatabase, { id: string; now: number }>()((db, p) =>
  db.updateTable('external_task_links').set({ last_sync_at: p('now') }).where('id', '=', p('id')).returningAll(),
)

const IdSchema = z.string().min(1).max(100)


const ProviderIdSchema = z.string().min(1).max(100)
const ExternalIdSchema = z.string().min(1).max(500)

/**
 * External links of tasks.db, as `tasks.externalLinks`: unique per (task,
 * provider, external id) — linking the same item twice is `CONFLICT`.
 *
 * @example
 * ```ts
 * const link = await tasks.externalLinks.link({ taskId: 'T1', providerId: 'linear', externalId: 'ENG-42' })
 * const [found] = await tasks.externalLinks.findByExternal('linear', 'ENG-42')
 * await tasks.externalLinks.markSynced(link.id)
 * ```
 */
export class TaskExternalLinks {
  readonly #ctx: TasksContext

  /** @internal Created by the repository. */
  constructor(ctx: TasksContext) {
    this.#ctx = ctx
  }

  /**
   * Links a task to an external item. `NOT_FOUND` for an unknown task,
   * `CONFLICT` when this task is already linked to that item.
   *
   * @example
   * ```ts
   * await tasks.externalLinks.link({ taskId: 'T1', providerId: 'github', externalId: 'org/repo#12',
   *   externalUrl: 'https://github.com/org/repo/issues/12', syncDirection: 'bidirectional' })
   * ```
   */
  async link(input: LinkExternalTaskInput, options: TaskMutationOptions = {}): Promise<ExternalTaskLink> {
    const ctx = this.#ctx
    const data = ctx.parse(LinkExternalTaskSchema, input, 'tasks.externalLinks.link')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.externalLinks.link')
    const who = ctx.actor(options, 'tasks.externalLinks.link')
    const row = await ctx.engine.write((x) => this.#link(x, data, who))
    return this.#toLink(row)
  }

  *#link(x: TasksExecutor, data: z.output<typeof LinkExternalTaskSchema>, who: Actor) {
    const ctx = this.#ctx
    const now = ctx.now()
    yield* requireTaskRow(x, ctx, data.taskId)
    const existing = yield* x.get(EXISTING, { task: data.taskId, provider: data.providerId, external: data.externalId })
    if (existing !== undefined) {
      throw ctx.error('CONFLICT', `task ${data.taskId} is already linked to ${data.providerId} ${JSON.stringify(data.externalId)}`, {
        linkId: existing.id,
      })
    }
    const inserted = (yield* x.get(INSERT, {
      id: ctx.newId(),
      task_id: data.taskId,
      provider_id: data.providerId,
      external_id: data.externalId,
      external_url: data.externalUrl ?? null,
      external_title: data.externalTitle ?? null,
      link_type: data.linkType,
      sync_direction: data.syncDirection,
      metadata_json: JSON.stringify(data.metadata),
      linked_at: now,
      last_sync_at: null,
    }))!
    yield* ctx.audit(x, who, { action: 'externalLink.link', entityType: 'external_link', entityId: inserted.id, taskId: data.taskId, after: this.#toLink(inserted) }, now)
    return inserted
  }

  /**
   * Removes a link; `NOT_FOUND` when there is none.
   *
   * @example
   * ```ts
   * await tasks.externalLinks.unlink(link.id)
   * ```
   */
  async unlink(id: string, options: TaskMutationOptions = {}): Promise<void> {
    const ctx = this.#ctx
    const linkId = ctx.parse(IdSchema, id, 'tasks.externalLinks.unlink')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.externalLinks.unlink')
    const who = ctx.actor(options, 'tasks.externalLinks.unlink')
    await ctx.engine.write((x) => this.#unlink(x, linkId, who))
  }

  *#unlink(x: TasksExecutor, linkId: string, who: Actor): Step<void> {
    const ctx = this.#ctx
    const removed = yield* x.get(DELETE, { id: linkId })
    if (removed === undefined) throw ctx.notFound('external link', linkId)
    yield* ctx.audit(x, who, { action: 'externalLink.unlink', entityType: 'external_link', entityId: linkId, taskId: removed.task_id, before: this.#toLink(removed) })
  }

  /**
   * The links of a task, oldest first.
   *
   * @example
   * ```ts
   * const links = await tasks.externalLinks.list('T1')
   * ```
   */
  async list(taskId: string): Promise<ExternalTaskLink[]> {
    const ctx = this.#ctx
    const task = ctx.parse(TaskIdSchema, taskId, 'tasks.externalLinks.list')
    const rows = await ctx.engine.read((x) => x.all(OF_TASK, { task }))
    return rows.map((row) => this.#toLink(row))
  }

  /**
   * The links (of any task) to one external item.
   *
   * @example
   * ```ts
   * const links = await tasks.externalLinks.findByExternal('github', 'org/repo#12')
   * ```
   */
  async findByExternal(providerId: string, externalId: string): Promise<ExternalTaskLink[]> {
    const ctx = this.#ctx
    const provider = ctx.parse(ProviderIdSchema, providerId, 'tasks.externalLinks.findByExternal')
    const external = ctx.parse(ExternalIdSchema, externalId, 'tasks.externalLinks.findByExternal')
    const rows = await ctx.engine.read((x) => x.all(BY_EXTERNAL, { provider, external }))
    return rows.map((row) => this.#toLink(row))
  }

  /**
   * Stamps `lastSyncAt` with now. Not audited (a sync is frequent). `NOT_FOUND`
   * for an unknown link.
   *
   * @example
   * ```ts
   * await tasks.externalLinks.markSynced(link.id)
   * ```
   */
  async markSynced(id: string): Promise<ExternalTaskLink> {
    const ctx = this.#ctx
    const linkId = ctx.parse(IdSchema, id, 'tasks.externalLinks.markSynced')
    const row = await ctx.engine.write((x) => x.get(SYNCED, { id: linkId, now: ctx.now() }))
    if (row === undefined) throw ctx.notFound('external link', linkId)
    return this.#toLink(row)
  }

  /**
   * Reads a link; `NOT_FOUND` when there is none.
   *
   * @example
   * ```ts
   * const link = await tasks.externalLinks.get(id)
   * ```
   */
  async get(id: string): Promise<ExternalTaskLink> {
    const ctx = this.#ctx
    const linkId = ctx.parse(IdSchema, id, 'tasks.externalLinks.get')
    const row = await ctx.engine.read((x) => x.get(GET, { id: linkId }))
    if (row === undefined) throw ctx.notFound('external link', linkId)
    return this.#toLink(row)
  }

  #toLink(row: LinkRow): ExternalTaskLink {
    return {
      id: row.id,
      taskId: row.task_id,
      providerId: row.provider_id,
      externalId: row.external_id,
      externalUrl: row.external_url,
      externalTitle: row.external_title,
      linkType: row.link_type,
      syncDirection: row.sync_direction,
      metadata: fromJson<Record<string, unknown>>(row.metadata_json, 'external_task_links.metadata_json', this.#ctx.errorContext),
      linkedAt: toIso(row.linked_at),
      lastSyncAt: toIsoOrNull(row.last_sync_at),
    }
  }
}
