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
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

const STATEMENTS = [
  `CREATE TABLE snapshot_cache (
    data_type TEXT NOT NULL CHECK (length(data_type) BETWEEN 1 AND 64 AND instr(data_type, ':') = 0),
    scope_id TEXT NOT NULL CHECK (length(scope_id) BETWEEN 0 AND 512),
    snapshot TEXT NOT NULL CHECK (json_valid(snapshot)),
    digest TEXT NOT NULL CHECK (length(digest) BETWEEN 1 AND 128),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (data_type, scope_id)
  ) STRICT, WITHOUT ROWID`,
  `CREATE INDEX snapshot_cache_updated ON snapshot_cache (updated_at, data_type, scope_id)`,

  `CREATE TABLE writer_leases (
    name TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    owner TEXT CHECK (owner IS NULL OR length(owner) BETWEEN 1 AND 256),
    token INTEGER NOT NULL CHECK (token >= 1),
    acquired_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    CHECK (expires_at >= heartbeat_at OR owner IS NULL)
  ) STRICT`,
]

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db)
}
