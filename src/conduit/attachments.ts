/**
 * Attachments: versioned documents shared in a conversation. Content is
 * content-addressed (SHA-256; identical bytes are stored once), every version is
 * kept whole, reviewers approve or reject a named version, and a per-agent
 * contributor roll-up is kept in the same transaction as each version. Lifecycle:
 * draft → review → locked → archived.
 *
 * @module
 */
import { createHash } from 'node:crypto'

import type { Selectable } from 'kysely'
import { sql } from 'kysely'
import { z } from 'zod'

import { toIso, toIsoOrNull } from '../sqlite/clock.js'
import { CleoStoreError } from '../sqlite/errors.js'
import { fromJson, toJson } from '../sqlite/json.js'
import type { QueryTemplate } from '../sqlite/query-template.js'
import { template, typedParam } from '../sqlite/query-template.js'
import type { Step } from '../sqlite/store-engine.js'
import { validate } from '../sqlite/validate.js'
import type { ConduitContext, ConduitExecutor } from './conduit-context.js'
import { invariant, notFound, tooLarge, utf8Length } from './conduit-context.js'
import type { AttachmentFormat, AttachmentMode } from './conduit.enums.js'
import type {
  AddAttachmentVersionInput,
  CreateAttachmentInput,
  ReviewAttachmentInput,
  SetAttachmentModeInput,
} from './conduit.types.js'
import {
  AddAttachmentVersionSchema,
  ATTACHMENT_MODES,
  AttachmentSlugSchema,
  CONDUIT_LIMITS,
  ConduitIdSchema,
  CreateAttachmentSchema,
  ReviewAttachmentSchema,
  SetAttachmentModeSchema,
} from './conduit.schemas.js'
import type {
  AttachmentApprovalsTable,
  AttachmentContributorsTable,
  AttachmentsTable,
  AttachmentVersionsTable,
  ConduitDatabase,
} from './conduit.tables.js'
import { requireConversation, requireParticipant } from './conversations.js'
import { requireAttachedAgent } from './project-agent-refs.js'

/** An attachment, described by its current version. */
export interface ConduitAttachment {
  readonly slug: string
  readonly conversationId: string
  /** The agent that created it. */
  readonly fromAgentId: string
  readonly title: string | null
  readonly format: AttachmentFormat
  readonly mode: AttachmentMode
  readonly currentVersion: number
  /** SHA-256 (hex) of the current version's content. */
  readonly contentHash: string
  /** Bytes of the current version's content. */
  readonly size: number
  readonly expiresAt: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

/** One version of an attachment. */
export interface AttachmentVersion {
  readonly slug: string
  readonly version: number
  readonly authorAgentId: string
  readonly changeType: 'initial' | 'patch' | 'full_replace'
  readonly contentHash: string
  readonly size: number
  readonly patchText: string | null
  readonly changeSummary: string | null
  readonly sectionsModified: string[]
  readonly tokensAdded: number
  readonly tokensRemoved: number
  readonly createdAt: string
}

/** A reviewer's verdict on a version of an attachment (one per reviewer). */
export interface AttachmentApproval {
  readonly slug: string
  readonly reviewerId: string
  readonly status: 'pending' | 'approved' | 'rejected'
  readonly comment: string | null
  readonly versionReviewed: number
  readonly createdAt: string
  readonly updatedAt: string
}

/** An agent's contributions to an attachment. */
export interface AttachmentContributor {
  readonly slug: string
  readonly agentId: string
  readonly versionCount: number
  readonly tokensAdded: number
  readonly tokensRemoved: number
  readonly firstContributionAt: string
  readonly lastContributionAt: string
}

/** Allowed lifecycle moves. `archived` is final. */
export const ATTACHMENT_MODE_TRANSITIONS: Readonly<Record<AttachmentMode, readonly AttachmentMode[]>> = Object.freeze({
  draft: Object.freeze(['review', 'archived'] as const),
  review: Object.freeze(['draft', 'locked', 'archived'] as const),
  locked: Object.freeze(['archived'] as const),
  archived: Object.freeze([] as const),
})

/** Modes in which new versions may be added. */
const EDITABLE: readonly AttachmentMode[] = ['draft', 'review']

type AttachmentRow = Selectable<AttachmentsTable> & { content_hash: string; size: number }
type VersionRow = Selectable<AttachmentVersionsTable> & { size: number }

const SectionsSchema = z.array(z.string())

const GET_ATTACHMENT = template<ConduitDatabase, { slug: string }>()((db, p) =>
  db
    .selectFrom('attachments as a')
    .innerJoin('attachment_versions as v', (join) =>
      join.onRef('v.slug', '=', 'a.slug').onRef('v.version_number', '=', 'a.current_version'),
    )
    .innerJoin('attachment_blobs as b', 'b.hash', 'v.content_hash')
    .selectAll('a')
    .select(['v.content_hash', 'b.size'])
    .where('a.slug', '=', p('slug')),
)

const LIST_ATTACHMENTS = template<ConduitDatabase, { conversationId: string; mode: string | null; limit: number }>()(
  (db, p, dialect) =>
    db
      .selectFrom('attachments as a')
      .innerJoin('attachment_versions as v', (join) =>
        join.onRef('v.slug', '=', 'a.slug').onRef('v.version_number', '=', 'a.current_version'),
      )
      .innerJoin('attachment_blobs as b', 'b.hash', 'v.content_hash')
      .selectAll('a')
      .select(['v.content_hash', 'b.size'])
      .where('a.conversation_id', '=', p('conversationId'))
      .where((eb) => eb.or([eb(typedParam(p('mode'), 'text', dialect), 'is', null), eb('a.mode', '=', p('mode') as AttachmentMode)]))
      .orderBy('a.created_at', 'desc')
      .orderBy('a.slug')
      .limit(p('limit')),
)

const INSERT_BLOB = template<ConduitDatabase, { hash: string; content: Uint8Array; size: number; now: number }>()(
  (db, p) =>
    db
      .insertInto('attachment_blobs')
      .values({ hash: p('hash'), content: p('content'), size: p('size'), created_at: p('now') })
      .onConflict((oc) => oc.column('hash').doNothing()),
)

const GET_BLOB = template<ConduitDatabase, { hash: string }>()((db, p) =>
  db.selectFrom('attachment_blobs').select('content').where('hash', '=', p('hash')),
)

const INSERT_ATTACHMENT = template<
  ConduitDatabase,
  {
    slug: string
    conversationId: string
    agentId: string
    title: string | null
    format: string
    expiresAt: number | null
    now: number
  }
>()((db, p) =>
  db.insertInto('attachments').values({
    slug: p('slug'),
    conversation_id: p('conversationId'),
    from_agent_id: p('agentId'),
    title: p('title'),
    format: p('format'),
    mode: 'draft',
    current_version: 1,
    expires_at: p('expiresAt'),
    created_at: p('now'),
    updated_at: p('now'),
  }),
)

const INSERT_VERSION = template<
  ConduitDatabase,
  {
    slug: string
    version: number
    agentId: string
    changeType: 'initial' | 'patch' | 'full_replace'
    hash: string
    patchText: string | null
    summary: string | null
    sections: string
    tokensAdded: number
    tokensRemoved: number
    now: number
  }
>()((db, p) =>
  db.insertInto('attachment_versions').values({
    slug: p('slug'),
    version_number: p('version'),
    author_agent_id: p('agentId'),
    change_type: p('changeType'),
    content_hash: p('hash'),
    patch_text: p('patchText'),
    change_summary: p('summary'),
    sections_modified: p('sections'),
    tokens_added: p('tokensAdded'),
    tokens_removed: p('tokensRemoved'),
    created_at: p('now'),
  }),
)

const UPSERT_CONTRIBUTOR = template<
  ConduitDatabase,
  { slug: string; agentId: string; tokensAdded: number; tokensRemoved: number; now: number }
>()((db, p) =>
  db
    .insertInto('attachment_contributors')
    .values({
      slug: p('slug'),
      agent_id: p('agentId'),
      version_count: 1,
      total_tokens_added: p('tokensAdded'),
      total_tokens_removed: p('tokensRemoved'),
      first_contribution_at: p('now'),
      last_contribution_at: p('now'),
    })
    .onConflict((oc) =>
      oc.columns(['slug', 'agent_id']).doUpdateSet({
        version_count: sql<number>`attachment_contributors.version_count + 1`,
        total_tokens_added: sql<number>`attachment_contributors.total_tokens_added + excluded.total_tokens_added`,
        total_tokens_removed: sql<number>`attachment_contributors.total_tokens_removed + excluded.total_tokens_removed`,
        last_contribution_at: sql<number>`excluded.last_contribution_at`,
      }),
    ),
)

const SET_CURRENT_VERSION = template<ConduitDatabase, { slug: string; version: number; now: number }>()((db, p) =>
  db.updateTable('attachments').set({ current_version: p('version'), updated_at: p('now') }).where('slug', '=', p('slug')),
)

const SET_MODE = template<ConduitDatabase, { slug: string; mode: AttachmentMode; now: number }>()((db, p) =>
  db.updateTable('attachments').set({ mode: p('mode'), updated_at: p('now') }).where('slug', '=', p('slug')),
)

const VERSION_CONTENT = template<ConduitDatabase, { slug: string; version: number }>()((db, p) =>
  db
    .selectFrom('attachment_versions as v')
    .innerJoin('attachment_blobs as b', 'b.hash', 'v.content_hash')
    .select('b.content')
    .where('v.slug', '=', p('slug'))
    .where('v.version_number', '=', p('version')),
)

const LIST_VERSIONS = template<ConduitDatabase, { slug: string }>()((db, p) =>
  db
    .selectFrom('attachment_versions as v')
    .innerJoin('attachment_blobs as b', 'b.hash', 'v.content_hash')
    .selectAll('v')
    .select('b.size')
    .where('v.slug', '=', p('slug'))
    .orderBy('v.version_number'),
)

const UPSERT_APPROVAL = template<
  ConduitDatabase,
  { slug: string; reviewerId: string; status: 'pending' | 'approved' | 'rejected'; comment: string | null; version: number; now: number }
>()((db, p) =>
  db
    .insertInto('attachment_approvals')
    .values({
      slug: p('slug'),
      reviewer_agent_id: p('reviewerId'),
      status: p('status'),
      comment: p('comment'),
      version_reviewed: p('version'),
      created_at: p('now'),
      updated_at: p('now'),
    })
    .onConflict((oc) =>
      oc.columns(['slug', 'reviewer_agent_id']).doUpdateSet((eb) => ({
        status: eb.ref('excluded.status'),
        comment: eb.ref('excluded.comment'),
        version_reviewed: eb.ref('excluded.version_reviewed'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returningAll(),
)

const LIST_APPROVALS = template<ConduitDatabase, { slug: string }>()((db, p) =>
  db.selectFrom('attachment_approvals').selectAll().where('slug', '=', p('slug')).orderBy('reviewer_agent_id'),
)

const LIST_CONTRIBUTORS = template<ConduitDatabase, { slug: string }>()((db, p) =>
  db.selectFrom('attachment_contributors').selectAll().where('slug', '=', p('slug')).orderBy('agent_id'),
)

const HASHES_OF = template<ConduitDatabase, { slug: string }>()((db, p) =>
  db.selectFrom('attachment_versions').select('content_hash').distinct().where('slug', '=', p('slug')),
)

const DELETE_ATTACHMENT = template<ConduitDatabase, { slug: string }>()((db, p) =>
  db.deleteFrom('attachments').where('slug', '=', p('slug')),
)

/** Deletes a blob no version refers to any more. */
const DELETE_ORPHAN_BLOB = template<ConduitDatabase, { hash: string }>()((db, p) =>
  db
    .deleteFrom('attachment_blobs')
    .where('hash', '=', p('hash'))
    .where((eb) =>
      eb.not(eb.exists(eb.selectFrom('attachment_versions').select('slug').where('content_hash', '=', p('hash')))),
    ),
)

const EXPIRED = template<ConduitDatabase, { now: number; limit: number }>()((db, p) =>
  db
    .selectFrom('attachments')
    .select('slug')
    .where('expires_at', 'is not', null)
    .where('expires_at', '<=', p('now'))
    .limit(p('limit')),
)

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function toBytes(content: string | Uint8Array): Uint8Array {
  return typeof content === 'string' ? new Uint8Array(Buffer.from(content, 'utf8')) : content
}

/**
 * Attachments. Reach them as `conduit.attachments`. Authors and reviewers must be
 * attached agents (`NOT_FOUND`); authors must take part in the conversation
 * (`INVARIANT`).
 *
 * @example
 * ```ts
 * const doc = await conduit.attachments.create({ conversationId, agentId: 'alice', slug: 'plan', content: '# Plan' })
 * await conduit.attachments.addVersion('plan', { agentId: 'bob', content: '# Plan\n- step 1', changeType: 'patch' })
 * await conduit.attachments.setMode('plan', { mode: 'review' })
 * await conduit.attachments.review('plan', { reviewerId: 'carol', status: 'approved' })
 * await conduit.attachments.setMode('plan', { mode: 'locked', requireApproval: true })
 * ```
 */
export class Attachments {
  readonly #ctx: ConduitContext

  /** @internal Use `conduit.attachments`. */
  constructor(ctx: ConduitContext) {
    this.#ctx = ctx
  }

  #content(content: string | Uint8Array, operation: string): { bytes: Uint8Array; hash: string } {
    const bytes = toBytes(content)
    if (bytes.byteLength > CONDUIT_LIMITS.maxAttachmentBytes) {
      throw tooLarge(this.#ctx, operation, ['content'], bytes.byteLength, CONDUIT_LIMITS.maxAttachmentBytes)
    }
    return { bytes, hash: sha256(bytes) }
  }

  /**
   * Creates an attachment in `draft` with version 1 (`initial`), and its first
   * contributor. `CONFLICT` if the slug is taken; `VALIDATION` over
   * {@link CONDUIT_LIMITS}.maxAttachmentBytes.
   *
   * @example
   * ```ts
   * const doc = await conduit.attachments.create({ conversationId, agentId: 'alice', content: bytes, format: 'binary' })
   * ```
   */
  async create(input: CreateAttachmentInput): Promise<ConduitAttachment> {
    const parsed = validate(CreateAttachmentSchema, input, 'conduit.attachments.create', this.#ctx.errorContext)
    const { bytes, hash } = this.#content(parsed.content, 'conduit.attachments.create')
    const slug = parsed.slug ?? this.#ctx.nextId()
    return this.#ctx.engine.write((x) => this.#create(x, parsed, slug, bytes, hash))
  }

  *#create(
    x: ConduitExecutor,
    parsed: z.output<typeof CreateAttachmentSchema>,
    slug: string,
    bytes: Uint8Array,
    hash: string,
  ): Step<ConduitAttachment> {
    const ctx = this.#ctx
    const now = ctx.clock()
    yield* requireConversation(x, ctx, parsed.conversationId)
    yield* requireAttachedAgent(x, ctx, parsed.agentId)
    yield* requireParticipant(x, ctx, parsed.conversationId, parsed.agentId)
    yield* x.run(INSERT_BLOB, { hash, content: bytes, size: bytes.byteLength, now })
    yield* x.run(INSERT_ATTACHMENT, {
      slug,
      conversationId: parsed.conversationId,
      agentId: parsed.agentId,
      title: parsed.title ?? null,
      format: parsed.format,
      expiresAt: parsed.expiresAt ?? null,
      now,
    })
    yield* x.run(INSERT_VERSION, {
      slug,
      version: 1,
      agentId: parsed.agentId,
      changeType: 'initial',
      hash,
      patchText: null,
      summary: null,
      sections: '[]',
      tokensAdded: parsed.tokens,
      tokensRemoved: 0,
      now,
    })
    yield* x.run(UPSERT_CONTRIBUTOR, { slug, agentId: parsed.agentId, tokensAdded: parsed.tokens, tokensRemoved: 0, now })
    return (yield* this.#load(x, slug))!
  }

  /**
   * Adds a version (the whole new content; a `patch` may carry the diff as
   * `patchText`). Only in `draft` or `review` (`INVARIANT` otherwise). With
   * `expectedVersion`, `CONFLICT` unless it is still the current version. Updates the
   * author's contributor roll-up in the same transaction.
   *
   * @example
   * ```ts
   * const doc = await conduit.attachments.addVersion('plan', { agentId: 'bob', content: next, expectedVersion: 1 })
   * ```
   */
  async addVersion(slug: string, input: AddAttachmentVersionInput): Promise<ConduitAttachment> {
    const key = validate(AttachmentSlugSchema, slug, 'conduit.attachments.addVersion', this.#ctx.errorContext)
    const parsed = validate(AddAttachmentVersionSchema, input, 'conduit.attachments.addVersion', this.#ctx.errorContext)
    const { bytes, hash } = this.#content(parsed.content, 'conduit.attachments.addVersion')
    if (parsed.patchText !== undefined) {
      const size = utf8Length(parsed.patchText)
      if (size > CONDUIT_LIMITS.maxPatchBytes) {
        throw tooLarge(this.#ctx, 'conduit.attachments.addVersion', ['patchText'], size, CONDUIT_LIMITS.maxPatchBytes)
      }
    }
    return this.#ctx.engine.write((x) => this.#addVersion(x, key, parsed, bytes, hash))
  }

  *#addVersion(
    x: ConduitExecutor,
    key: string,
    parsed: z.output<typeof AddAttachmentVersionSchema>,
    bytes: Uint8Array,
    hash: string,
  ): Step<ConduitAttachment> {
    const ctx = this.#ctx
    const now = ctx.clock()
    const current = yield* this.#require(x, key)
    if (!EDITABLE.includes(current.mode)) {
      throw invariant(ctx, `attachment ${JSON.stringify(key)} is ${current.mode}: no new versions`, { slug: key, mode: current.mode })
    }
    if (parsed.expectedVersion !== undefined && parsed.expectedVersion !== current.current_version) {
      throw new CleoStoreError(
        'CONFLICT',
        `attachment ${JSON.stringify(key)} is at version ${current.current_version}, not ${parsed.expectedVersion}`,
        { ...ctx.errorContext, details: { slug: key, expectedVersion: parsed.expectedVersion, currentVersion: current.current_version } },
      )
    }
    yield* requireAttachedAgent(x, ctx, parsed.agentId)
    yield* requireParticipant(x, ctx, current.conversation_id, parsed.agentId)
    const version = current.current_version + 1
    yield* x.run(INSERT_BLOB, { hash, content: bytes, size: bytes.byteLength, now })
    yield* x.run(INSERT_VERSION, {
      slug: key,
      version,
      agentId: parsed.agentId,
      changeType: parsed.changeType,
      hash,
      patchText: parsed.patchText ?? null,
      summary: parsed.summary ?? null,
      sections: toJson(parsed.sectionsModified),
      tokensAdded: parsed.tokensAdded,
      tokensRemoved: parsed.tokensRemoved,
      now,
    })
    yield* x.run(UPSERT_CONTRIBUTOR, {
      slug: key,
      agentId: parsed.agentId,
      tokensAdded: parsed.tokensAdded,
      tokensRemoved: parsed.tokensRemoved,
      now,
    })
    yield* x.run(SET_CURRENT_VERSION, { slug: key, version, now })
    return (yield* this.#load(x, key))!
  }

  /**
   * One attachment, or `undefined`.
   *
   * @example
   * ```ts
   * const doc = await conduit.attachments.get('plan')
   * ```
   */
  async get(slug: string): Promise<ConduitAttachment | undefined> {
    const key = validate(AttachmentSlugSchema, slug, 'conduit.attachments.get', this.#ctx.errorContext)
    return this.#ctx.engine.read((x) => this.#load(x, key))
  }

  /**
   * The bytes of a version (default: the current one). `NOT_FOUND` for an unknown
   * attachment or version.
   *
   * @example
   * ```ts
   * const text = new TextDecoder().decode(await conduit.attachments.content('plan'))
   * ```
   */
  async content(slug: string, options: { version?: number } = {}): Promise<Uint8Array> {
    const key = validate(AttachmentSlugSchema, slug, 'conduit.attachments.content', this.#ctx.errorContext)
    const { version } = validate(
      z.strictObject({ version: z.int().min(1).optional() }),
      options,
      'conduit.attachments.content',
      this.#ctx.errorContext,
    )
    return this.#ctx.engine.snapshot((x) => this.#versionContent(x, key, version))
  }

  *#versionContent(x: ConduitExecutor, key: string, version: number | undefined): Step<Uint8Array> {
    const current = yield* this.#require(x, key)
    const wanted = version ?? current.current_version
    const row = yield* x.get(VERSION_CONTENT, { slug: key, version: wanted })
    if (row === undefined) throw notFound(this.#ctx, 'attachment version', `${key}@${wanted}`)
    return row.content
  }

  /**
   * Content by its SHA-256 (hex), whichever attachment holds it; `undefined` when no
   * version has that content.
   *
   * @example
   * ```ts
   * const bytes = await conduit.attachments.contentByHash(doc.contentHash)
   * ```
   */
  async contentByHash(hash: string): Promise<Uint8Array | undefined> {
    const key = validate(z.string().regex(/^[0-9a-f]{64}$/), hash.toLowerCase(), 'conduit.attachments.contentByHash', this.#ctx.errorContext)
    const row = await this.#ctx.engine.read((x) => x.get(GET_BLOB, { hash: key }))
    return row?.content
  }

  /**
   * Every version, oldest first. `NOT_FOUND` for an unknown attachment.
   *
   * @example
   * ```ts
   * const history = await conduit.attachments.versions('plan')
   * ```
   */
  async versions(slug: string): Promise<AttachmentVersion[]> {
    const key = validate(AttachmentSlugSchema, slug, 'conduit.attachments.versions', this.#ctx.errorContext)
    const rows = await this.#ctx.engine.snapshot((x) => this.#listOf(x, key, LIST_VERSIONS))
    return rows.map((row) => this.#toVersion(row))
  }

  /**
   * Records a reviewer's verdict on a version (default: the current one); one row per
   * reviewer, replaced by a later review. Only while the attachment is in `review`
   * (`INVARIANT` otherwise); `NOT_FOUND` for an unknown version or reviewer.
   *
   * @example
   * ```ts
   * await conduit.attachments.review('plan', { reviewerId: 'carol', status: 'rejected', comment: 'needs tests' })
   * ```
   */
  async review(slug: string, input: ReviewAttachmentInput): Promise<AttachmentApproval> {
    const key = validate(AttachmentSlugSchema, slug, 'conduit.attachments.review', this.#ctx.errorContext)
    const parsed = validate(ReviewAttachmentSchema, input, 'conduit.attachments.review', this.#ctx.errorContext)
    const row = await this.#ctx.engine.write((x) => this.#review(x, key, parsed))
    return this.#toApproval(row)
  }

  *#review(x: ConduitExecutor, key: string, parsed: z.output<typeof ReviewAttachmentSchema>): Step<Selectable<AttachmentApprovalsTable>> {
    const ctx = this.#ctx
    const current = yield* this.#require(x, key)
    if (current.mode !== 'review') {
      throw invariant(ctx, `attachment ${JSON.stringify(key)} is ${current.mode}, not in review`, { slug: key, mode: current.mode })
    }
    yield* requireAttachedAgent(x, ctx, parsed.reviewerId)
    const version = parsed.version ?? current.current_version
    if (version > current.current_version) throw notFound(ctx, 'attachment version', `${key}@${version}`)
    return (yield* x.get(UPSERT_APPROVAL, {
      slug: key,
      reviewerId: parsed.reviewerId,
      status: parsed.status,
      comment: parsed.comment ?? null,
      version,
      now: ctx.clock(),
    }))!
  }

  /**
   * Reviews of an attachment, by reviewer. `NOT_FOUND` for an unknown attachment.
   *
   * @example
   * ```ts
   * const approvals = await conduit.attachments.approvals('plan')
   * ```
   */
  async approvals(slug: string): Promise<AttachmentApproval[]> {
    const key = validate(AttachmentSlugSchema, slug, 'conduit.attachments.approvals', this.#ctx.errorContext)
    const rows = await this.#ctx.engine.snapshot((x) => this.#listOf(x, key, LIST_APPROVALS))
    return rows.map((row) => this.#toApproval(row))
  }

  /**
   * The contributor roll-up of an attachment, by agent. `NOT_FOUND` for an unknown attachment.
   *
   * @example
   * ```ts
   * const [top] = (await conduit.attachments.contributors('plan')).sort((a, b) => b.versionCount - a.versionCount)
   * ```
   */
  async contributors(slug: string): Promise<AttachmentContributor[]> {
    const key = validate(AttachmentSlugSchema, slug, 'conduit.attachments.contributors', this.#ctx.errorContext)
    const rows = await this.#ctx.engine.snapshot((x) => this.#listOf(x, key, LIST_CONTRIBUTORS))
    return rows.map((row) => this.#toContributor(row))
  }

  /**
   * Moves an attachment through its lifecycle (see {@link ATTACHMENT_MODE_TRANSITIONS});
   * other moves are `INVARIANT`. Locking with `requireApproval` also needs an
   * approval of the current version and no rejection of it.
   *
   * @example
   * ```ts
   * await conduit.attachments.setMode('plan', { mode: 'archived' })
   * ```
   */
  async setMode(slug: string, input: SetAttachmentModeInput): Promise<ConduitAttachment> {
    const key = validate(AttachmentSlugSchema, slug, 'conduit.attachments.setMode', this.#ctx.errorContext)
    const parsed = validate(SetAttachmentModeSchema, input, 'conduit.attachments.setMode', this.#ctx.errorContext)
    return this.#ctx.engine.write((x) => this.#setMode(x, key, parsed))
  }

  *#setMode(x: ConduitExecutor, key: string, parsed: z.output<typeof SetAttachmentModeSchema>): Step<ConduitAttachment> {
    const ctx = this.#ctx
    const current = yield* this.#require(x, key)
    if (current.mode === parsed.mode) return this.#toAttachment(current)
    if (!ATTACHMENT_MODE_TRANSITIONS[current.mode].includes(parsed.mode)) {
      throw invariant(ctx, `attachment ${JSON.stringify(key)} cannot go from ${current.mode} to ${parsed.mode}`, {
        slug: key,
        from: current.mode,
        to: parsed.mode,
      })
    }
    if (parsed.mode === 'locked' && parsed.requireApproval) {
      const verdicts = (yield* x.all(LIST_APPROVALS, { slug: key })).filter((row) => row.version_reviewed === current.current_version)
      const approved = verdicts.some((row) => row.status === 'approved')
      const rejected = verdicts.some((row) => row.status === 'rejected')
      if (!approved || rejected) {
        throw invariant(
          ctx,
          `attachment ${JSON.stringify(key)} v${current.current_version} is ${rejected ? 'rejected by a reviewer' : 'not approved'}`,
          { slug: key, version: current.current_version },
        )
      }
    }
    yield* x.run(SET_MODE, { slug: key, mode: parsed.mode, now: ctx.clock() })
    return (yield* this.#load(x, key))!
  }

  /**
   * Attachments of a conversation, newest first, optionally in one mode.
   *
   * @example
   * ```ts
   * const drafts = await conduit.attachments.list({ conversationId, mode: 'draft' })
   * ```
   */
  async list(options: { conversationId: string; mode?: AttachmentMode; limit?: number }): Promise<ConduitAttachment[]> {
    const opts = validate(
      z.strictObject({
        conversationId: ConduitIdSchema,
        mode: z.enum(ATTACHMENT_MODES).optional(),
        limit: z.int().min(1).max(CONDUIT_LIMITS.maxPageSize).default(100),
      }),
      options,
      'conduit.attachments.list',
      this.#ctx.errorContext,
    )
    const rows = await this.#ctx.engine.read((x) =>
      x.all(LIST_ATTACHMENTS, { conversationId: opts.conversationId, mode: opts.mode ?? null, limit: opts.limit }),
    )
    return rows.map((row) => this.#toAttachment(row))
  }

  /**
   * Deletes an attachment with its versions, approvals and contributors, and the
   * content no other attachment shares. `NOT_FOUND` if it does not exist.
   *
   * @example
   * ```ts
   * await conduit.attachments.remove('plan')
   * ```
   */
  async remove(slug: string): Promise<void> {
    const key = validate(AttachmentSlugSchema, slug, 'conduit.attachments.remove', this.#ctx.errorContext)
    await this.#ctx.engine.write((x) => this.#remove(x, key))
  }

  *#remove(x: ConduitExecutor, key: string): Step<void> {
    yield* this.#require(x, key)
    yield* this.#delete(x, key)
  }

  /**
   * Deletes attachments whose `expiresAt` has passed (at most `limit`), like
   * {@link remove}. Returns how many.
   *
   * @example
   * ```ts
   * await conduit.attachments.purgeExpired()
   * ```
   */
  async purgeExpired(options: { limit?: number } = {}): Promise<number> {
    const { limit } = validate(
      z.strictObject({ limit: z.int().min(1).max(100_000).default(1000) }),
      options,
      'conduit.attachments.purgeExpired',
      this.#ctx.errorContext,
    )
    return this.#ctx.engine.write((x) => this.#purgeExpired(x, limit))
  }

  *#purgeExpired(x: ConduitExecutor, limit: number): Step<number> {
    const expired = yield* x.all(EXPIRED, { now: this.#ctx.clock(), limit })
    for (const { slug } of expired) yield* this.#delete(x, slug)
    return expired.length
  }

  *#delete(x: ConduitExecutor, slug: string): Step<void> {
    const hashes = (yield* x.all(HASHES_OF, { slug })).map((row) => row.content_hash)
    yield* x.run(DELETE_ATTACHMENT, { slug })
    for (const hash of hashes) yield* x.run(DELETE_ORPHAN_BLOB, { hash })
  }

  /** The rows of one attachment's list (versions, approvals, contributors); `NOT_FOUND` for an unknown attachment. */
  *#listOf<R>(x: ConduitExecutor, slug: string, statement: QueryTemplate<{ slug: string }, R>): Step<R[]> {
    yield* this.#require(x, slug)
    return yield* x.all(statement, { slug })
  }

  *#require(x: ConduitExecutor, slug: string): Step<AttachmentRow> {
    const row = yield* x.get(GET_ATTACHMENT, { slug })
    if (row === undefined) throw notFound(this.#ctx, 'attachment', slug)
    return row
  }

  *#load(x: ConduitExecutor, slug: string): Step<ConduitAttachment | undefined> {
    const row = yield* x.get(GET_ATTACHMENT, { slug })
    return row === undefined ? undefined : this.#toAttachment(row)
  }

  #toAttachment(row: AttachmentRow): ConduitAttachment {
    return {
      slug: row.slug,
      conversationId: row.conversation_id,
      fromAgentId: row.from_agent_id,
      title: row.title,
      format: row.format as AttachmentFormat,
      mode: row.mode,
      currentVersion: row.current_version,
      contentHash: row.content_hash,
      size: row.size,
      expiresAt: toIsoOrNull(row.expires_at),
      createdAt: toIso(row.created_at),
      updatedAt: toIso(row.updated_at),
    }
  }

  #toVersion(row: VersionRow): AttachmentVersion {
    return {
      slug: row.slug,
      version: row.version_number,
      authorAgentId: row.author_agent_id,
      changeType: row.change_type,
      contentHash: row.content_hash,
      size: row.size,
      patchText: row.patch_text,
      changeSummary: row.change_summary,
      sectionsModified: fromJson(row.sections_modified, 'attachment_versions.sections_modified', this.#ctx.errorContext, SectionsSchema),
      tokensAdded: row.tokens_added,
      tokensRemoved: row.tokens_removed,
      createdAt: toIso(row.created_at),
    }
  }

  #toApproval(row: Selectable<AttachmentApprovalsTable>): AttachmentApproval {
    return {
      slug: row.slug,
      reviewerId: row.reviewer_agent_id,
      status: row.status,
      comment: row.comment,
      versionReviewed: row.version_reviewed,
      createdAt: toIso(row.created_at),
      updatedAt: toIso(row.updated_at),
    }
  }

  #toContributor(row: Selectable<AttachmentContributorsTable>): AttachmentContributor {
    return {
      slug: row.slug,
      agentId: row.agent_id,
      versionCount: row.version_count,
      tokensAdded: row.total_tokens_added,
      tokensRemoved: row.total_tokens_removed,
      firstContributionAt: toIso(row.first_contribution_at),
      lastContributionAt: toIso(row.last_contribution_at),
    }
  }
}
