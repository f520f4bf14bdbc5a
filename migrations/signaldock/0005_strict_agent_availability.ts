/**
 * signaldock.db 0005 (issue 17): `agent_availability` becomes `STRICT` on SQLite,
 * so that text can no longer land where epoch milliseconds belong (`until_at`,
 * `updated_at`): an ISO string written by another process used to make reads throw.
 * Same columns, constraints and foreign key; the table is rebuilt. Values already
 * stored as text or real are converted to integer epoch ms; a row whose time
 * cannot be read as a time is dropped (it was unreadable before).
 *
 * PostgreSQL: nothing to do (its `bigint` columns already refuse text).
 * Frozen once released: add a new migration instead.
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

import { isPostgres } from './dialect.js'

/** An epoch-ms INTEGER from whatever a lax SQLite column holds (NULL when unreadable). */
function epochMs(column: string): string {
  return `CASE typeof(${column})
    WHEN 'integer' THEN ${column}
    WHEN 'real' THEN CAST(${column} AS INTEGER)
    WHEN 'text' THEN CASE
      WHEN ${column} GLOB '[0-9]*' AND ${column} NOT GLOB '*[^0-9]*' THEN CAST(${column} AS INTEGER)
      ELSE CAST(round(unixepoch(${column}, 'subsec') * 1000) AS INTEGER) END
    ELSE NULL END`
}

const STATEMENTS = [
  `CREATE TABLE agent_availability_strict (
    agent_id TEXT PRIMARY KEY NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    until_at INTEGER,
    reason TEXT,
    source TEXT,
    updated_at INTEGER NOT NULL,
    CONSTRAINT agent_availability_state_check CHECK (state IN ('available', 'degraded', 'unavailable')),
    CONSTRAINT agent_availability_reason_check CHECK (
      (state = 'available' AND reason IS NULL AND until_at IS NULL)
      OR (state <> 'available' AND reason IS NOT NULL AND length(reason) BETWEEN 1 AND 500)
    ),
    CONSTRAINT agent_availability_until_check CHECK (state <> 'unavailable' OR until_at IS NOT NULL)
  ) STRICT`,
  `INSERT INTO agent_availability_strict (agent_id, state, until_at, reason, source, updated_at)
    SELECT agent_id, state, until_ms, reason, source, updated_ms FROM (
      SELECT agent_id, state, reason, source,
        ${epochMs('until_at')} AS until_ms, until_at AS until_raw,
        ${epochMs('updated_at')} AS updated_ms
      FROM agent_availability
    )
    WHERE updated_ms IS NOT NULL AND (until_raw IS NULL OR until_ms IS NOT NULL)`,
  `DROP TABLE agent_availability`,
  `ALTER TABLE agent_availability_strict RENAME TO agent_availability`,
]

export async function up(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) return
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db)
}
