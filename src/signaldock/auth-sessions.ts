/**
 * `sessions` and `verifications`: bearer secrets of the auth layer. Only their
 * SHA-256 is stored, so a copy of signaldock.db does not hand out live sessions.
 * Expiry is decided in each query against the injected clock; reads never write.
 *
 * @module
 */
import { createHash } from 'node:crypto'

import type { Kysely, Selectable } from 'kysely'
import { z } from 'zod'

import { CleoStoreError } from '../sqlite/errors.js'
import { validate } from '../sqlite/validate.js'
import type { SignaldockContext } from './signaldock-context.js'
import { iso, transact } from './signaldock-context.js'
import { BearerSecret, CreateAuthSessionInput as CreateAuthSessionSchema, CreateVerificationInput as CreateVerificationSchema, DurationMs, Instant, SignaldockId } from './signaldock.schemas.js'
import type { SignaldockSessionsTable, SignaldockDatabase } from './signaldock.tables.js'
import type { CreateAuthSessionInput } from './signaldock.types.js'
import type { CreateVerificationInput } from './signaldock.types.js'

/** Hex SHA-256 of a bearer secret: what the tables store. */
export function hashBearerSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

/** Resolves `{ expiresAt } | { ttlMs }` against the clock. */
export function expiryOf(input: { expiresAt?: number | undefined; ttlMs?: number | undefined }, now: number): number {
  return input.expiresAt ?? now + input.ttlMs!
}

/** An authenticated session (the token itself is never returned). */
export interface AuthSession {
  readonly id: string
  readonly userId: string
  readonly expiresAt: string
  readonly ipAddress: string | null
  readonly userAgent: string | null
  readonly activeOrganizationId: string | null
  readonly impersonatedBy: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

/** A pending verification (the value itself is never returned). */
export interface PendingVerification {
  readonly id: string
  readonly identifier: string
  readonly expiresAt: string
}

const Token = BearerSecret
const Extend = z
  .object({ expiresAt: Instant.optional(), ttlMs: DurationMs.optional() })
  .refine((v) => (v.expiresAt === undefined) !== (v.ttlMs === undefined), { message: 'give exactly one of expiresAt and ttlMs' })

async function requireExists(
  ctx: SignaldockContext,
  trx: Kysely<SignaldockDatabase>,
  table: 'users' | 'organization',
  id: string | null | undefined,
  field: string,
): Promise<void> {
  if (id == null) return
  const row = await trx.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst()
  if (!row) {
    throw new CleoStoreError('NOT_FOUND', `${field} ${JSON.stringify(id)} does not exist`, {
      ...ctx.errors,
      details: { path: [field] },
    })
  }
}

/**
 * Sessions: `repo.sessions`.
 *
 * @example
 * ```ts
 * const token = randomBytes(32).toString('base64url')
 * await signaldock.authSessions.create({ userId: user.id, token, ttlMs: 3_600_000 })
 * const session = await signaldock.authSessions.getByToken(token) // null once expired
 * await signaldock.authSessions.revoke(token)
 * ```
 */
export class AuthSessions {
  readonly #ctx: SignaldockContext

  /** @internal Created by the repository. */
  constructor(ctx: SignaldockContext) {
    this.#ctx = ctx
  }

  /**
   * Stores a session for `token` (hashed). `NOT_FOUND` for an unknown user or
   * organization; `CONFLICT` when the token is already in use; `VALIDATION` for an
   * expiry that is not in the future.
   */
  async create(input: CreateAuthSessionInput): Promise<AuthSession> {
    const ctx = this.#ctx
    const parsed = validate(CreateAuthSessionSchema, input, 'signaldock.authSessions.create', ctx.errors, { secret: true })
    const tokenHash = hashBearerSecret(parsed.token)
    return transact(ctx, async (trx) => {
      await requireExists(ctx, trx, 'users', parsed.userId, 'userId')
      await requireExists(ctx, trx, 'organization', parsed.activeOrganizationId, 'activeOrganizationId')
      await requireExists(ctx, trx, 'users', parsed.impersonatedBy, 'impersonatedBy')
      const now = ctx.clock()
      const expiresAt = expiryOf(parsed, now)
      if (expiresAt <= now) {
        throw new CleoStoreError('VALIDATION', 'signaldock.authSessions.create: expiresAt must be in the future', {
          ...ctx.errors,
          details: { path: ['expiresAt'] },
        })
      }
      const inserted = await trx
        .insertInto('sessions')
        .values({
          id: ctx.newId(),
          user_id: parsed.userId,
          token_hash: tokenHash,
          expires_at: expiresAt,
          ip_address: parsed.ipAddress ?? null,
          user_agent: parsed.userAgent ?? null,
          active_organization_id: parsed.activeOrganizationId ?? null,
          impersonated_by: parsed.impersonatedBy ?? null,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('token_hash').doNothing())
        .returningAll()
        .executeTakeFirst()
      if (!inserted) throw new CleoStoreError('CONFLICT', 'this session token is already in use', { ...ctx.errors })
      return this.#map(inserted)
    })
  }

  /** The unexpired session of `token`, or null (expired or unknown). */
  async getByToken(token: string): Promise<AuthSession | null> {
    const ctx = this.#ctx
    const parsed = validate(Token, token, 'signaldock.authSessions.getByToken', ctx.errors, { secret: true })
    const row = await ctx.kysely
      .selectFrom('sessions')
      .selectAll()
      .where('token_hash', '=', hashBearerSecret(parsed))
      .where('expires_at', '>', ctx.clock())
      .executeTakeFirst()
    return row ? this.#map(row) : null
  }

  /** Moves the expiry of an unexpired session; `NOT_FOUND` when it is expired or unknown. */
  async extend(token: string, input: { expiresAt?: number | Date | string; ttlMs?: number }): Promise<AuthSession> {
    const ctx = this.#ctx
    const parsed = validate(Token, token, 'signaldock.authSessions.extend', ctx.errors, { secret: true })
    const when = validate(Extend, input, 'signaldock.authSessions.extend', ctx.errors)
    return transact(ctx, async (trx) => {
      const now = ctx.clock()
      const row = await trx
        .updateTable('sessions')
        .set({ expires_at: expiryOf(when, now), updated_at: now })
        .where('token_hash', '=', hashBearerSecret(parsed))
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst()
      if (!row) throw new CleoStoreError('NOT_FOUND', 'no live session for this token', { ...ctx.errors })
      return this.#map(row)
    })
  }

  /** Sets (or clears) the session's active organization; `NOT_FOUND` for an expired session or unknown organization. */
  async setActiveOrganization(token: string, organizationId: string | null): Promise<AuthSession> {
    const ctx = this.#ctx
    const parsed = validate(Token, token, 'signaldock.authSessions.setActiveOrganization', ctx.errors, { secret: true })
    const org = organizationId === null ? null : validate(SignaldockId, organizationId, 'signaldock.authSessions.setActiveOrganization', ctx.errors)
    return transact(ctx, async (trx) => {
      await requireExists(ctx, trx, 'organization', org, 'organizationId')
      const now = ctx.clock()
      const row = await trx
        .updateTable('sessions')
        .set({ active_organization_id: org, updated_at: now })
        .where('token_hash', '=', hashBearerSecret(parsed))
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst()
      if (!row) throw new CleoStoreError('NOT_FOUND', 'no live session for this token', { ...ctx.errors })
      return this.#map(row)
    })
  }

  /** Ends a session; false when there was none. */
  async revoke(token: string): Promise<boolean> {
    const ctx = this.#ctx
    const parsed = validate(Token, token, 'signaldock.authSessions.revoke', ctx.errors, { secret: true })
    const result = await transact(ctx, (trx) =>
      trx.deleteFrom('sessions').where('token_hash', '=', hashBearerSecret(parsed)).executeTakeFirst(),
    )
    return Number(result.numDeletedRows) > 0
  }

  /** Ends every session of a user; returns how many. */
  async revokeAllForUser(userId: string): Promise<number> {
    const result = await transact(this.#ctx, (trx) => trx.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst())
    return Number(result.numDeletedRows)
  }

  /** The unexpired sessions of a user, newest first. */
  async listForUser(userId: string): Promise<AuthSession[]> {
    const rows = await this.#ctx.kysely
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('expires_at', '>', this.#ctx.clock())
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute()
    return rows.map((row) => this.#map(row))
  }

  /** Deletes expired sessions; returns how many. */
  async pruneExpired(): Promise<number> {
    const ctx = this.#ctx
    const result = await transact(ctx, (trx) => trx.deleteFrom('sessions').where('expires_at', '<=', ctx.clock()).executeTakeFirst())
    return Number(result.numDeletedRows)
  }

  #map(row: Selectable<SignaldockSessionsTable>): AuthSession {
    return {
      id: row.id,
      userId: row.user_id,
      expiresAt: iso(row.expires_at),
      ipAddress: row.ip_address,
      userAgent: row.user_agent,
      activeOrganizationId: row.active_organization_id,
      impersonatedBy: row.impersonated_by,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
    }
  }
}

/**
 * Verifications (email confirmation, one-time codes): `repo.verifications`.
 * Each value is single-use and expiring.
 *
 * @example
 * ```ts
 * await signaldock.verifications.create({ identifier: 'email:ada@example.com', value: '839201', ttlMs: 600_000 })
 * await signaldock.verifications.consume('email:ada@example.com', '839201') // true, once
 * ```
 */
export class Verifications {
  readonly #ctx: SignaldockContext

  /** @internal Created by the repository. */
  constructor(ctx: SignaldockContext) {
    this.#ctx = ctx
  }

  /** Stores a verification value (hashed) for `identifier`. */
  async create(input: CreateVerificationInput): Promise<PendingVerification> {
    const ctx = this.#ctx
    const parsed = validate(CreateVerificationSchema, input, 'signaldock.verifications.create', ctx.errors, { secret: true })
    const now = ctx.clock()
    const expiresAt = expiryOf(parsed, now)
    if (expiresAt <= now) {
      throw new CleoStoreError('VALIDATION', 'signaldock.verifications.create: expiresAt must be in the future', {
        ...ctx.errors,
        details: { path: ['expiresAt'] },
      })
    }
    const id = ctx.newId()
    await transact(ctx, (trx) =>
      trx
        .insertInto('verifications')
        .values({
          id,
          identifier: parsed.identifier,
          value_hash: hashBearerSecret(parsed.value),
          expires_at: expiresAt,
          created_at: now,
          updated_at: now,
        })
        .execute(),
    )
    return { id, identifier: parsed.identifier, expiresAt: iso(expiresAt) }
  }

  /**
   * Consumes a value: true exactly once for an unexpired match (one atomic
   * `DELETE … RETURNING`, so two concurrent consumers cannot both succeed); false
   * for a wrong, used or expired value.
   */
  async consume(identifier: string, value: string): Promise<boolean> {
    const ctx = this.#ctx
    const parsed = validate(
      z.object({ identifier: z.string().min(1).max(500), value: z.string().min(1).max(512) }),
      { identifier, value },
      'signaldock.verifications.consume',
      ctx.errors, { secret: true })
    const rows = await transact(ctx, (trx) =>
      trx
        .deleteFrom('verifications')
        .where('identifier', '=', parsed.identifier)
        .where('value_hash', '=', hashBearerSecret(parsed.value))
        .where('expires_at', '>', ctx.clock())
        .returning('id')
        .execute(),
    )
    return rows.length > 0
  }

  /** Deletes expired verifications; returns how many. */
  async pruneExpired(): Promise<number> {
    const ctx = this.#ctx
    const result = await transact(ctx, (trx) =>
      trx.deleteFrom('verifications').where('expires_at', '<=', ctx.clock()).executeTakeFirst(),
    )
    return Number(result.numDeletedRows)
  }
}
