/**
 * Importing an existing CLEO project (issue 18): `CleoWorkspace.importFromCleo`.
 *
 * The procedure, all or nothing per store:
 * 1. find CLEO's stores: `<project>/.cleo/{tasks,brain,conduit}.db` and
 *    `<cleoGlobalDir>/{nexus,signaldock}.db`, recognised by CLEO's markers
 *    (`recognizeCleoStore`) on a **private copy** (db + `-wal`, in the system temporary
 *    directory): the originals are only ever read by `copyFile`, never opened;
 * 2. build each cleo-store store in a staging folder (`<dir>/.cleo-import-<time>/`)
 *    through the repository's own `open()` (its migrations), fill it in one
 *    `BEGIN IMMEDIATE` transaction (one savepoint per row: a row cleo-store refuses is
 *    reported and skipped), then verify it (`integrity_check`, foreign keys, rows per
 *    table equal to the rows reported imported, and it opens again through the
 *    repository);
 * 3. only when every store is built and verified: move CLEO's originals (db, `-wal`,
 *    `-shm`) by `rename` into `<dir>/cleo-legacy-<time>/` (byte-identical) and rename
 *    the staged stores into their places. A failure before this step leaves every
 *    original where it was and removes the staging folders; a failure inside it moves
 *    back what was moved.
 *
 * `dryRun` builds and verifies the same stores in a private temporary folder and
 * returns the same report; nothing in the project or global directory is written.
 * A project already imported has no CLEO stores left: the report lists none.
 *
 * @module
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { DatabaseSync } from 'node:sqlite'

import { z } from 'zod'

import { BrainRepository } from '../brain/brain-repository.js'
import { BRAIN_STORE } from '../brain/brain.store.js'
import { ConduitRepository } from '../conduit/conduit-repository.js'
import { CONDUIT_STORE } from '../conduit/conduit.store.js'
import { NexusRepository } from '../nexus/nexus-repository.js'
import { NEXUS_STORE } from '../nexus/nexus.store.js'
import { SignaldockRepository } from '../signaldock/signaldock-repository.js'
import { SIGNALDOCK_STORE } from '../signaldock/signaldock.store.js'
import type { CleoLegacyStore } from '../sqlite/cleo-legacy.js'
import { recognizeCleoStore } from '../sqlite/cleo-legacy.js'
import type { SqliteDatabase } from '../sqlite/database.js'
import { rawQuery } from '../sqlite/database.js'
import { CleoStoreError, toCleoStoreError } from '../sqlite/errors.js'
import { loadNodeSqlite } from '../sqlite/node-sqlite.js'
import { openDatabase } from '../sqlite/open-database.js'
import { checkOptions } from '../sqlite/options.js'
import type { StoreDefinition } from '../sqlite/store-definition.js'
import { TasksRepository } from '../tasks/tasks-repository.js'
import { TASKS_STORE } from '../tasks/tasks.store.js'
import { importCleoBrain } from './cleo-import-brain.js'
import { importCleoConduit } from './cleo-import-conduit.js'
import { importCleoProjectFiles } from './cleo-import-files.js'
import { importCleoNexus, importCleoSignaldock } from './cleo-import-global.js'
import type { CleoImportTableReport, TableReport } from './cleo-import-rows.js'
import { COPIED_FROM, ImportWriter, tableNames } from './cleo-import-rows.js'
import { importCleoTasks } from './cleo-import-tasks.js'

export type { CleoImportMode, CleoImportOptions, CleoImportReport, CleoImportSkip, CleoImportStoreReport, CleoImportTableReport } from './cleo-import.types.js'
import type { CleoImportMode, CleoImportOptions, CleoImportReport, CleoImportStoreReport } from './cleo-import.types.js'

const ImportOptionsSchema = z.strictObject({
  globalDir: z.string().min(1).optional(),
  cleoGlobalDir: z.string().min(1).optional(),
  dryRun: z.boolean().optional(),
})

/**
 * Where a workspace keeps its files (passed by `CleoWorkspace.importFromCleo`, so this
 * module does not import the workspace module that calls it).
 */
export interface CleoImportLayout {
  /** The project's store folder name (`.cleo`). */
  readonly projectDirName: string
  /** File name of each store. */
  readonly storeFiles: Readonly<Record<Exclude<CleoLegacyStore, 'telemetry'>, string>>
  /** Resolves cleo-store's global directory as `CleoWorkspace.open` does. */
  readonly resolveGlobalDir: (options: { globalDir?: string }) => string
}

interface StoreKind {
  readonly definition: StoreDefinition
  /** Opens (and so migrates) the store through its repository, then closes it. */
  readonly openAndClose: (file: string) => Promise<void>
  /** Fills the staging store from CLEO's copy (synchronous: inside the write transaction). */
  readonly fill: (cleo: DatabaseSync, writer: ImportWriter, reports: TableReport[], now: number, context: FillContext) => void
}

interface FillContext {
  readonly cleoDir: string
  readonly projectDir: string
}

async function openClose(open: Promise<{ close(): Promise<void> }>): Promise<void> {
  await (await open).close()
}

const KINDS: Readonly<Record<Exclude<CleoLegacyStore, 'telemetry'>, StoreKind>> = {
  tasks: {
    definition: TASKS_STORE,
    openAndClose: (file) => openClose(TasksRepository.open(file)),
    fill: (cleo, writer, reports, now, context) => {
      const state = importCleoTasks(cleo, writer, reports, now)
      importCleoProjectFiles(context.cleoDir, writer, reports, state)
    },
  },
  brain: {
    definition: BRAIN_STORE,
    openAndClose: (file) => openClose(BrainRepository.open(file)),
    fill: (cleo, writer, reports, now) => void importCleoBrain(cleo, writer, reports, now),
  },
  conduit: {
    definition: CONDUIT_STORE,
    openAndClose: (file) => openClose(ConduitRepository.open(file)),
    fill: (cleo, writer, reports, now) => importCleoConduit(cleo, writer, reports, now),
  },
  nexus: {
    definition: NEXUS_STORE,
    openAndClose: (file) => openClose(NexusRepository.open(file)),
    fill: (cleo, writer, reports, now) => importCleoNexus(cleo, writer, reports, now),
  },
  signaldock: {
    definition: SIGNALDOCK_STORE,
    openAndClose: (file) => openClose(SignaldockRepository.open(file)),
    fill: (cleo, writer, reports, now) => importCleoSignaldock(cleo, writer, reports, now),
  },
}

interface Candidate {
  readonly store: Exclude<CleoLegacyStore, 'telemetry'>
  readonly source: string
  readonly target: string
  readonly mode: CleoImportMode
  /** The folder for staging and legacy folders (the target's directory). */
  readonly home: string
  copyDir?: string
  copy?: DatabaseSync
  staged?: string
  tables: TableReport[]
}

/** A compact UTC stamp for folder names (`20260402T091500123Z`). */
function stamp(now: number): string {
  return new Date(now).toISOString().replace(/[-:.]/g, '')
}

/** Opens a private copy of a CLEO file (db and -wal copied; the original is only read). */
function privateCopy(file: string): { dir: string; db: DatabaseSync } {
  const dir = mkdtempSync(join(tmpdir(), 'cleo-import-'))
  const copy = join(dir, 'cleo.db')
  copyFileSync(file, copy)
  if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`)
  const db = new (loadNodeSqlite().DatabaseSync)(copy, { timeout: 0 })
  return { dir, db }
}

function isCleoStoreFile(file: string): boolean {
  const { dir, db } = privateCopy(file)
  try {
    const id = (db.prepare('PRAGMA application_id').get() as { application_id: number }).application_id
    return id !== 0
  } finally {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

function closeCopy(candidate: Candidate): void {
  try {
    candidate.copy?.close()
  } catch {
    // a private copy
  }
  if (candidate.copyDir !== undefined) rmSync(candidate.copyDir, { recursive: true, force: true })
}

/** Rows per table of a cleo-store database. */
function countRows(db: SqliteDatabase<unknown>, table: string): number {
  return Number(db.get(rawQuery<{ n: number }>(`SELECT count(*) AS n FROM "${table}"`))?.n ?? 0)
}

/**
 * Imports the CLEO project at `projectDir`; see the module comment and
 * `docs/cleo-import.md`. Throws `VALIDATION` for bad options, `NOT_FOUND` when the
 * project directory is missing, and the engine's codes when a store cannot be built
 * (then nothing was moved or replaced).
 *
 * @example
 * ```ts
 * const report = await importFromCleo('/work/app', { dryRun: true }, { projectDirName: '.cleo', storeFiles: STORE_FILES, resolveGlobalDir })
 * ```
 */
export async function importFromCleo(projectDir: string, options: CleoImportOptions, layout: CleoImportLayout): Promise<CleoImportReport> {
  const { projectDirName: PROJECT_DIR_NAME, storeFiles: STORE_FILES, resolveGlobalDir } = layout
  checkOptions(ImportOptionsSchema, options, 'CleoWorkspace.importFromCleo', { store: 'workspace' })
  const project = resolve(projectDir)
  if (!existsSync(project) || !statSync(project).isDirectory()) {
    throw new CleoStoreError('NOT_FOUND', `project directory ${project} does not exist`, { store: 'workspace', file: project })
  }
  const dryRun = options.dryRun === true
  const cleoDir = join(project, PROJECT_DIR_NAME)
  const globalDir = resolveGlobalDir(options.globalDir === undefined ? {} : { globalDir: options.globalDir })
  const cleoGlobalDir = options.cleoGlobalDir === undefined ? globalDir : resolve(options.cleoGlobalDir)
  const now = Date.now()
  const time = stamp(now)

  const places: ReadonlyArray<readonly [Candidate['store'], string, string]> = [
    ['tasks', cleoDir, cleoDir],
    ['brain', cleoDir, cleoDir],
    ['conduit', cleoDir, cleoDir],
    ['nexus', cleoGlobalDir, globalDir],
    ['signaldock', cleoGlobalDir, globalDir],
  ]
  const candidates: Candidate[] = []
  const staging = new Map<string, string>()
  let releaseLock: (() => void) | undefined
  try {
    // ── 1. find CLEO's stores (private copies) ──
    for (const [store, from, to] of places) {
      const source = join(from, STORE_FILES[store])
      if (!existsSync(source)) continue
      const { dir, db } = privateCopy(source)
      COPIED_FROM.set(db, { store, file: source })
      if (recognizeCleoStore(tableNames(db)) !== store) {
        db.close()
        rmSync(dir, { recursive: true, force: true })
        continue
      }
      const target = join(to, STORE_FILES[store])
      const mode: CleoImportMode = resolve(source) === resolve(target) ? 'replace' : existsSync(target) && isCleoStoreFile(target) ? 'merge' : 'create'
      if (mode === 'create' && existsSync(target)) {
        db.close()
        rmSync(dir, { recursive: true, force: true })
        throw new CleoStoreError('WRONG_STORE', `${target} exists and is not a cleo-store ${store} database; move it aside before importing`, {
          store,
          file: target,
        })
      }
      candidates.push({ store, source, target, mode, home: to, copyDir: dir, copy: db, tables: [] })
    }
    if (candidates.length === 0) return { projectDir: project, dryRun, stores: [], movedAside: [], legacyDirs: [] }
    // One import of a project at a time (a dry run writes nothing, so takes no lock).
    if (!dryRun) releaseLock = takeImportLock(cleoDir)

    // ── 2. build and verify every store in staging ──
    const privateStaging = dryRun ? mkdtempSync(join(tmpdir(), 'cleo-import-dry-')) : undefined
    if (privateStaging !== undefined) staging.set(privateStaging, privateStaging)
    for (const candidate of candidates) {
      let folder = privateStaging
      if (folder === undefined) {
        folder = staging.get(candidate.home)
        if (folder === undefined) {
          folder = join(candidate.home, `.cleo-import-${time}`)
          mkdirSync(folder, { recursive: true, mode: 0o700 })
          staging.set(candidate.home, folder)
        }
      }
      const kind = KINDS[candidate.store]
      const staged = join(folder, STORE_FILES[candidate.store])
      if (candidate.mode === 'merge') {
        // Merge into a consistent copy first (the same checks); on a real run the
        // rows are then written into the live store in its own transaction.
        const source = await openDatabase<unknown>(candidate.target, { store: kind.definition })
        try {
          await loadNodeSqlite().backup(source.connection, staged)
        } finally {
          await source.close()
        }
      } else {
        await kind.openAndClose(staged)
      }
      candidate.staged = staged
      candidate.tables = await fillAndVerify(kind, staged, candidate.copy!, now, { cleoDir, projectDir: project })
    }
    if (dryRun) return report(project, true, candidates, [], [])

    // ── 3. merges into live stores, then move the originals aside and swap ──
    for (const candidate of candidates.filter((c) => c.mode === 'merge')) {
      candidate.tables = await fillAndVerify(KINDS[candidate.store], candidate.target, candidate.copy!, now, { cleoDir, projectDir: project })
    }
    for (const candidate of candidates) closeCopy(candidate)
    const moved: Array<{ from: string; to: string }> = []
    const movedAside: Array<{ from: string; to: string }> = []
    const legacyDirs: string[] = []
    try {
      for (const candidate of candidates) {
        if (candidate.mode === 'merge') continue
        if (candidate.mode === 'replace') {
          const legacy = join(candidate.home, `cleo-legacy-${time}`)
          if (!legacyDirs.includes(legacy)) {
            mkdirSync(legacy, { recursive: true, mode: 0o700 })
            legacyDirs.push(legacy)
          }
          for (const suffix of ['', '-wal', '-shm']) {
            const from = `${candidate.source}${suffix}`
            if (!existsSync(from)) continue
            const to = join(legacy, `${STORE_FILES[candidate.store]}${suffix}`)
            renameSync(from, to)
            moved.push({ from, to })
            movedAside.push({ from, to })
          }
        }
        for (const suffix of ['', '-wal', '-shm']) {
          const from = `${candidate.staged!}${suffix}`
          if (!existsSync(from)) continue
          const to = `${candidate.target}${suffix}`
          renameSync(from, to)
          moved.push({ from, to })
        }
      }
    } catch (error) {
      for (const { from, to } of moved.reverse()) {
        try {
          renameSync(to, from)
        } catch {
          // best effort: report the original failure
        }
      }
      throw toCleoStoreError(error, { store: 'workspace', file: project })
    }
    return report(project, false, candidates, movedAside, legacyDirs)
  } finally {
    for (const candidate of candidates) closeCopy(candidate)
    for (const folder of staging.values()) rmSync(folder, { recursive: true, force: true })
    releaseLock?.()
  }
}

/** The lock file of a running import, in the project's `.cleo/`. */
export const IMPORT_LOCK_FILE = '.cleo-import.lock'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Takes `<cleoDir>/.cleo-import.lock` (created exclusively, holding the pid): a second
 * import of the same project while one runs is `CONFLICT`, before it reads anything.
 * A lock left by a process that died is taken over. Returns its release.
 */
function takeImportLock(cleoDir: string): () => void {
  const file = join(cleoDir, IMPORT_LOCK_FILE)
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 })
      return () => rmSync(file, { force: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw toCleoStoreError(error, { store: 'workspace', file })
      const holder = Number(readFileSync(file, 'utf8').trim())
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
        throw new CleoStoreError('CONFLICT', `another import of this project is running (process ${holder}); ${file}`, {
          store: 'workspace',
          file,
          details: { holder: String(holder) },
        })
      }
      rmSync(file, { force: true })
    }
  }
}

function report(projectDir: string, dryRun: boolean, candidates: readonly Candidate[], movedAside: Array<{ from: string; to: string }>, legacyDirs: string[]): CleoImportReport {
  return {
    projectDir,
    dryRun,
    stores: candidates.map((c) => ({ store: c.store, source: c.source, target: c.target, mode: c.mode, tables: c.tables })),
    movedAside,
    legacyDirs,
  }
}

/**
 * Fills `file` (a cleo-store store) from CLEO's copy in one write transaction, then
 * verifies it: integrity and foreign keys, rows per target table grown by exactly the
 * rows reported imported, and it opens again through its repository.
 */
async function fillAndVerify(kind: StoreKind, file: string, cleo: DatabaseSync, now: number, context: FillContext): Promise<TableReport[]> {
  const db = await openDatabase<unknown>(file, { store: kind.definition })
  const tables: TableReport[] = []
  try {
    await db.write(() => {
      tables.length = 0
      // Rows per table before, in the same transaction (a merge target may be written by others).
      const names = db.all(rawQuery<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
      const before = new Map(names.map(({ name }) => [name, countRows(db, name)]))
      kind.fill(cleo, new ImportWriter(db), tables, now, context)
      // Every row reported imported is there; a mismatch rolls the whole store back.
      for (const table of new Set(tables.flatMap((t) => (t.target === null ? [] : [t.target])))) {
        const imported = tables.filter((t) => t.target === table).reduce((sum, t) => sum + t.imported, 0)
        const added = countRows(db, table) - (before.get(table) ?? 0)
        // adr_relations mirrors each 'related' row (a trigger adds the reverse one).
        if (table === 'adr_relations' ? added < imported : added !== imported) {
          throw new CleoStoreError('INTERNAL', `the imported ${kind.definition.name} store gained ${added} rows in ${table}, not the ${imported} reported imported`, {
            store: kind.definition.name,
            file,
          })
        }
      }
      return undefined
    })
    const check = await db.integrityCheck()
    if (!check.ok) {
      throw new CleoStoreError('CORRUPT', `the imported ${kind.definition.name} store failed its integrity check`, {
        store: kind.definition.name,
        file,
        details: { problems: check.problems.slice(0, 10), foreignKeyViolations: check.foreignKeyViolations.slice(0, 10) },
      })
    }
  } finally {
    await db.close()
  }
  await kind.openAndClose(file)
  return tables
}
