/**
 * `project_agent_refs` (ADR-037): which global signaldock agents this project uses.
 * The join with the global agents is signaldock's pure `visibleAgents()`; conduit
 * only keeps the refs.
 *
 * @module
 */
import type { Selectable } from 'kysely'

import { existsSync } from 'node:fs'

import { toIso, toIsoOrNull } from '../sqlite/clock.js'
import type { ErrorContext } from '../sqlite/errors.js'
import { toCleoStoreError } from '../sqlite/errors.js'
import type { DatabaseSync } from '../sqlite/node-sqlite.js'
import { loadNodeSqlite } from '../sqlite/node-sqlite.js'
import { fromJsonOrNull, toJson } from '../sqlite/json.js'
import { template } from '../sqlite/query-template.js'
import { guardReferences } from '../sqlite/reference-guard.js'
import type { Step } from '../sqlite/store-engine.js'
import { validate } from '../sqlite/validate.js'
import { z } from 'zod'
import type { ConduitContext, ConduitExecutor } from './conduit-context.js'
import { notFound } from './conduit-context.js'
import type {
  AttachAgentRefInput,
} from './conduit.types.js'
import { AttachAgentRefSchema, ConduitAgentIdSchema } from './conduit.schemas.js'
import type { ConduitDatabase, ProjectAgentRefsTable } from './conduit.tables.js'

/** A project's reference to a global agent. */
export interface ProjectAgentRef {
  /** The signaldock agent id (business id, e.g. `cleo-prime`). */
  readonly agentId: string
  /** False once detached: the agent is then invisible to project-scoped queries. */
  readonly enabled: boolean
  readonly role: string | null
  /** Capability slugs that replace the global ones in this project (never merged). */
  readonly capabilitiesOverride: string[] | null
  /** First attach; kept when a detached ref is re-enabled. */
  readonly attachedAt: string
  /** Last detach (kept after a re-enable, as history). */
  readonly detachedAt: string | null
  /** Last time the agent sent a message here (or `touch` was called). */
  readonly lastUsedAt: string | null
  readonly updatedAt: string
}

type RefRow = Selectable<ProjectAgentRefsTable>

const CapabilitiesSchema = z.array(z.string())

const GET_REF = template<ConduitDatabase, { agentId: string }>()((db, p) =>
  db.selectFrom('project_agent_refs').selectAll().where('agent_id', '=', p('agentId')),
)

const INSERT_REF = template<
  ConduitDatabase,
  { agentId: string; role: string | null; capabilities: string | null; now: number }
>()((db, p) =>
  db
    .insertInto('project_agent_refs')
    .values({
      agent_id: p('agentId'),
      enabled: 1,
      role: p('role'),
      capabilities_override: p('capabilities'),
      attached_at: p('now'),
      updated_at: p('now'),
    })
    .returningAll(),
)

const UPDATE_REF = template<
  ConduitDatabase,
  { agentId: string; role: string | null; capabilities: string | null; now: number }
>()((db, p) =>
  db
    .updateTable('project_agent_refs')
    .set({ enabled: 1, role: p('role'), capabilities_override: p('capabilities'), updated_at: p('now') })
    .where('agent_id', '=', p('agentId'))
    .returningAll(),
)

const DETACH_REF = template<ConduitDatabase, { agentId: string; now: number }>()((db, p) =>
  db
    .updateTable('project_agent_refs')
    .set({ enabled: 0, detached_at: p('now'), updated_at: p('now') })
    .where('agent_id', '=', p('agentId'))
    .where('enabled', '=', 1)
    .returningAll(),
)

const DELETE_REF = template<ConduitDatabase, { agentId: string }>()((db, p) =>
  db.deleteFrom('project_agent_refs').where('agent_id', '=', p('agentId')),
)

/** @internal Marks an enabled agent as used; no row means "not attached". */
export const TOUCH_ENABLED_REF = template<ConduitDatabase, { agentId: string; now: number }>()((db, p) =>
  db
    .updateTable('project_agent_refs')
    .set({ last_used_at: p('now') })
    .where('agent_id', '=', p('agentId'))
    .where('enabled', '=', 1)
    .returning('agent_id'),
)

/** @internal True when the agent has an enabled ref. */
export const ENABLED_REF = template<ConduitDatabase, { agentId: string }>()((db, p) =>
  db.selectFrom('project_agent_refs').select('agent_id').where('agent_id', '=', p('agentId')).where('enabled', '=', 1),
)

/**
 * @internal Inside a transaction: `NOT_FOUND` unless the agent has an enabled ref
 * (`details.reason` is `detached` or `not_attached`).
 */
export function* requireAttachedAgent(x: ConduitExecutor, ctx: ConduitContext, agentId: string): Step<void> {
  if ((yield* x.get(ENABLED_REF, { agentId })) !== undefined) return
  const detached = (yield* x.get(GET_REF, { agentId })) !== undefined
  throw notFound(ctx, detached ? 'attached agent (it is detached)' : 'attached agent', agentId, {
    reason: detached ? 'detached' : 'not_attached',
  })
}

/**
 * @internal Inside a transaction: like {@link requireAttachedAgent}, and records the
 * use (`last_used_at`) in the same statement.
 */
export function* touchAttachedAgent(x: ConduitExecutor, ctx: ConduitContext, agentId: string, now: number): Step<void> {
  if ((yield* x.get(TOUCH_ENABLED_REF, { agentId, now })) === undefined) yield* requireAttachedAgent(x, ctx, agentId)
}

const LIST_ENABLED = template<ConduitDatabase>()((db) =>
  db.selectFrom('project_agent_refs').selectAll().where('enabled', '=', 1).orderBy('agent_id'),
)

const LIST_ALL = template<ConduitDatabase>()((db) => db.selectFrom('project_agent_refs').selectAll().orderBy('agent_id'))

/**
 * The project's agent references (ADR-037). Reach it as `conduit.agentRefs`.
 * Agents must be attached (an enabled ref) to send, receive or contribute in this
 * project; unknown or detached agents are `NOT_FOUND` there.
 *
 * @example
 * ```ts
 * await conduit.agentRefs.attach('cleo-prime', { role: 'orchestrator' })
 * await conduit.agentRefs.detach('cleo-prime')   // soft: enabled = false, history kept
 * await conduit.agentRefs.attach('cleo-prime')   // re-enabled; attachedAt unchanged
 * await conduit.agentRefs.remove('cleo-prime')   // the row is deleted
 * ```
 */
export class ProjectAgentRefs {
  readonly #ctx: ConduitContext

  /** @internal Use `conduit.agentRefs`. */
  constructor(ctx: ConduitContext) {
    this.#ctx = ctx
  }

  /**
   * Attaches an agent to the project, or re-enables a detached ref (keeping its
   * `attachedAt`, `lastUsedAt` and `detachedAt` history). `role` and
   * `capabilitiesOverride` are replaced when given (`null` clears), kept when omitted.
   * Attaching an enabled ref again only applies those fields. Whether the agent
   * exists globally is the workspace's check (signaldock): through a workspace an
   * unknown agent is `NOT_FOUND`; a repository opened on its own cannot check it.
   *
   * @example
   * ```ts
   * const ref = await conduit.agentRefs.attach('cleo-prime', { role: 'lead', capabilitiesOverride: ['code'] })
   * ```
   */
  async attach(agentId: string, options: AttachAgentRefInput = {}): Promise<ProjectAgentRef> {
    const id = validate(ConduitAgentIdSchema, agentId, 'conduit.agentRefs.attach', this.#ctx.errorContext, { at: ['agentId'] })
    const opts = validate(AttachAgentRefSchema, options, 'conduit.agentRefs.attach', this.#ctx.errorContext)
    await guardReferences(this.#ctx.guard, 'conduit.agentRefs.attach', [{ kind: 'agent', id, path: ['agentId'] }])
    const { clock } = this.#ctx
    const row = await this.#ctx.engine.write(function* (x) {
      const now = clock()
      const existing = yield* x.get(GET_REF, { agentId: id })
      const role = opts.role === undefined ? (existing?.role ?? null) : opts.role
      const capabilities =
        opts.capabilitiesOverride === undefined
          ? (existing?.capabilities_override ?? null)
          : opts.capabilitiesOverride === null
            ? null
            : toJson(opts.capabilitiesOverride)
      return existing === undefined
        ? (yield* x.get(INSERT_REF, { agentId: id, role, capabilities, now }))!
        : (yield* x.get(UPDATE_REF, { agentId: id, role, capabilities, now }))!
    })
    return this.#toRef(row)
  }

  /**
   * Detaches (soft): `enabled` becomes false and `detachedAt` is set; the row and its
   * history stay. Detaching a detached ref changes nothing. `NOT_FOUND` if the agent
   * was never attached.
   *
   * @example
   * ```ts
   * await conduit.agentRefs.detach('cleo-prime')
   * ```
   */
  async detach(agentId: string): Promise<ProjectAgentRef> {
    const id = validate(ConduitAgentIdSchema, agentId, 'conduit.agentRefs.detach', this.#ctx.errorContext, { at: ['agentId'] })
    const ctx = this.#ctx
    const row = await ctx.engine.write(function* (x) {
      const detached = yield* x.get(DETACH_REF, { agentId: id, now: ctx.clock() })
      if (detached !== undefined) return detached
      const existing = yield* x.get(GET_REF, { agentId: id })
      if (existing === undefined) throw notFound(ctx, 'project agent ref', id)
      return existing
    })
    return this.#toRef(row)
  }

  /**
   * Removes the ref row (the global identity is untouched). Messages the agent sent
   * keep its id. `NOT_FOUND` if there is no ref.
   *
   * @example
   * ```ts
   * await conduit.agentRefs.remove('cleo-prime')
   * ```
   */
  async remove(agentId: string): Promise<void> {
    const id = validate(ConduitAgentIdSchema, agentId, 'conduit.agentRefs.remove', this.#ctx.errorContext, { at: ['agentId'] })
    const ctx = this.#ctx
    await ctx.engine.write(function* (x) {
      if ((yield* x.run(DELETE_REF, { agentId: id })).changes === 0) throw notFound(ctx, 'project agent ref', id)
    })
  }

  /**
   * One ref (enabled or not), or `undefined`.
   *
   * @example
   * ```ts
   * const ref = await conduit.agentRefs.get('cleo-prime')
   * ```
   */
  async get(agentId: string): Promise<ProjectAgentRef | undefined> {
    const id = validate(ConduitAgentIdSchema, agentId, 'conduit.agentRefs.get', this.#ctx.errorContext, { at: ['agentId'] })
    const row = await this.#ctx.engine.read((x) => x.get(GET_REF, { agentId: id }))
    return row === undefined ? undefined : this.#toRef(row)
  }

  /**
   * The refs, sorted by agent id: enabled ones, or all with `includeDisabled`.
   *
   * @example
   * ```ts
   * const attached = await conduit.agentRefs.list()
   * const everything = await conduit.agentRefs.list({ includeDisabled: true })
   * ```
   */
  async list(options: { includeDisabled?: boolean } = {}): Promise<ProjectAgentRef[]> {
    const { includeDisabled } = validate(
      z.strictObject({ includeDisabled: z.boolean().default(false) }),
      options,
      'conduit.agentRefs.list',
      this.#ctx.errorContext,
    )
    const rows = await this.#ctx.engine.read((x) => x.all(includeDisabled ? LIST_ALL : LIST_ENABLED))
    return rows.map((row) => this.#toRef(row))
  }

  /**
   * Records that an enabled agent was used now (`lastUsedAt`). `send` does this for
   * the sender. `NOT_FOUND` if the agent is not attached.
   *
   * @example
   * ```ts
   * await conduit.agentRefs.touch('cleo-prime')
   * ```
   */
  async touch(agentId: string): Promise<void> {
    const id = validate(ConduitAgentIdSchema, agentId, 'conduit.agentRefs.touch', this.#ctx.errorContext, { at: ['agentId'] })
    const ctx = this.#ctx
    await ctx.engine.write((x) => touchAttachedAgent(x, ctx, id, ctx.clock()))
  }

  #toRef(row: RefRow): ProjectAgentRef {
    return refFromRow(row, this.#ctx.errorContext)
  }
}

function refFromRow(row: RefRow, context: ErrorContext): ProjectAgentRef {
  return {
    agentId: row.agent_id,
    enabled: row.enabled === 1,
    role: row.role,
    capabilitiesOverride: fromJsonOrNull(row.capabilities_override, 'project_agent_refs.capabilities_override', context, CapabilitiesSchema),
    attachedAt: toIso(row.attached_at),
    detachedAt: toIsoOrNull(row.detached_at),
    lastUsedAt: toIsoOrNull(row.last_used_at),
    updatedAt: toIso(row.updated_at),
  }
}

/**
 * Reads every `project_agent_refs` row of another project's conduit.db on a
 * read-only connection: nothing is created, migrated or checkpointed. Returns null
 * when the file does not exist, and `[]` when the file predates the table. Used by
 * `ws.agents.remove(id, { global: true })` to scan the projects nexus knows.
 *
 * @example
 * ```ts
 * const refs = await readProjectAgentRefs('/repo/.cleo/conduit.db') // ProjectAgentRef[] | null
 * ```
 */
export async function readProjectAgentRefs(file: string): Promise<ProjectAgentRef[] | null> {
  const context = { store: 'conduit', file }
  if (!existsSync(file)) return null
  let connection: DatabaseSync
  try {
    connection = new (loadNodeSqlite().DatabaseSync)(file, { readOnly: true, timeout: 1000 })
  } catch (error) {
    throw toCleoStoreError(error, context)
  }
  try {
    const hasTable = connection.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'project_agent_refs'").get()
    if (hasTable === undefined) return []
    const rows = connection.prepare('SELECT * FROM project_agent_refs ORDER BY agent_id').all() as unknown as RefRow[]
    return rows.map((row) => refFromRow(row, context))
  } catch (error) {
    throw toCleoStoreError(error, context)
  } finally {
    connection.close()
  }
}
