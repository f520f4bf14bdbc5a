/**
 * Plain types of every daemon input (what `daemon.schemas.ts` accepts, before defaults). The root
 * module's types come from here, not from zod; `test/types/daemon.types.test-d.ts` keeps each one
 * equal to its schema.
 *
 * @module
 */
import type { UxDeletionType } from './daemon.enums.js'

/** Input of `daemon.hooks.enqueue`. */
export interface HookEventInput {
  sessionId: string
  eventType: string
  /** The event's JSON payload. */
  data?: unknown
  /** Force the class of the event; default: critical iff its type is in the outbox's critical list. */
  critical?: boolean | undefined
}

/** Input of `daemon.cleanup.register`. */
export interface RegisterDeletionInput {
  sessionId: string
  messageId: string
  deletionType: UxDeletionType
  /** Deletion attempts before giving up (dead letter). Default: the registry's. */
  maxAttempts?: number | undefined
}

/** A worker's claim options. */
export interface DaemonClaimOptions {
  owner?: string | undefined
  limit?: number | undefined
  leaseMs?: number | undefined
}

/** Options of `DaemonStore.from`. */
export interface DaemonStoreOptions {
  /** The snapshot cache's TTL policy (merged over the default matrix). */
  cache?: { ttlMs?: Record<string, number | null> | undefined; defaultTtlMs?: number | undefined | null; maxEntries?: number | undefined } | undefined
  hooks?: { /** Event types never coalesced (default `DEFAULT_CRITICAL_HOOK_EVENTS`). */
criticalEvents?: string[] | undefined; /** Delivery attempts of one event before it is dead-lettered (default 10). */
maxAttempts?: number | undefined; /**
 * Claims of an event whose session is unknown before it is dead-lettered as an
 * orphan (default 3: the session row may be a moment late).
 */
orphanAttempts?: number | undefined; /**
 * Retry delays of a failing event (issue 17): exponential from `baseMs` (default
 * 1000), capped at `maxMs` (default 60 000, TeleClaude's cap), with jitter.
 */
backoff?: { baseMs?: number | undefined; maxMs?: number | undefined; jitter?: 'none' | 'equal' | 'full' | undefined } | undefined } | undefined
  cleanup?: { /** Deletion attempts before giving up (default 5). */
maxAttempts?: number | undefined } | undefined
  sessions?: { /** `sessions.touch` writes at most once per this interval per session (default 1000 ms). */
touchCoalesceMs?: number | undefined } | undefined
  commands?: { /** Delivery attempts of one command before it is dead-lettered (default 5). */
maxAttempts?: number | undefined } | undefined
  /** Name of the single-writer lease in conduit.db (default `teleclaude-daemon`). */
  lockName?: string | undefined
}

/** Input of `daemon.commands.enqueue`. */
export interface DaemonCommandInput {
  /** The command name (`start_session`, `send_keys`, `end_session`, …). */
  command: string
  /** The command's JSON arguments. */
  args?: unknown
  /** A session's commands run one after another, in enqueue order. */
  sessionId?: string | undefined
  /** A replayed command with the same key is not queued twice (`deduplicated`). */
  idempotencyKey?: string | undefined
  /** Delivery attempts before it is dead-lettered (default the store's, 5). */
  maxAttempts?: number | undefined
  /** Not before this many ms from now. */
  delayMs?: number | undefined
}
