/**
 * The shapes shared by the workspace checks: a check, what it sees, what it finds and
 * what its repair did. They live apart from `integrity.ts` (which runs the checks) so
 * that the check modules (`references.ts`, …) and the runner import them without
 * importing each other.
 *
 * @module
 */
import type { SignaldockRepository } from '../signaldock/signaldock-repository.js'
import type { Clock } from '../sqlite/clock.js'
import type { StoreName } from '../sqlite/store-name.js'
import type { StoreRepository } from '../sqlite/store-repository.js'

/** Where a finding was made: a store, or the workspace as a whole. */
export type WorkspaceFindingScope = StoreName | 'workspace'

/** One problem found by a check. */
export interface WorkspaceFinding {
  /** Name of the check that made it. */
  readonly check: string
  readonly store: WorkspaceFindingScope
  /** `error`: data is wrong or at risk; `warning`: stale or untidy, nothing lost. */
  readonly severity: 'error' | 'warning'
  /** Machine-readable kind, e.g. `integrity`, `foreign-key`, `project-unregistered`. */
  readonly code: string
  readonly message: string
  /** True when the check's `repair` can fix it safely. */
  readonly repairable: boolean
  readonly details?: Readonly<Record<string, unknown>>
}

/** What a check sees: the open stores of one workspace. */
export interface WorkspaceCheckTarget {
  /** Real path of the project directory. */
  readonly projectDir: string
  /** The project's stable id. */
  readonly projectId: string
  /** True for an in-memory workspace. */
  readonly inMemory: boolean
  /**
   * Every open store (telemetry only when opted in), local or on a server (see each
   * repository's `dialect`); signaldock on a server is in {@link signaldock} only.
   */
  readonly stores: Readonly<Partial<Record<StoreName, StoreRepository<any>>>>
  /** The signaldock repository, local or on PostgreSQL (for checks that need agents). */
  readonly signaldock?: SignaldockRepository
  /** `integrity_check` instead of `quick_check`. */
  readonly full: boolean
  /** The workspace's clock (epoch ms). */
  readonly clock: Clock
}

/** One thing a repair did (or tried). */
export interface WorkspaceRepairAction {
  readonly check: string
  readonly store: WorkspaceFindingScope
  /** What was done, in words. */
  readonly action: string
  /** Rows or objects changed, when known. */
  readonly changes: number
  /** False when the repair failed; `error` says why. */
  readonly ok: boolean
  readonly error?: string
}

/**
 * A pluggable workspace check.
 *
 * @example
 * ```ts
 * const noEmptyNames: WorkspaceCheck = {
 *   name: 'nexus.names',
 *   description: 'registered projects have a name',
 *   async run(target) {
 *     return [] // WorkspaceFinding[]
 *   },
 * }
 * await ws.check({ extraChecks: [noEmptyNames] })
 * ```
 */
export interface WorkspaceCheck {
  /** Unique, dotted (`sqlite.integrity`, `brain.memory-links`). */
  readonly name: string
  readonly description: string
  run(target: WorkspaceCheckTarget): Promise<readonly WorkspaceFinding[]>
  /** Fixes the given repairable findings of this check; returns what it did. */
  repair?(target: WorkspaceCheckTarget, findings: readonly WorkspaceFinding[]): Promise<readonly WorkspaceRepairAction[]>
}
