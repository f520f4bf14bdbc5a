/**
 * The engine's view of nexus.db: name, migrations.
 *
 * @module
 */
import { nexusMigrations } from '../../migrations/nexus/index.js'
import type { StoreDefinition } from '../sqlite/store-definition.js'

/** nexus.db — project registry, nexus audit log, warp chains (global tier). */
export const NEXUS_STORE: StoreDefinition = Object.freeze({
  name: 'nexus',
  migrations: nexusMigrations,
})
