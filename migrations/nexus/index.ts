/**
 * The frozen migrations of nexus.db, by name (applied in name order). A static map,
 * so the bundle needs no folder reads at run time. Append new files; never edit one
 * that was released.
 */
import type { Migration } from 'kysely/migration'

import { sqliteOnly, withPostgresRendition } from '../_shared/dialect.js'
import * as m0001 from './0001_initial.js'
import * as m0001Postgres from './0001_initial.postgres.js'
import * as m0002 from './0002_registry_audit_warp.js'
import * as m0003 from './0003_registry_name_order.js'
import * as m0004 from './0004_registry_paths_and_gateway.js'

/**
 * The same map serves SQLite and PostgreSQL. On PostgreSQL `0001_initial` creates
 * the whole schema as it stands after 0004 (0001_initial.postgres.ts) and
 * 0002…0004 do nothing; on SQLite every migration emits what it always did (same
 * checksums).
 */
export const nexusMigrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_initial': withPostgresRendition(m0001, m0001Postgres.up),
  '0002_registry_audit_warp': sqliteOnly(m0002),
  '0003_registry_name_order': sqliteOnly(m0003),
  '0004_registry_paths_and_gateway': sqliteOnly(m0004),
})
