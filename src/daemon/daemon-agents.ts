/**
 * Agent availability and fallback selection for the daemon (signaldock.db).
 *
 * @module
 */
import type { AgentAvailabilities, AgentAvailability } from '../signaldock/agent-availability.js'
import type { SignaldockAgents } from '../signaldock/agents.js'
import type { AgentSelection } from '../signaldock/agent-selection.js'
import { isCleoStoreError } from '../sqlite/errors.js'

/** What a minimal identity created by the daemon says about itself. */
export const DAEMON_AGENT_DESCRIPTION = 'agent CLI tracked by the TeleClaude daemon'

/**
 * The daemon's view of agent availability, as `daemon.agents`: the signaldock rows
 * (available / degraded / unavailable until, with a reason; expiry applied in the
 * query, no write on read) and the deterministic fallback `select`: the first
 * available preferred agent, else (opt-in) the first degraded one, else none — fail
 * closed with the reason each agent was skipped. TeleClaude produced guidance text
 * for an LLM instead, and nothing ever marked an agent unavailable automatically:
 * {@link DaemonAgents.reportRateLimit} is that missing write.
 *
 * **Agent CLIs need no ceremony (issue 17).** Availability rows belong to signaldock
 * agents. The daemon tracks the agent CLIs it runs (`claude`, `codex`, `gemini`) by
 * creating a **minimal identity** for a slug on first use — {@link track}, or any
 * `report*` of an unregistered slug: an agent row with the slug as its name, class
 * `custom` and {@link DAEMON_AGENT_DESCRIPTION}, nothing else (no key, no endpoint).
 * An agent registered before keeps its row untouched. `select` then sees the CLI like
 * any agent; call `track` with the CLIs at startup so that never-reported CLIs are
 * selectable too (an unknown slug is skipped as `not_registered`, fail closed).
 * `agent_availability` is `STRICT` on SQLite: another process cannot store an ISO
 * string where epoch ms belong.
 *
 * @example
 * ```ts
 * await daemon.agents.track(['claude', 'codex', 'gemini'])
 * await daemon.agents.reportRateLimit('claude', { retryAfterMs: 15 * 60_000, reason: 'HTTP 429' })
 * const { agentId, skipped } = await daemon.agents.select(['claude', 'codex', 'gemini'])
 * ```
 */
export class DaemonAgents {
  readonly #availability: AgentAvailabilities
  readonly #agents: SignaldockAgents

  /** @internal Use `daemon.agents`. */
  constructor(availability: AgentAvailabilities, agents: SignaldockAgents) {
    this.#availability = availability
    this.#agents = agents
  }

  /** The underlying `signaldock.availability` (mark, list, get). */
  get availability(): AgentAvailabilities {
    return this.#availability
  }

  /**
   * Makes sure each agent CLI has an identity in signaldock (a minimal one is created
   * for an unknown slug; a registered agent is left as it is). Returns the slugs that
   * were created.
   *
   * @example
   * ```ts
   * await daemon.agents.track(['claude', 'codex'])
   * ```
   */
  async track(agentIds: readonly string[]): Promise<string[]> {
    const created: string[] = []
    for (const agentId of new Set(agentIds)) {
      if ((await this.#agents.get(agentId)) !== null) continue
      const result = await this.#agents.register({ agentId, name: agentId, description: DAEMON_AGENT_DESCRIPTION })
      if (result.created) created.push(agentId)
    }
    return created
  }

  /**
   * Chooses the agent to launch from `preferences`, most preferred first.
   *
   * @example
   * ```ts
   * const choice = await daemon.agents.select(['claude', 'codex'], { allowDegraded: true })
   * if (choice.agentId === null) throw new Error('no agent available')
   * ```
   */
  async select(preferences: readonly string[], options: { allowDegraded?: boolean } = {}): Promise<AgentSelection> {
    return this.#availability.selectAgent(preferences, options)
  }

  /**
   * The availability of one agent now, or null when it has no identity yet.
   *
   * @example
   * ```ts
   * const a = await daemon.agents.get('claude') // { state: 'unavailable', until: '…', … }
   * ```
   */
  async get(agentId: string): Promise<AgentAvailability | null> {
    return this.#availability.get(agentId)
  }

  /**
   * Records a rate limit or quota error: unavailable for `retryAfterMs` (default
   * 30 min, TeleClaude's default), then available again by itself. An unregistered
   * agent CLI gets a minimal identity first (see {@link track}).
   *
   * @example
   * ```ts
   * await daemon.agents.reportRateLimit('claude', { retryAfterMs: 60_000 })
   * ```
   */
  async reportRateLimit(agentId: string, options: { retryAfterMs?: number; reason?: string } = {}): Promise<AgentAvailability> {
    return this.#tracked(agentId, () =>
      this.#availability.markUnavailable(agentId, {
        forMs: options.retryAfterMs ?? 30 * 60_000,
        reason: options.reason ?? 'rate limited',
        source: 'daemon',
      }),
    )
  }

  /**
   * Records the agent as degraded (usable only with `allowDegraded`), for `forMs` or
   * until marked otherwise.
   *
   * @example
   * ```ts
   * await daemon.agents.reportDegraded('codex', { reason: 'slow responses', forMs: 10 * 60_000 })
   * ```
   */
  async reportDegraded(agentId: string, options: { reason: string; forMs?: number }): Promise<AgentAvailability> {
    return this.#tracked(agentId, () =>
      this.#availability.markDegraded(agentId, { reason: options.reason, source: 'daemon', ...(options.forMs === undefined ? {} : { forMs: options.forMs }) }),
    )
  }

  /**
   * Records the agent as available again.
   *
   * @example
   * ```ts
   * await daemon.agents.reportAvailable('claude')
   * ```
   */
  async reportAvailable(agentId: string): Promise<AgentAvailability> {
    return this.#tracked(agentId, () => this.#availability.markAvailable(agentId, { source: 'daemon' }))
  }

  async #tracked(agentId: string, mark: () => Promise<AgentAvailability>): Promise<AgentAvailability> {
    try {
      return await mark()
    } catch (error) {
      if (!isCleoStoreError(error) || error.code !== 'NOT_FOUND') throw error
    }
    await this.track([agentId])
    return mark()
  }
}
