/**
 * `claim_codes`: single-use, expiring codes by which a user claims an agent
 * (becomes its owner). Only the SHA-256 of a code is stored; the code is returned
 * once, at creation. Redeeming is one conditional `UPDATE`, so of two concurrent
 * redeemers exactly one wins.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'

import type { Selectable } from 'kysely'
import { z } from 'zod'

import { CleoStoreError } from '../sqlite/errors.js'
import { validate } from '../sqlite/validate.js'
import { expiryOf, hashBearerSecret } from './auth-sessions.js'
import type { SignaldockContext } from './signaldock-context.js'
import { iso, isoOrNull, ms, requireAgentKey, transact } from './signaldock-context.js'
import { AgentSlug, BearerSecret, CreateClaimCodeInput as CreateClaimCodeSchema, SignaldockId } from './signaldock.schemas.js'
import type { SignaldockClaimCodesTable } from './signaldock.tables.js'
import type { CreateClaimCodeInput } from './signaldock.types.js'

/** State of a claim code, evaluated against the clock at read time. */
export type ClaimCodeState = 'pending' | 'used' | 'expired'

/** A claim code, without the code itself. */
export interface ClaimCode {
  readonly id: string
  /** The agent's slug. */
  readonly agentId: string
  readonly state: ClaimCodeState
  readonly expiresAt: string
  readonly usedAt: string | null
  readonly usedBy: string | null
  readonly createdAt: string
}

/** Result of `claimCodes.create`: the record, and the code — shown this once. */
export interface CreatedClaimCode {
  readonly claimCode: ClaimCode
  readonly code: string
}

/** Result of `claimCodes.redeem`. */
export interface RedeemedClaimCode {
  /** The claimed agent's slug; its owner is now the redeeming user. */
  readonly agentId: string
  readonly claimCode: ClaimCode
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** 20 Crockford base-32 characters (100 random bits). */
function generateCode(): string {
  const bytes = randomBytes(20)
  let out = ''
  for (const byte of bytes) out += CROCKFORD[byte & 31]
  return out
}

/**
 * Claim codes: `repo.claimCodes`.
 *
 * @example
 * ```ts
 * const { code } = await signaldock.claimCodes.create({ agentId: 'cleo-prime', ttlMs: 15 * 60_000 })
 * // …the user types the code…
 * const { agentId } = await signaldock.claimCodes.redeem(code, user.id) // owner set; the code is spent
 * ```
 */
export class ClaimCodes {
  readonly #ctx: SignaldockContext

  /** @internal Created by the repository. */
  constructor(ctx: SignaldockContext) {
    this.#ctx = ctx
  }

  /**
   * Creates a claim code for an agent (generated unless given); `NOT_FOUND` for an
   * unknown agent, `CONFLICT` when a given code is already in use.
   */
  async create(input: CreateClaimCodeInput): Promise<CreatedClaimCode> {
    const ctx = this.#ctx
    const parsed = validate(CreateClaimCodeSchema, input, 'signaldock.claimCodes.create', ctx.errors, { secret: true })
    const code = parsed.code ?? generateCode()
    return transact(ctx, async (trx) => {
      const key = await requireAgentKey(ctx, trx, parsed.agentId)
      const now = ctx.clock()
      const expiresAt = expiryOf(parsed, now)
      if (expiresAt <= now) {
        throw new CleoStoreError('VALIDATION', 'signaldock.claimCodes.create: expiresAt must be in the future', {
          ...ctx.errors,
          details: { path: ['expiresAt'] },
        })
      }
      const row = await trx
        .insertInto('claim_codes')
        .values({ id: ctx.newId(), agent_id: key, code_hash: hashBearerSecret(code), expires_at: expiresAt, created_at: now })
        .onConflict((oc) => oc.column('code_hash').doNothing())
        .returningAll()
        .executeTakeFirst()
      if (!row) throw new CleoStoreError('CONFLICT', 'this claim code is already in use', { ...ctx.errors })
      return { claimCode: this.#map(row, parsed.agentId), code }
    })
  }

  /**
   * Spends a code: the user becomes the agent's owner. `NOT_FOUND` for an unknown
   * code or user; `CONFLICT` with `details.reason` `used` or `expired` otherwise.
   */
  async redeem(code: string, userId: string): Promise<RedeemedClaimCode> {
    const ctx = this.#ctx
    const parsed = validate(z.object({ code: BearerSecret, userId: SignaldockId }), { code, userId }, 'signaldock.claimCodes.redeem', ctx.errors, { secret: true })
    const hash = hashBearerSecret(parsed.code)
    return transact(ctx, async (trx) => {
      const user = await trx.selectFrom('users').select('id').where('id', '=', parsed.userId).executeTakeFirst()
      if (!user) {
        throw new CleoStoreError('NOT_FOUND', `user ${JSON.stringify(parsed.userId)} does not exist`, {
          ...ctx.errors,
          details: { path: ['userId'] },
        })
      }
      const now = ctx.clock()
      const spent = await trx
        .updateTable('claim_codes')
        .set({ used_at: now, used_by: parsed.userId })
        .where('code_hash', '=', hash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst()
      if (!spent) {
        const row = await trx.selectFrom('claim_codes').select(['used_at']).where('code_hash', '=', hash).executeTakeFirst()
        if (!row) throw new CleoStoreError('NOT_FOUND', 'unknown claim code', { ...ctx.errors })
        const reason = row.used_at !== null ? 'used' : 'expired'
        throw new CleoStoreError('CONFLICT', `claim code already ${reason}`, { ...ctx.errors, details: { reason } })
      }
      const agent = await trx
        .updateTable('agents')
        .set({ owner_id: parsed.userId, updated_at: now })
        .where('id', '=', spent.agent_id)
        .returning('agent_id')
        .executeTakeFirstOrThrow()
      return { agentId: agent.agent_id, claimCode: this.#map(spent, agent.agent_id) }
    })
  }

  /** The claim codes of an agent, newest first. */
  async list(agentId: string): Promise<ClaimCode[]> {
    const ctx = this.#ctx
    const slug = validate(AgentSlug, agentId, 'signaldock.claimCodes.list', ctx.errors)
    const rows = await ctx.kysely
      .selectFrom('claim_codes')
      .innerJoin('agents', 'agents.id', 'claim_codes.agent_id')
      .selectAll('claim_codes')
      .where('agents.agent_id', '=', slug)
      .orderBy('claim_codes.created_at', 'desc')
      .orderBy('claim_codes.id', 'desc')
      .execute()
    return rows.map((row) => this.#map(row, slug))
  }

  /** Deletes unused codes that expired; returns how many. Used codes are kept as history. */
  async pruneExpired(): Promise<number> {
    const ctx = this.#ctx
    const result = await transact(ctx, (trx) =>
      trx.deleteFrom('claim_codes').where('used_at', 'is', null).where('expires_at', '<=', ctx.clock()).executeTakeFirst(),
    )
    return Number(result.numDeletedRows)
  }

  #map(row: Selectable<SignaldockClaimCodesTable>, agentId: string): ClaimCode {
    const state: ClaimCodeState = row.used_at !== null ? 'used' : ms(row.expires_at) <= this.#ctx.clock() ? 'expired' : 'pending'
    return {
      id: row.id,
      agentId,
      state,
      expiresAt: iso(row.expires_at),
      usedAt: isoOrNull(row.used_at),
      usedBy: row.used_by,
      createdAt: iso(row.created_at),
    }
  }
}
