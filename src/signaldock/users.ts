/**
 * `users` and `accounts`: the people side of signaldock (better-auth shapes, kept
 * so the schema matches the SignalDock cloud; usually empty on a single machine).
 *
 * @module
 */
import type { Kysely, Selectable, Updateable } from 'kysely'

import { CleoStoreError } from '../sqlite/errors.js'
import type { AccountTokenSealer } from './account-tokens.js'
import { ACCOUNT_TOKEN_COLUMNS } from './account-tokens.js'
import { fromJsonOrNull, toJson } from '../sqlite/json.js'
import { validate } from '../sqlite/validate.js'
import type { SignaldockContext } from './signaldock-context.js'
import { iso, isoOrNull, ms, transact } from './signaldock-context.js'
import type {
  SignaldockUserRole,
} from './signaldock.types.js'
import { BanUserInput as BanUserSchema, CreateUserInput as CreateUserSchema, JsonObject, LinkAccountInput as LinkAccountSchema, SignaldockId, UpdateUserInput as UpdateUserSchema } from './signaldock.schemas.js'
import type { SignaldockAccountsTable, SignaldockDatabase, SignaldockUsersTable } from './signaldock.tables.js'
import type { BanUserInput } from './signaldock.types.js'
import type { CreateUserInput } from './signaldock.types.js'
import type { LinkAccountInput } from './signaldock.types.js'
import type { UpdateUserInput } from './signaldock.types.js'

/** A signaldock user. */
export interface SignaldockUser {
  readonly id: string
  /** Lower-case, unique. */
  readonly email: string
  readonly emailVerified: boolean
  readonly name: string | null
  readonly slug: string | null
  readonly username: string | null
  readonly displayUsername: string | null
  readonly image: string | null
  readonly role: SignaldockUserRole
  /** True while a ban is in force (a ban past its end reads false; nothing is rewritten). */
  readonly banned: boolean
  readonly banReason: string | null
  readonly banExpires: string | null
  readonly twoFactorEnabled: boolean
  /** The opaque hash the caller stored, for its own verification. */
  readonly passwordHash: string | null
  readonly defaultAgentId: string | null
  readonly metadata: Record<string, unknown> | null
  readonly createdAt: string
  readonly updatedAt: string
}

/** A provider account of a user. */
export interface AuthAccount {
  readonly id: string
  readonly userId: string
  readonly providerId: string
  readonly accountId: string
  readonly accessToken: string | null
  readonly refreshToken: string | null
  readonly idToken: string | null
  readonly accessTokenExpiresAt: string | null
  readonly refreshTokenExpiresAt: string | null
  readonly scope: string | null
  readonly passwordHash: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

type UserFields = ReturnType<typeof UpdateUserSchema.parse>

function userColumns(input: UserFields): Updateable<SignaldockUsersTable> {
  const columns: Updateable<SignaldockUsersTable> = {
    email: input.email,
    name: input.name,
    slug: input.slug,
    username: input.username,
    display_username: input.displayUsername,
    image: input.image,
    role: input.role,
    email_verified: input.emailVerified === undefined ? undefined : input.emailVerified ? 1 : 0,
    two_factor_enabled: input.twoFactorEnabled === undefined ? undefined : input.twoFactorEnabled ? 1 : 0,
    password_hash: input.passwordHash,
    default_agent_id: input.defaultAgentId,
    metadata: input.metadata === undefined ? undefined : input.metadata === null ? null : toJson(input.metadata),
  }
  for (const key of Object.keys(columns) as Array<keyof typeof columns>) {
    if (columns[key] === undefined) delete columns[key]
  }
  return columns
}

/** Throws CONFLICT when another user already has the email, slug or username. */
async function checkUnique(
  ctx: SignaldockContext,
  trx: Kysely<SignaldockDatabase>,
  fields: { email?: string | undefined; slug?: string | null | undefined; username?: string | null | undefined },
  self: string | null,
): Promise<void> {
  for (const field of ['email', 'slug', 'username'] as const) {
    const value = fields[field]
    if (value == null) continue
    let query = trx.selectFrom('users').select('id').where(field, '=', value)
    if (self !== null) query = query.where('id', '<>', self)
    if (await query.executeTakeFirst()) {
      throw new CleoStoreError('CONFLICT', `a user with ${field} ${JSON.stringify(value)} already exists`, {
        ...ctx.errors,
        details: { path: [field] },
      })
    }
  }
}

/**
 * Users: `repo.users`.
 *
 * @example
 * ```ts
 * const user = await signaldock.users.create({ email: 'Ada@Example.com', name: 'Ada' })
 * user.email // 'ada@example.com'
 * await signaldock.users.ban(user.id, { reason: 'spam', until: Date.now() + 86_400_000 })
 * ```
 */
export class SignaldockUsers {
  readonly #ctx: SignaldockContext

  /** @internal Created by the repository. */
  constructor(ctx: SignaldockContext) {
    this.#ctx = ctx
  }

  /** Creates a user; `CONFLICT` when the email, slug or username is taken. */
  async create(input: CreateUserInput): Promise<SignaldockUser> {
    const ctx = this.#ctx
    const parsed = validate(CreateUserSchema, input, 'signaldock.users.create', ctx.errors)
    return transact(ctx, async (trx) => {
      await checkUnique(ctx, trx, parsed, null)
      const now = ctx.clock()
      const row = await trx
        .insertInto('users')
        .values({ ...userColumns(parsed), id: ctx.newId(), email: parsed.email, created_at: now, updated_at: now })
        .returningAll()
        .executeTakeFirstOrThrow()
      return this.#map(row)
    })
  }

  /** The user with this id, or null. */
  async get(id: string): Promise<SignaldockUser | null> {
    const key = validate(SignaldockId, id, 'signaldock.users.get', this.#ctx.errors)
    const row = await this.#ctx.kysely.selectFrom('users').selectAll().where('id', '=', key).executeTakeFirst()
    return row ? this.#map(row) : null
  }

  /** The user with this email (case-insensitive), or null. */
  async getByEmail(email: string): Promise<SignaldockUser | null> {
    const key = validate(CreateUserSchema.shape.email, email, 'signaldock.users.getByEmail', this.#ctx.errors)
    const row = await this.#ctx.kysely.selectFrom('users').selectAll().where('email', '=', key).executeTakeFirst()
    return row ? this.#map(row) : null
  }

  /** Every user, by email. */
  async list(): Promise<SignaldockUser[]> {
    const rows = await this.#ctx.kysely.selectFrom('users').selectAll().orderBy('email').execute()
    return rows.map((row) => this.#map(row))
  }

  /** Updates the given fields; `NOT_FOUND` for an unknown user, `CONFLICT` for a taken email/slug/username. */
  async update(id: string, patch: UpdateUserInput): Promise<SignaldockUser> {
    const ctx = this.#ctx
    const key = validate(SignaldockId, id, 'signaldock.users.update', ctx.errors)
    const parsed = validate(UpdateUserSchema, patch, 'signaldock.users.update', ctx.errors)
    return transact(ctx, async (trx) => {
      await checkUnique(ctx, trx, parsed, key)
      return this.#update(trx, key, { ...userColumns(parsed), updated_at: ctx.clock() })
    })
  }

  /** Bans a user, for good or until a time. */
  async ban(id: string, input: BanUserInput): Promise<SignaldockUser> {
    const ctx = this.#ctx
    const key = validate(SignaldockId, id, 'signaldock.users.ban', ctx.errors)
    const parsed = validate(BanUserSchema, input, 'signaldock.users.ban', ctx.errors)
    return transact(ctx, (trx) =>
      this.#update(trx, key, { banned: 1, ban_reason: parsed.reason, ban_expires: parsed.until ?? null, updated_at: ctx.clock() }),
    )
  }

  /** Lifts a ban. */
  async unban(id: string): Promise<SignaldockUser> {
    const ctx = this.#ctx
    const key = validate(SignaldockId, id, 'signaldock.users.unban', ctx.errors)
    return transact(ctx, (trx) =>
      this.#update(trx, key, { banned: 0, ban_reason: null, ban_expires: null, updated_at: ctx.clock() }),
    )
  }

  /**
   * Deletes a user with their accounts and sessions (cascade). Agents and
   * organizations they owned keep existing with no owner; claim codes they used
   * keep their `usedAt`. Returns false for an unknown id.
   */
  async remove(id: string): Promise<boolean> {
    const key = validate(SignaldockId, id, 'signaldock.users.remove', this.#ctx.errors)
    const result = await transact(this.#ctx, (trx) => trx.deleteFrom('users').where('id', '=', key).executeTakeFirst())
    return Number(result.numDeletedRows) > 0
  }

  async #update(trx: Kysely<SignaldockDatabase>, id: string, set: Updateable<SignaldockUsersTable>): Promise<SignaldockUser> {
    const row = await trx.updateTable('users').set(set).where('id', '=', id).returningAll().executeTakeFirst()
    if (!row) {
      throw new CleoStoreError('NOT_FOUND', `user ${JSON.stringify(id)} does not exist`, { ...this.#ctx.errors, details: { id } })
    }
    return this.#map(row)
  }

  #map(row: Selectable<SignaldockUsersTable>): SignaldockUser {
    const banExpires = row.ban_expires === null ? null : ms(row.ban_expires)
    const banned = Number(row.banned) === 1 && (banExpires === null || banExpires > this.#ctx.clock())
    return {
      id: row.id,
      email: row.email,
      emailVerified: Number(row.email_verified) === 1,
      name: row.name,
      slug: row.slug,
      username: row.username,
      displayUsername: row.display_username,
      image: row.image,
      role: row.role as SignaldockUserRole,
      banned,
      banReason: banned ? row.ban_reason : null,
      banExpires: banned ? isoOrNull(row.ban_expires) : null,
      twoFactorEnabled: Number(row.two_factor_enabled) === 1,
      passwordHash: row.password_hash,
      defaultAgentId: row.default_agent_id,
      metadata: fromJsonOrNull(row.metadata, 'users.metadata', this.#ctx.errors, JsonObject),
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
    }
  }
}

/**
 * Provider accounts: `repo.accounts`. Tokens are stored as given: seal them
 * (`CredentialCipher`) before if they must not sit in the clear.
 *
 * @example
 * ```ts
 * await signaldock.accounts.link({ userId: user.id, providerId: 'github', accountId: '12345' })
 * await signaldock.accounts.get('github', '12345')
 * ```
 */
export class AuthAccounts {
  readonly #ctx: SignaldockContext
  readonly #tokens: AccountTokenSealer

  /** @internal Created by the repository. */
  constructor(ctx: SignaldockContext, tokens: AccountTokenSealer) {
    this.#ctx = ctx
    this.#tokens = tokens
  }

  /**
   * Links a provider account to a user, or updates the tokens of the link (an
   * upsert by provider and account id). `NOT_FOUND` for an unknown user;
   * `CONFLICT` when the provider account belongs to another user.
   *
   * `accessToken`, `refreshToken` and `idToken` are sealed before they are written
   * (credential cipher, bound to the row and the field) and opened again on read;
   * on PostgreSQL without a `credentialCipher`, a link carrying a token is
   * `UNSUPPORTED`. A token never appears in an error.
   */
  async link(input: LinkAccountInput): Promise<AuthAccount> {
    const ctx = this.#ctx
    const parsed = validate(LinkAccountSchema, input, 'signaldock.accounts.link', ctx.errors)
    return transact(ctx, async (trx) => {
      const user = await trx.selectFrom('users').select('id').where('id', '=', parsed.userId).executeTakeFirst()
      if (!user) {
        throw new CleoStoreError('NOT_FOUND', `user ${JSON.stringify(parsed.userId)} does not exist`, {
          ...ctx.errors,
          details: { path: ['userId'] },
        })
      }
      const existing = await trx
        .selectFrom('accounts')
        .selectAll()
        .where('provider_id', '=', parsed.providerId)
        .where('account_id', '=', parsed.accountId)
        .executeTakeFirst()
      const now = ctx.clock()
      const id = existing?.id ?? ctx.newId()
      const operation = 'signaldock.accounts.link'
      const given = { access_token: parsed.accessToken, refresh_token: parsed.refreshToken, id_token: parsed.idToken }
      const sealed: Updateable<SignaldockAccountsTable> = {}
      const anyToken = ACCOUNT_TOKEN_COLUMNS.some(([column]) => typeof given[column] === 'string' && given[column] !== '')
      const legacy = existing !== undefined && existing.tokens_sealed === 0 && this.#tokens.available
      if (anyToken || legacy) {
        // Every token of the row is written sealed: the given ones, and the ones kept
        // from a row still in plaintext (written by an older version).
        for (const [column, field] of ACCOUNT_TOKEN_COLUMNS) {
          const value =
            given[column] !== undefined
              ? given[column]
              : existing
                ? this.#tokens.open(id, field, existing[column], existing.tokens_sealed === 1, operation)
                : null
          sealed[column] = this.#tokens.seal(id, field, value ?? null, operation)
        }
        sealed.tokens_sealed = 1
      } else {
        for (const [column] of ACCOUNT_TOKEN_COLUMNS) if (given[column] !== undefined) sealed[column] = given[column]
      }
      const tokens: Updateable<SignaldockAccountsTable> = {
        ...sealed,
        access_token_expires_at: parsed.accessTokenExpiresAt,
        refresh_token_expires_at: parsed.refreshTokenExpiresAt,
        scope: parsed.scope,
        password_hash: parsed.passwordHash,
      }
      for (const key of Object.keys(tokens) as Array<keyof typeof tokens>) {
        if (tokens[key] === undefined) delete tokens[key]
      }
      if (existing) {
        if (existing.user_id !== parsed.userId) {
          throw new CleoStoreError(
            'CONFLICT',
            `${parsed.providerId} account ${JSON.stringify(parsed.accountId)} is linked to another user`,
            { ...ctx.errors, details: { providerId: parsed.providerId } },
          )
        }
        const row = await trx
          .updateTable('accounts')
          .set({ ...tokens, updated_at: now })
          .where('id', '=', existing.id)
          .returningAll()
          .executeTakeFirstOrThrow()
        return this.#map(row)
      }
      const row = await trx
        .insertInto('accounts')
        .values({
          ...tokens,
          id,
          user_id: parsed.userId,
          provider_id: parsed.providerId,
          account_id: parsed.accountId,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
      return this.#map(row)
    })
  }

  /** The account of `providerId`/`accountId`, or null. */
  async get(providerId: string, accountId: string): Promise<AuthAccount | null> {
    const row = await this.#ctx.kysely
      .selectFrom('accounts')
      .selectAll()
      .where('provider_id', '=', providerId)
      .where('account_id', '=', accountId)
      .executeTakeFirst()
    return row ? this.#map(row) : null
  }

  /** The accounts of a user, by provider. */
  async listForUser(userId: string): Promise<AuthAccount[]> {
    const rows = await this.#ctx.kysely
      .selectFrom('accounts')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('provider_id')
      .orderBy('account_id')
      .execute()
    return rows.map((row) => this.#map(row))
  }

  /** Removes a link; false when there was none. */
  async unlink(providerId: string, accountId: string): Promise<boolean> {
    const result = await transact(this.#ctx, (trx) =>
      trx.deleteFrom('accounts').where('provider_id', '=', providerId).where('account_id', '=', accountId).executeTakeFirst(),
    )
    return Number(result.numDeletedRows) > 0
  }

  #map(row: Selectable<SignaldockAccountsTable>): AuthAccount {
    return {
      id: row.id,
      userId: row.user_id,
      providerId: row.provider_id,
      accountId: row.account_id,
      accessToken: this.#tokens.open(row.id, 'accessToken', row.access_token, row.tokens_sealed === 1, 'signaldock.accounts'),
      refreshToken: this.#tokens.open(row.id, 'refreshToken', row.refresh_token, row.tokens_sealed === 1, 'signaldock.accounts'),
      idToken: this.#tokens.open(row.id, 'idToken', row.id_token, row.tokens_sealed === 1, 'signaldock.accounts'),
      accessTokenExpiresAt: isoOrNull(row.access_token_expires_at),
      refreshTokenExpiresAt: isoOrNull(row.refresh_token_expires_at),
      scope: row.scope,
      passwordHash: row.password_hash,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
    }
  }
}
