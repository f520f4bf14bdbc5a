/**
 * zod schemas of every public input of conduit.db, and its limits. The repository
 * parses each input with these before anything is written; a failure is a
 * `VALIDATION` error naming the field.
 *
 * @module
 */
import { z } from 'zod'

import type * as Types from './conduit.types.js'

import { timeInput } from '../sqlite/time-input.js'
import { CONDUIT_LIMITS, DEFAULT_MAX_ATTEMPTS, DEFAULT_QUEUE, MESSAGE_DELIVERY_QUEUE, MESSAGE_CONTENT_TYPES, CONVERSATION_VISIBILITIES, DEFAULT_SEARCH_RANK_WINDOW, ATTACHMENT_FORMATS, ATTACHMENT_MODES } from './conduit.enums.js'
export { CONDUIT_LIMITS, DEFAULT_MAX_ATTEMPTS, DEFAULT_QUEUE, MESSAGE_DELIVERY_QUEUE, MESSAGE_CONTENT_TYPES, CONVERSATION_VISIBILITIES, DEFAULT_SEARCH_RANK_WINDOW, ATTACHMENT_FORMATS, ATTACHMENT_MODES } from './conduit.enums.js'
export type { MessageContentType, ConversationVisibility, AttachmentMode, AttachmentFormat } from './conduit.enums.js'

const NO_CONTROL = /^[^\p{Cc}]+$/u

/** An agent id (the signaldock business id, e.g. `cleo-prime`): 1–128 characters, no control characters. */
export const ConduitAgentIdSchema = z.string().min(1).max(128).regex(NO_CONTROL, 'must not contain control characters')

/** An id of a conversation or message (a UUIDv7 when created by conduit). */
export const ConduitIdSchema = z.string().min(1).max(128)

/** A queue (topic) name: 1–128 characters, no control characters. */
export const QueueNameSchema = z.string().min(1).max(128).regex(NO_CONTROL, 'must not contain control characters')

const KeySchema = z.string().min(1).max(256)

/** A point in time: an ISO-8601 string with offset, or a `Date`; becomes epoch ms. */
export const ConduitTimeSchema = timeInput

/** An opaque inbox/page cursor returned by a previous call. */
export const ConduitCursorSchema = z.string().regex(/^\d{1,16}$/, 'is not a cursor returned by conduit')

const pageSize = (fallback: number) => z.int().min(1).max(CONDUIT_LIMITS.maxPageSize).default(fallback)

/** Per-message delivery options of {@link SendMessageSchema}. */
export const MessageDeliveryOptionsSchema = z.strictObject({
  /** Queue of the delivery jobs (default {@link MESSAGE_DELIVERY_QUEUE}). */
  queue: QueueNameSchema.default(MESSAGE_DELIVERY_QUEUE),
  /** Attempts before a delivery job is dead-lettered. */
  maxAttempts: z.int().min(1).max(1000).default(DEFAULT_MAX_ATTEMPTS),
})

/**
 * Input of `conduit.messages.send`. Exactly one target: `to` (an agent: the direct
 * conversation of the pair is found or created), `conversationId`, or `group` (the
 * name of a group conversation).
 */
export const SendMessageSchema = z
  .strictObject({
    from: ConduitAgentIdSchema,
    to: ConduitAgentIdSchema.optional(),
    conversationId: ConduitIdSchema.optional(),
    group: z.string().min(1).max(128).optional(),
    content: z.string().min(1),
    contentType: z.enum(MESSAGE_CONTENT_TYPES).default('text'),
    replyTo: ConduitIdSchema.optional(),
    metadata: z.record(z.string(), z.unknown()).default({}),
    /** A sender-chosen key: sending again with the same key returns the first message. */
    idempotencyKey: KeySchema.optional(),
    /** Enqueue one delivery job per recipient in the same transaction. */
    deliver: z.union([z.boolean(), MessageDeliveryOptionsSchema]).default(false),
  })
  .superRefine((input, ctx) => {
    const targets = (['to', 'conversationId', 'group'] as const).filter((key) => input[key] !== undefined)
    if (targets.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: targets.length === 0 ? ['to'] : [targets[1]!],
        message: 'give exactly one of to, conversationId or group',
      })
    }
    if (input.to !== undefined && input.to === input.from) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'a direct message needs two different agents' })
    }
  })
/** Input of `conduit.messages.send`. */
export type SendMessageInput = Types.SendMessageInput

/** Options of `conduit.messages.inbox`. */
export const InboxOptionsSchema = z.strictObject({
  /** Start after this cursor (a page's `nextCursor` or `position`); default: the consumer's saved cursor (or the beginning). */
  cursor: ConduitCursorSchema.optional(),
  /** Name of the durable cursor (one agent may have several consumers). */
  consumer: z.string().min(1).max(128).default('default'),
  /** Only messages created at or after this time. */
  since: ConduitTimeSchema.optional(),
  conversationId: ConduitIdSchema.optional(),
  /** Only messages the agent has not marked read. */
  unreadOnly: z.boolean().default(false),
  limit: pageSize(50),
})
/** Options of `conduit.messages.inbox`. */
export type InboxOptions = Types.InboxOptions

/** Options of `conduit.messages.history`. */
export const MessageHistoryOptionsSchema = z.strictObject({
  /** Newest first, older than this cursor (a page's `nextCursor`; default: from the newest). */
  cursor: ConduitCursorSchema.optional(),
  limit: pageSize(50),
})
/** Options of `conduit.messages.history`. */
export type MessageHistoryOptions = Types.MessageHistoryOptions

/** Input of `conduit.messages.search`. Any `query` string is safe. */
export const MessageSearchSchema = z.strictObject({
  query: z.string(),
  conversationId: ConduitIdSchema.optional(),
  /** Messages this agent sent or received. */
  agentId: ConduitAgentIdSchema.optional(),
  /** Messages this agent sent. */
  fromAgentId: ConduitAgentIdSchema.optional(),
  /** Created at or after. */
  since: ConduitTimeSchema.optional(),
  /** Created before. */
  until: ConduitTimeSchema.optional(),
  /** `all` words must match (default) or `any`. */
  mode: z.enum(['all', 'any']).default('all'),
  /** Match words as prefixes. */
  prefix: z.boolean().default(false),
  /** `relevance` (BM25, default) or `recent` (newest first). */
  order: z.enum(['relevance', 'recent']).default('relevance'),
  /**
   * Relevance ranks the newest `rankWindow` matches (default {@link DEFAULT_SEARCH_RANK_WINDOW}):
   * exact for queries that match fewer messages; larger values cost time in proportion.
   */
  rankWindow: z.int().min(1).max(1_000_000).default(DEFAULT_SEARCH_RANK_WINDOW),
  limit: z.int().min(1).max(200).default(20),
})
/** Input of `conduit.messages.search`. */
export type MessageSearchInput = Types.MessageSearchInput

/** Input of `conduit.conversations.createGroup`. */
export const CreateGroupSchema = z.strictObject({
  createdBy: ConduitAgentIdSchema,
  /** Members besides the creator (who is always a member). */
  participants: z.array(ConduitAgentIdSchema).max(1000).default([]),
  /** Unique name: `send({ group: name })` finds the group by it. */
  name: z.string().min(1).max(128).optional(),
  title: z.string().max(512).optional(),
  visibility: z.enum(CONVERSATION_VISIBILITIES).default('private'),
})
/** Input of `conduit.conversations.createGroup`. */
export type CreateGroupInput = Types.CreateGroupInput

/** Options of `conduit.conversations.list`. */
export const ConversationListSchema = z.strictObject({
  /** Only conversations this agent takes part in. */
  agentId: ConduitAgentIdSchema.optional(),
  kind: z.enum(['direct', 'group']).optional(),
  limit: pageSize(50),
})
/** Options of `conduit.conversations.list`. */
export type ConversationListOptions = Types.ConversationListOptions

/** Input of `conduit.pins.pin`. */
export const PinMessageSchema = z.strictObject({
  messageId: ConduitIdSchema,
  agentId: ConduitAgentIdSchema,
  note: z.string().max(2000).optional(),
})
/** Input of `conduit.pins.pin`. */
export type PinMessageInput = Types.PinMessageInput

const AttachmentContentSchema = z.union([z.string(), z.instanceof(Uint8Array)])
const TokenCountSchema = z.int().min(0).max(Number.MAX_SAFE_INTEGER)

/** A slug: lower-case letters, digits, `.`, `_`, `-`; 1–128 characters. */
export const AttachmentSlugSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, ".", "_" or "-"')

/** Input of `conduit.attachments.create`. */
export const CreateAttachmentSchema = z.strictObject({
  /** Default: a generated UUIDv7. */
  slug: AttachmentSlugSchema.optional(),
  conversationId: ConduitIdSchema,
  agentId: ConduitAgentIdSchema,
  title: z.string().max(512).optional(),
  format: z.enum(ATTACHMENT_FORMATS).default('text'),
  /** Text (stored as UTF-8) or bytes. */
  content: AttachmentContentSchema,
  /** Token count of the content, if the caller knows it. */
  tokens: TokenCountSchema.default(0),
  expiresAt: ConduitTimeSchema.optional(),
})
/** Input of `conduit.attachments.create`. */
export type CreateAttachmentInput = Types.CreateAttachmentInput

/** Input of `conduit.attachments.addVersion`. */
export const AddAttachmentVersionSchema = z.strictObject({
  agentId: ConduitAgentIdSchema,
  /** The full new content (also for a patch: conduit stores every version whole). */
  content: AttachmentContentSchema,
  changeType: z.enum(['patch', 'full_replace']).default('full_replace'),
  /** The unified diff the author applied, kept for reviewers. */
  patchText: z.string().optional(),
  summary: z.string().max(2000).optional(),
  sectionsModified: z.array(z.string().max(256)).max(256).default([]),
  tokensAdded: TokenCountSchema.default(0),
  tokensRemoved: TokenCountSchema.default(0),
  /** Optimistic concurrency: refuse with `CONFLICT` unless this is the current version. */
  expectedVersion: z.int().min(1).optional(),
})
/** Input of `conduit.attachments.addVersion`. */
export type AddAttachmentVersionInput = Types.AddAttachmentVersionInput

/** Input of `conduit.attachments.review`. */
export const ReviewAttachmentSchema = z.strictObject({
  reviewerId: ConduitAgentIdSchema,
  status: z.enum(['pending', 'approved', 'rejected']),
  comment: z.string().max(4000).optional(),
  /** The version reviewed (default: the current one). */
  version: z.int().min(1).optional(),
})
/** Input of `conduit.attachments.review`. */
export type ReviewAttachmentInput = Types.ReviewAttachmentInput

/** Options of `conduit.attachments.setMode`. */
export const SetAttachmentModeSchema = z.strictObject({
  mode: z.enum(ATTACHMENT_MODES),
  /** For `locked`: require an approval of the current version and no rejection of it. */
  requireApproval: z.boolean().default(false),
})
/** Options of `conduit.attachments.setMode`. */
export type SetAttachmentModeInput = Types.SetAttachmentModeInput

/** Input of `conduit.agentRefs.attach`. */
export const AttachAgentRefSchema = z.strictObject({
  /** Project-specific role; omitted keeps the stored one, `null` clears it. */
  role: z.string().min(1).max(128).nullable().optional(),
  /** Capability slugs overriding the global ones here; omitted keeps, `null` clears. */
  capabilitiesOverride: z.array(z.string().min(1).max(128)).max(256).nullable().optional(),
})
/** Input of `conduit.agentRefs.attach`. */
export type AttachAgentRefInput = Types.AttachAgentRefInput

/** Input of `conduit.queue.enqueue`. */
export const EnqueueJobSchema = z
  .strictObject({
    queue: QueueNameSchema.default(DEFAULT_QUEUE),
    /** Any JSON value. */
    payload: z.unknown(),
    /** At most one job per (queue, dedupKey) while the job is in the table (until pruned or purged). */
    dedupKey: KeySchema.optional(),
    /** Jobs of one partition are spread fairly against other partitions when claimed. */
    partitionKey: KeySchema.optional(),
    /** Strict FIFO within the partition: claimable only when every earlier job of the partition is done or dead. */
    ordered: z.boolean().default(false),
    /** Latest wins: replaces the pending, unclaimed job of the same (queue, coalesceKey). */
    coalesceKey: KeySchema.optional(),
    maxAttempts: z.int().min(1).max(1000).default(DEFAULT_MAX_ATTEMPTS),
    /** Not claimable before now + delayMs. */
    delayMs: z.int().min(0).max(365 * 24 * 60 * 60 * 1000).default(0),
  })
  .superRefine((input, ctx) => {
    if (input.ordered && input.partitionKey === undefined) {
      ctx.addIssue({ code: 'custom', path: ['partitionKey'], message: 'ordered jobs need a partitionKey' })
    }
  })
/** Input of `conduit.queue.enqueue`. */
export type EnqueueJobInput = Types.EnqueueJobInput

/** Options of `conduit.queue.claim`. */
export const ClaimJobsSchema = z.strictObject({
  queue: QueueNameSchema.default(DEFAULT_QUEUE),
  /** Who holds the lease (a worker id); ack/nack/extend must present it. */
  owner: z.string().min(1).max(256),
  /** Lease length; after it the job may be claimed again. */
  leaseMs: z.int().min(1).max(CONDUIT_LIMITS.maxLeaseMs),
})
/** Options of `conduit.queue.claim`. */
export type ClaimJobsOptions = Types.ClaimJobsOptions

/** How many jobs one `claim` may lease. */
export const ClaimLimitSchema = z.int().min(1).max(CONDUIT_LIMITS.maxClaimBatch)

/** A lease as returned by `claim`: the fencing credentials of one claim of one job. */
export const JobLeaseSchema = z.object({
  jobId: z.int().min(1),
  owner: z.string().min(1).max(256),
  token: z.int().min(1),
})

/** Backoff overrides of one `nack`. */
export const QueueBackoffSchema = z.strictObject({
  baseMs: z.int().min(0).max(CONDUIT_LIMITS.maxLeaseMs).optional(),
  maxMs: z.int().min(0).max(CONDUIT_LIMITS.maxLeaseMs).optional(),
  jitter: z.enum(['equal', 'full', 'none']).optional(),
})

/** Options of `conduit.queue.nack`. */
export const NackJobSchema = z.strictObject({
  /** What went wrong (stored as `last_error`; truncated to {@link CONDUIT_LIMITS}.maxErrorLength). */
  error: z.string().optional(),
  /** `false`: the failure is permanent; dead-letter now with reason `rejected`. */
  retry: z.boolean().default(true),
  /** Exact delay before the next attempt (e.g. a server's retry-after), instead of the backoff. */
  delayMs: z.int().min(0).max(365 * 24 * 60 * 60 * 1000).optional(),
  backoff: QueueBackoffSchema.optional(),
})
/** Options of `conduit.queue.nack`. */
export type NackJobOptions = Types.NackJobOptions

/** Options of `conduit.queue.prune`. */
export const PruneJobsSchema = z.strictObject({
  queue: QueueNameSchema.optional(),
  /** Delete done jobs finished at least this long ago. */
  olderThanMs: z.int().min(0),
  /** At most this many rows per call (default 10000), to bound the transaction. */
  limit: z.int().min(1).max(1_000_000).default(10_000),
})
/** Options of `conduit.queue.prune`. */
export type PruneJobsOptions = Types.PruneJobsOptions

/** Options of `conduit.queue.deadLetters`. */
export const DeadLetterListSchema = z.strictObject({
  queue: QueueNameSchema.optional(),
  /** Only the dead letters of this message's delivery jobs (`messages.send({ deliver })`). */
  messageId: z.string().min(1).max(128).optional(),
  /** Page after this dead-letter id. */
  after: z.int().min(0).optional(),
  limit: pageSize(100),
})
/** Options of `conduit.queue.deadLetters`. */
export type DeadLetterListOptions = Types.DeadLetterListOptions

/**
 * Options of `conduit.queue.deadLetterHistory`.
 *
 * @example
 * ```ts
 * DeadLetterHistorySchema.parse({ messageId: 'm1', limit: 20 })
 * ```
 */
export const DeadLetterHistorySchema = z.strictObject({
  messageId: z.string().min(1).max(128).optional(),
  recipientId: z.string().min(1).max(128).optional(),
  jobId: z.int().min(1).optional(),
  queue: QueueNameSchema.optional(),
  limit: pageSize(100),
  cursor: z.string().min(1).max(64).optional(),
})
/** Options of `conduit.queue.deadLetterHistory`. */
export type DeadLetterHistoryOptions = Types.DeadLetterHistoryOptions

/** Which dead jobs `replayDeadLetters` / `purgeDeadLetters` act on (give at least one filter). */
export const DeadLetterSelectionSchema = z
  .strictObject({
    /** Job ids. */
    jobIds: z.array(z.int().min(1)).max(10_000).optional(),
    queue: QueueNameSchema.optional(),
    /** Only jobs dead for at least this long. */
    olderThanMs: z.int().min(0).optional(),
    /** At most this many (default 1000). */
    limit: z.int().min(1).max(100_000).default(1000),
  })
  .superRefine((input, ctx) => {
    if (input.jobIds === undefined && input.queue === undefined) {
      ctx.addIssue({ code: 'custom', path: ['queue'], message: 'give jobIds or a queue' })
    }
  })
/** Which dead jobs `replayDeadLetters` / `purgeDeadLetters` act on. */
export type DeadLetterSelection = Types.DeadLetterSelection

/** A snapshot cache data type: 1–64 characters, no `:` (it separates the key). */
export const SnapshotDataTypeSchema = z.string().min(1).max(64).regex(/^[^:\p{Cc}]+$/u, 'must not contain ":" or control characters')

/** A snapshot cache key, `data_type:scope_id` (the scope may be empty and may contain `:`). */
export const SnapshotKeySchema = z
  .string()
  .max(577)
  .regex(/^[^:\p{Cc}]{1,64}:[^\p{Cc}]{0,512}$/u, 'must be "data_type:scope_id"')

/**
 * The TTL policy of a snapshot cache: milliseconds per data type; `null` means never
 * stale (event-driven data such as sessions), `0` always stale. Types not listed use
 * `defaultTtlMs`. `maxEntries` bounds the table (least recently updated evicted).
 */
export const SnapshotCachePolicySchema = z.strictObject({
  ttlMs: z.record(SnapshotDataTypeSchema, z.number().int().min(0).max(365 * 86_400_000).nullable()).default({}),
  defaultTtlMs: z.number().int().min(0).max(365 * 86_400_000).nullable().default(300_000),
  maxEntries: z.number().int().min(1).max(10_000_000).default(10_000),
})
/** Input of {@link SnapshotCachePolicySchema}. */
export type SnapshotCachePolicyInput = Types.SnapshotCachePolicyInput

/** Options of `conduit.cache.put`. */
export const SnapshotPutSchema = z.strictObject({
  /** A digest (etag) of the value; default: SHA-256 of its JSON. */
  digest: z.string().min(1).max(128).optional(),
})
/** Options of `conduit.cache.put`. */
export type SnapshotPutOptions = Types.SnapshotPutOptions

/** A writer lease name: 1–128 characters, no control characters. */
export const WriterLeaseNameSchema = z.string().min(1).max(128).regex(NO_CONTROL, 'must not contain control characters')

/** Options of `conduit.leases.acquire`. */
export const AcquireWriterLeaseSchema = z.strictObject({
  /** Who holds it (e.g. `daemon-<host>-<pid>`). */
  owner: z.string().min(1).max(256).regex(NO_CONTROL, 'must not contain control characters'),
  /** How long the lease lasts without a heartbeat (default 30 s). */
  ttlMs: z.number().int().min(1).max(86_400_000).default(30_000),
})
/** Options of `conduit.leases.acquire`. */
export type AcquireWriterLeaseOptions = Types.AcquireWriterLeaseOptions

/** The fencing credentials of a writer lease, as given back to heartbeat and release. */
export const WriterLeaseFenceSchema = z.object({
  name: WriterLeaseNameSchema,
  owner: z.string().min(1).max(256),
  token: z.number().int().min(1),
})
