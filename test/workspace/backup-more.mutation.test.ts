/**
 * More exact behaviour of `src/workspace/backup.ts` (issue 14, item 14: the survivors of its
 * mutation run): the restore-replaced folder's name, and two restores in one millisecond (they
 * overwrote the first one's kept files: fixed); stores on a PostgreSQL server; the backup folder
 * and its manifest; `onProgress` errors; the staged copy of a restore (mode, quick_check); store
 * files that cannot be pinned or locked. Real files in temporary directories; the wall clock is
 * stubbed where the folder's name depends on it; no timing.
 */
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync as realMkdir, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { afterEach, describe, expect, it, vi } from 'vitest'

import type { WorkspaceBackupManifest } from '../../src/index.js'
import { CleoWorkspace } from '../../src/index.js'
import { backupWorkspace } from '../../src/workspace/backup.js'
import { expectCode, tempDir } from '../helpers.js'

/** 2026-01-02T03:04:05.006Z, as the restore-replaced folder names it. */
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5, 6)
const LABEL = '20260102T030405006Z'
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

/** The store files of a closed workspace, as a backup source with a fixed clock (`onServer` optional). */
async function closedSource(onServer?: Array<{ store: 'tasks' | 'brain' | 'conduit'; location: string; schema: string }>) {
  const project = tempDir()
  const ws = await CleoWorkspace.open(project, { globalDir: join(tempDir(), 'global') })
  await ws.close()
  const cleo = join(project, '.cleo')
  const stores = Object.fromEntries(['tasks', 'brain'].map((store) => [store, { path: join(cleo, `${store}.db`) }]))
  return {
    cleo,
    source: {
      projectDir: project,
      globalDir: null,
      projectId: null,
      stores: stores as never,
      ...(onServer === undefined ? {} : { onServer }),
      clock: () => NOW,
    },
  }
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

afterEach(() => {
  vi.restoreAllMocks()
})

async function backedUp() {
  const project = tempDir()
  const globalDir = join(tempDir(), 'global')
  const ws = await CleoWorkspace.open(project, { globalDir })
  const backup = await ws.backup(join(tempDir(), 'backups'))
  return { ws, project, globalDir, cleo: join(project, '.cleo'), ...backup }
}

/** A value of the tasks store that the backup does not hold. */
async function markTasks(ws: CleoWorkspace, key: string): Promise<void> {
  await ws.tasks.kysely.insertInto('schema_meta').values({ key, value: 'x', updated_at: 0 } as never).execute()
}

function hasMark(file: string, key: string): boolean {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    return (db.prepare('SELECT count(*) AS n FROM schema_meta WHERE key = ?').get(key) as { n: number }).n === 1
  } finally {
    db.close()
  }
}

describe('the restore-replaced folder', () => {
  it('is named restore-replaced-<compact ISO time of the restore>', async () => {
    const { ws, project, globalDir, cleo, path } = await backedUp()
    await ws.close()
    vi.spyOn(Date, 'now').mockReturnValue(NOW)
    const result = await CleoWorkspace.restore(path, project, { globalDir })
    expect(result.replacedDirs).toEqual([join(cleo, `restore-replaced-${LABEL}`), join(globalDir, `restore-replaced-${LABEL}`)])
  })

  it('two restores in the same millisecond keep their replaced files apart: the first one’s are not overwritten', async () => {
    const { ws, project, globalDir, cleo, path } = await backedUp()
    await markTasks(ws, 'after-backup')
    await ws.close()
    vi.spyOn(Date, 'now').mockReturnValue(NOW)
    const first = await CleoWorkspace.restore(path, project, { globalDir, stores: ['tasks'] })
    const second = await CleoWorkspace.restore(path, project, { globalDir, stores: ['tasks'] })
    expect(first.replacedDirs).toEqual([join(cleo, `restore-replaced-${LABEL}`)])
    expect(second.replacedDirs).toHaveLength(1)
    const [again] = second.replacedDirs
    expect(again).not.toBe(first.replacedDirs[0])
    expect(again!.startsWith(join(cleo, `restore-replaced-${LABEL}`))).toBe(true)
    expect(statSync(again!).mode & 0o777).toBe(0o700)
    // The workspace as it was before the first restore is still kept, with the row written after the backup.
    const kept = join(first.replacedDirs[0]!, 'tasks.db')
    expect(hasMark(kept, 'after-backup')).toBe(true)
    // The second restore kept what the first one had restored.
    expect(hasMark(join(again!, 'tasks.db'), 'after-backup')).toBe(false)
  })
})

describe('stores on a PostgreSQL server', () => {
  const conduit = { store: 'conduit' as const, location: 'postgres://u@h:5432/db#acme_conduit', schema: 'acme_conduit' }

  it('are recorded in the manifest (a copy), never copied; without any the manifest has no onServer', async () => {
    const { source } = await closedSource([conduit])
    const backups = join(tempDir(), 'b')
    const made = await backupWorkspace(source, backups)
    expect(made.manifest.onServer).toEqual([conduit])
    expect(made.manifest.onServer![0]).not.toBe(conduit)
    expect(made.manifest.stores.map((s) => s.store)).toEqual(['tasks', 'brain'])
    const plain = await backupWorkspace((await closedSource()).source, join(tempDir(), 'b'))
    expect('onServer' in plain.manifest).toBe(false)
    expect('onServer' in JSON.parse(readFileSync(join(plain.path, 'manifest.json'), 'utf8'))).toBe(false)
  })

  it('asking for a store that lives on the server is UNSUPPORTED, naming where and how to back it up', async () => {
    const { source } = await closedSource([conduit])
    const backups = join(tempDir(), 'b')
    const error = await expectCode(backupWorkspace(source, backups, { stores: ['tasks', 'conduit'] }), 'UNSUPPORTED')
    expect(error.message).toBe(
      `UNSUPPORTED: workspace.backup: conduit lives on a PostgreSQL server (${conduit.location}); back it up there: pg_dump --schema=acme_conduit`,
    )
    expect(error.details).toEqual({ path: ['stores'], store: 'conduit', location: conduit.location, schema: 'acme_conduit' })
    expect(existsSync(backups)).toBe(false)
  })

  it('a workspace whose every store is on the server has nothing to back up: UNSUPPORTED listing the pg_dump of each', async () => {
    const tasks = { store: 'tasks' as const, location: 'postgres://u@h/db#acme_tasks', schema: 'acme_tasks' }
    const source = { projectDir: '/p', globalDir: null, projectId: null, stores: {}, onServer: [tasks, conduit], clock: () => NOW }
    const backups = join(tempDir(), 'b')
    const error = await expectCode(backupWorkspace(source, backups), 'UNSUPPORTED')
    expect(error.message).toBe(
      'UNSUPPORTED: workspace.backup: every store of this workspace lives on a PostgreSQL server; back them up there: pg_dump --schema=acme_tasks, pg_dump --schema=acme_conduit',
    )
    expect(error.details).toEqual({ onServer: [tasks, conduit] })
    expect(existsSync(backups)).toBe(false)
  })
})

describe('the backup folder and its manifest', () => {
  it('creates missing parent folders of the backup directory, the directory itself 0700', async () => {
    const { source } = await closedSource()
    const backups = join(tempDir(), 'a', 'b', 'backups')
    const made = await backupWorkspace(source, backups)
    expect(statSync(backups).mode & 0o777).toBe(0o700)
    expect(readdirSync(backups)).toEqual([made.path.split('/').at(-1)])
  })

  it('writes the manifest as indented JSON ending in a newline', async () => {
    const { source } = await closedSource()
    const made = await backupWorkspace(source, join(tempDir(), 'b'), { label: 'x' })
    expect(readFileSync(join(made.path, 'manifest.json'), 'utf8')).toBe(`${JSON.stringify(made.manifest, null, 2)}\n`)
  })

  it('a store that fails its checks after another store was copied: CORRUPT (the copied store’s snapshot was already released)', async () => {
    const { source, cleo } = await closedSource()
    rawEdit(join(cleo, 'brain.db'), 'PRAGMA application_id = 7')
    const backups = join(tempDir(), 'b')
    const error = await expectCode(backupWorkspace(source, backups), 'CORRUPT')
    expect(error.store).toBe('brain')
    expect(readdirSync(backups)).toEqual([])
  })
})

describe('onProgress', () => {
  it('is not called again once it threw; the backup fails with its error, nothing published', async () => {
    const { source } = await closedSource()
    const backups = join(tempDir(), 'b')
    let calls = 0
    const stop = new Error('stop')
    const error = await expectCode(
      backupWorkspace(source, backups, {
        onProgress: () => {
          calls++
          throw stop
        },
      }),
      'INTERNAL',
    )
    expect(calls).toBe(1)
    expect(error.cause).toBe(stop)
    expect(readdirSync(backups)).toEqual([])
  })

  it('an error thrown while a store is copied stops the backup before that copy is checked', async () => {
    const { source, cleo } = await closedSource()
    rawEdit(join(cleo, 'tasks.db'), 'PRAGMA application_id = 7')
    const stop = new Error('stop')
    const phases: string[] = []
    const error = await expectCode(
      backupWorkspace(source, join(tempDir(), 'b'), {
        onProgress: (p) => {
          phases.push(p.phase)
          if (p.phase === 'copying') throw stop
        },
      }),
      'INTERNAL',
    )
    expect(error.cause).toBe(stop)
    expect(phases).toEqual(['copying'])
  })

  it('an error thrown at the last store’s done still abandons the backup', async () => {
    const { source } = await closedSource()
    const backups = join(tempDir(), 'b')
    const stop = new Error('stop')
    const error = await expectCode(
      backupWorkspace(source, backups, {
        onProgress: (p) => {
          if (p.store === 'brain' && p.phase === 'done') throw stop
        },
      }),
      'INTERNAL',
    )
    expect(error.cause).toBe(stop)
    expect(readdirSync(backups)).toEqual([])
  })
})

describe('the staged copy of a restore', () => {
  async function backedUpFiles() {
    const b = await backedUp()
    await b.ws.close()
    const manifestFile = join(b.path, 'manifest.json')
    /** Replaces the backup's tasks.db and fixes its checksum and size in the manifest. */
    const forge = (bytes: Buffer) => {
      writeFileSync(join(b.path, 'tasks.db'), bytes)
      const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as WorkspaceBackupManifest
      m.stores[0] = { ...m.stores[0]!, sha256: sha(bytes), bytes: bytes.length }
      writeFileSync(manifestFile, JSON.stringify(m))
    }
    return { ...b, forge }
  }

  it('is made 0600 whatever the mode of the backup file', async () => {
    const { project, globalDir, cleo, path } = await backedUpFiles()
    chmodSync(join(path, 'tasks.db'), 0o644)
    await CleoWorkspace.restore(path, project, { globalDir, stores: ['tasks'] })
    expect(statSync(join(cleo, 'tasks.db')).mode & 0o777).toBe(0o600)
  })

  it('a file that matches its checksum but fails quick_check is CORRUPT with the check’s message, nothing touched', async () => {
    const { project, globalDir, cleo, path, forge } = await backedUpFiles()
    const copy = join(tempDir(), 'tasks.db')
    writeFileSync(copy, readFileSync(join(path, 'tasks.db')))
    rawEdit(copy, 'CREATE TABLE loose (a); INSERT INTO loose VALUES (NULL)')
    rawEdit(copy, "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'CREATE TABLE loose (a NOT NULL)' WHERE name = 'loose'")
    forge(readFileSync(copy))
    const before = readFileSync(join(cleo, 'tasks.db'))
    const error = await expectCode(CleoWorkspace.restore(path, project, { globalDir, stores: ['tasks'] }), 'CORRUPT')
    expect(error.store).toBe('tasks')
    expect(error.file).toBe(join(cleo, 'tasks.db'))
    expect(error.message).toMatch(/^CORRUPT: staged copy of tasks failed its check \((?!ok\)).+\)$/)
    expect(readFileSync(join(cleo, 'tasks.db')).equals(before)).toBe(true)
    expect(readdirSync(cleo).filter((n) => n.includes('.restore-'))).toEqual([])
  })
})

describe('refusals around the store files', () => {
  it('a store file that is not a database fails the backup when its snapshot is pinned: CORRUPT, nothing published', async () => {
    const { source, cleo } = await closedSource()
    const brain = join(cleo, 'brain.db')
    for (const s of ['-wal', '-shm']) rmSync(brain + s, { force: true })
    writeFileSync(brain, Buffer.alloc(8192, 0x5a))
    const backups = join(tempDir(), 'b')
    const error = await expectCode(backupWorkspace(source, backups), 'CORRUPT')
    expect(error.file).toBe(backups)
    expect(readdirSync(backups)).toEqual([])
  })

  it('a restore refuses a target another connection merely has open (idle, in WAL mode): BUSY, the target untouched', async () => {
    const b = await backedUp()
    await b.ws.close()
    const target = join(b.cleo, 'tasks.db')
    const other = new DatabaseSync(target)
    try {
      other.prepare('SELECT count(*) FROM sqlite_schema').get()
      const error = await expectCode(CleoWorkspace.restore(b.path, b.project, { globalDir: b.globalDir, stores: ['tasks'] }), 'BUSY')
      expect(error.details).toEqual({ store: 'tasks', reason: 'locked' })
      expect(error.message).toBe(`BUSY: tasks.db is open in another process (${target}); close it before restoring`)
      expect((other.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal')
    } finally {
      other.close()
    }
    expect(readdirSync(b.cleo).filter((n) => n.startsWith('restore-replaced-') || n.includes('.restore-'))).toEqual([])
  })
})

describe('more survivors of the first run', () => {
  it('an integrity_check failure names its first three problems in the message, all of them in details', async () => {
    const { source, cleo } = await closedSource()
    const tasks = join(cleo, 'tasks.db')
    rawEdit(tasks, 'CREATE TABLE pair (a, b); CREATE INDEX pair_a ON pair (a); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20) INSERT INTO pair SELECT i, -i FROM n')
    rawEdit(tasks, "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'CREATE INDEX pair_a ON pair (b)' WHERE name = 'pair_a'")
    const error = await expectCode(backupWorkspace(source, join(tempDir(), 'b')), 'CORRUPT')
    const problems = error.details?.['problems'] as string[]
    expect(problems.length).toBeGreaterThan(3)
    expect(error.message).toBe(`CORRUPT: backup copy of tasks failed integrity_check: ${problems[0]}; ${problems[1]}; ${problems[2]}`)
  })

  it('rotation: a backup without projectId is of the same project as an older one with an id when their projectDir is the same', async () => {
    const { source } = await closedSource()
    const backups = join(tempDir(), 'b')
    const old = join(backups, 'old')
    const manifest = (await backupWorkspace({ ...source, projectId: 'an-id', clock: () => NOW - 1000 }, join(tempDir(), 'x'))).manifest
    realMkdir(old, { recursive: true })
    writeFileSync(join(old, 'manifest.json'), JSON.stringify(manifest))
    const made = await backupWorkspace(source, backups, { keep: 1 })
    expect(made.removed).toEqual([old])
    expect(existsSync(old)).toBe(false)
  })

  it('onProgress that threw is not called again while the pages of a large store are still being copied', async () => {
    const { source, cleo } = await closedSource()
    rawEdit(join(cleo, 'tasks.db'), 'CREATE TABLE bulk (x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400) INSERT INTO bulk SELECT randomblob(3000) FROM n')
    let calls = 0
    const stop = new Error('stop')
    const error = await expectCode(
      backupWorkspace(source, join(tempDir(), 'b'), {
        onProgress: () => {
          calls++
          throw stop
        },
      }),
      'INTERNAL',
    )
    expect(error.cause).toBe(stop)
    expect(calls).toBe(1)
  })
})
