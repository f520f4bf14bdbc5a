/**
 * conduit.db 0005: `project_agent_refs` (ADR-037), the project's soft references to
 * global signaldock agents. Frozen once released: add a new migration instead.
 *
 * attach inserts (or re-enables, keeping `attached_at` and `last_used_at`), detach
 * sets `enabled = 0` and `detached_at`, remove deletes the row.
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

const STATEMENTS = [
  `CREATE TABLE project_agent_refs (
    agent_id TEXT PRIMARY KEY NOT NULL CHECK (length(agent_id) BETWEEN 1 AND 128),
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    role TEXT CHECK (role IS NULL OR length(role) BETWEEN 1 AND 128),
    capabilities_override TEXT
      CHECK (capabilities_override IS NULL OR (json_valid(capabilities_override) AND json_type(capabilities_override) = 'array')),
    attached_at INTEGER NOT NULL,
    detached_at INTEGER,
    last_used_at INTEGER,
    updated_at INTEGER NOT NULL,
    CHECK (enabled = 1 OR detached_at IS NOT NULL)
  ) STRICT`,
  `CREATE INDEX project_agent_refs_enabled ON project_agent_refs (agent_id) WHERE enabled = 1`,
]

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db)
}
