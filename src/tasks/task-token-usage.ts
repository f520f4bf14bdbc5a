/**
 * LLM token accounting: `tasks.tokens`.
 *
 * @module
 */
import type { RawBuilder, Selectable } from 'kysely'
import { sql } from 'kysely'
import { z } from 'zod'

import type { TimeInput } from '../sqlite/time-input.types.js'
import { toIso } from '../sqlite/clock.js'
import { fromJson } from '../sqlite/json.js'
import { template } from '../sqlite/query-template.js'
import type { TasksContext } from './tasks-context.js'
import type { TokenConfidence, TokenMethod, TokenTransport } from './tasks.enums.js'
import type {
  RecordTokenUsageInput,
  TokenAggregateQuery,
} from './tasks.types.js'
import { RecordTokenUsageSchema, TaskIdSchema, TaskSessionIdSchema, TasksNameSchema, TasksPageLimitSchema, TasksTimestampSchema, TokenAggregateQuerySchema } from './tasks.schemas.js'
import type { TasksDatabase, TokenUsageTable } from './tasks.tables.js'

/**
 * One recorded LLM call.
 *
 * @example
 * ```ts
 * const rec: TokenUsageRecord = await tasks.tokens.record({ model: 'claude', inputTokens: 10, outputTokens: 5 })
 * rec.totalTokens // 15
 * ```
 */
export interface TokenUsageRecord {
  readonly id: number
  readonly createdAt: string
  readonly provider: string
  readonly model: string | null
  readonly transport: TokenTransport
  readonly gateway: string | null
  readonly domain: string | null
  readonly operation: string | null
  readonly sessionId: string | null
  readonly taskId: string | null
  readonly requestId: string | null
  readonly inputChars: number
  readonly outputChars: number
  readonly inputTokens: number
  readonly outputTokens: number
  readonly totalTokens: number
  readonly method: TokenMethod
  readonly confidence: TokenConfidence
  readonly requestHash: string | null
  readonly responseHash: string | null
  readonly metadata: Readonly<Record<string, unknown>>
}

/**
 * Totals of one group of {@link TokenUsageRecord}s.
 *
 * @example
 * ```ts
 * const [byModel] = await tasks.tokens.aggregate({ groupBy: 'model' }) // { key: 'claude', calls: 3, … }
 * ```
 */
export interface TokenUsageAggregate {
  /** The group: a session id, task id, model, provider or method; an ISO bucket start for `hour`/`day`; `null` for no value (or `none`). */
  readonly key: string | null
  readonly calls: number
  readonly inputTokens: number
  readonly outputTokens: number
  readonly totalTokens: number
  readonly inputChars: number
  readonly outputChars: number
  /** ISO-8601 of the first and last call in the group. */
  readonly firstAt: string
  readonly lastAt: string
}

type UsageRow = Selectable<TokenUsageTable>
type TokenAggregateGroup = NonNullable<TokenAggregateQuery['groupBy']>

const INSERT = template<TasksDatabase, Omit<UsageRow, 'id'>>()((db, p) =>
  db
    .insertInto('token_usage')
    .values({
      created_at: p('created_at'),
      provider: p('provider'),
      model: p('model'),
      transport: p('transport'),
      gateway: p('gateway'),
      domain: p('domain'),
      operation: p('operation'),
      session_id: p('session_id'),
      task_id: p('task_id'),
      request_id: p('request_id'),
      input_chars: p('input_chars'),
      output_chars: p('output_chars'),
      input_tokens: p('input_tokens'),
      output_tokens: p('output_tokens'),
      total_tokens: p('total_tokens'),
      method: p('method'),
      confidence: p('confidence'),
      request_hash: p('request_hash'),
      response_hash: p('response_hash'),
      metadata_json: p('metadata_json'),
    })
    .returningAll(),
)
const SESSION = template<TasksDatabase, { id: string }>()((db, p) => db.selectFrom('sessions').select('id').where('id', '=', p('id')))
const TASK = template<TasksDatabase, { id: string }>()((db, p) => db.selectFrom('tasks').select('id').where('id', '=', p('id')))

/** The grouping expressions (a fixed list: no caller text reaches the SQL). */
const GROUP_COLUMN: Readonly<Record<TokenAggregateGroup, RawBuilder<string | number | null>>> = {
  session: sql`session_id`,
  task: sql`task_id`,
  model: sql`model`,
  provider: sql`provider`,
  method: sql`method`,
  hour: sql`(created_at / 3600000) * 3600000`,
  day: sql`(created_at / 86400000) * 86400000`,
  none: sql`NULL`,
}


const ListTokenUsageSchema = z.strictObject({
  sessionId: TaskSessionIdSchema.optional(),
  taskId: TaskIdSchema.optional(),
  model: TasksNameSchema.optional(),
  since: TasksTimestampSchema.optional(),
  until: TasksTimestampSchema.optional(),
  limit: TasksPageLimitSchema.optional(),
})

/**
 * Token usage of tasks.db, as `tasks.tokens`: one row per LLM call, with how the
 * counts were obtained (`method`) and how far to trust them (`confidence`), and
 * aggregates by session, task, model, provider, method or time bucket.
 *
 * @example
 * ```ts
 * await tasks.tokens.record({ provider: 'anthropic', model: 'claude', inputTokens: 900, outputTokens: 120,
 *   method: 'provider_api', confidence: 'real', sessionId: s.id, taskId: 'T2' })
 * const perTask = await tasks.tokens.aggregate({ groupBy: 'task' })
 * ```
 */
export class TaskTokenUsage {
  readonly #ctx: TasksContext

  /** @internal Created by the repository. */
  constructor(ctx: TasksContext) {
    this.#ctx = ctx
  }

  /**
   * Records one call. `totalTokens` defaults to input + output and may not be
   * less. `NOT_FOUND` for an unknown session or task.
   *
   * @example
   * ```ts
   * await tasks.tokens.record({ model: 'gpt', inputChars: 4000, inputTokens: 1000, method: 'heuristic' })
   * ```
   */
  async record(input: RecordTokenUsageInput): Promise<TokenUsageRecord> {
    const ctx = this.#ctx
    const data = ctx.parse(
      RecordTokenUsageSchema.refine((d) => d.totalTokens === undefined || d.totalTokens >= d.inputTokens + d.outputTokens, {
        message: 'totalTokens is less than inputTokens + outputTokens',
        path: ['totalTokens'],
      }),
      input,
      'tasks.tokens.record',
    )
    const row = await ctx.engine.write(function* (x) {
      if (data.sessionId !== undefined && (yield* x.get(SESSION, { id: data.sessionId })) === undefined) throw ctx.notFound('session', data.sessionId)
      if (data.taskId !== undefined && (yield* x.get(TASK, { id: data.taskId })) === undefined) throw ctx.notFound('task', data.taskId)
      return (yield* x.get(INSERT, {
        created_at: data.at ?? ctx.now(),
        provider: data.provider,
        model: data.model ?? null,
        transport: data.transport,
        gateway: data.gateway ?? null,
        domain: data.domain ?? null,
        operation: data.operation ?? null,
        session_id: data.sessionId ?? null,
        task_id: data.taskId ?? null,
        request_id: data.requestId ?? null,
        input_chars: data.inputChars,
        output_chars: data.outputChars,
        input_tokens: data.inputTokens,
        output_tokens: data.outputTokens,
        total_tokens: data.totalTokens ?? data.inputTokens + data.outputTokens,
        method: data.method,
        confidence: data.confidence,
        request_hash: data.requestHash ?? null,
        response_hash: data.responseHash ?? null,
        metadata_json: JSON.stringify(data.metadata),
      }))!
    })
    return this.#toRecord(row)
  }

  /**
   * Recorded calls, newest first.
   *
   * @example
   * ```ts
   * const calls = await tasks.tokens.list({ sessionId: s.id, limit: 20 })
   * ```
   */
  async list(filter: { sessionId?: string; taskId?: string; model?: string; since?: TimeInput; until?: TimeInput; limit?: number } = {}): Promise<TokenUsageRecord[]> {
    const ctx = this.#ctx
    const f = ctx.parse(
      ListTokenUsageSchema,
      filter,
      'tasks.tokens.list',
    )
    let q = ctx.engine.kysely.selectFrom('token_usage').selectAll()
    if (f.sessionId) q = q.where('session_id', '=', f.sessionId)
    if (f.taskId) q = q.where('task_id', '=', f.taskId)
    if (f.model) q = q.where('model', '=', f.model)
    if (f.since !== undefined) q = q.where('created_at', '>=', f.since)
    if (f.until !== undefined) q = q.where('created_at', '<', f.until)
    const rows = await ctx.engine.read((x) => x.all(q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit ?? 100)))
    return rows.map((row) => this.#toRecord(row))
  }

  /**
   * Totals grouped by one dimension within the window `[since, until)`, largest
   * total first (time buckets in time order).
   *
   * @example
   * ```ts
   * const daily = await tasks.tokens.aggregate({ groupBy: 'day', since: '2026-01-01T00:00:00Z' })
   * ```
   */
  async aggregate(query: TokenAggregateQuery = {}): Promise<TokenUsageAggregate[]> {
    const ctx = this.#ctx
    const q = ctx.parse(TokenAggregateQuerySchema, query, 'tasks.tokens.aggregate')
    const key = GROUP_COLUMN[q.groupBy]
    let builder = ctx.engine.kysely
      .selectFrom('token_usage')
      .select([
        key.as('key'),
        sql<number>`count(*)`.as('calls'),
        sql<number>`sum(input_tokens)`.as('input_tokens'),
        sql<number>`sum(output_tokens)`.as('output_tokens'),
        sql<number>`sum(total_tokens)`.as('total_tokens'),
        sql<number>`sum(input_chars)`.as('input_chars'),
        sql<number>`sum(output_chars)`.as('output_chars'),
        sql<number>`min(created_at)`.as('first_at'),
        sql<number>`max(created_at)`.as('last_at'),
      ])
    if (q.sessionId) builder = builder.where('session_id', '=', q.sessionId)
    if (q.taskId) builder = builder.where('task_id', '=', q.taskId)
    if (q.model) builder = builder.where('model', '=', q.model)
    if (q.since !== undefined) builder = builder.where('created_at', '>=', q.since)
    if (q.until !== undefined) builder = builder.where('created_at', '<', q.until)
    if (q.groupBy !== 'none') builder = builder.groupBy(key)
    const byTotal = builder.orderBy(sql`sum(total_tokens)`, 'desc')
    // One row without a group; PostgreSQL refuses the constant `ORDER BY NULL`.
    const noKeyOrder = q.groupBy === 'none' && ctx.engine.dialect === 'postgres'
    const ordered = q.groupBy === 'hour' || q.groupBy === 'day' ? builder.orderBy(key) : noKeyOrder ? byTotal : byTotal.orderBy(key)
    const rows = await ctx.engine.read((x) => x.all(ordered))
    return rows
      .filter((row) => row.calls > 0)
      .map((row) => ({
        key: row.key === null ? null : q.groupBy === 'hour' || q.groupBy === 'day' ? toIso(Number(row.key)) : String(row.key),
        calls: row.calls,
        inputTokens: row.input_tokens,
        outputTokens: row.output_tokens,
        totalTokens: row.total_tokens,
        inputChars: row.input_chars,
        outputChars: row.output_chars,
        firstAt: toIso(row.first_at),
        lastAt: toIso(row.last_at),
      }))
  }

  #toRecord(row: UsageRow): TokenUsageRecord {
    return {
      id: row.id,
      createdAt: toIso(row.created_at),
      provider: row.provider,
      model: row.model,
      transport: row.transport,
      gateway: row.gateway,
      domain: row.domain,
      operation: row.operation,
      sessionId: row.session_id,
      taskId: row.task_id,
      requestId: row.request_id,
      inputChars: row.input_chars,
      outputChars: row.output_chars,
      inputTokens: row.input_tokens,
      outputTokens: row.output_tokens,
      totalTokens: row.total_tokens,
      method: row.method,
      confidence: row.confidence,
      requestHash: row.request_hash,
      responseHash: row.response_hash,
      metadata: fromJson<Record<string, unknown>>(row.metadata_json, 'token_usage.metadata_json', this.#ctx.errorContext),
    }
  }
}
