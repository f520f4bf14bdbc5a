/**
 * `CleoWorkspace`: the six CLEO databases of one project, opened together.
 *
 * - project tier: `<projectDir>/.cleo/{tasks,brain,conduit}.db`;
 * - global tier: `<globalDir>/{signaldock,nexus}.db`, and `telemetry.db` only when
 *   opted in. Global stores are shared: workspaces of one process that name the same
 *   global directory share one handle per global database, reference-counted.
 *
 * @module
 */
import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'

import envPaths from 'env-paths'
import { z } from 'zod'

import { BrainRepository } from '../brain/brain-repository.js'
import type { Embedder } from '../brain/embedder.js'
import { ConduitRepository } from '../conduit/conduit-repository.js'
import { NexusRepository } from '../nexus/nexus-repository.js'
import type { SignaldockRepository, WorkspaceSignaldockOptions } from '../signaldock/signaldock-repository.js'
import { WorkspaceSignaldockOptionsSchema, openWorkspaceSignaldock } from '../signaldock/signaldock-repository.js'
import type { WorkspaceNexusOptions, WorkspaceServerOptions } from './workspace-server.js'
import {
  connectProjectServer,
  openWorkspaceNexus,
  projectSchema,
  sameServerStore,
  sameWorkspaceNexus,
  WorkspaceNexusOptionsSchema,
  WorkspaceServerOptionsSchema,
} from './workspace-server.js'
import type { MigrateToServerReport } from './migrate-to-server.js'
import type { StoreMove } from './migrate-to-server.js'
import { migrateToServer, serverCapable } from './migrate-to-server.js'
import type { Clock } from '../sqlite/clock.js'
import { systemClock } from '../sqlite/clock.js'
import { CleoStoreError, toCleoStoreError } from '../sqlite/errors.js'
import type { EngineOptions } from '../sqlite/engine-options.js'
import { MEMORY, probeStoreFile } from '../sqlite/open-database.js'
import type { StoreDefinition } from '../sqlite/store-definition.js'
import { BRAIN_STORE } from '../brain/brain.store.js'
import { CONDUIT_STORE } from '../conduit/conduit.store.js'
import { NEXUS_STORE } from '../nexus/nexus.store.js'
import { SIGNALDOCK_STORE } from '../signaldock/signaldock.store.js'
import { TASKS_STORE } from '../tasks/tasks.store.js'
import { TELEMETRY_STORE } from '../telemetry/telemetry.store.js'
import type { StoreName } from '../sqlite/store-name.js'
import type { StoreRepository } from '../sqlite/store-repository.js'
import { TasksRepository } from '../tasks/tasks-repository.js'
import { TelemetryRepository } from '../telemetry/telemetry-repository.js'
import type {
  TelemetryRetention,
} from '../telemetry/telemetry.types.js'
import { TelemetryRetentionSchema } from '../telemetry/telemetry.schemas.js'
import { REPOSITORY_OPTION_SHAPE } from '../sqlite/options.js'
import { validate } from '../sqlite/validate.js'
import type { WorkspaceBackup, WorkspaceBackupOptions, WorkspaceBackupServerStore, WorkspaceRestoreOptions, WorkspaceRestoreResult } from './backup.types.js'
import { backupWorkspace, checkRestoreOptions, deleteDatabaseFiles, restoreWorkspace } from './backup.js'
import type { WorkspaceCheckOptions, WorkspaceCheckReport, WorkspaceRepairOptions, WorkspaceRepairReport } from './integrity.js'
import type { WorkspaceCheckTarget } from './check-types.js'
import { checkCheckOptions, checkWorkspace, repairWorkspace } from './integrity.js'
import type { GuardedStores } from './guards.js'
import { workspaceKnownReferences, workspaceReferenceGuard } from './guards.js'
import { registerWorkspaceProject } from './registration.js'
import type { CleoImportOptions, CleoImportReport } from './cleo-import.types.js'
import { importFromCleo } from './cleo-import.js'
import type { KnownProjects } from './agents.js'
import { WorkspaceAgents, conduitAgentRefStore, nexusKnownProjects, noKnownProjects, withServerProjects } from './agents.js'

/** The real path of an existing project directory, else `NOT_FOUND`. */
function existingProjectDir(projectDir: string, context: { store: string; file: string }): string {
  try {
    if (!statSync(projectDir).isDirectory()) {
      throw new CleoStoreError('NOT_FOUND', `project directory ${context.file} is not a directory`, context)
    }
    return realpathSync(projectDir)
  } catch (error) {
    const translated = toCleoStoreError(error, context)
    if (translated.code === 'NOT_FOUND' && !(error instanceof CleoStoreError)) {
      throw new CleoStoreError('NOT_FOUND', `project directory ${context.file} does not exist`, { ...context, cause: error })
    }
    throw translated
  }
}

/** Options of {@link CleoWorkspace.open}. */
export interface WorkspaceOptions extends EngineOptions {
  /**
   * Directory of the global stores. Default: `$CLEO_HOME`, else the platform data
   * directory of `cleo` (`~/.local/share/cleo` on Linux, via env-paths).
   */
  readonly globalDir?: string
  /**
   * Every store in memory, nothing on disk: for test fixtures. The project directory
   * need not exist (it is only the project's name and registry path); nothing is
   * created there or in the global directory.
   */
  readonly inMemory?: boolean
  /**
   * Opt in to telemetry.db (default false: `ws.telemetry` is null and no file is
   * created). Pass `{ retention }` to opt in with a retention other than 90 days /
   * 100 000 events (the first workspace of a process to open the shared handle decides).
   */
  readonly telemetry?: boolean | { readonly retention?: Partial<TelemetryRetention> }
  /** Returns epoch milliseconds; inject one in tests. */
  readonly clock?: Clock
  /** Brain vector search: `{ dimensions, embed(texts) }` (given to brain.db only). */
  readonly embedder?: Embedder
  /**
   * Run signaldock (agent identity) on a PostgreSQL server instead of
   * `<globalDir>/signaldock.db`: `{ postgres: connectionString | pgPool, schema? }`.
   * Everything else stays local. Shared like the local handle: workspaces of one
   * process with the same global directory use one pool; a pool you pass is never
   * ended by the workspace — end it yourself after the last workspace closed.
   * Honoured with `inMemory` too (the identities then outlive the workspace).
   */
  readonly signaldock?: WorkspaceSignaldockOptions
  /**
   * Run nexus (the project registry, audit log, warp chains) on a PostgreSQL server
   * instead of `<globalDir>/nexus.db`: `{ postgres: connectionString | pgPool, schema? }`
   * (default schema `nexus`). Shared like the local handle, as `signaldock` is. With
   * `server`, nexus follows that server unless this option says otherwise.
   */
  readonly nexus?: WorkspaceNexusOptions
  /**
   * Put the project on a PostgreSQL server, shared by every host that opens it with
   * the same key (issues 20 and 21): `{ postgres: connectionString | pgPool, project:
   * 'acme-api' }`. tasks, brain and conduit live in the schemas `<project>_tasks`,
   * `<project>_brain` and `<project>_conduit`; signaldock and nexus follow the same
   * server (schemas `signaldock` and `nexus`) unless `signaldock` / `nexus` say
   * otherwise. telemetry.db and the key files stay local (see docs/server.md).
   * `ws.check()` reports where each store lives; `ws.backup()` copies the local
   * stores and lists the server's (`pg_dump --schema=…`).
   */
  readonly server?: WorkspaceServerOptions
  /**
   * tasks.db's `enforceClaims` (default false): changing a task under another
   * agent's live claim needs its claim token (`CONFLICT` otherwise).
   */
  readonly enforceClaims?: boolean
}

/**
 * `CleoWorkspace.open` options, strict (issue 14, items 9 and 10): an unknown key,
 * a non-boolean `inMemory` or a `telemetry` other than `true`, `false`, `undefined`
 * or an options object is `VALIDATION`, before anything is created.
 */
const WorkspaceOptionsSchema = z.strictObject({
  ...REPOSITORY_OPTION_SHAPE,
  globalDir: z.string().min(1).optional(),
  inMemory: z.boolean().optional(),
  // An object is checked on its own below, so its unknown keys get their path.
  telemetry: z
    .union([z.boolean(), z.record(z.string(), z.unknown())], {
      error: 'must be true, false or { retention } (nothing else opts in)',
    })
    .optional(),
  embedder: z
    .custom<Embedder>((value) => typeof value === 'object' && value !== null, 'must be an embedder ({ dimensions, embed })')
    .optional(),
  signaldock: z.record(z.string(), z.unknown()).optional(),
  nexus: z.record(z.string(), z.unknown()).optional(),
  server: z.record(z.string(), z.unknown()).optional(),
})
/** brain.db's vector tables (sqlite-vec's table and its shadow tables, the binary codes): not moved to a server. */
const BRAIN_VECTOR_TABLES = /^brain_(embeddings($|_)|embedding_codes$)/
const TelemetryOptionSchema = z.strictObject({ retention: TelemetryRetentionSchema.optional() })
const MigrateToServerOptionsSchema = z.strictObject({
  globalDir: z.string().min(1).optional(),
  nexus: z.union([z.literal(false), z.strictObject({ schema: z.string().min(1) })]).optional(),
})

/**
 * Options of {@link CleoWorkspace.migrateToServer}.
 *
 * @example
 * ```ts
 * await CleoWorkspace.migrateToServer('/work/app', server, { globalDir: '/srv/cleo', nexus: { schema: 'fleet_nexus' } })
 * ```
 */
export interface MigrateToServerOptions {
  /** Where this machine's nexus.db is (default: as {@link CleoWorkspace.open} resolves it). */
  readonly globalDir?: string
  /** The registry's schema on the server (default `nexus`), or `false` to leave nexus.db out of the move. */
  readonly nexus?: false | { readonly schema: string }
}
const ProjectDirSchema = z.string().min(1)
const DeleteTelemetryOptionsSchema = z.strictObject({ globalDir: z.string().min(1).optional() })

/** Checks the arguments of {@link CleoWorkspace.open}; throws `VALIDATION` naming the field. */
function checkOpenArguments(projectDir: unknown, options: unknown): void {
  const operation = 'CleoWorkspace.open'
  const context = { store: 'workspace' }
  validate(ProjectDirSchema, projectDir, operation, context, { at: ['projectDir'] })
  const o = validate(WorkspaceOptionsSchema, options, operation, context)
  if (typeof o.telemetry === 'object') validate(TelemetryOptionSchema, o.telemetry, operation, context, { at: ['telemetry'] })
  if (o.signaldock !== undefined) validate(WorkspaceSignaldockOptionsSchema, o.signaldock, operation, context, { at: ['signaldock'] })
  if (o.nexus !== undefined) validate(WorkspaceNexusOptionsSchema, o.nexus, operation, context, { at: ['nexus'] })
  if (o.server !== undefined) validate(WorkspaceServerOptionsSchema, o.server, operation, context, { at: ['server'] })
}

/** File names of the stores. */
export const STORE_FILES = Object.freeze({
  tasks: 'tasks.db',
  brain: 'brain.db',
  conduit: 'conduit.db',
  signaldock: 'signaldock.db',
  nexus: 'nexus.db',
  telemetry: 'telemetry.db',
})

/** The project-tier directory inside a project. */
export const PROJECT_DIR_NAME = '.cleo'

/**
 * Resolves the global directory: explicit option, then `CLEO_HOME`, then env-paths.
 *
 * @example
 * ```ts
 * resolveGlobalDir({}) // '/home/me/.local/share/cleo' on Linux
 * ```
 */
export function resolveGlobalDir(options: { globalDir?: string } = {}, env: NodeJS.ProcessEnv = process.env): string {
  if (options.globalDir !== undefined) return resolve(options.globalDir)
  const home = env['CLEO_HOME']
  if (home !== undefined && home !== '') return resolve(home)
  return envPaths('cleo', { suffix: '' }).data
}

interface Counted<T> {
  refs: number
  readonly value: Promise<T>
}

interface SharedGlobal {
  refs: number
  readonly signaldock: Promise<SignaldockRepository>
  readonly signaldockOptions: WorkspaceSignaldockOptions | undefined
  readonly nexus: Promise<NexusRepository>
  readonly nexusOptions: WorkspaceNexusOptions | undefined
  telemetry: Counted<TelemetryRepository> | undefined
}

/** Global-store handles shared within this process, by real global directory. */
const sharedGlobals = new Map<string, SharedGlobal>()
/** On-disk workspaces open in this process, by real project directory (for restore). */
const openProjects = new Map<string, number>()

function settle<T>(promise: Promise<T>): Promise<T | undefined> {
  return promise.then(
    (value) => value,
    () => undefined,
  )
}

/**
 * A project's workspace: three project stores and the shared global stores.
 *
 * @example
 * ```ts
 * import { CleoWorkspace } from 'cleo-store'
 *
 * await using ws = await CleoWorkspace.open(process.cwd())
 * ws.tasks       // TasksRepository on <project>/.cleo/tasks.db
 * ws.signaldock  // SignaldockRepository on <globalDir>/signaldock.db
 * ws.telemetry   // null unless { telemetry: true }
 * ```
 */
export class CleoWorkspace {
  /** Absolute real path of the project directory. */
  readonly projectDir: string
  /** Absolute path of the global directory, or null for an in-memory workspace. */
  readonly globalDir: string | null
  readonly #tasks: TasksRepository
  readonly #brain: BrainRepository
  readonly #conduit: ConduitRepository
  readonly #signaldock: SignaldockRepository
  readonly #nexus: NexusRepository
  readonly #telemetry: TelemetryRepository | null
  readonly #release: () => Promise<void>
  readonly #projectId: string
  readonly #inMemory: boolean
  readonly #clock: Clock
  readonly #agents: WorkspaceAgents
  #closing: Promise<void> | undefined

  private constructor(props: {
    projectDir: string
    globalDir: string | null
    tasks: TasksRepository
    brain: BrainRepository
    conduit: ConduitRepository
    signaldock: SignaldockRepository
    nexus: NexusRepository
    telemetry: TelemetryRepository | null
    release: () => Promise<void>
    projectId: string
    inMemory: boolean
    clock: Clock
  }) {
    this.projectDir = props.projectDir
    this.globalDir = props.globalDir
    this.#tasks = props.tasks
    this.#brain = props.brain
    this.#conduit = props.conduit
    this.#signaldock = props.signaldock
    this.#nexus = props.nexus
    this.#telemetry = props.telemetry
    this.#release = props.release
    this.#projectId = props.projectId
    this.#inMemory = props.inMemory
    this.#clock = props.clock
    this.#agents = new WorkspaceAgents({
      projectDir: props.projectDir,
      globalDir: props.globalDir,
      signaldock: props.signaldock,
      tasks: props.tasks,
      refs: conduitAgentRefStore(props.conduit),
      // In memory there are no other projects' files to scan.
      projects: fleetProjects(
        props.inMemory ? noKnownProjects() : nexusKnownProjects(props.nexus, (dir) => join(dir, PROJECT_DIR_NAME, STORE_FILES.conduit)),
        props.signaldock,
        props.conduit,
      ),
      // In memory the keys are random; on a shared PostgreSQL signaldock other machines' seals never open here.
      markReauth: !props.inMemory && props.signaldock.sqlite !== undefined,
    })
  }

  /**
   * Opens the workspace of `projectDir` (which must exist, unless `inMemory`): creates
   * `<projectDir>/.cleo/` and the global directory (mode 0700) if needed, opens and
   * migrates every store, and acquires the shared global handles. If any store fails
   * to open, everything opened so far is closed again before the error is thrown.
   *
   * Shared global handles keep the engine options and clock of the workspace that
   * opened them first.
   *
   * Opening registers the project in nexus.db, or refreshes its row (idempotent): the
   * project's stable id is kept in tasks.db (`schema_meta.project_id`), so a project
   * that moved keeps its id and its registry row follows it; a copy gets a new id.
   */
  static async open(projectDir: string, options: WorkspaceOptions = {}): Promise<CleoWorkspace> {
    checkOpenArguments(projectDir, options)
    const context = { store: 'workspace', file: resolve(projectDir) }
    let project: string
    if (options.inMemory) {
      // In memory the project directory is only a name: nothing is read or written there.
      project = existsSync(projectDir) ? realpathSync(projectDir) : resolve(projectDir)
    } else {
      project = existingProjectDir(projectDir, context)
    }
    const {
      globalDir: _g,
      inMemory,
      telemetry: telemetryOption,
      signaldock: explicitSignaldock,
      nexus: explicitNexus,
      server: serverOptions,
      embedder,
      enforceClaims,
      ...repositoryOptions
    } = options
    // signaldock follows the project's server unless told otherwise.
    const signaldockOptions: WorkspaceSignaldockOptions | undefined =
      explicitSignaldock ?? (serverOptions === undefined ? undefined : { postgres: serverOptions.postgres })
    const nexusOptions: WorkspaceNexusOptions | undefined = explicitNexus ?? (serverOptions === undefined ? undefined : { postgres: serverOptions.postgres })
    // Cross-database write guards: project stores check the ids they name in tasks.db / signaldock.
    let guarded: GuardedStores | undefined
    const guard = { referenceGuard: workspaceReferenceGuard(() => guarded) }
    const brainOptions = {
      ...repositoryOptions,
      ...guard,
      // Brain maintenance sees tasks.db and reconciles orphaned references.
      knownReferences: workspaceKnownReferences(() => guarded),
      ...(embedder === undefined ? {} : { embedder }),
    }
    const conduitOptions = { ...repositoryOptions, ...guard }
    const server = serverOptions === undefined ? null : await connectProjectServer(serverOptions, repositoryOptions, context)
    const serverStoreOptions = (store: 'tasks' | 'conduit' | 'brain') => ({
      schema: projectSchema(server!.project, store),
      ...server!.options,
      ...guard,
      ...(repositoryOptions.clock === undefined ? {} : { clock: repositoryOptions.clock }),
    })
    const openTasks = (file: string) =>
      server === null
        ? TasksRepository.open(file, tasksOptions)
        : TasksRepository.openPostgres(server.pool, {
            ...serverStoreOptions('tasks'),
            ...(enforceClaims === undefined ? {} : { enforceClaims }),
          })
    const openBrain = (file: string) =>
      server === null
        ? BrainRepository.open(file, brainOptions)
        : BrainRepository.openPostgres(server.pool, {
            ...serverStoreOptions('brain'),
            knownReferences: brainOptions.knownReferences,
            ...(embedder === undefined ? {} : { embedder }),
          })
    const openConduit = (file: string) =>
      server === null
        ? ConduitRepository.open(file, conduitOptions)
        : ConduitRepository.openPostgres(server.pool, serverStoreOptions('conduit'))
    const closeServer = async () => {
      await server?.close()
    }
    const tasksOptions = { ...repositoryOptions, ...guard, ...(enforceClaims === undefined ? {} : { enforceClaims }) }
    const wantTelemetry = telemetryOption !== undefined && telemetryOption !== false
    const telemetryOptions =
      typeof telemetryOption === 'object' && telemetryOption.retention !== undefined
        ? { ...repositoryOptions, retention: telemetryOption.retention }
        : repositoryOptions
    const clock = options.clock ?? systemClock

    if (inMemory) {
      const opened = await openAll({
        tasks: () => openTasks(MEMORY),
        brain: () => openBrain(MEMORY),
        conduit: () => openConduit(MEMORY),
        signaldock: () => openWorkspaceSignaldock(MEMORY, repositoryOptions, signaldockOptions),
        nexus: () => openWorkspaceNexus(MEMORY, repositoryOptions, nexusOptions),
        telemetry: wantTelemetry ? () => TelemetryRepository.open(MEMORY, telemetryOptions) : null,
      })
      guarded = opened
      const release = async () => {
        await Promise.all([opened.signaldock.close(), opened.nexus.close(), opened.telemetry?.close()])
        await closeServer()
      }
      const projectId = await registerOrClose(opened, project, true, clock, release)
      return new CleoWorkspace({ projectDir: project, globalDir: null, ...opened, release, projectId, inMemory: true, clock })
    }

    const cleoDir = join(project, PROJECT_DIR_NAME)
    // Every existing store file is probed (read-only, immutable) before any file or
    // directory is created: a refused open leaves the disk exactly as it was.
    await probeWorkspaceFiles(
      cleoDir,
      { ...options, ...(signaldockOptions === undefined ? {} : { signaldock: signaldockOptions }), ...(nexusOptions === undefined ? {} : { nexus: nexusOptions }) },
      wantTelemetry,
      server !== null,
    ).catch(async (error: unknown) => {
      await closeServer()
      throw error
    })
    let globalDir: string
    try {
      mkdirSync(cleoDir, { recursive: true, mode: 0o700 })
      const requested = resolveGlobalDir(options)
      mkdirSync(requested, { recursive: true, mode: 0o700 })
      globalDir = realpathSync(requested)
    } catch (error) {
      await closeServer()
      throw toCleoStoreError(error, context)
    }

    const lease = acquireGlobal(globalDir, repositoryOptions, { signaldock: signaldockOptions, nexus: nexusOptions }, wantTelemetry, telemetryOptions)
    const { shared: global } = lease
    const releaseGlobal = async () => {
      try {
        await releaseGlobalLease(lease)
      } finally {
        await closeServer()
      }
    }
    let opened
    try {
      opened = await openAll({
        tasks: () => openTasks(join(cleoDir, STORE_FILES.tasks)),
        brain: () => openBrain(join(cleoDir, STORE_FILES.brain)),
        conduit: () => openConduit(join(cleoDir, STORE_FILES.conduit)),
        signaldock: () => global.signaldock,
        nexus: () => global.nexus,
        telemetry: lease.telemetry ? () => lease.telemetry!.value : null,
      })
    } catch (error) {
      await releaseGlobal()
      throw error
    }
    guarded = opened
    const projectId = await registerOrClose(opened, project, false, clock, releaseGlobal)
    openProjects.set(project, (openProjects.get(project) ?? 0) + 1)
    const ws = new CleoWorkspace({ projectDir: project, globalDir, ...opened, release: releaseGlobal, projectId, inMemory: false, clock })
    try {
      // Sealed keys this machine's key files cannot open (restored elsewhere, key files lost) are marked now.
      await ws.#agents.reconcileKeys()
    } catch (error) {
      // A bad key file is reported where keys are used (KEY_FILE); the stores still open.
      if (!(error instanceof CleoStoreError && error.code === 'KEY_FILE')) {
        await ws.close()
        throw error
      }
    }
    return ws
  }

  /**
   * Copies a local project to a PostgreSQL server (issues 20 and 21): tasks.db,
   * brain.db and conduit.db into the schemas `<project>_tasks`, `<project>_brain` and
   * `<project>_conduit`, and this machine's nexus.db into the fleet's registry
   * (schema `nexus`, or `options.nexus.schema`; `nexus: false` leaves it out). See
   * docs/server.md. The server schemas are created and migrated; a project schema that
   * already holds rows is refused (`CONFLICT`) before anything is written, while a
   * registry already on the server (another project or host moved first) is left as
   * it is and reported in `kept` — the project registers there when it is opened.
   * Each store is copied in one transaction, verified table by table (row counts and
   * SHA-256 checksums, `CORRUPT` and that store not kept on a mismatch). The local
   * files are left as they are. Afterwards open the project with the same `server`
   * setting on every host.
   *
   * @example
   * ```ts
   * const server = { postgres: process.env.DATABASE_URL!, project: 'acme-api' }
   * const report = await CleoWorkspace.migrateToServer('/work/app', server)
   * const ws = await CleoWorkspace.open('/work/app', { server })
   * ```
   */
  static async migrateToServer(projectDir: string, server: WorkspaceServerOptions, options: MigrateToServerOptions = {}): Promise<MigrateToServerReport> {
    const operation = 'CleoWorkspace.migrateToServer'
    const context = { store: 'workspace' }
    validate(ProjectDirSchema, projectDir, operation, context, { at: ['projectDir'] })
    validate(WorkspaceServerOptionsSchema, server, operation, context, { at: ['server'] })
    const o = validate(MigrateToServerOptionsSchema, options, operation, context, { at: ['options'] })
    const project = existingProjectDir(projectDir, { ...context, file: resolve(projectDir) })
    const cleoDir = join(project, PROJECT_DIR_NAME)
    const projectMove = (store: 'tasks' | 'conduit' | 'brain') => ({ store, file: join(cleoDir, STORE_FILES[store]), schema: projectSchema(server.project, store), whenOccupied: 'refuse' as const })
    const moves: StoreMove[] = [
      {
        ...projectMove('tasks'),
        openLocal: async (file) => serverCapable(await TasksRepository.open(file)),
        openServer: async (pool, options) => serverCapable(await TasksRepository.openPostgres(pool, options)),
      },
      {
        ...projectMove('brain'),
        // Vectors are the embedder's: the server store has no vector table until it is
        // opened with one, which queues every memory for brain.reindex().
        derived: { tables: BRAIN_VECTOR_TABLES, row: (table, row) => table === 'brain_schema_meta' && String(row['key']).startsWith('embedding.') },
        openLocal: async (file) => serverCapable(await BrainRepository.open(file)),
        openServer: async (pool, options) => serverCapable(await BrainRepository.openPostgres(pool, options)),
      },
      {
        ...projectMove('conduit'),
        openLocal: async (file) => serverCapable(await ConduitRepository.open(file)),
        openServer: async (pool, options) => serverCapable(await ConduitRepository.openPostgres(pool, options)),
      },
    ]
    const present = moves.filter((move) => existsSync(move.file))
    if (present.length === 0) {
      throw new CleoStoreError('NOT_FOUND', `${cleoDir} holds no tasks.db, brain.db or conduit.db: nothing to migrate`, { ...context, file: cleoDir })
    }
    const nexusFile = join(resolveGlobalDir(o.globalDir === undefined ? {} : { globalDir: o.globalDir }), STORE_FILES.nexus)
    if (o.nexus !== false && existsSync(nexusFile)) {
      present.push({
        store: 'nexus',
        file: nexusFile,
        schema: o.nexus?.schema ?? NEXUS_STORE.name,
        whenOccupied: 'keep',
        openLocal: async (file) => serverCapable(await NexusRepository.open(file)),
        openServer: async (pool, options) => serverCapable(await NexusRepository.openPostgres(pool, options)),
      })
    }
    return migrateToServer(present, server)
  }

  /**
   * Imports an existing CLEO project (issue 18): CLEO's `tasks.db`, `brain.db`,
   * `conduit.db` in `<projectDir>/.cleo/`, its global `nexus.db` / `signaldock.db`
   * (in `cleoGlobalDir`, default the global directory), its ADR markdown files and
   * agent-output manifest. Each store is built and verified in a staging folder, then
   * CLEO's originals are moved, byte-identical, to `cleo-legacy-<time>/` and the new
   * stores put in place; all or nothing per store. `dryRun` writes nothing and returns
   * the same report. An imported project has no CLEO stores left: a second run reports
   * none. Task ids stay as CLEO wrote them (`T001`). See `docs/cleo-import.md`.
   *
   * @example
   * ```ts
   * const plan = await CleoWorkspace.importFromCleo('/work/app', { dryRun: true })
   * const report = await CleoWorkspace.importFromCleo('/work/app')
   * const ws = await CleoWorkspace.open('/work/app')
   * ```
   */
  static importFromCleo(projectDir: string, options: CleoImportOptions = {}): Promise<CleoImportReport> {
    return importFromCleo(projectDir, options, { projectDirName: PROJECT_DIR_NAME, storeFiles: STORE_FILES, resolveGlobalDir })
  }

  /**
   * Restores a backup folder (from {@link backup}) into the workspace of `projectDir`,
   * which must be closed: refused with `BUSY` while a target store is open in this
   * process or in another one. The manifest and every checksum are verified before
   * anything is touched; each store is written beside its target and renamed into
   * place; the replaced files and their stale `-wal`/`-shm` are kept in a
   * `restore-replaced-<time>` folder (`restore-replaced-<time>-<random>` when that name is
   * taken) unless `keepReplaced: false`. Global stores in the
   * backup are restored into `globalDir` (resolved as by {@link open}); pass
   * `stores: ['tasks', 'brain', 'conduit']` to restore the project tier only. Nothing
   * ever restores automatically. A backup made with `includeKeys` also installs its
   * `machine-key` and `global-salt` (never over other key material: `CONFLICT` before
   * anything is touched; `includeKeys: false` skips them). Restored without its keys
   * onto a machine with other key files, the agents whose sealed keys do not open are
   * marked `requiresReauth` at the next open.
   *
   * @example
   * ```ts
   * const { path } = await ws.backup('/backups/app')
   * await ws.close()
   * await CleoWorkspace.restore(path, '/src/app', { globalDir })
   * ```
   */
  static async restore(backupDir: string, projectDir: string, options: WorkspaceRestoreOptions = {}): Promise<WorkspaceRestoreResult> {
    checkRestoreOptions(options)
    const context = { store: 'workspace', file: resolve(projectDir) }
    let project: string
    let globalDir: string
    try {
      project = realpathSync(projectDir)
      const requested = resolveGlobalDir(options)
      globalDir = existsSync(requested) ? realpathSync(requested) : requested
    } catch (error) {
      throw toCleoStoreError(error, context)
    }
    return restoreWorkspace(
      backupDir,
      {
        projectDir: project,
        globalDir,
        openInProcess: (tier) => {
          if (tier === 'project') return openProjects.has(project) ? `the workspace of ${project} is open in this process` : null
          return sharedGlobals.has(globalDir) ? `the global stores of ${globalDir} are open in this process` : null
        },
      },
      options,
    )
  }

  /**
   * Deletes telemetry.db (and its -wal/-shm) from the global directory: the "delete my
   * data" half of opting out. Refused with `BUSY` while a workspace of this process
   * holds it (close those, or use `ws.telemetry.optOut({ deleteData: true })`) or
   * another process has it open. Returns false when there was no file.
   *
   * @example
   * ```ts
   * await CleoWorkspace.deleteTelemetry({ globalDir })
   * ```
   */
  static async deleteTelemetry(options: { globalDir?: string } = {}): Promise<boolean> {
    // Strict: a misspelt `globalDir` must not fall back to the user's data directory and delete its telemetry.db.
    validate(DeleteTelemetryOptionsSchema, options, 'CleoWorkspace.deleteTelemetry', { store: 'workspace' })
    const requested = resolveGlobalDir(options)
    let globalDir: string
    try {
      globalDir = realpathSync(requested)
    } catch {
      return false
    }
    const file = join(globalDir, STORE_FILES.telemetry)
    if (sharedGlobals.get(globalDir)?.telemetry) {
      throw new CleoStoreError('BUSY', `telemetry.db is open in this process (${file}); close the workspaces first`, {
        store: 'telemetry',
        file,
        details: { reason: 'open-in-process' },
      })
    }
    return deleteDatabaseFiles(file, 'telemetry')
  }

  /** `value`, or `CLOSED` once the workspace is closed. */
  #open<T>(value: T): T {
    this.#assertOpen()
    return value
  }

  #assertOpen(): void {
    if (this.#closing) {
      throw new CleoStoreError('CLOSED', `workspace of ${this.projectDir} is closed`, {
        store: 'workspace',
        file: this.projectDir,
      })
    }
  }

  /** tasks.db of this project. */
  get tasks(): TasksRepository {
    return this.#open(this.#tasks)
  }

  /** brain.db of this project. */
  get brain(): BrainRepository {
    return this.#open(this.#brain)
  }

  /** conduit.db of this project. */
  get conduit(): ConduitRepository {
    return this.#open(this.#conduit)
  }

  /** The global signaldock.db (shared with other workspaces of this process). */
  get signaldock(): SignaldockRepository {
    return this.#open(this.#signaldock)
  }

  /** The global nexus.db (shared with other workspaces of this process). */
  get nexus(): NexusRepository {
    return this.#open(this.#nexus)
  }

  /** ADR-037 agent verbs: register, attach, detach, remove (`global`, `force`), list. */
  get agents(): WorkspaceAgents {
    return this.#open(this.#agents)
  }

  /** The global telemetry.db, or null when not opted in. */
  get telemetry(): TelemetryRepository | null {
    return this.#open(this.#telemetry)
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closing !== undefined
  }

  /**
   * The project's stable id (kept in tasks.db, registered in nexus.db).
   *
   * @example
   * ```ts
   * const project = await ws.nexus.projects.get(ws.projectId)
   * ```
   */
  get projectId(): string {
    return this.#open(this.#projectId)
  }

  /**
   * Every open store, by name (telemetry only when opted in), local or on a server;
   * signaldock only as its local file (on a server it is not a file store).
   */
  #stores(): Partial<Record<StoreName, StoreRepository<any>>> {
    this.#assertOpen()
    return {
      tasks: this.#tasks,
      brain: this.#brain,
      conduit: this.#conduit,
      ...(this.#signaldock.sqlite ? { signaldock: this.#signaldock.sqlite } : {}),
      nexus: this.#nexus,
      ...(this.#telemetry ? { telemetry: this.#telemetry } : {}),
    }
  }

  /** The local stores (what a backup copies) and the stores on a server (what it cannot). */
  #storesByPlace(): { local: Partial<Record<StoreName, StoreRepository<any>>>; onServer: WorkspaceBackupServerStore[] } {
    const local: Partial<Record<StoreName, StoreRepository<any>>> = {}
    const onServer: WorkspaceBackupServerStore[] = []
    const place = (store: StoreName, repo: { readonly dialect: 'sqlite' | 'postgres'; readonly path: string }) => {
      if (repo.dialect === 'sqlite') return false
      onServer.push({ store, location: repo.path, schema: repo.path.slice(repo.path.lastIndexOf('#') + 1) })
      return true
    }
    for (const [store, repo] of Object.entries(this.#stores()) as Array<[StoreName, StoreRepository<any>]>) {
      if (!place(store, repo)) local[store] = repo
    }
    if (!this.#signaldock.sqlite) place('signaldock', this.#signaldock)
    return { local, onServer }
  }

  #target(full: boolean): WorkspaceCheckTarget {
    return {
      projectDir: this.projectDir,
      projectId: this.#projectId,
      inMemory: this.#inMemory,
      stores: this.#stores(),
      signaldock: this.#signaldock,
      full,
      clock: this.#clock,
    }
  }

  /**
   * Checks every open store — SQLite `quick_check` (or `integrity_check` with
   * `{ full: true }`) and `foreign_key_check` — and runs the workspace checks (the nexus
   * registration of this project, registered paths that vanished, the soft references
   * between databases, agents whose sealed API key needs re-authentication, and any
   * check passed in `extraChecks`). Reports findings per
   * store; writes nothing. A store on a PostgreSQL server gets the workspace checks
   * but not SQLite's file checks: its report says `engine: 'postgres'` and where it
   * lives (the server checks its own storage).
   *
   * @example
   * ```ts
   * const report = await ws.check()
   * if (!report.ok) for (const f of report.findings) console.log(f.store, f.message)
   * ```
   */
  async check(options: WorkspaceCheckOptions = {}): Promise<WorkspaceCheckReport> {
    checkCheckOptions(options, 'workspace.check')
    return checkWorkspace(this.#target(options.full ?? false), options)
  }

  /**
   * Checks (with `integrity_check` unless `{ full: false }`), fixes what is safe to fix
   * (rebuilding indexes, refreshing the nexus registration, marking vanished projects
   * unreachable), checks again, and reports what it did and what is left. Never deletes
   * or rewrites user data; a clean workspace gives `summary: 'nothing to repair'`.
   *
   * @example
   * ```ts
   * const { summary, actions, remaining } = await ws.repair()
   * ```
   */
  async repair(options: WorkspaceRepairOptions = {}): Promise<WorkspaceRepairReport> {
    checkCheckOptions(options, 'workspace.repair')
    return repairWorkspace(this.#target(options.full ?? true), options)
  }

  /**
   * Writes an online, consistent backup of every open store into a new folder of `dir`
   * (`<dir>/<time>-<id>/`: one `<store>.db` per store and `manifest.json` with store,
   * schema version and SHA-256 of each), and rotates older backups of this project in
   * `dir` (the newest `keep`, default 10, stay). The workspace stays usable and other
   * processes may keep writing meanwhile. telemetry.db is never backed up. Stores on
   * a PostgreSQL server are not copied: the manifest lists them in `onServer` with
   * their schema (back them up with `pg_dump --schema=…`); naming one in `stores`, or
   * backing up a workspace with no local store, is `UNSUPPORTED`. With
   * `includeKeys: true` the folder also holds `machine-key` and `global-salt` (mode
   * 0600), so a restore onto another machine opens every sealed credential.
   *
   * @example
   * ```ts
   * const { path, manifest } = await ws.backup('/backups/app', {
   *   onProgress: (p) => console.log(p.store, p.phase, p.remainingPages, '/', p.totalPages),
   * })
   * ```
   */
  async backup(dir: string, options: WorkspaceBackupOptions = {}): Promise<WorkspaceBackup> {
    // telemetry.db is never part of a backup (CLEO: telemetry is not backed up).
    const { local, onServer } = this.#storesByPlace()
    return backupWorkspace(
      { projectDir: this.projectDir, globalDir: this.globalDir, projectId: this.#projectId, stores: local, onServer, clock: this.#clock },
      dir,
      options,
    )
  }

  /**
   * Closes the project stores and releases the shared global handles (closed when
   * the last workspace using them closes). Idempotent; afterwards every accessor
   * throws `CLOSED`.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await Promise.all([this.#tasks.close(), this.#brain.close(), this.#conduit.close()])
        await this.#release()
      } finally {
        if (!this.#inMemory) {
          const left = (openProjects.get(this.projectDir) ?? 1) - 1
          if (left > 0) openProjects.set(this.projectDir, left)
          else openProjects.delete(this.projectDir)
        }
      }
    })()
    return this.#closing
  }

  /** `await using ws = await CleoWorkspace.open(dir)` closes it at scope end. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

interface Openers {
  tasks: () => Promise<TasksRepository>
  brain: () => Promise<BrainRepository>
  conduit: () => Promise<ConduitRepository>
  signaldock: () => Promise<SignaldockRepository>
  nexus: () => Promise<NexusRepository>
  telemetry: (() => Promise<TelemetryRepository>) | null
}

interface Opened {
  tasks: TasksRepository
  brain: BrainRepository
  conduit: ConduitRepository
  signaldock: SignaldockRepository
  nexus: NexusRepository
  telemetry: TelemetryRepository | null
}

/** Registers the project in nexus; on failure closes everything opened and rethrows. */
async function registerOrClose(
  opened: Opened,
  projectDir: string,
  inMemory: boolean,
  clock: Clock,
  release: () => Promise<void>,
): Promise<string> {
  try {
    const { projectId } = await registerWorkspaceProject({ tasks: opened.tasks, nexus: opened.nexus, projectDir, inMemory, clock, brainDbPath: opened.brain.path })
    return projectId
  } catch (error) {
    await Promise.allSettled([opened.tasks.close(), opened.brain.close(), opened.conduit.close()])
    await release()
    throw error
  }
}

/**
 * Runs every refusal check of every store file of a workspace (type, writability,
 * header, application id, schema version, migration checksums) without creating,
 * writing or locking anything, project tier first. Global stores already open in
 * this process are skipped (they passed when they were opened); so is signaldock
 * on PostgreSQL.
 */
async function probeWorkspaceFiles(cleoDir: string, options: WorkspaceOptions, wantTelemetry: boolean, onServer: boolean): Promise<void> {
  const requestedGlobal = resolveGlobalDir(options)
  let realGlobal: string | undefined
  try {
    realGlobal = realpathSync(requestedGlobal)
  } catch {
    realGlobal = undefined
  }
  const globalOpen = realGlobal !== undefined && sharedGlobals.has(realGlobal)
  // A project on a server has no tasks.db, brain.db or conduit.db to probe.
  const files: Array<[StoreDefinition, string]> = onServer
    ? []
    : [
        [TASKS_STORE, join(cleoDir, STORE_FILES.tasks)],
        [BRAIN_STORE, join(cleoDir, STORE_FILES.brain)],
        [CONDUIT_STORE, join(cleoDir, STORE_FILES.conduit)],
      ]
  if (!globalOpen) {
    if (options.signaldock === undefined) files.push([SIGNALDOCK_STORE, join(requestedGlobal, STORE_FILES.signaldock)])
    if (options.nexus === undefined) files.push([NEXUS_STORE, join(requestedGlobal, STORE_FILES.nexus)])
  }
  if (wantTelemetry && !(globalOpen && sharedGlobals.get(realGlobal!)?.telemetry)) {
    files.push([TELEMETRY_STORE, join(requestedGlobal, STORE_FILES.telemetry)])
  }
  for (const [store, file] of files) {
    await probeStoreFile(file, { store, ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }) }, { probe: 'always' })
  }
}

/**
 * The projects `remove --global` must ask: those nexus knows (their local conduit.db),
 * and with signaldock on a server — identities shared by a fleet — every project
 * conduit on that server.
 */
function fleetProjects(known: KnownProjects, signaldock: SignaldockRepository, conduit: ConduitRepository): KnownProjects {
  if (signaldock.dialect !== 'postgres') return known
  return withServerProjects(known, signaldock, conduit.dialect === 'postgres' ? conduit.path : null)
}

/** Opens the project stores; on any failure closes the project stores that opened. */
async function openAll(openers: Openers): Promise<Opened> {
  const project = [openers.tasks(), openers.brain(), openers.conduit()] as const
  const global = [openers.signaldock(), openers.nexus(), openers.telemetry?.() ?? Promise.resolve(null)] as const
  const results = await Promise.allSettled([...project, ...global])
  const failure = results.find((r) => r.status === 'rejected')
  if (failure) {
    await Promise.all(project.map(async (p) => (await settle<{ close(): Promise<void> }>(p))?.close()))
    throw (failure as PromiseRejectedResult).reason
  }
  const [tasks, brain, conduit, signaldock, nexus, telemetry] = await Promise.all([...project, ...global])
  return { tasks, brain, conduit, signaldock, nexus, telemetry }
}

interface GlobalLease {
  readonly globalDir: string
  readonly shared: SharedGlobal
  readonly telemetry: Counted<TelemetryRepository> | undefined
}

function acquireGlobal(
  globalDir: string,
  options: Omit<WorkspaceOptions, 'globalDir' | 'inMemory' | 'telemetry' | 'signaldock' | 'nexus' | 'embedder'>,
  places: { readonly signaldock: WorkspaceSignaldockOptions | undefined; readonly nexus: WorkspaceNexusOptions | undefined },
  wantTelemetry: boolean,
  telemetryOptions: Parameters<typeof TelemetryRepository.open>[1],
): GlobalLease {
  let shared = sharedGlobals.get(globalDir)
  if (shared) {
    const mismatch = !sameServerStore(shared.signaldockOptions, places.signaldock, SIGNALDOCK_STORE.name)
      ? (['signaldock', shared.signaldockOptions] as const)
      : !sameWorkspaceNexus(shared.nexusOptions, places.nexus)
        ? (['nexus', shared.nexusOptions] as const)
        : null
    if (mismatch !== null) {
      const [store, place] = mismatch
      throw new CleoStoreError(
        'CONFLICT',
        `the global stores of ${globalDir} are open in this process with ${store} on ${place ? 'another PostgreSQL store' : `${store}.db`}; every workspace of a process must name the same ${store}`,
        { store: 'workspace', file: globalDir, details: { reason: `${store}-mismatch` } },
      )
    }
  }
  if (!shared) {
    const entry: SharedGlobal = {
      refs: 0,
      signaldock: openWorkspaceSignaldock(join(globalDir, STORE_FILES.signaldock), options, places.signaldock),
      signaldockOptions: places.signaldock,
      nexus: openWorkspaceNexus(join(globalDir, STORE_FILES.nexus), options, places.nexus),
      nexusOptions: places.nexus,
      telemetry: undefined,
    }
    // A failed open must not poison later workspaces: forget the entry at once.
    void Promise.allSettled([entry.signaldock, entry.nexus]).then((results) => {
      if (results.some((r) => r.status === 'rejected') && sharedGlobals.get(globalDir) === entry) {
        sharedGlobals.delete(globalDir)
      }
    })
    sharedGlobals.set(globalDir, entry)
    shared = entry
  }
  shared.refs++
  let telemetry: Counted<TelemetryRepository> | undefined
  if (wantTelemetry) {
    telemetry = shared.telemetry ??= {
      refs: 0,
      value: TelemetryRepository.open(join(globalDir, STORE_FILES.telemetry), telemetryOptions),
    }
    telemetry.refs++
  }
  return { globalDir, shared, telemetry }
}

/** Drops one workspace's references; closes a handle when its last reference goes. */
async function releaseGlobalLease(lease: GlobalLease): Promise<void> {
  const { shared, telemetry, globalDir } = lease
  const closing: Array<Promise<unknown>> = []
  if (telemetry && --telemetry.refs === 0) {
    if (shared.telemetry === telemetry) shared.telemetry = undefined
    closing.push(settle(telemetry.value).then((repo) => repo?.close()))
  }
  if (--shared.refs === 0) {
    if (sharedGlobals.get(globalDir) === shared) sharedGlobals.delete(globalDir)
    closing.push(settle(shared.signaldock).then((repo) => repo?.close()))
    closing.push(settle(shared.nexus).then((repo) => repo?.close()))
  }
  await Promise.all(closing)
}
