/**
 * conduit.db 0003: versioned, content-addressed attachments.
 * Frozen once released: add a new migration instead.
 *
 * - `attachment_blobs` holds each distinct content once, keyed by its SHA-256 (hex).
 * - `attachment_versions` points every version at a blob; version 1 is the only
 *   `initial` one.
 * - `attachment_approvals`: one row per (attachment, reviewer), naming the version
 *   reviewed (a composite foreign key: the version must exist).
 * - `attachment_contributors`: the per-agent roll-up, kept in the same transaction
 *   as each version.
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
