/**
 * CLEO conduit.db → cleo-store conduit.db (issue 18): conversations (with their
 * participants as rows), messages with their read/delivery state (one recipient row
 * per message), pins, attachments with their first version, approvals and
 * contributors, and `project_agent_refs`. CLEO's epoch-second timestamps become
 * epoch ms.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import type { DatabaseSync } from 'node:sqlite'

import { directConversationKey } from '../conduit/conversations.js'
import type { TableReport, ImportWriter } from './cleo-import-rows.js'
import { bool, cleoTime, compact, int, jsonArray, jsonObject, oneOf, parseJson, skip, startTable, tableReport, text } from './cleo-import-rows.js'

/** CLEO conduit tables this version does not bring over, and why. */
export const CLEO_CONDUIT_NOT_IMPORTED: Readonly<Record<string, string>> = Object.freeze({
  delivery_jobs: "CLEO's (Rust) delivery queue is runtime state; undelivered messages stay undelivered for their recipient",
  dead_letters: "CLEO's (Rust) delivery queue is runtime state",
})

/** CLEO's participants: a JSON array (Rust) or sorted comma-joined ids (TypeScript). */
function participantsOf(value: unknown): string[] {
  const parsed = parseJson(value)
  const list = Array.isArray(parsed) ? parsed.filter((v): v is string => typeof v === 'string') : String(value ?? '').split(',')
  return [...new Set(list.map((v) => v.trim()).filter((v) => v !== ''))]
}

/** Imports CLEO's conduit.db into the staging store behind `writer`. */
export function importCleoConduit(cleo: DatabaseSync, writer: ImportWriter, reports: TableReport[], now: number): void {
  // ── conversations ──
  const conversations = startTable(cleo, reports, 'conversations', 'conversations')
  const conversationId = new Map<string, string>()
  if (conversations) {
    const participantsReport = tableReport('conversations.participants', 'conversation_participants')
    reports.push(participantsReport)
    for (const row of conversations.rows) {
      const id = text(row['id']) ?? '?'
      const people = participantsOf(row['participants'])
      participantsReport.read += people.length
      const created = cleoTime(row['created_at']) ?? now
      const direct = people.length === 2
      const outcome = writer.insert(conversations.report, id, 'conversations', {
        id,
        kind: direct ? 'direct' : 'group',
        direct_key: direct ? directConversationKey(people[0]!, people[1]!) : null,
        name: null,
        title: null,
        visibility: oneOf(row['visibility'], ['private', 'public', 'shared'] as const) ?? 'private',
        created_by: people[0] ?? 'unknown',
        message_count: 0,
        last_message_at: null,
        created_at: created,
        updated_at: cleoTime(row['updated_at']) ?? created,
      })
      if (outcome === 'exists' && direct) {
        // CLEO's two writers kept two conversations for one pair: their messages join the first.
        const [first] = writer.all<{ id: string }>('SELECT id FROM conversations WHERE direct_key = ?', [directConversationKey(people[0]!, people[1]!)])
        if (first !== undefined) {
          conversationId.set(id, first.id)
          const last = conversations.report.reasons.length - 1
          if (conversations.report.reasons[last]?.key === id) {
            conversations.report.reasons[last] = { key: id, reason: `the same pair as conversation ${first.id}: its messages were imported into it` }
          }
        }
        for (const agent of people) skip(participantsReport, `${id}/${agent}`, 'the conversation was merged into another')
        continue
      }
      if (outcome !== 'imported') {
        for (const agent of people) skip(participantsReport, `${id}/${agent}`, 'the conversation was not imported')
        continue
      }
      conversationId.set(id, id)
      for (const agent of people) {
        writer.insert(participantsReport, `${id}/${agent}`, 'conversation_participants', { conversation_id: id, agent_id: agent, joined_at: created })
      }
    }
  }
  const conversationOf = (value: unknown): string | null => {
    const id = text(value)
    return id === null ? null : (conversationId.get(id) ?? null)
  }

  // ── messages and their recipients ──
  const messages = startTable(cleo, reports, 'messages', 'messages')
  if (messages) {
    const recipients = tableReport('messages.to_agent_id', 'message_recipients')
    reports.push(recipients)
    const sorted = [...messages.rows].sort((a, b) => (cleoTime(a['created_at']) ?? 0) - (cleoTime(b['created_at']) ?? 0))
    const imported = new Set<string>()
    for (const row of sorted) {
      const id = text(row['id']) ?? '?'
      const conversation = conversationOf(row['conversation_id'])
      recipients.read += 1
      if (conversation === null) {
        skip(messages.report, id, `conversation ${String(row['conversation_id'])} was not imported`)
        skip(recipients, id, 'its message was not imported')
        continue
      }
      const metadata = jsonObject(row['metadata'])
      const attachments = jsonArray(row['attachments'])
      const extra = compact({
        cleoAttachments: attachments !== undefined && attachments !== '[]' ? JSON.parse(attachments) : undefined,
        cleoGroupId: text(row['group_id']),
      })
      const created = cleoTime(row['created_at']) ?? now
      const outcome = writer.insert(messages.report, id, 'messages', {
        id,
        conversation_id: conversation,
        from_agent_id: text(row['from_agent_id']),
        content: typeof row['content'] === 'string' ? row['content'] : '',
        content_type: oneOf(row['content_type'], ['text', 'markdown', 'json', 'image', 'file', 'video', 'audio', 'link', 'rich_text', 'mixed'] as const) ?? 'text',
        reply_to: null,
        idempotency_key: null,
        metadata: JSON.stringify({ ...(metadata === undefined ? { cleoMetadata: text(row['metadata']) } : (JSON.parse(metadata) as object)), ...extra }),
        created_at: created,
      })
      if (outcome !== 'imported') {
        skip(recipients, id, 'its message was not imported')
        continue
      }
      imported.add(id)
      const [{ seq }] = writer.all<{ seq: number }>('SELECT seq FROM messages WHERE id = ?', [id]) as [{ seq: number }]
      const status = text(row['status']) ?? 'pending'
      const read = status === 'read' ? (cleoTime(row['read_at']) ?? cleoTime(row['delivered_at']) ?? created) : cleoTime(row['read_at'])
      const delivered = status === 'delivered' || status === 'read' || read !== null ? (cleoTime(row['delivered_at']) ?? read ?? created) : cleoTime(row['delivered_at'])
      writer.insert(recipients, id, 'message_recipients', {
        agent_id: text(row['to_agent_id']),
        message_seq: seq,
        delivered_at: delivered,
        read_at: read !== null && delivered !== null ? Math.max(read, delivered) : null,
        // CLEO's ack is its delivery: a delivered message was acknowledged by its poller.
        acked_at: delivered,
      })
    }
    for (const row of sorted) {
      const id = text(row['id'])
      const reply = text(row['reply_to'])
      if (id !== null && reply !== null && imported.has(id) && imported.has(reply)) writer.run('UPDATE messages SET reply_to = ? WHERE id = ?', [reply, id])
    }
    // Counters CLEO never maintained, from the imported messages.
    writer.run(`UPDATE conversations SET
      message_count = (SELECT count(*) FROM messages AS m WHERE m.conversation_id = conversations.id),
      last_message_at = (SELECT max(m.created_at) FROM messages AS m WHERE m.conversation_id = conversations.id)`)
  }

  // ── pins ──
  const pins = startTable(cleo, reports, 'message_pins', 'message_pins')
  if (pins) {
    for (const row of pins.rows) {
      const key = text(row['id']) ?? '?'
      writer.insert(pins.report, key, 'message_pins', {
        message_id: text(row['message_id']),
        pinned_by: text(row['pinned_by']),
        conversation_id: conversationOf(row['conversation_id']),
        note: text(row['note']),
        created_at: cleoTime(row['created_at']) ?? now,
      })
    }
  }

  // ── attachments ──
  const attachments = startTable(cleo, reports, 'attachments', 'attachments')
  const firstVersion = new Set<string>()
  if (attachments) {
    for (const row of attachments.rows) {
      const slug = text(row['slug']) ?? '?'
      const content = row['content'] instanceof Uint8Array ? row['content'] : typeof row['content'] === 'string' ? Buffer.from(row['content'], 'utf8') : null
      if (content === null) {
        skip(attachments.report, slug, 'no content')
        continue
      }
      const conversation = conversationOf(row['conversation_id'])
      if (conversation === null) {
        skip(attachments.report, slug, `conversation ${String(row['conversation_id'])} was not imported`)
        continue
      }
      const created = cleoTime(row['created_at']) ?? now
      const expires = cleoTime(row['expires_at'])
      // CLEO keeps the content as llmtxt compressed it: kept byte for byte, as a binary attachment.
      const hash = createHash('sha256').update(content).digest('hex')
      const result = writer.attempt(() => {
        writer.run('INSERT INTO attachment_blobs (hash, content, size, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [hash, content, content.length, created])
        writer.run(
          `INSERT INTO attachments (slug, conversation_id, from_agent_id, title, format, mode, current_version, expires_at, created_at, updated_at)
           VALUES (?, ?, ?, ?, 'binary', ?, 1, ?, ?, ?)`,
          [slug, conversation, text(row['from_agent_id']), text(row['title']), oneOf(row['mode'], ['draft', 'review', 'locked', 'archived'] as const) ?? 'draft', expires, created, created],
        )
        writer.run(
          `INSERT INTO attachment_versions (slug, version_number, author_agent_id, change_type, content_hash, patch_text, change_summary, sections_modified, tokens_added, tokens_removed, created_at)
           VALUES (?, 1, ?, 'initial', ?, NULL, NULL, '[]', ?, 0, ?)`,
          [slug, text(row['from_agent_id']), hash, Math.max(0, int(row['tokens']) ?? 0), created],
        )
        return true as const
      })
      if (result === true) {
        attachments.report.imported += 1
        firstVersion.add(slug)
      } else {
        skip(attachments.report, slug, result.reason)
      }
    }
  }
  const versions = startTable(cleo, reports, 'attachment_versions', 'attachment_versions')
  if (versions) {
    for (const row of versions.rows) {
      const key = `${text(row['slug'])}@${int(row['version_number'])}`
      if (int(row['version_number']) === 1 && firstVersion.has(text(row['slug']) ?? '')) {
        // Version 1 was written with its attachment (the content CLEO's row holds); keep CLEO's own fields.
        const changed = writer.run(
          `UPDATE attachment_versions SET author_agent_id = ?, change_summary = ?, sections_modified = ?, created_at = ? WHERE slug = ? AND version_number = 1`,
          [text(row['author_agent_id']), text(row['change_summary']), jsonArray(row['sections_modified']) ?? '[]', cleoTime(row['created_at']) ?? now, text(row['slug'])],
        )
        if (changed > 0) versions.report.imported += 1
        else skip(versions.report, key, 'its attachment was not imported')
        continue
      }
      skip(versions.report, key, "the content of a later version is not stored in CLEO's conduit.db (only its storage key)")
    }
  }
  const approvals = startTable(cleo, reports, 'attachment_approvals', 'attachment_approvals')
  if (approvals) {
    for (const row of approvals.rows) {
      const key = `${text(row['slug'])}/${text(row['reviewer_agent_id'])}`
      const created = cleoTime(row['created_at']) ?? now
      writer.insert(approvals.report, key, 'attachment_approvals', {
        slug: text(row['slug']),
        reviewer_agent_id: text(row['reviewer_agent_id']),
        status: oneOf(row['status'], ['pending', 'approved', 'rejected'] as const) ?? 'pending',
        comment: text(row['comment']),
        version_reviewed: int(row['version_reviewed']),
        created_at: created,
        updated_at: cleoTime(row['updated_at']) ?? created,
      })
    }
  }
  const contributors = startTable(cleo, reports, 'attachment_contributors', 'attachment_contributors')
  if (contributors) {
    for (const row of contributors.rows) {
      const key = `${text(row['slug'])}/${text(row['agent_id'])}`
      const first = cleoTime(row['first_contribution_at']) ?? now
      writer.insert(contributors.report, key, 'attachment_contributors', {
        slug: text(row['slug']),
        agent_id: text(row['agent_id']),
        version_count: Math.max(0, int(row['version_count']) ?? 0),
        total_tokens_added: Math.max(0, int(row['total_tokens_added']) ?? 0),
        total_tokens_removed: Math.max(0, int(row['total_tokens_removed']) ?? 0),
        first_contribution_at: first,
        last_contribution_at: Math.max(first, cleoTime(row['last_contribution_at']) ?? first),
      })
    }
  }

  // ── project agent refs ──
  const refs = startTable(cleo, reports, 'project_agent_refs', 'project_agent_refs')
  if (refs) {
    for (const row of refs.rows) {
      const agent = text(row['agent_id']) ?? '?'
      const attached = cleoTime(row['attached_at']) ?? now
      const lastUsed = cleoTime(row['last_used_at'])
      const enabled = bool(row['enabled']) ?? 1
      const override = jsonArray(row['capabilities_override'])
      writer.insert(refs.report, agent, 'project_agent_refs', {
        agent_id: agent,
        enabled,
        role: text(row['role']),
        capabilities_override: row['capabilities_override'] == null || override === undefined ? null : override,
        attached_at: attached,
        detached_at: enabled === 1 ? null : Math.max(attached, lastUsed ?? attached),
        last_used_at: lastUsed,
        updated_at: Math.max(attached, lastUsed ?? attached),
      })
    }
  }

  for (const [name, why] of Object.entries(CLEO_CONDUIT_NOT_IMPORTED)) {
    const left = startTable(cleo, reports, name, null)
    if (left) for (const row of left.rows) skip(left.report, text(row['id']) ?? '?', `not imported: ${why}`)
  }
}
