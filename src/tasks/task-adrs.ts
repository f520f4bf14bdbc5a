/**
 * Architecture decision records, their task links and their relations:
 * `tasks.adrs`.
 *
 * @module
 */
import type { Selectable } from 'kysely'
import { sql } from 'kysely'

import { toIso, toIsoOrNull } from '../sqlite/clock.js'
import { fromJson } from '../sqlite/json.js'
import { template } from '../sqlite/query-template.js'
import type { Step } from '../sqlite/store-engine.js'
import { requireTaskRow } from './task-rows.js'
import { idSeed } from './task-sql.js'
import type { Actor, TasksContext, TasksExecutor } from './tasks-context.js'
import type { AdrGate, AdrGateStatus, AdrLinkType, AdrRelationType, AdrStatus } from './tasks.enums.js'
import type {
  AdrListFilter,
  CreateAdrInput,
  TaskMutationOptions,
  UpdateAdrInput,
} from './tasks.types.js'
import {
  AdrIdSchema,
  AdrLinkTypeSchema,
  AdrListFilterSchema,
  AdrRelationTypeSchema,
  CreateAdrSchema,
  TaskMutationOptionsSchema,
  TaskIdSchema,
  UpdateAdrSchema,
} from './tasks.schemas.js'
import type { AdrRelationsTable, AdrTaskLinksTable, ArchitectureDecisionsTable, TasksDatabase } from './tasks.tables.js'
import { z } from 'zod'

/**
 * An architecture decision record.
 *
 * @example
 * ```ts
 * const adr: ArchitectureDecision = await tasks.adrs.get('ADR-001')
 * adr.supersededById // 'ADR-004' once ADR-004 supersedes it
 * ```
 */
export interface ArchitectureDecision {
  readonly id: string
  readonly title: string
  readonly status: AdrStatus
  /** Follows `adr_relations` (supersedes), both ways. */
  readonly supersedesId: string | null
  readonly supersededById: string | null
  readonly amendsId: string | null
  readonly consensusManifestId: string | null
  readonly content: string
  readonly summary: string | null
  readonly keywords: readonly string[]
  readonly topics: readonly string[]
  readonly gate: AdrGate | null
  readonly gateStatus: AdrGateStatus | null
  readonly filePath: string | null
  /** `YYYY-MM-DD`. */
  readonly decidedOn: string | null
  readonly acceptedAt: string | null
  readonly createdAt: string
  readonly updatedAt: string
  readonly version: number
}

/**
 * A link between an ADR and a task.
 *
 * @example
 * ```ts
 * const link: AdrTaskLink = await tasks.adrs.linkTask('ADR-001', 'T3', 'implements')
 * ```
 */
export interface AdrTaskLink {
  readonly adrId: string
  readonly taskId: string
  readonly type: AdrLinkType
  readonly createdAt: string
}

/**
 * A relation between two ADRs (`from supersedes to`).
 *
 * @example
 * ```ts
 * const rel: AdrRelation = await tasks.adrs.relate('ADR-004', 'ADR-001', 'supersedes')
 * ```
 */
export interface AdrRelation {
  readonly fromAdrId: string
  readonly toAdrId: string
  readonly type: AdrRelationType
  readonly createdAt: string
}

type AdrRow = Selectable<ArchitectureDecisionsTable>

const GET = template<TasksDatabase, { id: string }>()((db, p) => db.selectFrom('architecture_decisions').selectAll().where('id', '=', p('id')))
const NEXT_NUMBER = template<TasksDatabase>()((db) =>
  db.selectFrom('architecture_decisions').select(sql<number>`coalesce(max(CAST(substr(id, 5) AS INTEGER)), 0) + 1`.as('n')),
)
const FIELDS = [
  'title',
  'status',
  'consensus_manifest_id',
  'content',
  'summary',
  'keywords_json',
  'topics_json',
  'gate',
  'gate_status',
  'file_path',
  'decided_on',
  'accepted_at',
  'updated_at',
] as const satisfies ReadonlyArray<keyof AdrRow>
const INSERT = template<TasksDatabase, AdrRow>()((db, p) =>
  db
    .insertInto('architecture_decisions')
    .values({
      ...(Object.fromEntries(FIELDS.map((c) => [c, p(c)])) as Pick<AdrRow, (typeof FIELDS)[number]>),
      id: p('id'),
      created_at: p('created_at'),
      version: p('version'),
    }),
)
const WRITE = template<TasksDatabase, AdrRow>()((db, p) =>
  db
    .updateTable('architecture_decisions')
    .set(Object.fromEntries(FIELDS.map((c) => [c, p(c)])) as Pick<AdrRow, (typeof FIELDS)[number]>)
    .set({ version: sql<number>`version + 1` })
    .where('id', '=', p('id'))
    .where('version', '=', p('version')),
)
const INSERT_LINK = template<TasksDatabase, AdrTaskLinksTable>()((db, p) =>
  db
    .insertInto('adr_task_links')
    .values({ adr_id: p('adr_id'), task_id: p('task_id'), link_type: p('link_type'), created_at: p('created_at') })
    .onConflict((oc) => oc.columns(['adr_id', 'task_id']).doUpdateSet({ link_type: (eb) => eb.ref('excluded.link_type') }))
    .returningAll(),
)
const DELETE_LINK = template<TasksDatabase, { adr_id: string; task_id: string }>()((db, p) =>
  db.deleteFrom('adr_task_links').where('adr_id', '=', p('adr_id')).where('task_id', '=', p('task_id')).returningAll(),
)
const LINKS_OF_ADR = template<TasksDatabase, { id: string }>()((db, p) =>
  db.selectFrom('adr_task_links').selectAll().where('adr_id', '=', p('id')).orderBy('created_at').orderBy('task_id'),
)
const INSERT_RELATION = template<TasksDatabase, AdrRelationsTable>()((db, p) =>
  db
    .insertInto('adr_relations')
    .values({ from_adr_id: p('from_adr_id'), to_adr_id: p('to_adr_id'), relation_type: p('relation_type'), created_at: p('created_at') })
    .onConflict((oc) => oc.doNothing())
    .returningAll(),
)
const GET_RELATION = template<TasksDatabase, { from: string; to: string; type: AdrRelationType }>()((db, p) =>
  db
    .selectFrom('adr_relations')
    .selectAll()
    .where('from_adr_id', '=', p('from'))
    .where('to_adr_id', '=', p('to'))
    .where('relation_type', '=', p('type')),
)
const DELETE_RELATION = template<TasksDatabase, { from: string; to: string; type: AdrRelationType }>()((db, p) =>
  db
    .deleteFrom('adr_relations')
    .where('from_adr_id', '=', p('from'))
    .where('to_adr_id', '=', p('to'))
    .where('relation_type', '=', p('type'))
    .returningAll(),
)
const RELATIONS_OF = template<TasksDatabase, { id: string }>()((db, p) =>
  db
    .selectFrom('adr_relations')
    .selectAll()
    .where((eb) => eb.or([eb('from_adr_id', '=', p('id')), eb('to_adr_id', '=', p('id'))]))
    .orderBy('created_at')
    .orderBy('from_adr_id')
    .orderBy('to_adr_id'),
)
/** Does `start` supersede `target`, directly or through a chain? */
const SUPERSEDES_CHAIN = template<TasksDatabase, { start: string; target: string }>()((db, p, dialect) =>
  db
    .withRecursive('chain(id)', (qb) =>
      qb
        .selectNoFrom(idSeed(p('start'), dialect).as('id'))
        .union((qb2) =>
          qb2
            .selectFrom('adr_relations as r')
            .innerJoin('chain', 'chain.id', 'r.from_adr_id')
            .select('r.to_adr_id as id')
            .where('r.relation_type', '=', 'supersedes'),
        ),
    )
    .selectFrom('chain')
    .select(sql<number>`1`.as('hit'))
    .where('chain.id', '=', p('target'))
    .limit(1),
)

const toLink = (row: AdrTaskLinksTable): AdrTaskLink => ({
  adrId: row.adr_id,
  taskId: row.task_id,
  type: row.link_type,
  createdAt: toIso(row.created_at),
})
const toRelation = (row: AdrRelationsTable): AdrRelation => ({
  fromAdrId: row.from_adr_id,
  toAdrId: row.to_adr_id,
  type: row.relation_type,
  createdAt: toIso(row.created_at),
})


/** Options of `tasks.adrs.update` (built once, not per call). */
const UpdateAdrOptionsSchema = TaskMutationOptionsSchema.extend({ expectedVersion: z.number().int().min(1).optional() })

/**
 * ADRs of tasks.db, as `tasks.adrs`.
 *
 * Relations (supersedes, amends, related) live in `adr_relations`; triggers keep
 * each ADR's `supersedesId` / `supersededById` / `amendsId` and the status
 * `superseded` in step with them, and mirror a `related` relation in the other
 * direction, so the two views never disagree. An ADR supersedes at most one and
 * is superseded by at most one (`CONFLICT` otherwise); a supersession chain that
 * would loop is refused with `CYCLE`.
 *
 * @example
 * ```ts
 * await tasks.adrs.create({ id: 'ADR-001', title: 'Use SQLite', status: 'accepted' })
 * await tasks.adrs.create({ title: 'Use SQLite in WAL mode', supersedes: 'ADR-001', tasks: ['T3'] }) // ADR-002
 * ;(await tasks.adrs.get('ADR-001')).status // 'superseded'
 * ```
 */
export class TaskAdrs {
  readonly #ctx: TasksContext

  /** @internal Created by the repository. */
  constructor(ctx: TasksContext) {
    this.#ctx = ctx
  }

  /**
   * Creates an ADR, with its relations and task links, in one transaction.
   * Without an id the next `ADR-NNN` is allocated. `CONFLICT` for an existing id.
   *
   * @example
   * ```ts
   * const adr = await tasks.adrs.create({ title: 'Queue in SQLite', content: '# Context…', tasks: ['T7'] })
   * ```
   */
  async create(input: CreateAdrInput, options: TaskMutationOptions = {}): Promise<ArchitectureDecision> {
    const ctx = this.#ctx
    const data = ctx.parse(CreateAdrSchema, input, 'tasks.adrs.create')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.adrs.create')
    const who = ctx.actor(options, 'tasks.adrs.create')
    const row = await ctx.engine.write((x) => this.#create(x, data, who))
    return this.#toAdr(row)
  }

  *#create(x: TasksExecutor, data: z.output<typeof CreateAdrSchema>, who: Actor): Step<AdrRow> {
    const ctx = this.#ctx
    const now = ctx.now()
    const id = data.id ?? `ADR-${String((yield* x.get(NEXT_NUMBER))!.n).padStart(3, '0')}`
    if ((yield* x.get(GET, { id })) !== undefined) throw ctx.error('CONFLICT', `ADR ${id} already exists`, { id })
    const status = data.status ?? 'proposed'
    yield* x.run(INSERT, {
      id,
      title: data.title,
      status,
      supersedes_id: null,
      superseded_by_id: null,
      amends_id: null,
      consensus_manifest_id: data.consensusManifestId ?? null,
      content: data.content ?? '',
      summary: data.summary ?? null,
      keywords_json: JSON.stringify(data.keywords ?? []),
      topics_json: JSON.stringify(data.topics ?? []),
      gate: data.gate ?? null,
      gate_status: data.gateStatus ?? null,
      file_path: data.filePath ?? null,
      decided_on: data.decidedOn ?? null,
      accepted_at: status === 'accepted' ? now : null,
      created_at: now,
      updated_at: now,
      version: 1,
    })
    if (data.supersedes !== undefined) yield* this.#relate(x, who, id, data.supersedes, 'supersedes', now)
    if (data.amends !== undefined) yield* this.#relate(x, who, id, data.amends, 'amends', now)
    for (const other of data.related ?? []) yield* this.#relate(x, who, id, other, 'related', now)
    for (const task of data.tasks ?? []) yield* this.#link(x, who, id, task, 'related', now)
    const created = (yield* x.get(GET, { id }))!
    yield* ctx.audit(x, who, { action: 'adr.create', entityType: 'adr', entityId: id, after: this.#toAdr(created) }, now)
    return created
  }

  /**
   * Changes an ADR's fields. Accepting stamps `acceptedAt`. `CONFLICT` on a stale
   * `expectedVersion`; `INVARIANT` when changing the status of a superseded ADR.
   *
   * @example
   * ```ts
   * await tasks.adrs.update('ADR-002', { status: 'accepted', gateStatus: 'passed' })
   * ```
   */
  async update(id: string, patch: UpdateAdrInput, options: TaskMutationOptions & { expectedVersion?: number } = {}): Promise<ArchitectureDecision> {
    const ctx = this.#ctx
    const adrId = ctx.parse(AdrIdSchema, id, 'tasks.adrs.update')
    const data = ctx.parse(UpdateAdrSchema, patch, 'tasks.adrs.update')
    const opts = ctx.parse(UpdateAdrOptionsSchema, options, 'tasks.adrs.update')
    const who = ctx.actor(options, 'tasks.adrs.update')
    const row = await ctx.engine.write((x) => this.#update(x, adrId, data, opts, who))
    return this.#toAdr(row)
  }

  *#update(x: TasksExecutor, adrId: string, data: z.output<typeof UpdateAdrSchema>, opts: z.output<typeof UpdateAdrOptionsSchema>, who: Actor): Step<AdrRow> {
    const ctx = this.#ctx
    const now = ctx.now()
    const current = yield* this.#require(x, adrId)
    if (opts.expectedVersion !== undefined && opts.expectedVersion !== current.version) {
      throw ctx.error('CONFLICT', `ADR ${adrId} is at version ${current.version}, not ${opts.expectedVersion}`, {
        expectedVersion: opts.expectedVersion,
        actualVersion: current.version,
      })
    }
    if (data.status !== undefined && current.status === 'superseded') {
      throw ctx.error('INVARIANT', `ADR ${adrId} is superseded by ${current.superseded_by_id}; remove that relation to change its status`, {
        id: adrId,
      })
    }
    const next: AdrRow = { ...current, updated_at: now }
    if (data.title !== undefined) next.title = data.title
    if (data.status !== undefined) next.status = data.status
    if (data.content !== undefined) next.content = data.content
    if (data.summary !== undefined) next.summary = data.summary
    if (data.keywords !== undefined) next.keywords_json = JSON.stringify(data.keywords)
    if (data.topics !== undefined) next.topics_json = JSON.stringify(data.topics)
    if (data.gate !== undefined) next.gate = data.gate
    if (data.gateStatus !== undefined) next.gate_status = data.gateStatus
    if (data.filePath !== undefined) next.file_path = data.filePath
    if (data.decidedOn !== undefined) next.decided_on = data.decidedOn
    if (data.consensusManifestId !== undefined) next.consensus_manifest_id = data.consensusManifestId
    if (next.status === 'accepted' && current.status !== 'accepted') next.accepted_at = now
    yield* x.run(WRITE, next)
    const written = (yield* x.get(GET, { id: adrId }))!
    yield* ctx.audit(x, who, { action: 'adr.update', entityType: 'adr', entityId: adrId, before: this.#toAdr(current), after: this.#toAdr(written) }, now)
    return written
  }

  /**
   * Reads an ADR; `NOT_FOUND` when there is none.
   *
   * @example
   * ```ts
   * const adr = await tasks.adrs.get('ADR-001')
   * ```
   */
  async get(id: string): Promise<ArchitectureDecision> {
    const ctx = this.#ctx
    const adrId = ctx.parse(AdrIdSchema, id, 'tasks.adrs.get')
    const row = await ctx.engine.read((x) => x.get(GET, { id: adrId }))
    if (row === undefined) throw ctx.notFound('ADR', adrId)
    return this.#toAdr(row)
  }

  /**
   * ADRs in id order, optionally of one status or linked to one task.
   *
   * @example
   * ```ts
   * const governing = await tasks.adrs.list({ taskId: 'T3' })
   * ```
   */
  async list(filter: AdrListFilter = {}): Promise<ArchitectureDecision[]> {
    const ctx = this.#ctx
    const f = ctx.parse(AdrListFilterSchema, filter, 'tasks.adrs.list')
    let q = ctx.engine.kysely.selectFrom('architecture_decisions as a').selectAll('a')
    if (f.status) q = q.where('a.status', '=', f.status)
    if (f.taskId) q = q.where('a.id', 'in', (eb) => eb.selectFrom('adr_task_links').select('adr_id').where('task_id', '=', f.taskId!))
    const rows = await ctx.engine.read((x) =>
      x.all(q.orderBy(sql`CAST(substr(a.id, 5) AS INTEGER)`).limit(f.limit ?? 100)),
    )
    return rows.map((row) => this.#toAdr(row))
  }

  /**
   * Links an ADR to a task (or changes the link's type). `NOT_FOUND` for either.
   *
   * @example
   * ```ts
   * await tasks.adrs.linkTask('ADR-002', 'T3', 'governed_by')
   * ```
   */
  async linkTask(adrId: string, taskId: string, type: AdrLinkType = 'related', options: TaskMutationOptions = {}): Promise<AdrTaskLink> {
    const ctx = this.#ctx
    const adr = ctx.parse(AdrIdSchema, adrId, 'tasks.adrs.linkTask')
    const task = ctx.parse(TaskIdSchema, taskId, 'tasks.adrs.linkTask')
    const linkType = ctx.parse(AdrLinkTypeSchema, type, 'tasks.adrs.linkTask')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.adrs.linkTask')
    const who = ctx.actor(options, 'tasks.adrs.linkTask')
    return ctx.engine.write((x) => this.#link(x, who, adr, task, linkType, ctx.now()))
  }

  /**
   * Removes a link; `NOT_FOUND` when there is none.
   *
   * @example
   * ```ts
   * await tasks.adrs.unlinkTask('ADR-002', 'T3')
   * ```
   */
  async unlinkTask(adrId: string, taskId: string, options: TaskMutationOptions = {}): Promise<void> {
    const ctx = this.#ctx
    const adr = ctx.parse(AdrIdSchema, adrId, 'tasks.adrs.unlinkTask')
    const task = ctx.parse(TaskIdSchema, taskId, 'tasks.adrs.unlinkTask')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.adrs.unlinkTask')
    const who = ctx.actor(options, 'tasks.adrs.unlinkTask')
    await ctx.engine.write(function* (x) {
      const removed = yield* x.get(DELETE_LINK, { adr_id: adr, task_id: task })
      if (removed === undefined) throw ctx.notFound('ADR task link', `${adr}->${task}`)
      yield* ctx.audit(x, who, { action: 'adr.unlinkTask', entityType: 'adr', entityId: adr, taskId: task, before: toLink(removed) })
    })
  }

  /**
   * The tasks an ADR is linked to.
   *
   * @example
   * ```ts
   * const links = await tasks.adrs.taskLinks('ADR-002')
   * ```
   */
  async taskLinks(adrId: string): Promise<AdrTaskLink[]> {
    const ctx = this.#ctx
    const adr = ctx.parse(AdrIdSchema, adrId, 'tasks.adrs.taskLinks')
    const rows = await ctx.engine.read((x) => x.all(LINKS_OF_ADR, { id: adr }))
    return rows.map(toLink)
  }

  /**
   * Relates two ADRs. `supersedes` marks `to` superseded (and sets both pointers);
   * `amends` sets `from.amendsId`; `related` is mirrored both ways. An existing
   * relation is returned unchanged.
   *
   * @example
   * ```ts
   * await tasks.adrs.relate('ADR-005', 'ADR-002', 'amends')
   * ```
   */
  async relate(fromAdrId: string, toAdrId: string, type: AdrRelationType, options: TaskMutationOptions = {}): Promise<AdrRelation> {
    const ctx = this.#ctx
    const from = ctx.parse(AdrIdSchema, fromAdrId, 'tasks.adrs.relate')
    const to = ctx.parse(AdrIdSchema, toAdrId, 'tasks.adrs.relate')
    const relationType = ctx.parse(AdrRelationTypeSchema, type, 'tasks.adrs.relate')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.adrs.relate')
    const who = ctx.actor(options, 'tasks.adrs.relate')
    return ctx.engine.write((x) => this.#relate(x, who, from, to, relationType, ctx.now()))
  }

  /**
   * Removes a relation (and, through the triggers, its pointers, the `superseded`
   * status — back to `accepted` — and a `related` mirror). `NOT_FOUND` when there
   * is none.
   *
   * @example
   * ```ts
   * await tasks.adrs.unrelate('ADR-004', 'ADR-001', 'supersedes')
   * ```
   */
  async unrelate(fromAdrId: string, toAdrId: string, type: AdrRelationType, options: TaskMutationOptions = {}): Promise<void> {
    const ctx = this.#ctx
    const from = ctx.parse(AdrIdSchema, fromAdrId, 'tasks.adrs.unrelate')
    const to = ctx.parse(AdrIdSchema, toAdrId, 'tasks.adrs.unrelate')
    const relationType = ctx.parse(AdrRelationTypeSchema, type, 'tasks.adrs.unrelate')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.adrs.unrelate')
    const who = ctx.actor(options, 'tasks.adrs.unrelate')
    await ctx.engine.write(function* (x) {
      const removed = yield* x.get(DELETE_RELATION, { from, to, type: relationType })
      if (removed === undefined) throw ctx.notFound('ADR relation', `${from}-${relationType}->${to}`)
      yield* ctx.audit(x, who, { action: 'adr.unrelate', entityType: 'adr', entityId: from, before: toRelation(removed) })
    })
  }

  /**
   * Every relation an ADR takes part in, either side.
   *
   * @example
   * ```ts
   * const rels = await tasks.adrs.relations('ADR-001')
   * ```
   */
  async relations(adrId: string): Promise<AdrRelation[]> {
    const ctx = this.#ctx
    const adr = ctx.parse(AdrIdSchema, adrId, 'tasks.adrs.relations')
    const rows = await ctx.engine.read((x) => x.all(RELATIONS_OF, { id: adr }))
    return rows.map(toRelation)
  }

  // ── inside a write transaction ───────────────────────────────────────────────

  *#link(x: TasksExecutor, who: Actor, adrId: string, taskId: string, type: AdrLinkType, now: number): Step<AdrTaskLink> {
    const ctx = this.#ctx
    yield* this.#require(x, adrId)
    yield* requireTaskRow(x, ctx, taskId)
    const row = (yield* x.get(INSERT_LINK, { adr_id: adrId, task_id: taskId, link_type: type, created_at: now }))!
    const link = toLink(row)
    yield* ctx.audit(x, who, { action: 'adr.linkTask', entityType: 'adr', entityId: adrId, taskId, after: link }, now)
    return link
  }

  *#relate(x: TasksExecutor, who: Actor, from: string, to: string, type: AdrRelationType, now: number): Step<AdrRelation> {
    const ctx = this.#ctx
    if (from === to) throw ctx.error('VALIDATION', `an ADR cannot relate to itself (${from})`, { path: ['toAdrId'] })
    const source = yield* this.#require(x, from)
    const target = yield* this.#require(x, to)
    const existing = yield* x.get(GET_RELATION, { from, to, type })
    if (existing !== undefined) return toRelation(existing)
    if (type === 'supersedes') {
      if (target.superseded_by_id !== null) {
        throw ctx.error('CONFLICT', `${to} is already superseded by ${target.superseded_by_id}`, { id: to, supersededBy: target.superseded_by_id })
      }
      if (source.supersedes_id !== null) {
        throw ctx.error('CONFLICT', `${from} already supersedes ${source.supersedes_id}`, { id: from, supersedes: source.supersedes_id })
      }
      if ((yield* x.get(SUPERSEDES_CHAIN, { start: to, target: from })) !== undefined) {
        throw ctx.error('CYCLE', `${from} superseding ${to} would close a supersession loop (${to} already leads to ${from})`, {
          path: [from, to, from],
        })
      }
    }
    if (type === 'amends' && source.amends_id !== null) {
      throw ctx.error('CONFLICT', `${from} already amends ${source.amends_id}`, { id: from, amends: source.amends_id })
    }
    const row = (yield* x.get(INSERT_RELATION, { from_adr_id: from, to_adr_id: to, relation_type: type, created_at: now }))!
    const relation = toRelation(row)
    yield* ctx.audit(x, who, { action: 'adr.relate', entityType: 'adr', entityId: from, after: relation }, now)
    return relation
  }

  *#require(x: TasksExecutor, id: string): Step<AdrRow> {
    const row = yield* x.get(GET, { id })
    if (row === undefined) throw this.#ctx.notFound('ADR', id)
    return row
  }

  #toAdr(row: AdrRow): ArchitectureDecision {
    const where = this.#ctx.errorContext
    return {
      id: row.id,
      title: row.title,
      status: row.status,
      supersedesId: row.supersedes_id,
      supersededById: row.superseded_by_id,
      amendsId: row.amends_id,
      consensusManifestId: row.consensus_manifest_id,
      content: row.content,
      summary: row.summary,
      keywords: fromJson<string[]>(row.keywords_json, 'architecture_decisions.keywords_json', where),
      topics: fromJson<string[]>(row.topics_json, 'architecture_decisions.topics_json', where),
      gate: row.gate,
      gateStatus: row.gate_status,
      filePath: row.file_path,
      decidedOn: row.decided_on,
      acceptedAt: toIsoOrNull(row.accepted_at),
      createdAt: toIso(row.created_at),
      updatedAt: toIso(row.updated_at),
      version: row.version,
    }
  }
}
