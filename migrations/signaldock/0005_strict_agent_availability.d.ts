/**
 * signaldock.db 0005 (issue 17): `agent_availability` becomes `STRICT` on SQLite,
 * so that text can no longer land where epoch milliseconds belong (`until_at`,
 * `updated_at`): an ISO string written by another process used to make reads throw.
 * Same columns, constraints and foreign key; the table is rebuilt. Values already
 * stored as text or real are converted to integer epoch ms; a row whose time
 * cannot be read as a time is dropped (it was unreadable before).
 *
 * PostgreSQL: nothing to do (its `bigint` columns already refuse text).
 * Frozen once released: add a new migration instead.
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
