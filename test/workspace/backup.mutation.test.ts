/**
 * Exact behaviour of the paths of `src/workspace/backup.ts` that the mutation run of issue 14
 * (item 14) found untested: reading a malformed manifest, the rotation's `sameProject`,
 * `deleteDatabaseFiles`, copying the key files into a backup, and the restore's refusals.
 * Real files in temporary directories; no timing.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { describe, expect, it } from 'vitest'

import type { WorkspaceBackupManifest } from '../../src/index.js'
import { CleoWorkspace, ensureKeyFile, listWorkspaceBackups } from '../../src/index.js'
import { backupWorkspace, deleteDatabaseFiles, restoreWorkspace } from '../../src/workspace/backup.js'
import { expectCode, tempDir } from '../helpers.js'

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')
const shaFile = (file: string) => sha(readFileSync(file))
const HEX = 'a'.repeat(64)

/** A schema-valid manifest (no real store file behind it: enough for listing and rotation). */
function fakeManifest(over: Partial<WorkspaceBackupManifest> = {}): WorkspaceBackupManifest {
  return {
    format: 'cleo-store-backup',
    formatVersion: 1,
    id: '00000000-0000-7000-8000-000000000001',
    createdAt: '2020-01-01T00:00:00.000Z',
    label: null,
    projectDir: '/nowhere',
    globalDir: null,
    projectId: null,
    stores: [
      { store: 'tasks', tier: 'project', file: 'tasks.db', schemaVersion: '0001', migrations: ['0001'], bytes: 0, pages: 0, sha256: HEX },
    ],
    ...over,
  }
}

function writeFolder(root: string, name: string, manifest: unknown): string {
  const path = join(root, name)
  mkdirSync(path, { recursive: true })
  writeFileSync(join(path, 'manifest.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest))
  return path
}

async function setup(keys = false) {
  const project = tempDir()
  const globalDir = join(tempDir(), 'global')
  const ws = await CleoWorkspace.open(project, { globalDir })
  if (keys) for (const name of ['machine-key', 'global-salt']) ensureKeyFile(join(globalDir, name))
  return { project, globalDir, ws, backups: join(tempDir(), 'backups') }
}

describe('reading a manifest', () => {
  it('a missing folder lists nothing; files, dot-names and malformed manifests are skipped, never touched', async () => {
    expect(await listWorkspaceBackups(join(tempDir(), 'absent'))).toEqual([])
    const root = tempDir()
    writeFileSync(join(root, 'a-file'), 'x')
    const dotted = writeFolder(root, '.hidden', fakeManifest())
    const notJson = writeFolder(root, 'not-json', '{')
    const wrongFormat = writeFolder(root, 'wrong-format', fakeManifest({ format: 'other' as 'cleo-store-backup' }))
    const good = writeFolder(root, 'good', fakeManifest())
    expect(await listWorkspaceBackups(root)).toEqual([{ path: good, manifest: fakeManifest() }])
    for (const path of [dotted, notJson, wrongFormat]) expect(readdirSync(path)).toEqual(['manifest.json'])
    expect(existsSync(join(root, 'a-file'))).toBe(true)
  })

  it('lists newest first by createdAt, then by id (descending) when two share a time', async () => {
    const root = tempDir()
    const older = writeFolder(root, 'z-older', fakeManifest({ createdAt: '2020-01-01T00:00:00.000Z', id: '00000000-0000-7000-8000-00000000000f' }))
    const lowId = writeFolder(root, 'b-low', fakeManifest({ createdAt: '2021-01-01T00:00:00.000Z', id: '00000000-0000-7000-8000-000000000001' }))
    const highId = writeFolder(root, 'a-high', fakeManifest({ createdAt: '2021-01-01T00:00:00.000Z', id: '00000000-0000-7000-8000-000000000002' }))
    expect((await listWorkspaceBackups(root)).map((e) => e.path)).toEqual([highId, lowId, older])
  })

  it('a restore from a malformed manifest is CORRUPT naming the file (JSON, schema, file name, tier) or NOT_FOUND without one', async () => {
    const project = tempDir()
    const globalDir = join(tempDir(), 'g')
    const root = tempDir()
    const cases: Array<[string, unknown, RegExp]> = [
      ['json', '[1,', /is not valid JSON$/],
      ['schema', { ...fakeManifest(), formatVersion: 2 }, /is not a valid backup manifest: /],
      ['extra', { ...fakeManifest(), extra: 1 }, /is not a valid backup manifest: /],
      ['name', fakeManifest({ stores: [{ ...fakeManifest().stores[0]!, file: 'brain.db' }] }), /file must be <store>\.db and tier must match the store$/],
      ['tier', fakeManifest({ stores: [{ ...fakeManifest().stores[0]!, tier: 'global' }] }), /file must be <store>\.db and tier must match the store$/],
      ['empty', fakeManifest({ stores: [] }), /is not a valid backup manifest: /],
    ]
    for (const [name, manifest, message] of cases) {
      const folder = writeFolder(root, name, manifest)
      const error = await expectCode(CleoWorkspace.restore(folder, project, { globalDir }), 'CORRUPT')
      expect(error.message).toMatch(message)
      expect(error.message).toContain(join(folder, 'manifest.json'))
      expect(error.file).toBe(join(folder, 'manifest.json'))
      expect(error.store).toBe('workspace')
      expect(error.cause).toBeDefined()
    }
    const empty = join(root, 'no-manifest')
    mkdirSync(empty)
    const missing = await expectCode(CleoWorkspace.restore(empty, project, { globalDir }), 'NOT_FOUND')
    expect(missing.message).toContain(`${empty} is not a cleo-store backup (no manifest.json)`)
    expect(missing.file).toBe(join(empty, 'manifest.json'))
    // A manifest that cannot be read for another reason keeps its own code (not NOT_FOUND).
    const dirManifest = join(root, 'dir-manifest')
    mkdirSync(join(dirManifest, 'manifest.json'), { recursive: true })
    const unreadable = await CleoWorkspace.restore(dirManifest, project, { globalDir }).catch((e: unknown) => e)
    expect(unreadable).toMatchObject({ file: join(dirManifest, 'manifest.json') })
    expect((unreadable as { code: string }).code).not.toBe('NOT_FOUND')
    expect(readdirSync(project)).toEqual([])
    expect(existsSync(globalDir)).toBe(false)
  })
})

describe('rotation keeps the backups of other projects (sameProject)', () => {
  it('matches by projectId when both have one, else by projectDir', async () => {
    const { ws, backups } = await setup()
    const id = ws.projectId!
    expect(id).toEqual(expect.any(String))
    const old = { createdAt: '2020-01-01T00:00:00.000Z' }
    const sameIdOtherDir = writeFolder(backups, 'same-id', fakeManifest({ ...old, projectId: id, projectDir: '/elsewhere' }))
    const otherIdSameDir = writeFolder(backups, 'other-id', fakeManifest({ ...old, projectId: 'another', projectDir: ws.projectDir }))
    const noIdSameDir = writeFolder(backups, 'no-id-same-dir', fakeManifest({ ...old, projectId: null, projectDir: ws.projectDir }))
    const noIdOtherDir = writeFolder(backups, 'no-id-other-dir', fakeManifest({ ...old, projectId: null, projectDir: '/elsewhere' }))
    const made = await ws.backup(backups, { keep: 1 })
    expect([...made.removed].sort()).toEqual([noIdSameDir, sameIdOtherDir].sort())
    expect(existsSync(sameIdOtherDir)).toBe(false)
    expect(existsSync(noIdSameDir)).toBe(false)
    expect((await listWorkspaceBackups(backups)).map((e) => e.path).sort()).toEqual([made.path, otherIdSameDir, noIdOtherDir].sort())
    await ws.close()
  })

  it('keeps the newest `keep` of the project; keep: 0 removes none', async () => {
    const { ws, backups } = await setup()
    const a = writeFolder(backups, 'a', fakeManifest({ createdAt: '2020-01-01T00:00:00.000Z', projectId: ws.projectId }))
    const b = writeFolder(backups, 'b', fakeManifest({ createdAt: '2020-01-02T00:00:00.000Z', projectId: ws.projectId }))
    const none = await ws.backup(backups, { keep: 0 })
    expect(none.removed).toEqual([])
    const two = await ws.backup(backups, { keep: 3 })
    expect(two.removed).toEqual([a])
    expect((await listWorkspaceBackups(backups)).map((e) => e.path)).toEqual([two.path, none.path, b])
    await ws.close()
  })
})

describe('deleteDatabaseFiles', () => {
  it('deletes a database with its -wal, -shm and -journal and returns true', () => {
    const dir = tempDir()
    const file = join(dir, 'telemetry.db')
    const db = new DatabaseSync(file)
    db.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1)')
    db.close()
    for (const s of ['-wal', '-shm', '-journal']) writeFileSync(file + s, '')
    writeFileSync(join(dir, 'other.db'), 'kept')
    expect(deleteDatabaseFiles(file, 'telemetry')).toBe(true)
    expect(readdirSync(dir)).toEqual(['other.db'])
  })

  it('returns false without a file, still removing stray sidecars', () => {
    const dir = tempDir()
    const file = join(dir, 'telemetry.db')
    writeFileSync(`${file}-wal`, 'stray')
    writeFileSync(`${file}-journal`, 'stray')
    expect(deleteDatabaseFiles(file, 'telemetry')).toBe(false)
    expect(readdirSync(dir)).toEqual([])
  })

  it('deletes a file that is not a database (and an empty one) all the same', () => {
    const dir = tempDir()
    const text = join(dir, 'a.db')
    writeFileSync(text, 'not a database at all, just some text')
    writeFileSync(`${text}-wal`, 'evidence')
    expect(deleteDatabaseFiles(text, 'telemetry')).toBe(true)
    const empty = join(dir, 'b.db')
    writeFileSync(empty, '')
    expect(deleteDatabaseFiles(empty, 'telemetry')).toBe(true)
    expect(readdirSync(dir)).toEqual([])
  })

  it('refuses with BUSY (reason locked) while another connection has it open, deleting nothing', () => {
    const dir = tempDir()
    const file = join(dir, 'telemetry.db')
    const other = new DatabaseSync(file)
    other.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1)')
    other.exec('BEGIN')
    other.prepare('SELECT count(*) FROM t').get()
    try {
      const error = (() => {
        try {
          deleteDatabaseFiles(file, 'telemetry')
        } catch (e) {
          return e
        }
        return undefined
      })()
      expect(error).toMatchObject({ code: 'BUSY', store: 'telemetry', file, details: { store: 'telemetry', reason: 'locked' } })
      expect(existsSync(file)).toBe(true)
      expect(existsSync(`${file}-wal`)).toBe(true)
    } finally {
      other.exec('ROLLBACK')
      other.close()
    }
    expect(deleteDatabaseFiles(file, 'telemetry')).toBe(true)
    expect(readdirSync(dir)).toEqual([])
  })
})

describe('key files in a backup (includeKeys)', () => {
  it('copies machine-key and global-salt (mode 0600) and lists them with their checksums; a missing one is skipped', async () => {
    const { ws, globalDir, backups } = await setup(true)
    const machineKey = readFileSync(join(globalDir, 'machine-key'))
    const globalSalt = readFileSync(join(globalDir, 'global-salt'))
    const plain = await ws.backup(backups, { keep: 0 })
    expect('keys' in plain.manifest).toBe(false)
    expect(readdirSync(plain.path)).not.toContain('machine-key')
    const withKeys = await ws.backup(backups, { keep: 0, includeKeys: true })
    expect(withKeys.manifest.keys).toEqual([
      { name: 'machine-key', file: 'machine-key', sha256: sha(machineKey) },
      { name: 'global-salt', file: 'global-salt', sha256: sha(globalSalt) },
    ])
    expect(JSON.parse(readFileSync(join(withKeys.path, 'manifest.json'), 'utf8')).keys).toEqual(withKeys.manifest.keys)
    for (const [name, bytes] of [['machine-key', machineKey], ['global-salt', globalSalt]] as const) {
      expect(readFileSync(join(withKeys.path, name)).equals(bytes)).toBe(true)
      expect(statSync(join(withKeys.path, name)).mode & 0o777).toBe(0o600)
    }
    rmSync(join(globalDir, 'global-salt'))
    const one = await ws.backup(backups, { keep: 0, includeKeys: true })
    expect(one.manifest.keys).toEqual([{ name: 'machine-key', file: 'machine-key', sha256: sha(machineKey) }])
    expect(readdirSync(one.path)).not.toContain('global-salt')
    rmSync(join(globalDir, 'machine-key'))
    const none = await ws.backup(backups, { keep: 0, includeKeys: true })
    expect(none.manifest.keys).toEqual([])
    await ws.close()
  })

  it('an in-memory workspace has no key files: VALIDATION on includeKeys, nothing written', async () => {
    const ws = await CleoWorkspace.open(tempDir(), { inMemory: true })
    const backups = join(tempDir(), 'b')
    const error = await expectCode(ws.backup(backups, { includeKeys: true }), 'VALIDATION')
    expect(error.details).toEqual({ path: ['includeKeys'] })
    const telemetry = await expectCode(ws.backup(backups, { stores: ['telemetry'] }), 'VALIDATION')
    expect(telemetry.details).toEqual({ path: ['stores'], store: 'telemetry' })
    expect(existsSync(backups)).toBe(false)
    await ws.close()
  })

  it('a restore installs the keys (created, then same), skips them with includeKeys: false, refuses other key material', async () => {
    const { ws, backups } = await setup(true)
    const { path, manifest } = await ws.backup(backups, { includeKeys: true })
    await ws.close()
    const machineKey = readFileSync(join(path, 'machine-key'))

    const fresh = join(tempDir(), 'fresh-global')
    const first = await CleoWorkspace.restore(path, tempDir(), { globalDir: fresh })
    expect(first.keys).toEqual([
      { name: 'machine-key', outcome: 'created' },
      { name: 'global-salt', outcome: 'created' },
    ])
    expect(readFileSync(join(fresh, 'machine-key')).equals(machineKey)).toBe(true)
    const again = await CleoWorkspace.restore(path, tempDir(), { globalDir: fresh })
    expect(again.keys).toEqual([
      { name: 'machine-key', outcome: 'same' },
      { name: 'global-salt', outcome: 'same' },
    ])

    const without = join(tempDir(), 'without')
    const skipped = await CleoWorkspace.restore(path, tempDir(), { globalDir: without, includeKeys: false })
    expect(skipped.keys).toEqual([])
    expect(existsSync(join(without, 'machine-key'))).toBe(false)
    expect(existsSync(join(without, 'signaldock.db'))).toBe(true)

    // Other key material in the target: CONFLICT before anything is touched.
    const clash = join(tempDir(), 'clash')
    mkdirSync(clash)
    const otherKey = Buffer.from(machineKey)
    otherKey[0] = otherKey[0]! ^ 0xff
    writeFileSync(join(clash, 'machine-key'), otherKey, { mode: 0o600 })
    const project = tempDir()
    const conflict = await expectCode(CleoWorkspace.restore(path, project, { globalDir: clash }), 'CONFLICT')
    expect(conflict.details).toEqual({ reason: 'other-keys', key: 'machine-key' })
    expect(conflict.file).toBe(join(clash, 'machine-key'))
    expect(readdirSync(clash)).toEqual(['machine-key'])
    expect(readFileSync(join(clash, 'machine-key')).equals(otherKey)).toBe(true)
    expect(readdirSync(project)).toEqual([])

    // A key file of the backup that is tampered with or missing: CORRUPT, nothing restored.
    const target = join(tempDir(), 'target')
    writeFileSync(join(path, 'global-salt'), 'tampered')
    const tampered = await expectCode(CleoWorkspace.restore(path, project, { globalDir: target }), 'CORRUPT')
    expect(tampered.file).toBe(join(path, 'global-salt'))
    expect(tampered.message).toContain('does not match its checksum')
    rmSync(join(path, 'machine-key'))
    const missing = await expectCode(CleoWorkspace.restore(path, project, { globalDir: target }), 'CORRUPT')
    expect(missing.file).toBe(join(path, 'machine-key'))
    expect(missing.message).toContain('is missing')
    expect(existsSync(target)).toBe(false)
    expect(readdirSync(project)).toEqual([])
    // …unless the keys are left out.
    const noKeys = await CleoWorkspace.restore(path, project, { globalDir: target, includeKeys: false })
    expect(noKeys.restored.map((r) => r.store)).toEqual(manifest.stores.map((s) => s.store))
  })
})

describe("the restore's refusals (nothing touched) and its handling of each store file", () => {
  async function backedUp() {
    const { ws, project, globalDir, backups } = await setup()
    const backup = await ws.backup(backups)
    await ws.close()
    const cleo = join(project, '.cleo')
    const state = () => Object.fromEntries(readdirSync(cleo).sort().map((n) => [n, shaFile(join(cleo, n))]))
    return { project, globalDir, cleo, state, ...backup }
  }

  it('a store the backup does not hold is NOT_FOUND naming it', async () => {
    const ws = await CleoWorkspace.open(tempDir(), { inMemory: true })
    const { path } = await ws.backup(join(tempDir(), 'b'), { stores: ['tasks'] })
    await ws.close()
    const project = tempDir()
    const error = await expectCode(CleoWorkspace.restore(path, project, { globalDir: join(tempDir(), 'g'), stores: ['tasks', 'nexus'] }), 'NOT_FOUND')
    expect(error.details).toEqual({ store: 'nexus' })
    expect(error.file).toBe(path)
    expect(readdirSync(project)).toEqual([])
  })

  it('asks whether each tier it restores is open in this process, and refuses BUSY with the tier and the reason', async () => {
    const { project, globalDir, path, state } = await backedUp()
    const before = state()
    const asked: string[] = []
    const targets = (refuse: string | null) => ({
      projectDir: project,
      globalDir,
      openInProcess: (tier: 'project' | 'global') => {
        asked.push(tier)
        return tier === refuse ? `${tier} is open here` : null
      },
    })
    const error = await expectCode(restoreWorkspace(path, targets('global')), 'BUSY')
    expect(error.details).toEqual({ tier: 'global', reason: 'open-in-process' })
    expect(error.message).toContain('cannot restore: global is open here; close it first')
    expect(asked).toEqual(['project', 'global'])
    expect(state()).toEqual(before)
    asked.length = 0
    const projectOnly = await restoreWorkspace(path, targets('global'), { stores: ['brain'], keepReplaced: false })
    expect(asked).toEqual(['project'])
    expect(projectOnly.restored).toEqual([{ store: 'brain', path: join(project, '.cleo', 'brain.db') }])
  })

  it('refuses a store from a newer cleo-store, a missing store file and a size or checksum mismatch, with details', async () => {
    const { project, globalDir, path, manifest, state } = await backedUp()
    const before = state()
    const manifestFile = join(path, 'manifest.json')
    const write = (m: WorkspaceBackupManifest) => writeFileSync(manifestFile, JSON.stringify(m))

    const future = structuredClone(manifest)
    future.stores[1]!.migrations.push('9998_a', '9999_b')
    write(future)
    const tooNew = await expectCode(CleoWorkspace.restore(path, project, { globalDir }), 'SCHEMA_TOO_NEW')
    expect(tooNew).toMatchObject({ store: 'brain', file: join(path, 'brain.db'), details: { unknownMigrations: ['9998_a', '9999_b'] } })
    expect(tooNew.message).toContain('unknown migrations: 9998_a, 9999_b')

    const wrongSize = structuredClone(manifest)
    wrongSize.stores[2]!.bytes += 1
    write(wrongSize)
    const size = await expectCode(CleoWorkspace.restore(path, project, { globalDir }), 'CORRUPT')
    const conduitSha = manifest.stores[2]!.sha256
    expect(size).toMatchObject({ store: 'conduit', file: join(path, 'conduit.db'), details: { expected: conduitSha, actual: conduitSha } })

    const wrongSha = structuredClone(manifest)
    wrongSha.stores[0]!.sha256 = HEX
    write(wrongSha)
    const checksum = await expectCode(CleoWorkspace.restore(path, project, { globalDir }), 'CORRUPT')
    expect(checksum).toMatchObject({ store: 'tasks', details: { expected: HEX, actual: manifest.stores[0]!.sha256 } })
    expect(checksum.message).toContain('does not match its checksum; nothing was restored')

    write(manifest)
    rmSync(join(path, 'nexus.db'))
    const missing = await expectCode(CleoWorkspace.restore(path, project, { globalDir }), 'CORRUPT')
    expect(missing).toMatchObject({ store: 'nexus', file: join(path, 'nexus.db') })
    expect(missing.message).toContain('is missing')
    expect(state()).toEqual(before)
    // The stores that are intact still restore on their own.
    const partial = await CleoWorkspace.restore(path, project, { globalDir, stores: ['tasks'] })
    expect(partial.restored.map((r) => r.store)).toEqual(['tasks'])
  })

  it("a file that matches its checksum but is another store's database fails the staged check: CORRUPT, staged copies removed", async () => {
    const { project, globalDir, cleo, path, manifest, state } = await backedUp()
    const before = state()
    writeFileSync(join(path, 'brain.db'), readFileSync(join(path, 'tasks.db')))
    const forged = structuredClone(manifest)
    forged.stores[1] = { ...forged.stores[1]!, sha256: manifest.stores[0]!.sha256, bytes: manifest.stores[0]!.bytes }
    writeFileSync(join(path, 'manifest.json'), JSON.stringify(forged))
    const error = await expectCode(CleoWorkspace.restore(path, project, { globalDir }), 'CORRUPT')
    expect(error).toMatchObject({ store: 'brain', file: join(cleo, 'brain.db') })
    expect(error.message).toContain('staged copy of brain failed its check (ok)')
    expect(state()).toEqual(before)
    expect(readdirSync(globalDir).filter((n) => n.includes('.restore-'))).toEqual([])
  })

  it('into a project without stores: nothing replaced, nothing damaged, the restored paths reported', async () => {
    const { path, manifest } = await backedUp()
    const project = tempDir()
    const globalDir = join(tempDir(), 'new-global')
    const result = await CleoWorkspace.restore(path, project, { globalDir })
    expect(result.manifest).toEqual(manifest)
    expect(result.replacedDirs).toEqual([])
    expect(result.damaged).toEqual([])
    expect(result.keys).toEqual([])
    expect(result.restored).toEqual([
      { store: 'tasks', path: join(project, '.cleo', 'tasks.db') },
      { store: 'brain', path: join(project, '.cleo', 'brain.db') },
      { store: 'conduit', path: join(project, '.cleo', 'conduit.db') },
      { store: 'signaldock', path: join(globalDir, 'signaldock.db') },
      { store: 'nexus', path: join(globalDir, 'nexus.db') },
    ])
    for (const { store, path: file } of result.restored) {
      expect(shaFile(file)).toBe(manifest.stores.find((s) => s.store === store)!.sha256)
      expect(statSync(file).mode & 0o777).toBe(0o600)
    }
    expect(readdirSync(join(project, '.cleo')).sort()).toEqual(['brain.db', 'conduit.db', 'tasks.db'])
    expect(readdirSync(globalDir).sort()).toEqual(['nexus.db', 'signaldock.db'])
    expect(statSync(globalDir).mode & 0o777).toBe(0o700)
    expect(statSync(join(project, '.cleo')).mode & 0o777).toBe(0o700)
  })

  it('keeps stray sidecars of a missing store file aside; an empty store file is replaced, not damaged', async () => {
    const { path } = await backedUp()
    const project = tempDir()
    const cleo = join(project, '.cleo')
    mkdirSync(cleo)
    writeFileSync(join(cleo, 'tasks.db-wal'), 'stray wal')
    writeFileSync(join(cleo, 'brain.db'), '')
    const result = await CleoWorkspace.restore(path, project, { globalDir: join(tempDir(), 'g'), stores: ['tasks', 'brain'] })
    expect(result.damaged).toEqual([])
    expect(result.replacedDirs).toHaveLength(1)
    const kept = result.replacedDirs[0]!
    expect(kept.startsWith(join(cleo, 'restore-replaced-'))).toBe(true)
    // brain.db-journal: the zeroed (never hot) journal of the restore's own exclusive lock on the empty file.
    expect(readdirSync(kept).sort()).toEqual(['brain.db', 'brain.db-journal', 'tasks.db-wal'])
    expect(readFileSync(join(kept, 'brain.db-journal')).subarray(0, 8).equals(Buffer.alloc(8))).toBe(true)
    expect(readFileSync(join(kept, 'tasks.db-wal'), 'utf8')).toBe('stray wal')
    expect(readdirSync(cleo).filter((n) => !n.startsWith('restore-replaced-')).sort()).toEqual(['brain.db', 'tasks.db'])
  })

  it('keepReplaced: false deletes the replaced file and its sidecars', async () => {
    const { project, globalDir, cleo, path, manifest } = await backedUp()
    writeFileSync(join(cleo, 'tasks.db-wal'), 'old wal')
    writeFileSync(join(cleo, 'tasks.db-journal'), Buffer.alloc(512))
    const result = await CleoWorkspace.restore(path, project, { globalDir, stores: ['tasks'], keepReplaced: false })
    expect(result.replacedDirs).toEqual([])
    expect(readdirSync(cleo).sort()).toEqual(['brain.db', 'conduit.db', 'tasks.db'])
    expect(shaFile(join(cleo, 'tasks.db'))).toBe(manifest.stores[0]!.sha256)
  })
})

describe('keepReplaced: false on a damaged store file', () => {
  it('deletes the damaged file and every sidecar beside it (no SQLite connection touches them)', async () => {
    const { ws, project, globalDir, backups } = await setup()
    const { path, manifest } = await ws.backup(backups)
    await ws.close()
    const cleo = join(project, '.cleo')
    const tasks = join(cleo, 'tasks.db')
    writeFileSync(tasks, 'not a database any more')
    for (const s of ['-wal', '-shm', '-journal']) writeFileSync(tasks + s, `old ${s}`)
    const result = await CleoWorkspace.restore(path, project, { globalDir, stores: ['tasks'], keepReplaced: false })
    expect(result.damaged).toEqual(['tasks'])
    expect(result.replacedDirs).toEqual([])
    expect(readdirSync(cleo).sort()).toEqual(['brain.db', 'conduit.db', 'tasks.db'])
    expect(shaFile(tasks)).toBe(manifest.stores[0]!.sha256)
  })
})

// ── Gaps the re-measured run (after the tests above) still showed ──

/** A backup source over the store files of a (closed) workspace, with a fixed clock. */
function fileSource(
  files: Partial<Record<'tasks' | 'brain' | 'telemetry', string>>,
  over: { clock?: () => number; projectId?: string | null; projectDir?: string; globalDir?: string | null } = {},
) {
  const stores = Object.fromEntries(Object.entries(files).map(([store, path]) => [store, { path }]))
  return {
    projectDir: over.projectDir ?? '/project',
    globalDir: over.globalDir ?? null,
    projectId: over.projectId ?? null,
    stores: stores as never,
    clock: over.clock ?? (() => Date.UTC(2026, 0, 2, 3, 4, 5, 6)),
  }
}

async function closedStores() {
  const { ws, project, globalDir } = await setup()
  await ws.close()
  const cleo = join(project, '.cleo')
  return { tasks: join(cleo, 'tasks.db'), brain: join(cleo, 'brain.db'), project, globalDir, backups: join(tempDir(), 'backups') }
}

/** A raw connection that may rewrite the schema (node:sqlite is defensive by default). */
function rawEdit(file: string, sqlText: string): void {
  const raw = new DatabaseSync(file, { defensive: false } as never)
  try {
    raw.exec(sqlText)
  } finally {
    raw.close()
  }
}

describe('backupWorkspace: naming, options and refusals', () => {
  it('names the folder after the clock (compact ISO) and the last 8 characters of the id; manifest 0600', async () => {
    const { tasks, backups } = await closedStores()
    const made = await backupWorkspace(fileSource({ tasks }), backups)
    expect(made.manifest.createdAt).toBe('2026-01-02T03:04:05.006Z')
    expect(made.path).toBe(join(backups, `20260102T030405006Z-${made.manifest.id.slice(-8)}`))
    expect(made.manifest.id.slice(-9, -8)).not.toBe('-') // the 8 characters come from the id's last group
    expect(statSync(join(made.path, 'manifest.json')).mode & 0o777).toBe(0o600)
  })

  it('refuses options with messages naming the operation', async () => {
    const { tasks, backups } = await closedStores()
    const keep = await expectCode(backupWorkspace(fileSource({ tasks }), backups, { keep: -1 }), 'VALIDATION')
    expect(keep.details?.['operation']).toBe('workspace.backup')
    expect(keep.message).toMatch(/^VALIDATION: workspace\.backup: keep: /)
    const telemetry = await expectCode(backupWorkspace(fileSource({ tasks }), backups, { stores: ['telemetry'] }), 'VALIDATION')
    expect(telemetry.message).toBe('VALIDATION: workspace.backup: stores: telemetry.db is never part of a backup')
    expect(telemetry.details).toEqual({ path: ['stores'], store: 'telemetry' })
    const keys = await expectCode(backupWorkspace(fileSource({ tasks }), backups, { includeKeys: true }), 'VALIDATION')
    expect(keys.message).toBe('VALIDATION: workspace.backup: includeKeys: an in-memory workspace has no key files')
    const notOpen = await expectCode(backupWorkspace(fileSource({ tasks }), backups, { stores: ['brain'] }), 'NOT_FOUND')
    expect(notOpen.message).toBe('NOT_FOUND: store brain is not open in this workspace')
    expect(notOpen.details).toEqual({ store: 'brain' })
    expect(notOpen.store).toBe('workspace')
    expect(existsSync(backups)).toBe(false)
    const restore = await expectCode(restoreWorkspace(backups, { projectDir: '/p', globalDir: '/g', openInProcess: () => null }, { force: true } as never), 'VALIDATION')
    expect(restore.details?.['operation']).toBe('workspace.restore')
  })

  it('leaves an open telemetry store out, and selects the named stores only', async () => {
    const { tasks, brain, backups } = await closedStores()
    const all = await backupWorkspace(fileSource({ tasks, brain, telemetry: join(tempDir(), 'telemetry.db') }), backups)
    expect(all.manifest.stores.map((s) => s.store)).toEqual(['tasks', 'brain'])
    const one = await backupWorkspace(fileSource({ tasks, brain }, { clock: () => Date.UTC(2026, 0, 3) }), backups, { stores: ['brain'] })
    expect(one.manifest.stores.map((s) => s.store)).toEqual(['brain'])
  })

  it('a key file that exists but is not a key refuses the backup (only a missing one is skipped)', async () => {
    const { tasks, backups, globalDir } = await closedStores()
    mkdirSync(globalDir, { recursive: true })
    writeFileSync(join(globalDir, 'machine-key'), 'short', { mode: 0o600 })
    const error = await backupWorkspace(fileSource({ tasks }, { globalDir }), backups, { includeKeys: true }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'KEY_FILE' })
    expect(readdirSync(backups)).toEqual([])
  })

  it('an error of onProgress abandons the backup: INTERNAL naming the backup folder, temporary removed', async () => {
    const { tasks, brain, backups } = await closedStores()
    const error = await expectCode(
      backupWorkspace(fileSource({ tasks, brain }), backups, {
        onProgress: () => {
          // A commit after the pins: a snapshot still pinned would keep the checkpoint below from finishing.
          for (const file of [tasks, brain]) rawEdit(file, 'CREATE TABLE after_pin (x)')
          throw new Error('stop')
        },
      }),
      'INTERNAL',
    )
    expect(error.file).toBe(backups)
    expect(readdirSync(backups)).toEqual([])
    // Every pinned snapshot was released: the files can be checkpointed and truncated.
    for (const file of [tasks, brain]) {
      const raw = new DatabaseSync(file)
      expect(raw.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get()).toMatchObject({ busy: 0 })
      raw.close()
    }
  })
})

describe('backupWorkspace: the snapshots and the checks of each copy', () => {
  it('pins every store before copying any: a write to the second store during the first copy is not in the backup', async () => {
    const { tasks, brain, backups } = await closedStores()
    let wrote = false
    const made = await backupWorkspace(fileSource({ tasks, brain }), backups, {
      onProgress: (p) => {
        if (!wrote && p.store === 'tasks') {
          wrote = true
          rawEdit(brain, 'CREATE TABLE after_pin (x)')
        }
      },
    })
    expect(wrote).toBe(true)
    const copy = new DatabaseSync(join(made.path, 'brain.db'), { readOnly: true })
    expect(copy.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'after_pin'").get()).toEqual({ n: 0 })
    copy.close()
    const source = new DatabaseSync(brain, { readOnly: true })
    expect(source.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'after_pin'").get()).toEqual({ n: 1 })
    source.close()
  })

  it('reports progress of an in-memory store: copying with its page count, verifying, done', async () => {
    const ws = await CleoWorkspace.open(tempDir(), { inMemory: true })
    const progress: unknown[] = []
    await ws.backup(join(tempDir(), 'b'), { stores: ['tasks'], onProgress: (p) => progress.push(p) })
    await ws.close()
    const first = progress[0] as { totalPages: number }
    expect(first.totalPages).toBeGreaterThan(1)
    const base = { store: 'tasks', storeIndex: 0, storeCount: 1, totalPages: first.totalPages }
    expect(progress).toEqual([
      { ...base, phase: 'copying', remainingPages: first.totalPages },
      { ...base, phase: 'verifying', remainingPages: 0 },
      { ...base, phase: 'done', remainingPages: 0 },
    ])
  })

  it('reports the copy of a file store page by page', async () => {
    const { tasks, backups } = await closedStores()
    rawEdit(tasks, `CREATE TABLE bulk (x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400) INSERT INTO bulk SELECT randomblob(3000) FROM n`)
    const progress: Array<{ phase: string; totalPages: number; remainingPages: number }> = []
    await backupWorkspace(fileSource({ tasks }), backups, { onProgress: (p) => progress.push(p) })
    const copying = progress.filter((p) => p.phase === 'copying')
    expect(copying.length).toBeGreaterThan(2)
    expect(copying[0]!.remainingPages).toBe(copying[0]!.totalPages)
    expect(copying.some((p) => p.remainingPages > 0 && p.remainingPages < p.totalPages)).toBe(true)
  })

  it('refuses a copy whose application_id is not its store’s: CORRUPT naming it, nothing published', async () => {
    const { tasks, backups } = await closedStores()
    rawEdit(tasks, 'PRAGMA application_id = 7')
    const error = await expectCode(backupWorkspace(fileSource({ tasks }), backups), 'CORRUPT')
    expect(error.message).toBe('CORRUPT: backup copy of tasks carries application_id 7')
    expect(error.store).toBe('tasks')
    expect(readdirSync(backups)).toEqual([])
  })

  it('refuses a copy that fails integrity_check, with the problems', async () => {
    const { tasks, backups } = await closedStores()
    rawEdit(tasks, 'CREATE TABLE pair (a, b); CREATE INDEX pair_a ON pair (a); INSERT INTO pair VALUES (1, 2), (3, 4)')
    rawEdit(tasks, "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'CREATE INDEX pair_a ON pair (b)' WHERE name = 'pair_a'")
    const error = await expectCode(backupWorkspace(fileSource({ tasks }), backups), 'CORRUPT')
    const problems = error.details?.['problems'] as string[]
    expect(problems.length).toBeGreaterThan(0)
    expect(problems).not.toContain('ok')
    expect(error.message).toBe(`CORRUPT: backup copy of tasks failed integrity_check: ${problems.slice(0, 3).join('; ')}`)
    expect(error.store).toBe('tasks')
    expect(readdirSync(backups)).toEqual([])
  })

  it('refuses a copy without any applied migration', async () => {
    const { tasks, backups } = await closedStores()
    rawEdit(tasks, 'DELETE FROM kysely_migration')
    const error = await expectCode(backupWorkspace(fileSource({ tasks }), backups), 'CORRUPT')
    expect(error.message).toBe('CORRUPT: backup copy of tasks has no applied migration')
    expect(readdirSync(backups)).toEqual([])
  })
})

describe('backupWorkspace: rotation details', () => {
  const DAY = 24 * 60 * 60 * 1000
  const NOW = Date.UTC(2030, 0, 1)

  it('removes hidden temporary folders older than a day only (strictly), nothing else', async () => {
    const { tasks, backups } = await closedStores()
    mkdirSync(backups)
    const aged = (name: string, age: number) => {
      const path = join(backups, name)
      mkdirSync(path)
      utimesSync(path, (NOW - age) / 1000, (NOW - age) / 1000)
      return path
    }
    const stale = aged('.tmp-stale', DAY + 1000)
    const edge = aged('.tmp-edge', DAY)
    const fresh = aged('.tmp-fresh', 1000)
    const notes = aged('old-notes', 10 * DAY)
    const dotted = aged('.hidden-old', 10 * DAY)
    await backupWorkspace(fileSource({ tasks }, { clock: () => NOW }), backups)
    expect(existsSync(stale)).toBe(false)
    for (const kept of [edge, fresh, notes, dotted]) expect(existsSync(kept)).toBe(true)
  })

  it('two backups without a projectId are of the same project only when their projectDir is the same', async () => {
    const { tasks, backups } = await closedStores()
    const old = { createdAt: '2020-01-01T00:00:00.000Z', projectId: null }
    const mineOld = writeFolder(backups, 'mine-old', fakeManifest({ ...old, projectDir: '/p1' }))
    const theirs = writeFolder(backups, 'theirs', fakeManifest({ ...old, projectDir: '/p2', id: '00000000-0000-7000-8000-000000000002' }))
    const made = await backupWorkspace(fileSource({ tasks }, { projectDir: '/p1', clock: () => NOW }), backups, { keep: 1 })
    expect(made.removed).toEqual([mineOld])
    expect(existsSync(theirs)).toBe(true)
  })

  it('breaks a tie of createdAt by id whatever the folder names', async () => {
    const time = { createdAt: '2021-01-01T00:00:00.000Z' }
    const low = { ...time, id: '00000000-0000-7000-8000-000000000001' }
    const high = { ...time, id: '00000000-0000-7000-8000-000000000002' }
    for (const [x, y] of [[low, high], [high, low]] as const) {
      const root = tempDir()
      const first = writeFolder(root, 'x', fakeManifest(x))
      const second = writeFolder(root, 'y', fakeManifest(y))
      const expected = x === high ? [first, second] : [second, first]
      expect((await listWorkspaceBackups(root)).map((e) => e.path)).toEqual(expected)
    }
  })
})

describe('restoreWorkspace: details', () => {
  async function backedUp(includeKeys = false) {
    const { ws, project, globalDir, backups } = await setup(includeKeys)
    const backup = await ws.backup(backups, { includeKeys })
    await ws.close()
    return { project, globalDir, ...backup }
  }

  it('names the store a backup lacks and the key file that clashes', async () => {
    const ws = await CleoWorkspace.open(tempDir(), { inMemory: true })
    const { path } = await ws.backup(join(tempDir(), 'b'), { stores: ['tasks'] })
    await ws.close()
    const missing = await expectCode(CleoWorkspace.restore(path, tempDir(), { globalDir: join(tempDir(), 'g'), stores: ['nexus'] }), 'NOT_FOUND')
    expect(missing.message).toBe(`NOT_FOUND: backup ${path} holds no nexus store`)
    const keyed = await backedUp(true)
    const otherGlobal = join(tempDir(), 'other')
    ensureKeyFile(join(otherGlobal, 'machine-key'))
    const clash = await expectCode(CleoWorkspace.restore(keyed.path, tempDir(), { globalDir: otherGlobal }), 'CONFLICT')
    expect(clash.message).toBe(
      `CONFLICT: ${join(otherGlobal, 'machine-key')} already holds other key material; restore with includeKeys: false (agents then re-authenticate), or into another global directory`,
    )
  })

  it('creates the global directory (0700) for the keys alone, and not at all for a project-only restore', async () => {
    const keyed = await backedUp(true)
    const fresh = join(tempDir(), 'fresh-global')
    await CleoWorkspace.restore(keyed.path, tempDir(), { globalDir: fresh, stores: ['tasks'] })
    expect(statSync(fresh).mode & 0o777).toBe(0o700)
    expect(readdirSync(fresh).sort()).toEqual(['global-salt', 'machine-key'])
    const plain = await backedUp(false)
    const untouched = join(tempDir(), 'untouched-global')
    await CleoWorkspace.restore(plain.path, tempDir(), { globalDir: untouched, stores: ['tasks', 'brain'] })
    expect(existsSync(untouched)).toBe(false)
  })

  it('keeps every replaced file of one directory in one restore-replaced folder (0700)', async () => {
    const { project, globalDir, path } = await backedUp()
    const result = await CleoWorkspace.restore(path, project, { globalDir, stores: ['tasks', 'brain', 'conduit'] })
    expect(result.replacedDirs).toHaveLength(1)
    const kept = result.replacedDirs[0]!
    expect(statSync(kept).mode & 0o777).toBe(0o700)
    expect(readdirSync(kept).filter((n) => n.endsWith('.db')).sort()).toEqual(['brain.db', 'conduit.db', 'tasks.db'])
  })

  it('a target with a SQLite header but garbage pages is reported damaged and replaced', async () => {
    const { project, globalDir, path, manifest } = await backedUp()
    const tasks = join(project, '.cleo', 'tasks.db')
    for (const s of ['-wal', '-shm']) rmSync(tasks + s, { force: true })
    writeFileSync(tasks, Buffer.concat([Buffer.from('SQLite format 3\u0000', 'latin1'), Buffer.alloc(4080, 0xff)]))
    const result = await CleoWorkspace.restore(path, project, { globalDir, stores: ['tasks'] })
    expect(result.damaged).toEqual(['tasks'])
    expect(shaFile(tasks)).toBe(manifest.stores[0]!.sha256)
  })
})
