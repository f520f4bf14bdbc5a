/**
 * Issue 18 item 4: every mapped field round-trips. The CLEO rows are read back from the
 * originals in the legacy folder, the cleo-store rows from the imported stores, and
 * each mapped column is compared through an oracle written here independently of the
 * importer (text timestamps parsed as UTC, epoch seconds × 1000, JSON compared parsed).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { beforeAll, describe, expect, it } from 'vitest'

import type { CleoImportReport } from '../../src/index.js'
import { CleoWorkspace } from '../../src/index.js'
import { buildCleoInstallation, writeCleoProjectFiles } from '../fixtures/cleo-legacy/index.js'

type Row = Record<string, unknown>

/** The oracle: CLEO's three timestamp conventions → epoch ms. */
function ms(value: unknown): number | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'number') return value < 1e11 ? value * 1000 : value
  const text = String(value)
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text)) return Date.parse(`${text.replace(' ', 'T')}Z`)
  return Date.parse(text)
}
const json = (value: unknown) => (value === null || value === undefined ? null : JSON.parse(String(value)))

let report: CleoImportReport
let cleo: Record<'tasks' | 'brain' | 'conduit' | 'nexus' | 'signaldock', DatabaseSync>
let ours: typeof cleo

function rows(db: DatabaseSync, sql: string): Row[] {
  return db.prepare(sql).all() as Row[]
}
function byKey(list: Row[], key: string): Map<unknown, Row> {
  return new Map(list.map((r) => [r[key], r]))
}

beforeAll(async () => {
  // Not tempDir(): that one is removed after each test, and these stores serve the whole file.
  const root = mkdtempSync(join(tmpdir(), 'cleo-roundtrip-'))
  const project = join(root, 'app')
  const globalDir = join(root, 'global')
  buildCleoInstallation(project, globalDir)
  writeCleoProjectFiles(join(project, '.cleo'))
  report = await CleoWorkspace.importFromCleo(project, { globalDir })
  const legacy = (name: string) => report.movedAside.find((m) => m.to.endsWith(`/${name}.db`))!.to
  const open = (file: string) => new DatabaseSync(file)
  cleo = {
    tasks: open(legacy('tasks')),
    brain: open(legacy('brain')),
    conduit: open(legacy('conduit')),
    nexus: open(legacy('nexus')),
    signaldock: open(legacy('signaldock')),
  }
  ours = {
    tasks: open(join(project, '.cleo', 'tasks.db')),
    brain: open(join(project, '.cleo', 'brain.db')),
    conduit: open(join(project, '.cleo', 'conduit.db')),
    nexus: open(join(globalDir, 'nexus.db')),
    signaldock: open(join(globalDir, 'signaldock.db')),
  }
  return () => {
    for (const db of [...Object.values(cleo), ...Object.values(ours)]) db.close()
    rmSync(root, { recursive: true, force: true })
  }
})

describe('tasks.db round trip', () => {
  it('tasks: every mapped column', () => {
    const mine = byKey(rows(ours.tasks, 'SELECT * FROM tasks'), 'id')
    const theirs = rows(cleo.tasks, 'SELECT * FROM tasks')
    expect(theirs.length).toBeGreaterThan(0)
    for (const t of theirs) {
      const o = mine.get(t['id'])!
      expect(o, String(t['id'])).toBeDefined()
      expect(o['seq']).toBe(Number(String(t['id']).slice(1)))
      for (const column of ['title', 'description', 'status', 'priority', 'type', 'role', 'scope', 'severity', 'parent_id', 'phase', 'assignee', 'pipeline_stage', 'session_id', 'origin', 'blocked_by']) {
        expect(o[column] ?? null, `${String(t['id'])}.${column}`).toEqual(t[column] ?? null)
      }
      for (const column of ['labels_json', 'notes_json', 'acceptance_json', 'files_json']) expect(json(o[column]), column).toEqual(json(t[column]) ?? [])
      expect(json(o['verification_json'])).toEqual(json(t['verification_json']))
      expect(o['created_at']).toBe(ms(t['created_at']))
      expect(o['updated_at']).toBe(ms(t['updated_at']) ?? ms(t['created_at']))
      expect(o['completed_at']).toBe(t['status'] === 'done' ? ms(t['completed_at']) : null)
    }
    const meta = Object.fromEntries(rows(ours.tasks, 'SELECT key, value FROM schema_meta').map((r) => [r['key'], r['value']]))
    expect(meta['task_id_format']).toBe('cleo')
    expect(meta['task_id_sequence']).toBe(String(json(rows(cleo.tasks, "SELECT value FROM schema_meta WHERE key = 'task_id_sequence'")[0]!['value']).counter))
  })

  it('sessions, work history, dependencies, relations', () => {
    const mine = byKey(rows(ours.tasks, 'SELECT * FROM sessions'), 'id')
    for (const s of rows(cleo.tasks, 'SELECT * FROM sessions')) {
      const o = mine.get(s['id'])!
      const scope = json(s['scope_json'])
      expect([o['name'], o['status'], o['agent'], o['started_at'], o['ended_at']]).toEqual([s['name'], s['status'], s['agent'], ms(s['started_at']), ms(s['ended_at'])])
      expect([o['scope_type'], o['scope_epic_id']]).toEqual(scope.type === 'epic' ? ['epic', scope.epicId] : ['global', null])
    }
    const history = rows(ours.tasks, 'SELECT session_id, task_id, set_at, cleared_at FROM task_work_history')
    expect(history).toEqual(rows(cleo.tasks, 'SELECT session_id, task_id, set_at, cleared_at FROM task_work_history').map((h) => ({ ...h, set_at: ms(h['set_at']), cleared_at: ms(h['cleared_at']) })))
    expect(rows(ours.tasks, 'SELECT task_id, depends_on FROM task_dependencies ORDER BY 1, 2')).toEqual(rows(cleo.tasks, 'SELECT task_id, depends_on FROM task_dependencies ORDER BY 1, 2'))
    expect(rows(ours.tasks, 'SELECT task_id, related_to, relation_type, reason FROM task_relations ORDER BY 1, 2')).toEqual(
      rows(cleo.tasks, 'SELECT task_id, related_to, relation_type, reason FROM task_relations ORDER BY 1, 2'),
    )
  })

  it('lifecycle: pipelines (current stage from the stage id), stages, gates, evidence, transitions', () => {
    const stageNames = byKey(rows(cleo.tasks, 'SELECT id, stage_name FROM lifecycle_stages'), 'id')
    for (const p of rows(cleo.tasks, 'SELECT * FROM lifecycle_pipelines')) {
      const o = rows(ours.tasks, `SELECT * FROM lifecycle_pipelines WHERE id = '${String(p['id'])}'`)[0]!
      expect([o['task_id'], o['status'], o['current_stage'], o['started_at']]).toEqual([p['task_id'], p['status'], stageNames.get(p['current_stage_id'])!['stage_name'], ms(p['started_at'])])
    }
    const stages = byKey(rows(ours.tasks, 'SELECT * FROM lifecycle_stages'), 'id')
    for (const s of rows(cleo.tasks, 'SELECT * FROM lifecycle_stages')) {
      const o = stages.get(s['id'])!
      expect([o['pipeline_id'], o['stage_name'], o['sequence'], o['status'], o['started_at'], o['completed_at']]).toEqual([
        s['pipeline_id'],
        s['stage_name'],
        s['sequence'],
        s['status'],
        ms(s['started_at']),
        ms(s['completed_at']),
      ])
    }
    expect(rows(ours.tasks, 'SELECT id, stage_id, gate_name, result, checked_at, checked_by FROM lifecycle_gate_results')).toEqual(
      rows(cleo.tasks, 'SELECT id, stage_id, gate_name, result, checked_at, checked_by FROM lifecycle_gate_results').map((g) => ({ ...g, checked_at: ms(g['checked_at']) })),
    )
    expect(rows(ours.tasks, 'SELECT id, stage_id, uri, type, recorded_at FROM lifecycle_evidence')).toEqual(
      rows(cleo.tasks, 'SELECT id, stage_id, uri, type, recorded_at FROM lifecycle_evidence').map((e) => ({ ...e, recorded_at: ms(e['recorded_at']) })),
    )
    expect(rows(ours.tasks, 'SELECT id, pipeline_id, from_stage_id, to_stage_id, transition_type, created_at FROM lifecycle_transitions')).toEqual(
      rows(cleo.tasks, 'SELECT id, pipeline_id, from_stage_id, to_stage_id, transition_type, created_at FROM lifecycle_transitions').map((t) => ({ ...t, created_at: ms(t['created_at']) })),
    )
  })

  it('ADR rows (keywords as a list, date kept), links, relations, audit, tokens, external links', () => {
    const mine = byKey(rows(ours.tasks, 'SELECT * FROM architecture_decisions'), 'id')
    for (const a of rows(cleo.tasks, 'SELECT * FROM architecture_decisions')) {
      const o = mine.get(a['id'])!
      expect([o['title'], o['status'], o['content'], o['summary'], o['file_path'], o['decided_on'], o['accepted_at']]).toEqual([
        a['title'],
        a['status'],
        a['content'],
        a['summary'],
        a['file_path'],
        a['date'],
        ms(a['accepted_at']),
      ])
      expect(json(o['keywords_json'])).toEqual(a['keywords'] === null ? [] : String(a['keywords']).split(','))
      expect([o['supersedes_id'], o['superseded_by_id']]).toEqual([a['supersedes_id'], a['superseded_by_id']])
    }
    for (const l of rows(cleo.tasks, 'SELECT * FROM adr_task_links')) {
      expect(rows(ours.tasks, `SELECT link_type FROM adr_task_links WHERE adr_id = '${String(l['adr_id'])}' AND task_id = '${String(l['task_id'])}'`)).toEqual([{ link_type: l['link_type'] }])
    }
    const audit = rows(ours.tasks, "SELECT * FROM audit_log WHERE action NOT LIKE '%.%' OR action = 'tasks.add'")
    for (const a of rows(cleo.tasks, 'SELECT * FROM audit_log')) {
      const o = audit.find((r) => json(r['details_json'])?.cleoAuditId === a['id'])!
      expect([o['timestamp'], o['action'], o['entity_id'], o['actor'], o['domain'], o['operation'], o['success'], o['duration_ms'], o['kind']]).toEqual([
        ms(a['timestamp']),
        a['action'],
        a['task_id'],
        a['actor'],
        a['domain'],
        a['operation'],
        a['success'],
        a['duration_ms'],
        'operation',
      ])
    }
    const columns = 'provider, model, transport, task_id, input_chars, output_chars, input_tokens, output_tokens, total_tokens'
    expect(rows(ours.tasks, `SELECT ${columns}, created_at FROM token_usage`)).toEqual(rows(cleo.tasks, `SELECT ${columns}, created_at FROM token_usage`).map((t) => ({ ...t, created_at: ms(t['created_at']) })))
    const link = 'id, task_id, provider_id, external_id, external_url, link_type, sync_direction'
    expect(rows(ours.tasks, `SELECT ${link}, linked_at FROM external_task_links`)).toEqual(rows(cleo.tasks, `SELECT ${link}, linked_at FROM external_task_links`).map((l) => ({ ...l, linked_at: ms(l['linked_at']) })))
  })
})

describe('brain.db round trip', () => {
  it('memories keep ids, text, tiers and validity; every entry is queued for embedding', () => {
    const shared = ['memory_tier', 'memory_type', 'source_confidence', 'quality_score']
    const tables: Array<[string, string[]]> = [
      ['brain_decisions', ['type', 'decision', 'rationale', 'confidence', 'outcome', 'context_task_id']],
      ['brain_patterns', ['type', 'pattern', 'context', 'frequency', 'success_rate', 'impact']],
      ['brain_learnings', ['insight', 'source', 'confidence', 'actionable']],
      ['brain_observations', ['type', 'title', 'narrative', 'source_session_id']],
    ]
    let total = 0
    for (const [table, columns] of tables) {
      const mine = byKey(rows(ours.brain, `SELECT * FROM ${table}`), 'id')
      for (const m of rows(cleo.brain, `SELECT * FROM ${table}`)) {
        total += 1
        const o = mine.get(m['id'])!
        expect(o, `${table} ${String(m['id'])}`).toBeDefined()
        for (const column of columns) expect(o[column], `${table}.${column}`).toEqual(m[column])
        for (const column of shared) if (m[column] !== null) expect(o[column], `${table}.${column}`).toEqual(m[column])
        expect(o['created_at']).toBe(ms(m['created_at'] ?? m['extracted_at']))
        if (m['valid_at'] !== null) expect(o['valid_at']).toBe(ms(m['valid_at']))
        if (m['verified'] !== null) expect(o['verified']).toBe(m['verified'])
      }
    }
    const sticky = rows(cleo.brain, 'SELECT * FROM brain_sticky_notes')
    for (const s of sticky) {
      const o = rows(ours.brain, `SELECT * FROM brain_sticky_notes WHERE id = '${String(s['id'])}'`)[0]!
      expect([o['content'], json(o['tags_json']), o['color'], o['priority'], o['created_at']]).toEqual([s['content'], json(s['tags_json']), s['color'], s['priority'], ms(s['created_at'])])
    }
    expect(rows(ours.brain, 'SELECT memory_kind, memory_id, task_id, link_type FROM brain_memory_links')).toEqual(
      rows(cleo.brain, 'SELECT memory_type AS memory_kind, memory_id, task_id, link_type FROM brain_memory_links'),
    )
    expect(rows(ours.brain, "SELECT count(*) AS n FROM brain_embedding_queue WHERE reason = 'new'")[0]!['n']).toBe(total + sticky.length)
  })
})

describe('conduit.db round trip', () => {
  it('conversations become direct pairs with participants; messages keep content and their delivery/read state', () => {
    for (const c of rows(cleo.conduit, 'SELECT * FROM conversations')) {
      const o = rows(ours.conduit, `SELECT * FROM conversations WHERE id = '${String(c['id'])}'`)[0]!
      const people = String(c['participants']).split(',').sort()
      expect([o['kind'], o['direct_key'], o['visibility'], o['created_at']]).toEqual(['direct', JSON.stringify(people), c['visibility'], ms(c['created_at'])])
      expect(rows(ours.conduit, `SELECT agent_id FROM conversation_participants WHERE conversation_id = '${String(c['id'])}' ORDER BY 1`).map((r) => r['agent_id'])).toEqual(people)
      expect(o['message_count']).toBe(rows(cleo.conduit, `SELECT count(*) AS n FROM messages WHERE conversation_id = '${String(c['id'])}'`)[0]!['n'])
    }
    for (const m of rows(cleo.conduit, 'SELECT * FROM messages')) {
      const o = rows(ours.conduit, `SELECT m.*, r.agent_id AS recipient, r.delivered_at, r.read_at FROM messages AS m JOIN message_recipients AS r ON r.message_seq = m.seq WHERE m.id = '${String(m['id'])}'`)[0]!
      expect([o['conversation_id'], o['from_agent_id'], o['recipient'], o['content'], o['content_type'], o['created_at']]).toEqual([
        m['conversation_id'],
        m['from_agent_id'],
        m['to_agent_id'],
        m['content'],
        m['content_type'],
        ms(m['created_at']),
      ])
      expect(o['read_at'] !== null).toBe(m['status'] === 'read' || m['read_at'] !== null)
      if (m['read_at'] !== null) expect(o['read_at']).toBe(ms(m['read_at']))
      expect(o['delivered_at'] !== null).toBe(m['status'] !== 'pending')
    }
    expect(rows(ours.conduit, 'SELECT message_id, pinned_by, conversation_id FROM message_pins')).toEqual(rows(cleo.conduit, 'SELECT message_id, pinned_by, conversation_id FROM message_pins'))
    for (const r of rows(cleo.conduit, 'SELECT * FROM project_agent_refs')) {
      expect(rows(ours.conduit, `SELECT enabled, role, attached_at FROM project_agent_refs WHERE agent_id = '${String(r['agent_id'])}'`)).toEqual([
        { enabled: r['enabled'], role: r['role'], attached_at: ms(r['attached_at']) },
      ])
    }
    const attachment = rows(ours.conduit, 'SELECT a.slug, a.format, b.content FROM attachments AS a JOIN attachment_versions AS v ON v.slug = a.slug JOIN attachment_blobs AS b ON b.hash = v.content_hash')
    expect(attachment.map((a) => [a['slug'], Buffer.from(a['content'] as Uint8Array).toString('utf8')])).toEqual(
      rows(cleo.conduit, 'SELECT slug, content FROM attachments').map((a) => [a['slug'], String(a['content'])]),
    )
  })
})

describe('global stores round trip', () => {
  it('nexus: the registry keeps project id, path, name and counters; the audit log its rows', () => {
    for (const p of rows(cleo.nexus, 'SELECT * FROM project_registry')) {
      const o = rows(ours.nexus, `SELECT * FROM project_registry WHERE project_id = '${String(p['project_id'])}'`)[0]!
      expect([o['name'], o['health_status'], o['permissions'], o['task_count'], json(o['labels_json']), o['registered_at']]).toEqual([
        p['name'],
        p['health_status'],
        p['permissions'],
        p['task_count'],
        json(p['labels_json']),
        ms(p['registered_at']),
      ])
      expect(o['project_hash']).toMatch(/^[0-9a-f]{64}$/)
    }
    for (const a of rows(cleo.nexus, 'SELECT * FROM nexus_audit_log')) {
      expect(rows(ours.nexus, `SELECT action, project_id, success, occurred_at FROM nexus_audit_log WHERE id = '${String(a['id'])}'`)).toEqual([
        { action: a['action'], project_id: a['project_id'], success: a['success'], occurred_at: ms(a['timestamp']) },
      ])
    }
  })

  it('signaldock: agents keep identity and settings; sealed credentials are dropped and the agent marked requires_reauth', () => {
    for (const a of rows(cleo.signaldock, 'SELECT * FROM agents')) {
      const o = rows(ours.signaldock, `SELECT * FROM agents WHERE id = '${String(a['id'])}'`)[0]!
      expect([o['agent_id'], o['name'], o['class'], o['is_active'], o['tier'], o['can_spawn'], o['orch_level'], o['created_at']]).toEqual([
        a['agent_id'],
        a['name'],
        a['class'],
        a['is_active'],
        a['tier'],
        a['can_spawn'],
        a['orch_level'],
        ms(a['created_at']),
      ])
      expect(o['api_key_encrypted']).toBeNull()
      expect(o['requires_reauth']).toBe(a['api_key_encrypted'] !== null ? 1 : a['requires_reauth'])
    }
    expect(rows(ours.signaldock, 'SELECT agent_id, capability_id FROM agent_capabilities')).toEqual(rows(cleo.signaldock, 'SELECT agent_id, capability_id FROM agent_capabilities'))
    expect(rows(ours.signaldock, 'SELECT agent_id, skill_id, source FROM agent_skills')).toEqual(rows(cleo.signaldock, 'SELECT agent_id, skill_id, source FROM agent_skills'))
    expect(rows(ours.signaldock, 'SELECT id, slug, name FROM capabilities')).toEqual(rows(cleo.signaldock, 'SELECT id, slug, name FROM capabilities'))
    // The report never quotes a secret.
    expect(JSON.stringify(report)).not.toContain('cd'.repeat(32))
  })
})
