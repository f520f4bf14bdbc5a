/**
 * ADR-037's visibility model as a pure function: which global agents a project
 * sees, given its `project_agent_refs` rows (conduit.db) and the agents
 * (signaldock.db). The two live in different files, so the join happens here, on
 * rows, not in SQL.
 *
 * @module
 */
import { CleoStoreError } from '../sqlite/errors.js'

/**
 * A project's reference to a global agent (a `project_agent_refs` row of the
 * project's conduit.db). Only `agentId` and `enabled` matter to the join; the rest
 * rides along.
 */
export interface AgentVisibilityRef {
  /** The agent's slug (soft reference to `agents.agent_id`). */
  readonly agentId: string
  /** False once detached. */
  readonly enabled: boolean
  readonly role?: string | null
  readonly capabilitiesOverride?: unknown
  /** ISO-8601. */
  readonly attachedAt?: string
  /** ISO-8601. */
  readonly lastUsedAt?: string | null
}

/** Options of {@link visibleAgents}. */
export interface VisibleAgentsOptions {
  /** Every global agent, attached or not (`cleo agent list --global`). Default false. */
  readonly global?: boolean
  /** Also count detached (disabled) references (`--include-disabled`). Default false. */
  readonly includeDisabled?: boolean
}

/** One row of the join. */
export interface VisibleAgent<A, R extends AgentVisibilityRef = AgentVisibilityRef> {
  readonly agent: A
  /** The project's reference, when it counts under the options; otherwise null. */
  readonly ref: R | null
  /** True when the project holds an enabled reference to the agent. */
  readonly attached: boolean
}

function duplicate(kind: string, agentId: string): CleoStoreError {
  return new CleoStoreError('VALIDATION', `visibleAgents: two ${kind} share the agent id ${JSON.stringify(agentId)}`, {
    store: 'signaldock',
    details: { agentId, kind },
  })
}

/**
 * The agents a project sees (ADR-037 §3), ordered by `agentId`:
 *
 * | options | result |
 * | --- | --- |
 * | default | INNER JOIN of agents and **enabled** refs: only attached agents |
 * | `includeDisabled` | INNER JOIN with enabled **and** disabled refs |
 * | `global` | every agent; `ref` set when a counted ref exists (enabled, or any with `includeDisabled`) |
 *
 * A ref whose agent does not exist (a dangling soft reference) is never returned.
 * Both lists must be unique by `agentId` (they come from primary keys): a
 * duplicate is a `VALIDATION` error rather than a silent pick.
 *
 * @example
 * ```ts
 * import { visibleAgents } from 'cleo-store'
 *
 * const agents = await ws.signaldock.agents.list()
 * visibleAgents(agents, refs)                          // attached to this project
 * visibleAgents(agents, refs, { includeDisabled: true }) // attached or detached
 * visibleAgents(agents, refs, { global: true })        // everything, tagged `attached`
 * ```
 */
export function visibleAgents<A extends { readonly agentId: string }, R extends AgentVisibilityRef = AgentVisibilityRef>(
  agents: readonly A[],
  refs: readonly R[],
  options: VisibleAgentsOptions = {},
): Array<VisibleAgent<A, R>> {
  const byId = new Map<string, R>()
  for (const ref of refs) {
    if (byId.has(ref.agentId)) throw duplicate('refs', ref.agentId)
    byId.set(ref.agentId, ref)
  }
  const seen = new Set<string>()
  const out: Array<VisibleAgent<A, R>> = []
  for (const agent of agents) {
    if (seen.has(agent.agentId)) throw duplicate('agents', agent.agentId)
    seen.add(agent.agentId)
    const ref = byId.get(agent.agentId)
    const counted = ref !== undefined && (ref.enabled || options.includeDisabled === true) ? ref : null
    if (counted === null && !options.global) continue
    out.push({ agent, ref: counted, attached: ref?.enabled === true })
  }
  // Agent ids are unique (checked above): two rows never compare equal.
  out.sort((a, b) => (a.agent.agentId < b.agent.agentId ? -1 : 1))
  return out
}
