/**
 * Kysely row types of nexus.db (snake_case columns, as stored).
 *
 * @module
 */

/** `nexus_schema_meta`: the store's key/value metadata. */
export interface NexusSchemaMetaTable {
  key: string
  value: string
  /** Epoch milliseconds. */
  updated_at: number
}

/** `project_registry`: one row per known project. */
export interface ProjectRegistryTable {
  /** Stable id, kept inside the project (tasks.db `schema_meta.project_id`). */
  project_id: string
  /** SHA-256 (hex) of the resolved real path. */
  project_hash: string
  /** Resolved real path of the project directory. */
  project_path: string
  name: string
  health_status: 'unknown' | 'healthy' | 'degraded' | 'unreachable'
  health_reason: string | null
  /** Epoch milliseconds. */
  health_checked_at: number | null
  permissions: 'read' | 'write' | 'execute'
  task_count: number
  /** JSON object of named non-negative counts. */
  stats_json: string
  /** JSON array of strings. */
  labels_json: string
  /** Epoch milliseconds. */
  registered_at: number
  /** Epoch milliseconds. */
  last_seen_at: number
  /** Path of the project's tasks.db (migration 0004). */
  tasks_db_path: string | null
  /** Path of the project's brain.db (migration 0004). */
  brain_db_path: string | null
  /** Epoch ms: when `task_count` was last counted (migration 0004). */
  last_indexed: number | null
  /** Epoch ms: when a workspace last synchronised this row (migration 0004). */
  last_sync: number | null
  /** Epoch milliseconds. */
  updated_at: number
}

/** `nexus_audit_log`: append-only record of cross-project operations. */
export interface NexusAuditLogTable {
  /** UUIDv7. */
  id: string
  /** Epoch milliseconds. */
  occurred_at: number
  action: string
  project_id: string | null
  project_hash: string | null
  domain: string | null
  operation: string | null
  session_id: string | null
  request_id: string | null
  source: string | null
  /** Where the operation came from (migration 0004). */
  gateway: string | null
  /** 0 or 1. */
  success: number
  duration_ms: number | null
  /** JSON object or null. */
  details_json: string | null
  error_message: string | null
}

/** `warp_chains`: one immutable row per chain version. */
export interface WarpChainsTable {
  /** UUIDv7. */
  id: string
  name: string
  version: number
  description: string | null
  /** JSON {@link WarpChainDefinition}. */
  definition_json: string
  /** SHA-256 of the canonical definition JSON. */
  definition_hash: string
  /** Epoch milliseconds. */
  created_at: number
}

/** `warp_chain_instances`: one run of a chain version. */
export interface WarpChainInstancesTable {
  /** UUIDv7. */
  id: string
  chain_id: string
  project_id: string | null
  epic_id: string | null
  status: 'pending' | 'active' | 'completed' | 'failed' | 'cancelled'
  current_stage: string
  /** JSON object. */
  variables_json: string
  /** JSON object: stage id → task reference. */
  stage_tasks_json: string
  /** JSON array of gate results. */
  gate_results_json: string
  status_reason: string | null
  version: number
  /** Epoch milliseconds. */
  created_at: number
  /** Epoch milliseconds. */
  updated_at: number
  /** Epoch milliseconds. */
  started_at: number | null
  /** Epoch milliseconds. */
  finished_at: number | null
}

/** The Kysely database interface of nexus.db. */
export interface NexusDatabase {
  nexus_schema_meta: NexusSchemaMetaTable
  project_registry: ProjectRegistryTable
  nexus_audit_log: NexusAuditLogTable
  warp_chains: WarpChainsTable
  warp_chain_instances: WarpChainInstancesTable
}
