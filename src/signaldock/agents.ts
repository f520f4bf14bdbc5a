/**
 * `agents`: the global identity of every agent — register (idempotent by slug),
 * update, get, list with filters, activate/deactivate, remove — with capability
 * and skill bindings.
 *
 * @module
 */
import type { Kysely, Selectable, Updateable } from 'kysely'

import { CleoStoreError } from '../sqlite/errors.js'
import { fromJson, fromJsonOrNull, toJson } from '../sqlite/json.js'
import { validate } from '../sqlite/validate.js'
import { resolveCatalogSlugs } from './agent-catalog.js'
import type { SignaldockContext } from './signaldock-context.js'
import { agentNotFound, iso, isoOrNull, transact } from './signaldock-context.js'
import type {
  AgentClass,
  AgentInstallSource,
  AgentPresence,
  AgentPrivacyTier,
  AgentTier,
  AgentTransportType,
} from './signaldock.types.js'
import { AgentSlug, JsonObject, ListAgentsFilter as ListAgentsFilterSchema, RegisterAgentInput as RegisterAgentSchema, Sha256Hex, UpdateAgentInput as UpdateAgentSchema } from './signaldock.schemas.js'
import type { SignaldockAgentsTable, SignaldockDatabase } from './signaldock.tables.js'
import type { ListAgentsFilter } from './signaldock.types.js'
import type { RegisterAgentInput } from './signaldock.types.js'
import type { UpdateAgentInput } from './signaldock.types.js'

/** A registered agent, as returned by the repository. Timestamps are ISO-8601 UTC. */
export interface SignaldockAgent {
  /** Internal id (UUIDv7). */
  readonly id: string
  /** Business slug, unique (`cleo-prime`). */
  readonly agentId: string
  readonly name: string
  readonly description: string | null
  readonly class: AgentClass
  readonly privacyTier: AgentPrivacyTier
  readonly ownerId: string | null
  readonly organizationId: string | null
  readonly endpoint: string | null
  /** The sealed webhook secret, if any. */
  readonly webhookSecretEncrypted: string | null
  readonly avatar: string | null
  /** Presence reported by the transport. */
  readonly status: AgentPresence
  readonly lastSeen: string | null
  readonly paymentConfig: Record<string, unknown> | null
  /** The sealed API key, if any (open it with `CredentialCipher`). */
  readonly apiKeyEncrypted: string | null
  /** Hex SHA-256 of the API key, if any. */
  readonly apiKeyHash: string | null
  readonly apiBaseUrl: string
  readonly classification: string | null
  readonly transportType: AgentTransportType
  readonly transportConfig: Record<string, unknown>
  readonly isActive: boolean
  readonly lastUsedAt: string | null
  /** Set when the stored credential cannot be used any more (re-register the key). */
  readonly requiresReauth: boolean
  readonly tier: AgentTier
  readonly canSpawn: boolean
  /** 0 = orchestrator, 1 = lead, 2 = worker. */
  readonly orchLevel: number
  readonly reportsTo: string | null
  readonly cantPath: string | null
  readonly cantSha256: string | null
  readonly installedFrom: AgentInstallSource | null
  readonly installedAt: string | null
  /** Capability slugs, sorted. */
  readonly capabilities: readonly string[]
  /** Skill slugs, sorted. */
  readonly skills: readonly string[]
  readonly createdAt: string
  readonly updatedAt: string
}

/** Result of `agents.register`. */
export interface RegisterAgentResult {
  readonly agent: SignaldockAgent
  /** True when the slug was new; false when an existing agent was updated. */
  readonly created: boolean
}

type AgentRow = Selectable<SignaldockAgentsTable>
type Parsed = ReturnType<typeof UpdateAgentSchema.parse>

const bool = (value: boolean | undefined) => (value === undefined ? undefined : value ? 1 : 0)

/** Maps validated fields to columns; `undefined` means "leave as is". */
function toColumns(input: Parsed): Updateable<SignaldockAgentsTable> {
  const columns: Updateable<SignaldockAgentsTable> = {
    name: input.name,
    description: input.description,
    class: input.class,
    privacy_tier: input.privacyTier,
    owner_id: input.ownerId,
    organization_id: input.organizationId,
    endpoint: input.endpoint,
    webhook_secret: input.webhookSecretEncrypted,
    avatar: input.avatar,
    status: input.status,
    last_seen: input.lastSeen,
    payment_config: input.paymentConfig === undefined ? undefined : input.paymentConfig === null ? null : toJson(input.paymentConfig),
    api_key_encrypted: input.apiKeyEncrypted,
    api_key_hash: input.apiKeyHash,
    api_base_url: input.apiBaseUrl,
    classification: input.classification,
    transport_type: input.transportType,
    transport_config: input.transportConfig === undefined ? undefined : toJson(input.transportConfig),
    is_active: bool(input.isActive),
    requires_reauth: bool(input.requiresReauth),
    tier: input.tier,
    can_spawn: bool(input.canSpawn),
    orch_level: input.orchLevel,
    reports_to: input.reportsTo,
    cant_path: input.cantPath,
    cant_sha256: input.cantSha256,
    installed_from: input.installedFrom,
    installed_at: input.installedAt,
  }
  for (const key of Object.keys(columns) as Array<keyof typeof columns>) {
    if (columns[key] === undefined) delete columns[key]
  }
  return columns
}

/** Chunks a list so `IN (…)` stays far below every database's parameter limit. */
function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * The agent registry: `repo.agents`.
 *
 * @example
 * ```ts
 * const { agent, created } = await signaldock.agents.register({
 *   agentId: 'cleo-prime',
 *   name: 'Cleo Prime',
 *   class: 'orchestrator',
 *   capabilities: ['chat', 'tools'],
 * })
 * await signaldock.agents.list({ active: true, capability: 'tools' })
 * ```
 */
export class SignaldockAgents {
  readonly #ctx: SignaldockContext

  /** @internal Created by the repository. */
  constructor(ctx: SignaldockContext) {
    this.#ctx = ctx
  }

  /**
   * Registers an agent, idempotent by slug: a new slug inserts a row; an existing
   * one is updated with the fields given (the others keep their values) and
   * `created` is false. Concurrent registrations of one slug from several
   * processes converge on one row (`ON CONFLICT DO NOTHING`, then update).
   * `capabilities`/`skills`, when given, replace the agent's bindings.
   * An `ownerId` or `organizationId` that does not exist is `NOT_FOUND`.
   */
  async register(input: RegisterAgentInput): Promise<RegisterAgentResult> {
    const ctx = this.#ctx
    const parsed = validate(RegisterAgentSchema, input, 'signaldock.agents.register', ctx.errors)
    this.#checkReportsTo(parsed.agentId, parsed, 'register')
    return transact(ctx, async (trx) => {
      await this.#checkReferences(trx, parsed)
      const now = ctx.clock()
      const columns = toColumns(parsed)
      const inserted = await trx
        .insertInto('agents')
        .values({ ...columns, id: ctx.newId(), agent_id: parsed.agentId, name: parsed.name, created_at: now, updated_at: now })
        .onConflict((oc) => oc.column('agent_id').doNothing())
        .returning('id')
        .executeTakeFirst()
      let key: string
      if (inserted) {
        key = inserted.id
      } else {
        const updated = await trx
          .updateTable('agents')
          .set({ ...columns, updated_at: now })
          .where('agent_id', '=', parsed.agentId)
          .returning('id')
          .executeTakeFirstOrThrow()
        key = updated.id
      }
      await this.#bind(trx, key, parsed)
      const agent = await this.#load(trx, key)
      return { agent, created: inserted !== undefined }
    })
  }

  /** Updates the given fields of an agent; `NOT_FOUND` if it is not registered. */
  async update(agentId: string, patch: UpdateAgentInput): Promise<SignaldockAgent> {
    const ctx = this.#ctx
    const slug = validate(AgentSlug, agentId, 'signaldock.agents.update', ctx.errors)
    const parsed = validate(UpdateAgentSchema, patch, 'signaldock.agents.update', ctx.errors)
    this.#checkReportsTo(slug, parsed, 'update')
    return transact(ctx, async (trx) => {
      await this.#checkReferences(trx, parsed)
      const row = await trx
        .updateTable('agents')
        .set({ ...toColumns(parsed), updated_at: ctx.clock() })
        .where('agent_id', '=', slug)
        .returning('id')
        .executeTakeFirst()
      if (!row) throw agentNotFound(ctx, slug)
      await this.#bind(trx, row.id, parsed)
      return this.#load(trx, row.id)
    })
  }

  /** The agent with this slug, or null. */
  async get(agentId: string): Promise<SignaldockAgent | null> {
    const slug = validate(AgentSlug, agentId, 'signaldock.agents.get', this.#ctx.errors)
    return transact(
      this.#ctx,
      async (trx) => {
        const row = await trx.selectFrom('agents').selectAll().where('agent_id', '=', slug).executeTakeFirst()
        return row ? (await this.#hydrate(trx, [row]))[0]! : null
      },
      { readOnly: true },
    )
  }

  /** The agent whose API key has this hex SHA-256 (see `apiKeyHash`), or null. */
  async getByApiKeyHash(hash: string): Promise<SignaldockAgent | null> {
    const parsed = validate(Sha256Hex, hash, 'signaldock.agents.getByApiKeyHash', this.#ctx.errors, { secret: true })
    return transact(
      this.#ctx,
      async (trx) => {
        const row = await trx.selectFrom('agents').selectAll().where('api_key_hash', '=', parsed).orderBy('agent_id').executeTakeFirst()
        return row ? (await this.#hydrate(trx, [row]))[0]! : null
      },
      { readOnly: true },
    )
  }

  /**
   * Agents matching every given filter, ordered by slug. Page with `limit` and
   * `after` (the last slug of the previous page).
   */
  async list(filter: ListAgentsFilter = {}): Promise<SignaldockAgent[]> {
    const f = validate(ListAgentsFilterSchema, filter, 'signaldock.agents.list', this.#ctx.errors)
    if (f.agentIds !== undefined && f.agentIds.length === 0) return []
    return transact(
      this.#ctx,
      async (trx) => {
        let query = trx.selectFrom('agents').selectAll('agents')
        if (f.active !== undefined) query = query.where('agents.is_active', '=', f.active ? 1 : 0)
        if (f.class !== undefined) query = query.where('agents.class', '=', f.class)
        if (f.tier !== undefined) query = query.where('agents.tier', '=', f.tier)
        if (f.privacyTier !== undefined) query = query.where('agents.privacy_tier', '=', f.privacyTier)
        if (f.transportType !== undefined) query = query.where('agents.transport_type', '=', f.transportType)
        if (f.organizationId !== undefined) query = query.where('agents.organization_id', '=', f.organizationId)
        if (f.ownerId !== undefined) query = query.where('agents.owner_id', '=', f.ownerId)
        if (f.after !== undefined) query = query.where('agents.agent_id', '>', f.after)
        if (f.capability !== undefined) {
          const slug = f.capability
          query = query.where(({ exists, selectFrom }) =>
            exists(
              selectFrom('agent_capabilities')
                .innerJoin('capabilities', 'capabilities.id', 'agent_capabilities.capability_id')
                .select('agent_capabilities.agent_id')
                .whereRef('agent_capabilities.agent_id', '=', 'agents.id')
                .where('capabilities.slug', '=', slug),
            ),
          )
        }
        if (f.skill !== undefined) {
          const slug = f.skill
          query = query.where(({ exists, selectFrom }) =>
            exists(
              selectFrom('agent_skills')
                .innerJoin('skills', 'skills.id', 'agent_skills.skill_id')
                .select('agent_skills.agent_id')
                .whereRef('agent_skills.agent_id', '=', 'agents.id')
                .where('skills.slug', '=', slug),
            ),
          )
        }
        let rows: AgentRow[]
        if (f.agentIds !== undefined) {
          rows = []
          for (const part of chunks([...new Set(f.agentIds)])) {
            rows.push(...(await query.where('agents.agent_id', 'in', part).execute()))
          }
          rows.sort((a, b) => (a.agent_id < b.agent_id ? -1 : a.agent_id > b.agent_id ? 1 : 0))
          if (f.limit !== undefined) rows = rows.slice(0, f.limit)
        } else {
          let ordered = query.orderBy('agents.agent_id')
          if (f.limit !== undefined) ordered = ordered.limit(f.limit)
          rows = await ordered.execute()
        }
        return this.#hydrate(trx, rows)
      },
      { readOnly: true },
    )
  }

  /** Marks the agent inactive (kept, with its bindings); `NOT_FOUND` if unknown. */
  async deactivate(agentId: string): Promise<SignaldockAgent> {
    return this.update(agentId, { isActive: false })
  }

  /** Marks the agent active again; `NOT_FOUND` if unknown. */
  async activate(agentId: string): Promise<SignaldockAgent> {
    return this.update(agentId, { isActive: true })
  }

  /**
   * The sealed API keys of every agent that has one and is not already marked
   * `requiresReauth`, in slug order (two columns, nothing hydrated): what a
   * workspace checks against its key files at open.
   *
   * @example
   * ```ts
   * for (const { agentId, apiKeyEncrypted } of await signaldock.agents.sealedCredentials()) check(agentId, apiKeyEncrypted)
   * ```
   */
  async sealedCredentials(): Promise<Array<{ agentId: string; apiKeyEncrypted: string }>> {
    return transact(
      this.#ctx,
      async (trx) => {
        const rows = await trx
          .selectFrom('agents')
          .select(['agent_id', 'api_key_encrypted'])
          .where('api_key_encrypted', 'is not', null)
          .where('requires_reauth', '=', 0)
          .orderBy('agent_id')
          .execute()
        return rows.map((row) => ({ agentId: row.agent_id, apiKeyEncrypted: row.api_key_encrypted! }))
      },
      { readOnly: true },
    )
  }

  /**
   * Marks agents as needing re-authentication (`requiresReauth`: their sealed key
   * cannot be opened with this machine's key files). Unknown slugs are skipped;
   * returns how many rows changed. Registering a new API key clears the mark.
   *
   * @example
   * ```ts
   * await signaldock.agents.markRequiresReauth(['cleo-prime'])
   * ```
   */
  async markRequiresReauth(agentIds: readonly string[]): Promise<number> {
    const ctx = this.#ctx
    const slugs = validate(AgentSlug.array().max(100_000), agentIds, 'signaldock.agents.markRequiresReauth', ctx.errors)
    if (slugs.length === 0) return 0
    return transact(ctx, async (trx) => {
      let changed = 0
      for (let i = 0; i < slugs.length; i += 500) {
        const result = await trx
          .updateTable('agents')
          .set({ requires_reauth: 1, updated_at: ctx.clock() })
          .where('agent_id', 'in', slugs.slice(i, i + 500))
          .where('requires_reauth', '=', 0)
          .executeTakeFirst()
        changed += Number(result.numUpdatedRows)
      }
      return changed
    })
  }

  /** Records that the agent was used now (`lastUsedAt`); `NOT_FOUND` if unknown. */
  async markUsed(agentId: string): Promise<void> {
    const ctx = this.#ctx
    const slug = validate(AgentSlug, agentId, 'signaldock.agents.markUsed', ctx.errors)
    const result = await transact(ctx, (trx) =>
      trx.updateTable('agents').set({ last_used_at: ctx.clock() }).where('agent_id', '=', slug).executeTakeFirst(),
    )
    if (Number(result.numUpdatedRows) === 0) throw agentNotFound(ctx, slug)
  }

  /**
   * Deletes the agent's global identity and, by `ON DELETE CASCADE`, its
   * capability and skill bindings, connections, claim codes, organization keys and
   * availability. Returns false when the slug was not registered.
   *
   * This is the store-level delete; the ADR-037 verb `remove --global` (which first
   * refuses while projects hold enabled references) is `ws.agents.remove(id, { global: true })`.
   */
  async remove(agentId: string): Promise<boolean> {
    const slug = validate(AgentSlug, agentId, 'signaldock.agents.remove', this.#ctx.errors)
    const result = await transact(this.#ctx, (trx) => trx.deleteFrom('agents').where('agent_id', '=', slug).executeTakeFirst())
    return Number(result.numDeletedRows) > 0
  }

  #checkReportsTo(slug: string, parsed: Parsed, operation: string): void {
    if (parsed.reportsTo === slug) {
      throw new CleoStoreError('VALIDATION', `signaldock.agents.${operation}: reportsTo: an agent cannot report to itself`, {
        ...this.#ctx.errors,
        details: { path: ['reportsTo'] },
      })
    }
  }

  async #checkReferences(trx: Kysely<SignaldockDatabase>, parsed: Parsed): Promise<void> {
    const ctx = this.#ctx
    if (parsed.ownerId != null) {
      const owner = await trx.selectFrom('users').select('id').where('id', '=', parsed.ownerId).executeTakeFirst()
      if (!owner) {
        throw new CleoStoreError('NOT_FOUND', `owner ${JSON.stringify(parsed.ownerId)} is not a user`, {
          ...ctx.errors,
          details: { path: ['ownerId'] },
        })
      }
    }
    if (parsed.organizationId != null) {
      const org = await trx.selectFrom('organization').select('id').where('id', '=', parsed.organizationId).executeTakeFirst()
      if (!org) {
        throw new CleoStoreError('NOT_FOUND', `organization ${JSON.stringify(parsed.organizationId)} does not exist`, {
          ...ctx.errors,
          details: { path: ['organizationId'] },
        })
      }
    }
  }

  /** Replaces capability / skill bindings when the input names them. */
  async #bind(trx: Kysely<SignaldockDatabase>, key: string, parsed: Parsed): Promise<void> {
    const ctx = this.#ctx
    const unknown = parsed.unknownCatalogEntries ?? 'create'
    if (parsed.capabilities !== undefined) {
      const ids = await resolveCatalogSlugs(ctx, trx, 'capabilities', parsed.capabilities, unknown)
      let remove = trx.deleteFrom('agent_capabilities').where('agent_id', '=', key)
      if (ids.length > 0) remove = remove.where('capability_id', 'not in', ids)
      await remove.execute()
      if (ids.length > 0) {
        await trx
          .insertInto('agent_capabilities')
          .values(ids.map((capability_id) => ({ agent_id: key, capability_id })))
          .onConflict((oc) => oc.columns(['agent_id', 'capability_id']).doNothing())
          .execute()
      }
    }
    if (parsed.skills !== undefined) {
      const ids = await resolveCatalogSlugs(ctx, trx, 'skills', parsed.skills, unknown)
      let remove = trx.deleteFrom('agent_skills').where('agent_id', '=', key)
      if (ids.length > 0) remove = remove.where('skill_id', 'not in', ids)
      await remove.execute()
      if (ids.length > 0) {
        const source = parsed.skillSource ?? 'manual'
        await trx
          .insertInto('agent_skills')
          .values(ids.map((skill_id) => ({ agent_id: key, skill_id, source, attached_at: ctx.clock() })))
          .onConflict((oc) => oc.columns(['agent_id', 'skill_id']).doUpdateSet({ source }))
          .execute()
      }
    }
  }

  async #load(trx: Kysely<SignaldockDatabase>, key: string): Promise<SignaldockAgent> {
    const row = await trx.selectFrom('agents').selectAll().where('id', '=', key).executeTakeFirstOrThrow()
    return (await this.#hydrate(trx, [row]))[0]!
  }

  /** Maps rows and attaches their capability and skill slugs (two queries per 500 agents). */
  async #hydrate(trx: Kysely<SignaldockDatabase>, rows: readonly AgentRow[]): Promise<SignaldockAgent[]> {
    const capabilities = new Map<string, string[]>()
    const skills = new Map<string, string[]>()
    for (const part of chunks(rows.map((row) => row.id))) {
      const caps = await trx
        .selectFrom('agent_capabilities')
        .innerJoin('capabilities', 'capabilities.id', 'agent_capabilities.capability_id')
        .select(['agent_capabilities.agent_id as agent', 'capabilities.slug as slug'])
        .where('agent_capabilities.agent_id', 'in', part)
        .execute()
      for (const { agent, slug } of caps) (capabilities.get(agent) ?? capabilities.set(agent, []).get(agent)!).push(slug)
      const sks = await trx
        .selectFrom('agent_skills')
        .innerJoin('skills', 'skills.id', 'agent_skills.skill_id')
        .select(['agent_skills.agent_id as agent', 'skills.slug as slug'])
        .where('agent_skills.agent_id', 'in', part)
        .execute()
      for (const { agent, slug } of sks) (skills.get(agent) ?? skills.set(agent, []).get(agent)!).push(slug)
    }
    const sorted = (list: string[] | undefined) => (list ?? []).sort()
    return rows.map((row) => this.#map(row, sorted(capabilities.get(row.id)), sorted(skills.get(row.id))))
  }

  #map(row: AgentRow, capabilities: readonly string[], skills: readonly string[]): SignaldockAgent {
    const ctx = this.#ctx.errors
    return {
      id: row.id,
      agentId: row.agent_id,
      name: row.name,
      description: row.description,
      class: row.class as AgentClass,
      privacyTier: row.privacy_tier as AgentPrivacyTier,
      ownerId: row.owner_id,
      organizationId: row.organization_id,
      endpoint: row.endpoint,
      webhookSecretEncrypted: row.webhook_secret,
      avatar: row.avatar,
      status: row.status as AgentPresence,
      lastSeen: isoOrNull(row.last_seen),
      paymentConfig: fromJsonOrNull(row.payment_config, 'agents.payment_config', ctx, JsonObject),
      apiKeyEncrypted: row.api_key_encrypted,
      apiKeyHash: row.api_key_hash,
      apiBaseUrl: row.api_base_url,
      classification: row.classification,
      transportType: row.transport_type as AgentTransportType,
      transportConfig: fromJson(row.transport_config, 'agents.transport_config', ctx, JsonObject),
      isActive: Number(row.is_active) === 1,
      lastUsedAt: isoOrNull(row.last_used_at),
      requiresReauth: Number(row.requires_reauth) === 1,
      tier: row.tier as AgentTier,
      canSpawn: Number(row.can_spawn) === 1,
      orchLevel: Number(row.orch_level),
      reportsTo: row.reports_to,
      cantPath: row.cant_path,
      cantSha256: row.cant_sha256,
      installedFrom: row.installed_from as AgentInstallSource | null,
      installedAt: isoOrNull(row.installed_at),
      capabilities,
      skills,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
    }
  }
}
