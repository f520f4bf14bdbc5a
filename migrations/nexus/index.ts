/**
 * The frozen migrations of nexus.db, by name (applied in name order). A static map,
 * so the bundle needs no folder reads at run time. Append new files; never edit one
 * that was released.
 */
import type { Migration } from 'kysely/migration'

import * as m0001 from './0001_initial.js'
import * as m0002 from './0002_registry_audit_warp.js'
import * as m0003 from './0003_registry_name_order.js'
import * as m0004 from './0004_registry_paths_and_gateway.js'

export const nexusMigrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_initial': m0001,
  '0002_registry_audit_warp': m0002,
  '0003_registry_name_order': m0003,
  '0004_registry_paths_and_gateway': m0004,
})
