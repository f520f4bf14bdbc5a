/**
 * The TeleClaude daemon store: sessions, hook outbox, UX cleanup, snapshot cache,
 * agent availability and the single-writer lock, over tasks, conduit and signaldock.
 *
 * @module
 */
export { DAEMON_LOCK_NAME, DaemonStore } from './daemon-store.js'
export type { DaemonStores } from './daemon-store.js'
export { DaemonSessions } from './daemon-sessions.js'
export type { DaemonSessionCreateInput, DaemonSessionMetadata } from './daemon-sessions.js'
export { HOOK_ORPHAN_ERROR_PREFIX, HOOK_OUTBOX_QUEUE, HookOutbox } from './hook-outbox.js'
export type { HookDelivery, HookEvent, HookProcessReport } from './hook-outbox.js'
// issue 17: the hook worker never wedges
export { DEFAULT_HOOK_BACKOFF, HOOK_MALFORMED_ERROR_PREFIX, PermanentHookFailure } from './hook-outbox.js'
export { UX_CLEANUP_QUEUE_PREFIX, UxCleanupRegistry, uxCleanupQueue } from './ux-cleanup.js'
export type { PendingDeletion } from './ux-cleanup.js'
export { DaemonLock } from './daemon-lock.js'
export { DaemonAgents } from './daemon-agents.js'
// issue 17: session columns, fencing, commands, CLI availability
export type { DaemonSessionColumns, DaemonSessionListOptions, DaemonSessionUpdate } from './daemon-sessions.js'
export { DAEMON_AGENT_DESCRIPTION } from './daemon-agents.js'
export { DAEMON_COMMAND_QUEUE, DaemonCommands } from './daemon-commands.js'
export { DaemonCommandInputSchema } from './daemon.schemas.js'
export type { DaemonCommand, DaemonCommandDelivery, DaemonCommandInput, DaemonCommandReport } from './daemon-commands.js'
export {
  DaemonClaimSchema,
  DaemonSessionIdSchema,
  DaemonStoreOptionsSchema,
  DEFAULT_CRITICAL_HOOK_EVENTS,
  HookEventInputSchema,
  HookEventTypeSchema,
  RegisterDeletionSchema,
  UX_DELETION_TYPES,
} from './daemon.schemas.js'
export type { DaemonClaimOptions, DaemonStoreOptions, HookEventInput, RegisterDeletionInput, UxDeletionType } from './daemon.schemas.js'
