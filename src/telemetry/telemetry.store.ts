/**
 * The engine's view of telemetry.db: name, migrations.
 *
 * @module
 */
import { telemetryMigrations } from '../../migrations/telemetry/index.js'
import type { StoreDefinition } from '../sqlite/store-definition.js'

/** telemetry.db — opt-in CLI telemetry events (global tier). */
export const TELEMETRY_STORE: StoreDefinition = Object.freeze({
  name: 'telemetry',
  migrations: telemetryMigrations,
})
