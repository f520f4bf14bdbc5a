/**
 * CLEO brain.db → cleo-store brain.db (issue 18): the four typed memory tables, sticky
 * notes and memory ↔ task links, ids kept. Content hashes are recomputed with
 * cleo-store's normalisation (CLEO's are a different function); embeddings are not
 * copied: every imported entry is queued (`brain_embedding_queue`, reason `new`) and
 * the workspace's embedder computes them later through its queue.
 *
 * @module
 */
import type { DatabaseSync } from 'node:sqlite'

import { KEY_BASE, KIND_CODES, KIND_TABLES } from '../brain/memory-kinds.js'
import type { BrainMemoryKind } from '../brain/memory-kinds.js'
import { contentHash, MEMORY_CODECS } from '../brain/memory-rows.js'
import type { TableReport, CleoRow, ImportWriter, TargetRow } from './cleo-import-rows.js'
import { bool, cleoTime, int, jsonArray, oneOf, parseJson, readTable, real, skip, tableReport, text } from './cleo-import-rows.js'

/** CLEO brain tables this version does not bring over, and why. */
export const CLEO_BRAIN_NOT_IMPORTED: Readonly<Record<string, string>> = Object.freeze({
  brain_page_nodes: "CLEO's memory graph is derived data; cleo-store keeps typed links instead",
  brain_page_edges: "CLEO's memory graph is derived data; cleo-store keeps typed links instead",
  brain_embeddings: 're-computed by the workspace embedder (queued)',
})

const CLEO_TABLE: Readonly<Record<BrainMemoryKind, string>> = {
  decision: 'brain_decisions',
  pattern: 'brain_patterns',
  learning: 'brain_learnings',
  observation: 'brain_observations',
}

type Shaped = { readonly row: TargetRow } | { readonly reason: string }

function array(row: CleoRow, column: string): string | { reason: string } {
  const value = jsonArray(row[column])
  return value === undefined ? { reason: `${column} is not a JSON array` } : value
}

function kindColumns(kind: BrainMemoryKind, row: CleoRow, created: number): Shaped {
  switch (kind) {
    case 'decision': {
      const alternatives = array(row, 'alternatives_json')
      if (typeof alternatives !== 'string') return alternatives
      return {
        row: {
          type: text(row['type']),
          decision: text(row['decision']),
          rationale: text(row['rationale']) ?? '',
          confidence: oneOf(row['confidence'], ['low', 'medium', 'high'] as const) ?? confidenceWord(real(row['confidence'])),
          outcome: oneOf(row['outcome'], ['success', 'failure', 'mixed', 'pending'] as const),
          alternatives_json: alternatives,
          context_epic_id: text(row['context_epic_id']),
          context_task_id: text(row['context_task_id']),
          context_phase: text(row['context_phase']),
        },
      }
    }
    case 'pattern': {
      const examples = array(row, 'examples_json')
      if (typeof examples !== 'string') return examples
      return {
        row: {
          type: text(row['type']),
          pattern: text(row['pattern']),
          context: text(row['context']) ?? '',
          frequency: Math.max(1, int(row['frequency']) ?? 1),
          success_rate: real(row['success_rate']),
          impact: oneOf(row['impact'], ['low', 'medium', 'high'] as const),
          anti_pattern: text(row['anti_pattern']),
          mitigation: text(row['mitigation']),
          examples_json: examples,
        },
      }
    }
    case 'learning': {
      const types = array(row, 'applicable_types_json')
      if (typeof types !== 'string') return types
      return {
        row: {
          insight: text(row['insight']),
          source: text(row['source']) ?? '',
          confidence: real(row['confidence']),
          actionable: bool(row['actionable']) ?? 0,
          application: text(row['application']),
          applicable_types_json: types,
          decayed_at: null,
        },
      }
    }
    case 'observation': {
      const lists: Record<string, string> = {}
      for (const column of ['facts_json', 'concepts_json', 'files_read_json', 'files_modified_json']) {
        const value = array(row, column)
        if (typeof value !== 'string') return value
        lists[column] = value
      }
      return {
        row: {
          type: text(row['type']),
          title: text(row['title']),
          subtitle: text(row['subtitle']),
          narrative: text(row['narrative']),
          ...lists,
          project: text(row['project']),
          source_session_id: text(row['source_session_id']),
          source_type: oneOf(row['source_type'], ['agent', 'session-debrief', 'claude-mem', 'manual'] as const) ?? 'agent',
          agent: text(row['agent']),
          discovery_tokens: (() => {
            const n = int(row['discovery_tokens'])
            return n === null || n < 0 ? null : n
          })(),
        },
      }
    }
  }
  void created
}

function confidenceWord(value: number | null): 'low' | 'medium' | 'high' | null {
  if (value === null) return null
  return value >= 0.75 ? 'high' : value >= 0.4 ? 'medium' : 'low'
}

/** Imports CLEO's brain.db into the staging store behind `writer`; returns the imported memory ids by kind. */
export function importCleoBrain(cleo: DatabaseSync, writer: ImportWriter, reports: TableReport[], now: number): Map<string, BrainMemoryKind> {
  const imported = new Map<string, BrainMemoryKind>()
  for (const kind of Object.keys(CLEO_TABLE) as BrainMemoryKind[]) {
    const rows = readTable(cleo, CLEO_TABLE[kind])
    if (rows === null) continue
    const report = tableReport(CLEO_TABLE[kind], KIND_TABLES[kind])
    report.read = rows.length
    reports.push(report)
    const codec = MEMORY_CODECS[kind]
    for (const row of rows) {
      const id = text(row['id'])
      if (id === null) {
        skip(report, '(no id)', 'no id')
        continue
      }
      const created = cleoTime(row['created_at']) ?? cleoTime(row['extracted_at']) ?? now
      const own = kindColumns(kind, row, created)
      if ('reason' in own) {
        skip(report, id, own.reason)
        continue
      }
      const promotedAt = cleoTime(row['tier_promoted_at'])
      const promotion = text(row['tier_promotion_reason'])
      const target: TargetRow = {
        id,
        ...own.row,
        quality_score: real(row['quality_score']),
        memory_tier: oneOf(row['memory_tier'], ['short', 'medium', 'long'] as const) ?? codec.defaults.memory_tier,
        memory_type: oneOf(row['memory_type'], ['semantic', 'episodic', 'procedural'] as const) ?? codec.defaults.memory_type,
        verified: bool(row['verified']) ?? 0,
        source_confidence: oneOf(row['source_confidence'], ['owner', 'task-outcome', 'agent', 'speculative'] as const) ?? codec.defaults.source_confidence,
        citation_count: Math.max(0, int(row['citation_count']) ?? 0),
        valid_at: cleoTime(row['valid_at']) ?? created,
        invalid_at: cleoTime(row['invalid_at']),
        superseded_by: null,
        tier_promoted_at: promotedAt !== null && promotion !== null ? promotedAt : null,
        tier_promotion_reason: promotedAt !== null && promotion !== null ? promotion : null,
        content_hash: contentHash(codec.primaryText(own.row as never)),
        idempotency_key: null,
        created_at: created,
        updated_at: cleoTime(row['updated_at']) ?? created,
      }
      if (writer.insert(report, id, KIND_TABLES[kind], target) === 'imported') imported.set(id, kind)
    }
  }

  const stickyRows = readTable(cleo, 'brain_sticky_notes')
  if (stickyRows !== null) {
    const report = tableReport('brain_sticky_notes', 'brain_sticky_notes')
    report.read = stickyRows.length
    reports.push(report)
    for (const row of stickyRows) {
      const id = text(row['id']) ?? '?'
      const content = text(row['content']) ?? ''
      const tags = jsonArray(row['tags_json'])
      if (tags === undefined) {
        skip(report, id, 'tags_json is not a JSON array')
        continue
      }
      const converted = parseJson(row['converted_to_json']) as { type?: unknown; kind?: unknown; id?: unknown } | undefined
      const convertedKind = oneOf(converted?.kind ?? converted?.type, ['decision', 'pattern', 'learning', 'observation'] as const)
      const convertedId = convertedKind === null ? null : text(converted?.id)
      const status = oneOf(row['status'], ['active', 'converted', 'archived'] as const) ?? 'active'
      const created = cleoTime(row['created_at']) ?? now
      writer.insert(report, id, 'brain_sticky_notes', {
        id,
        content,
        tags_json: tags,
        status: status === 'converted' && convertedId === null ? 'archived' : status,
        converted_to_kind: status === 'converted' && convertedId !== null ? convertedKind : null,
        converted_to_id: status === 'converted' ? convertedId : null,
        color: oneOf(row['color'], ['yellow', 'blue', 'green', 'red', 'purple'] as const),
        priority: oneOf(row['priority'], ['low', 'medium', 'high'] as const),
        content_hash: contentHash(content),
        idempotency_key: null,
        created_at: created,
        updated_at: cleoTime(row['updated_at']) ?? created,
      })
    }
  }

  const linkRows = readTable(cleo, 'brain_memory_links')
  if (linkRows !== null) {
    const report = tableReport('brain_memory_links', 'brain_memory_links')
    report.read = linkRows.length
    reports.push(report)
    for (const row of linkRows) {
      const memory = text(row['memory_id'])
      const task = text(row['task_id'])
      const key = `${memory} → ${task}`
      const kind = oneOf(row['memory_type'], ['decision', 'pattern', 'learning', 'observation'] as const)
      const linkType = oneOf(row['link_type'], ['produced_by', 'applies_to', 'informed_by', 'contradicts'] as const)
      if (kind === null || linkType === null) {
        skip(report, key, `memory type ${String(row['memory_type'])} / link type ${String(row['link_type'])} is not one of cleo-store's`)
        continue
      }
      writer.insert(report, key, 'brain_memory_links', {
        memory_kind: kind,
        memory_id: memory,
        task_id: task,
        link_type: linkType,
        created_at: cleoTime(row['created_at']) ?? now,
      })
    }
  }

  for (const [name, why] of Object.entries(CLEO_BRAIN_NOT_IMPORTED)) {
    const rows = readTable(cleo, name)
    if (rows === null) continue
    const report = tableReport(name, null)
    report.read = rows.length
    reports.push(report)
    for (const row of rows) skip(report, text(row['id']) ?? `${text(row['from_id'])} → ${text(row['to_id'])}`, `not imported: ${why}`)
  }

  // Every imported entry waits for the workspace's embedder.
  for (const kind of ['decision', 'pattern', 'learning', 'observation', 'sticky'] as const) {
    writer.run(
      `INSERT INTO brain_embedding_queue (memory_key, reason, attempts, last_error, queued_at)
       SELECT ? + seq, 'new', 0, NULL, ? FROM ${KIND_TABLES[kind]} WHERE true ON CONFLICT DO NOTHING`,
      [KIND_CODES[kind] * KEY_BASE, now],
    )
  }
  return imported
}
