/**
 * The files CLEO keeps beside tasks.db (issue 18): ADRs as markdown in
 * `.cleo/adrs/ADR-NNN*.md` and the agent-output manifest
 * `.cleo/agent-outputs/MANIFEST.jsonl`. Imported into the staging tasks store after
 * CLEO's tables (the files are only read; they stay where they are). A malformed file
 * or line is reported and skipped, never fatal.
 *
 * ADR front matter is CLEO's bold-label lines near the top of the file:
 *
 * ```md
 * # ADR-003: Keep ids
 *
 * **Status**: Accepted
 * **Date**: 2026-04-03
 * **Supersedes**: ADR-001
 * **Amends**: ADR-002
 * **Related Tasks**: T001, T003
 * **Summary**: Task ids stay as CLEO wrote them.
 * **Keywords**: ids, import
 * ```
 *
 * @module
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

import { ADR_STATUSES } from '../tasks/tasks.enums.js'
import { TASK_ID_REGEX } from '../tasks/task-ids.js'
import type { TableReport, ImportWriter } from './cleo-import-rows.js'
import { cleoTime, compact, skip, tableReport } from './cleo-import-rows.js'
import type { TasksImportState } from './cleo-import-tasks.js'
import { adrRow, relateAdrs } from './cleo-import-tasks.js'

/** The source names the report uses for the two file sets. */
export const ADR_FILES_SOURCE = 'adrs/*.md'
export const MANIFEST_SOURCE = 'agent-outputs/MANIFEST.jsonl'

/** An ADR file CLEO would sync: top level of `adrs/`, named `ADR-<digits>…md`. */
const ADR_FILE = /^(ADR-\d+)(?:[-_.].*)?\.md$/i

/** What an ADR file's front matter says. */
export interface CleoAdrFile {
  readonly id: string
  readonly title: string
  readonly fields: Readonly<Record<string, string>>
  readonly content: string
}

/**
 * Parses one ADR markdown file: the id from its name, the title from its first `#`
 * heading (`# ADR-003: Title` or `# Title`), and every `**Label**: value` line before
 * the first `##` section. Returns a reason string when the file cannot be an ADR row.
 *
 * @example
 * ```ts
 * parseCleoAdr('ADR-003-ids.md', '# ADR-003: Keep ids\n\n**Status**: Accepted\n')
 * // { id: 'ADR-003', title: 'Keep ids', fields: { status: 'Accepted' }, content: '…' }
 * ```
 */
export function parseCleoAdr(fileName: string, content: string): CleoAdrFile | string {
  const name = ADR_FILE.exec(fileName)
  if (name === null) return 'the file name is not ADR-<number>….md'
  const id = name[1]!.toUpperCase()
  const lines = content.split(/\r?\n/)
  const fields: Record<string, string> = {}
  let title: string | null = null
  for (const line of lines) {
    if (/^##\s/.test(line)) break
    const heading = /^#\s+(.*)$/.exec(line)
    if (heading && title === null) {
      title = heading[1]!.replace(/^ADR-\d+\s*[:—–-]\s*/i, '').trim()
      continue
    }
    const field = /^\s*[-*]?\s*\*\*([^*]+?)\*\*\s*:?\s*(?:\*\*)?\s*:?\s*(.*)$/.exec(line)
    if (field) fields[field[1]!.replace(/:$/, '').trim().toLowerCase()] = field[2]!.trim()
  }
  if (title === null || title === '') return 'no "# ADR-NNN: Title" heading'
  if (title.length > 300) return 'the title is longer than 300 characters'
  return { id, title, fields, content }
}

function adrIds(value: string | undefined): string[] {
  return [...(value ?? '').matchAll(/ADR-\d+/gi)].map((m) => m[0].toUpperCase())
}

function taskIds(value: string | undefined): string[] {
  return [...(value ?? '').matchAll(/\bT\d+\b/g)].map((m) => m[0]).filter((id) => TASK_ID_REGEX.test(id))
}

/** Imports `.cleo/adrs/*.md` and `.cleo/agent-outputs/MANIFEST.jsonl` into the staging tasks store. */
export function importCleoProjectFiles(cleoDir: string, writer: ImportWriter, reports: TableReport[], state: TasksImportState): void {
  importAdrFiles(join(cleoDir, 'adrs'), writer, reports, state)
  importManifest(join(cleoDir, 'agent-outputs', 'MANIFEST.jsonl'), writer, reports, state)
}

function importAdrFiles(dir: string, writer: ImportWriter, reports: TableReport[], state: TasksImportState): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return
  const files = readdirSync(dir)
    .filter((name) => name.toLowerCase().endsWith('.md') && statSync(join(dir, name)).isFile())
    .sort()
  const report = tableReport(ADR_FILES_SOURCE, 'architecture_decisions')
  const links = tableReport(`${ADR_FILES_SOURCE} Related Tasks`, 'adr_task_links')
  const relations = tableReport(`${ADR_FILES_SOURCE} Supersedes/Amends`, 'adr_relations')
  report.read = files.length
  reports.push(report, links, relations)
  const parsed: CleoAdrFile[] = []
  for (const name of files) {
    let content: string
    try {
      content = readFileSync(join(dir, name), 'utf8')
    } catch (error) {
      skip(report, name, `unreadable: ${(error as Error).message}`)
      continue
    }
    const adr = parseCleoAdr(name, content)
    if (typeof adr === 'string') {
      skip(report, name, adr)
      continue
    }
    const status = adr.fields['status']?.toLowerCase().split(/\s/)[0]
    if (status !== undefined && !(ADR_STATUSES as readonly string[]).includes(status)) {
      skip(report, name, `status "${adr.fields['status']}" is not one of ${ADR_STATUSES.join(', ')}`)
      continue
    }
    const date = adr.fields['date']
    if (date !== undefined && !/^\d{4}-\d{2}-\d{2}/.test(date)) {
      skip(report, name, `date "${date}" is not YYYY-MM-DD`)
      continue
    }
    if (state.adrs.has(adr.id)) {
      // tasks.db already holds this ADR (CLEO syncs the files into it); its row was imported.
      skip(report, name, `${adr.id} was already imported from tasks.db architecture_decisions`)
      parsed.push(adr)
      continue
    }
    const at = cleoTime(date) ?? state.now
    const outcome = writer.insert(
      report,
      name,
      'architecture_decisions',
      adrRow({
        id: adr.id,
        title: adr.title,
        status: status ?? 'proposed',
        content,
        summary: adr.fields['summary'] ?? null,
        keywords: adr.fields['keywords'] ?? null,
        topics: adr.fields['topics'] ?? null,
        gate: adr.fields['gate'] ?? null,
        gateStatus: adr.fields['gate status'] ?? null,
        filePath: join('.cleo', 'adrs', name),
        date: date ?? null,
        acceptedAt: status === 'accepted' ? at : null,
        createdAt: at,
        updatedAt: at,
      }),
    )
    if (outcome === 'imported') state.adrs.add(adr.id)
    parsed.push(adr)
  }
  for (const adr of parsed) {
    if (!state.adrs.has(adr.id)) continue
    for (const task of taskIds(adr.fields['related tasks'])) {
      links.read += 1
      if (!state.tasks.has(task)) {
        skip(links, `${adr.id} → ${task}`, `task ${task} was not imported`)
        continue
      }
      writer.insert(links, `${adr.id} → ${task}`, 'adr_task_links', { adr_id: adr.id, task_id: task, link_type: 'related', created_at: state.now })
    }
    for (const [label, type] of [
      ['supersedes', 'supersedes'],
      ['amends', 'amends'],
    ] as const) {
      for (const other of adrIds(adr.fields[label])) {
        relations.read += 1
        if (!state.adrs.has(other)) {
          skip(relations, `${adr.id} ${type} ${other}`, `${other} is not an imported ADR`)
          continue
        }
        relateAdrs(writer, relations, adr.id, other, type, state.now)
      }
    }
  }
}

function importManifest(file: string, writer: ImportWriter, reports: TableReport[], state: TasksImportState): void {
  if (!existsSync(file)) return
  const report = tableReport(MANIFEST_SOURCE, 'pipeline_manifest')
  reports.push(report)
  const lines = readFileSync(file, 'utf8').split(/\r?\n/)
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue
    report.read += 1
    const key = `line ${index + 1}`
    let entry: unknown
    try {
      entry = JSON.parse(line)
    } catch {
      skip(report, key, 'not JSON')
      continue
    }
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      skip(report, key, 'not a JSON object')
      continue
    }
    const record = entry as Record<string, unknown>
    const id = typeof record['id'] === 'string' && record['id'].trim() !== '' ? record['id'].trim() : null
    if (id === null) {
      skip(report, key, 'no "id"')
      continue
    }
    const linked = Array.isArray(record['linked_tasks']) ? record['linked_tasks'].filter((t): t is string => typeof t === 'string') : []
    const task = linked.find((t) => state.tasks.has(t)) ?? null
    const type = typeof record['agent_type'] === 'string' && record['agent_type'] !== '' ? record['agent_type'] : 'agent-output'
    const archived = record['status'] === 'archived'
    const created = cleoTime(record['date']) ?? state.now
    writer.insert(report, `${key} (${id})`, 'pipeline_manifest', {
      id,
      session_id: null,
      task_id: task,
      epic_id: null,
      type: type.slice(0, 100),
      content: line,
      content_hash: createHash('sha256').update(line, 'utf8').digest('hex'),
      status: archived ? 'archived' : 'active',
      distilled: 0,
      brain_obs_id: null,
      source_file: typeof record['file'] === 'string' ? record['file'] : MANIFEST_SOURCE,
      metadata_json: JSON.stringify(compact({ ...record, cleoManifestLine: index + 1 })),
      created_at: created,
      archived_at: archived ? created : null,
    })
  }
}
