/**
 * The engine's view of conduit.db: name, migrations.
 *
 * @module
 */
import { conduitMigrations } from '../../migrations/conduit/index.js'
import type { StoreDefinition } from '../sqlite/store-definition.js'

/** conduit.db — conversations, messages, attachments, project agent refs and the durable delivery queue (project tier). */
export const CONDUIT_STORE: StoreDefinition = Object.freeze({
  name: 'conduit',
  migrations: conduitMigrations,
})
