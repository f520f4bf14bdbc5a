/**
 * The frozen migrations of brain.db, by name (applied in name order). A static map,
 * so the bundle needs no folder reads at run time. Append new files; never edit one
 * that was released.
 */
import type { Migration } from 'kysely/migration'

import * as m0001 from './0001_initial.js'
import * as m0002 from './0002_memory.js'
import * as m0003 from './0003_embedding_codes.js'

export const brainMigrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_initial': m0001,
  '0002_memory': m0002,
  '0003_embedding_codes': m0003,
})
