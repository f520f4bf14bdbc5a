/**
 * Claims a harness can enforce (`enforceClaims`), for the task write paths.
 * Internal to the store.
 *
 * @module
 */
import { toIso } from '../sqlite/clock.js'
import type { TaskRow } from './task-rows.js'
import type { Actor, TasksContext } from './tasks-context.js'

/**
 * Inside a write, after the fence check: who changes `current`.
 *
 * - With a `claimToken` (already verified as the live claim), the claim's agent is
 *   the actor unless the call named one (`actorGiven`).
 * - Without a token, under `enforceClaims`, a live claim held by another agent than
 *   the actor refuses the change with `CONFLICT`.
 *
 * @internal
 */
export function claimActor(
  ctx: TasksContext,
  current: TaskRow,
  claimToken: number | undefined,
  actorGiven: boolean,
  who: Actor,
  now: number,
): Actor {
  const live = current.claimed_by !== null && current.claim_expires_at !== null && current.claim_expires_at > now
  if (!live) return who
  if (claimToken !== undefined) return actorGiven ? who : { ...who, actor: current.claimed_by! }
  if (ctx.settings.enforceClaims && who.actor !== current.claimed_by) {
    throw ctx.error(
      'CONFLICT',
      `task ${current.id} is claimed by ${current.claimed_by} until ${toIso(current.claim_expires_at!)}; pass its claimToken to change it`,
      { id: current.id, claimedBy: current.claimed_by, expiresAt: toIso(current.claim_expires_at!), reason: 'claimed' },
    )
  }
  return who
}

/** Whether `options` names an actor (so a claim token does not replace it). @internal */
export function actorGiven(options: unknown): boolean {
  return typeof options === 'object' && options !== null && (options as { actor?: unknown }).actor !== undefined
}
