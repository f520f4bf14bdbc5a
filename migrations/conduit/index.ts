/**
 * The frozen migrations of conduit.db, by name (applied in name order). A static map,
 * so the bundle needs no folder reads at run time. Append new files; never edit one
 * that was released.
 */
import type { Migration } from 'kysely/migration'

import * as m0001 from './0001_initial.js'
import * as m0002 from './0002_messaging.js'
import * as m0003 from './0003_attachments.js'
import * as m0004 from './0004_delivery_queue.js'
import * as m0005 from './0005_project_agent_refs.js'
import * as m0006 from './0006_snapshot_cache_and_writer_leases.js'
import * as m0007 from './0007_conversation_recency.js'
import * as m0009 from './0009_deliveries_tied_to_messages.js'
import * as m0008 from './0008_daemon_invariants.js'

export const conduitMigrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_initial': m0001,
  '0002_messaging': m0002,
  '0003_attachments': m0003,
  '0004_delivery_queue': m0004,
  '0005_project_agent_refs': m0005,
  '0006_snapshot_cache_and_writer_leases': m0006,
  '0007_conversation_recency': m0007,
  '0009_deliveries_tied_to_messages': m0009,
  '0008_daemon_invariants': m0008,
})
