/**
 * The nexus.db repository.
 *
 * @module
 */
import type { SqliteDatabase } from '../sqlite/database.js'
import { uuidv7Generator } from '../sqlite/ids.js'
import type { RepositoryOptions } from '../sqlite/store-repository.js'
import { SqliteStoreEngine } from '../sqlite/store-engine.js'
import { openStoreDatabase, StoreRepository } from '../sqlite/store-repository.js'
import { NexusAuditLog } from './nexus-audit-log.js'
import type { NexusDatabase } from './nexus.tables.js'
import { NEXUS_STORE } from './nexus.store.js'
import { NexusProjects } from './project-registry.js'
import { WarpChainInstances } from './warp-chain-instances.js'
import { WarpChains } from './warp-chains.js'
import { checkOptions, RepositoryOptionsSchema } from '../sqlite/options.js'

/** Options of {@link NexusRepository.open}. */
export interface NexusRepositoryOptions extends RepositoryOptions {}

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
  /** The project registry: register, find by id/path/hash/name, list, health. */
  readonly projects: NexusProjects
  /** The append-only audit log of cross-project operations. */
  readonly audit: NexusAuditLog
  /** Warp chain definitions, versioned. */
  readonly chains: WarpChains
  /** Warp chain runs. */
  readonly instances: WarpChainInstances

  private constructor(db: SqliteDatabase<NexusDatabase>, options: NexusRepositoryOptions) {
    super(db, options)
    const engine = new SqliteStoreEngine(db)
    const parts = { engine, clock: this.clock, context: engine.context, newId: uuidv7Generator(this.clock) }
    this.audit = new NexusAuditLog(parts)
    this.projects = new NexusProjects(parts, this.audit)
    this.chains = new WarpChains(parts)
    this.instances = new WarpChainInstances(parts)
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
}
