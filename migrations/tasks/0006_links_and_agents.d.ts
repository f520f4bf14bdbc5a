/**
 * tasks.db 0006: links to external trackers and the registry of running agent
 * instances. Frozen once released: add a new migration instead.
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
