/**
 * The nexus audit log: an append-only record of cross-project operations. Rows can be
 * added and read, never changed: triggers in nexus.db RAISE on UPDATE and DELETE, so even
 * a write through `nexus.kysely` fails with `INVARIANT`.
 *
 * @module
 */
import type { z } from 'zod'

import { toIso } from '../sqlite/clock.js'
import { CleoStoreError } from '../sqlite/errors.js'
import type { IterateFilter, Page } from '../sqlite/paging.js'
import { decodeKeysetCursor, encodeKeysetCursor, iteratePages } from '../sqlite/paging.js'
import { fromJsonOrNull, toJson } from '../sqlite/json.js'
import { template } from '../sqlite/query-template.js'
import type { Executor, Step } from '../sqlite/store-engine.js'
import { validate } from '../sqlite/validate.js'
import type { NexusParts } from './nexus-parts.js'
import type {
  AppendNexusAuditInput,
  ListNexusAuditOptions,
} from './nexus.types.js'
import { AppendNexusAuditInputSchema, ListNexusAuditOptionsSchema, NexusAuditDetailsSchema } from './nexus.schemas.js'
import type { NexusAuditLogTable, NexusDatabase } from './nexus.tables.js'

/** One audit entry. */
export interface NexusAuditEntry {
  readonly id: string
  /** ISO-8601 UTC. */
  readonly occurredAt: string
  readonly action: string
  readonly projectId: string | null
  readonly projectHash: string | null
  readonly domain: string | null
  readonly operation: string | null
  readonly sessionId: string | null
  readonly requestId: string | null
  readonly source: string | null
  /** Where the operation came from (`cli`, `mcp`, …), or null. */
  readonly gateway: string | null
  readonly success: boolean
  readonly durationMs: number | null
  readonly details: Readonly<Record<string, unknown>> | null
  readonly errorMessage: string | null
}

const INSERT = template<NexusDatabase, NexusAuditLogTable>()((db, p) =>
  db.insertInto('nexus_audit_log').values({
    id: p('id'),
    occurred_at: p('occurred_at'),
    action: p('action'),
    project_id: p('project_id'),
    project_hash: p('project_hash'),
    domain: p('domain'),
    operation: p('operation'),
    session_id: p('session_id'),
    request_id: p('request_id'),
    source: p('source'),
    gateway: p('gateway'),
    success: p('success'),
    duration_ms: p('duration_ms'),
    details_json: p('details_json'),
    error_message: p('error_message'),
  }),
)


/**
 * `nexus.audit`: append and read audit entries.
 *
 * @example
 * ```ts
 * await ws.nexus.audit.append({ action: 'route.sent', projectId: ws.projectId, details: { to: 'T12' } })
 * const recent = await ws.nexus.audit.list({ projectId: ws.projectId, limit: 20 })
 * ```
 */
export class NexusAuditLog {
  readonly #parts: NexusParts

  /** @internal */
  constructor(parts: NexusParts) {
    this.#parts = parts
  }

  /**
   * Appends one entry (validated first) and returns it.
   *
   * @example
   * ```ts
   * const entry = await nexus.audit.append({ action: 'sync.finished', durationMs: 120 })
   * ```
   */
  async append(input: AppendNexusAuditInput): Promise<NexusAuditEntry> {
    const parsed = validate(AppendNexusAuditInputSchema, input, 'nexus.audit.append', this.#parts.context)
    const row = await this.#parts.engine.write((x) => this.appendIn(x, parsed))
    return this.#map(row)
  }

  /**
   * Inserts an entry inside the caller's write transaction (a step of its body).
   *
   * @internal
   */
  *appendIn(x: Executor<NexusDatabase>, input: z.output<typeof AppendNexusAuditInputSchema>): Step<NexusAuditLogTable> {
    const row: NexusAuditLogTable = {
      id: this.#parts.newId(),
      occurred_at: this.#parts.clock(),
      action: input.action,
      project_id: input.projectId ?? null,
      project_hash: input.projectHash ?? null,
      domain: input.domain ?? null,
      operation: input.operation ?? null,
      session_id: input.sessionId ?? null,
      request_id: input.requestId ?? null,
      source: input.source ?? null,
      gateway: input.gateway ?? null,
      success: input.success ? 1 : 0,
      duration_ms: input.durationMs ?? null,
      details_json: input.details == null ? null : toJson(input.details),
      error_message: input.errorMessage ?? null,
    }
    yield* x.run(INSERT, row)
    return row
  }

  /**
   * Lists entries a page at a time, newest first by default, filtered by project,
   * action, session and time range (`since` inclusive, `until` exclusive; each a
   * `Date`, epoch ms or ISO-8601). Pass `nextCursor` as `cursor` for the next page.
   *
   * @example
   * ```ts
   * const { items, nextCursor } = await nexus.audit.list({ action: 'project.moved', order: 'asc' })
   * ```
   */
  async list(options: ListNexusAuditOptions = {}): Promise<Page<NexusAuditEntry>> {
    const o = validate(ListNexusAuditOptionsSchema, options, 'nexus.audit.list', this.#parts.context)
    let query = this.#parts.engine.kysely.selectFrom('nexus_audit_log').selectAll()
    if (o.projectId !== undefined) query = query.where('project_id', '=', o.projectId)
    if (o.action !== undefined) query = query.where('action', '=', o.action)
    if (o.sessionId !== undefined) query = query.where('session_id', '=', o.sessionId)
    if (o.since !== undefined) query = query.where('occurred_at', '>=', o.since)
    if (o.until !== undefined) query = query.where('occurred_at', '<', o.until)
    if (o.cursor !== undefined) {
      const position = decodeKeysetCursor(o.cursor, 'ns')
      if (position === null) {
        throw new CleoStoreError('VALIDATION', `nexus.audit.list: cursor: not a cursor of this list (got ${JSON.stringify(o.cursor.slice(0, 40))})`, {
          ...this.#parts.context,
          details: { operation: 'nexus.audit.list', path: ['cursor'] },
        })
      }
      const [at, id] = position as [number, string]
      const after = o.order === 'asc' ? '>' : '<'
      query = query.where((eb) => eb.or([eb('occurred_at', after, at), eb.and([eb('occurred_at', '=', at), eb('id', after, id)])]))
    }
    query = query.orderBy('occurred_at', o.order).orderBy('id', o.order).limit(o.limit + 1)
    const rows = await this.#parts.engine.read((x) => x.all(query))
    const page = rows.slice(0, o.limit)
    const last = page[page.length - 1]
    return {
      items: page.map((row) => this.#map(row)),
      nextCursor: rows.length > o.limit && last !== undefined ? encodeKeysetCursor([last.occurred_at, last.id]) : null,
    }
  }

  /**
   * Every entry matching `options`, in `order`, fetched a page at a time (`limit`
   * is the page size).
   *
   * @example
   * ```ts
   * for await (const entry of nexus.audit.iterate({ projectId, since: Date.now() - 86_400_000 })) console.log(entry.action)
   * ```
   */
  iterate(options: IterateFilter<ListNexusAuditOptions> = {}): AsyncGenerator<NexusAuditEntry, void, undefined> {
    return iteratePages((cursor) => this.list(cursor === undefined ? options : { ...options, cursor }))
  }

  #map(row: NexusAuditLogTable): NexusAuditEntry {
    return {
      id: row.id,
      occurredAt: toIso(row.occurred_at),
      action: row.action,
      projectId: row.project_id,
      projectHash: row.project_hash,
      domain: row.domain,
      operation: row.operation,
      sessionId: row.session_id,
      requestId: row.request_id,
      source: row.source,
      gateway: row.gateway,
      success: row.success === 1,
      durationMs: row.duration_ms,
      details: fromJsonOrNull(row.details_json, 'nexus_audit_log.details_json', this.#parts.context, NexusAuditDetailsSchema),
      errorMessage: row.error_message,
    }
  }
}
