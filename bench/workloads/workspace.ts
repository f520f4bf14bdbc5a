/**
 * Workspace lifecycle: opening an existing workspace (the six stores: tasks, brain,
 * conduit in the project; signaldock, nexus, telemetry global) and closing it.
 *
 * Ours: `CleoWorkspace.open` (per store: open the file, refusal probes, WAL,
 * pragmas, migration check with checksums) plus the project registration in
 * nexus.db (read the project id, count the tasks, upsert the registry row), then
 * `close`. Raw and Drizzle do the same SQL per file — open, pragmas, the probes,
 * read the applied migrations and checksums — and the registration's reads and
 * one write transaction on nexus.db, then close. Drizzle wraps each connection
 * with `drizzle()` and issues the statements through it (CLEO ran its migrator on
 * every open as well; that cost is not charged to it here).
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { DatabaseSync } from 'node:sqlite'
import { DatabaseSync as DatabaseSyncClass } from 'node:sqlite'

import * as sqliteVec from 'sqlite-vec'

import { sql as dsql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-sqlite'

import { CleoWorkspace, STORE_FILES } from '../../src/workspace/workspace.js'
import type { Workload } from '../harness.js'
import { openRaw } from '../harness.js'
import { counter, size } from './common.js'

const T0 = 1_700_000_000_000

/** Per file: what our open reads before handing the store out. */
const PROBES = [
  "SELECT count(*) FROM sqlite_schema WHERE type IN ('table', 'view')",
  'PRAGMA application_id',
  'SELECT name FROM kysely_migration ORDER BY name',
  'SELECT name, checksum FROM cleo_migration_checksum',
]

export const workspaceWorkloads: Workload[] = [
  {
    name: 'workspace: open existing (six stores) + close',
    kind: 'lifecycle',
    p50TargetMs: 20,
    async setup(dir) {
      const taskCount = size(10_000, 1_000)
      const sites = ['ours', 'raw', 'drizzle'].map((name) => {
        const project = join(dir, name, 'project')
        const globalDir = join(dir, name, 'global')
        mkdirSync(project, { recursive: true })
        return { project, globalDir }
      })
      // Create every site with our own open (same files, schemas, registration).
      for (const site of sites) {
        const ws = await CleoWorkspace.open(site.project, { globalDir: site.globalDir, telemetry: true })
        await ws.close()
        const db = openRaw(join(site.project, '.cleo', STORE_FILES.tasks))
        db.exec(`BEGIN; ${counter(taskCount)} INSERT INTO tasks (seq, id, title, status, priority, type, labels_json, created_at, updated_at)
          SELECT i, 'T' || i, 'task ' || i, 'pending', 'medium', 'task', '[]', ${T0} + i, ${T0} + i FROM n; COMMIT`)
        db.close()
      }
      const filesOf = (site: { project: string; globalDir: string }) => ({
        tasks: join(site.project, '.cleo', STORE_FILES.tasks),
        brain: join(site.project, '.cleo', STORE_FILES.brain),
        conduit: join(site.project, '.cleo', STORE_FILES.conduit),
        signaldock: join(site.globalDir, STORE_FILES.signaldock),
        nexus: join(site.globalDir, STORE_FILES.nexus),
        telemetry: join(site.globalDir, STORE_FILES.telemetry),
      })
      const [oursSite, rawSite, dzSite] = sites as [(typeof sites)[0], (typeof sites)[0], (typeof sites)[0]]
      const rawFiles = filesOf(rawSite)
      const dzFiles = filesOf(dzSite)
      const rawProject = rawSite.project

      const openAllRaw = (files: Record<string, string>) => {
        const dbs: Record<string, DatabaseSync> = {}
        for (const [store, file] of Object.entries(files)) dbs[store] = openRaw(file)
        return dbs
      }
      return {
        ours: async () => {
          const ws = await CleoWorkspace.open(oursSite.project, { globalDir: oursSite.globalDir, telemetry: true })
          await ws.close()
        },
        raw: () => {
          const dbs = openAllRaw(rawFiles)
          for (const db of Object.values(dbs)) for (const probe of PROBES) db.prepare(probe).all()
          const tasks = dbs.tasks!
          const projectId = (tasks.prepare("SELECT value FROM schema_meta WHERE key = 'project_id'").get() as { value: string }).value
          const count = (tasks.prepare('SELECT count(*) AS n FROM tasks').get() as { n: number }).n
          const nexus = dbs.nexus!
          nexus.exec('BEGIN IMMEDIATE')
          nexus.prepare('UPDATE project_registry SET task_count = ?, last_seen_at = ?, updated_at = ? WHERE project_id = ? AND project_path = ?')
            .run(count, Date.now(), Date.now(), projectId, rawProject)
          nexus.exec('COMMIT')
          for (const db of Object.values(dbs)) db.close()
        },
        drizzle: () => {
          const dzs = Object.fromEntries(Object.entries(openAllRaw(dzFiles)).map(([k, db]) => [k, drizzle({ client: db })]))
          for (const dz of Object.values(dzs)) for (const probe of PROBES) dz.all(dsql.raw(probe))
          const tasks = dzs.tasks!
          const [{ value: projectId }] = tasks.all<{ value: string }>(dsql`SELECT value FROM schema_meta WHERE key = 'project_id'`) as [{ value: string }]
          const [{ n }] = tasks.all<{ n: number }>(dsql`SELECT count(*) AS n FROM tasks`) as [{ n: number }]
          dzs.nexus!.transaction((tx) => {
            tx.run(dsql`UPDATE project_registry SET task_count = ${n}, last_seen_at = ${Date.now()}, updated_at = ${Date.now()} WHERE project_id = ${projectId}`)
          })
          for (const dz of Object.values(dzs)) dz.$client.close()
        },
        notes: `telemetry opted in; tasks.db holds ${taskCount} tasks`,
      }
    },
  },
  {
    // Issue 19: test fixtures. Target: ours p50 ≤ 0.5× raw (creating the schema).
    name: 'workspace: in-memory open + close (test fixture)',
    kind: 'lifecycle',
    async setup(dir) {
      const project = join(dir, 'fixture')
      mkdirSync(project, { recursive: true })
      // The six stores' schemas, as SQL text, read from a migrated in-memory workspace.
      const schemas = await (async () => {
        const ws = await CleoWorkspace.open(project, { inMemory: true, telemetry: true })
        try {
          const out: Record<string, string[]> = {}
          for (const store of ['tasks', 'brain', 'conduit', 'signaldock', 'nexus', 'telemetry'] as const) {
            const repo = (ws as unknown as Record<string, { kysely: { executeQuery(q: unknown): Promise<{ rows: unknown[] }> } }>)[store]!
            const { rows } = await repo.kysely.executeQuery(
              dsqlCompiled("SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid"),
            )
            const virtual: string[] = []
            out[store] = (rows as Array<{ type: string; name: string; sql: string }>)
              .filter((r) => {
                if (/^CREATE VIRTUAL TABLE/i.test(r.sql)) virtual.push(r.name)
                else if (r.type === 'table' && virtual.some((v) => r.name.startsWith(`${v}_`))) return false // shadow table
                return true
              })
              .map((r) => r.sql)
          }
          return out
        } finally {
          await ws.close()
        }
      })()
      const vecPath = sqliteVec.getLoadablePath()
      return {
        ours: async () => {
          const ws = await CleoWorkspace.open(project, { inMemory: true, telemetry: true })
          await ws.close()
        },
        raw: () => {
          for (const [store, statements] of Object.entries(schemas)) {
            const db = new DatabaseSyncClass(':memory:', { allowExtension: store === 'brain' })
            if (store === 'brain') db.loadExtension(vecPath)
            db.exec('BEGIN')
            for (const statement of statements) db.exec(statement)
            db.exec('COMMIT')
            db.close()
          }
        },
        notes: `raw: six :memory: databases, each store's ${Object.values(schemas).reduce((n, s) => n + s.length, 0)} schema statements in one transaction (no seed rows); ours: CleoWorkspace.open(dir, { inMemory: true, telemetry: true }) + close`,
      }
    },
  },
]

function dsqlCompiled(text: string) {
  return { sql: text, parameters: [], query: { kind: 'RawNode' } }
}
