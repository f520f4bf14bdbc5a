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
import { mkdirSync, realpathSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'

import envPaths from 'env-paths'

import { BrainRepository } from './brain/brain-repository.js'
import type { Embedder } from './brain/embedder.js'
import { ConduitRepository } from './conduit/conduit-repository.js'
import { NexusRepository } from './nexus/nexus-repository.js'
import { SignaldockRepository } from './signaldock/signaldock-repository.js'
import type { Clock } from './sqlite/clock.js'
import { CleoStoreError, toCleoStoreError } from './sqlite/errors.js'
import type { EngineOptions } from './sqlite/open-database.js'
import { MEMORY } from './sqlite/open-database.js'
import { TasksRepository } from './tasks/tasks-repository.js'
import { TelemetryRepository } from './telemetry/telemetry-repository.js'

/** Options of {@link CleoWorkspace.open}. */
export interface WorkspaceOptions extends EngineOptions {
  /**
   * Directory of the global stores. Default: `$CLEO_HOME`, else the platform data
   * directory of `cleo` (`~/.local/share/cleo` on Linux, via env-paths).
   */
  readonly globalDir?: string
  /** Every store in memory, nothing on disk: for test fixtures. */
  readonly inMemory?: boolean
  /** Opt in to telemetry.db (default false: `ws.telemetry` is null and no file is created). */
  readonly telemetry?: boolean
  /** Returns epoch milliseconds; inject one in tests. */
  readonly clock?: Clock
  /** Brain vector search: `{ dimensions, embed(texts) }` (given to brain.db only). */
  readonly embedder?: Embedder
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
  readonly nexus: Promise<NexusRepository>
  telemetry: Counted<TelemetryRepository> | undefined
}

/** Global-store handles shared within this process, by real global directory. */
const sharedGlobals = new Map<string, SharedGlobal>()

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
  }

  /**
   * Opens the workspace of `projectDir` (which must exist): creates
   * `<projectDir>/.cleo/` and the global directory (mode 0700) if needed, opens and
   * migrates every store, and acquires the shared global handles. If any store fails
   * to open, everything opened so far is closed again before the error is thrown.
   *
   * Shared global handles keep the engine options and clock of the workspace that
   * opened them first.
   */
  static async open(projectDir: string, options: WorkspaceOptions = {}): Promise<CleoWorkspace> {
    const context = { store: 'workspace', file: resolve(projectDir) }
    let project: string
    try {
      if (!statSync(projectDir).isDirectory()) {
        throw new CleoStoreError('NOT_FOUND', `project directory ${context.file} is not a directory`, context)
      }
      project = realpathSync(projectDir)
    } catch (error) {
      const translated = toCleoStoreError(error, context)
      if (translated.code === 'NOT_FOUND' && !(error instanceof CleoStoreError)) {
        throw new CleoStoreError('NOT_FOUND', `project directory ${context.file} does not exist`, { ...context, cause: error })
      }
      throw translated
    }
    const { globalDir: _g, inMemory, telemetry: wantTelemetry, embedder, ...repositoryOptions } = options
    const brainOptions = { ...repositoryOptions, embedder }

    if (inMemory) {
      const opened = await openAll({
        tasks: () => TasksRepository.open(MEMORY, repositoryOptions),
        brain: () => BrainRepository.open(MEMORY, brainOptions),
        conduit: () => ConduitRepository.open(MEMORY, repositoryOptions),
        signaldock: () => SignaldockRepository.open(MEMORY, repositoryOptions),
        nexus: () => NexusRepository.open(MEMORY, repositoryOptions),
        telemetry: wantTelemetry ? () => TelemetryRepository.open(MEMORY, repositoryOptions) : null,
      })
      return new CleoWorkspace({
        projectDir: project,
        globalDir: null,
        ...opened,
        release: async () => {
          await Promise.all([opened.signaldock.close(), opened.nexus.close(), opened.telemetry?.close()])
        },
      })
    }

    const cleoDir = join(project, PROJECT_DIR_NAME)
    let globalDir: string
    try {
      mkdirSync(cleoDir, { recursive: true, mode: 0o700 })
      const requested = resolveGlobalDir(options)
      mkdirSync(requested, { recursive: true, mode: 0o700 })
      globalDir = realpathSync(requested)
    } catch (error) {
      throw toCleoStoreError(error, context)
    }

    const lease = acquireGlobal(globalDir, repositoryOptions, wantTelemetry === true)
    const { shared: global } = lease
    const releaseGlobal = () => releaseGlobalLease(lease)
    let opened
    try {
      opened = await openAll({
        tasks: () => TasksRepository.open(join(cleoDir, STORE_FILES.tasks), repositoryOptions),
        brain: () => BrainRepository.open(join(cleoDir, STORE_FILES.brain), brainOptions),
        conduit: () => ConduitRepository.open(join(cleoDir, STORE_FILES.conduit), repositoryOptions),
        signaldock: () => global.signaldock,
        nexus: () => global.nexus,
        telemetry: lease.telemetry ? () => lease.telemetry!.value : null,
      })
    } catch (error) {
      await releaseGlobal()
      throw error
    }
    return new CleoWorkspace({ projectDir: project, globalDir, ...opened, release: releaseGlobal })
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
    this.#assertOpen()
    return this.#tasks
  }

  /** brain.db of this project. */
  get brain(): BrainRepository {
    this.#assertOpen()
    return this.#brain
  }

  /** conduit.db of this project. */
  get conduit(): ConduitRepository {
    this.#assertOpen()
    return this.#conduit
  }

  /** The global signaldock.db (shared with other workspaces of this process). */
  get signaldock(): SignaldockRepository {
    this.#assertOpen()
    return this.#signaldock
  }

  /** The global nexus.db (shared with other workspaces of this process). */
  get nexus(): NexusRepository {
    this.#assertOpen()
    return this.#nexus
  }

  /** The global telemetry.db, or null when not opted in. */
  get telemetry(): TelemetryRepository | null {
    this.#assertOpen()
    return this.#telemetry
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closing !== undefined
  }

  /**
   * Closes the project stores and releases the shared global handles (closed when
   * the last workspace using them closes). Idempotent; afterwards every accessor
   * throws `CLOSED`.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all([this.#tasks.close(), this.#brain.close(), this.#conduit.close()])
      await this.#release()
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
  options: Omit<WorkspaceOptions, 'globalDir' | 'inMemory' | 'telemetry' | 'embedder'>,
  wantTelemetry: boolean,
): GlobalLease {
  let shared = sharedGlobals.get(globalDir)
  if (!shared) {
    const entry: SharedGlobal = {
      refs: 0,
      signaldock: SignaldockRepository.open(join(globalDir, STORE_FILES.signaldock), options),
      nexus: NexusRepository.open(join(globalDir, STORE_FILES.nexus), options),
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
      value: TelemetryRepository.open(join(globalDir, STORE_FILES.telemetry), options),
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
