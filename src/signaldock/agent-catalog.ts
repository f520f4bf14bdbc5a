/**
 * The capability and skill catalogues (`capabilities`, `skills`): slugs agents are
 * bound to through `agent_capabilities` / `agent_skills`. One class serves both.
 *
 * CLEO's catalogue was never seeded, and its junction sync dropped unknown slugs
 * without a word. Here an unknown slug is either created (category `other`) or
 * refused with `NOT_FOUND` naming every missing slug — never dropped.
 *
 * @module
 */
import type { Kysely, Selectable } from 'kysely'

import { CleoStoreError } from '../sqlite/errors.js'
import { validate } from '../sqlite/validate.js'
import type { SignaldockContext } from './signaldock-context.js'
import { iso, transact } from './signaldock-context.js'
import type { SignaldockCatalogTable, SignaldockDatabase } from './signaldock.tables.js'
import { AgentSlug, CAPABILITY_CATEGORIES, DefineCatalogEntryInput as DefineCatalogEntrySchema, SKILL_CATEGORIES } from './signaldock.schemas.js'
import type { DefineCatalogEntryInput } from './signaldock.types.js'

/** Which catalogue: `capabilities` or `skills`. */
export type AgentCatalogKind = 'capabilities' | 'skills'

/** One catalogue entry. */
export interface AgentCatalogEntry {
  readonly id: string
  readonly slug: string
  readonly name: string
  readonly description: string
  readonly category: string
  /** ISO-8601 UTC. */
  readonly createdAt: string
}

const CATEGORIES: Readonly<Record<AgentCatalogKind, readonly string[]>> = {
  capabilities: CAPABILITY_CATEGORIES,
  skills: SKILL_CATEGORIES,
}

function toEntry(row: Selectable<SignaldockCatalogTable>): AgentCatalogEntry {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    category: row.category,
    createdAt: iso(row.created_at),
  }
}

/**
 * Resolves catalogue slugs to ids inside a transaction, creating the missing ones
 * (`create`) or throwing `NOT_FOUND` listing them (`refuse`). Returns ids in the
 * order of the de-duplicated slugs.
 *
 * @internal Used by the agents aggregate.
 */
export async function resolveCatalogSlugs(
  ctx: SignaldockContext,
  trx: Kysely<SignaldockDatabase>,
  kind: AgentCatalogKind,
  slugs: readonly string[],
  unknown: 'create' | 'refuse',
): Promise<string[]> {
  const wanted = [...new Set(slugs)]
  if (wanted.length === 0) return []
  const found = new Map<string, string>()
  const lookup = async () => {
    const rows = await trx.selectFrom(kind).select(['id', 'slug']).where('slug', 'in', wanted).execute()
    for (const row of rows) found.set(row.slug, row.id)
  }
  await lookup()
  const missing = wanted.filter((slug) => !found.has(slug))
  if (missing.length > 0) {
    if (unknown === 'refuse') {
      throw new CleoStoreError('NOT_FOUND', `unknown ${kind}: ${missing.map((s) => JSON.stringify(s)).join(', ')}`, {
        ...ctx.errors,
        details: { kind, missing },
      })
    }
    const now = ctx.clock()
    await trx
      .insertInto(kind)
      .values(missing.map((slug) => ({ id: ctx.newId(), slug, name: slug, description: '', category: 'other', created_at: now })))
      .onConflict((oc) => oc.column('slug').doNothing())
      .execute()
    await lookup()
  }
  return wanted.map((slug) => found.get(slug)!)
}

/**
 * A catalogue: `repo.capabilities` or `repo.skills`.
 *
 * @example
 * ```ts
 * await signaldock.capabilities.define({ slug: 'code-execution', category: 'execution' })
 * await signaldock.skills.define({ slug: 'typescript', category: 'language' })
 * const all = await signaldock.skills.list()
 * ```
 */
export class AgentCatalog {
  readonly #ctx: SignaldockContext
  readonly #kind: AgentCatalogKind

  /** @internal Created by the repository. */
  constructor(ctx: SignaldockContext, kind: AgentCatalogKind) {
    this.#ctx = ctx
    this.#kind = kind
  }

  /** Which table this catalogue is. */
  get kind(): AgentCatalogKind {
    return this.#kind
  }

  /**
   * Creates the entry, or updates the name, description and category of an
   * existing one (idempotent by slug). The category must be one of the
   * catalogue's categories (`VALIDATION` otherwise).
   */
  async define(input: DefineCatalogEntryInput): Promise<AgentCatalogEntry> {
    const ctx = this.#ctx
    const kind = this.#kind
    const parsed = validate(DefineCatalogEntrySchema, input, `signaldock.${kind}.define`, ctx.errors)
    const category = parsed.category ?? 'other'
    if (!CATEGORIES[kind].includes(category)) {
      throw new CleoStoreError(
        'VALIDATION',
        `signaldock.${kind}.define: category: must be one of ${CATEGORIES[kind].join(', ')} (got ${JSON.stringify(category)})`,
        { ...ctx.errors, details: { path: ['category'], allowed: CATEGORIES[kind] } },
      )
    }
    return transact(ctx, async (trx) => {
      const values = { name: parsed.name ?? parsed.slug, description: parsed.description ?? '', category }
      const changes = {
        ...(parsed.name === undefined ? {} : { name: parsed.name }),
        ...(parsed.description === undefined ? {} : { description: parsed.description }),
        ...(parsed.category === undefined ? {} : { category }),
      }
      await trx
        .insertInto(kind)
        .values({ id: ctx.newId(), slug: parsed.slug, ...values, created_at: ctx.clock() })
        .onConflict((oc) =>
          Object.keys(changes).length === 0 ? oc.column('slug').doNothing() : oc.column('slug').doUpdateSet(changes),
        )
        .execute()
      const row = await trx.selectFrom(kind).selectAll().where('slug', '=', parsed.slug).executeTakeFirstOrThrow()
      return toEntry(row)
    })
  }

  /** The entry with `slug`, or null. */
  async get(slug: string): Promise<AgentCatalogEntry | null> {
    const parsed = validate(AgentSlug, slug, `signaldock.${this.#kind}.get`, this.#ctx.errors)
    const row = await this.#ctx.kysely.selectFrom(this.#kind).selectAll().where('slug', '=', parsed).executeTakeFirst()
    return row ? toEntry(row) : null
  }

  /** Every entry, by slug; optionally of one category. */
  async list(options: { category?: string } = {}): Promise<AgentCatalogEntry[]> {
    let query = this.#ctx.kysely.selectFrom(this.#kind).selectAll()
    if (options.category !== undefined) query = query.where('category', '=', options.category)
    const rows = await query.orderBy('slug').execute()
    return rows.map(toEntry)
  }

  /**
   * Removes the entry and every agent binding to it (junction rows cascade).
   * Returns false when there was no such entry.
   */
  async remove(slug: string): Promise<boolean> {
    const parsed = validate(AgentSlug, slug, `signaldock.${this.#kind}.remove`, this.#ctx.errors)
    const result = await transact(this.#ctx, (trx) => trx.deleteFrom(this.#kind).where('slug', '=', parsed).executeTakeFirst())
    return Number(result.numDeletedRows) > 0
  }
}
