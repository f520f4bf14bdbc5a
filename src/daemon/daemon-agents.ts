/**
 * Agent availability and fallback selection for the daemon (signaldock.db).
 *
 * @module
 */
import type { AgentAvailabilities, AgentAvailability } from '../signaldock/agent-availability.js'
import type { AgentSelection } from '../signaldock/agent-selection.js'

/**
 * The daemon's view of agent availability, as `daemon.agents`: the signaldock rows
 * (available / degraded / unavailable until, with a reason; expiry applied in the
 * query, no write on read) and the deterministic fallback `select`: the first
 * available preferred agent, else (opt-in) the first degraded one, else none — fail
 * closed with the reason each agent was skipped. TeleClaude produced guidance text
 * for an LLM instead, and nothing ever marked an agent unavailable automatically:
 * {@link DaemonAgents.reportRateLimit} is that missing write.
 *
 * @example
 * ```ts
 * await daemon.agents.reportRateLimit('claude', { retryAfterMs: 15 * 60_000, reason: 'HTTP 429' })
 * const { agentId, skipped } = await daemon.agents.select(['claude', 'codex', 'gemini'])
 * ```
 */
export class DaemonAgents {
  readonly #availability: AgentAvailabilities

  /** @internal Use `daemon.agents`. */
  constructor(availability: AgentAvailabilities) {
    this.#availability = availability
  }

  /** The underlying `signaldock.availability` (mark, list, get). */
  get availability(): AgentAvailabilities {
    return this.#availability
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
   * Records a rate limit or quota error: unavailable for `retryAfterMs` (default
   * 30 min, TeleClaude's default), then available again by itself.
   *
   * @example
   * ```ts
   * await daemon.agents.reportRateLimit('claude', { retryAfterMs: 60_000 })
   * ```
   */
  async reportRateLimit(agentId: string, options: { retryAfterMs?: number; reason?: string } = {}): Promise<AgentAvailability> {
    return this.#availability.markUnavailable(agentId, {
      forMs: options.retryAfterMs ?? 30 * 60_000,
      reason: options.reason ?? 'rate limited',
      source: 'daemon',
    })
  }
}
