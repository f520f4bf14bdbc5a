/**
 * tasks.db 0002: the task graph — tasks, dependencies, typed relations, sessions,
 * work history, the seeded status registry, full-text search over tasks, and the
 * task id counter. Frozen once released: add a new migration instead.
 *
 * What CLEO only typed is enforced here: every enum is a CHECK; the epic → task →
 * subtask rules are triggers; a relation's type is part of its key; the work
 * history has at most one open row per session; a second *exclusive* open session
 * per scope is refused by a partial UNIQUE index; timestamps are INTEGER epoch ms.
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
