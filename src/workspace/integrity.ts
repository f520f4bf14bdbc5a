/**
 * Workspace-wide integrity: `ws.check()` runs a list of checks over the open stores and
 * reports findings per store; `ws.repair()` lets each check fix what is safe to fix and
 * says what it did.
 *
 * A check is a plain object ({@link WorkspaceCheck}): a name, a `run` that returns
 * findings, and optionally a `repair` for its repairable findings. The built-in list
 * ({@link WORKSPACE_CHECKS}) holds the SQLite checks of every store and the nexus
 * registry checks; cross-store checks (soft references between tasks, brain, conduit
 * and signaldock) join the list the same way, and callers may pass their own.
 *
 * What counts as safe to repair: rebuilding derived structures (indexes, full-text
 * indexes), refreshing the registry. Never deleting or rewriting user data: a dangling
 * foreign key or a damaged table is reported, and the way out is a backup
 * (`CleoWorkspace.restore`).
 *
 * @module
 */
import { existsSync } from 'node:fs'

import type { Kysely } from 'kysely'
import { sql } from 'kysely'
import { z } from 'zod'

import type { NexusRepository } from '../nexus/nexus-repository.js'
import type { NexusProject } from '../nexus/project-registry.js'
import { toIso } from '../sqlite/clock.js'
import type { Clock } from '../sqlite/clock.js'
import { CleoStoreError, toCleoStoreError } from '../sqlite/errors.js'
import type { StoreName } from '../sqlite/store-name.js'
import type { StoreRepository } from '../sqlite/store-repository.js'
import type { TasksRepository } from '../tasks/tasks-repository.js'
import { readProjectId, registerWorkspaceProject } from './registration.js'
import { SOFT_REFERENCE_CHECKS } from './references.js'
import { AGENT_REAUTH_CHECK } from './keys.js'
import type { SignaldockRepository } from '../signaldock/signaldock-repository.js'
import { validate } from '../sqlite/validate.js'

const CheckSchema = z.custom<WorkspaceCheck>(
  (value) => typeof value === 'object' && value !== null && typeof (value as { run?: unknown }).run === 'function',
  'must be a check ({ name, run })',
)
/** Options of `ws.check` / `ws.repair`, strict (issue 14, item 9). */
const CheckOptionsSchema = z.strictObject({
  full: z.boolean().optional(),
  checks: z.array(CheckSchema).optional(),
  extraChecks: z.array(CheckSchema).optional(),
})

/** Throws `VALIDATION` naming an unknown or mistyped option of `ws.check` / `ws.repair`. */
export function checkCheckOptions(options: unknown, operation: 'workspace.check' | 'workspace.repair'): void {
  validate(CheckOptionsSchema, options, operation, { store: 'workspace' })
}

import type { WorkspaceCheck, WorkspaceCheckTarget, WorkspaceFinding, WorkspaceRepairAction } from './check-types.js'

export type { WorkspaceCheck, WorkspaceCheckTarget, WorkspaceFinding, WorkspaceFindingScope, WorkspaceRepairAction } from './check-types.js'

/** Findings of one store, and what was checked of it. */
export interface WorkspaceStoreReport {
  readonly ok: boolean
  /**
   * `sqlite`: SQLite's checks of the file (`sqlite.integrity`: `quick_check` or
   * `integrity_check`, `foreign_key_check`) ran, and the workspace checks.
   * `postgres`: the store is on a server; its schema was checked (`server.schema`:
   * migrations, constraints, indexes) and the workspace checks (registration, soft
   * references, keys) ran on it; the server's storage underneath is checked and
   * backed up with the server's own tools (docs/server.md).
   */
  readonly engine: 'sqlite' | 'postgres'
  /** The store's file (or `:memory:`), or its server target `postgres://user@host:port/db#schema` (never a password). */
  readonly location: string
  readonly findings: readonly WorkspaceFinding[]
}

/** Result of `ws.check()`. */
export interface WorkspaceCheckReport {
  /** True when no finding is an error. */
  readonly ok: boolean
  readonly mode: 'quick' | 'full'
  /** ISO-8601 UTC. */
  readonly checkedAt: string
  /** Names of the checks that ran. */
  readonly checks: readonly string[]
  /** Per open store. */
  readonly stores: Readonly<Partial<Record<StoreName, WorkspaceStoreReport>>>
  /** Every finding, stores and workspace. */
  readonly findings: readonly WorkspaceFinding[]
}

/** Result of `ws.repair()`. */
export interface WorkspaceRepairReport {
  /** What was done; empty when there was nothing to repair. */
  readonly actions: readonly WorkspaceRepairAction[]
  /** One line: `nothing to repair`, or what was done and what is left. */
  readonly summary: string
  readonly before: WorkspaceCheckReport
  readonly after: WorkspaceCheckReport
  /** Findings still there after the repair (those need a person, or a backup). */
  readonly remaining: readonly WorkspaceFinding[]
}

/** Options of `ws.check()`. */
export interface WorkspaceCheckOptions {
  /** Run `integrity_check` (reads every page and index) instead of `quick_check` (default false). */
  readonly full?: boolean
  /** Replace the built-in list of checks. */
  readonly checks?: readonly WorkspaceCheck[]
  /** Run these after the built-in (or given) checks. */
  readonly extraChecks?: readonly WorkspaceCheck[]
}

/** Options of `ws.repair()`; `full` defaults to true (index problems only show in a full check). */
export type WorkspaceRepairOptions = WorkspaceCheckOptions

const INDEX_PROBLEM = /missing from index|wrong # of entries in index|non-unique entry in index|in index .* (?:is out of order|stores an imprecise)/

/**
 * `sqlite.integrity`: SQLite's `quick_check` (or `integrity_check` with `full`) and
 * `foreign_key_check` on every open store. Findings whose problems are all index
 * problems are repairable: the repair runs `REINDEX`, which rebuilds indexes from the
 * table rows. Damaged tables and dangling foreign keys are not repairable.
 */
export const SQLITE_INTEGRITY_CHECK: WorkspaceCheck = Object.freeze({
  name: 'sqlite.integrity',
  description: 'quick_check/integrity_check and foreign_key_check of every open SQLite store',
  async run(target: WorkspaceCheckTarget): Promise<WorkspaceFinding[]> {
    const findings: WorkspaceFinding[] = []
    for (const [store, repo] of Object.entries(target.stores) as Array<[StoreName, StoreRepository<any>]>) {
      // A store on a server has no file: the server checks its own storage.
      if (repo.dialect !== 'sqlite') continue
      const report = await repo.integrityCheck({ quick: !target.full })
      if (report.problems.length > 0) {
        const onlyIndexes = report.problems.every((problem) => INDEX_PROBLEM.test(problem))
        findings.push({
          check: 'sqlite.integrity',
          store,
          severity: 'error',
          code: 'integrity',
          message: `${store}.db: ${report.problems.length} integrity problem(s): ${report.problems.slice(0, 3).join('; ')}${
            onlyIndexes ? ' (indexes only: REINDEX repairs them)' : ' (restore a backup: CleoWorkspace.restore)'
          }`,
          repairable: onlyIndexes,
          details: { problems: report.problems.slice(0, 100), onlyIndexes },
        })
      }
      if (report.foreignKeyViolations.length > 0) {
        findings.push({
          check: 'sqlite.integrity',
          store,
          severity: 'error',
          code: 'foreign-key',
          message: `${store}.db: ${report.foreignKeyViolations.length} row(s) reference missing parents (${[
            ...new Set(report.foreignKeyViolations.map((v) => `${v.table} → ${v.parent}`)),
          ].join(', ')})`,
          repairable: false,
          details: { violations: report.foreignKeyViolations.slice(0, 100) },
        })
      }
    }
    return findings
  },
  async repair(target: WorkspaceCheckTarget, findings: readonly WorkspaceFinding[]): Promise<WorkspaceRepairAction[]> {
    const actions: WorkspaceRepairAction[] = []
    const stores = new Set(findings.filter((f) => f.code === 'integrity' && f.repairable).map((f) => f.store))
    for (const store of stores) {
      const repo = target.stores[store as StoreName]
      if (!repo) continue
      await (repo.kysely as unknown as Kysely<unknown>).transaction().execute((trx) => sql`REINDEX`.execute(trx))
      actions.push({ check: 'sqlite.integrity', store, action: 'rebuilt every index (REINDEX)', changes: 0, ok: true })
    }
    return actions
  },
})

/**
 * `server.schema`: every store on a PostgreSQL server (signaldock included) — its
 * schema's migrations match this version's files, no constraint is left `NOT VALID`,
 * no index invalid (`integrityCheck()` of a server store). Not repairable here: the
 * server's own tools and a schema backup are the way out. The storage underneath is
 * the server's to check.
 */
export const SERVER_SCHEMA_CHECK: WorkspaceCheck = Object.freeze({
  name: 'server.schema',
  description: 'migrations, constraints and indexes of every store on a PostgreSQL server',
  async run(target: WorkspaceCheckTarget): Promise<WorkspaceFinding[]> {
    const onServer: Array<[StoreName, { integrityCheck(options: { quick?: boolean }): Promise<{ problems: readonly string[] }>; readonly path: string }]> = []
    for (const [store, repo] of Object.entries(target.stores) as Array<[StoreName, StoreRepository<any>]>) {
      if (repo.dialect === 'postgres') onServer.push([store, repo])
    }
    if (target.stores.signaldock === undefined && target.signaldock?.dialect === 'postgres') onServer.push(['signaldock', target.signaldock])
    const findings: WorkspaceFinding[] = []
    for (const [store, repo] of onServer) {
      const { problems } = await repo.integrityCheck({ quick: !target.full })
      if (problems.length === 0) continue
      findings.push({
        check: 'server.schema',
        store,
        severity: 'error',
        code: 'server-schema',
        message: `${store} (${repo.path}): ${problems.length} problem(s): ${problems.slice(0, 3).join('; ')}`,
        repairable: false,
        details: { problems: problems.slice(0, 100), location: repo.path },
      })
    }
    return findings
  },
})

/**
 * `nexus.registration`: this project is registered in nexus.db under the id kept in
 * its tasks.db, at its current path. Repair: register it again.
 */
export const NEXUS_REGISTRATION_CHECK: WorkspaceCheck = Object.freeze({
  name: 'nexus.registration',
  description: 'the project is registered in nexus.db under its id, at its path',
  async run(target: WorkspaceCheckTarget): Promise<WorkspaceFinding[]> {
    const { tasks, nexus } = storesOf(target)
    if (!tasks || !nexus) return []
    const finding = (code: string, message: string, details: Record<string, unknown>): WorkspaceFinding => ({
      check: 'nexus.registration',
      store: 'nexus',
      severity: 'warning',
      code,
      message,
      repairable: true,
      details,
    })
    const stored = await readProjectId(tasks)
    if (stored === null) {
      return [finding('project-id-missing', 'tasks.db holds no project id', { projectDir: target.projectDir })]
    }
    let row: NexusProject | null
    try {
      row = await nexus.projects.get(stored)
    } catch (error) {
      if (toCleoStoreError(error).code !== 'NOT_FOUND') throw error
      row = null
    }
    if (!row) {
      return [finding('project-unregistered', `project ${stored} is not in the nexus registry`, { projectId: stored })]
    }
    // On a server the project is one for every host and checkout: the row keeps the path
    // of the last host that opened it, so another path here is not a finding.
    if (row.path !== target.projectDir && tasks.dialect === 'sqlite') {
      return [
        finding('project-path-mismatch', `the registry has project ${stored} at ${row.path}, not ${target.projectDir}`, {
          projectId: stored,
          registeredPath: row.path,
        }),
      ]
    }
    return []
  },
  async repair(target: WorkspaceCheckTarget): Promise<WorkspaceRepairAction[]> {
    const { tasks, nexus } = storesOf(target)
    if (!tasks || !nexus) return []
    const { projectId, registration } = await registerWorkspaceProject({
      tasks,
      nexus,
      projectDir: target.projectDir,
      inMemory: target.inMemory,
    })
    return [
      {
        check: 'nexus.registration',
        store: 'nexus',
        action: `registered project ${projectId} at ${target.projectDir} (${registration.outcome})`,
        changes: 1,
        ok: true,
      },
    ]
  },
})

/**
 * `nexus.project-paths`: registered projects whose directory no longer exists are
 * marked `unreachable` (a warning; the repair changes only their health, never removes
 * them — they may be on a disk that is not mounted). Not run on a registry on a
 * server: its paths are the fleet's, most of them on other hosts.
 */
export const NEXUS_PROJECT_PATHS_CHECK: WorkspaceCheck = Object.freeze({
  name: 'nexus.project-paths',
  description: 'registered project directories exist',
  async run(target: WorkspaceCheckTarget): Promise<WorkspaceFinding[]> {
    const { nexus } = storesOf(target)
    // A registry on a server holds every host's paths: this host cannot tell a vanished one.
    if (!nexus || nexus.dialect !== 'sqlite') return []
    const findings: WorkspaceFinding[] = []
    for await (const project of allProjects(nexus)) {
      if (project.health === 'unreachable' || existsSync(project.path)) continue
      findings.push({
        check: 'nexus.project-paths',
        store: 'nexus',
        severity: 'warning',
        code: 'project-path-missing',
        message: `registered project ${project.name} (${project.id}): ${project.path} does not exist`,
        repairable: true,
        details: { projectId: project.id, path: project.path },
      })
    }
    return findings
  },
  async repair(target: WorkspaceCheckTarget, findings: readonly WorkspaceFinding[]): Promise<WorkspaceRepairAction[]> {
    const { nexus } = storesOf(target)
    if (!nexus) return []
    const actions: WorkspaceRepairAction[] = []
    for (const finding of findings) {
      const id = String(finding.details?.['projectId'])
      const path = String(finding.details?.['path'])
      if (existsSync(path)) continue
      await nexus.projects.updateHealth(id, { status: 'unreachable', reason: `directory not found: ${path}` })
      actions.push({ check: 'nexus.project-paths', store: 'nexus', action: `marked project ${id} unreachable`, changes: 1, ok: true })
    }
    return actions
  },
})

/**
 * The built-in checks, in the order they run. Later checks (cross-store soft
 * references) are appended here.
 */
export const WORKSPACE_CHECKS: readonly WorkspaceCheck[] = Object.freeze([
  SQLITE_INTEGRITY_CHECK,
  SERVER_SCHEMA_CHECK,
  NEXUS_REGISTRATION_CHECK,
  NEXUS_PROJECT_PATHS_CHECK,
  ...SOFT_REFERENCE_CHECKS,
  AGENT_REAUTH_CHECK,
])

function storesOf(target: WorkspaceCheckTarget): { tasks?: TasksRepository; nexus?: NexusRepository } {
  return {
    ...(target.stores.tasks ? { tasks: target.stores.tasks as TasksRepository } : {}),
    ...(target.stores.nexus ? { nexus: target.stores.nexus as NexusRepository } : {}),
  }
}

async function* allProjects(nexus: NexusRepository): AsyncGenerator<NexusProject> {
  const limit = 1000
  for (let offset = 0; ; offset += limit) {
    const page = await nexus.projects.list({ limit, offset })
    yield* page
    if (page.length < limit) return
  }
}

function selectChecks(options: WorkspaceCheckOptions): readonly WorkspaceCheck[] {
  const checks = [...(options.checks ?? WORKSPACE_CHECKS), ...(options.extraChecks ?? [])]
  const names = new Set<string>()
  for (const check of checks) {
    if (names.has(check.name)) {
      throw new CleoStoreError('VALIDATION', `two workspace checks are named ${JSON.stringify(check.name)}`, {
        store: 'workspace',
        details: { path: ['checks'], name: check.name },
      })
    }
    names.add(check.name)
  }
  return checks
}

/**
 * Runs `checks` over `target` and gathers the findings. A check that throws becomes an
 * error finding (`check-failed`) instead of hiding the others.
 *
 * @example
 * ```ts
 * const report = await checkWorkspace(target, WORKSPACE_CHECKS)
 * ```
 */
export async function checkWorkspace(target: WorkspaceCheckTarget, options: WorkspaceCheckOptions = {}): Promise<WorkspaceCheckReport> {
  const checks = selectChecks(options)
  const findings: WorkspaceFinding[] = []
  for (const check of checks) {
    try {
      findings.push(...(await check.run(target)))
    } catch (error) {
      const translated = toCleoStoreError(error)
      findings.push({
        check: check.name,
        store: (translated.store as StoreName | undefined) ?? 'workspace',
        severity: 'error',
        code: 'check-failed',
        message: `check ${check.name} failed: ${translated.message}`,
        repairable: false,
        details: { errorCode: translated.code },
      })
    }
  }
  const located: Array<[StoreName, { readonly dialect: 'sqlite' | 'postgres'; readonly path: string }]> = Object.entries(target.stores) as Array<
    [StoreName, StoreRepository<any>]
  >
  // signaldock on a server is not a file store, but the workspace checks read it.
  if (target.stores.signaldock === undefined && target.signaldock?.dialect === 'postgres') located.push(['signaldock', target.signaldock])
  const stores: Partial<Record<StoreName, WorkspaceStoreReport>> = {}
  for (const [store, repo] of located) {
    const own = findings.filter((f) => f.store === store)
    stores[store] = { ok: !own.some((f) => f.severity === 'error'), engine: repo.dialect, location: repo.path, findings: own }
  }
  return {
    ok: !findings.some((f) => f.severity === 'error'),
    mode: target.full ? 'full' : 'quick',
    checkedAt: toIso(target.clock()),
    checks: checks.map((c) => c.name),
    stores,
    findings,
  }
}

/**
 * Checks, lets every check repair its repairable findings, checks again, and reports
 * what was done and what is left.
 *
 * @example
 * ```ts
 * const { summary, remaining } = await repairWorkspace(target)
 * ```
 */
export async function repairWorkspace(target: WorkspaceCheckTarget, options: WorkspaceRepairOptions = {}): Promise<WorkspaceRepairReport> {
  const checks = selectChecks(options)
  const before = await checkWorkspace(target, { checks })
  const actions: WorkspaceRepairAction[] = []
  for (const check of checks) {
    const mine = before.findings.filter((f) => f.check === check.name && f.repairable)
    if (mine.length === 0 || !check.repair) continue
    try {
      actions.push(...(await check.repair(target, mine)))
    } catch (error) {
      const translated = toCleoStoreError(error)
      actions.push({
        check: check.name,
        store: (translated.store as StoreName | undefined) ?? 'workspace',
        action: `repair of ${mine.length} finding(s) failed`,
        changes: 0,
        ok: false,
        error: translated.message,
      })
    }
  }
  const after = actions.length === 0 ? before : await checkWorkspace(target, { checks })
  const failed = actions.filter((a) => !a.ok).length
  const summary =
    actions.length === 0
      ? before.findings.length === 0
        ? 'nothing to repair'
        : `nothing repairable: ${before.findings.length} finding(s) need attention`
      : `${actions.length - failed} repair(s) done${failed > 0 ? `, ${failed} failed` : ''}; ${after.findings.length} finding(s) left`
  return { actions, summary, before, after, remaining: after.findings }
}
