/**
 * nexus's schema on PostgreSQL (migrations/nexus/0001_initial.postgres.ts), checked
 * against the SQLite nexus.db it renders: the same tables, columns (in order),
 * indexes and triggers; the five guards refuse and allow what SQLite's do, with the
 * same message and code; names order byte-wise on both. Every comparison runs the
 * same SQL text on both. The PostgreSQL leg is registered when the run has a
 * server; the checksum test always runs.
 */
import { describe, expect, it } from 'vitest'

import { nexusMigrations } from '../../migrations/nexus/index.js'
import { NexusRepository } from '../../src/nexus/nexus-repository.js'
import { NEXUS_STORE } from '../../src/nexus/nexus.store.js'
import { migrationChecksum } from '../../src/sqlite/migrate.js'
import { expectCode } from '../helpers.js'
import { POSTGRES_URL, freshSchema } from './pg-test-schemas.js'
import type { GuardCase, RenditionDifferences } from './schema-pair.js'
import { expectSameRows, expectSameTables, expectSameTriggers, itRendersEachGuard, openMigrated, schemaPair, schemaPairOpeners } from './schema-pair.js'

/** What the rendition adds on purpose: the TRUNCATE guard of the audit log; the 0/1 flag stays `integer`. */
const DIFFERENCES: RenditionDifferences = {
  sqliteOnlyTables: /^$/,
  sqliteOnlyTriggers: [],
  postgresOnlyColumns: {},
  postgresOnlyIndexes: [],
  postgresOnlyTriggers: ['nexus_audit_log_no_truncate'],
  smallIntegers: ['nexus_audit_log.success'],
}

/** The checksums of nexus's migrations as released: the PostgreSQL rendition must not change a byte of what SQLite runs. */
const RELEASED_CHECKSUMS: Readonly<Record<string, string>> = {
  '0001_initial': '68e24b3c35dcc486bf4e86a19593b2578e883aece2a5275322220c6767fca58a',
  '0002_registry_audit_warp': 'e1cded9e743d67be96a53f0b2c1695dae175c21088f6842858331cbf18ead73c',
  '0003_registry_name_order': '3046ab8eb1fcf3e8f13ab4a7d67491c121e49c5bdaf0167f6f2665ec336c4271',
  '0004_registry_paths_and_gateway': '55090a11e45b615057a7577a3ef9134ad260857293d1dbf5b6f06877163f49d9',
}

describe('nexus migrations with a PostgreSQL rendition', () => {
  it('emit on SQLite what the released migrations emitted (same checksums)', async () => {
    expect(Object.keys(nexusMigrations).sort()).toEqual(Object.keys(RELEASED_CHECKSUMS).sort())
    for (const [name, checksum] of Object.entries(RELEASED_CHECKSUMS)) {
      expect(await migrationChecksum(nexusMigrations[name]!), name).toBe(checksum)
    }
  })
})

if (POSTGRES_URL !== null) {
  const url = POSTGRES_URL
  const { openPostgres, openPair } = schemaPairOpeners(NEXUS_STORE, url, () => NexusRepository.open(':memory:'))

  const id = (n: number) => `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`
  const hash = (c: string) => c.repeat(64)
  const audit = (n: number) =>
    `INSERT INTO nexus_audit_log (id, occurred_at, action, project_id, details_json) VALUES ('${id(n)}', ${n}, 'project.registered', 'p1', '{"n":${n}}')`

  /** A project, an audit row, a chain version and a pending instance of it in the project. */
  const FIXTURE = [
    `INSERT INTO project_registry (project_id, project_hash, project_path, name, registered_at, last_seen_at, updated_at)
      VALUES ('p1', '${hash('a')}', '/src/app', 'app', 0, 0, 0)`,
    audit(1),
    `INSERT INTO warp_chains (id, name, version, definition_json, definition_hash, created_at)
      VALUES ('${id(10)}', 'feature', 1, '{"stages":[]}', '${hash('b')}', 0)`,
    `INSERT INTO warp_chain_instances (id, chain_id, project_id, current_stage, created_at, updated_at)
      VALUES ('${id(20)}', '${id(10)}', 'p1', 'plan', 0, 0)`,
  ]
  const INSTANCE = `'${id(20)}'`

  /** The rows the guards protect, compared after the legal statements. */
  const STATE = [
    'SELECT * FROM project_registry ORDER BY project_id',
    'SELECT * FROM nexus_audit_log ORDER BY occurred_at, id',
    'SELECT * FROM warp_chains ORDER BY name, version',
    'SELECT * FROM warp_chain_instances ORDER BY id',
  ]

  const GUARDS: readonly GuardCase[] = [
    {
      trigger: 'nexus_audit_log_no_update',
      table: 'nexus_audit_log',
      setup: [],
      refused: `UPDATE nexus_audit_log SET action = 'edited'`,
      legal: [audit(2)],
    },
    {
      trigger: 'nexus_audit_log_no_delete',
      table: 'nexus_audit_log',
      setup: [],
      refused: `DELETE FROM nexus_audit_log WHERE id = '${id(1)}'`,
      legal: [audit(3), `DELETE FROM nexus_audit_log WHERE id = 'none'`],
    },
    {
      trigger: 'warp_chains_immutable',
      table: 'warp_chains',
      setup: [],
      refused: `UPDATE warp_chains SET definition_json = '{}' WHERE name = 'feature'`,
      legal: [`UPDATE warp_chains SET description = 'edited' WHERE name = 'feature'`],
    },
    {
      trigger: 'warp_chain_instances_transition',
      table: 'warp_chain_instances',
      setup: [],
      refused: `UPDATE warp_chain_instances SET status = 'completed', finished_at = 1 WHERE id = ${INSTANCE}`,
      legal: [
        `UPDATE warp_chain_instances SET status = 'pending', version = 2 WHERE id = ${INSTANCE}`,
        `UPDATE warp_chain_instances SET status = 'active', started_at = 1 WHERE id = ${INSTANCE}`,
        `UPDATE warp_chain_instances SET status = 'completed', finished_at = 2 WHERE id = ${INSTANCE}`,
      ],
    },
    {
      trigger: 'warp_chain_instances_finished',
      table: 'warp_chain_instances',
      setup: [`UPDATE warp_chain_instances SET status = 'cancelled', finished_at = 1 WHERE id = ${INSTANCE}`],
      refused: `UPDATE warp_chain_instances SET current_stage = 'build' WHERE id = ${INSTANCE}`,
      legal: [`UPDATE warp_chain_instances SET status_reason = 'superseded', updated_at = 3 WHERE id = ${INSTANCE}`],
    },
  ]

  describe('nexus schema on PostgreSQL', () => {
    it('migrates on the first open into its own schema (checksums, the meta row as on SQLite) and reopens verified', async () => {
      const schema = freshSchema('nexus')
      const first = await openMigrated(openPostgres, schema, nexusMigrations)
      const pair = schemaPair((await openPair()).lite, first)
      const meta = await pair.select('SELECT key, value FROM nexus_schema_meta ORDER BY key')
      expect(meta.sqlite).toEqual([{ key: 'store', value: 'nexus' }])
      expect(meta.postgres).toEqual(meta.sqlite)
      await first.close()
      const second = await openPostgres(schema)
      expect(second.schemaVersion).toBe(first.schemaVersion)
      expect((await second.integrityCheck()).ok).toBe(true)
    })

    it('has every table, column (same order, mapped type, nullability, default) and index of a migrated SQLite nexus.db', async () => {
      await expectSameTables(await openPair(), DIFFERENCES)
    })

    it('has a trigger of the same name, timing, event (UPDATE OF columns) and table for each of SQLite five', async () => {
      expect(await expectSameTriggers(await openPair(), DIFFERENCES, GUARDS)).toHaveLength(5)
    })

    itRendersEachGuard(GUARDS, openPair, FIXTURE, STATE)

    it('refuses TRUNCATE of the audit log (which skips row triggers) with INVARIANT', async () => {
      const pair = await openPair()
      for (const statement of FIXTURE) await pair.both(statement)
      const error = await expectCode(pair.onPostgres('TRUNCATE nexus_audit_log'), 'INVARIANT')
      expect(error.message).toContain('nexus_audit_log is append-only: rows cannot be deleted')
      expect(error.details).toMatchObject({ sqlState: '23514', constraint: 'nexus_audit_log_no_truncate' })
      expect(await pair.onPostgres('SELECT id FROM nexus_audit_log')).toHaveLength(1)
    })

    it('the CHECKs refuse on both what they refuse on SQLite (hash shape, JSON shape, finished and started stamps)', async () => {
      const pair = await openPair()
      for (const statement of FIXTURE) await pair.both(statement)
      const refused = [
        `INSERT INTO project_registry (project_id, project_hash, project_path, name, registered_at, last_seen_at, updated_at)
          VALUES ('p2', '${hash('A')}', '/src/b', 'b', 0, 0, 0)`,
        `UPDATE project_registry SET labels_json = '{}' WHERE project_id = 'p1'`,
        `UPDATE project_registry SET stats_json = 'not json' WHERE project_id = 'p1'`,
        `UPDATE warp_chain_instances SET finished_at = 5 WHERE id = ${INSTANCE}`,
        `UPDATE warp_chain_instances SET status = 'active' WHERE id = ${INSTANCE}`,
        `INSERT INTO nexus_audit_log (id, occurred_at, action, success) VALUES ('${id(9)}', 0, 'x', 2)`,
      ]
      for (const statement of refused) {
        await expectCode(pair.onSqlite(statement), 'INVARIANT')
        await expectCode(pair.onPostgres(statement), 'INVARIANT')
      }
      await expectSameRows(pair, STATE)
    })

    it('orders names, paths and ids byte-wise, as SQLite does (the database default collation is ICU en-US in the test run)', async () => {
      const pair = await openPair()
      const names = ['b', 'B', 'a', '_x', 'Zeta', 'äpfel', 'apple 2', 'apple10', 'Apple']
      for (const [i, name] of names.entries()) {
        await pair.both(`INSERT INTO project_registry (project_id, project_hash, project_path, name, registered_at, last_seen_at, updated_at)
          VALUES ('p${i}', '${i.toString(16).repeat(64).slice(0, 64)}', '/src/${name}', '${name}', 0, 0, 0)`)
      }
      await expectSameRows(pair, ['SELECT name FROM project_registry ORDER BY name, project_id', 'SELECT project_path FROM project_registry ORDER BY project_path'])
      expect((await pair.onSqlite('SELECT name FROM project_registry ORDER BY name')).map((row) => row['name'])).toEqual(
        [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
      )
    })
  })
}
