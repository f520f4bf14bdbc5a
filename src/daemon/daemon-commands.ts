/**
 * The daemon's durable command queue (issue 17) on conduit's delivery queue.
 *
 * @module
 */
import { hostname } from 'node:os'

import { z } from 'zod'

import type * as Types from './daemon.types.js'

import type { ConduitRepository } from '../conduit/conduit-repository.js'
import type { ClaimedJob, DeadLetter, EnqueueResult, NackResult, QueueStats, ReplayResult } from '../conduit/delivery-queue.js'
import type { QueueBackoffPolicy } from '../conduit/queue-backoff.js'
import { isCleoStoreError } from '../sqlite/errors.js'
import type { ErrorContext } from '../sqlite/errors.js'
import { validate } from '../sqlite/validate.js'
import type {
  DaemonClaimOptions,
} from './daemon.types.js'
import { DaemonClaimSchema, DaemonSessionIdSchema } from './daemon.schemas.js'
import { DaemonCommandInputSchema } from './daemon.schemas.js'

/** The conduit queue of the daemon's commands. */
export const DAEMON_COMMAND_QUEUE = 'daemon-commands'

/** Input of `daemon.commands.enqueue`. */
export type DaemonCommandInput = Types.DaemonCommandInput

/** A command as stored (the job payload). */
export interface DaemonCommand<A = unknown> {
  readonly command: string
  readonly args: A | null
  readonly sessionId: string | null
}

/** A claimed command handed to the handler. */
export interface DaemonCommandDelivery<A = unknown> {
  readonly jobId: number
  readonly command: DaemonCommand<A>
  /** 1 on the first try. */
  readonly attempt: number
  readonly enqueuedAt: string
}

/** What one `process` pass did. */
export interface DaemonCommandReport {
  readonly claimed: number
  readonly done: number
  readonly retried: number
  /** Failed for the last time, or permanently (`permanent: true`), or malformed: dead-lettered. */
  readonly dead: number
  /** The lease was lost meanwhile (another daemon took the command over). */
  readonly lost: number
}

const CommandPayloadSchema = z.object({
  command: DaemonCommandInputSchema.shape.command,
  args: z.unknown().optional().transform((value) => value ?? null),
  sessionId: DaemonSessionIdSchema.nullable().optional().transform((value) => value ?? null),
})

/**
 * The durable command queue, as `daemon.commands` (TeleClaude's "command queue
 * entries for durable execution"): one conduit queue, `daemon-commands`. At least once,
 * in order per session (ordered partition by session id; commands without a session
 * run unordered), deduplicated by `idempotencyKey`, retried with the hook outbox's
 * capped backoff, dead-lettered after `maxAttempts` or at once when the handler
 * throws an error with `permanent: true` (e.g. `PermanentHookFailure`) or the stored
 * command is malformed. A lost lease is counted, never thrown.
 *
 * @example
 * ```ts
 * await daemon.commands.enqueue({ command: 'end_session', sessionId })
 * await daemon.commands.process(async ({ command }) => dispatch(command), { owner: 'daemon-1' })
 * ```
 */
export class DaemonCommands {
  readonly #conduit: ConduitRepository
  readonly #maxAttempts: number
  readonly #backoff: QueueBackoffPolicy
  readonly #context: ErrorContext

  /** @internal Use `daemon.commands`. */
  constructor(conduit: ConduitRepository, options: { maxAttempts: number; backoff: QueueBackoffPolicy }, context: ErrorContext) {
    this.#conduit = conduit
    this.#maxAttempts = options.maxAttempts
    this.#backoff = options.backoff
    this.#context = context
  }

  /**
   * Queues a command (one transaction). With `idempotencyKey`, a command already
   * queued under that key is returned instead (`deduplicated`).
   *
   * @example
   * ```ts
   * const { outcome } = await daemon.commands.enqueue({ command: 'restart_agent', sessionId, idempotencyKey: 'r-1' })
   * ```
   */
  async enqueue<A = unknown>(input: DaemonCommandInput): Promise<EnqueueResult<DaemonCommand<A>>> {
    const data = validate(DaemonCommandInputSchema, input, 'daemon.commands.enqueue', this.#context)
    const payload: DaemonCommand = { command: data.command, args: data.args ?? null, sessionId: data.sessionId ?? null }
    return this.#conduit.queue.enqueue<DaemonCommand<A>>({
      queue: DAEMON_COMMAND_QUEUE,
      payload,
      maxAttempts: data.maxAttempts ?? this.#maxAttempts,
      ...(data.sessionId === undefined ? {} : { partitionKey: data.sessionId, ordered: true }),
      ...(data.idempotencyKey === undefined ? {} : { dedupKey: data.idempotencyKey }),
      ...(data.delayMs === undefined ? {} : { delayMs: data.delayMs }),
    })
  }

  /**
   * One pass: claims up to `limit` due commands and runs `handler` on each, one after
   * another; acks, retries (capped backoff) or dead-letters each.
   *
   * @example
   * ```ts
   * const report = await daemon.commands.process(run, { owner: 'daemon-1', limit: 10 })
   * ```
   */
  async process<A = unknown>(
    handler: (delivery: DaemonCommandDelivery<A>) => unknown,
    options: DaemonClaimOptions = {},
  ): Promise<DaemonCommandReport> {
    const opts = validate(DaemonClaimSchema, options, 'daemon.commands.process', this.#context)
    const jobs = await this.#conduit.queue.claim(opts.limit ?? 25, {
      queue: DAEMON_COMMAND_QUEUE,
      owner: opts.owner ?? `daemon-${hostname()}-${process.pid}`,
      leaseMs: opts.leaseMs ?? 60_000,
    })
    const report = { claimed: jobs.length, done: 0, retried: 0, dead: 0, lost: 0 }
    for (const job of jobs) report[await this.#handle(job, handler)]++
    return report
  }

  async #handle<A>(job: ClaimedJob<unknown>, handler: (delivery: DaemonCommandDelivery<A>) => unknown): Promise<'done' | 'retried' | 'dead' | 'lost'> {
    const parsed = CommandPayloadSchema.safeParse(job.payload)
    if (!parsed.success) {
      return this.#nack(job, { retry: false, error: `malformed: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ')}` })
    }
    try {
      await handler({ jobId: job.id, command: parsed.data as DaemonCommand<A>, attempt: job.attempts, enqueuedAt: job.createdAt })
    } catch (error) {
      const permanent = typeof error === 'object' && error !== null && (error as { permanent?: unknown }).permanent === true
      return this.#nack(job, { retry: !permanent, error: error instanceof Error ? error.message : String(error) })
    }
    try {
      await this.#conduit.queue.ack(job.lease)
      return 'done'
    } catch (error) {
      if (isCleoStoreError(error) && (error.code === 'LEASE_LOST' || error.code === 'NOT_FOUND')) return 'lost'
      throw error
    }
  }

  async #nack(job: ClaimedJob<unknown>, options: { retry: boolean; error: string }): Promise<'retried' | 'dead' | 'lost' | 'done'> {
    let result: NackResult
    try {
      result = await this.#conduit.queue.nack(job.lease, { ...options, backoff: this.#backoff })
    } catch (error) {
      if (isCleoStoreError(error) && (error.code === 'LEASE_LOST' || error.code === 'NOT_FOUND')) return 'lost'
      throw error
    }
    return result.outcome === 'retry' ? 'retried' : result.outcome === 'dead' ? 'dead' : 'done'
  }

  /**
   * Dead-lettered commands, oldest first (page with `after`).
   *
   * @example
   * ```ts
   * for (const letter of await daemon.commands.deadLetters()) console.log(letter.job.payload.command, letter.error)
   * ```
   */
  async deadLetters<A = unknown>(options: { after?: number; limit?: number } = {}): Promise<Array<DeadLetter<DaemonCommand<A>>>> {
    return this.#conduit.queue.deadLetters<DaemonCommand<A>>({ queue: DAEMON_COMMAND_QUEUE, ...options })
  }

  /**
   * Makes dead commands pending again (attempts reset).
   *
   * @example
   * ```ts
   * await daemon.commands.replay()
   * ```
   */
  async replay(options: { jobIds?: number[] } = {}): Promise<ReplayResult> {
    return this.#conduit.queue.replayDeadLetters({ queue: DAEMON_COMMAND_QUEUE, ...options })
  }

  /**
   * Depth, lag and dead count of the command queue.
   *
   * @example
   * ```ts
   * const { depth } = await daemon.commands.stats()
   * ```
   */
  async stats(): Promise<QueueStats> {
    return this.#conduit.queue.stats(DAEMON_COMMAND_QUEUE)
  }
}
