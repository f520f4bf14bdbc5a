/**
 * The engine's view of brain.db: name, migrations, sqlite-vec.
 *
 * @module
 */
import { brainMigrations } from '../../migrations/brain/index.js'
import type { StoreDefinition } from '../sqlite/store-definition.js'

/** brain.db — decisions, patterns, learnings, observations, sticky notes; full-text and vector search (project tier). */
export const BRAIN_STORE: StoreDefinition = Object.freeze({
  name: 'brain',
  migrations: brainMigrations,
  vectors: true,
})
