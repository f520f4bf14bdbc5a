/**
 * The signaldock repository, on SQLite (`open`) or on PostgreSQL (`openPostgres`).
 *
 * Every aggregate talks to the database only through the async Kysely API and
 * {@link transact}, in portable SQL — `ON CONFLICT DO NOTHING / DO UPDATE`,
 * `RETURNING`, `CASE`, integers for booleans and epoch-ms timestamps, no
 * engine-only functions — so the same code runs on both engines, with the same
 * zod schemas and the same `CleoStoreError` codes. Uniqueness races resolve by
 * upsert: agent registration is idempotent by slug, on one machine or many.
 *
 * @module
 */
import { readdirSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

import type { Transaction } from 'kysely'
import { sql } from 'kysely'

import type { PostgresStoreOptions, PostgresTarget } from '../postgres/postgres-options.js'
import { openPostgresDatabase } from '../postgres/postgres-database.js'
import type { Clock } from '../sqlite/clock.js'
import { systemClock } from '../sqlite/clock.js'
import type { IntegrityReport } from '../sqlite/integrity-report.js'
import type { RepositoryKysely } from '../sqlite/kysely-handle.js'
import { uuidv7Generator } from '../sqlite/ids.js'
import type { RepositoryOptions, StoreRepository } from '../sqlite/store-repository.js'
import { openStoreDatabase } from '../sqlite/store-repository.js'
import { MEMORY } from '../sqlite/open-database.js'
import { toCleoStoreError } from '../sqlite/errors.js'
import { loadNodeSqlite } from '../sqlite/node-sqlite.js'
import type { CredentialCipherSource } from './account-tokens.js'
import { AccountTokenSealer, defaultCipherSource, scrubPlaintextTokens, sealLegacyAccountTokens } from './account-tokens.js'
import { AgentAvailabilities } from './agent-availability.js'
import { AgentCatalog } from './agent-catalog.js'
import { AgentConnections } from './agent-connections.js'
import { SignaldockAgents } from './agents.js'
import { AuthSessions, Verifications } from './auth-sessions.js'
import { ClaimCodes } from './claim-codes.js'
import { Organizations } from './organizations.js'
import type { SignaldockContext, SignaldockTransactionOptions } from './signaldock-context.js'
import type { SignaldockDialect } from './signaldock.enums.js'
import type { SignaldockStorage } from './signaldock-storage.js'
import { PostgresSignaldockStore, SqliteSignaldockStore } from './signaldock-storage.js'
import type { SignaldockDatabase } from './signaldock.tables.js'
import { SIGNALDOCK_STORE } from './signaldock.store.js'
import { z } from 'zod'
import { checkOptions, FunctionSchema, POSTGRES_OPTION_SHAPE, repositoryOptionsSchema } from '../sqlite/options.js'
import { AuthAccounts, SignaldockUsers } from './users.js'

/** Options of {@link SignaldockRepository.open} (SQLite). */
export interface SignaldockRepositoryOptions extends RepositoryOptions {
  /**
   * The cipher that seals OAuth tokens at rest (`accounts`), or a function returning
   * it (called on first use). Default: the key files (`machine-key`, `global-salt`)
   * of the directory signaldock.db lives in — the global directory of a workspace —
   * read or created when a token is first sealed or opened; for `':memory:'` a random
   * key that lives as long as the repository.
   *
   * @example
   * ```ts
   * const cipher = CredentialCipher.fromKeyMaterial(loadKeyMaterial(globalDir))
   * await SignaldockRepository.open(join(globalDir, 'signaldock.db'), { credentialCipher: cipher })
   * ```
   */
  readonly credentialCipher?: CredentialCipherSource
}

/**
 * Options of {@link SignaldockRepository.openPostgres}.
 *
 * @example
 * ```ts
 * const options: SignaldockPostgresOptions = { schema: 'signaldock', busyTimeoutMs: 10_000, poolSize: 20 }
 * ```
 */
export interface SignaldockPostgresOptions extends PostgresStoreOptions {
  /** Returns epoch milliseconds; inject one in tests (default `Date.now`). */
  readonly clock?: Clock
  /**
   * The cipher that seals OAuth tokens at rest, built from key material every host
   * of the cloud tier shares (a machine key would seal tokens only its host can
   * open). Without one, `accounts.link` with a token is `UNSUPPORTED`, and rows
   * written in plaintext by older versions are left as they are.
   */
  readonly credentialCipher?: CredentialCipherSource
}

/** `credentialCipher`: a CredentialCipher, or a function returning one (issue 14, items 2 and 9). */
const CredentialCipherOptionSchema = z.custom<CredentialCipherSource>(
  (value) => typeof value === 'function' || (typeof value === 'object' && value !== null),
  'must be a CredentialCipher or a function returning one',
)
const SignaldockOpenOptionsSchema = repositoryOptionsSchema({ credentialCipher: CredentialCipherOptionSchema.optional() })
const SignaldockPostgresOptionsSchema = z.strictObject({
  ...POSTGRES_OPTION_SHAPE,
  clock: FunctionSchema.optional(),
  credentialCipher: CredentialCipherOptionSchema.optional(),
})
/** The `signaldock` option of `CleoWorkspace.open`, strict. @internal Used by `CleoWorkspace`. */
export const WorkspaceSignaldockOptionsSchema = z.strictObject({
  ...POSTGRES_OPTION_SHAPE,
  postgres: z.custom<PostgresTarget>((value) => typeof value === 'string' || (typeof value === 'object' && value !== null), 'must be a connection string or a pg pool'),
})

/**
 * signaldock.db — agent identity, capabilities, auth tables and availability (global tier).
 *
 * | property | table(s) |
 * | --- | --- |
 * | `agents` | `agents` (+ capability/skill bindings) |
 * | `capabilities`, `skills` | the catalogues |
 * | `connections` | `agent_connections` |
 * | `users`, `accounts` | `users`, `accounts` |
 * | `sessions`, `verifications` | `sessions`, `verifications` |
 * | `organizations` | `organization`, `org_agent_keys` |
 * | `claimCodes` | `claim_codes` |
 * | `availability` | `agent_availability` and `selectAgent` |
 *
 * @example
 * ```ts
 * await using signaldock = await SignaldockRepository.open(':memory:')
 * await signaldock.agents.register({ agentId: 'cleo-prime', name: 'Cleo Prime' })
 * const choice = await signaldock.availability.selectAgent(['cleo-prime'])
 *
 * // The same API on a PostgreSQL server shared by many hosts:
 * await using cloud = await SignaldockRepository.openPostgres('postgres://app@db.example/cloud')
 * await cloud.agents.register({ agentId: 'cleo-prime', name: 'Cleo Prime' })
 * ```
 */
export class SignaldockRepository {
  /** The agent registry. */
  readonly agents: SignaldockAgents
  /** The capability catalogue. */
  readonly capabilities: AgentCatalog
  /** The skill catalogue. */
  readonly skills: AgentCatalog
  /** Live transport connections. */
  readonly connections: AgentConnections
  /** People. */
  readonly users: SignaldockUsers
  /** Their provider accounts. */
  readonly accounts: AuthAccounts
  /** Authenticated login sessions of users (token hashes); not agent work sessions (`tasks.sessions`). */
  readonly authSessions: AuthSessions
  /** Single-use verification values (hashes). */
  readonly verifications: Verifications
  /** Organizations and their agent grants. */
  readonly organizations: Organizations
  /** Single-use, expiring agent claim codes. */
  readonly claimCodes: ClaimCodes
  /** Agent availability and deterministic fallback selection. */
  readonly availability: AgentAvailabilities

  readonly #storage: SignaldockStorage

  readonly #ctx: SignaldockContext
  readonly #tokens: AccountTokenSealer

  private constructor(storage: SignaldockStorage, clock: Clock, cipher: CredentialCipherSource | null) {
    this.#storage = storage
    const ctx: SignaldockContext = Object.freeze({
      kysely: storage.kysely,
      clock,
      newId: uuidv7Generator(clock),
      errors: storage.context,
      transaction: <T>(fn: (trx: Transaction<SignaldockDatabase>) => Promise<T>, options: SignaldockTransactionOptions) => storage.transaction(fn, options),
    })
    this.agents = new SignaldockAgents(ctx)
    this.capabilities = new AgentCatalog(ctx, 'capabilities')
    this.skills = new AgentCatalog(ctx, 'skills')
    this.connections = new AgentConnections(ctx)
    this.#ctx = ctx
    this.#tokens = new AccountTokenSealer(cipher, storage.context)
    this.users = new SignaldockUsers(ctx)
    this.accounts = new AuthAccounts(ctx, this.#tokens)
    this.authSessions = new AuthSessions(ctx)
    this.verifications = new Verifications(ctx)
    this.organizations = new Organizations(ctx)
    this.claimCodes = new ClaimCodes(ctx)
    this.availability = new AgentAvailabilities(ctx)
  }

  /**
   * Opens (creating and migrating if needed) signaldock.db at `path`, or an in-memory
   * database with `':memory:'`.
   * The file is created if missing, its directory is not: a missing directory is
   * `NOT_FOUND` (create it first; `CleoWorkspace.open` creates its own).
   *
   * @example
   * ```ts
   * const signaldock = await SignaldockRepository.open(join(globalDir, 'signaldock.db'))
   * ```
   */
  static async open(path: string, options: SignaldockRepositoryOptions = {}): Promise<SignaldockRepository> {
    checkOptions(SignaldockOpenOptionsSchema, options, 'SignaldockRepository.open', { store: SIGNALDOCK_STORE.name })
    const { credentialCipher, ...engine } = options
    const db = await openStoreDatabase<SignaldockDatabase>(SIGNALDOCK_STORE, path, engine)
    const repo = new SignaldockRepository(
      new SqliteSignaldockStore(db, engine),
      engine.clock ?? systemClock,
      credentialCipher ?? defaultCipherSource(db.path),
    )
    try {
      // Deleted cell content is zeroed, so a replaced or sealed token leaves no residue.
      await sql`PRAGMA secure_delete = ON`.execute(repo.kysely)
      if ((await sealLegacyAccountTokens(repo.#ctx, repo.#tokens)) > 0 && db.path !== MEMORY) {
        const directory = dirname(db.path)
        const prefix = `${basename(db.path)}.bak-`
        const backups = readdirSync(directory)
          .filter((name) => name.startsWith(prefix) && !name.includes('.tmp-'))
          .map((name) => join(directory, name))
        const sqlite = loadNodeSqlite()
        await scrubPlaintextTokens(repo.kysely, repo.#tokens, (file) => new sqlite.DatabaseSync(file), backups)
      }
    } catch (error) {
      await repo.close()
      throw toCleoStoreError(error, db.context)
    }
    return repo
  }

  /**
   * Opens signaldock on a PostgreSQL server — the cloud tier, one agent registry
   * shared by many hosts — creating its schema (default `signaldock`) and migrating
   * it if needed, from the same migration files as the SQLite file.
   *
   * `target` is a connection string (cleo-store creates a `pg` pool, importing the
   * optional peer dependency `pg` only now, and ends it on `close()`; without `pg`
   * installed: `UNSUPPORTED`) or a pool of yours (`new pg.Pool(…)`), which
   * `close()` never ends. Writes run `SERIALIZABLE`; serialization failures and
   * deadlocks are retried whole until `busyTimeoutMs`, then `BUSY`.
   *
   * Throws `VALIDATION` (bad target or schema name), `IO` (server unreachable,
   * authentication failed), `NOT_FOUND` (no such database), `WRONG_STORE` (the
   * schema holds another application's tables), `SCHEMA_TOO_NEW`,
   * `MIGRATION_FAILED`.
   *
   * @example
   * ```ts
   * const signaldock = await SignaldockRepository.openPostgres(process.env.DATABASE_URL!, { schema: 'signaldock' })
   * // or with a pool you own (and end yourself):
   * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
   * const shared = await SignaldockRepository.openPostgres(pool)
   * ```
   */
  static async openPostgres(target: PostgresTarget, options: SignaldockPostgresOptions = {}): Promise<SignaldockRepository> {
    checkOptions(SignaldockPostgresOptionsSchema, options, 'SignaldockRepository.openPostgres', { store: SIGNALDOCK_STORE.name })
    const { clock, credentialCipher, ...engine } = options
    const db = await openPostgresDatabase<SignaldockDatabase>(SIGNALDOCK_STORE, target, engine)
    const repo = new SignaldockRepository(new PostgresSignaldockStore(db), clock ?? systemClock, credentialCipher ?? null)
    try {
      await sealLegacyAccountTokens(repo.#ctx, repo.#tokens)
    } catch (error) {
      await repo.close()
      throw error
    }
    return repo
  }

  /** The engine: `'sqlite'` (signaldock.db) or `'postgres'`. */
  get dialect(): SignaldockDialect {
    return this.#storage.dialect
  }

  /**
   * Absolute path of signaldock.db, `:memory:`, or on PostgreSQL the target without
   * password (`postgres://user@host:port/db#schema`).
   */
  get path(): string {
    return this.#storage.path
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#storage.closed
  }

  /**
   * The newest applied migration (`'0002_identity'`). On PostgreSQL: as verified
   * or applied when the repository was opened.
   */
  get schemaVersion(): string {
    return this.#storage.schemaVersion
  }

  /**
   * A Kysely instance over this store (on PostgreSQL: scoped to its schema), for
   * queries the repository does not offer; its errors are `CleoStoreError`s. Writes
   * made through it bypass the repository's validation: prefer its methods.
   *
   * Typed `Kysely<SignaldockDatabase>` once `cleo-store/kysely` is imported anywhere
   * in the program; an opaque `KyselyHandle<'signaldock'>` otherwise.
   *
   * @example
   * ```ts
   * import type {} from 'cleo-store/kysely'
   * const slugs = await signaldock.kysely.selectFrom('agents').select('agent_id').execute()
   * ```
   */
  get kysely(): RepositoryKysely<'signaldock'> {
    return this.#storage.kysely as unknown as RepositoryKysely<'signaldock'>
  }

  /**
   * The SQLite store underneath, for file-level work (backup, `integrity_check`);
   * null on PostgreSQL, where backups are the server's business (`pg_dump`).
   */
  get sqlite(): StoreRepository<'signaldock'> | null {
    return this.#storage.sqlite
  }

  /**
   * On SQLite: `integrity_check` (or `quick_check`) and `foreign_key_check`. On
   * PostgreSQL: the migrations (checksums, newer ones), constraints left `NOT VALID`
   * and invalid indexes.
   *
   * @example
   * ```ts
   * const report = await signaldock.integrityCheck({ quick: true })
   * ```
   */
  integrityCheck(options: { quick?: boolean } = {}): Promise<IntegrityReport> {
    return this.#storage.integrityCheck(options)
  }

  /**
   * Closes the repository. Idempotent; later calls throw `CLOSED`. On PostgreSQL a
   * pool created from a connection string is ended; a pool you passed is not.
   */
  async close(): Promise<void> {
    await this.#storage.close()
  }

  /** `await using repo = await SignaldockRepository.open(…)` closes it at scope end. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

/**
 * `CleoWorkspace.open(dir, { signaldock })`: where the workspace's signaldock
 * lives when it is not the local signaldock.db.
 *
 * @example
 * ```ts
 * const ws = await CleoWorkspace.open(dir, { signaldock: { postgres: process.env.DATABASE_URL! } })
 * ```
 */
export interface WorkspaceSignaldockOptions extends Omit<SignaldockPostgresOptions, 'clock'> {
  /** A connection string, or a pg Pool you own (the workspace never ends it). */
  readonly postgres: PostgresTarget
}

/**
 * @internal Used by `CleoWorkspace`.
 * Opens the signaldock of a workspace: signaldock.db at `path` (with the
 * workspace's engine options), or the PostgreSQL store of `signaldock` (with the
 * workspace's clock, busy timeout and retry unless `signaldock` sets its own).
 */
export function openWorkspaceSignaldock(
  path: string,
  options: SignaldockRepositoryOptions,
  signaldock: WorkspaceSignaldockOptions | undefined,
): Promise<SignaldockRepository> {
  if (signaldock === undefined) return SignaldockRepository.open(path, options)
  const { postgres, ...own } = signaldock
  const inherited: SignaldockPostgresOptions = {
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
    ...(options.busyRetry === undefined ? {} : { busyRetry: options.busyRetry }),
  }
  return SignaldockRepository.openPostgres(postgres, { ...inherited, ...own })
}

