/**
 * The TeleClaude daemon's small keyed data in conduit.db (issue 17): system settings
 * (`daemon_settings`, e.g. registry message ids) and voice assignments
 * (`voice_assignments`, the TTS voice of a session, swept by age).
 *
 * @module
 */
import { z } from 'zod'

import { toIso } from '../sqlite/clock.js'
import { CleoStoreError } from '../sqlite/errors.js'
import { fromJson, toJson } from '../sqlite/json.js'
import { template } from '../sqlite/query-template.js'
import { validate } from '../sqlite/validate.js'
import type { ConduitContext } from './conduit-context.js'
import { tooLarge, utf8Length } from './conduit-context.js'
import type { ConduitDatabase } from './conduit.tables.js'

const NO_CONTROL = /^[^\p{Cc}]+$/u
const SettingKeySchema = z.string().min(1).max(200).regex(NO_CONTROL, 'must not contain control characters')
const VoiceIdSchema = z.string().min(1).max(200).regex(NO_CONTROL, 'must not contain control characters')
const VoiceInputSchema = z.strictObject({
  /** The TTS service (`elevenlabs`, `openai`, `macos`, …). */
  service: z.string().min(1).max(100).regex(NO_CONTROL, 'must not contain control characters'),
  /** The voice of that service ('' for its default). */
  voice: z.string().max(200),
})
const SweepSchema = z.strictObject({ olderThanMs: z.number().int().min(0).max(10 * 365 * 86_400_000).optional() })

/** A setting value may be at most this large (UTF-8 bytes of its JSON). */
export const DAEMON_SETTING_MAX_BYTES = 64 * 1024
/** TeleClaude's voice-assignment TTL: 7 days. */
export const DEFAULT_VOICE_TTL_MS = 7 * 86_400_000

/** One stored setting. */
export interface DaemonSetting<T = unknown> {
  readonly key: string
  readonly value: T
  readonly createdAt: string
  readonly updatedAt: string
}

/** The voice assigned to a session (or a native session id). */
export interface VoiceAssignment {
  readonly id: string
  readonly service: string
  readonly voice: string
  readonly assignedAt: string
}

const GET_SETTING = template<ConduitDatabase, { key: string }>()((db, p) => db.selectFrom('daemon_settings').selectAll().where('key', '=', p('key')))
const PUT_SETTING = template<ConduitDatabase, { key: string; value: string; now: number }>()((db, p) =>
  db
    .insertInto('daemon_settings')
    .values({ key: p('key'), value: p('value'), created_at: p('now'), updated_at: p('now') })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: p('value'), updated_at: p('now') }))
    .returningAll(),
)
const DELETE_SETTING = template<ConduitDatabase, { key: string }>()((db, p) => db.deleteFrom('daemon_settings').where('key', '=', p('key')))
const LIST_SETTINGS = template<ConduitDatabase, { after: string; limit: number }>()((db, p) =>
  db.selectFrom('daemon_settings').selectAll().where('key', '>', p('after')).orderBy('key').limit(p('limit')),
)
const GET_VOICE = template<ConduitDatabase, { id: string }>()((db, p) => db.selectFrom('voice_assignments').selectAll().where('id', '=', p('id')))
const PUT_VOICE = template<ConduitDatabase, { id: string; service: string; voice: string; now: number }>()((db, p) =>
  db
    .insertInto('voice_assignments')
    .values({ id: p('id'), service_name: p('service'), voice: p('voice'), assigned_at: p('now') })
    .onConflict((oc) => oc.column('id').doUpdateSet({ service_name: p('service'), voice: p('voice'), assigned_at: p('now') }))
    .returningAll(),
)
const DELETE_VOICE = template<ConduitDatabase, { id: string }>()((db, p) => db.deleteFrom('voice_assignments').where('id', '=', p('id')))
const SWEEP_VOICES = template<ConduitDatabase, { cutoff: number }>()((db, p) =>
  db.deleteFrom('voice_assignments').where('assigned_at', '<=', p('cutoff')),
)

/**
 * The daemon's system settings, as `conduit.settings` (and `daemon.settings`): a key
 * → JSON value map with creation and update times. Every write is one upsert.
 *
 * @example
 * ```ts
 * await conduit.settings.set('registry.telegram.messageId', 8812)
 * const id = await conduit.settings.get<number>('registry.telegram.messageId') // 8812
 * ```
 */
export class DaemonSettings {
  readonly #ctx: ConduitContext

  /** @internal Use `conduit.settings`. */
  constructor(ctx: ConduitContext) {
    this.#ctx = ctx
  }

  /**
   * The value of `key`, or `undefined` when it is not set.
   *
   * @example
   * ```ts
   * const chatId = await conduit.settings.get<string>('telegram.chatId')
   * ```
   */
  async get<T = unknown>(key: string): Promise<T | undefined> {
    return (await this.entry<T>(key))?.value
  }

  /**
   * The stored setting with its times, or null.
   *
   * @example
   * ```ts
   * const { value, updatedAt } = (await conduit.settings.entry('telegram.chatId'))!
   * ```
   */
  async entry<T = unknown>(key: string): Promise<DaemonSetting<T> | null> {
    const k = validate(SettingKeySchema, key, 'conduit.settings.get', this.#ctx.errorContext)
    const row = await this.#ctx.engine.read((x) => x.get(GET_SETTING, { key: k }))
    return row === undefined ? null : this.#toSetting<T>(row)
  }

  /**
   * Sets `key` to a JSON value (insert or replace); returns the stored setting.
   *
   * @example
   * ```ts
   * await conduit.settings.set('registry.discord.messageId', '1203')
   * ```
   */
  async set<T>(key: string, value: T): Promise<DaemonSetting<T>> {
    const k = validate(SettingKeySchema, key, 'conduit.settings.set', this.#ctx.errorContext)
    let json: string | undefined
    try {
      json = toJson(value)
    } catch (cause) {
      throw new CleoStoreError('VALIDATION', `conduit.settings.set: value is not JSON-serialisable`, {
        ...this.#ctx.errorContext,
        cause,
        details: { operation: 'conduit.settings.set', path: ['value'] },
      })
    }
    if (json === undefined) {
      throw new CleoStoreError('VALIDATION', 'conduit.settings.set: value must be a JSON value', {
        ...this.#ctx.errorContext,
        details: { operation: 'conduit.settings.set', path: ['value'] },
      })
    }
    const size = utf8Length(json)
    if (size > DAEMON_SETTING_MAX_BYTES) throw tooLarge(this.#ctx, 'conduit.settings.set', ['value'], size, DAEMON_SETTING_MAX_BYTES)
    const { clock } = this.#ctx
    const row = await this.#ctx.engine.write(function* (x) {
      return (yield* x.get(PUT_SETTING, { key: k, value: json, now: clock() }))!
    })
    return this.#toSetting<T>(row)
  }

  /**
   * Removes `key`; true when it was set.
   *
   * @example
   * ```ts
   * await conduit.settings.delete('registry.discord.messageId')
   * ```
   */
  async delete(key: string): Promise<boolean> {
    const k = validate(SettingKeySchema, key, 'conduit.settings.delete', this.#ctx.errorContext)
    return this.#ctx.engine.write(function* (x) {
      return (yield* x.run(DELETE_SETTING, { key: k })).changes > 0
    })
  }

  /**
   * The settings in key order, a page at a time.
   *
   * @example
   * ```ts
   * const { items, nextCursor } = await conduit.settings.list({ limit: 100 })
   * ```
   */
  async list(options: { limit?: number; cursor?: string } = {}): Promise<{ items: DaemonSetting[]; nextCursor: string | null }> {
    const opts = validate(
      z.strictObject({ limit: z.number().int().min(1).max(10_000).optional(), cursor: SettingKeySchema.optional() }),
      options,
      'conduit.settings.list',
      this.#ctx.errorContext,
    )
    const limit = opts.limit ?? 100
    const rows = await this.#ctx.engine.read((x) => x.all(LIST_SETTINGS, { after: opts.cursor ?? '', limit: limit + 1 }))
    const more = rows.length > limit
    const page = (more ? rows.slice(0, limit) : rows).map((row) => this.#toSetting(row))
    return { items: page, nextCursor: more ? page[page.length - 1]!.key : null }
  }

  #toSetting<T>(row: { key: string; value: string; created_at: number; updated_at: number }): DaemonSetting<T> {
    return {
      key: row.key,
      value: fromJson<T>(row.value, 'daemon_settings.value', this.#ctx.errorContext),
      createdAt: toIso(row.created_at),
      updatedAt: toIso(row.updated_at),
    }
  }
}

/**
 * Voice assignments, as `conduit.voices` (and `daemon.voices`): the TTS service and
 * voice of a session, keyed by the session id or the agent's native session id.
 * Assigning is one upsert (TeleClaude's `assign_voice`); `sweep` deletes assignments
 * older than a TTL (default 7 days, TeleClaude's).
 *
 * @example
 * ```ts
 * await conduit.voices.assign('c0ffee', { service: 'elevenlabs', voice: 'Rachel' })
 * const v = await conduit.voices.get('c0ffee') // { service: 'elevenlabs', voice: 'Rachel', … }
 * ```
 */
export class VoiceAssignments {
  readonly #ctx: ConduitContext

  /** @internal Use `conduit.voices`. */
  constructor(ctx: ConduitContext) {
    this.#ctx = ctx
  }

  /**
   * Assigns (or re-assigns) a voice; returns the assignment.
   *
   * @example
   * ```ts
   * await conduit.voices.assign(sessionId, { service: 'openai', voice: 'alloy' })
   * ```
   */
  async assign(id: string, input: { service: string; voice: string }): Promise<VoiceAssignment> {
    const key = validate(VoiceIdSchema, id, 'conduit.voices.assign', this.#ctx.errorContext)
    const data = validate(VoiceInputSchema, input, 'conduit.voices.assign', this.#ctx.errorContext)
    const { clock } = this.#ctx
    const row = await this.#ctx.engine.write(function* (x) {
      return (yield* x.get(PUT_VOICE, { id: key, ...data, now: clock() }))!
    })
    return toVoice(row)
  }

  /**
   * The voice of `id`, or null.
   *
   * @example
   * ```ts
   * const voice = await conduit.voices.get(sessionId)
   * ```
   */
  async get(id: string): Promise<VoiceAssignment | null> {
    const key = validate(VoiceIdSchema, id, 'conduit.voices.get', this.#ctx.errorContext)
    const row = await this.#ctx.engine.read((x) => x.get(GET_VOICE, { id: key }))
    return row === undefined ? null : toVoice(row)
  }

  /**
   * Removes the voice of `id`; true when there was one.
   *
   * @example
   * ```ts
   * await conduit.voices.remove(sessionId)
   * ```
   */
  async remove(id: string): Promise<boolean> {
    const key = validate(VoiceIdSchema, id, 'conduit.voices.remove', this.#ctx.errorContext)
    return this.#ctx.engine.write(function* (x) {
      return (yield* x.run(DELETE_VOICE, { id: key })).changes > 0
    })
  }

  /**
   * Deletes assignments made at least `olderThanMs` ago (default 7 days); returns how many.
   *
   * @example
   * ```ts
   * await conduit.voices.sweep()
   * ```
   */
  async sweep(options: { olderThanMs?: number } = {}): Promise<number> {
    const opts = validate(SweepSchema, options, 'conduit.voices.sweep', this.#ctx.errorContext)
    const { clock } = this.#ctx
    return this.#ctx.engine.write(function* (x) {
      return (yield* x.run(SWEEP_VOICES, { cutoff: clock() - (opts.olderThanMs ?? DEFAULT_VOICE_TTL_MS) })).changes
    })
  }
}

function toVoice(row: { id: string; service_name: string; voice: string; assigned_at: number }): VoiceAssignment {
  return { id: row.id, service: row.service_name, voice: row.voice, assignedAt: toIso(row.assigned_at) }
}
