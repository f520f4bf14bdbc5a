/**
 * The frozen migrations of signaldock.db, by name (applied in name order). A static map,
 * so the bundle needs no folder reads at run time. Append new files; never edit one
 * that was released.
 */
import type { Migration } from 'kysely/migration'

import * as m0001 from './0001_initial.js'
import * as m0001Postgres from './0001_initial.postgres.js'
import * as m0002 from './0002_identity.js'
import * as m0003 from './0003_foreign_key_indexes.js'
import * as m0004 from './0004_sealed_account_tokens.js'
import * as m0005 from './0005_strict_agent_availability.js'
import { withPostgresRendition } from './dialect.js'

/**
 * The same map serves SQLite and PostgreSQL: a migration branches on the dialect
 * where it must (see dialect.ts), never changing what it emits on SQLite.
 */
export const signaldockMigrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_initial': withPostgresRendition(m0001, m0001Postgres.up),
  '0002_identity': m0002,
  '0003_foreign_key_indexes': m0003,
  '0004_sealed_account_tokens': m0004,
  '0005_strict_agent_availability': m0005,
})
