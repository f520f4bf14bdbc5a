/**
 * conduit.db 0006: the snapshot cache (`snapshot_cache`) and the single-writer leases
 * (`writer_leases`) of the TeleClaude daemon store. Frozen once released: add a new
 * migration instead.
 *
 * - `snapshot_cache`: one row per `data_type:scope_id`, holding a JSON snapshot, its
 *   digest and when it last changed. Freshness is decided at read time from
 *   `updated_at` and a TTL policy (never stored, so a policy change needs no
 *   migration). `snapshot_cache_updated` serves the eviction of the least recently
 *   updated entries; the primary key serves `get`, `put` and invalidation by type.
 * - `writer_leases`: one row per lease name (e.g. `daemon`): the holder, a fencing
 *   token that only grows, the last heartbeat and the expiry. A released lease keeps
 *   its row (so the token keeps growing) with `owner` NULL.
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
