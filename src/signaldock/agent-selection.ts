/**
 * The deterministic agent choice behind `availability.selectAgent`: a pure
 * function of the preference list and the agents' current availability.
 *
 * @module
 */
import type {
  AgentAvailabilityState,
} from './signaldock.types.js'

/** What the chooser knows about one preferred agent. */
export interface AgentCandidate {
  readonly agentId: string
  /** False when the slug is not registered in signaldock. */
  readonly registered: boolean
  /** `agents.is_active`. */
  readonly active: boolean
  /** Availability now (expiry already applied). */
  readonly state: AgentAvailabilityState
  /** When the current non-available state ends, if known (ISO-8601). */
  readonly until: string | null
  /** The recorded reason of a non-available state. */
  readonly reason: string | null
}

/** Why a preferred agent was passed over. */
export type AgentSkipReason = 'not_registered' | 'inactive' | 'unavailable' | 'degraded' | 'duplicate'

/** A preferred agent that was passed over, and why. */
export interface SkippedAgent {
  readonly agentId: string
  readonly reason: AgentSkipReason
  /** The recorded availability reason (`quota exhausted`), when there is one. */
  readonly detail: string | null
  /** When the agent is expected back, when known. */
  readonly until: string | null
}

/** The outcome of a selection. `agentId` is null when no agent may be used (fail closed). */
export interface AgentSelection {
  readonly agentId: string | null
  /** `available`, `degraded` (only with `allowDegraded`), or null when none was chosen. */
  readonly state: 'available' | 'degraded' | null
  /** For a degraded choice: its recorded reason. */
  readonly reason: string | null
  /**
   * The preferred agents ranked before the choice (every preference when none was
   * chosen), in preference order, each with the reason it was passed over.
   */
  readonly skipped: readonly SkippedAgent[]
}

/**
 * Chooses an agent from `preferences` (most preferred first):
 * 1. the first **available**, registered, active agent;
 * 2. otherwise, only with `allowDegraded`, the first **degraded** one;
 * 3. otherwise none (`agentId: null`): never a guess, never a default.
 *
 * Deterministic: the same inputs give the same result. A slug repeated in the
 * preferences counts once, at its first position. A preference missing from
 * `candidates` counts as not registered.
 *
 * @example
 * ```ts
 * chooseAgent(['claude', 'codex'], candidates, { allowDegraded: false })
 * // { agentId: 'codex', state: 'available', reason: null,
 * //   skipped: [{ agentId: 'claude', reason: 'unavailable', detail: 'rate limited', until: '…' }] }
 * ```
 */
export function chooseAgent(
  preferences: readonly string[],
  candidates: Iterable<AgentCandidate>,
  options: { allowDegraded?: boolean } = {},
): AgentSelection {
  const known = new Map<string, AgentCandidate>()
  for (const candidate of candidates) if (!known.has(candidate.agentId)) known.set(candidate.agentId, candidate)

  const seen = new Set<string>()
  const evaluated: Array<{ agentId: string; skip: SkippedAgent | null; candidate: AgentCandidate | undefined }> = []
  for (const agentId of preferences) {
    if (seen.has(agentId)) {
      evaluated.push({ agentId, skip: { agentId, reason: 'duplicate', detail: null, until: null }, candidate: undefined })
      continue
    }
    seen.add(agentId)
    const candidate = known.get(agentId)
    let skip: SkippedAgent | null = null
    if (!candidate || !candidate.registered) skip = { agentId, reason: 'not_registered', detail: null, until: null }
    else if (!candidate.active) skip = { agentId, reason: 'inactive', detail: null, until: null }
    else if (candidate.state === 'unavailable') skip = { agentId, reason: 'unavailable', detail: candidate.reason, until: candidate.until }
    else if (candidate.state === 'degraded') skip = { agentId, reason: 'degraded', detail: candidate.reason, until: candidate.until }
    evaluated.push({ agentId, skip, candidate })
  }

  let chosen = evaluated.findIndex((entry) => entry.skip === null)
  let state: AgentSelection['state'] = 'available'
  if (chosen < 0 && options.allowDegraded) {
    chosen = evaluated.findIndex((entry) => entry.skip?.reason === 'degraded')
    state = 'degraded'
  }
  if (chosen < 0) {
    return { agentId: null, state: null, reason: null, skipped: evaluated.map((entry) => entry.skip!) }
  }
  const pick = evaluated[chosen]!
  return {
    agentId: pick.agentId,
    state,
    reason: state === 'degraded' ? (pick.candidate?.reason ?? null) : null,
    skipped: evaluated.slice(0, chosen).map((entry) => entry.skip!),
  }
}
