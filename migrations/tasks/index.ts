/**
 * The frozen migrations of tasks.db, by name (applied in name order). A static map,
 * so the bundle needs no folder reads at run time. Append new files; never edit one
 * that was released.
 */
import type { Migration } from 'kysely/migration'

import * as m0001 from './0001_initial.js'
import * as m0010 from './0010_agent_credentials.js'

export const tasksMigrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_initial': m0001,
  '0010_agent_credentials': m0010,
})
