/**
 * The nexus.db repository.
 *
 * @module
 */
import { z } from 'zod'

import type { PostgresStoreOptions, PostgresTarget } from '../postgres/postgres-options.js'
import { openPostgresDatabase } from '../postgres/postgres-database.js'
import { PostgresStoreEngine, serverDatabase } from '../postgres/postgres-engine.js'
import type { Clock } from '../sqlite/clock.js'
import type { SqliteDatabase } from '../sqlite/database.js'
import { uuidv7Generator } from '../sqlite/ids.js'
import type { ReferenceGuard } from '../sqlite/reference-guard.js'
import type { StoreEngine } from '../sqlite/store-engine.js'
import { SqliteStoreEngine } from '../sqlite/store-engine.js'
import type { RepositoryOptions } from '../sqlite/store-repository.js'
import { openStoreDatabase, StoreRepository } from '../sqlite/store-repository.js'
import { NexusAuditLog } from './nexus-audit-log.js'
import type { NexusDatabase } from './nexus.tables.js'
import { NEXUS_STORE } from './nexus.store.js'
import { NexusProjects } from './project-registry.js'
import { WarpChainInstances } from './warp-chain-instances.js'
import { WarpChains } from './warp-chains.js'
import { checkOptions, FunctionSchema, POSTGRES_OPTION_SHAPE, RepositoryOptionsSchema } from '../sqlite/options.js'

/** Options of {@link NexusRepository.open}. */
export interface NexusRepositoryOptions extends RepositoryOptions {}

/**
 * Options of {@link NexusRepository.openPostgres}: the server store's (schema,
 * retry, pool size) and the repository's clock.
 *
 * @example
 * ```ts
 * const options: NexusPostgresOptions = { schema: 'acme_nexus', busyTimeoutMs: 10_000 }
 * ```
 */
export interface NexusPostgresOptions extends PostgresStoreOptions {
  /** Returns epoch milliseconds; inject one in tests (default `Date.now`). */
  readonly clock?: Clock
  /** Accepted as on {@link NexusRepository.open} (a workspace passes its guard to every store); nexus names no id of another store. */
  readonly referenceGuard?: ReferenceGuard | undefined
}

/** `NexusRepository.openPostgres` options, strict like `open`'s. */
const NexusPostgresOptionsSchema = z.strictObject({
  ...POSTGRES_OPTION_SHAPE,
  clock: FunctionSchema.optional(),
  referenceGuard: FunctionSchema.optional(),
})

/**
 * nexus.db — the cross-project store of the global tier: the project registry
 * (`projects`), the append-only audit log (`audit`), warp chain definitions (`chains`)
 * and their runs (`instances`).
 *
 * @example
 * ```ts
 * await using nexus = await NexusRepository.open(':memory:')
 * const { project } = await nexus.projects.register({ projectId: 'p1', path: '/src/app' })
 * await nexus.projects.updateHealth(project.id, { status: 'healthy' })
 * const everything = await nexus.projects.list()
 * ```
 */
export class NexusRepository extends StoreRepository<'nexus'> {
  readonly #engine: StoreEngine<NexusDatabase>
  /** The project registry: register, find by id/path/hash/name, list, health. */
  readonly projects: NexusProjects
  /** The append-only audit log of cross-project operations. */
  readonly audit: NexusAuditLog
  /** Warp chain definitions, versioned. */
  readonly chains: WarpChains
  /** Warp chain runs. */
  readonly instances: WarpChainInstances

  private constructor(
    db: SqliteDatabase<NexusDatabase> | PostgresStoreEngine<NexusDatabase>,
    options: NexusRepositoryOptions | NexusPostgresOptions,
  ) {
    super(db instanceof PostgresStoreEngine ? { server: serverDatabase(db) } : db, options)
    const engine = db instanceof PostgresStoreEngine ? db : new SqliteStoreEngine(db)
    this.#engine = engine
    const parts = { engine, clock: this.clock, context: engine.context, newId: uuidv7Generator(this.clock) }
    this.audit = new NexusAuditLog(parts)
    this.projects = new NexusProjects(parts, this.audit)
    this.chains = new WarpChains(parts)
    this.instances = new WarpChainInstances(parts)
  }

  /** @internal The store engine the aggregates run on (tests reach the rows through it). */
  get engine(): StoreEngine<NexusDatabase> {
    return this.#engine
  }

  /**
   * Opens (creating and migrating if needed) nexus.db at `path`, or an in-memory
   * database with `':memory:'`.
   * The file is created if missing, its directory is not: a missing directory is
   * `NOT_FOUND` (create it first; `CleoWorkspace.open` creates its own).
   *
   * @example
   * ```ts
   * const nexus = await NexusRepository.open('/home/me/.local/share/cleo/nexus.db')
   * ```
   */
  static async open(path: string, options: NexusRepositoryOptions = {}): Promise<NexusRepository> {
    checkOptions(RepositoryOptionsSchema, options, 'NexusRepository.open', { store: NEXUS_STORE.name })
    const db = await openStoreDatabase<NexusDatabase>(NEXUS_STORE, path, options)
    return new NexusRepository(db, options)
  }

  /**
   * Opens nexus on a PostgreSQL server — one registry, audit log and set of warp
   * chains shared by a fleet's hosts — creating its schema (default `nexus`) and
   * migrating it if needed, from the same migration files as nexus.db. Same API,
   * errors and rules as on SQLite: writes run `SERIALIZABLE` and a lost race is
   * retried whole until `busyTimeoutMs`, then `BUSY`. So hosts registering the same
   * path at once leave one row and the audit rows of what happened; a warp chain
   * instance moves once per change (a stale `expectedVersion` is `CONFLICT`, a move
   * the status rules forbid after another host's is `INVARIANT`); two definitions
   * of one chain name get consecutive versions.
   *
   * Paths are the registering host's resolved real paths: hosts that share one
   * registry should see projects at the same paths, or register them by id only
   * from the host that holds them.
   *
   * `target` is a connection string (cleo-store creates a `pg` pool and ends it on
   * `close()`; without the optional peer dependency `pg`: `UNSUPPORTED`) or your own
   * `pg.Pool` (never ended by cleo-store).
   *
   * Throws `VALIDATION` (bad target, schema name or option), `IO` (server
   * unreachable), `NOT_FOUND` (no such database), `WRONG_STORE`, `SCHEMA_TOO_NEW`,
   * `MIGRATION_FAILED`.
   *
   * @example
   * ```ts
   * const nexus = await NexusRepository.openPostgres(process.env.DATABASE_URL!, { schema: 'fleet_nexus' })
   * ```
   */
  static async openPostgres(target: PostgresTarget, options: NexusPostgresOptions = {}): Promise<NexusRepository> {
    checkOptions(NexusPostgresOptionsSchema, options, 'NexusRepository.openPostgres', { store: NEXUS_STORE.name })
    const { clock: _clock, referenceGuard: _guard, ...server } = options
    const db = await openPostgresDatabase<NexusDatabase>(NEXUS_STORE, target, server)
    return new NexusRepository(new PostgresStoreEngine(db), options)
  }
}
