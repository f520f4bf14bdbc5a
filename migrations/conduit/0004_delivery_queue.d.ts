/**
 * conduit.db 0004: the durable delivery queue (`delivery_jobs`) and its dead-letter
 * history (`dead_letters`). Frozen once released: add a new migration instead.
 *
 * One table serves every queue (the `queue` column): message delivery, a hook
 * outbox, deferred deletions. The partial indexes match the repository's queries
 * term for term (their predicates are literals in the SQL, never parameters, so the
 * planner can use them):
 * - `delivery_jobs_ready`: the claim scan over pending jobs, due ones in (available_at, id) order
 *   (leased jobs are not in it, so in-flight work costs a claim nothing);
 * - `delivery_jobs_partition`: the strict-FIFO head check per partition;
 * - `delivery_jobs_leases`: expired leases to reclaim after a crash;
 * - `delivery_jobs_finished`: pruning and counting done/dead jobs;
 * - `delivery_jobs_dedup`: at most one job per dedup key and queue;
 * - `delivery_jobs_coalesce`: at most one pending job per coalesce key and queue.
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
