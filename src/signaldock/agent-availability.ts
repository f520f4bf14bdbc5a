/**
 * `agent_availability` (TeleClaude's idea, without its bugs): whether an agent may
 * be chosen for work — `available`, `degraded` (usable, with a reason, until a time
 * or further notice) or `unavailable` until a time, with a reason.
 *
 * - One explicit `state` column with a `CHECK` (TeleClaude encoded "degraded" as a
 *   `degraded:` prefix of the reason).
 * - Every mark is one atomic upsert (`INSERT … ON CONFLICT DO UPDATE`), not
 *   get-then-write.
 * - Times are epoch milliseconds compared as integers (TeleClaude compared ISO
 *   strings, wrong across time-zone offsets); inputs with an offset are converted,
 *   zone-less strings refused.
 * - Expiry is evaluated **in the query** against the injected clock; a read never
 *   writes (TeleClaude cleared expired rows on read).
 *
 * @module
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

import { CleoStoreError } from '../sqlite/errors.js'
import { validate } from '../sqlite/validate.js'
import type { AgentSelection } from './agent-selection.js'
import { chooseAgent } from './agent-selection.js'
import type { SignaldockContext } from './signaldock-context.js'
import { isoOrNull, requireAgentKey, transact } from './signaldock-context.js'
import type {
  AgentAvailabilityState,
} from './signaldock.types.js'
import {
  AgentAvailabilityState as AvailabilityStateSchema,
  AgentPreferences,
  AgentSlug,
  MarkDegradedInput as MarkDegradedSchema,
  MarkUnavailableInput as MarkUnavailableSchema,
  SelectAgentOptions as SelectAgentOptionsSchema,
} from './signaldock.schemas.js'
import type { SignaldockDatabase } from './signaldock.tables.js'
import type { MarkDegradedInput } from './signaldock.types.js'
import type { MarkUnavailableInput } from './signaldock.types.js'
import type { SelectAgentOptions } from './signaldock.types.js'

/** The availability of one agent, as of the clock's now. */
export interface AgentAvailability {
  readonly agentId: string
  /** Effective state now: a recorded state whose `until` has passed reads `available`. */
  readonly state: AgentAvailabilityState
  /** The state last recorded (`available` when nothing was ever recorded). */
  readonly recordedState: AgentAvailabilityState
  /** When the recorded non-available state ends (null: until marked otherwise). */
  readonly until: string | null
  /** The recorded reason (null for `available`). */
  readonly reason: string | null
  /** Who recorded it. */
  readonly source: string | null
  /** When it was recorded (null when never). */
  readonly updatedAt: string | null
  /** True when the recorded state is not `available` and its `until` has passed. */
  readonly expired: boolean
  /** `agents.is_active`. */
  readonly active: boolean
}

/** Options of `availability.list`. */
export interface ListAvailabilityOptions {
  /** Only agents whose effective state is this. */
  readonly state?: AgentAvailabilityState
}

interface Row {
  agent_id: string
  is_active: number
  state: string | null
  until_at: number | string | null
  reason: string | null
  source: string | null
  updated_at: number | string | null
}

function selectRows(kysely: Kysely<SignaldockDatabase>) {
  return kysely
    .selectFrom('agents')
    .leftJoin('agent_availability as av', 'av.agent_id', 'agents.id')
    .select(['agents.agent_id', 'agents.is_active', 'av.state', 'av.until_at', 'av.reason', 'av.source', 'av.updated_at'])
}

/** The effective state, computed by the database against `now` (portable SQL). */
function effectiveState(now: number) {
  return sql<string>`CASE WHEN av.state IS NULL THEN 'available' WHEN av.state <> 'available' AND av.until_at IS NOT NULL AND av.until_at <= ${now} THEN 'available' ELSE av.state END`
}

function toAvailability(row: Row & { effective: string }): AgentAvailability {
  const recorded = (row.state ?? 'available') as AgentAvailabilityState
  const effective = row.effective as AgentAvailabilityState
  return {
    agentId: row.agent_id,
    state: effective,
    recordedState: recorded,
    until: isoOrNull(row.until_at),
    reason: row.reason,
    source: row.source,
    updatedAt: isoOrNull(row.updated_at),
    expired: recorded !== 'available' && effective === 'available',
    active: Number(row.is_active) === 1,
  }
}

/**
 * Agent availability and fallback selection: `repo.availability`.
 *
 * @example
 * ```ts
 * await signaldock.availability.markUnavailable('claude', { reason: 'rate limited', forMs: 15 * 60_000 })
 * await signaldock.availability.markDegraded('codex', { reason: 'slow responses' })
 * const choice = await signaldock.availability.selectAgent(['claude', 'codex', 'gemini'], { allowDegraded: true })
 * choice.agentId // 'gemini' if available, else 'codex' (degraded), else null
 * choice.skipped // [{ agentId: 'claude', reason: 'unavailable', detail: 'rate limited', until: '…' }, …]
 * ```
 */
export class AgentAvailabilities {
  readonly #ctx: SignaldockContext

  /** @internal Created by the repository. */
  constructor(ctx: SignaldockContext) {
    this.#ctx = ctx
  }

  /** Records the agent as available. `NOT_FOUND` for an unknown agent. */
  async markAvailable(agentId: string, options: { source?: string } = {}): Promise<AgentAvailability> {
    const slug = validate(AgentSlug, agentId, 'signaldock.availability.markAvailable', this.#ctx.errors)
    return this.#upsert(slug, 'available', null, null, options.source ?? null)
  }

  /**
   * Records the agent as degraded — still usable, but only chosen by
   * `selectAgent` with `allowDegraded` and when no available agent is preferred —
   * until `until` / for `forMs`, or until marked otherwise.
   */
  async markDegraded(agentId: string, input: MarkDegradedInput): Promise<AgentAvailability> {
    const ctx = this.#ctx
    const slug = validate(AgentSlug, agentId, 'signaldock.availability.markDegraded', ctx.errors)
    const parsed = validate(MarkDegradedSchema, input, 'signaldock.availability.markDegraded', ctx.errors)
    if (parsed.until != null && parsed.forMs !== undefined) {
      throw new CleoStoreError('VALIDATION', 'signaldock.availability.markDegraded: give at most one of until and forMs', {
        ...ctx.errors,
        details: { path: ['until'] },
      })
    }
    const until = parsed.forMs !== undefined ? ctx.clock() + parsed.forMs : (parsed.until ?? null)
    return this.#upsert(slug, 'degraded', until, parsed.reason, parsed.source ?? null)
  }

  /** Records the agent as unavailable until `until` (or for `forMs`), with a reason. */
  async markUnavailable(agentId: string, input: MarkUnavailableInput): Promise<AgentAvailability> {
    const ctx = this.#ctx
    const slug = validate(AgentSlug, agentId, 'signaldock.availability.markUnavailable', ctx.errors)
    const parsed = validate(MarkUnavailableSchema, input, 'signaldock.availability.markUnavailable', ctx.errors)
    const until = parsed.forMs !== undefined ? ctx.clock() + parsed.forMs : parsed.until!
    return this.#upsert(slug, 'unavailable', until, parsed.reason, parsed.source ?? null)
  }

  /** The agent's availability now, or null when the slug is not registered. Never writes. */
  async get(agentId: string): Promise<AgentAvailability | null> {
    const ctx = this.#ctx
    const slug = validate(AgentSlug, agentId, 'signaldock.availability.get', ctx.errors)
    const row = await selectRows(ctx.kysely)
      .select(effectiveState(ctx.clock()).as('effective'))
      .where('agents.agent_id', '=', slug)
      .executeTakeFirst()
    return row ? toAvailability(row) : null
  }

  /** The availability of every registered agent, by slug. Never writes. */
  async list(options: ListAvailabilityOptions = {}): Promise<AgentAvailability[]> {
    const ctx = this.#ctx
    const state = options.state === undefined ? undefined : validate(AvailabilityStateSchema, options.state, 'signaldock.availability.list', ctx.errors)
    const effective = effectiveState(ctx.clock())
    let query = selectRows(ctx.kysely).select(effective.as('effective'))
    if (state !== undefined) query = query.where(effective, '=', state)
    const rows = await query.orderBy('agents.agent_id').execute()
    return rows.map(toAvailability)
  }

  /**
   * Chooses an agent from `preferences` (most preferred first): the first one that
   * is registered, active and available now; else, with `allowDegraded`, the first
   * degraded one; else none — `agentId: null`, fail closed. Returns the reason
   * every passed-over agent was skipped. One consistent read; deterministic.
   */
  async selectAgent(preferences: readonly string[], options: SelectAgentOptions = {}): Promise<AgentSelection> {
    const ctx = this.#ctx
    const slugs = validate(AgentPreferences, preferences, 'signaldock.availability.selectAgent', ctx.errors)
    const opts = validate(SelectAgentOptionsSchema, options, 'signaldock.availability.selectAgent', ctx.errors)
    const rows = await selectRows(ctx.kysely)
      .select(effectiveState(ctx.clock()).as('effective'))
      .where('agents.agent_id', 'in', [...new Set(slugs)])
      .execute()
    const candidates = rows.map((row) => {
      const availability = toAvailability(row)
      return {
        agentId: availability.agentId,
        registered: true,
        active: availability.active,
        state: availability.state,
        until: availability.state === 'available' ? null : availability.until,
        reason: availability.state === 'available' ? null : availability.reason,
      }
    })
    return chooseAgent(slugs, candidates, { allowDegraded: opts.allowDegraded ?? false })
  }

  async #upsert(
    slug: string,
    state: AgentAvailabilityState,
    until: number | null,
    reason: string | null,
    source: string | null,
  ): Promise<AgentAvailability> {
    const ctx = this.#ctx
    return transact(ctx, async (trx) => {
      const key = await requireAgentKey(ctx, trx, slug)
      const now = ctx.clock()
      if (until !== null && until <= now) {
        throw new CleoStoreError('VALIDATION', `signaldock.availability: until must be in the future (got ${new Date(until).toISOString()})`, {
          ...ctx.errors,
          details: { path: ['until'] },
        })
      }
      const values = { state, until_at: until, reason, source, updated_at: now }
      await trx
        .insertInto('agent_availability')
        .values({ agent_id: key, ...values })
        .onConflict((oc) => oc.column('agent_id').doUpdateSet(values))
        .execute()
      const row = await selectRows(trx).select(effectiveState(now).as('effective')).where('agents.id', '=', key).executeTakeFirstOrThrow()
      return toAvailability(row)
    })
  }
}

