import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { describe, expect, it } from 'vitest'

import { signaldockMigrations } from '../migrations/signaldock/index.js'
import { tasksMigrations } from '../migrations/tasks/index.js'
import { CleoWorkspace, resolveGlobalDir } from '../src/index.js'
import { expectCode, runFixture, startGate, tempDir } from './helpers.js'

const SIGNALDOCK_LATEST = Object.keys(signaldockMigrations).sort().at(-1)

function journalMode(file: string): string {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    return String((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode)
  } finally {
    db.close()
  }
}

describe('CleoWorkspace.open', () => {
  it('creates the three project stores and the two global stores in WAL mode, and no telemetry.db', async () => {
    const project = tempDir()
    const globalDir = join(tempDir(), 'global')
    const ws = await CleoWorkspace.open(project, { globalDir })
    await ws.close()
    for (const name of ['tasks.db', 'brain.db', 'conduit.db']) {
      expect(journalMode(join(project, '.cleo', name))).toBe('wal')
    }
    for (const name of ['signaldock.db', 'nexus.db']) expect(journalMode(join(globalDir, name))).toBe('wal')
    expect(existsSync(join(globalDir, 'telemetry.db'))).toBe(false)
    expect(readdirSync(globalDir).some((n) => n.startsWith('telemetry'))).toBe(false)
    expect(statSync(join(project, '.cleo')).mode & 0o777).toBe(0o700)
    expect(statSync(globalDir).mode & 0o777).toBe(0o700)
    expect(statSync(join(project, '.cleo', 'tasks.db')).mode & 0o777).toBe(0o600)
  })

  it('opens telemetry.db only when opted in', async () => {
    const project = tempDir()
    const globalDir = join(tempDir(), 'global')
    await using off = await CleoWorkspace.open(project, { globalDir })
    expect(off.telemetry).toBeNull()
    await using on = await CleoWorkspace.open(project, { globalDir, telemetry: true })
    expect(on.telemetry).not.toBeNull()
    expect(existsSync(join(globalDir, 'telemetry.db'))).toBe(true)
  })

  it('shares one handle per global database between workspaces, closing it with the last', async () => {
    const globalDir = join(tempDir(), 'global')
    const a = await CleoWorkspace.open(tempDir(), { globalDir })
    const b = await CleoWorkspace.open(tempDir(), { globalDir })
    expect(a.signaldock).toBe(b.signaldock)
    expect(a.nexus).toBe(b.nexus)
    expect(a.tasks === b.tasks).toBe(false)
    const signaldock = a.signaldock
    await a.close()
    expect(signaldock.closed).toBe(false)
    expect(b.signaldock.schemaVersion).toBe(SIGNALDOCK_LATEST)
    await b.close()
    expect(signaldock.closed).toBe(true)
    const c = await CleoWorkspace.open(tempDir(), { globalDir })
    expect(c.signaldock === signaldock).toBe(false)
    await c.close()
  })

  it('is closed idempotently, and throws CLOSED afterwards', async () => {
    const ws = await CleoWorkspace.open(tempDir(), { globalDir: join(tempDir(), 'g') })
    const tasks = ws.tasks
    await Promise.all([ws.close(), ws.close()])
    await ws.close()
    expect(ws.closed).toBe(true)
    await expectCode(() => ws.tasks, 'CLOSED')
    await expectCode(() => ws.signaldock, 'CLOSED')
    await expectCode(tasks.integrityCheck(), 'CLOSED')
  })

  it('opens every store in memory, writing nothing to disk', async () => {
    const project = tempDir()
    await using ws = await CleoWorkspace.open(project, { inMemory: true, telemetry: true })
    expect(ws.tasks.path).toBe(':memory:')
    expect(ws.telemetry?.path).toBe(':memory:')
    expect(ws.globalDir).toBeNull()
    expect(readdirSync(project)).toEqual([])
  })

  it('refuses a missing project directory with NOT_FOUND', async () => {
    const error = await expectCode(CleoWorkspace.open(join(tempDir(), 'missing')), 'NOT_FOUND')
    expect(error.message).toContain('missing')
  })

  it('closes what it opened when a store fails to open', async () => {
    const project = tempDir()
    const globalDir = join(tempDir(), 'global')
    await (await CleoWorkspace.open(project, { globalDir })).close()
    // Make brain.db unopenable: replace it by a file of another application.
    const { rmSync, writeFileSync } = await import('node:fs')
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(project, '.cleo', `brain.db${suffix}`), { force: true })
    writeFileSync(join(project, '.cleo', 'brain.db'), Buffer.alloc(4096, 7))
    await expectCode(CleoWorkspace.open(project, { globalDir }), 'CORRUPT')
    // The global handles were released: a new workspace gets fresh ones that work.
    const other = await CleoWorkspace.open(tempDir(), { globalDir })
    expect(other.signaldock.schemaVersion).toBe(SIGNALDOCK_LATEST)
    await other.close()
  })

  it('resolves the global directory: option, then CLEO_HOME, then env-paths', () => {
    expect(resolveGlobalDir({ globalDir: '/x/y' }, { CLEO_HOME: '/a' })).toBe('/x/y')
    expect(resolveGlobalDir({}, { CLEO_HOME: '/a/b' })).toBe('/a/b')
    expect(resolveGlobalDir({}, {})).toMatch(/cleo$/)
  })

  it('lets several processes open the same fresh workspace at once', async () => {
    const project = tempDir()
    const globalDir = join(tempDir(), 'global')
    const gate = startGate(3)
    const outputs = await Promise.all(Array.from({ length: 3 }, () => runFixture('open-workspace.ts', [project, globalDir, gate])))
    for (const { stdout } of outputs) expect(JSON.parse(stdout.trim())).toEqual({ ok: true, migrations: Object.keys(tasksMigrations).length })
    const tasks = new DatabaseSync(join(project, '.cleo', 'tasks.db'), { readOnly: true })
    const rows = tasks.prepare("SELECT count(*) AS n FROM schema_meta WHERE key LIKE 'pid-%'").get() as { n: number }
    tasks.close()
    expect(rows.n).toBe(3)
  })
})
