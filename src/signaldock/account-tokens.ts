/**
 * OAuth tokens of `accounts` sealed at rest (issue 14): `access_token`,
 * `refresh_token` and `id_token` are stored sealed by the credential cipher
 * (AES-256-GCM; see `CredentialCipher`), each bound by its associated data to its
 * row and field (`signaldock.accounts/<row id>/<field>`), so a sealed token copied
 * onto another row or into another field does not open. `accounts.link` seals,
 * `accounts.get` / `listForUser` / `link` open.
 *
 * Rows written by versions before migration 0004 hold plaintext (`tokens_sealed =
 * 0`); {@link sealLegacyAccountTokens} seals them when the repository opens.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { dirname } from 'node:path'

import type { Kysely } from 'kysely'
import { sql } from 'kysely'

import { CredentialCipher, isSealedCredential } from '../kdf/credential-cipher.js'
import { loadKeyMaterial } from '../kdf/key-files.js'
import { CleoStoreError } from '../sqlite/errors.js'
import type { SignaldockContext } from './signaldock-context.js'
import { transact } from './signaldock-context.js'
import type { SignaldockDatabase } from './signaldock.tables.js'

/**
 * The cipher that seals OAuth tokens, or a function that returns it (called once,
 * on first use, so the key files are read only when a token is sealed or opened).
 *
 * @example
 * ```ts
 * const source: CredentialCipherSource = () => CredentialCipher.fromKeyMaterial(loadKeyMaterial(globalDir))
 * await SignaldockRepository.open(file, { credentialCipher: source })
 * ```
 */
export type CredentialCipherSource = CredentialCipher | (() => CredentialCipher)

/**
 * The flag of rows still in plaintext, as a SQL literal: the partial index
 * `idx_accounts_tokens_unsealed` (migration 0004) serves only a query that names
 * the constant, not a bound parameter.
 */
const UNSEALED = sql.lit(0)

/** The token columns, with the field names that bind them (associated data). */
export const ACCOUNT_TOKEN_COLUMNS = [
  ['access_token', 'accessToken'],
  ['refresh_token', 'refreshToken'],
  ['id_token', 'idToken'],
] as const

type TokenColumn = (typeof ACCOUNT_TOKEN_COLUMNS)[number][0]

/** Associated data of one token: the row and the field it belongs to. */
function boundTo(accountId: string, field: string): string {
  return `signaldock.accounts/${accountId}/${field}`
}

/**
 * The default cipher source of a signaldock.db file: the key files of the directory
 * it lives in (the global directory, for a workspace; created there on first use,
 * as `ws.agents` does); for `:memory:` a random key that lives as long as the
 * process (so do the rows it seals).
 */
export function defaultCipherSource(path: string): CredentialCipherSource {
  if (path === ':memory:') {
    return () => CredentialCipher.fromKeyMaterial({ machineKey: randomBytes(32), globalSalt: randomBytes(32) })
  }
  return () => CredentialCipher.fromKeyMaterial(loadKeyMaterial(dirname(path)))
}

/** @internal Seals and opens the tokens of account rows. */
export class AccountTokenSealer {
  readonly #source: CredentialCipherSource | null
  readonly #errors: SignaldockContext['errors']
  #cipher: CredentialCipher | undefined

  constructor(source: CredentialCipherSource | null, errors: SignaldockContext['errors']) {
    this.#source = source
    this.#errors = errors
  }

  /** False on PostgreSQL without a `credentialCipher`: tokens cannot be stored. */
  get available(): boolean {
    return this.#source !== null
  }

  #get(operation: string): CredentialCipher {
    if (this.#cipher) return this.#cipher
    if (this.#source === null) {
      throw new CleoStoreError(
        'UNSUPPORTED',
        `${operation}: OAuth tokens are sealed at rest and this repository has no credentialCipher (pass one to openPostgres, built from key material every host shares)`,
        { ...this.#errors, details: { operation } },
      )
    }
    this.#cipher = typeof this.#source === 'function' ? this.#source() : this.#source
    return this.#cipher
  }

  /** The sealed form of a token to store (null stays null; an empty token stays empty). */
  seal(accountId: string, field: string, value: string | null, operation: string): string | null {
    if (value === null || value === '') return value
    return this.#get(operation).seal(boundTo(accountId, field), value)
  }

  /** The token of a stored value: opened when the row is sealed, as stored otherwise. */
  open(accountId: string, field: string, stored: string | null, sealed: boolean, operation: string): string | null {
    if (!sealed || stored === null || stored === '') return stored
    return this.#get(operation).open(boundTo(accountId, field), stored)
  }

  /**
   * Seals a value of a row flagged plaintext, unless it already opens under this
   * row's binding (a row sealed by an interrupted run, or a backup sealed earlier):
   * sealing twice must never happen, and a plaintext token cannot authenticate.
   */
  sealLegacy(accountId: string, field: string, value: string | null, operation: string): string | null {
    if (value === null || value === '') return value
    const cipher = this.#get(operation)
    if (isSealedCredential(value)) {
      try {
        cipher.open(boundTo(accountId, field), value)
        return value
      } catch {
        // plaintext that happens to look like base64: seal it
      }
    }
    return cipher.seal(boundTo(accountId, field), value)
  }
}

/**
 * The one-time data step of migration 0004, run by the repository when it opens
 * (migrations cannot read key files): seals the tokens of every row still flagged
 * plaintext and flags it, in one transaction; a row flagged meanwhile by another
 * process is skipped, so running it twice, or in two processes at once, is harmless.
 * Without a cipher (PostgreSQL opened without `credentialCipher`) the rows are left
 * as they are. Returns the number of rows sealed.
 *
 * @internal Called by `SignaldockRepository.open`.
 */
export async function sealLegacyAccountTokens(ctx: SignaldockContext, sealer: AccountTokenSealer): Promise<number> {
  const operation = 'signaldock.accounts (sealing tokens of older rows)'
  const pending = await ctx.kysely
    .selectFrom('accounts')
    .select('id')
    .where('tokens_sealed', '=', UNSEALED)
    .where((eb) => eb.or(ACCOUNT_TOKEN_COLUMNS.map(([column]) => eb(column, 'is not', null))))
    .limit(1)
    .executeTakeFirst()
  if (!pending || !sealer.available) return 0
  return transact(ctx, async (trx) => {
    const rows = await trx
      .selectFrom('accounts')
      .select(['id', 'access_token', 'refresh_token', 'id_token'])
      .where('tokens_sealed', '=', UNSEALED)
      .execute()
    for (const row of rows) {
      const sealed: Partial<Record<TokenColumn, string | null>> = {}
      for (const [column, field] of ACCOUNT_TOKEN_COLUMNS) sealed[column] = sealer.sealLegacy(row.id, field, row[column], operation)
      await trx
        .updateTable('accounts')
        .set({ ...sealed, tokens_sealed: 1 })
        .where('id', '=', row.id)
        .where('tokens_sealed', '=', UNSEALED)
        .execute()
    }
    return rows.length
  })
}

/**
 * After sealing older rows in signaldock.db: the plaintext must not survive in the
 * file's free space, in the WAL, or in the pre-migration backups beside the file
 * (`signaldock.db.bak-*`, written by the migration to 0004 with the rows as they
 * were). `secure_delete` is on for the connection (freed cell space is zeroed), the
 * WAL is checkpointed and truncated, and each backup gets its tokens sealed the same
 * way (idempotent: a value that already opens is kept) and is vacuumed.
 *
 * @internal Called by `SignaldockRepository.open`.
 */
export async function scrubPlaintextTokens(
  kysely: Kysely<SignaldockDatabase>,
  sealer: AccountTokenSealer,
  openBackup: (path: string) => { exec(sql: string): void; prepare(sql: string): { all(...p: unknown[]): unknown[]; run(...p: unknown[]): unknown }; close(): void },
  backups: readonly string[],
): Promise<void> {
  await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(kysely)
  const operation = 'signaldock.accounts (sealing tokens of backups)'
  for (const backup of backups) {
    const db = openBackup(backup)
    try {
      const columns = (db.prepare('PRAGMA table_info(accounts)').all() as Array<{ name: string }>).map((c) => c.name)
      if (!columns.includes('access_token')) continue
      const flagged = columns.includes('tokens_sealed')
      db.exec('PRAGMA secure_delete = ON')
      db.exec('BEGIN IMMEDIATE')
      try {
        const rows = db.prepare('SELECT * FROM accounts').all() as Array<Record<string, string | number | null>>
        const update = flagged
          ? db.prepare('UPDATE accounts SET access_token = ?, refresh_token = ?, id_token = ?, tokens_sealed = 1 WHERE id = ?')
          : db.prepare('UPDATE accounts SET access_token = ?, refresh_token = ?, id_token = ? WHERE id = ?')
        for (const row of rows) {
          if (flagged && row['tokens_sealed'] === 1) continue
          const id = String(row['id'])
          const values = ACCOUNT_TOKEN_COLUMNS.map(([column, field]) =>
            sealer.sealLegacy(id, field, row[column] as string | null, operation),
          )
          update.run(...values, id)
        }
        db.exec('COMMIT')
      } catch (error) {
        db.exec('ROLLBACK')
        throw error
      }
      db.exec('VACUUM')
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    } finally {
      db.close()
    }
  }
}
