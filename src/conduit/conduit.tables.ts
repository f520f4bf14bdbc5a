/**
 * Kysely row types of conduit.db (snake_case columns, as stored). Timestamps are
 * INTEGER epoch milliseconds; booleans are INTEGER 0/1; JSON columns are TEXT.
 *
 * @module
 */
import type { Generated } from 'kysely'

/** `conduit_schema_meta`: the store's key/value metadata. */
export interface ConduitSchemaMetaTable {
  key: string
  value: string
  /** Epoch milliseconds. */
  updated_at: number
}

/** `conversations`: a direct (two agents) or group conversation. */
export interface ConversationsTable {
  id: string
  kind: 'direct' | 'group'
  /** Canonical JSON of the sorted pair, for direct conversations only (UNIQUE). */
  direct_key: string | null
  /** Unique name of a group conversation (`send({ group })` finds it by name). */
  name: string | null
  title: string | null
  visibility: Generated<'private' | 'public' | 'shared'>
  created_by: string
  message_count: Generated<number>
  last_message_at: number | null
  created_at: number
  updated_at: number
}

/** `conversation_participants`: the only place participants are stored. */
export interface ConversationParticipantsTable {
  conversation_id: string
  agent_id: string
  joined_at: number
}

/** `messages`. `seq` is the FTS rowid and the inbox cursor position. */
export interface MessagesTable {
  seq: Generated<number>
  id: string
  conversation_id: string
  from_agent_id: string
  content: string
  content_type: Generated<string>
  reply_to: string | null
  idempotency_key: string | null
  /** JSON object. */
  metadata: Generated<string>
  created_at: number
}

/** `message_recipients`: per-recipient delivered/read/acked state. */
export interface MessageRecipientsTable {
  agent_id: string
  message_seq: number
  delivered_at: number | null
  read_at: number | null
  acked_at: number | null
}

/** `inbox_cursors`: a consumer's durable position in an agent's inbox. */
export interface InboxCursorsTable {
  agent_id: string
  consumer: string
  position: number
  updated_at: number
}

/** `message_pins`: one pin per (message, pinner). */
export interface MessagePinsTable {
  message_id: string
  pinned_by: string
  conversation_id: string
  note: string | null
  created_at: number
}

/** `messages_fts`: external-content FTS5 index over `messages.content`. */
export interface MessagesFtsTable {
  rowid: number
  content: string
  /** The FTS5 hidden column named like the table (MATCH target, commands). */
  messages_fts: string
  /** FTS5 hidden rank column (bm25 by default). */
  rank: number
}

/** `attachment_blobs`: content-addressed bytes (SHA-256 hex). */
export interface AttachmentBlobsTable {
  hash: string
  content: Uint8Array
  size: number
  created_at: number
}

/** `attachments`: a versioned document shared in a conversation. */
export interface AttachmentsTable {
  slug: string
  conversation_id: string
  from_agent_id: string
  title: string | null
  format: Generated<string>
  mode: Generated<'draft' | 'review' | 'locked' | 'archived'>
  current_version: Generated<number>
  expires_at: number | null
  created_at: number
  updated_at: number
}

/** `attachment_versions`. */
export interface AttachmentVersionsTable {
  slug: string
  version_number: number
  author_agent_id: string
  change_type: 'initial' | 'patch' | 'full_replace'
  content_hash: string
  patch_text: string | null
  change_summary: string | null
  /** JSON array of heading names. */
  sections_modified: Generated<string>
  tokens_added: Generated<number>
  tokens_removed: Generated<number>
  created_at: number
}

/** `attachment_approvals`: one row per (attachment, reviewer). */
export interface AttachmentApprovalsTable {
  slug: string
  reviewer_agent_id: string
  status: 'pending' | 'approved' | 'rejected'
  comment: string | null
  version_reviewed: number
  created_at: number
  updated_at: number
}

/** `attachment_contributors`: per-agent roll-up of versions. */
export interface AttachmentContributorsTable {
  slug: string
  agent_id: string
  version_count: number
  total_tokens_added: number
  total_tokens_removed: number
  first_contribution_at: number
  last_contribution_at: number
}

/** `delivery_jobs`: the durable queue, every queue in one table. */
export interface DeliveryJobsTable {
  id: Generated<number>
  queue: string
  /** JSON. */
  payload: string
  status: 'pending' | 'leased' | 'done' | 'dead'
  partition_key: string | null
  /** 0/1: strict FIFO within the partition. */
  ordered: number
  dedup_key: string | null
  coalesce_key: string | null
  attempts: number
  max_attempts: number
  available_at: number
  lease_owner: string | null
  /** Fencing token: incremented by every claim, never reset. */
  lease_token: number
  lease_expires_at: number | null
  last_error: string | null
  created_at: number
  updated_at: number
  finished_at: number | null
  /** The message a `send({ deliver })` job delivers (migration 0009; soft reference). */
  message_id: Generated<string | null>
  /** The recipient it delivers to (migration 0009). */
  recipient_id: Generated<string | null>
  /**
   * The guarded-transition column (migration 0008): a writer leaving a lease (ack,
   * nack, dead-letter) sets it to the job's current `lease_token`; a trigger refuses
   * the change otherwise.
   */
  fence_token: number | null
}

/**
 * `dead_letter_history` (migration 0009): every dead letter ever written, kept when
 * its job is pruned, replayed or purged.
 */
export interface DeadLetterHistoryTable {
  /** The dead letter's id. */
  id: number
  job_id: number
  queue: string
  message_id: string | null
  recipient_id: string | null
  reason: 'max_attempts' | 'lease_expired' | 'rejected'
  error: string | null
  attempts: number
  dead_at: number
  replayed_at: number | null
}

/** `dead_letters`: why and when a job died; `replayed_at` once it was replayed. */
export interface DeadLettersTable {
  id: Generated<number>
  job_id: number
  reason: 'max_attempts' | 'lease_expired' | 'rejected'
  error: string | null
  attempts: number
  dead_at: number
  replayed_at: number | null
}

/** `project_agent_refs` (ADR-037): soft references to global signaldock agents. */
export interface ProjectAgentRefsTable {
  agent_id: string
  enabled: number
  role: string | null
  /** JSON array of capability slugs. */
  capabilities_override: string | null
  attached_at: number
  detached_at: number | null
  last_used_at: number | null
  updated_at: number
}

/** The Kysely database interface of conduit.db. */
/** `snapshot_cache`: one JSON snapshot per `data_type:scope_id` (migration 0006). */
export interface SnapshotCacheTable {
  data_type: string
  scope_id: string
  snapshot: string
  digest: string
  updated_at: number
  /** When the entry was last confirmed current (migration 0008); freshness is computed from it. */
  checked_at: number | null
}

/** `writer_leases`: cross-process single-writer leases with fencing tokens (migration 0006). */
export interface WriterLeasesTable {
  name: string
  owner: string | null
  token: number
  acquired_at: number
  heartbeat_at: number
  expires_at: number
}

export interface ConduitDatabase {
  conduit_schema_meta: ConduitSchemaMetaTable
  conversations: ConversationsTable
  conversation_participants: ConversationParticipantsTable
  messages: MessagesTable
  message_recipients: MessageRecipientsTable
  inbox_cursors: InboxCursorsTable
  message_pins: MessagePinsTable
  messages_fts: MessagesFtsTable
  attachment_blobs: AttachmentBlobsTable
  attachments: AttachmentsTable
  attachment_versions: AttachmentVersionsTable
  attachment_approvals: AttachmentApprovalsTable
  attachment_contributors: AttachmentContributorsTable
  delivery_jobs: DeliveryJobsTable
  dead_letters: DeadLettersTable
  dead_letter_history: DeadLetterHistoryTable
  project_agent_refs: ProjectAgentRefsTable
  snapshot_cache: SnapshotCacheTable
  writer_leases: WriterLeasesTable
  // issue 17: the TeleClaude daemon's remaining data (migration 0008)
  daemon_settings: DaemonSettingsTable
  voice_assignments: VoiceAssignmentsTable
}

/** `daemon_settings`: the daemon's system settings, key → JSON value (migration 0008). */
export interface DaemonSettingsTable {
  key: string
  /** JSON. */
  value: string
  created_at: number
  updated_at: number
}

/** `voice_assignments`: the TTS voice of a session (or native session id) (migration 0008). */
export interface VoiceAssignmentsTable {
  id: string
  service_name: string
  voice: string
  assigned_at: number
}
