/**
 * telemetry.db 0002: telemetry events. Frozen once released: add a new migration instead.
 *
 * An event holds what ran and how it ended — never arguments, paths or content. The
 * CHECKs repeat the input schema's character classes, so even a write that bypasses the
 * repository cannot store a path or free text in the identifier columns.
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE telemetry_events (
    id INTEGER PRIMARY KEY,
    anonymous_id TEXT NOT NULL CHECK (length(anonymous_id) = 36 AND anonymous_id NOT GLOB '*[^0-9a-f-]*'),
    command TEXT NOT NULL CHECK (length(command) BETWEEN 1 AND 100 AND command NOT GLOB '*[^a-z0-9._-]*'),
    domain TEXT NOT NULL CHECK (length(domain) BETWEEN 1 AND 50 AND domain NOT GLOB '*[^a-z0-9_-]*'),
    operation TEXT NOT NULL CHECK (length(operation) BETWEEN 1 AND 50 AND operation NOT GLOB '*[^a-z0-9_-]*'),
    duration_ms INTEGER NOT NULL CHECK (duration_ms BETWEEN 0 AND 86400000),
    exit_code INTEGER NOT NULL CHECK (exit_code BETWEEN 0 AND 255),
    error_code TEXT CHECK (error_code IS NULL OR (length(error_code) BETWEEN 1 AND 64 AND error_code NOT GLOB '*[^A-Z0-9_]*')),
    occurred_at INTEGER NOT NULL
  ) STRICT`.execute(db)
  await sql`CREATE INDEX telemetry_events_occurred ON telemetry_events (occurred_at)`.execute(db)
  await sql`CREATE INDEX telemetry_events_command ON telemetry_events (command, occurred_at)`.execute(db)
}
