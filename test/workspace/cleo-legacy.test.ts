/**
 * Issue 18, first slice: CLEO's own stores are recognised by their markers and refused
 * with WRONG_STORE / reason 'cleo-legacy', before anything is created, leaving every
 * file byte-identical (-wal/-shm included).
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

import { afterEach, describe, expect, it } from 'vitest'

import {
  BrainRepository,
  CleoWorkspace,
  ConduitRepository,
  isCleoStoreError,
  NexusRepository,
  SignaldockRepository,
  TasksRepository,
  TelemetryRepository,
} from '../../src/index.js'
import { recognizeCleoStore } from '../../src/sqlite/cleo-legacy.js'
import type { CleoFixtureStore } from '../fixtures/cleo-legacy/index.js'
import { buildCleoInstallation, CLEO_FIXTURE_BUILDERS, CLEO_FIXTURE_TIER } from '../fixtures/cleo-legacy/index.js'
import { tempDir } from '../helpers.js'

const STORES: readonly CleoFixtureStore[] = ['tasks', 'brain', 'conduit', 'nexus', 'signaldock', 'telemetry']

/** Every file under `root`, relative path → bytes (directories listed as such). */
function snapshot(root: string): Map<string, Buffer | 'dir'> {
  const result = new Map<string, Buffer | 'dir'>()
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (lstatSync(path).isDirectory()) {
        result.set(relative(root, path), 'dir')
        walk(path)
      } else {
        result.set(relative(root, path), readFileSync(path))
      }
    }
  }
  walk(root)
  return result
}

function expectSame(before: Map<string, Buffer | 'dir'>, after: Map<string, Buffer | 'dir'>): void {
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort())
  for (const [name, bytes] of before) {
    const now = after.get(name)
    if (bytes === 'dir') expect(now, name).toBe('dir')
    else expect(Buffer.compare(bytes, now as Buffer), `${name} changed`).toBe(0)
  }
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (value) => {
      // Close what opened by mistake, so the failure is reported cleanly.
      void (value as { close?: () => Promise<void> }).close?.()
      return null
    },
    (error: unknown) => error,
  )
}

function expectCleoRefusal(error: unknown, cleoStore: CleoFixtureStore): void {
  expect(error).toMatchObject({ code: 'WRONG_STORE', details: { reason: 'cleo-legacy', cleoStore } })
  // The typed details, as docs/cleo-import.md reads them.
  expect(isCleoStoreError(error, 'WRONG_STORE') ? error.details?.cleoStore : undefined).toBe(cleoStore)
  const message = (error as Error).message
  expect(message).toContain('CLEO')
  expect(message).toContain('left untouched')
  expect(message).toContain("does not open CLEO's files in place")
}

const OPENERS: Record<CleoFixtureStore, (file: string) => Promise<unknown>> = {
  tasks: (file) => TasksRepository.open(file),
  brain: (file) => BrainRepository.open(file),
  conduit: (file) => ConduitRepository.open(file),
  nexus: (file) => NexusRepository.open(file),
  signaldock: (file) => SignaldockRepository.open(file),
  telemetry: (file) => TelemetryRepository.open(file),
}

function setup(store: CleoFixtureStore, leaveWal: boolean): { root: string; project: string; globalDir: string; file: string } {
  const root = tempDir()
  const project = join(root, 'project')
  const globalDir = join(root, 'global')
  mkdirSync(project)
  const dir = CLEO_FIXTURE_TIER[store] === 'project' ? join(project, '.cleo') : globalDir
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${store}.db`)
  const written = CLEO_FIXTURE_BUILDERS[store](file, { leaveWal })
  expect(written.files.length).toBe(leaveWal ? 3 : 1)
  return { root, project, globalDir, file }
}

describe('CLEO stores are recognised and refused (issue 18 items 1 and 4)', () => {
  for (const leaveWal of [false, true]) {
    const state = leaveWal ? 'with its -wal/-shm (a live CLEO)' : 'checkpointed'
    for (const store of STORES) {
      it(`CleoWorkspace.open refuses CLEO's ${store}.db at its place (${state}) as cleo-legacy and creates nothing`, async () => {
        const { root, project, globalDir } = setup(store, leaveWal)
        const before = snapshot(root)
        // telemetry.db is opened (and so checked) only when telemetry is opted in.
        const error = await rejection(CleoWorkspace.open(project, store === 'telemetry' ? { globalDir, telemetry: true } : { globalDir }))
        expectCleoRefusal(error, store)
        expectSame(before, snapshot(root))
      })

      it(`${store} repository opened on its own refuses CLEO's ${store}.db (${state}), files byte-identical`, async () => {
        const { root, file } = setup(store, leaveWal)
        const before = snapshot(root)
        expectCleoRefusal(await rejection(OPENERS[store](file)), store)
        expectSame(before, snapshot(root))
      })
    }
  }

  it('the global directory from CLEO_HOME (the default CLEO shares) is refused the same way', async () => {
    const { root, project, globalDir } = setup('nexus', false)
    const previous = process.env['CLEO_HOME']
    process.env['CLEO_HOME'] = globalDir
    try {
      const before = snapshot(root)
      expectCleoRefusal(await rejection(CleoWorkspace.open(project)), 'nexus')
      expectSame(before, snapshot(root))
    } finally {
      if (previous === undefined) delete process.env['CLEO_HOME']
      else process.env['CLEO_HOME'] = previous
    }
  })

  it('a whole CLEO installation is refused with nothing created beside it', async () => {
    const root = tempDir()
    const project = join(root, 'project')
    const globalDir = join(root, 'global')
    buildCleoInstallation(project, globalDir, { leaveWal: true })
    const before = snapshot(root)
    const error = await rejection(CleoWorkspace.open(project, { globalDir }))
    expect(error).toMatchObject({ code: 'WRONG_STORE', details: { reason: 'cleo-legacy' } })
    expectSame(before, snapshot(root))
  })

  it("a CLEO file at another store's place still says cleo-legacy with its own cleoStore", async () => {
    const root = tempDir()
    const project = join(root, 'project')
    mkdirSync(join(project, '.cleo'), { recursive: true })
    // CLEO's brain.db where tasks.db belongs.
    CLEO_FIXTURE_BUILDERS.brain(join(project, '.cleo', 'tasks.db'))
    // CLEO's conduit.db opened as a nexus store.
    const other = join(root, 'conduit-copy.db')
    CLEO_FIXTURE_BUILDERS.conduit(other)
    const before = snapshot(root)
    expectCleoRefusal(await rejection(CleoWorkspace.open(project, { globalDir: join(root, 'global') })), 'brain')
    expectCleoRefusal(await rejection(TasksRepository.open(join(project, '.cleo', 'tasks.db'))), 'brain')
    expectCleoRefusal(await rejection(NexusRepository.open(other)), 'conduit')
    expectSame(before, snapshot(root))
    expect(existsSync(join(root, 'global'))).toBe(false)
  })
})

describe('recognizeCleoStore (the marker table)', () => {
  it('needs the bookkeeping tables and the characteristic tables, not just a name', () => {
    expect(recognizeCleoStore(['__drizzle_migrations', 'tasks', 'task_dependencies', 'task_relations', 'sessions', 'schema_meta', 'lifecycle_pipelines'])).toBe('tasks')
    // Without CLEO's journal a table named "tasks" is just another application's.
    expect(recognizeCleoStore(['tasks', 'task_dependencies', 'task_relations', 'sessions', 'schema_meta', 'lifecycle_pipelines'])).toBeNull()
    // A journal alone says Drizzle, not CLEO.
    expect(recognizeCleoStore(['__drizzle_migrations', 'users'])).toBeNull()
    expect(recognizeCleoStore(['_conduit_meta', '_conduit_migrations', 'conversations', 'messages'])).toBe('conduit')
    expect(recognizeCleoStore(['conversations', 'messages'])).toBeNull()
    expect(recognizeCleoStore(['__drizzle_migrations', 'telemetry_events', 'telemetry_schema_meta'])).toBe('telemetry')
    expect(recognizeCleoStore([])).toBeNull()
  })
})

describe('the CLEO fixture builder writes CLEO shapes (test/fixtures/cleo-legacy)', () => {
  it('WAL mode, application_id 0, CLEO bookkeeping, text timestamps, the rows it reports, and the T877 triggers', async () => {
    const { DatabaseSync } = await import('node:sqlite')
    const root = tempDir()
    const written = buildCleoInstallation(join(root, 'project'), join(root, 'global'))
    for (const result of Object.values(written)) {
      const db = new DatabaseSync(result.path)
      try {
        expect((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, result.store).toBe('wal')
        expect((db.prepare('PRAGMA application_id').get() as { application_id: number }).application_id).toBe(0)
        expect((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check).toBe('ok')
        for (const [table, rows] of Object.entries(result.rows)) {
          expect((db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n, `${result.store}.${table}`).toBe(rows)
        }
        const tables = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name)
        expect(recognizeCleoStore(tables)).toBe(result.store)
      } finally {
        db.close()
      }
    }
    const tasks = new DatabaseSync(written.tasks.path)
    try {
      const created = tasks.prepare("SELECT created_at FROM tasks WHERE id = 'T001'").get() as { created_at: string }
      expect(created.created_at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
      // CLEO's T877 invariant: done requires pipeline stage contribution (or cancelled).
      expect(() => tasks.prepare("UPDATE tasks SET status = 'done', pipeline_stage = 'implementation' WHERE id = 'T003'").run()).toThrow(/T877_INVARIANT_VIOLATION/)
      expect(() => tasks.prepare("INSERT INTO tasks (id, title, status, pipeline_stage) VALUES ('T004', 'x', 'cancelled', 'research')").run()).toThrow(/T877_INVARIANT_VIOLATION/)
      tasks.prepare("UPDATE tasks SET status = 'done', pipeline_stage = 'contribution' WHERE id = 'T003'").run()
      const journal = tasks.prepare('SELECT name, hash FROM "__drizzle_migrations" ORDER BY id').all() as Array<{ name: string; hash: string }>
      expect(journal.length).toBeGreaterThan(0)
      for (const row of journal) expect(row.hash).toMatch(/^[0-9a-f]{64}$/)
    } finally {
      tasks.close()
    }
  })
})
