/**
 * conduit.db 0007: `conversations.list()` pages conversations by recency
 * (`coalesce(last_message_at, created_at) DESC, id DESC`); this expression index
 * serves that order, so a page no longer scans and sorts every conversation (found
 * by the query-plan test, test/perf/query-plans.test.ts). Frozen once released.
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
