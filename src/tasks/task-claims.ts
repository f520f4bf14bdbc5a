/**
 * Leases on tasks with fencing tokens: `tasks.claims`.
 *
 * @module
 */
import { z } from 'zod'

import { toIso } from '../sqlite/clock.js'
import { template } from '../sqlite/query-template.js'
import type { Step } from '../sqlite/store-engine.js'
import { READY_UNCLAIMED } from './task-dependencies.js'
import type { Task } from './task.types.js'
import type { TaskRow } from './task-rows.js'
import { requireTaskRow, toTask } from './task-rows.js'
import { actorGiven } from './task-claim-guard.js'
import type { Actor, TasksContext, TasksExecutor } from './tasks-context.js'
import type {
  ClaimTaskInput,
  TaskMutationOptions,
} from './tasks.types.js'
import { ClaimTaskSchema, TaskLeaseTtlSchema, TaskMutationOptionsSchema, TaskIdSchema } from './tasks.schemas.js'
import type { TasksDatabase } from './tasks.tables.js'

/**
 * A held lease on a task. Keep `token`: renew, release and fenced writes
 * (`tasks.update(id, patch, { claimToken })`) must present it.
 *
 * @example
 * ```ts
 * const claim: TaskClaim = await tasks.claims.claim('T3', { agent: 'agent-7', ttlMs: 60_000 })
 * claim.token // 1, then 2 for the next claim of T3, …
 * ```
 */
export interface TaskClaim {
  readonly taskId: string
  readonly agent: string
  /** The fencing token: grows by one with every claim of this task, never reused. */
  readonly token: number
  /** ISO-8601 UTC. */
  readonly claimedAt: string
  /** ISO-8601 UTC; renew before this, or another agent may claim the task. */
  readonly expiresAt: string
}

const TAKE = template<TasksDatabase, { id: string; agent: string; now: number; expires: number }>()((db, p) =>
  db
    .updateTable('tasks')
    .set((eb) => ({
      claimed_by: p('agent'),
      claim_token: eb('claim_token', '+', 1),
      claimed_at: p('now'),
      claim_expires_at: p('expires'),
    }))
    .where('id', '=', p('id'))
    .where((eb) => eb.or([eb('claimed_by', 'is', null), eb('claim_expires_at', '<=', p('now')), eb('claimed_by', '=', p('agent'))]))
    .returningAll(),
)

const RENEW = template<TasksDatabase, { id: string; token: number; now: number; expires: number }>()((db, p) =>
  db
    .updateTable('tasks')
    .set({ claim_expires_at: p('expires') })
    .where('id', '=', p('id'))
    .where('claim_token', '=', p('token'))
    .where('claimed_by', 'is not', null)
    .where('claim_expires_at', '>', p('now'))
    .returningAll(),
)

const RELEASE = template<TasksDatabase, { id: string; token: number; now: number }>()((db, p) =>
  db
    .updateTable('tasks')
    .set({ claimed_by: null, claimed_at: null, claim_expires_at: null })
    .where('id', '=', p('id'))
    .where('claim_token', '=', p('token'))
    .where('claimed_by', 'is not', null)
    .where('claim_expires_at', '>', p('now'))
    .returningAll(),
)

function toClaim(row: TaskRow): TaskClaim {
  return {
    taskId: row.id,
    agent: row.claimed_by!,
    token: row.claim_token,
    claimedAt: toIso(row.claimed_at!),
    expiresAt: toIso(row.claim_expires_at!),
  }
}

const TokenSchema = z.number().int().min(1)

/** The audit actor of a claim operation: the named actor, else the claiming agent. */
function claimer(who: Actor, options: unknown, agent: string): Actor {
  return actorGiven(options) ? who : { ...who, actor: agent }
}

/**
 * Task claims, as `tasks.claims`: a lease with an expiry and a fencing token.
 *
 * - `claim` takes a task that is unclaimed or whose lease expired (or that the
 *   same agent holds, which re-issues the lease and invalidates the old token);
 *   another agent's live lease → `CONFLICT`.
 * - Every claim increments the task's token, which never goes back (it survives
 *   release and expiry), so a token identifies one lease for ever.
 * - `renew`, `release` and fenced writes with a token that is not the live lease
 *   → `LEASE_LOST`: an agent that stalled past its expiry learns it lost the task
 *   instead of overwriting the new holder's work.
 * - Time comes from the repository's injected clock.
 *
 * CLEO's claim was a bare `assignee` update with no lease or expiry, so a crashed
 * agent held its tasks for ever. `assignee` stays a plain assignment here.
 *
 * @example
 * ```ts
 * const claim = await tasks.claims.claim('T3', { agent: 'a1', ttlMs: 30_000 })
 * await tasks.claims.renew('T3', claim.token, 30_000)
 * await tasks.update('T3', { status: 'active' }, { claimToken: claim.token })
 * await tasks.claims.release('T3', claim.token)
 * ```
 */
export class TaskClaims {
  readonly #ctx: TasksContext

  /** @internal Created by the repository. */
  constructor(ctx: TasksContext) {
    this.#ctx = ctx
  }

  /**
   * Claims `taskId` for `agent` for `ttlMs`. `NOT_FOUND` for an unknown task,
   * `INVARIANT` for an archived or finished one, `CONFLICT` while another agent's
   * lease is live.
   *
   * @example
   * ```ts
   * const { token, expiresAt } = await tasks.claims.claim('T3', { agent: 'a1', ttlMs: 60_000 })
   * ```
   */
  async claim(taskId: string, input: ClaimTaskInput, options: TaskMutationOptions = {}): Promise<TaskClaim> {
    const ctx = this.#ctx
    const id = ctx.parse(TaskIdSchema, taskId, 'tasks.claims.claim')
    const data = ctx.parse(ClaimTaskSchema, input, 'tasks.claims.claim')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.claims.claim')
    // The claiming agent is the audit actor unless the call names one.
    const who = claimer(ctx.actor(options, 'tasks.claims.claim'), options, data.agent)
    return ctx.engine.write((x) => this.#claim(x, who, id, data.agent, data.ttlMs))
  }

  *#claim(x: TasksExecutor, who: Actor, id: string, agent: string, ttlMs: number): Step<TaskClaim> {
    return yield* this.#take(x, who, yield* requireTaskRow(x, this.#ctx, id), agent, ttlMs)
  }

  /**
   * Finds the first ready task that nobody holds a live claim on (the agent's own
   * claims included, so calling it in a loop hands out new work) and claims it, in
   * one transaction: two agents calling this at once never get the same task. A
   * task that has children (even finished ones) is never handed out: it is a
   * container, not work. On PostgreSQL the pick skips tasks other hosts are
   * claiming at that moment (`FOR UPDATE SKIP LOCKED`, `READ COMMITTED`): claimers on
   * many hosts take disjoint tasks without waiting on each other.
   * `null` when nothing is ready.
   *
   * @example
   * ```ts
   * const next = await tasks.claims.claimNext({ agent: 'a1', ttlMs: 60_000 })
   * if (next) console.log(`working on ${next.task.id} with token ${next.claim.token}`)
   * ```
   */
  async claimNext(input: ClaimTaskInput, options: TaskMutationOptions = {}): Promise<{ task: Task; claim: TaskClaim } | null> {
    const ctx = this.#ctx
    const data = ctx.parse(ClaimTaskSchema, input, 'tasks.claims.claimNext')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.claims.claimNext')
    const who = claimer(ctx.actor(options, 'tasks.claims.claimNext'), options, data.agent)
    // READ COMMITTED on a server: the pick locks its task (FOR UPDATE SKIP LOCKED), so
    // the body needs no serializable retry and never waits on another claimer.
    return ctx.engine.write((x) => this.#claimNext(x, who, data), { isolation: 'read committed' })
  }

  *#claimNext(x: TasksExecutor, who: Actor, data: z.output<typeof ClaimTaskSchema>): Step<{ task: Task; claim: TaskClaim } | null> {
    const ctx = this.#ctx
    const row = yield* x.get(READY_UNCLAIMED, { limit: 1, now: ctx.now(), agent: null })
    if (row === undefined) return null
    const claim = yield* this.#take(x, who, row, data.agent, data.ttlMs)
    return { task: toTask(yield* requireTaskRow(x, ctx, row.id), ctx), claim }
  }

  /**
   * Extends the live lease `token` to `ttlMs` from now. `LEASE_LOST` when the
   * lease expired, was released, or was taken over.
   *
   * @example
   * ```ts
   * await tasks.claims.renew('T3', claim.token, 60_000)
   * ```
   */
  async renew(taskId: string, token: number, ttlMs: number): Promise<TaskClaim> {
    const ctx = this.#ctx
    const id = ctx.parse(TaskIdSchema, taskId, 'tasks.claims.renew')
    const fence = ctx.parse(TokenSchema, token, 'tasks.claims.renew')
    const ttl = ctx.parse(TaskLeaseTtlSchema, ttlMs, 'tasks.claims.renew')
    const row = await ctx.engine.write((x) => this.#renew(x, id, fence, ttl))
    return toClaim(row)
  }

  *#renew(x: TasksExecutor, id: string, fence: number, ttl: number): Step<TaskRow> {
    const ctx = this.#ctx
    const now = ctx.now()
    const renewed = yield* x.get(RENEW, { id, token: fence, now, expires: now + ttl })
    if (renewed === undefined) {
      yield* requireTaskRow(x, ctx, id)
      throw this.#lost(id, fence)
    }
    return renewed
  }

  /**
   * Gives the lease up. `LEASE_LOST` when `token` is not the live lease.
   *
   * @example
   * ```ts
   * await tasks.claims.release('T3', claim.token)
   * ```
   */
  async release(taskId: string, token: number, options: TaskMutationOptions = {}): Promise<void> {
    const ctx = this.#ctx
    const id = ctx.parse(TaskIdSchema, taskId, 'tasks.claims.release')
    const fence = ctx.parse(TokenSchema, token, 'tasks.claims.release')
    ctx.parse(TaskMutationOptionsSchema, options, 'tasks.claims.release')
    const who = ctx.actor(options, 'tasks.claims.release')
    await ctx.engine.write((x) => this.#release(x, id, fence, who, options))
  }

  *#release(x: TasksExecutor, id: string, fence: number, who: Actor, options: TaskMutationOptions): Step<void> {
    const ctx = this.#ctx
    const now = ctx.now()
    const before = yield* requireTaskRow(x, ctx, id)
    const released = yield* x.get(RELEASE, { id, token: fence, now })
    if (released === undefined) throw this.#lost(id, fence)
    yield* ctx.audit(
      x,
      // With the token, the claim's agent releases it unless the call names an actor.
      before.claimed_by === null ? who : claimer(who, options, before.claimed_by),
      { action: 'claim.release', entityType: 'claim', entityId: id, taskId: id, before: toClaim(before) },
      now,
    )
  }

  /**
   * The live lease `token` on `taskId`; `LEASE_LOST` when it is not live.
   *
   * @example
   * ```ts
   * const claim = await tasks.claims.verify('T3', token) // throws LEASE_LOST once it expired
   * ```
   */
  async verify(taskId: string, token: number): Promise<TaskClaim> {
    const ctx = this.#ctx
    const id = ctx.parse(TaskIdSchema, taskId, 'tasks.claims.verify')
    const fence = ctx.parse(TokenSchema, token, 'tasks.claims.verify')
    const row = await ctx.engine.read((x) => requireTaskRow(x, ctx, id))
    if (row.claimed_by === null || row.claim_token !== fence || row.claim_expires_at! <= ctx.now()) throw this.#lost(id, fence)
    return toClaim(row)
  }

  *#take(x: TasksExecutor, who: Actor, current: TaskRow, agent: string, ttlMs: number): Step<TaskClaim> {
    const ctx = this.#ctx
    const now = ctx.now()
    if (current.archived_at !== null) throw ctx.error('INVARIANT', `task ${current.id} is archived and cannot be claimed`, { id: current.id })
    if (current.status === 'done' || current.status === 'cancelled') {
      throw ctx.error('INVARIANT', `task ${current.id} is ${current.status} and cannot be claimed`, { id: current.id })
    }
    const taken = yield* x.get(TAKE, { id: current.id, agent, now, expires: now + ttlMs })
    if (taken === undefined) {
      throw ctx.error(
        'CONFLICT',
        `task ${current.id} is claimed by ${current.claimed_by} until ${toIso(current.claim_expires_at!)}`,
        { id: current.id, claimedBy: current.claimed_by, expiresAt: toIso(current.claim_expires_at!) },
      )
    }
    const previous =
      current.claimed_by === null
        ? null
        : { agent: current.claimed_by, token: current.claim_token, expired: current.claim_expires_at! <= now }
    const claim = toClaim(taken)
    yield* ctx.audit(x, who, { action: 'claim.acquire', entityType: 'claim', entityId: current.id, taskId: current.id, after: claim, details: { previous } }, now)
    return claim
  }

  #lost(id: string, token: number) {
    return this.#ctx.error('LEASE_LOST', `the claim on ${id} with token ${token} is no longer held (expired, released or taken over)`, {
      id,
      token,
    })
  }
}
