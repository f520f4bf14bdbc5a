/**
 * The frozen migrations of conduit.db, by name (applied in name order). A static map,
 * so the bundle needs no folder reads at run time. Append new files; never edit one
 * that was released.
 */
import type { Migration } from 'kysely/migration'

import { sqliteOnly, withPostgresRendition } from '../_shared/dialect.js'
import * as m0001 from './0001_initial.js'
import * as m0001Postgres from './0001_initial.postgres.js'
import * as m0002 from './0002_messaging.js'
import * as m0003 from './0003_attachments.js'
import * as m0004 from './0004_delivery_queue.js'
import * as m0005 from './0005_project_agent_refs.js'
import * as m0006 from './0006_snapshot_cache_and_writer_leases.js'
import * as m0007 from './0007_conversation_recency.js'
import * as m0008 from './0008_daemon_invariants.js'
import * as m0009 from './0009_deliveries_tied_to_messages.js'

/**
 * The same map serves SQLite and PostgreSQL. On PostgreSQL `0001_initial` creates
 * the whole schema as it stands after 0009 (0001_initial.postgres.ts) and 0002…0009
 * do nothing; on SQLite every migration emits what it always did (same checksums).
 */
export const conduitMigrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_initial': withPostgresRendition(m0001, m0001Postgres.up),
  '0002_messaging': sqliteOnly(m0002),
  '0003_attachments': sqliteOnly(m0003),
  '0004_delivery_queue': sqliteOnly(m0004),
  '0005_project_agent_refs': sqliteOnly(m0005),
  '0006_snapshot_cache_and_writer_leases': sqliteOnly(m0006),
  '0007_conversation_recency': sqliteOnly(m0007),
  '0008_daemon_invariants': sqliteOnly(m0008),
  '0009_deliveries_tied_to_messages': sqliteOnly(m0009),
})
