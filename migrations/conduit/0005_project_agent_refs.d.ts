/**
 * conduit.db 0005: `project_agent_refs` (ADR-037), the project's soft references to
 * global signaldock agents. Frozen once released: add a new migration instead.
 *
 * attach inserts (or re-enables, keeping `attached_at` and `last_used_at`), detach
 * sets `enabled = 0` and `detached_at`, remove deletes the row.
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
