/** tasks.db 0001: the store's meta table. Frozen once released: add a new migration instead. */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
