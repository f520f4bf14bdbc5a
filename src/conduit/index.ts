/**
 * `cleo-store/conduit`: the conduit.db repository, its aggregates, schemas and types.
 *
 * @module
 */
export { ConduitRepository } from './conduit-repository.js'
export type { ConduitRepositoryOptions } from './conduit-repository.js'
export type * from './conduit.tables.js'
export { CONDUIT_STORE } from './conduit.store.js'

export {
  AddAttachmentVersionSchema,
  ATTACHMENT_FORMATS,
  ATTACHMENT_MODES,
  AttachAgentRefSchema,
  AttachmentSlugSchema,
  ClaimJobsSchema,
  ClaimLimitSchema,
  CONDUIT_LIMITS,
  ConduitAgentIdSchema,
  ConduitCursorSchema,
  ConduitIdSchema,
  ConduitTimeSchema,
  CONVERSATION_VISIBILITIES,
  ConversationListSchema,
  CreateAttachmentSchema,
  CreateGroupSchema,
  DeadLetterListSchema,
  DeadLetterSelectionSchema,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_QUEUE,
  DEFAULT_SEARCH_RANK_WINDOW,
  EnqueueJobSchema,
  InboxOptionsSchema,
  JobLeaseSchema,
  MESSAGE_CONTENT_TYPES,
  MESSAGE_DELIVERY_QUEUE,
  MessageDeliveryOptionsSchema,
  MessageHistoryOptionsSchema,
  MessageSearchSchema,
  NackJobSchema,
  PinMessageSchema,
  PruneJobsSchema,
  QueueBackoffSchema,
  QueueNameSchema,
  ReviewAttachmentSchema,
  SendMessageSchema,
  SetAttachmentModeSchema,
} from './conduit.schemas.js'
export type {
  AddAttachmentVersionInput,
  AttachAgentRefInput,
  AttachmentFormat,
  AttachmentMode,
  ClaimJobsOptions,
  ConversationListOptions,
  ConversationVisibility,
  CreateAttachmentInput,
  CreateGroupInput,
  DeadLetterListOptions,
  DeadLetterSelection,
  EnqueueJobInput,
  InboxOptions,
  MessageContentType,
  MessageHistoryOptions,
  MessageSearchInput,
  NackJobOptions,
  PinMessageInput,
  PruneJobsOptions,
  ReviewAttachmentInput,
  SendMessageInput,
  SetAttachmentModeInput,
} from './conduit.schemas.js'

export { ProjectAgentRefs, readProjectAgentRefs } from './project-agent-refs.js'
export type { ProjectAgentRef } from './project-agent-refs.js'
export { Conversations, directConversationKey } from './conversations.js'
export type { Conversation } from './conversations.js'
export { Messages } from './messages.js'
export type { ConduitMessage, MessageDeliveryPayload, MessagePage, MessageSearchHit, SentMessage } from './messages.js'
export { Inbox } from './inbox.js'
export type { InboxPage, InboxMessage, MessageReceipt } from './inbox.js'
export { MessagePins } from './message-pins.js'
export type { MessagePin } from './message-pins.js'
export { ATTACHMENT_MODE_TRANSITIONS, Attachments } from './attachments.js'
export type { AttachmentApproval, AttachmentContributor, AttachmentVersion, ConduitAttachment } from './attachments.js'
export { DeliveryQueue } from './delivery-queue.js'
export { CLAIM_FAIRNESS_FACTOR, CLAIM_FAIRNESS_MAX_WINDOW, CLAIM_FAIRNESS_MIN_WINDOW } from './delivery-queue.queries.js'
export type {
  ClaimedJob,
  DeadLetter,
  DeadLetterReason,
  DeliveryJob,
  DeliveryJobStatus,
  EnqueueResult,
  JobLease,
  NackResult,
  QueueStats,
  ReplayResult,
} from './delivery-queue.js'
export { DEFAULT_QUEUE_BACKOFF, queueRetryDelay } from './queue-backoff.js'
export type { QueueBackoffPolicy } from './queue-backoff.js'
export { DEFAULT_SNAPSHOT_COOLDOWN_MS, DEFAULT_SNAPSHOT_POLICY, SNAPSHOT_MAX_BYTES, SnapshotCache } from './snapshot-cache.js'
export type {
  SnapshotCachePolicy,
  SnapshotEntry,
  SnapshotPutResult,
  SnapshotRefreshOutcome,
  SnapshotRevalidation,
  SnapshotState,
} from './snapshot-cache.js'
export { WriterLeases } from './writer-leases.js'
export type { WriterLease, WriterLeaseState } from './writer-leases.js'
export {
  AcquireWriterLeaseSchema,
  SnapshotCachePolicySchema,
  SnapshotDataTypeSchema,
  SnapshotKeySchema,
  SnapshotPutSchema,
  WriterLeaseFenceSchema,
  WriterLeaseNameSchema,
} from './conduit.schemas.js'
export type { AcquireWriterLeaseOptions, SnapshotCachePolicyInput, SnapshotPutOptions } from './conduit.schemas.js'
// Deliveries tied to messages (issue 16): dead-letter history
export type { DeadLetterRecord } from './delivery-queue.js'
export { DeadLetterHistorySchema } from './conduit.schemas.js'
export type { DeadLetterHistoryOptions } from './conduit.schemas.js'

// issue 17: the daemon's settings, voice assignments, stale cache entries and writer-lease fences
export { DAEMON_SETTING_MAX_BYTES, DaemonSettings, DEFAULT_VOICE_TTL_MS, VoiceAssignments } from './daemon-data.js'
export type { DaemonSetting, VoiceAssignment } from './daemon-data.js'
export type { StaleSnapshot } from './snapshot-cache.js'
export type { WriterLeaseFence } from './writer-leases.js'

// Wake-ups (issue 20): what conduit.inbox.wait and conduit.queue.wait take and return
export type { WaitOptions, WaitResult } from '../sqlite/change-watch.js'
