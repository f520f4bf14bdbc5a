/**
 * `organization` and `org_agent_keys`: teams, and which agents each may use.
 *
 * @module
 */
import type { Kysely, Selectable, Updateable } from 'kysely'
import { z } from 'zod'

import { CleoStoreError } from '../sqlite/errors.js'
import { fromJsonOrNull, toJson } from '../sqlite/json.js'
import { validate } from '../sqlite/validate.js'
import type { SignaldockContext } from './signaldock-context.js'
import { iso, requireAgentKey, transact } from './signaldock-context.js'
import { AgentSlug, CreateOrganizationInput as CreateOrganizationSchema, JsonObject, SignaldockId, UpdateOrganizationInput as UpdateOrganizationSchema } from './signaldock.schemas.js'
import type { SignaldockOrganizationTable, SignaldockDatabase } from './signaldock.tables.js'
import type { CreateOrganizationInput } from './signaldock.types.js'
import type { UpdateOrganizationInput } from './signaldock.types.js'

/** An organization. */
export interface Organization {
  readonly id: string
  readonly name: string
  readonly slug: string | null
  readonly logo: string | null
  readonly metadata: Record<string, unknown> | null
  readonly ownerId: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

/** An organization's grant to use an agent. */
export interface OrgAgentKey {
  readonly id: string
  readonly organizationId: string
  /** The agent's slug. */
  readonly agentId: string
  readonly createdBy: string
  readonly createdAt: string
}

type OrgFields = ReturnType<typeof UpdateOrganizationSchema.parse>

function orgColumns(input: OrgFields): Updateable<SignaldockOrganizationTable> {
  const columns: Updateable<SignaldockOrganizationTable> = {
    name: input.name,
    slug: input.slug,
    logo: input.logo,
    metadata: input.metadata === undefined ? undefined : input.metadata === null ? null : toJson(input.metadata),
    owner_id: input.ownerId,
  }
  for (const key of Object.keys(columns) as Array<keyof typeof columns>) {
    if (columns[key] === undefined) delete columns[key]
  }
  return columns
}

const GrantInput = z.strictObject({
  organizationId: SignaldockId,
  agentId: AgentSlug,
  createdBy: z.string().min(1).max(200),
})

/**
 * Organizations and their agent grants: `repo.organizations`.
 *
 * @example
 * ```ts
 * const org = await signaldock.organizations.create({ name: 'Acme', slug: 'acme' })
 * await signaldock.organizations.grantAgent({ organizationId: org.id, agentId: 'cleo-prime', createdBy: user.id })
 * await signaldock.organizations.listAgentKeys({ organizationId: org.id })
 * ```
 */
export class Organizations {
  readonly #ctx: SignaldockContext

  /** @internal Created by the repository. */
  constructor(ctx: SignaldockContext) {
    this.#ctx = ctx
  }

  /** Creates an organization; `CONFLICT` for a taken slug, `NOT_FOUND` for an unknown owner. */
  async create(input: CreateOrganizationInput): Promise<Organization> {
    const ctx = this.#ctx
    const parsed = validate(CreateOrganizationSchema, input, 'signaldock.organizations.create', ctx.errors)
    return transact(ctx, async (trx) => {
      await this.#check(trx, parsed, null)
      const now = ctx.clock()
      const row = await trx
        .insertInto('organization')
        .values({ ...orgColumns(parsed), id: ctx.newId(), name: parsed.name, created_at: now, updated_at: now })
        .returningAll()
        .executeTakeFirstOrThrow()
      return this.#map(row)
    })
  }

  /** The organization with this id, or null. */
  async get(id: string): Promise<Organization | null> {
    const key = validate(SignaldockId, id, 'signaldock.organizations.get', this.#ctx.errors)
    const row = await this.#ctx.kysely.selectFrom('organization').selectAll().where('id', '=', key).executeTakeFirst()
    return row ? this.#map(row) : null
  }

  /** The organization with this slug, or null. */
  async getBySlug(slug: string): Promise<Organization | null> {
    const key = validate(AgentSlug, slug, 'signaldock.organizations.getBySlug', this.#ctx.errors)
    const row = await this.#ctx.kysely.selectFrom('organization').selectAll().where('slug', '=', key).executeTakeFirst()
    return row ? this.#map(row) : null
  }

  /** Every organization, by name then id. */
  async list(): Promise<Organization[]> {
    const rows = await this.#ctx.kysely.selectFrom('organization').selectAll().orderBy('name').orderBy('id').execute()
    return rows.map((row) => this.#map(row))
  }

  /** Updates the given fields; `NOT_FOUND` for an unknown id or owner, `CONFLICT` for a taken slug. */
  async update(id: string, patch: UpdateOrganizationInput): Promise<Organization> {
    const ctx = this.#ctx
    const key = validate(SignaldockId, id, 'signaldock.organizations.update', ctx.errors)
    const parsed = validate(UpdateOrganizationSchema, patch, 'signaldock.organizations.update', ctx.errors)
    return transact(ctx, async (trx) => {
      await this.#check(trx, parsed, key)
      const row = await trx
        .updateTable('organization')
        .set({ ...orgColumns(parsed), updated_at: ctx.clock() })
        .where('id', '=', key)
        .returningAll()
        .executeTakeFirst()
      if (!row) throw this.#notFound(key)
      return this.#map(row)
    })
  }

  /**
   * Deletes an organization and its agent grants (cascade). Its agents stay, with
   * no organization; sessions that had it active lose it. False for an unknown id.
   */
  async remove(id: string): Promise<boolean> {
    const key = validate(SignaldockId, id, 'signaldock.organizations.remove', this.#ctx.errors)
    const result = await transact(this.#ctx, (trx) => trx.deleteFrom('organization').where('id', '=', key).executeTakeFirst())
    return Number(result.numDeletedRows) > 0
  }

  /** Grants the organization use of an agent (idempotent). `NOT_FOUND` for an unknown organization or agent. */
  async grantAgent(input: { organizationId: string; agentId: string; createdBy: string }): Promise<OrgAgentKey> {
    const ctx = this.#ctx
    const parsed = validate(GrantInput, input, 'signaldock.organizations.grantAgent', ctx.errors)
    return transact(ctx, async (trx) => {
      const org = await trx.selectFrom('organization').select('id').where('id', '=', parsed.organizationId).executeTakeFirst()
      if (!org) throw this.#notFound(parsed.organizationId)
      const agentKey = await requireAgentKey(ctx, trx, parsed.agentId)
      await trx
        .insertInto('org_agent_keys')
        .values({
          id: ctx.newId(),
          organization_id: parsed.organizationId,
          agent_id: agentKey,
          created_by: parsed.createdBy,
          created_at: ctx.clock(),
        })
        .onConflict((oc) => oc.columns(['organization_id', 'agent_id']).doNothing())
        .execute()
      const row = await trx
        .selectFrom('org_agent_keys')
        .selectAll()
        .where('organization_id', '=', parsed.organizationId)
        .where('agent_id', '=', agentKey)
        .executeTakeFirstOrThrow()
      return { id: row.id, organizationId: row.organization_id, agentId: parsed.agentId, createdBy: row.created_by, createdAt: iso(row.created_at) }
    })
  }

  /** Withdraws a grant; false when there was none. */
  async revokeAgent(organizationId: string, agentId: string): Promise<boolean> {
    const ctx = this.#ctx
    const slug = validate(AgentSlug, agentId, 'signaldock.organizations.revokeAgent', ctx.errors)
    const result = await transact(ctx, (trx) =>
      trx
        .deleteFrom('org_agent_keys')
        .where('organization_id', '=', organizationId)
        .where('agent_id', '=', (eb) => eb.selectFrom('agents').select('id').where('agent_id', '=', slug))
        .executeTakeFirst(),
    )
    return Number(result.numDeletedRows) > 0
  }

  /** Grants of one organization and/or one agent, by organization then agent slug. */
  async listAgentKeys(filter: { organizationId?: string; agentId?: string } = {}): Promise<OrgAgentKey[]> {
    let query = this.#ctx.kysely
      .selectFrom('org_agent_keys')
      .innerJoin('agents', 'agents.id', 'org_agent_keys.agent_id')
      .selectAll('org_agent_keys')
      .select('agents.agent_id as slug')
    if (filter.organizationId !== undefined) query = query.where('org_agent_keys.organization_id', '=', filter.organizationId)
    if (filter.agentId !== undefined) query = query.where('agents.agent_id', '=', filter.agentId)
    const rows = await query.orderBy('org_agent_keys.organization_id').orderBy('agents.agent_id').execute()
    return rows.map((row) => ({
      id: row.id,
      organizationId: row.organization_id,
      agentId: row.slug,
      createdBy: row.created_by,
      createdAt: iso(row.created_at),
    }))
  }

  async #check(trx: Kysely<SignaldockDatabase>, parsed: OrgFields, self: string | null): Promise<void> {
    const ctx = this.#ctx
    if (parsed.slug != null) {
      let query = trx.selectFrom('organization').select('id').where('slug', '=', parsed.slug)
      if (self !== null) query = query.where('id', '<>', self)
      if (await query.executeTakeFirst()) {
        throw new CleoStoreError('CONFLICT', `an organization with slug ${JSON.stringify(parsed.slug)} already exists`, {
          ...ctx.errors,
          details: { path: ['slug'] },
        })
      }
    }
    if (parsed.ownerId != null) {
      const owner = await trx.selectFrom('users').select('id').where('id', '=', parsed.ownerId).executeTakeFirst()
      if (!owner) {
        throw new CleoStoreError('NOT_FOUND', `owner ${JSON.stringify(parsed.ownerId)} is not a user`, {
          ...ctx.errors,
          details: { path: ['ownerId'] },
        })
      }
    }
  }

  #notFound(id: string): CleoStoreError {
    return new CleoStoreError('NOT_FOUND', `organization ${JSON.stringify(id)} does not exist`, { ...this.#ctx.errors, details: { id } })
  }

  #map(row: Selectable<SignaldockOrganizationTable>): Organization {
    return {
      id: row.id,
      name: row.name,
      slug: row.slug,
      logo: row.logo,
      metadata: fromJsonOrNull(row.metadata, 'organization.metadata', this.#ctx.errors, JsonObject),
      ownerId: row.owner_id,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
    }
  }
}
