/**
 * The engine's view of signaldock.db: name, migrations.
 *
 * @module
 */
import { signaldockMigrations } from '../../migrations/signaldock/index.js'
import type { StoreDefinition } from '../sqlite/store-definition.js'

/** signaldock.db — agent identity, capabilities, auth tables and availability (global tier). */
export const SIGNALDOCK_STORE: StoreDefinition = Object.freeze({
  name: 'signaldock',
  migrations: signaldockMigrations,
})
