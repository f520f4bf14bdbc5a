/**
 * tasks.db `agent_credentials`: this project's local cache of signaldock agent
 * identity, holding the agent's API key **sealed** (`CredentialCipher.seal` text).
 * Plaintext is refused (`VALIDATION`); decrypting is the caller's business, with
 * the key files of the global directory (`ws.agents.credential(id)` does it).
 *
 * signaldock.db stays the source of truth: `ws.agents.register` writes signaldock
 * first, then this cache; a lost cache row is rebuilt from signaldock.
 *
 * @module
 */


import type { Clock } from '../sqlite/clock.js'
import { toIso, toIsoOrNull } from '../sqlite/clock.js'
import type { ErrorContext } from '../sqlite/errors.js'
import { CleoStoreError } from '../sqlite/errors.js'
import { fromJson, toJson } from '../sqlite/json.js'
import { template } from '../sqlite/query-template.js'
import type { ReferenceGuard } from '../sqlite/reference-guard.js'
import type { StoreEngine } from '../sqlite/store-engine.js'
import { guardReferences } from '../sqlite/reference-guard.js'
import { validate } from '../sqlite/validate.js'
import { Slug, PutAgentCredentialInput as PutAgentCredentialSchema } from './agent-credentials.schemas.js'
import type { PutAgentCredentialInput } from './tasks.types.js'

/** Kysely row type of `agent_credentials`. */
export interface AgentCredentialsTable {
  agent_id: string
  display_name: string
  api_key_encrypted: string
  api_key_hash: string | null
  api_base_url: string
  classification: string | null
  privacy_tier: string
  transport_type: string
  transport_config: string
  is_active: number
  last_used_at: number | null
  created_at: number
  updated_at: number
}

/** The part of the tasks.db schema this accessor uses. */
export interface AgentCredentialsDatabase {
  agent_credentials: AgentCredentialsTable
}

/** A cached credential. `apiKeyEncrypted` is sealed text. */
export interface AgentCredentialRecord {
  readonly agentId: string
  readonly displayName: string
  readonly apiKeyEncrypted: string
  readonly apiKeyHash: string | null
  readonly apiBaseUrl: string
  readonly classification: string | null
  readonly privacyTier: 'public' | 'discoverable' | 'private'
  readonly transportType: 'http' | 'sse' | 'websocket' | 'local'
  readonly transportConfig: Record<string, unknown>
  readonly isActive: boolean
  readonly lastUsedAt: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

type Row = AgentCredentialsTable
type UpsertParams = Omit<Row, 'last_used_at'>

const DEFAULT_API_BASE_URL = 'https://api.signaldock.io'

const UPSERT = template<AgentCredentialsDatabase, UpsertParams>()((db, p) =>
  db
    .insertInto('agent_credentials')
    .values({
      agent_id: p('agent_id'),
      display_name: p('display_name'),
      api_key_encrypted: p('api_key_encrypted'),
      api_key_hash: p('api_key_hash'),
      api_base_url: p('api_base_url'),
      classification: p('classification'),
      privacy_tier: p('privacy_tier'),
      transport_type: p('transport_type'),
      transport_config: p('transport_config'),
      is_active: p('is_active'),
      created_at: p('created_at'),
      updated_at: p('updated_at'),
    })
    .onConflict((oc) =>
      oc.column('agent_id').doUpdateSet((eb) => ({
        display_name: eb.ref('excluded.display_name'),
        api_key_encrypted: eb.ref('excluded.api_key_encrypted'),
        api_key_hash: eb.ref('excluded.api_key_hash'),
        api_base_url: eb.ref('excluded.api_base_url'),
        classification: eb.ref('excluded.classification'),
        privacy_tier: eb.ref('excluded.privacy_tier'),
        transport_type: eb.ref('excluded.transport_type'),
        transport_config: eb.ref('excluded.transport_config'),
        is_active: eb.ref('excluded.is_active'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returningAll(),
)
const GET = template<AgentCredentialsDatabase, { agent_id: string }>()((db, p) =>
  db.selectFrom('agent_credentials').selectAll().where('agent_id', '=', p('agent_id')),
)
const LIST = template<AgentCredentialsDatabase>()((db) => db.selectFrom('agent_credentials').selectAll().orderBy('agent_id'))
const LIST_ACTIVE = template<AgentCredentialsDatabase, { is_active: number }>()((db, p) =>
  db.selectFrom('agent_credentials').selectAll().where('is_active', '=', p('is_active')).orderBy('agent_id'),
)
const MOST_RECENT = template<AgentCredentialsDatabase>()((db) =>
  db
    .selectFrom('agent_credentials')
    .selectAll()
    .where('is_active', '=', 1)
    .where('last_used_at', 'is not', null)
    .orderBy('last_used_at', 'desc')
    .orderBy('agent_id')
    .limit(1),
)
const MARK_USED = template<AgentCredentialsDatabase, { agent_id: string; now: number }>()((db, p) =>
  db.updateTable('agent_credentials').set({ last_used_at: p('now') }).where('agent_id', '=', p('agent_id')),
)
const REMOVE = template<AgentCredentialsDatabase, { agent_id: string }>()((db, p) =>
  db.deleteFrom('agent_credentials').where('agent_id', '=', p('agent_id')),
)

/**
 * The credential cache: `tasks.credentials`.
 *
 * @example
 * ```ts
 * await tasks.credentials.put({ agentId: 'cleo-prime', displayName: 'Cleo Prime', apiKeyEncrypted: sealed })
 * const cached = await tasks.credentials.get('cleo-prime')
 * cipher.open('cleo-prime', cached!.apiKeyEncrypted) // the API key
 * ```
 */
export class AgentCredentials {
  readonly #engine: StoreEngine<AgentCredentialsDatabase>
  readonly #clock: Clock
  readonly #context: ErrorContext
  readonly #guard: ReferenceGuard | undefined

  /** @internal Created by `TasksRepository`. */
  constructor(engine: StoreEngine<any>, clock: Clock, guard?: ReferenceGuard) {
    this.#engine = engine as StoreEngine<AgentCredentialsDatabase>
    this.#clock = clock
    this.#context = engine.context
    this.#guard = guard
  }

  /** Stores or replaces the cached credential of an agent (keeps `createdAt` and `lastUsedAt`). */
  async put(input: PutAgentCredentialInput): Promise<AgentCredentialRecord> {
    const parsed = validate(PutAgentCredentialSchema, input, 'tasks.credentials.put', this.#context)
    // Through a workspace: the agent must exist in signaldock (the source of truth) first.
    await guardReferences(this.#guard, 'tasks.credentials.put', [{ kind: 'agent', id: parsed.agentId, path: ['agentId'] }])
    const now = this.#clock()
    const params: UpsertParams = {
      agent_id: parsed.agentId,
      display_name: parsed.displayName,
      api_key_encrypted: parsed.apiKeyEncrypted,
      api_key_hash: parsed.apiKeyHash ?? null,
      api_base_url: parsed.apiBaseUrl ?? DEFAULT_API_BASE_URL,
      classification: parsed.classification ?? null,
      privacy_tier: parsed.privacyTier ?? 'public',
      transport_type: parsed.transportType ?? 'http',
      transport_config: toJson(parsed.transportConfig ?? {}),
      is_active: parsed.isActive === false ? 0 : 1,
      created_at: now,
      updated_at: now,
    }
    const row = (await this.#engine.write((x) => x.get(UPSERT, params)))!
    return this.#map(row)
  }

  /** The cached credential of an agent, or null. */
  async get(agentId: string): Promise<AgentCredentialRecord | null> {
    const slug = validate(Slug, agentId, 'tasks.credentials.get', this.#context)
    const row = await this.#engine.read((x) => x.get(GET, { agent_id: slug }))
    return row ? this.#map(row) : null
  }

  /** Every cached credential (or only active / inactive ones), by agent id. */
  async list(options: { active?: boolean } = {}): Promise<AgentCredentialRecord[]> {
    const rows = await this.#engine.read((x) =>
      options.active === undefined ? x.all(LIST) : x.all(LIST_ACTIVE, { is_active: options.active ? 1 : 0 }),
    )
    return rows.map((row) => this.#map(row))
  }

  /** The active credential used most recently, or null. */
  async getActive(): Promise<AgentCredentialRecord | null> {
    const row = await this.#engine.read((x) => x.get(MOST_RECENT))
    return row ? this.#map(row) : null
  }

  /** Records a use now; `NOT_FOUND` when the agent has no cached credential. */
  async markUsed(agentId: string): Promise<void> {
    const slug = validate(Slug, agentId, 'tasks.credentials.markUsed', this.#context)
    const { changes } = await this.#engine.write((x) => x.run(MARK_USED, { agent_id: slug, now: this.#clock() }))
    if (changes === 0) {
      throw new CleoStoreError('NOT_FOUND', `no cached credential for agent ${JSON.stringify(slug)}`, {
        ...this.#context,
        details: { agentId: slug },
      })
    }
  }

  /** Drops the cached credential of an agent; false when there was none. */
  async remove(agentId: string): Promise<boolean> {
    const slug = validate(Slug, agentId, 'tasks.credentials.remove', this.#context)
    const { changes } = await this.#engine.write((x) => x.run(REMOVE, { agent_id: slug }))
    return changes > 0
  }

  #map(row: Row): AgentCredentialRecord {
    return {
      agentId: row.agent_id,
      displayName: row.display_name,
      apiKeyEncrypted: row.api_key_encrypted,
      apiKeyHash: row.api_key_hash,
      apiBaseUrl: row.api_base_url,
      classification: row.classification,
      privacyTier: row.privacy_tier as AgentCredentialRecord['privacyTier'],
      transportType: row.transport_type as AgentCredentialRecord['transportType'],
      transportConfig: fromJson(row.transport_config, 'agent_credentials.transport_config', this.#context) as Record<string, unknown>,
      isActive: row.is_active === 1,
      lastUsedAt: toIsoOrNull(row.last_used_at),
      createdAt: toIso(row.created_at),
      updatedAt: toIso(row.updated_at),
    }
  }
}
