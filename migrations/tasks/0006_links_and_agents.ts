/**
 * tasks.db 0006: links to external trackers and the registry of running agent
 * instances. Frozen once released: add a new migration instead.
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

const STATEMENTS: readonly string[] = [
  `CREATE TABLE external_task_links (
    id TEXT PRIMARY KEY CHECK (length(id) > 0),
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL CHECK (length(provider_id) BETWEEN 1 AND 100),
    external_id TEXT NOT NULL CHECK (length(external_id) BETWEEN 1 AND 500),
    external_url TEXT,
    external_title TEXT,
    link_type TEXT NOT NULL DEFAULT 'manual' CHECK (link_type IN ('created', 'matched', 'manual', 'transferred')),
    sync_direction TEXT NOT NULL DEFAULT 'inbound' CHECK (sync_direction IN ('inbound', 'outbound', 'bidirectional')),
    metadata_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata_json) AND json_type(metadata_json) = 'object'),
    linked_at INTEGER NOT NULL,
    last_sync_at INTEGER,
    UNIQUE (task_id, provider_id, external_id)
  ) STRICT`,
  'CREATE INDEX external_task_links_external_idx ON external_task_links (provider_id, external_id)',

  `CREATE TABLE agent_instances (
    id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
    agent_type TEXT NOT NULL CHECK (agent_type IN (
      'orchestrator', 'executor', 'researcher', 'architect', 'validator', 'documentor', 'custom')),
    status TEXT NOT NULL DEFAULT 'starting' CHECK (status IN ('starting', 'active', 'idle', 'error', 'crashed', 'stopped')),
    session_id TEXT REFERENCES sessions (id) ON DELETE SET NULL,
    task_id TEXT REFERENCES tasks (id) ON DELETE SET NULL,
    parent_agent_id TEXT REFERENCES agent_instances (id) ON DELETE SET NULL,
    started_at INTEGER NOT NULL,
    last_heartbeat INTEGER NOT NULL,
    stopped_at INTEGER,
    error_count INTEGER NOT NULL DEFAULT 0 CHECK (error_count >= 0),
    total_tasks_completed INTEGER NOT NULL DEFAULT 0 CHECK (total_tasks_completed >= 0),
    capacity REAL NOT NULL DEFAULT 1.0 CHECK (capacity >= 0 AND capacity <= 1),
    metadata_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata_json) AND json_type(metadata_json) = 'object'),
    CHECK ((status IN ('stopped', 'crashed')) = (stopped_at IS NOT NULL)),
    CHECK (parent_agent_id IS NULL OR parent_agent_id <> id)
  ) STRICT`,
  'CREATE INDEX agent_instances_status_idx ON agent_instances (status, last_heartbeat)',
  'CREATE INDEX agent_instances_type_idx ON agent_instances (agent_type, started_at)',
  'CREATE INDEX agent_instances_session_idx ON agent_instances (session_id) WHERE session_id IS NOT NULL',
  'CREATE INDEX agent_instances_task_idx ON agent_instances (task_id) WHERE task_id IS NOT NULL',
  'CREATE INDEX agent_instances_parent_idx ON agent_instances (parent_agent_id) WHERE parent_agent_id IS NOT NULL',
]

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db)
}
