/**
 * zod schemas of every public nexus.db input and JSON column.
 *
 * @module
 */
import { z } from 'zod'

import type * as Types from './nexus.types.js'

import { timeInput } from '../sqlite/time-input.js'

import type { WarpChainDefinition } from './warp-chain-definition.js'
import { warpChainProblems } from './warp-chain-definition.js'

/** Health of a registered project. */
export const NexusProjectHealthSchema = z.enum(['unknown', 'healthy', 'degraded', 'unreachable'])
/** `unknown` | `healthy` | `degraded` | `unreachable`. */
export type NexusProjectHealth = Types.NexusProjectHealth

/** What other projects may do with a registered project, from least to most. */
export const NexusProjectPermissionSchema = z.enum(['read', 'write', 'execute'])
/** `read` | `write` | `execute`. */
export type NexusProjectPermission = Types.NexusProjectPermission

const text = (max: number) => z.string().min(1).max(max)
/** A project id: what `CleoWorkspace` keeps in tasks.db (a UUIDv7), or any id of 1–128 characters. */
export const NexusProjectIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits, and . _ : - only')
const labels = z.array(text(100)).max(100)
/** Named non-negative counts of a project (`stats_json`). */
export const NexusProjectStatsSchema = z.record(z.string().min(1).max(100), z.int().min(0))

/** Input of `nexus.projects.register`. */
/**
 * A time input: a `Date`, epoch milliseconds or an ISO-8601 string (with offset) →
 * epoch milliseconds.
 *
 * @example
 * ```ts
 * NexusTimeInputSchema.parse('2026-01-01T00:00:00Z') // 1767225600000
 * ```
 */
export const NexusTimeInputSchema = z.union([
  z.date().transform((d) => d.getTime()),
  z.int().min(0),
  z.iso.datetime({ offset: true }).transform((iso) => Date.parse(iso)),
])

export const RegisterNexusProjectInputSchema = z.strictObject({
  /** The project's stable id. */
  projectId: NexusProjectIdSchema,
  /** Absolute path of the project directory; resolved to its real path when it exists. */
  path: z.string().min(1).max(4096),
  /** Display name (default: the directory's base name). Names need not be unique. */
  name: text(200).optional(),
  permissions: NexusProjectPermissionSchema.optional(),
  labels: labels.optional(),
  taskCount: z.int().min(0).optional(),
  /** Path of the project's tasks.db (CLEO's `tasks_db_path`; the workspace fills it). */
  tasksDbPath: z.string().min(1).max(4096).nullable().optional(),
  /** Path of the project's brain.db (CLEO's `brain_db_path`). */
  brainDbPath: z.string().min(1).max(4096).nullable().optional(),
  /** When `taskCount` was counted: a Date, epoch ms or ISO-8601 string. */
  lastIndexed: NexusTimeInputSchema.optional(),
  /** When the row was synchronised: a Date, epoch ms or ISO-8601 string. */
  lastSync: NexusTimeInputSchema.optional(),
})
/** Input of `nexus.projects.register`. */
export type RegisterNexusProjectInput = Types.RegisterNexusProjectInput

/** Input of `nexus.projects.update`. */
export const UpdateNexusProjectInputSchema = z.strictObject({
  name: text(200).optional(),
  permissions: NexusProjectPermissionSchema.optional(),
  labels: labels.optional(),
  taskCount: z.int().min(0).optional(),
  stats: NexusProjectStatsSchema.optional(),
})
/** Input of `nexus.projects.update`. */
export type UpdateNexusProjectInput = Types.UpdateNexusProjectInput

/** Input of `nexus.projects.updateHealth`. */
export const UpdateNexusProjectHealthInputSchema = z.strictObject({
  status: NexusProjectHealthSchema,
  reason: z.string().max(1000).nullable().optional(),
})
/** Input of `nexus.projects.updateHealth`. */
export type UpdateNexusProjectHealthInput = Types.UpdateNexusProjectHealthInput

/** Options of `nexus.projects.list`. */
export const ListNexusProjectsOptionsSchema = z.strictObject({
  health: NexusProjectHealthSchema.optional(),
  orderBy: z.enum(['name', 'lastSeen']).default('name'),
  limit: z.int().min(1).max(10_000).default(1000),
  offset: z.int().min(0).default(0),
})
/** Options of `nexus.projects.list`. */
export type ListNexusProjectsOptions = Types.ListNexusProjectsOptions

/** `details_json` of an audit entry: a JSON object. */
export const NexusAuditDetailsSchema = z.record(z.string(), z.unknown())

/** Input of `nexus.audit.append`. */
export const AppendNexusAuditInputSchema = z.strictObject({
  /** What happened, e.g. `project.registered`. */
  action: text(100),
  projectId: z.string().max(128).nullable().optional(),
  projectHash: z.string().max(64).nullable().optional(),
  domain: z.string().max(100).nullable().optional(),
  operation: z.string().max(100).nullable().optional(),
  sessionId: z.string().max(128).nullable().optional(),
  requestId: z.string().max(128).nullable().optional(),
  source: z.string().max(200).nullable().optional(),
  /** Where the operation came from (CLEO's `gateway`: `cli`, `mcp`, …). */
  gateway: z.string().min(1).max(200).nullable().optional(),
  success: z.boolean().default(true),
  durationMs: z.int().min(0).nullable().optional(),
  details: NexusAuditDetailsSchema.nullable().optional(),
  errorMessage: z.string().max(4000).nullable().optional(),
})
/** Input of `nexus.audit.append`. */
export type AppendNexusAuditInput = Types.AppendNexusAuditInput

/** Options of `nexus.audit.list`. */
export const ListNexusAuditOptionsSchema = z.strictObject({
  projectId: z.string().max(128).optional(),
  action: z.string().max(100).optional(),
  sessionId: z.string().max(128).optional(),
  /** Inclusive lower bound: a `Date`, epoch ms or ISO-8601. */
  since: timeInput.optional(),
  /** Exclusive upper bound: a `Date`, epoch ms or ISO-8601. */
  until: timeInput.optional(),
  order: z.enum(['asc', 'desc']).default('desc'),
  limit: z.int().min(1).max(10_000).default(100),
  /** The `nextCursor` of the previous page. */
  cursor: z.string().min(1).max(200).optional(),
})
/** Options of `nexus.audit.list`. */
export type ListNexusAuditOptions = Types.ListNexusAuditOptions

/** Identifiers of stages, gates and variables. */
export const WarpChainIdentSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'a letter, then up to 63 letters, digits, _ . -')

const gate = z.strictObject({
  id: WarpChainIdentSchema,
  description: z.string().max(2000).optional(),
  required: z.boolean().default(true),
})
const stage = z.strictObject({
  id: WarpChainIdentSchema,
  name: z.string().min(1).max(200).optional(),
  description: z.string().max(2000).optional(),
  gates: z.array(gate).max(50).default([]),
})
const link = z.strictObject({
  from: WarpChainIdentSchema,
  to: WarpChainIdentSchema,
  condition: z.string().max(2000).optional(),
})
const variable = z.strictObject({
  type: z.enum(['string', 'number', 'boolean']),
  required: z.boolean().default(false),
  default: z.union([z.string().max(10_000), z.number(), z.boolean()]).optional(),
  description: z.string().max(2000).optional(),
})

/**
 * A warp chain definition: stages (with gates), links, entry point, exit points and
 * variables. Beyond field types it checks the graph (see `warpChainProblems`): unique
 * ids, known stages, no cycle, everything reachable, no dead end.
 *
 * @example
 * ```ts
 * WarpChainDefinitionSchema.parse({
 *   stages: [{ id: 'plan' }, { id: 'build', gates: [{ id: 'tests' }] }],
 *   links: [{ from: 'plan', to: 'build' }],
 *   entryPoint: 'plan',
 *   exitPoints: ['build'],
 * })
 * ```
 */
export const WarpChainDefinitionSchema = z
  .strictObject({
    stages: z.array(stage).min(1).max(200),
    links: z.array(link).max(1000).default([]),
    entryPoint: WarpChainIdentSchema,
    exitPoints: z.array(WarpChainIdentSchema).min(1).max(200),
    variables: z.record(WarpChainIdentSchema, variable).default({}),
  })
  .superRefine((definition, ctx) => {
    for (const problem of warpChainProblems(definition as WarpChainDefinition)) {
      ctx.addIssue({ code: 'custom', message: problem.message, path: [...problem.path] })
    }
  })
/** A warp chain definition as written by callers (defaults not yet applied). */
export type WarpChainDefinitionInput = Types.WarpChainDefinitionInput

/** Input of `nexus.chains.define`. */
export const DefineWarpChainInputSchema = z.strictObject({
  name: text(200),
  description: z.string().max(10_000).nullable().optional(),
  definition: WarpChainDefinitionSchema,
})
/** Input of `nexus.chains.define`. */
export type DefineWarpChainInput = Types.DefineWarpChainInput

/** A variable value of an instance. */
export const WarpChainVariableValueSchema = z.union([z.string().max(10_000), z.number(), z.boolean()])
/** `variables_json` of an instance. */
export const WarpChainVariablesSchema = z.record(WarpChainIdentSchema, WarpChainVariableValueSchema)

/** A task that carries out one stage of an instance. */
export const WarpChainStageTaskSchema = z.strictObject({
  taskId: text(128),
  /** The project holding the task (default: the instance's project). */
  projectId: z.string().max(128).nullable().default(null),
})
/** `stage_tasks_json`: stage id → task. */
export const WarpChainStageTasksSchema = z.record(WarpChainIdentSchema, WarpChainStageTaskSchema)

/** Result of a gate. `warn` lets the instance move on; `fail` does not. */
export const WarpGateOutcomeSchema = z.enum(['pass', 'fail', 'warn'])
/** `pass` | `fail` | `warn`. */
export type WarpGateOutcome = Types.WarpGateOutcome

/** One element of `gate_results_json` (as stored: `at` in epoch ms). */
export const StoredWarpGateResultSchema = z.strictObject({
  stage: WarpChainIdentSchema,
  gate: WarpChainIdentSchema,
  result: WarpGateOutcomeSchema,
  note: z.string().max(2000).nullable(),
  by: z.string().max(128).nullable(),
  at: z.int(),
})
/** `gate_results_json` as stored. */
export const StoredWarpGateResultsSchema = z.array(StoredWarpGateResultSchema)

const expectedVersion = z.int().min(1).optional()

/** Input of `nexus.instances.create`: name a chain version by id, or a chain by name (its latest version). */
export const CreateWarpChainInstanceInputSchema = z
  .strictObject({
    chainId: z.string().length(36).optional(),
    chainName: text(200).optional(),
    projectId: z.string().max(128).nullable().optional(),
    epicId: text(128).nullable().optional(),
    variables: WarpChainVariablesSchema.default({}),
  })
  .refine((input) => (input.chainId === undefined) !== (input.chainName === undefined), {
    message: 'give exactly one of chainId and chainName',
    path: ['chainId'],
  })
/** Input of `nexus.instances.create`. */
export type CreateWarpChainInstanceInput = Types.CreateWarpChainInstanceInput

/** Input of `nexus.instances.assignTask`. */
export const AssignWarpStageTaskInputSchema = z.strictObject({
  stage: WarpChainIdentSchema,
  taskId: text(128),
  projectId: z.string().max(128).nullable().optional(),
  expectedVersion,
})
/** Input of `nexus.instances.assignTask`. */
export type AssignWarpStageTaskInput = Types.AssignWarpStageTaskInput

/** Input of `nexus.instances.recordGate`. */
export const RecordWarpGateInputSchema = z.strictObject({
  stage: WarpChainIdentSchema,
  gate: WarpChainIdentSchema,
  result: WarpGateOutcomeSchema,
  note: z.string().max(2000).nullable().optional(),
  /** Who judged the gate (an agent id). */
  by: z.string().max(128).nullable().optional(),
  expectedVersion,
})
/** Input of `nexus.instances.recordGate`. */
export type RecordWarpGateInput = Types.RecordWarpGateInput

/** Input of `nexus.instances.advance`. */
export const AdvanceWarpInstanceInputSchema = z.strictObject({
  /** The next stage: one linked from the current stage. */
  to: WarpChainIdentSchema,
  expectedVersion,
})
/** Input of `nexus.instances.advance`. */
export type AdvanceWarpInstanceInput = Types.AdvanceWarpInstanceInput

/** Input of the status changes `start`, `complete`, `fail`, `cancel`. */
export const WarpInstanceTransitionInputSchema = z.strictObject({
  reason: z.string().max(1000).nullable().optional(),
  expectedVersion,
})
/** Input of the status changes `start`, `complete`, `fail`, `cancel`. */
export type WarpInstanceTransitionInput = Types.WarpInstanceTransitionInput

/** Status of an instance. `completed`, `failed` and `cancelled` are final. */
export const WarpChainInstanceStatusSchema = z.enum(['pending', 'active', 'completed', 'failed', 'cancelled'])
/** Status of an instance. */
export type WarpChainInstanceStatus = Types.WarpChainInstanceStatus

/** Options of `nexus.instances.list`. */
export const ListWarpChainInstancesOptionsSchema = z.strictObject({
  chainId: z.string().optional(),
  projectId: z.string().optional(),
  status: WarpChainInstanceStatusSchema.optional(),
  limit: z.int().min(1).max(10_000).default(100),
})
/** Options of `nexus.instances.list`. */
export type ListWarpChainInstancesOptions = Types.ListWarpChainInstancesOptions
