/**
 * The frozen migrations of brain.db, by name (applied in name order). A static map,
 * so the bundle needs no folder reads at run time. Append new files; never edit one
 * that was released.
 */
import type { Migration } from 'kysely/migration'

import { sqliteOnly, withPostgresRendition } from '../_shared/dialect.js'
import * as m0001 from './0001_initial.js'
import * as m0001Postgres from './0001_initial.postgres.js'
import * as m0002 from './0002_memory.js'
import * as m0003 from './0003_embedding_codes.js'

/**
 * The same map serves SQLite and PostgreSQL. On PostgreSQL `0001_initial` creates
 * the whole schema as it stands after 0003 (0001_initial.postgres.ts) and 0002/0003
 * do nothing; on SQLite every migration emits what it always did (same checksums).
 */
export const brainMigrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_initial': withPostgresRendition(m0001, m0001Postgres.up),
  '0002_memory': sqliteOnly(m0002),
  '0003_embedding_codes': sqliteOnly(m0003),
})
