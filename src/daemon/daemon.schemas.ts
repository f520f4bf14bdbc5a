/**
 * zod schemas of the TeleClaude daemon store's inputs.
 *
 * @module
 */
import { z } from 'zod'

import type * as Types from './daemon.types.js'

import { SnapshotCachePolicySchema } from '../conduit/conduit.schemas.js'
import { UX_DELETION_TYPES } from './daemon.enums.js'
export { UX_DELETION_TYPES, DEFAULT_CRITICAL_HOOK_EVENTS } from './daemon.enums.js'
export type { UxDeletionType } from './daemon.enums.js'

const NO_CONTROL = /^[^\p{Cc}]+$/u

/** A daemon session id (a tasks.db session id): 1–100 characters, no control characters. */
export const DaemonSessionIdSchema = z.string().min(1).max(100).regex(NO_CONTROL, 'must not contain control characters')

/** A hook event type (`session_start`, `tool_use`, …): 1–64 characters of `[A-Za-z0-9_.-]`. */
export const HookEventTypeSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, "_", "." or "-"')

/**
 * Input of `daemon.hooks.enqueue` (the hook side's INSERT).
 *
 * @example
 * ```ts
 * await daemon.hooks.enqueue({ sessionId, eventType: 'agent_stop', data: { reason: 'done' } })
 * ```
 */
export const HookEventInputSchema = z.strictObject({
  sessionId: DaemonSessionIdSchema,
  eventType: HookEventTypeSchema,
  /** The event's JSON payload. */
  data: z.unknown().optional(),
  /** Force the class of the event; default: critical iff its type is in the outbox's critical list. */
  critical: z.boolean().optional(),
})
/** Input of `daemon.hooks.enqueue`. */
export type HookEventInput = Types.HookEventInput

/**
 * Input of `daemon.cleanup.register`.
 *
 * @example
 * ```ts
 * await daemon.cleanup.register({ sessionId, messageId: '8812', deletionType: 'user_input' })
 * ```
 */
export const RegisterDeletionSchema = z.strictObject({
  sessionId: DaemonSessionIdSchema,
  messageId: z.string().min(1).max(200).regex(NO_CONTROL, 'must not contain control characters'),
  deletionType: z.enum(UX_DELETION_TYPES),
  /** Deletion attempts before giving up (dead letter). Default: the registry's. */
  maxAttempts: z.number().int().min(1).max(1000).optional(),
})
/** Input of `daemon.cleanup.register`. */
export type RegisterDeletionInput = Types.RegisterDeletionInput

/** A worker's claim options (`owner`, batch size, lease). */
export const DaemonClaimSchema = z.strictObject({
  owner: z.string().min(1).max(256).regex(NO_CONTROL, 'must not contain control characters').optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  leaseMs: z.number().int().min(1).max(86_400_000).optional(),
})
/** A worker's claim options. */
export type DaemonClaimOptions = Types.DaemonClaimOptions

/**
 * Options of `DaemonStore.from` / `DaemonStore.of`.
 *
 * @example
 * ```ts
 * DaemonStore.from(ws, { cache: { ttlMs: { computers: 30_000 } }, hooks: { maxAttempts: 20 } })
 * ```
 */
export const DaemonStoreOptionsSchema = z.strictObject({
  /** The snapshot cache's TTL policy (merged over the default matrix). */
  cache: SnapshotCachePolicySchema.partial().optional(),
  hooks: z
    .strictObject({
      /** Event types never coalesced (default {@link DEFAULT_CRITICAL_HOOK_EVENTS}). */
      criticalEvents: z.array(HookEventTypeSchema).max(256).optional(),
      /** Delivery attempts of one event before it is dead-lettered (default 10). */
      maxAttempts: z.number().int().min(1).max(1000).optional(),
      /**
       * Claims of an event whose session is unknown before it is dead-lettered as an
       * orphan (default 3: the session row may be a moment late).
       */
      orphanAttempts: z.number().int().min(1).max(1000).optional(),
      /**
       * Retry delays of a failing event (issue 17): exponential from `baseMs` (default
       * 1000), capped at `maxMs` (default 60 000, TeleClaude's cap), with jitter.
       */
      backoff: z
        .strictObject({
          baseMs: z.number().int().min(0).max(86_400_000).optional(),
          maxMs: z.number().int().min(0).max(86_400_000).optional(),
          jitter: z.enum(['equal', 'full', 'none']).optional(),
        })
        .optional(),
    })
    .optional(),
  cleanup: z
    .strictObject({
      /** Deletion attempts before giving up (default 5). */
      maxAttempts: z.number().int().min(1).max(1000).optional(),
    })
    .optional(),
  sessions: z
    .strictObject({
      /** `sessions.touch` writes at most once per this interval per session (default 1000 ms). */
      touchCoalesceMs: z.number().int().min(0).max(3_600_000).optional(),
    })
    .optional(),
  commands: z
    .strictObject({
      /** Delivery attempts of one command before it is dead-lettered (default 5). */
      maxAttempts: z.number().int().min(1).max(1000).optional(),
    })
    .optional(),
  /** Name of the single-writer lease in conduit.db (default `teleclaude-daemon`). */
  lockName: z.string().min(1).max(128).regex(NO_CONTROL).optional(),
})
/** Options of `DaemonStore.from`. */
export type DaemonStoreOptions = Types.DaemonStoreOptions


/**
 * Input of `daemon.commands.enqueue`.
 *
 * @example
 * ```ts
 * await daemon.commands.enqueue({ command: 'send_keys', args: { text: 'y' }, sessionId, idempotencyKey: 'tg:8812' })
 * ```
 */
export const DaemonCommandInputSchema = z.strictObject({
  /** The command name (`start_session`, `send_keys`, `end_session`, …). */
  command: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, 'must be letters, digits, "_", ".", ":" or "-"'),
  /** The command's JSON arguments. */
  args: z.unknown().optional(),
  /** A session's commands run one after another, in enqueue order. */
  sessionId: DaemonSessionIdSchema.optional(),
  /** A replayed command with the same key is not queued twice (`deduplicated`). */
  idempotencyKey: z.string().min(1).max(256).regex(NO_CONTROL, 'must not contain control characters').optional(),
  /** Delivery attempts before it is dead-lettered (default the store's, 5). */
  maxAttempts: z.number().int().min(1).max(1000).optional(),
  /** Not before this many ms from now. */
  delayMs: z.number().int().min(0).max(365 * 86_400_000).optional(),
})
