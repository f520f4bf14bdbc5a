/**
 * Plain types of every conduit.db input (what `conduit.schemas.ts` accepts, before defaults). The root
 * module's types come from here, not from zod; `test/types/conduit.types.test-d.ts` keeps each one
 * equal to its schema.
 *
 * @module
 */
import type { AttachmentFormat, AttachmentMode, ConversationVisibility, MessageContentType } from './conduit.enums.js'
import type { TimeInput } from '../sqlite/time-input.types.js'

/** Input of `conduit.messages.send`. */
export interface SendMessageInput {
  from: string
  content: string
  to?: string | undefined
  conversationId?: string | undefined
  group?: string | undefined
  contentType?: MessageContentType | undefined
  replyTo?: string | undefined
  metadata?: Record<string, unknown> | undefined
  /** A sender-chosen key: sending again with the same key returns the first message. */
  idempotencyKey?: string | undefined
  /** Enqueue one delivery job per recipient in the same transaction. */
  deliver?: boolean | { /** Queue of the delivery jobs (default `MESSAGE_DELIVERY_QUEUE`). */
queue?: string | undefined; /** Attempts before a delivery job is dead-lettered. */
maxAttempts?: number | undefined } | undefined
}

/** Options of `conduit.messages.inbox`. */
export interface InboxOptions {
  /** Start after this cursor (a page's `nextCursor` or `position`); default: the consumer's saved cursor (or the beginning). */
  cursor?: string | undefined
  /** Name of the durable cursor (one agent may have several consumers). */
  consumer?: string | undefined
  /** Only messages created at or after this time. */
  since?: TimeInput | undefined
  conversationId?: string | undefined
  /** Only messages the agent has not marked read. */
  unreadOnly?: boolean | undefined
  limit?: number | undefined
}

/** Options of `conduit.messages.history`. */
export interface MessageHistoryOptions {
  /** Newest first, older than this cursor (a page's `nextCursor`; default: from the newest). */
  cursor?: string | undefined
  limit?: number | undefined
}

/** Input of `conduit.messages.search`. */
export interface MessageSearchInput {
  query: string
  conversationId?: string | undefined
  /** Messages this agent sent or received. */
  agentId?: string | undefined
  /** Messages this agent sent. */
  fromAgentId?: string | undefined
  /** Created at or after. */
  since?: TimeInput | undefined
  /** Created before. */
  until?: TimeInput | undefined
  /** `all` words must match (default) or `any`. */
  mode?: 'any' | 'all' | undefined
  /** Match words as prefixes. */
  prefix?: boolean | undefined
  /** `relevance` (BM25, default) or `recent` (newest first). */
  order?: 'relevance' | 'recent' | undefined
  /**
   * Relevance ranks the newest `rankWindow` matches (default `DEFAULT_SEARCH_RANK_WINDOW`):
   * exact for queries that match fewer messages; larger values cost time in proportion.
   */
  rankWindow?: number | undefined
  limit?: number | undefined
}

/** Input of `conduit.conversations.createGroup`. */
export interface CreateGroupInput {
  createdBy: string
  /** Members besides the creator (who is always a member). */
  participants?: string[] | undefined
  /** Unique name: `send({ group: name })` finds the group by it. */
  name?: string | undefined
  title?: string | undefined
  visibility?: ConversationVisibility | undefined
}

/** Options of `conduit.conversations.list`. */
export interface ConversationListOptions {
  /** Only conversations this agent takes part in. */
  agentId?: string | undefined
  kind?: 'group' | 'direct' | undefined
  limit?: number | undefined
}

/** Input of `conduit.pins.pin`. */
export interface PinMessageInput {
  messageId: string
  agentId: string
  note?: string | undefined
}

/** Input of `conduit.attachments.create`. */
export interface CreateAttachmentInput {
  conversationId: string
  agentId: string
  /** Text (stored as UTF-8) or bytes. */
  content: string | Uint8Array<ArrayBuffer>
  /** Default: a generated UUIDv7. */
  slug?: string | undefined
  title?: string | undefined
  format?: AttachmentFormat | undefined
  /** Token count of the content, if the caller knows it. */
  tokens?: number | undefined
  expiresAt?: TimeInput | undefined
}

/** Input of `conduit.attachments.addVersion`. */
export interface AddAttachmentVersionInput {
  agentId: string
  /** The full new content (also for a patch: conduit stores every version whole). */
  content: string | Uint8Array<ArrayBuffer>
  changeType?: 'patch' | 'full_replace' | undefined
  /** The unified diff the author applied, kept for reviewers. */
  patchText?: string | undefined
  summary?: string | undefined
  sectionsModified?: string[] | undefined
  tokensAdded?: number | undefined
  tokensRemoved?: number | undefined
  /** Optimistic concurrency: refuse with `CONFLICT` unless this is the current version. */
  expectedVersion?: number | undefined
}

/** Input of `conduit.attachments.review`. */
export interface ReviewAttachmentInput {
  reviewerId: string
  status: 'pending' | 'approved' | 'rejected'
  comment?: string | undefined
  /** The version reviewed (default: the current one). */
  version?: number | undefined
}

/** Options of `conduit.attachments.setMode`. */
export interface SetAttachmentModeInput {
  mode: AttachmentMode
  /** For `locked`: require an approval of the current version and no rejection of it. */
  requireApproval?: boolean | undefined
}

/** Input of `conduit.agentRefs.attach`. */
export interface AttachAgentRefInput {
  /** Project-specific role; omitted keeps the stored one, `null` clears it. */
  role?: string | undefined | null
  /** Capability slugs overriding the global ones here; omitted keeps, `null` clears. */
  capabilitiesOverride?: string[] | undefined | null
}

/** Input of `conduit.queue.enqueue`. */
export interface EnqueueJobInput {
  /** Any JSON value. */
  payload: unknown
  queue?: string | undefined
  /** At most one job per (queue, dedupKey) while the job is in the table (until pruned or purged). */
  dedupKey?: string | undefined
  /** Jobs of one partition are spread fairly against other partitions when claimed. */
  partitionKey?: string | undefined
  /** Strict FIFO within the partition: claimable only when every earlier job of the partition is done or dead. */
  ordered?: boolean | undefined
  /** Latest wins: replaces the pending, unclaimed job of the same (queue, coalesceKey). */
  coalesceKey?: string | undefined
  maxAttempts?: number | undefined
  /** Not claimable before now + delayMs. */
  delayMs?: number | undefined
}

/** Options of `conduit.queue.claim`. */
export interface ClaimJobsOptions {
  /** Who holds the lease (a worker id); ack/nack/extend must present it. */
  owner: string
  /** Lease length; after it the job may be claimed again. */
  leaseMs: number
  queue?: string | undefined
}

/** Options of `conduit.queue.nack`. */
export interface NackJobOptions {
  /** What went wrong (stored as `last_error`; truncated to `CONDUIT_LIMITS`.maxErrorLength). */
  error?: string | undefined
  /** `false`: the failure is permanent; dead-letter now with reason `rejected`. */
  retry?: boolean | undefined
  /** Exact delay before the next attempt (e.g. a server's retry-after), instead of the backoff. */
  delayMs?: number | undefined
  backoff?: { baseMs?: number | undefined; maxMs?: number | undefined; jitter?: 'none' | 'equal' | 'full' | undefined } | undefined
}

/** Options of `conduit.queue.prune`. */
export interface PruneJobsOptions {
  /** Delete done jobs finished at least this long ago. */
  olderThanMs: number
  queue?: string | undefined
  /** At most this many rows per call (default 10000), to bound the transaction. */
  limit?: number | undefined
}

/** Options of `conduit.queue.deadLetters`. */
export interface DeadLetterListOptions {
  queue?: string | undefined
  /** Only the dead letters of this message's delivery jobs (`messages.send({ deliver })`). */
  messageId?: string | undefined
  /** Page after this dead-letter id. */
  after?: number | undefined
  limit?: number | undefined
}

/** Options of `conduit.queue.deadLetterHistory`. */
export interface DeadLetterHistoryOptions {
  messageId?: string | undefined
  recipientId?: string | undefined
  jobId?: number | undefined
  queue?: string | undefined
  limit?: number | undefined
  cursor?: string | undefined
}

/** Which dead jobs `replayDeadLetters` / `purgeDeadLetters` act on. */
export interface DeadLetterSelection {
  /** Job ids. */
  jobIds?: number[] | undefined
  queue?: string | undefined
  /** Only jobs dead for at least this long. */
  olderThanMs?: number | undefined
  /** At most this many (default 1000). */
  limit?: number | undefined
}

/** Input of `SnapshotCachePolicySchema` (`cleo-store/schemas`). */
export interface SnapshotCachePolicyInput {
  ttlMs?: Record<string, number | null> | undefined
  defaultTtlMs?: number | undefined | null
  maxEntries?: number | undefined
}

/** Options of `conduit.cache.put`. */
export interface SnapshotPutOptions {
  /** A digest (etag) of the value; default: SHA-256 of its JSON. */
  digest?: string | undefined
}

/** Options of `conduit.leases.acquire`. */
export interface AcquireWriterLeaseOptions {
  /** Who holds it (e.g. `daemon-<host>-<pid>`). */
  owner: string
  /** How long the lease lasts without a heartbeat (default 30 s). */
  ttlMs?: number | undefined
}
