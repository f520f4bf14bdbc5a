/**
 * tasks.db 0004: the audit log and token usage. Frozen once released: add a new
 * migration instead.
 *
 * The audit log is written by the repository in the same transaction as the
 * mutation it records, so a row exists exactly when the mutation committed (CLEO
 * wrote it fire-and-forget and dropped invalid rows). Its `task_id` and
 * `session_id` are deliberately soft references: history outlives what it
 * describes. Timestamps are INTEGER epoch ms, so retention compares numbers (CLEO
 * compared mixed-format strings).
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

const STATEMENTS: readonly string[] = [
  `CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp INTEGER NOT NULL,
    action TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    entity_type TEXT NOT NULL CHECK (entity_type IN (
      'task', 'dependency', 'relation', 'claim', 'session', 'lifecycle', 'manifest', 'release', 'adr',
      'external_link', 'agent_instance', 'audit')),
    entity_id TEXT NOT NULL,
    task_id TEXT,
    actor TEXT NOT NULL DEFAULT 'system' CHECK (length(actor) BETWEEN 1 AND 200),
    session_id TEXT,
    request_id TEXT,
    before_json TEXT CHECK (before_json IS NULL OR json_valid(before_json)),
    after_json TEXT CHECK (after_json IS NULL OR json_valid(after_json)),
    details_json TEXT CHECK (details_json IS NULL OR json_valid(details_json))
  ) STRICT`,
  'CREATE INDEX audit_log_task_idx ON audit_log (task_id, id) WHERE task_id IS NOT NULL',
  'CREATE INDEX audit_log_session_idx ON audit_log (session_id, id) WHERE session_id IS NOT NULL',
  'CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, id)',
  'CREATE INDEX audit_log_timestamp_idx ON audit_log (timestamp)',

  `CREATE TABLE token_usage (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at INTEGER NOT NULL,
    provider TEXT NOT NULL DEFAULT 'unknown' CHECK (length(provider) > 0),
    model TEXT,
    transport TEXT NOT NULL DEFAULT 'unknown' CHECK (transport IN ('cli', 'api', 'agent', 'unknown')),
    gateway TEXT,
    domain TEXT,
    operation TEXT,
    session_id TEXT REFERENCES sessions (id) ON DELETE SET NULL,
    task_id TEXT REFERENCES tasks (id) ON DELETE SET NULL,
    request_id TEXT,
    input_chars INTEGER NOT NULL DEFAULT 0 CHECK (input_chars >= 0),
    output_chars INTEGER NOT NULL DEFAULT 0 CHECK (output_chars >= 0),
    input_tokens INTEGER NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
    output_tokens INTEGER NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
    total_tokens INTEGER NOT NULL DEFAULT 0 CHECK (total_tokens >= input_tokens + output_tokens),
    method TEXT NOT NULL DEFAULT 'heuristic' CHECK (method IN ('otel', 'provider_api', 'tokenizer', 'heuristic')),
    confidence TEXT NOT NULL DEFAULT 'coarse' CHECK (confidence IN ('real', 'high', 'estimated', 'coarse')),
    request_hash TEXT,
    response_hash TEXT,
    metadata_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata_json) AND json_type(metadata_json) = 'object')
  ) STRICT`,
  'CREATE INDEX token_usage_created_idx ON token_usage (created_at)',
  'CREATE INDEX token_usage_session_idx ON token_usage (session_id, created_at) WHERE session_id IS NOT NULL',
  'CREATE INDEX token_usage_task_idx ON token_usage (task_id, created_at) WHERE task_id IS NOT NULL',
  'CREATE INDEX token_usage_model_idx ON token_usage (model, created_at)',
]

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db)
}
