/**
 * tasks.db 0004: the audit log and token usage. Frozen once released: add a new
 * migration instead.
 *
 * The audit log is written by the repository in the same transaction as the
 * mutation it records, so a row exists exactly when the mutation committed (CLEO
 * wrote it fire-and-forget and dropped invalid rows). Its `task_id` and
 * `session_id` are deliberately soft references: history outlives what it
 * describes. Timestamps are INTEGER epoch ms, so retention compares numbers (CLEO
 * compared mixed-format strings).
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
