/**
 * The signaldock.db repository.
 *
 * Every aggregate talks to the database only through the async Kysely API
 * (`this.db.kysely`, transactions via {@link transact}) and portable SQL, so the
 * same code can later run on PostgreSQL through Kysely's `PostgresDialect`:
 * `ON CONFLICT DO NOTHING / DO UPDATE`, `RETURNING`, `CASE`, integers for booleans
 * and epoch-ms timestamps, no SQLite-only functions. Uniqueness races resolve by
 * upsert (agent registration is idempotent by slug).
 *
 * @module
 */
import type { SqliteDatabase } from '../sqlite/database.js'
import { uuidv7Generator } from '../sqlite/ids.js'
import type { RepositoryOptions } from '../sqlite/store-repository.js'
import { openStoreDatabase, StoreRepository } from '../sqlite/store-repository.js'
import { AgentAvailabilities } from './agent-availability.js'
import { AgentCatalog } from './agent-catalog.js'
import { AgentConnections } from './agent-connections.js'
import { SignaldockAgents } from './agents.js'
import { AuthSessions, Verifications } from './auth-sessions.js'
import { ClaimCodes } from './claim-codes.js'
import { Organizations } from './organizations.js'
import type { SignaldockContext, SignaldockTransactionRetryPolicy } from './signaldock-context.js'
import { DEFAULT_TRANSACTION_RETRY } from './signaldock-context.js'
import type { SignaldockDatabase } from './signaldock.tables.js'
import { SIGNALDOCK_STORE } from './signaldock.store.js'
import { AuthAccounts, SignaldockUsers } from './users.js'

/** Options of {@link SignaldockRepository.open}. */
export interface SignaldockRepositoryOptions extends RepositoryOptions {
  /** How transactions that meet a busy database are retried (default: 5 attempts on `BUSY`). */
  readonly transactionRetry?: Partial<SignaldockTransactionRetryPolicy>
}

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
 * ```
 */
export class SignaldockRepository extends StoreRepository<SignaldockDatabase> {
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
  /** Authenticated sessions (token hashes). */
  readonly sessions: AuthSessions
  /** Single-use verification values (hashes). */
  readonly verifications: Verifications
  /** Organizations and their agent grants. */
  readonly organizations: Organizations
  /** Single-use, expiring agent claim codes. */
  readonly claimCodes: ClaimCodes
  /** Agent availability and deterministic fallback selection. */
  readonly availability: AgentAvailabilities

  private constructor(db: SqliteDatabase<SignaldockDatabase>, options: SignaldockRepositoryOptions) {
    super(db, options)
    const ctx: SignaldockContext = Object.freeze({
      kysely: db.kysely,
      clock: this.clock,
      newId: uuidv7Generator(this.clock),
      errors: db.context,
      retry: Object.freeze({ ...DEFAULT_TRANSACTION_RETRY, ...options.transactionRetry }),
    })
    this.agents = new SignaldockAgents(ctx)
    this.capabilities = new AgentCatalog(ctx, 'capabilities')
    this.skills = new AgentCatalog(ctx, 'skills')
    this.connections = new AgentConnections(ctx)
    this.users = new SignaldockUsers(ctx)
    this.accounts = new AuthAccounts(ctx)
    this.sessions = new AuthSessions(ctx)
    this.verifications = new Verifications(ctx)
    this.organizations = new Organizations(ctx)
    this.claimCodes = new ClaimCodes(ctx)
    this.availability = new AgentAvailabilities(ctx)
  }

  /**
   * Opens (creating and migrating if needed) signaldock.db at `path`, or an in-memory
   * database with `':memory:'`.
   */
  static async open(path: string, options: SignaldockRepositoryOptions = {}): Promise<SignaldockRepository> {
    const { transactionRetry: _retry, ...engine } = options
    const db = await openStoreDatabase<SignaldockDatabase>(SIGNALDOCK_STORE, path, engine)
    return new SignaldockRepository(db, options)
  }
}
