/**
 * Plain types of every nexus.db input (what `nexus.schemas.ts` accepts, before defaults). The root
 * module's types come from here, not from zod; `test/types/nexus.types.test-d.ts` keeps each one equal
 * to its schema.
 *
 * @module
 */
import type { TimeInput } from '../sqlite/time-input.types.js'

/** `unknown` | `healthy` | `degraded` | `unreachable`. */
export type NexusProjectHealth = 'unknown' | 'degraded' | 'healthy' | 'unreachable'

/** `read` | `write` | `execute`. */
export type NexusProjectPermission = 'read' | 'write' | 'execute'

/** Input of `nexus.projects.register`. */
export interface RegisterNexusProjectInput {
  /** The project's stable id. */
  projectId: string
  /** Absolute path of the project directory; resolved to its real path when it exists. */
  path: string
  /** Display name (default: the directory's base name). Names need not be unique. */
  name?: string | undefined
  permissions?: NexusProjectPermission | undefined
  labels?: string[] | undefined
  taskCount?: number | undefined
  /** Path of the project's tasks.db (CLEO's `tasks_db_path`; the workspace fills it). */
  tasksDbPath?: string | undefined | null
  /** Path of the project's brain.db (CLEO's `brain_db_path`). */
  brainDbPath?: string | undefined | null
  /** When `taskCount` was counted: a Date, epoch ms or ISO-8601 string. */
  lastIndexed?: TimeInput | undefined
  /** When the row was synchronised: a Date, epoch ms or ISO-8601 string. */
  lastSync?: TimeInput | undefined
}

/** Input of `nexus.projects.update`. */
export interface UpdateNexusProjectInput {
  name?: string | undefined
  permissions?: NexusProjectPermission | undefined
  labels?: string[] | undefined
  taskCount?: number | undefined
  stats?: Record<string, number> | undefined
}

/** Input of `nexus.projects.updateHealth`. */
export interface UpdateNexusProjectHealthInput {
  status: NexusProjectHealth
  reason?: string | undefined | null
}

/** Options of `nexus.projects.list`. */
export interface ListNexusProjectsOptions {
  health?: NexusProjectHealth | undefined
  orderBy?: 'name' | 'lastSeen' | undefined
  limit?: number | undefined
  offset?: number | undefined
}

/** Input of `nexus.audit.append`. */
export interface AppendNexusAuditInput {
  /** What happened, e.g. `project.registered`. */
  action: string
  projectId?: string | undefined | null
  projectHash?: string | undefined | null
  domain?: string | undefined | null
  operation?: string | undefined | null
  sessionId?: string | undefined | null
  requestId?: string | undefined | null
  source?: string | undefined | null
  /** Where the operation came from (CLEO's `gateway`: `cli`, `mcp`, …). */
  gateway?: string | undefined | null
  success?: boolean | undefined
  durationMs?: number | undefined | null
  details?: Record<string, unknown> | undefined | null
  errorMessage?: string | undefined | null
}

/** Options of `nexus.audit.list`. */
export interface ListNexusAuditOptions {
  projectId?: string | undefined
  action?: string | undefined
  sessionId?: string | undefined
  /** Inclusive lower bound: a `Date`, epoch ms or ISO-8601. */
  since?: TimeInput | undefined
  /** Exclusive upper bound: a `Date`, epoch ms or ISO-8601. */
  until?: TimeInput | undefined
  order?: 'asc' | 'desc' | undefined
  limit?: number | undefined
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined
}

/** A warp chain definition as written by callers (defaults not yet applied). */
export interface WarpChainDefinitionInput {
  stages: { id: string; name?: string | undefined; description?: string | undefined; gates?: { id: string; description?: string | undefined; required?: boolean | undefined }[] | undefined }[]
  entryPoint: string
  exitPoints: string[]
  links?: { from: string; to: string; condition?: string | undefined }[] | undefined
  variables?: Record<string, { type: 'string' | 'number' | 'boolean'; required?: boolean | undefined; default?: string | number | boolean | undefined; description?: string | undefined; }> | undefined
}

/** Input of `nexus.chains.define`. */
export interface DefineWarpChainInput {
  name: string
  definition: WarpChainDefinitionInput
  description?: string | undefined | null
}

/** `pass` | `fail` | `warn`. */
export type WarpGateOutcome = 'pass' | 'fail' | 'warn'

/** Input of `nexus.instances.create`. */
export interface CreateWarpChainInstanceInput {
  chainId?: string | undefined
  chainName?: string | undefined
  projectId?: string | undefined | null
  epicId?: string | undefined | null
  variables?: Record<string, string | number | boolean> | undefined
}

/** Input of `nexus.instances.assignTask`. */
export interface AssignWarpStageTaskInput {
  stage: string
  taskId: string
  projectId?: string | undefined | null
  expectedVersion?: number | undefined
}

/** Input of `nexus.instances.recordGate`. */
export interface RecordWarpGateInput {
  stage: string
  gate: string
  result: WarpGateOutcome
  note?: string | undefined | null
  /** Who judged the gate (an agent id). */
  by?: string | undefined | null
  expectedVersion?: number | undefined
}

/** Input of `nexus.instances.advance`. */
export interface AdvanceWarpInstanceInput {
  /** The next stage: one linked from the current stage. */
  to: string
  expectedVersion?: number | undefined
}

/** Input of the status changes `start`, `complete`, `fail`, `cancel`. */
export interface WarpInstanceTransitionInput {
  reason?: string | undefined | null
  expectedVersion?: number | undefined
}

/** Status of an instance. */
export type WarpChainInstanceStatus = 'pending' | 'active' | 'cancelled' | 'completed' | 'failed'

/** Options of `nexus.instances.list`. */
export interface ListWarpChainInstancesOptions {
  chainId?: string | undefined
  projectId?: string | undefined
  status?: WarpChainInstanceStatus | undefined
  limit?: number | undefined
}
