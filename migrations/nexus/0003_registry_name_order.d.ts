/**
 * nexus.db 0003: `projects.list()` pages the registry ordered by name, then id;
 * this index serves that order (it sorted the whole table for every page; found by
 * the query-plan test, test/perf/query-plans.test.ts). Frozen once released.
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
