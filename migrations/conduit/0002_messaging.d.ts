/**
 * conduit.db 0002: conversations, their participants, messages, per-recipient state,
 * durable inbox cursors, pins, and the message FTS5 index with its triggers.
 * Frozen once released: add a new migration instead.
 *
 * - Participants are stored one way only: rows of `conversation_participants`
 *   (read back sorted by the primary key). A direct conversation also carries
 *   `direct_key`, the canonical JSON of its sorted pair, under a UNIQUE constraint so
 *   one pair can never get two direct conversations, whatever the concurrency.
 * - `messages.seq` (AUTOINCREMENT, never reused) is the FTS rowid and the inbox
 *   cursor position.
 * - `messages_fts` is an external-content FTS5 table kept current by triggers; it is
 *   created here and never rebuilt when the store opens.
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
