/**
 * signaldock.db 0003: indexes on the three foreign-key columns that had none
 * (`sessions.impersonated_by`, `sessions.active_organization_id`,
 * `claim_codes.used_by`). Without them every delete of a user or organization
 * scanned those tables for rows to set null (found by the query-plan
 * test, test/perf/query-plans.test.ts). Frozen once released.
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
