/**
 * The frozen migrations of tasks.db, by name (applied in name order). A static map,
 * so the bundle needs no folder reads at run time. Append new files; never edit one
 * that was released.
 */
import type { Migration } from 'kysely/migration'

import { sqliteOnly, withPostgresRendition } from '../_shared/dialect.js'
import * as m0001 from './0001_initial.js'
import * as m0001Postgres from './0001_initial.postgres.js'
import * as m0002 from './0002_task_graph.js'
import * as m0003 from './0003_lifecycle.js'
import * as m0004 from './0004_audit_and_tokens.js'
import * as m0005 from './0005_adrs.js'
import * as m0006 from './0006_links_and_agents.js'
import * as m0010 from './0010_agent_credentials.js'
import * as m0012 from './0012_operations_and_pipeline_invariant.js'
import * as m0011 from './0011_daemon_sessions.js'
import * as m0013 from './0013_ready_counts.js'
import * as m0014 from './0014_cleo_task_ids.js'

/**
 * The same map serves SQLite and PostgreSQL. On PostgreSQL `0001_initial` creates
 * the whole schema as it stands after 0014 (0001_initial.postgres.ts) and
 * 0002…0014 do nothing; on SQLite every migration emits what it always did (same
 * checksums), and 0014 keeps its `rebuildsTables` flag.
 */
export const tasksMigrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_initial': withPostgresRendition(m0001, m0001Postgres.up),
  '0002_task_graph': sqliteOnly(m0002),
  '0003_lifecycle': sqliteOnly(m0003),
  '0004_audit_and_tokens': sqliteOnly(m0004),
  '0005_adrs': sqliteOnly(m0005),
  '0006_links_and_agents': sqliteOnly(m0006),
  '0010_agent_credentials': sqliteOnly(m0010),
  '0012_operations_and_pipeline_invariant': sqliteOnly(m0012),
  '0011_daemon_sessions': sqliteOnly(m0011),
  '0013_ready_counts': sqliteOnly(m0013),
  '0014_cleo_task_ids': sqliteOnly(m0014),
})
