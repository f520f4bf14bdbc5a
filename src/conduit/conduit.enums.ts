/**
 * Enumerations, limits and defaults of conduit.db (no zod: the root type graph imports this file).
 *
 * @module
 */

/**
 * Size limits of conduit.db. Content over a limit is refused with `VALIDATION`
 * (`details.limit` and `details.size` in bytes), before anything is written.
 *
 * @example
 * ```ts
 * if (Buffer.byteLength(text) > CONDUIT_LIMITS.maxMessageBytes) splitIntoParts(text)
 * ```
 */
export const CONDUIT_LIMITS = Object.freeze({
  /** A message's content, UTF-8 bytes (256 KiB). */
  maxMessageBytes: 256 * 1024,
  /** A message's metadata, as JSON, UTF-8 bytes (16 KiB). */
  maxMetadataBytes: 16 * 1024,
  /** One attachment version's content, bytes (8 MiB). */
  maxAttachmentBytes: 8 * 1024 * 1024,
  /** A patch text stored with an attachment version, UTF-8 bytes (1 MiB). */
  maxPatchBytes: 1024 * 1024,
  /** A delivery job's payload, as JSON, UTF-8 bytes (1 MiB). */
  maxJobPayloadBytes: 1024 * 1024,
  /** A stored error text of a job (longer ones are truncated, not refused). */
  maxErrorLength: 4000,
  /** Largest page of any list. */
  maxPageSize: 500,
  /** Largest claim batch. */
  maxClaimBatch: 1000,
  /** Longest lease, in ms (24 h). */
  maxLeaseMs: 24 * 60 * 60 * 1000,
})

/** Default attempts of a delivery job before it is dead-lettered (CLEO's value). */
export const DEFAULT_MAX_ATTEMPTS = 6

/** The queue jobs go to when none is named. */
export const DEFAULT_QUEUE = 'default'

/** The queue `send({ deliver: true })` enqueues one job per recipient into. */
export const MESSAGE_DELIVERY_QUEUE = 'conduit.delivery'

/** Message content types (CLEO's, plus `markdown` and `json`). */
export const MESSAGE_CONTENT_TYPES = ['text', 'markdown', 'json', 'image', 'file', 'video', 'audio', 'link', 'rich_text', 'mixed'] as const

/** One of {@link MESSAGE_CONTENT_TYPES}. */
export type MessageContentType = (typeof MESSAGE_CONTENT_TYPES)[number]

/** Conversation visibility (CLEO's values). */
export const CONVERSATION_VISIBILITIES = ['private', 'public', 'shared'] as const

/** One of {@link CONVERSATION_VISIBILITIES}. */
export type ConversationVisibility = (typeof CONVERSATION_VISIBILITIES)[number]

/** Matches ranked by a relevance search unless `rankWindow` says otherwise. */
export const DEFAULT_SEARCH_RANK_WINDOW = 5000

/** Attachment formats. */
export const ATTACHMENT_FORMATS = ['text', 'markdown', 'json', 'yaml', 'code', 'binary'] as const

/** Attachment lifecycle: draft → review → locked → archived. */
export const ATTACHMENT_MODES = ['draft', 'review', 'locked', 'archived'] as const

/** One of {@link ATTACHMENT_MODES}. */
export type AttachmentMode = (typeof ATTACHMENT_MODES)[number]

/** One of {@link ATTACHMENT_FORMATS}. */
export type AttachmentFormat = (typeof ATTACHMENT_FORMATS)[number]
