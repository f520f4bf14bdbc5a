/**
 * `ws.agents`: the ADR-037 verbs of a workspace — register, attach, detach,
 * remove (project or global), list — across the three databases involved:
 * signaldock.db (global identity, the source of truth), the project's conduit.db
 * (`project_agent_refs`) and the project's tasks.db (the sealed credential cache).
 *
 * The references live in conduit.db, and the list of other projects in nexus.db;
 * this file depends on them only through two small interfaces,
 * {@link ProjectAgentRefStore} and {@link KnownProjects}, so the logic is tested
 * against in-memory fakes and wired to the real stores by `CleoWorkspace`.
 *
 * | verb | effect |
 * | --- | --- |
 * | `register` | signaldock first (idempotent by slug), then the tasks.db credential cache; optionally attaches |
 * | `attach` | the agent must exist globally (`NOT_FOUND`); inserts an enabled ref or re-enables a detached one |
 * | `detach` | `enabled = 0`, row and identity kept; `NOT_FOUND` without a ref |
 * | `remove` | deletes this project's ref (and cached credential); the identity stays |
 * | `remove --global` | refuses (`CONFLICT`) while any **enabled** ref is known — this project's or any project registered in nexus — unless `force`; then deletes the identity with every junction row (cascade), this project's ref and cached credential |
 * | `list` | INNER JOIN with enabled refs; `includeDisabled`; `global` lists every agent tagged `attached` |
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { realpathSync } from 'node:fs'
import { resolve } from 'node:path'

import type { Kysely } from 'kysely'
import { sql } from 'kysely'
import { z } from 'zod'

import { CredentialCipher, apiKeyHash, sealedKeyId } from '../kdf/credential-cipher.js'
import type { KeyMaterial } from '../kdf/key-files.js'
import { loadKeyMaterial } from '../kdf/key-files.js'
import type { ConduitRepository } from '../conduit/conduit-repository.js'
import { readProjectAgentRefs } from '../conduit/project-agent-refs.js'
import type { NexusRepository } from '../nexus/nexus-repository.js'
import type { SignaldockAgent } from '../signaldock/agents.js'
import type { AgentVisibilityRef, VisibleAgent } from '../signaldock/agent-visibility.js'
import { visibleAgents } from '../signaldock/agent-visibility.js'
import type { SignaldockRepository } from '../signaldock/signaldock-repository.js'
import { AttachAgentRefSchema } from '../conduit/conduit.schemas.js'
import { AgentSlug, RegisterAgentInput } from '../signaldock/signaldock.schemas.js'
import type { RegisterAgentInput as RegisterAgentFields } from '../signaldock/signaldock.types.js'
import type { Clock } from '../sqlite/clock.js'
import { systemClock, toIso } from '../sqlite/clock.js'
import { CleoStoreError, toCleoStoreError } from '../sqlite/errors.js'
import { validate } from '../sqlite/validate.js'
import type {
  PutAgentCredentialInput,
} from '../tasks/tasks.types.js'
import type { TasksRepository } from '../tasks/tasks-repository.js'

/** Options of an attach: the project-specific role and capability override of the ref. */
export interface AttachAgentOptions {
  readonly role?: string | null
  readonly capabilitiesOverride?: unknown
}

/**
 * What `ws.agents` needs from the current project's `project_agent_refs`
 * (conduit.db). One row per agent slug.
 */
export interface ProjectAgentRefStore {
  /** The ref of `agentId`, or null. */
  get(agentId: string): Promise<AgentVisibilityRef | null>
  /** Every ref of the project, enabled and disabled. */
  list(): Promise<readonly AgentVisibilityRef[]>
  /**
   * Inserts an enabled ref, or re-enables a disabled one (new `attachedAt`). A
   * given `role` / `capabilitiesOverride` replaces the stored one.
   */
  attach(agentId: string, options: AttachAgentOptions): Promise<AgentVisibilityRef>
  /** Sets `enabled = 0` and returns the ref; null when there is no row. */
  detach(agentId: string): Promise<AgentVisibilityRef | null>
  /** Deletes the row; false when there was none. */
  remove(agentId: string): Promise<boolean>
}

/**
 * What `remove --global` needs from nexus.db: the other projects of this machine,
 * and a read-only look at their refs.
 */
export interface KnownProjects {
  /** Directories of every project registered in nexus (this one may be among them). */
  listProjectDirs(): Promise<readonly string[]>
  /**
   * The refs of the project at `projectDir` (its `.cleo/conduit.db`), or null when
   * that project has no conduit.db or no longer exists. Must not create anything.
   */
  readProjectRefs(projectDir: string): Promise<readonly AgentVisibilityRef[] | null>
  /**
   * Projects on the server of a shared signaldock holding an enabled ref to
   * `agentId` (their location, `postgres://…#<schema>`), this workspace's own
   * excepted. Absent when identities are not shared through a server.
   */
  serverHolders?(agentId: string): Promise<readonly string[]>
}

/**
 * `ws.agents.register`'s input, strict: signaldock's fields plus `apiKey` and
 * `attach` (an object `attach` is checked against the ref options on its own, so an
 * unknown key in it is reported at `['attach', key]`).
 */
const RegisterEnvelope = RegisterAgentInput.extend({
  apiKey: z.unknown().optional(),
  attach: z.union([z.boolean(), z.record(z.string(), z.unknown())]).optional(),
})

/** Options of `ws.agents.remove`, strict. */
const RemoveOptionsSchema = z.strictObject({ global: z.boolean().optional(), force: z.boolean().optional() })
/** Options of `ws.agents.list`, strict. */
const ListOptionsSchema = z.strictObject({
  global: z.boolean().optional(),
  includeDisabled: z.boolean().optional(),
  active: z.boolean().optional(),
  requiresReauth: z.boolean().optional(),
})

/** A row of `ws.agents.list`. */
export type WorkspaceAgent = VisibleAgent<SignaldockAgent>

/** Input of `ws.agents.register`. */
export type RegisterWorkspaceAgentInput = RegisterAgentFields & {
  /**
   * The agent's API key in the clear: sealed here (AES-256-GCM under the machine
   * key of the global directory) before anything is stored; only the sealed text
   * and a SHA-256 verifier reach signaldock.db and the tasks.db cache.
   */
  readonly apiKey?: string
  /** Also attach the agent to this project (`true`, or the ref's options). */
  readonly attach?: boolean | AttachAgentOptions
}

/** Result of `ws.agents.register`. */
export interface RegisterWorkspaceAgentResult {
  readonly agent: SignaldockAgent
  /** False when the slug already existed (its fields were updated). */
  readonly created: boolean
  /** True when the sealed credential was written to this project's tasks.db cache. */
  readonly cached: boolean
  /** The project ref, when `attach` was asked. */
  readonly ref: AgentVisibilityRef | null
}

/** Options of `ws.agents.remove`. */
export interface RemoveWorkspaceAgentOptions {
  /** Delete the global identity (`remove --global`), not just this project's ref. */
  readonly global?: boolean
  /** With `global`: delete even while projects hold enabled refs (they are left dangling, hence invisible). */
  readonly force?: boolean
}

/** Result of `ws.agents.remove`. */
export interface RemoveWorkspaceAgentResult {
  readonly agentId: string
  /** True when the global identity was deleted. */
  readonly agentRemoved: boolean
  /** True when this project's ref was deleted. */
  readonly refRemoved: boolean
  /** Projects that held an enabled ref when a forced global remove went ahead. */
  readonly enabledElsewhere: readonly string[]
  /** Projects whose refs could not be read during a forced global remove. */
  readonly unreadable: readonly string[]
}

/** Options of `ws.agents.list`. */
export interface ListWorkspaceAgentsOptions {
  /** Every global agent, tagged `attached` (`cleo agent list --global`). */
  readonly global?: boolean
  /** Count detached refs too (`--include-disabled`). */
  readonly includeDisabled?: boolean
  /** Only active (true) or inactive (false) agents. */
  readonly active?: boolean
  /**
   * Only agents whose sealed API key this machine's key files cannot open (true) —
   * after a restore from another machine without its keys, or lost key files — or
   * only the others (false). Re-register such an agent with its API key.
   */
  readonly requiresReauth?: boolean
}

/** Construction parameters of {@link WorkspaceAgents} (the workspace builds it). */
export interface WorkspaceAgentsDeps {
  readonly projectDir: string
  /** Null for an in-memory workspace: a random key, held in memory, seals its credentials. */
  readonly globalDir: string | null
  readonly signaldock: SignaldockRepository
  readonly tasks: TasksRepository
  readonly refs: ProjectAgentRefStore
  readonly projects: KnownProjects
  /** Key material override (tests); default: the key files of `globalDir`. */
  readonly keys?: () => KeyMaterial
  /**
   * Whether this workspace may mark agents `requiresReauth` in signaldock (default
   * true). False when signaldock is a shared server: other machines' seals are
   * expected not to open here.
   */
  readonly markReauth?: boolean
}

const ApiKey = z.string().min(1).max(4096)
const CONTEXT = Object.freeze({ store: 'workspace' })

function realOrResolved(dir: string): string {
  try {
    return realpathSync(dir)
  } catch {
    return resolve(dir)
  }
}

/**
 * The agent verbs of a workspace: `ws.agents`.
 *
 * @example
 * ```ts
 * await ws.agents.register({ agentId: 'cleo-prime', name: 'Cleo Prime', apiKey: 'sk_live_…', attach: true })
 * await ws.agents.list()                      // agents attached to this project
 * await ws.agents.detach('cleo-prime')        // hidden here, identity kept
 * await ws.agents.remove('cleo-prime', { global: true }) // CONFLICT while any project has it attached
 * ```
 */
export class WorkspaceAgents {
  readonly #deps: WorkspaceAgentsDeps
  #cipher: CredentialCipher | undefined

  constructor(deps: WorkspaceAgentsDeps) {
    this.#deps = deps
  }

  #slug(agentId: string, operation: string): string {
    return validate(AgentSlug, agentId, `agents.${operation}`, CONTEXT, { at: ['agentId'] })
  }

  /** The credential cipher of this machine (loads or creates the key files on first use). */
  cipher(): CredentialCipher {
    if (!this.#cipher) {
      const { keys, globalDir } = this.#deps
      const material = keys
        ? keys()
        : globalDir === null
          ? { machineKey: randomBytes(32), globalSalt: randomBytes(32) }
          : loadKeyMaterial(globalDir)
      this.#cipher = CredentialCipher.fromKeyMaterial(material)
    }
    return this.#cipher
  }

  /**
   * Registers an agent: signaldock.db first (idempotent by slug), then the sealed
   * credential into this project's tasks.db cache, then (with `attach`) the
   * project ref. There is no transaction across the files: if the process dies
   * after the signaldock write, the identity exists and re-running `register`
   * completes the rest.
   */
  async register(input: RegisterWorkspaceAgentInput): Promise<RegisterWorkspaceAgentResult> {
    // Everything is checked before the first write: a typo (`apikey`) must not
    // register an agent without its key.
    validate(RegisterEnvelope, input, 'agents.register', CONTEXT, { secret: true })
    const { apiKey, attach, ...rest } = input
    if (typeof attach === 'object') validate(AttachAgentRefSchema, attach, 'agents.register', CONTEXT, { at: ['attach'] })
    let sealed: { apiKeyEncrypted: string; apiKeyHash: string } | undefined
    if (apiKey !== undefined) {
      const key = validate(ApiKey, apiKey, 'agents.register', CONTEXT, { secret: true })
      if (rest.apiKeyEncrypted != null) {
        throw new CleoStoreError('VALIDATION', 'agents.register: give apiKey or apiKeyEncrypted, not both', {
          ...CONTEXT,
          details: { path: ['apiKey'] },
        })
      }
      const agentId = this.#slug(rest.agentId, 'register')
      sealed = { apiKeyEncrypted: this.cipher().seal(agentId, key), apiKeyHash: apiKeyHash(key) }
    }
    // A key sealed under this machine's key files is re-authentication done.
    const reauth = sealed === undefined ? {} : { requiresReauth: false }
    const { agent, created } = await this.#deps.signaldock.agents.register({ ...rest, ...sealed, ...reauth })
    let cached = false
    if (agent.apiKeyEncrypted !== null) {
      await this.#deps.tasks.credentials.put({
        agentId: agent.agentId,
        displayName: agent.name,
        apiKeyEncrypted: agent.apiKeyEncrypted,
        apiKeyHash: agent.apiKeyHash,
        apiBaseUrl: agent.apiBaseUrl,
        classification: agent.classification,
        privacyTier: agent.privacyTier,
        transportType: agent.transportType,
        transportConfig: agent.transportConfig as PutAgentCredentialInput['transportConfig'],
        isActive: agent.isActive,
      })
      cached = true
    } else {
      await this.#deps.tasks.credentials.remove(agent.agentId) // never leave a stale key behind
    }
    let ref: AgentVisibilityRef | null = null
    if (attach) ref = await this.#deps.refs.attach(agent.agentId, attach === true ? {} : attach)
    return { agent, created, cached, ref }
  }

  /**
   * Attaches a globally registered agent to this project (an enabled ref; a
   * detached one is re-enabled). `NOT_FOUND` when the agent is not registered.
   */
  async attach(agentId: string, options: AttachAgentOptions = {}): Promise<WorkspaceAgent> {
    const slug = this.#slug(agentId, 'attach')
    const agent = await this.#deps.signaldock.agents.get(slug)
    if (!agent) {
      throw new CleoStoreError('NOT_FOUND', `agent ${JSON.stringify(slug)} is not registered globally; register it first`, {
        ...CONTEXT,
        details: { agentId: slug },
      })
    }
    const ref = await this.#deps.refs.attach(slug, options)
    return { agent, ref, attached: true }
  }

  /**
   * Detaches an agent from this project (`enabled = 0`): it disappears from
   * `list()`, its identity and the ref row stay. `NOT_FOUND` without a ref.
   * Returns the (now disabled) ref.
   */
  async detach(agentId: string): Promise<AgentVisibilityRef> {
    const slug = this.#slug(agentId, 'detach')
    const ref = await this.#deps.refs.detach(slug)
    if (!ref) {
      throw new CleoStoreError('NOT_FOUND', `agent ${JSON.stringify(slug)} is not attached to this project`, {
        ...CONTEXT,
        details: { agentId: slug },
      })
    }
    return ref
  }

  /**
   * `remove`: deletes this project's ref and cached credential (the global
   * identity stays; `NOT_FOUND` without a ref).
   *
   * `remove --global` (`{ global: true }`): refuses with `CONFLICT` — listing the
   * projects in `details.projects` — while an enabled ref to the agent is known in
   * this project or in any project registered in nexus — and, with signaldock on a
   * server, in any project whose conduit is in a schema of that server's database
   * (listed by location); a project whose refs cannot be read also refuses (fail
   * closed). With `force`, deletes anyway. Then
   * deletes the identity (its capability/skill bindings, connections, claim codes,
   * organization keys and availability go with it), this project's ref and cached
   * credential. Other projects' refs are left: they dangle and are invisible.
   */
  async remove(agentId: string, options: RemoveWorkspaceAgentOptions = {}): Promise<RemoveWorkspaceAgentResult> {
    const slug = this.#slug(agentId, 'remove')
    validate(RemoveOptionsSchema, options, 'agents.remove', CONTEXT)
    const { refs, tasks, signaldock } = this.#deps
    if (!options.global) {
      const refRemoved = await refs.remove(slug)
      if (!refRemoved) {
        throw new CleoStoreError('NOT_FOUND', `agent ${JSON.stringify(slug)} has no reference in this project`, {
          ...CONTEXT,
          details: { agentId: slug },
        })
      }
      await tasks.credentials.remove(slug)
      return { agentId: slug, agentRemoved: false, refRemoved, enabledElsewhere: [], unreadable: [] }
    }

    if (!(await signaldock.agents.get(slug))) {
      // No identity to delete: only this project's (dangling) ref, if any, remains.
      const refRemoved = await refs.remove(slug)
      await tasks.credentials.remove(slug)
      if (!refRemoved) {
        throw new CleoStoreError('NOT_FOUND', `agent ${JSON.stringify(slug)} is not registered`, {
          ...CONTEXT,
          details: { agentId: slug },
        })
      }
      return { agentId: slug, agentRemoved: false, refRemoved, enabledElsewhere: [], unreadable: [] }
    }
    const { enabled, unreadable } = await this.#enabledHolders(slug, options.force === true)
    if (enabled.length > 0 && !options.force) {
      throw new CleoStoreError(
        'CONFLICT',
        `agent ${JSON.stringify(slug)} is attached in ${enabled.length} project(s): ${enabled.join(', ')}; detach it there first, or remove with force`,
        { ...CONTEXT, details: { agentId: slug, projects: enabled } },
      )
    }
    const agentRemoved = await signaldock.agents.remove(slug)
    const refRemoved = await refs.remove(slug)
    await tasks.credentials.remove(slug)
    const here = realOrResolved(this.#deps.projectDir)
    return {
      agentId: slug,
      agentRemoved,
      refRemoved,
      enabledElsewhere: enabled.filter((dir) => dir !== here),
      unreadable,
    }
  }

  /** Projects holding an enabled ref: this one, then every project nexus knows. */
  async #enabledHolders(slug: string, force: boolean): Promise<{ enabled: string[]; unreadable: string[] }> {
    const here = realOrResolved(this.#deps.projectDir)
    const enabled: string[] = []
    const unreadable: string[] = []
    const own = await this.#deps.refs.get(slug)
    if (own?.enabled) enabled.push(here)
    const seen = new Set([here])
    for (const dir of await this.#deps.projects.listProjectDirs()) {
      const real = realOrResolved(dir)
      if (seen.has(real)) continue
      seen.add(real)
      let refs: readonly AgentVisibilityRef[] | null
      try {
        refs = await this.#deps.projects.readProjectRefs(real)
      } catch (error) {
        if (force) {
          unreadable.push(real)
          continue
        }
        const cause = toCleoStoreError(error, CONTEXT)
        throw new CleoStoreError(
          cause.code,
          `cannot tell whether project ${real} uses agent ${JSON.stringify(slug)} (${cause.message}); refusing to remove it globally without force`,
          { ...CONTEXT, cause: error, details: { agentId: slug, project: real } },
        )
      }
      if (refs?.some((ref) => ref.agentId === slug && ref.enabled)) enabled.push(real)
    }
    const { serverHolders } = this.#deps.projects
    if (serverHolders !== undefined) {
      try {
        enabled.push(...(await serverHolders(slug)))
      } catch (error) {
        if (!force) {
          const cause = toCleoStoreError(error, CONTEXT)
          throw new CleoStoreError(
            cause.code,
            `cannot tell whether the projects on the server use agent ${JSON.stringify(slug)} (${cause.message}); refusing to remove it globally without force`,
            { ...CONTEXT, cause: error, details: { agentId: slug, project: 'server' } },
          )
        }
        unreadable.push('server')
      }
    }
    return { enabled, unreadable }
  }

  /**
   * The agents this project sees (ADR-037): by default those with an enabled ref;
   * `includeDisabled` adds detached ones; `global` lists every registered agent,
   * each tagged `attached`. Dangling refs (identity removed) never appear.
   */
  async list(options: ListWorkspaceAgentsOptions = {}): Promise<WorkspaceAgent[]> {
    validate(ListOptionsSchema, options, 'agents.list', CONTEXT)
    const refs = await this.#deps.refs.list()
    const counted = refs.filter((ref) => ref.enabled || options.includeDisabled)
    const filter = options.active === undefined ? {} : { active: options.active }
    const agents = options.global
      ? await this.#deps.signaldock.agents.list(filter)
      : await this.#deps.signaldock.agents.list({ ...filter, agentIds: counted.map((ref) => ref.agentId) })
    const wanted = options.requiresReauth === undefined ? agents : agents.filter((agent) => agent.requiresReauth === options.requiresReauth)
    return visibleAgents(wanted, refs, {
      global: options.global === true,
      includeDisabled: options.includeDisabled === true,
    })
  }

  /**
   * Checks every sealed API key in signaldock against this machine's key files
   * (the key id in each seal's header; nothing is decrypted) and marks those that
   * cannot open `requiresReauth`. Runs at workspace open when signaldock holds
   * sealed keys — so key files restored from elsewhere, lost, or created while
   * sealed keys exist (salt loss) never pass silently. Loads (or creates) the key
   * files only then. Returns the agents it marked.
   *
   * @example
   * ```ts
   * const marked = await ws.agents.reconcileKeys()
   * ```
   */
  async reconcileKeys(): Promise<string[]> {
    if (this.#deps.markReauth === false) return []
    const sealed = await this.#deps.signaldock.agents.sealedCredentials()
    if (sealed.length === 0) return []
    const keyId = this.cipher().keyId
    const stale = sealed.filter((entry) => sealedKeyId(entry.apiKeyEncrypted) !== keyId).map((entry) => entry.agentId)
    if (stale.length > 0) await this.#deps.signaldock.agents.markRequiresReauth(stale)
    return stale
  }

  /** The typed error of a credential this machine cannot open. */
  #reauthError(slug: string, cause?: unknown): CleoStoreError {
    return new CleoStoreError(
      'KEY_FILE',
      `the API key of agent ${JSON.stringify(slug)} was sealed under other key files (restored from another machine, or the key files were recreated); re-authenticate: register it again with its API key`,
      { ...CONTEXT, ...(cause === undefined ? {} : { cause }), details: { reason: 'requires-reauth', agentId: slug } },
    )
  }

  /** Opens a sealed key, turning "sealed under other keys" into the re-authentication error (and marking the agent). */
  async #open<T>(slug: string, agent: SignaldockAgent, use: (cipher: CredentialCipher, sealed: string) => T): Promise<T> {
    if (agent.requiresReauth) throw this.#reauthError(slug)
    try {
      return use(this.cipher(), agent.apiKeyEncrypted!)
    } catch (error) {
      if (!(error instanceof CleoStoreError && error.code === 'CORRUPT' && error.details?.['reason'] === 'other-key')) throw error
      if (this.#deps.markReauth !== false) await this.#deps.signaldock.agents.markRequiresReauth([slug])
      throw this.#reauthError(slug, error)
    }
  }

  /** One agent as this project sees it (its ref may be null), or null when it is not registered. */
  async get(agentId: string): Promise<WorkspaceAgent | null> {
    const slug = this.#slug(agentId, 'get')
    const agent = await this.#deps.signaldock.agents.get(slug)
    if (!agent) return null
    const ref = await this.#deps.refs.get(slug)
    return { agent, ref, attached: ref?.enabled === true }
  }

  /**
   * The agent's API key in the clear, opened from signaldock.db (the source of
   * truth: a key rotated from another project is seen here at once); null when
   * none is stored. Throws `CORRUPT` for a tampered value, and `KEY_FILE` with
   * `details.reason: 'requires-reauth'` for one sealed under other key files (the
   * agent is then marked `requiresReauth`; register it again with its API key). The tasks.db cache (`ws.tasks.credentials`) holds the same
   * sealed text for readers of this project's files.
   */
  async credential(agentId: string): Promise<string | null> {
    const slug = this.#slug(agentId, 'credential')
    const agent = await this.#deps.signaldock.agents.get(slug)
    if (agent?.apiKeyEncrypted == null) return null
    return this.#open(slug, agent, (cipher, sealed) => cipher.open(slug, sealed))
  }

  /** True when `presented` is the agent's API key (constant-time comparison); false when none is stored. */
  async verifyApiKey(agentId: string, presented: string): Promise<boolean> {
    const slug = this.#slug(agentId, 'verifyApiKey')
    const key = validate(ApiKey, presented, 'agents.verifyApiKey', CONTEXT, { secret: true })
    const agent = await this.#deps.signaldock.agents.get(slug)
    if (agent?.apiKeyEncrypted == null) return false
    return this.#open(slug, agent, (cipher, sealed) => cipher.verify(slug, sealed, key))
  }
}

/**
 * A {@link ProjectAgentRefStore} held in memory, for tests and custom wiring (refs
 * made through it do not survive the process). `CleoWorkspace` uses
 * {@link conduitAgentRefStore}.
 *
 * @example
 * ```ts
 * const refs = memoryAgentRefStore()
 * await refs.attach('cleo-prime', { role: 'lead' })
 * ```
 */
export function memoryAgentRefStore(clock: Clock = systemClock): ProjectAgentRefStore & { readonly persistent: false } {
  const rows = new Map<string, AgentVisibilityRef>()
  return {
    persistent: false,
    async get(agentId) {
      return rows.get(agentId) ?? null
    },
    async list() {
      return [...rows.values()].sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0))
    },
    async attach(agentId, options) {
      const existing = rows.get(agentId)
      const ref: AgentVisibilityRef = {
        agentId,
        enabled: true,
        role: options.role !== undefined ? options.role : (existing?.role ?? null),
        capabilitiesOverride: options.capabilitiesOverride !== undefined ? options.capabilitiesOverride : existing?.capabilitiesOverride,
        // Like conduit.db: re-attaching (even a detached ref) keeps the first attachedAt.
        attachedAt: existing?.attachedAt ?? toIso(clock()),
        lastUsedAt: existing?.lastUsedAt ?? null,
      }
      rows.set(agentId, ref)
      return ref
    },
    async detach(agentId) {
      const existing = rows.get(agentId)
      if (!existing) return null
      const ref = { ...existing, enabled: false }
      rows.set(agentId, ref)
      return ref
    },
    async remove(agentId) {
      return rows.delete(agentId)
    },
  }
}

/**
 * {@link ProjectAgentRefStore} over this project's conduit.db `project_agent_refs`
 * (re-enabling a detached ref keeps its `attachedAt` history, as conduit does).
 */
export function conduitAgentRefStore(conduit: ConduitRepository): ProjectAgentRefStore {
  const refs = conduit.agentRefs
  return {
    async get(agentId) {
      return (await refs.get(agentId)) ?? null
    },
    async list() {
      return refs.list({ includeDisabled: true })
    },
    async attach(agentId, options) {
      return refs.attach(agentId, {
        ...(options.role === undefined ? {} : { role: options.role }),
        ...(options.capabilitiesOverride === undefined
          ? {}
          : { capabilitiesOverride: options.capabilitiesOverride as string[] | null }),
      })
    },
    async detach(agentId) {
      if ((await refs.get(agentId)) === undefined) return null
      return refs.detach(agentId)
    },
    async remove(agentId) {
      if ((await refs.get(agentId)) === undefined) return false
      await refs.remove(agentId)
      return true
    },
  }
}

/**
 * {@link KnownProjects} from nexus.db's project registry; other projects' refs are
 * read from their `.cleo/conduit.db` on read-only connections (nothing is created).
 */
export function nexusKnownProjects(nexus: NexusRepository, conduitFile: (projectDir: string) => string): KnownProjects {
  return {
    async listProjectDirs() {
      // Every project, not a first page: a project missed here could lose an agent it uses.
      return nexus.projects.allPaths()
    },
    async readProjectRefs(projectDir) {
      return readProjectAgentRefs(conduitFile(projectDir))
    },
  }
}

/**
 * {@link KnownProjects} `known`, plus the projects whose conduit lives on the server
 * of a shared signaldock: every schema of that database holding a
 * `project_agent_refs` table is read (the fleet's projects that follow the same
 * server), `ownConduit` (this workspace's conduit location, when it is there) excepted.
 */
export function withServerProjects(known: KnownProjects, signaldock: SignaldockRepository, ownConduit: string | null): KnownProjects {
  const db = signaldock.kysely as unknown as Kysely<unknown>
  const server = signaldock.path.slice(0, signaldock.path.lastIndexOf('#'))
  return {
    ...known,
    async serverHolders(agentId) {
      const schemas = await sql<{ schema: string }>`
        select table_schema as schema from information_schema.tables
        where table_name = 'project_agent_refs' and table_type = 'BASE TABLE' order by table_schema`.execute(db)
      const others = schemas.rows.map((row) => row.schema).filter((schema) => `${server}#${schema}` !== ownConduit)
      if (others.length === 0) return []
      // One statement for every project, not one per schema.
      const probes = others.map(
        (schema) => sql`select ${schema}::text as schema where exists (select 1 from ${sql.table(`${schema}.project_agent_refs`)} where agent_id = ${agentId} and enabled = 1)`,
      )
      const held = await sql<{ schema: string }>`${sql.join(probes, sql` union all `)}`.execute(db)
      return held.rows.map((row) => `${server}#${row.schema}`)
    },
  }
}

/** {@link KnownProjects} that knows no other project (for tests and isolated use). */
export function noKnownProjects(): KnownProjects {
  return {
    async listProjectDirs() {
      return []
    },
    async readProjectRefs() {
      return null
    },
  }
}
