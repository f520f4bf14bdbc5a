/**
 * CLEO's global stores → cleo-store's (issue 18): nexus.db's project registry and
 * audit log; signaldock.db's agents, capabilities, skills and their bindings.
 *
 * Credentials: CLEO's `api_key_encrypted` holds key material sealed (or derived) with
 * CLEO's own machine key; it cannot be re-sealed by cleo-store without the plaintext,
 * so such agents are imported without it and marked `requires_reauth` (as CLEO's own
 * T310 migration does). The same for a `webhook_secret`. No secret is ever quoted in
 * a report.
 *
 * @module
 */
import type { DatabaseSync } from 'node:sqlite'

import { projectPathHash, resolveProjectPath } from '../nexus/project-path.js'
import { AGENT_CLASSES } from '../signaldock/signaldock.enums.js'
import type { TableReport, ImportWriter } from './cleo-import-rows.js'
import { bool, cleoTime, int, jsonArray, jsonObject, oneOf, skip, startTable, text } from './cleo-import-rows.js'

/** CLEO nexus tables this version does not bring over, and why. */
export const CLEO_NEXUS_NOT_IMPORTED: Readonly<Record<string, string>> = Object.freeze({
  nexus_nodes: "CLEO's code-intelligence graph is derived from the source; re-index it",
  nexus_relations: "CLEO's code-intelligence graph is derived from the source; re-index it",
  nexus_contracts: "CLEO's code-intelligence graph is derived from the source; re-index it",
})

/** CLEO signaldock tables this version does not bring over, and why. */
export const CLEO_SIGNALDOCK_NOT_IMPORTED: Readonly<Record<string, string>> = Object.freeze({
  users: 'cloud-account mirror (empty locally); accounts are not carried between installations',
  accounts: 'cloud-account tokens cannot be re-sealed',
  sessions: 'cloud-account sessions expire; sign in again',
  verifications: 'short-lived verification codes',
  organization: 'cloud-account mirror (empty locally)',
  claim_codes: 'short-lived claim codes',
  org_agent_keys: 'cloud-account mirror (empty locally)',
  agent_connections: 'runtime connection state',
})

function leftBehind(cleo: DatabaseSync, reports: TableReport[], tables: Readonly<Record<string, string>>): void {
  for (const [name, why] of Object.entries(tables)) {
    const left = startTable(cleo, reports, name, null)
    if (left) for (const row of left.rows) skip(left.report, text(row['id']) ?? '?', `not imported: ${why}`)
  }
}

/** Imports CLEO's nexus.db into the staging (or existing) store behind `writer`. */
export function importCleoNexus(cleo: DatabaseSync, writer: ImportWriter, reports: TableReport[], now: number): void {
  const projects = startTable(cleo, reports, 'project_registry', 'project_registry')
  if (projects) {
    for (const row of projects.rows) {
      const id = text(row['project_id']) ?? '?'
      const recorded = text(row['project_path'])
      if (recorded === null) {
        skip(projects.report, id, 'no project path')
        continue
      }
      // cleo-store hashes the resolved path (CLEO hashed the path as passed).
      const path = resolveProjectPath(recorded)
      const registered = cleoTime(row['registered_at']) ?? now
      const lastSeen = cleoTime(row['last_seen']) ?? registered
      const stats = jsonObject(row['stats_json'])
      const labels = jsonArray(row['labels_json'])
      writer.insert(projects.report, id, 'project_registry', {
        project_id: id,
        project_hash: projectPathHash(path),
        project_path: path,
        name: text(row['name']) ?? id,
        health_status: oneOf(row['health_status'], ['unknown', 'healthy', 'degraded', 'unreachable'] as const) ?? 'unknown',
        health_reason: null,
        health_checked_at: cleoTime(row['health_last_check']),
        permissions: oneOf(row['permissions'], ['read', 'write', 'execute'] as const) ?? 'read',
        task_count: Math.max(0, int(row['task_count']) ?? 0),
        stats_json: stats ?? '{}',
        labels_json: labels ?? '[]',
        registered_at: registered,
        last_seen_at: lastSeen,
        updated_at: Math.max(lastSeen, cleoTime(row['last_sync']) ?? lastSeen),
        tasks_db_path: text(row['tasks_db_path']),
        brain_db_path: text(row['brain_db_path']),
        last_indexed: cleoTime(row['last_indexed']),
        last_sync: cleoTime(row['last_sync']),
      })
    }
  }
  const audit = startTable(cleo, reports, 'nexus_audit_log', 'nexus_audit_log')
  if (audit) {
    for (const row of audit.rows) {
      const id = text(row['id']) ?? '?'
      const details = jsonObject(row['details_json'])
      const ms = int(row['duration_ms'])
      writer.insert(audit.report, id, 'nexus_audit_log', {
        id,
        occurred_at: cleoTime(row['timestamp']) ?? now,
        action: text(row['action']) ?? 'unknown',
        project_id: text(row['project_id']),
        project_hash: text(row['project_hash']),
        domain: text(row['domain']),
        operation: text(row['operation']),
        session_id: text(row['session_id']),
        request_id: text(row['request_id']),
        source: text(row['source']),
        success: bool(row['success']) ?? 1,
        duration_ms: ms === null || ms < 0 ? null : ms,
        details_json: row['details_json'] == null ? null : (details ?? JSON.stringify({ cleoDetails: text(row['details_json']) })),
        error_message: text(row['error_message']),
        gateway: text(row['gateway']),
      })
    }
  }
  leftBehind(cleo, reports, CLEO_NEXUS_NOT_IMPORTED)
}

function sha256Hex(value: unknown): string | null {
  const v = text(value)
  return v !== null && /^[0-9a-f]{64}$/i.test(v) ? v.toLowerCase() : null
}

/** Imports CLEO's signaldock.db into the staging (or existing) store behind `writer`. */
export function importCleoSignaldock(cleo: DatabaseSync, writer: ImportWriter, reports: TableReport[], now: number): void {
  const agents = startTable(cleo, reports, 'agents', 'agents')
  if (agents) {
    for (const row of agents.rows) {
      const key = text(row['agent_id']) ?? text(row['id']) ?? '?'
      const created = cleoTime(row['created_at']) ?? now
      const sealed = text(row['api_key_encrypted']) !== null || text(row['webhook_secret']) !== null
      const transport = jsonObject(row['transport_config'])
      const reportsTo = text(row['reports_to'])
      writer.insert(agents.report, key, 'agents', {
        id: text(row['id']),
        agent_id: text(row['agent_id']),
        name: text(row['name']) ?? text(row['agent_id']),
        description: text(row['description']),
        class: oneOf(row['class'], AGENT_CLASSES) ?? 'custom',
        privacy_tier: oneOf(row['privacy_tier'], ['public', 'discoverable', 'private'] as const) ?? 'public',
        owner_id: null,
        organization_id: null,
        endpoint: text(row['endpoint']),
        webhook_secret: null,
        avatar: text(row['avatar']),
        status: oneOf(row['status'], ['online', 'offline', 'busy'] as const) ?? 'offline',
        last_seen: cleoTime(row['last_seen']),
        payment_config: text(row['payment_config']),
        api_key_hash: sha256Hex(row['api_key_hash']),
        api_key_encrypted: null,
        api_base_url: text(row['api_base_url']) ?? 'https://api.signaldock.io',
        classification: text(row['classification']),
        transport_type: oneOf(row['transport_type'], ['http', 'sse', 'websocket', 'local'] as const) ?? 'http',
        transport_config: transport ?? '{}',
        is_active: bool(row['is_active']) ?? 1,
        last_used_at: cleoTime(row['last_used_at']),
        // Sealed material cannot be re-sealed without its plaintext: re-authenticate.
        requires_reauth: sealed || bool(row['requires_reauth']) === 1 ? 1 : 0,
        tier: oneOf(row['tier'], ['project', 'global', 'packaged', 'fallback', 'universal'] as const) ?? 'global',
        can_spawn: bool(row['can_spawn']) ?? 0,
        orch_level: Math.min(2, Math.max(0, int(row['orch_level']) ?? 2)),
        reports_to: reportsTo !== null && reportsTo !== text(row['agent_id']) ? reportsTo : null,
        cant_path: text(row['cant_path']),
        cant_sha256: sha256Hex(row['cant_sha256']),
        installed_from: oneOf(row['installed_from'], ['seed', 'user', 'manual'] as const),
        installed_at: cleoTime(row['installed_at']),
        created_at: created,
        updated_at: cleoTime(row['updated_at']) ?? created,
      })
    }
  }
  for (const [table, categories] of [
    ['capabilities', ['communication', 'development', 'execution', 'analysis', 'coordination', 'devops', 'other']],
    ['skills', ['language', 'framework', 'database', 'practice', 'other']],
  ] as const) {
    const catalog = startTable(cleo, reports, table, table)
    if (!catalog) continue
    for (const row of catalog.rows) {
      const key = text(row['slug']) ?? text(row['id']) ?? '?'
      writer.insert(catalog.report, key, table, {
        id: text(row['id']),
        slug: text(row['slug']),
        name: text(row['name']) ?? text(row['slug']),
        description: text(row['description']) ?? '',
        category: oneOf(row['category'], categories) ?? 'other',
        created_at: cleoTime(row['created_at']) ?? now,
      })
    }
  }
  const capabilities = startTable(cleo, reports, 'agent_capabilities', 'agent_capabilities')
  if (capabilities) {
    for (const row of capabilities.rows) {
      writer.insert(capabilities.report, `${text(row['agent_id'])}/${text(row['capability_id'])}`, 'agent_capabilities', {
        agent_id: text(row['agent_id']),
        capability_id: text(row['capability_id']),
      })
    }
  }
  const skills = startTable(cleo, reports, 'agent_skills', 'agent_skills')
  if (skills) {
    for (const row of skills.rows) {
      writer.insert(skills.report, `${text(row['agent_id'])}/${text(row['skill_id'])}`, 'agent_skills', {
        agent_id: text(row['agent_id']),
        skill_id: text(row['skill_id']),
        source: oneOf(row['source'], ['cant', 'manual', 'computed'] as const) ?? 'manual',
        attached_at: cleoTime(row['attached_at']) ?? now,
      })
    }
  }
  leftBehind(cleo, reports, CLEO_SIGNALDOCK_NOT_IMPORTED)
}
