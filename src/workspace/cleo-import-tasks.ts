/**
 * CLEO tasks.db → cleo-store tasks.db (issue 18). Column by column as documented in
 * `docs/cleo-import.md`; everything runs inside the staging store's one write
 * transaction, one savepoint per row (see `cleo-import-rows.ts`).
 *
 * Order: tasks (parents first, ids kept as CLEO wrote them, `session_id` set once the
 * sessions are in), sessions, work history, dependencies, relations, lifecycle
 * (pipelines, stages, gates, evidence, transitions), manifests, ADRs and their links
 * and relations, audit log, token usage, external links; then `schema_meta`
 * (`task_id_format = 'cleo'`, the id sequence past the highest number).
 *
 * @module
 */
import { createHash } from 'node:crypto'
import type { DatabaseSync } from 'node:sqlite'

import type { TaskType } from '../tasks/tasks.enums.js'
import {
  ADR_GATE_STATUSES,
  ADR_GATES,
  ADR_LINK_TYPES,
  ADR_RELATION_TYPES,
  ADR_STATUSES,
  EXTERNAL_LINK_TYPES,
  EXTERNAL_SYNC_DIRECTIONS,
  LIFECYCLE_EVIDENCE_TYPES,
  LIFECYCLE_GATE_RESULTS,
  LIFECYCLE_PIPELINE_STATUSES,
  LIFECYCLE_STAGE_STATUSES,
  LIFECYCLE_STAGES,
  LIFECYCLE_TRANSITION_TYPES,
  LIFECYCLE_VALIDATION_STATUSES,
  MANIFEST_STATUSES,
  PIPELINE_MANIFEST_STATUSES,
  TASK_ARCHIVE_REASONS,
  TASK_PIPELINE_STAGES,
  TASK_PRIORITIES,
  TASK_RELATION_TYPES,
  TASK_ROLES,
  TASK_SCOPES,
  TASK_SEVERITIES,
  TASK_SIZES,
  TASK_TYPES,
  TOKEN_CONFIDENCES,
  TOKEN_METHODS,
  TOKEN_TRANSPORTS,
} from '../tasks/tasks.enums.js'
import { inferTaskType } from '../tasks/task-rules.js'
import { TASK_ID_REGEX, formatTaskId, taskIdNumber } from '../tasks/task-ids.js'
import type { TableReport, CleoRow, ImportWriter } from './cleo-import-rows.js'
import {
  bool,
  cleoTime,
  compact,
  int,
  jsonAny,
  jsonArray,
  jsonObject,
  oneOf,
  parseJson,
  readTable,
  skip,
  tableReport,
  text,
  wordList,
} from './cleo-import-rows.js'

/** What the tasks import learned, for the ADR files and manifest lines that follow it. */
export interface TasksImportState {
  readonly tasks: Set<string>
  readonly sessions: Set<string>
  readonly adrs: Set<string>
  readonly now: number
}

/** CLEO tables of tasks.db this version does not bring over, and why (they are reported as skipped). */
export const CLEO_TASKS_NOT_IMPORTED: Readonly<Record<string, string>> = Object.freeze({
  agent_instances: 'CLEO agent processes are runtime state; cleo-store registers its own',
  agent_error_log: 'runtime error log of CLEO agent processes',
  warp_chains: 'no cleo-store equivalent (CLEO workflow definitions)',
  warp_chain_instances: 'no cleo-store equivalent (CLEO workflow runs)',
  attachments: 'CLEO attachment blobs live in files under .cleo/attachments, left in place',
  attachment_refs: 'CLEO attachment blobs live in files under .cleo/attachments, left in place',
  experiments: 'no cleo-store equivalent',
  background_jobs: 'runtime job state of a CLEO process',
  playbook_runs: 'no cleo-store equivalent',
  playbook_approvals: 'no cleo-store equivalent',
  agent_credentials: 'legacy CLEO credential cache; sealed material cannot be re-sealed (re-authenticate)',
  status_registry: 'cleo-store seeds its own registry',
  release_manifests: 'not mapped by this version',
})

const STAGE_SEQUENCE = new Map<string, number>(LIFECYCLE_STAGES.map((name, index) => [name, index + 1]))

function sha256(textValue: string): string {
  return createHash('sha256').update(textValue, 'utf8').digest('hex')
}

/** Reads a CLEO table into a report entry; `null` (and no entry) when CLEO's file has no such table. */
function source(
  cleo: DatabaseSync,
  reports: TableReport[],
  name: string,
  target: string | null,
): { rows: CleoRow[]; report: TableReport } | null {
  const rows = readTable(cleo, name)
  if (rows === null) return null
  const report = tableReport(name, target)
  report.read = rows.length
  reports.push(report)
  return { rows, report }
}

/** Imports CLEO's tasks.db tables into the staging store behind `writer`. */
export function importCleoTasks(cleo: DatabaseSync, writer: ImportWriter, reports: TableReport[], now: number): TasksImportState {
  const state: TasksImportState = { tasks: new Set(), sessions: new Set(), adrs: new Set(), now }
  const createdAt = new Map<string, number>()

  // ── tasks, parents first ─────────────────────────────────────────────────────
  const tasks = source(cleo, reports, 'tasks', 'tasks')
  const sessionOfTask = new Map<string, string>()
  let highest = 0
  if (tasks) {
    const byId = new Map<string, CleoRow>()
    for (const row of tasks.rows) {
      const id = text(row['id'])
      if (id === null) skip(tasks.report, '(no id)', 'no id')
      else byId.set(id, row)
    }
    const typeOf = new Map<string, TaskType>()
    const visiting = new Set<string>()
    const done = new Set<string>()
    const insert = (id: string): void => {
      if (done.has(id)) return
      const row = byId.get(id)!
      if (visiting.has(id)) {
        done.add(id)
        skip(tasks.report, id, 'its parent chain loops back to it')
        return
      }
      visiting.add(id)
      const parent = text(row['parent_id'])
      if (parent !== null && byId.has(parent)) insert(parent)
      visiting.delete(id)
      done.add(id)
      const mapped = mapTask(row, id, parent, typeOf, now)
      if ('reason' in mapped) {
        skip(tasks.report, id, mapped.reason)
        return
      }
      if (writer.insert(tasks.report, id, 'tasks', mapped.row) === 'imported') {
        state.tasks.add(id)
        typeOf.set(id, mapped.row['type'] as TaskType)
        createdAt.set(id, mapped.row['created_at'] as number)
        highest = Math.max(highest, mapped.row['seq'] as number)
        const session = text(row['session_id'])
        if (session !== null) sessionOfTask.set(id, session)
      }
    }
    for (const id of byId.keys()) insert(id)
  }
  const taskOrNull = (value: unknown): string | null => {
    const id = text(value)
    return id !== null && state.tasks.has(id) ? id : null
  }
  const taskTime = (id: string | null): number => (id !== null ? createdAt.get(id) : undefined) ?? now

  // ── sessions ─────────────────────────────────────────────────────────────────
  const sessions = source(cleo, reports, 'sessions', 'sessions')
  if (sessions) {
    for (const row of sessions.rows) {
      const id = text(row['id'])
      if (id === null) {
        skip(sessions.report, '(no id)', 'no id')
        continue
      }
      const mapped = mapSession(row, taskOrNull, now)
      if (writer.insert(sessions.report, id, 'sessions', mapped) === 'imported') state.sessions.add(id)
    }
    // Chains between sessions, once every session is in.
    for (const row of sessions.rows) {
      const id = text(row['id'])
      if (id === null || !state.sessions.has(id)) continue
      for (const column of ['previous_session_id', 'next_session_id'] as const) {
        const other = text(row[column])
        if (other !== null && other !== id && state.sessions.has(other)) writer.run(`UPDATE sessions SET ${column} = ? WHERE id = ?`, [other, id])
      }
    }
  }
  for (const [task, session] of sessionOfTask) {
    if (state.sessions.has(session)) writer.run('UPDATE tasks SET session_id = ? WHERE id = ?', [session, task])
  }

  const work = source(cleo, reports, 'task_work_history', 'task_work_history')
  if (work) {
    for (const row of work.rows) {
      const key = `${text(row['id']) ?? '?'}`
      const setAt = cleoTime(row['set_at']) ?? now
      const clearedAt = cleoTime(row['cleared_at'])
      writer.insert(work.report, key, 'task_work_history', {
        session_id: text(row['session_id']),
        task_id: text(row['task_id']),
        set_at: setAt,
        cleared_at: clearedAt === null ? null : Math.max(clearedAt, setAt),
      })
    }
  }

  // ── dependencies and relations ───────────────────────────────────────────────
  const deps = source(cleo, reports, 'task_dependencies', 'task_dependencies')
  if (deps) {
    for (const row of deps.rows) {
      const task = text(row['task_id'])
      const on = text(row['depends_on'])
      writer.insert(deps.report, `${task} → ${on}`, 'task_dependencies', { task_id: task, depends_on: on, created_at: taskTime(task) })
    }
  }
  const relations = source(cleo, reports, 'task_relations', 'task_relations')
  if (relations) {
    for (const row of relations.rows) {
      const task = text(row['task_id'])
      const other = text(row['related_to'])
      const type = oneOf(row['relation_type'] ?? 'related', TASK_RELATION_TYPES)
      if (type === null) {
        skip(relations.report, `${task} ~ ${other}`, `relation type ${String(row['relation_type'])} is not one of cleo-store's`)
        continue
      }
      writer.insert(relations.report, `${task} ~ ${other}`, 'task_relations', {
        task_id: task,
        related_to: other,
        relation_type: type,
        reason: text(row['reason']),
        created_at: taskTime(task),
      })
    }
  }

  // ── lifecycle ────────────────────────────────────────────────────────────────
  importLifecycle(cleo, writer, reports, now)

  // ── ADRs ─────────────────────────────────────────────────────────────────────
  importAdrRows(cleo, writer, reports, state, now)

  // ── audit, tokens, external links ────────────────────────────────────────────
  const audit = source(cleo, reports, 'audit_log', 'audit_log')
  if (audit) {
    for (const row of audit.rows) {
      const key = text(row['id']) ?? '?'
      const mapped = mapAudit(row, state, now)
      if ('reason' in mapped) skip(audit.report, key, mapped.reason)
      else writer.insert(audit.report, key, 'audit_log', mapped.row)
    }
  }
  const tokens = source(cleo, reports, 'token_usage', 'token_usage')
  if (tokens) {
    for (const row of tokens.rows) {
      const key = text(row['id']) ?? '?'
      const input = Math.max(0, int(row['input_tokens']) ?? 0)
      const output = Math.max(0, int(row['output_tokens']) ?? 0)
      const session = text(row['session_id'])
      writer.insert(tokens.report, key, 'token_usage', {
        created_at: cleoTime(row['created_at']) ?? now,
        provider: text(row['provider']) ?? 'unknown',
        model: text(row['model']),
        transport: oneOf(row['transport'], TOKEN_TRANSPORTS) ?? 'unknown',
        gateway: text(row['gateway']),
        domain: text(row['domain']),
        operation: text(row['operation']),
        session_id: session !== null && state.sessions.has(session) ? session : null,
        task_id: taskOrNull(row['task_id']),
        request_id: text(row['request_id']),
        input_chars: Math.max(0, int(row['input_chars']) ?? 0),
        output_chars: Math.max(0, int(row['output_chars']) ?? 0),
        input_tokens: input,
        output_tokens: output,
        total_tokens: Math.max(int(row['total_tokens']) ?? 0, input + output),
        method: oneOf(row['method'], TOKEN_METHODS) ?? 'heuristic',
        confidence: oneOf(row['confidence'], TOKEN_CONFIDENCES) ?? 'coarse',
        request_hash: text(row['request_hash']),
        response_hash: text(row['response_hash']),
        metadata_json: jsonObject(row['metadata_json']) ?? JSON.stringify({ cleoMetadata: text(row['metadata_json']) }),
      })
    }
  }
  const links = source(cleo, reports, 'external_task_links', 'external_task_links')
  if (links) {
    for (const row of links.rows) {
      const key = text(row['id']) ?? '?'
      const metadata = jsonObject(row['metadata_json'])
      if (metadata === undefined) {
        skip(links.report, key, 'metadata_json is not a JSON object')
        continue
      }
      writer.insert(links.report, key, 'external_task_links', {
        id: key,
        task_id: text(row['task_id']),
        provider_id: text(row['provider_id']),
        external_id: text(row['external_id']),
        external_url: text(row['external_url']),
        external_title: text(row['external_title']),
        link_type: oneOf(row['link_type'], EXTERNAL_LINK_TYPES) ?? 'manual',
        sync_direction: oneOf(row['sync_direction'], EXTERNAL_SYNC_DIRECTIONS) ?? 'inbound',
        metadata_json: metadata,
        linked_at: cleoTime(row['linked_at']) ?? now,
        last_sync_at: cleoTime(row['last_sync_at']),
      })
    }
  }

  // ── tables this version leaves behind (reported) ─────────────────────────────
  for (const [name, why] of Object.entries(CLEO_TASKS_NOT_IMPORTED)) {
    const left = source(cleo, reports, name, null)
    if (left) for (const row of left.rows) skip(left.report, text(row['id']) ?? text(row['name']) ?? text(row['agent_id']) ?? '?', `not imported: ${why}`)
  }

  // ── the id sequence and format ───────────────────────────────────────────────
  const meta = readTable(cleo, 'schema_meta') ?? []
  const sequence = meta.find((r) => r['key'] === 'task_id_sequence')
  const counter = int((parseJson(sequence?.['value']) as { counter?: unknown } | undefined)?.counter)
  const next = Math.max(highest, counter ?? 0)
  writer.run("UPDATE schema_meta SET value = ?, updated_at = ? WHERE key = 'task_id_sequence'", [String(next), now])
  writer.run("UPDATE schema_meta SET value = 'cleo', updated_at = ? WHERE key = 'task_id_format'", [now])
  for (const row of meta) {
    const key = text(row['key'])
    if (key === null || key === 'task_id_sequence') continue
    writer.run('INSERT INTO schema_meta (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [`cleo:${key}`, text(row['value']) ?? '', now])
  }
  return state
}

type Mapped = { readonly row: Record<string, string | number | null> } | { readonly reason: string }

function mapTask(row: CleoRow, id: string, parent: string | null, typeOf: Map<string, TaskType>, now: number): Mapped {
  const seq = taskIdNumber(id)
  if (seq === null || !TASK_ID_REGEX.test(id) || (id !== formatTaskId(seq, 'cleo') && id !== formatTaskId(seq, 'plain'))) {
    return { reason: `id ${id} is not a task id in CLEO's T### form` }
  }
  const parentType = parent === null ? null : typeOf.get(parent)
  if (parent !== null && parentType === undefined) return { reason: `parent ${parent} was not imported` }
  const type = oneOf(row['type'], TASK_TYPES) ?? inferTaskType(parentType ?? null)
  if (type === null) return { reason: `no task type fits under ${parentType} ${parent}` }
  const created = cleoTime(row['created_at']) ?? now
  const updated = cleoTime(row['updated_at']) ?? created
  const cleoStatus = text(row['status']) ?? 'pending'
  let archiveReason = oneOf(row['archive_reason'], TASK_ARCHIVE_REASONS)
  let archivedAt = cleoTime(row['archived_at'])
  let status: string
  if (cleoStatus === 'archived') {
    // CLEO's archive overwrites the status; the reason tells what it was.
    archiveReason ??= cleoTime(row['completed_at']) !== null ? 'completed' : 'cancelled'
    status = archiveReason === 'completed' ? 'done' : 'cancelled'
    archivedAt ??= updated
  } else {
    status = cleoStatus
    if (archivedAt === null) archiveReason = null
    else archiveReason ??= status === 'done' ? 'completed' : 'cancelled'
  }
  if (!['pending', 'active', 'blocked', 'done', 'cancelled', 'proposed'].includes(status)) return { reason: `status ${cleoStatus} is not one of cleo-store's` }
  const completedAt = status === 'done' ? (cleoTime(row['completed_at']) ?? updated) : null
  const cancelledAt = status === 'cancelled' ? (cleoTime(row['cancelled_at']) ?? archivedAt ?? updated) : null
  const arrays: Record<string, string> = {}
  for (const column of ['labels_json', 'notes_json', 'acceptance_json', 'files_json']) {
    const value = jsonArray(row[column])
    if (value === undefined) return { reason: `${column} is not a JSON array` }
    arrays[column] = value
  }
  const verification = row['verification_json'] == null ? null : jsonObject(row['verification_json'])
  if (verification === undefined) return { reason: 'verification_json is not a JSON object' }
  const role = oneOf(row['role'], TASK_ROLES) ?? 'work'
  return {
    row: {
      seq,
      id,
      title: text(row['title']) ?? '',
      description: text(row['description']),
      status,
      priority: oneOf(row['priority'], TASK_PRIORITIES) ?? 'medium',
      type,
      role,
      scope: oneOf(row['scope'], TASK_SCOPES) ?? 'feature',
      severity: role === 'bug' ? oneOf(row['severity'], TASK_SEVERITIES) : null,
      parent_id: parent,
      phase: text(row['phase']),
      size: oneOf(row['size'], TASK_SIZES),
      ...arrays,
      verification_json: verification,
      origin: text(row['origin']),
      blocked_by: text(row['blocked_by']),
      no_auto_complete: bool(row['no_auto_complete']) ?? 0,
      pipeline_stage: oneOf(row['pipeline_stage'], TASK_PIPELINE_STAGES),
      assignee: text(row['assignee']),
      created_by: text(row['created_by']),
      modified_by: text(row['modified_by']),
      created_at: created,
      updated_at: updated,
      completed_at: completedAt,
      cancelled_at: cancelledAt,
      cancellation_reason: text(row['cancellation_reason']),
      archived_at: archivedAt,
      archive_reason: archiveReason,
    },
  }
}

function mapSession(row: CleoRow, taskOrNull: (value: unknown) => string | null, now: number): Record<string, string | number | null> {
  const started = cleoTime(row['started_at']) ?? now
  const status = oneOf(row['status'], ['active', 'ended', 'orphaned', 'suspended'] as const) ?? 'ended'
  const ended = status === 'ended' || status === 'orphaned' ? (cleoTime(row['ended_at']) ?? started) : null
  const scope = parseJson(row['scope_json']) as { type?: unknown; epicId?: unknown; rootTaskId?: unknown } | undefined
  const epic = scope?.type === 'epic' ? taskOrNull(scope.epicId) : null
  const notes = jsonArray(row['notes_json']) ?? JSON.stringify([text(row['notes_json'])])
  const handoff = jsonAny(row['handoff_json'])
  const debrief = jsonAny(row['debrief_json'])
  const metadata = compact({
    cleoScope: scope !== undefined && epic === null && scope?.type === 'epic' ? scope : undefined,
    cleoAgentIdentifier: text(row['agent_identifier']),
    cleoTasksCompleted: parseJson(row['tasks_completed_json']),
    cleoTasksCreated: parseJson(row['tasks_created_json']),
    cleoStats: parseJson(row['stats_json']),
    cleoGradeMode: int(row['grade_mode']),
    cleoHandoff: handoff === undefined ? text(row['handoff_json']) : undefined,
    cleoDebrief: debrief === undefined ? text(row['debrief_json']) : undefined,
  })
  return {
    id: text(row['id']),
    name: text(row['name']) ?? text(row['id']),
    status,
    scope_type: epic === null ? 'global' : 'epic',
    scope_epic_id: epic,
    // CLEO let several sessions be active at once; an imported one blocks no new one.
    exclusive: 0,
    agent: text(row['agent']),
    provider_id: text(row['provider_id']),
    current_task: taskOrNull(row['current_task']),
    task_started_at: cleoTime(row['task_started_at']),
    notes_json: notes,
    metadata_json: JSON.stringify(metadata),
    handoff_json: handoff ?? null,
    debrief_json: debrief ?? null,
    handoff_consumed_at: cleoTime(row['handoff_consumed_at']),
    handoff_consumed_by: text(row['handoff_consumed_by']),
    resume_count: Math.max(0, int(row['resume_count']) ?? 0),
    started_at: started,
    updated_at: Math.max(started, ended ?? started),
    suspended_at: status === 'suspended' ? started : null,
    ended_at: ended,
  }
}

function importLifecycle(cleo: DatabaseSync, writer: ImportWriter, reports: TableReport[], now: number): void {
  const stageRows = readTable(cleo, 'lifecycle_stages') ?? []
  const stageName = new Map<string, string>()
  for (const row of stageRows) {
    const id = text(row['id'])
    const name = text(row['stage_name'])
    if (id !== null && name !== null) stageName.set(id, name)
  }
  const pipelines = source(cleo, reports, 'lifecycle_pipelines', 'lifecycle_pipelines')
  if (pipelines) {
    for (const row of pipelines.rows) {
      const id = text(row['id']) ?? '?'
      const pointer = text(row['current_stage_id'])
      // CLEO stores a stage id in one writer and a stage name in the other.
      let current = pointer === null ? null : (oneOf(stageName.get(pointer), LIFECYCLE_STAGES) ?? oneOf(pointer, LIFECYCLE_STAGES))
      if (current === null) {
        const own = stageRows
          .filter((s) => s['pipeline_id'] === row['id'] && s['status'] !== 'not_started')
          .map((s) => oneOf(s['stage_name'], LIFECYCLE_STAGES))
          .filter((s): s is (typeof LIFECYCLE_STAGES)[number] => s !== null)
          .sort((a, b) => STAGE_SEQUENCE.get(b)! - STAGE_SEQUENCE.get(a)!)
        current = own[0] ?? 'research'
      }
      const status = oneOf(row['status'], LIFECYCLE_PIPELINE_STATUSES) ?? 'active'
      const started = cleoTime(row['started_at']) ?? now
      const updated = cleoTime(row['updated_at']) ?? started
      writer.insert(pipelines.report, id, 'lifecycle_pipelines', {
        id,
        task_id: text(row['task_id']),
        status,
        current_stage: current,
        started_at: started,
        updated_at: updated,
        completed_at: status === 'completed' ? (cleoTime(row['completed_at']) ?? updated) : null,
        version: Math.max(1, int(row['version']) ?? 1),
      })
    }
  }
  const stages = source(cleo, reports, 'lifecycle_stages', 'lifecycle_stages')
  if (stages) {
    for (const row of stages.rows) {
      const id = text(row['id']) ?? '?'
      const name = oneOf(row['stage_name'], LIFECYCLE_STAGES)
      if (name === null) {
        skip(stages.report, id, `stage ${String(row['stage_name'])} is not one of the ten lifecycle stages`)
        continue
      }
      const status = oneOf(row['status'], LIFECYCLE_STAGE_STATUSES) ?? 'not_started'
      const started = cleoTime(row['started_at'])
      const notes = jsonArray(row['notes_json'])
      const metadata = jsonObject(row['metadata_json'])
      const provenance = parseJson(row['provenance_chain_json'])
      const metadataObject = { ...(metadata === undefined ? { cleoMetadata: text(row['metadata_json']) } : (JSON.parse(metadata) as object)) }
      if (provenance !== undefined) Object.assign(metadataObject, { cleoProvenanceChain: provenance })
      writer.insert(stages.report, id, 'lifecycle_stages', {
        id,
        pipeline_id: text(row['pipeline_id']),
        stage_name: name,
        sequence: STAGE_SEQUENCE.get(name)!,
        status,
        started_at: started,
        completed_at: status === 'completed' ? (cleoTime(row['completed_at']) ?? started ?? now) : null,
        blocked_at: cleoTime(row['blocked_at']),
        skipped_at: status === 'skipped' ? (cleoTime(row['skipped_at']) ?? started ?? now) : null,
        block_reason: text(row['block_reason']),
        skip_reason: text(row['skip_reason']),
        notes_json: notes ?? JSON.stringify([text(row['notes_json'])]),
        metadata_json: JSON.stringify(metadataObject),
        output_file: text(row['output_file']),
        created_by: text(row['created_by']),
        validated_by: text(row['validated_by']),
        validated_at: cleoTime(row['validated_at']),
        validation_status: oneOf(row['validation_status'], LIFECYCLE_VALIDATION_STATUSES),
      })
    }
  }
  const gates = source(cleo, reports, 'lifecycle_gate_results', 'lifecycle_gate_results')
  if (gates) {
    for (const row of gates.rows) {
      const id = text(row['id']) ?? '?'
      writer.insert(gates.report, id, 'lifecycle_gate_results', {
        id,
        stage_id: text(row['stage_id']),
        gate_name: text(row['gate_name']),
        result: oneOf(row['result'], LIFECYCLE_GATE_RESULTS),
        required: 1,
        checked_at: cleoTime(row['checked_at']) ?? now,
        checked_by: text(row['checked_by']) ?? 'cleo',
        details: text(row['details']),
        reason: text(row['reason']),
      })
    }
  }
  const evidence = source(cleo, reports, 'lifecycle_evidence', 'lifecycle_evidence')
  if (evidence) {
    for (const row of evidence.rows) {
      const id = text(row['id']) ?? '?'
      writer.insert(evidence.report, id, 'lifecycle_evidence', {
        id,
        stage_id: text(row['stage_id']),
        gate_result_id: null,
        uri: text(row['uri']),
        type: oneOf(row['type'], LIFECYCLE_EVIDENCE_TYPES),
        recorded_at: cleoTime(row['recorded_at']) ?? now,
        recorded_by: text(row['recorded_by']),
        description: text(row['description']),
      })
    }
  }
  const transitions = source(cleo, reports, 'lifecycle_transitions', 'lifecycle_transitions')
  if (transitions) {
    for (const row of transitions.rows) {
      const id = text(row['id']) ?? '?'
      writer.insert(transitions.report, id, 'lifecycle_transitions', {
        id,
        pipeline_id: text(row['pipeline_id']),
        from_stage_id: text(row['from_stage_id']),
        to_stage_id: text(row['to_stage_id']),
        transition_type: oneOf(row['transition_type'], LIFECYCLE_TRANSITION_TYPES) ?? 'automatic',
        transitioned_by: text(row['transitioned_by']),
        reason: null,
        created_at: cleoTime(row['created_at']) ?? now,
      })
    }
  }
  const entries = source(cleo, reports, 'manifest_entries', 'manifest_entries')
  if (entries) {
    for (const row of entries.rows) {
      const id = text(row['id']) ?? '?'
      if (text(row['pipeline_id']) === null) {
        skip(entries.report, id, 'no pipeline (cleo-store keeps manifest entries per pipeline)')
        continue
      }
      writer.insert(entries.report, id, 'manifest_entries', {
        id,
        pipeline_id: text(row['pipeline_id']),
        stage_id: text(row['stage_id']),
        title: text(row['title']),
        status: oneOf(row['status'], MANIFEST_STATUSES),
        agent_type: text(row['agent_type']),
        output_file: text(row['output_file']),
        topics_json: jsonArray(row['topics_json']) ?? '[]',
        findings_json: jsonArray(row['findings_json']) ?? '[]',
        linked_tasks_json: jsonArray(row['linked_tasks_json']) ?? '[]',
        created_at: cleoTime(row['created_at']) ?? cleoTime(row['date']) ?? now,
      })
    }
  }
  const manifest = source(cleo, reports, 'pipeline_manifest', 'pipeline_manifest')
  if (manifest) {
    for (const row of manifest.rows) {
      const id = text(row['id']) ?? '?'
      const content = text(row['content']) ?? ''
      const status = oneOf(row['status'], PIPELINE_MANIFEST_STATUSES) ?? 'active'
      const created = cleoTime(row['created_at']) ?? now
      writer.insert(manifest.report, id, 'pipeline_manifest', {
        id,
        session_id: text(row['session_id']),
        task_id: text(row['task_id']),
        epic_id: text(row['epic_id']),
        type: text(row['type']),
        content,
        content_hash: sha256(content),
        status,
        distilled: bool(row['distilled']) ?? 0,
        brain_obs_id: text(row['brain_obs_id']),
        source_file: text(row['source_file']),
        metadata_json: jsonObject(row['metadata_json']) ?? '{}',
        created_at: created,
        archived_at: status === 'archived' ? (cleoTime(row['archived_at']) ?? created) : null,
      })
    }
  }
}

/** An ADR row in cleo-store's shape (without its relation columns, which relations set). */
export function adrRow(fields: {
  id: string
  title: string | null
  status: unknown
  content: string | null
  summary: string | null
  keywords: unknown
  topics: unknown
  gate: unknown
  gateStatus: unknown
  filePath: string | null
  date: unknown
  acceptedAt: number | null
  createdAt: number
  updatedAt: number
}): Record<string, string | number | null> {
  const date = typeof fields.date === 'string' ? /^(\d{4}-\d{2}-\d{2})/.exec(fields.date.trim())?.[1] ?? null : null
  return {
    id: fields.id,
    title: fields.title,
    status: oneOf(fields.status, ADR_STATUSES) ?? 'proposed',
    content: fields.content ?? '',
    summary: fields.summary,
    keywords_json: JSON.stringify(wordList(fields.keywords)),
    topics_json: JSON.stringify(wordList(fields.topics)),
    gate: oneOf(fields.gate, ADR_GATES),
    gate_status: oneOf(fields.gateStatus, ADR_GATE_STATUSES),
    file_path: fields.filePath,
    decided_on: date,
    accepted_at: fields.acceptedAt,
    created_at: fields.createdAt,
    updated_at: fields.updatedAt,
  }
}

/**
 * Adds an ADR relation (the target's triggers keep `supersedes_id`, `superseded_by_id`
 * and `amends_id` in step). Returns false when it was skipped.
 */
export function relateAdrs(writer: ImportWriter, report: TableReport, from: string, to: string, type: string, createdAt: number): boolean {
  const relation = oneOf(type, ADR_RELATION_TYPES)
  if (relation === null) {
    skip(report, `${from} ${type} ${to}`, `relation type ${type} is not one of cleo-store's`)
    return false
  }
  return writer.insert(report, `${from} ${relation} ${to}`, 'adr_relations', { from_adr_id: from, to_adr_id: to, relation_type: relation, created_at: createdAt }) === 'imported'
}

function importAdrRows(cleo: DatabaseSync, writer: ImportWriter, reports: TableReport[], state: TasksImportState, now: number): void {
  const adrs = source(cleo, reports, 'architecture_decisions', 'architecture_decisions')
  const created = new Map<string, number>()
  if (adrs) {
    for (const row of adrs.rows) {
      const id = text(row['id']) ?? '?'
      const createdAt = cleoTime(row['created_at']) ?? cleoTime(row['date']) ?? now
      const mapped = adrRow({
        id,
        title: text(row['title']),
        status: row['status'],
        content: text(row['content']),
        summary: text(row['summary']),
        keywords: row['keywords'],
        topics: row['topics'],
        gate: row['gate'],
        gateStatus: row['gate_status'],
        filePath: text(row['file_path']),
        date: row['date'],
        acceptedAt: cleoTime(row['accepted_at']),
        createdAt,
        updatedAt: cleoTime(row['updated_at']) ?? createdAt,
      })
      if (writer.insert(adrs.report, id, 'architecture_decisions', mapped) === 'imported') {
        state.adrs.add(id)
        created.set(id, createdAt)
      }
    }
    // Consensus manifests, once entries are in.
    for (const row of adrs.rows) {
      const id = text(row['id'])
      const manifest = text(row['consensus_manifest_id'])
      if (id !== null && manifest !== null && state.adrs.has(id)) {
        writer.attempt(() => writer.run('UPDATE architecture_decisions SET consensus_manifest_id = ? WHERE id = ?', [manifest, id]))
      }
    }
  }
  const links = source(cleo, reports, 'adr_task_links', 'adr_task_links')
  if (links) {
    for (const row of links.rows) {
      const adr = text(row['adr_id'])
      const task = text(row['task_id'])
      writer.insert(links.report, `${adr} → ${task}`, 'adr_task_links', {
        adr_id: adr,
        task_id: task,
        link_type: oneOf(row['link_type'] ?? 'related', ADR_LINK_TYPES) ?? 'related',
        created_at: (adr !== null ? created.get(adr) : undefined) ?? now,
      })
    }
  }
  // Relations: CLEO's relation rows plus the ones only its columns record.
  const relationRows = readTable(cleo, 'adr_relations')
  const report = tableReport('adr_relations', 'adr_relations')
  const seen = new Set<string>()
  const add = (from: string | null, to: string | null, type: string, at: unknown) => {
    if (from === null || to === null) return
    const key = `${from}|${to}|${type}`
    if (seen.has(key)) return
    seen.add(key)
    report.read += 1
    relateAdrs(writer, report, from, to, type, cleoTime(at) ?? created.get(from) ?? now)
  }
  for (const row of relationRows ?? []) add(text(row['from_adr_id']), text(row['to_adr_id']), text(row['relation_type']) ?? 'related', row['created_at'])
  for (const row of adrs?.rows ?? []) {
    const id = text(row['id'])
    add(id, text(row['supersedes_id']), 'supersedes', null)
    add(text(row['superseded_by_id']), id, 'supersedes', null)
    add(id, text(row['amends_id']), 'amends', null)
  }
  if (relationRows !== null || report.read > 0) reports.push(report)
}

function mapAudit(row: CleoRow, state: TasksImportState, now: number): Mapped {
  const task = text(row['task_id'])
  const isTask = task !== null && TASK_ID_REGEX.test(task)
  const domain = text(row['domain'])
  const operation = text(row['operation'])
  const success = bool(row['success'])
  const operationRow = domain !== null && operation !== null && success !== null
  const details = jsonAny(row['details_json'])
  const before = jsonAny(row['before_json'])
  const after = jsonAny(row['after_json'])
  const extra = compact({ cleoAuditId: text(row['id']), cleoSource: text(row['source']), cleoErrorMessage: text(row['error_message']) })
  const detailsValue = details === undefined ? { cleoDetails: text(row['details_json']) } : details === null ? null : (JSON.parse(details) as unknown)
  const mergedDetails =
    Object.keys(extra).length === 0
      ? detailsValue
      : detailsValue !== null && typeof detailsValue === 'object' && !Array.isArray(detailsValue)
        ? { ...detailsValue, ...extra }
        : compact({ cleoDetails: detailsValue ?? undefined, ...extra })
  const session = text(row['session_id'])
  return {
    row: {
      timestamp: cleoTime(row['timestamp']) ?? now,
      action: text(row['action']) ?? 'unknown',
      entity_type: isTask ? 'task' : 'audit',
      entity_id: task ?? 'system',
      task_id: isTask && state.tasks.has(task) ? task : null,
      actor: text(row['actor']) ?? 'system',
      session_id: session,
      request_id: text(row['request_id']),
      before_json: before === undefined ? JSON.stringify({ cleoBefore: text(row['before_json']) }) : before,
      after_json: after === undefined ? JSON.stringify({ cleoAfter: text(row['after_json']) }) : after,
      details_json: mergedDetails === null ? null : JSON.stringify(mergedDetails),
      kind: operationRow ? 'operation' : 'change',
      domain: operationRow ? domain : null,
      operation: operationRow ? operation : null,
      success: operationRow ? success : null,
      duration_ms: (() => {
        const ms = int(row['duration_ms'])
        return ms === null || ms < 0 ? null : ms
      })(),
      gateway: text(row['gateway']),
      project_hash: text(row['project_hash']),
    },
  }
}
