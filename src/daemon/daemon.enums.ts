/**
 * Enumerations and defaults of the daemon stores (no zod: the root type graph imports this file).
 *
 * @module
 */

/** TeleClaude's two lanes of pending deletions. */
export const UX_DELETION_TYPES = Object.freeze(['user_input', 'feedback'] as const)

/** One of {@link UX_DELETION_TYPES}. */
export type UxDeletionType = (typeof UX_DELETION_TYPES)[number]

/**
 * TeleClaude's critical hook events: never coalesced, never dropped. Every other
 * type (tool_use, tool_done, …) is bursty: coalesced latest-wins.
 */
export const DEFAULT_CRITICAL_HOOK_EVENTS = Object.freeze([
  'session_start',
  'user_prompt_submit',
  'agent_stop',
  'stop',
  'session_end',
  'error',
  'notification',
] as const)
