/**
 * Warp chain instances: runs of one chain version. An instance starts `pending` in the
 * chain's entry point, becomes `active`, moves along the chain's links as its gates pass,
 * and ends `completed` (in an exit point), `failed` or `cancelled`.
 *
 * Every change is one write transaction that reads the row, checks the rule, and writes;
 * callers may pass `expectedVersion` (optimistic concurrency, `CONFLICT` when stale).
 * The status rules are enforced twice: here, with a clear `INVARIANT` error, and by
 * triggers in nexus.db, so a write through `nexus.kysely` cannot break them either:
 *
 * | from | to |
 * | --- | --- |
 * | pending | active, cancelled |
 * | active | completed, failed, cancelled |
 * | completed, failed, cancelled | — (final: nothing about the instance changes any more) |
 *
 * @module
 */
import type { z } from 'zod'

import { toIso, toIsoOrNull } from '../sqlite/clock.js'
import { CleoStoreError } from '../sqlite/errors.js'
import { fromJson, toJson } from '../sqlite/json.js'
import { template } from '../sqlite/query-template.js'
import type { Executor, Step } from '../sqlite/store-engine.js'
import { validate } from '../sqlite/validate.js'
import type { NexusParts } from './nexus-parts.js'
import type {
  AdvanceWarpInstanceInput,
  AssignWarpStageTaskInput,
  CreateWarpChainInstanceInput,
  ListWarpChainInstancesOptions,
  RecordWarpGateInput,
  WarpChainInstanceStatus,
  WarpGateOutcome,
  WarpInstanceTransitionInput,
} from './nexus.types.js'
import {
  AdvanceWarpInstanceInputSchema,
  AssignWarpStageTaskInputSchema,
  CreateWarpChainInstanceInputSchema,
  ListWarpChainInstancesOptionsSchema,
  RecordWarpGateInputSchema,
  StoredWarpGateResultsSchema,
  WarpChainStageTasksSchema,
  WarpChainVariablesSchema,
  WarpInstanceTransitionInputSchema,
} from './nexus.schemas.js'
import type { NexusDatabase, WarpChainInstancesTable, WarpChainsTable } from './nexus.tables.js'
import type { WarpChainDefinition } from './warp-chain-definition.js'
import { warpChainSuccessors } from './warp-chain-definition.js'
import { parseWarpChainRow } from './warp-chains.js'

/** The task that carries out a stage. */
export interface WarpStageTask {
  readonly taskId: string
  /** The project holding the task, or null for the instance's own project. */
  readonly projectId: string | null
}

/** One recorded gate result. */
export interface WarpGateResult {
  readonly stage: string
  readonly gate: string
  readonly result: WarpGateOutcome
  readonly note: string | null
  readonly by: string | null
  /** ISO-8601 UTC. */
  readonly at: string
}

/** One run of a warp chain version. */
export interface WarpChainInstance {
  readonly id: string
  readonly chainId: string
  readonly projectId: string | null
  /** The epic (task id) this run serves, if any. */
  readonly epicId: string | null
  readonly status: WarpChainInstanceStatus
  readonly currentStage: string
  readonly variables: Readonly<Record<string, string | number | boolean>>
  /** Stage id → the task that carries it out. */
  readonly stageTasks: Readonly<Record<string, WarpStageTask>>
  /** Every gate result, oldest first. */
  readonly gateResults: readonly WarpGateResult[]
  /** Why it failed or was cancelled. */
  readonly statusReason: string | null
  /** Incremented by every change (for `expectedVersion`). */
  readonly version: number
  /** ISO-8601 UTC. */
  readonly createdAt: string
  /** ISO-8601 UTC. */
  readonly updatedAt: string
  /** ISO-8601 UTC, when it became active. */
  readonly startedAt: string | null
  /** ISO-8601 UTC, when it completed, failed or was cancelled. */
  readonly finishedAt: string | null
}

/** Gate results kept per instance at most. */
export const MAX_WARP_GATE_RESULTS = 1000

const FINAL: ReadonlySet<WarpChainInstanceStatus> = new Set(['completed', 'failed', 'cancelled'])
const ALLOWED: Readonly<Record<WarpChainInstanceStatus, readonly WarpChainInstanceStatus[]>> = {
  pending: ['active', 'cancelled'],
  active: ['completed', 'failed', 'cancelled'],
  completed: [],
  failed: [],
  cancelled: [],
}

/**
 * True when an instance may go from status `from` to `to` (the table in this module's
 * documentation; the same rule as the trigger in nexus.db).
 *
 * @example
 * ```ts
 * isWarpTransitionAllowed('pending', 'active')   // true
 * isWarpTransitionAllowed('completed', 'active') // false
 * ```
 */
export function isWarpTransitionAllowed(from: WarpChainInstanceStatus, to: WarpChainInstanceStatus): boolean {
  return ALLOWED[from].includes(to)
}

const BY_ID = template<NexusDatabase, { id: string }>()((db, p) =>
  db.selectFrom('warp_chain_instances').selectAll().where('id', '=', p('id')),
)
const CHAIN_BY_ID = template<NexusDatabase, { id: string }>()((db, p) =>
  db.selectFrom('warp_chains').selectAll().where('id', '=', p('id')),
)
const LATEST_CHAIN = template<NexusDatabase, { name: string }>()((db, p) =>
  db.selectFrom('warp_chains').selectAll().where('name', '=', p('name')).orderBy('version', 'desc').limit(1),
)
const PROJECT_EXISTS = template<NexusDatabase, { id: string }>()((db, p) =>
  db.selectFrom('project_registry').select('project_id').where('project_id', '=', p('id')),
)
const INSERT = template<NexusDatabase, WarpChainInstancesTable>()((db, p) =>
  db.insertInto('warp_chain_instances').values({
    id: p('id'),
    chain_id: p('chain_id'),
    project_id: p('project_id'),
    epic_id: p('epic_id'),
    status: p('status'),
    current_stage: p('current_stage'),
    variables_json: p('variables_json'),
    stage_tasks_json: p('stage_tasks_json'),
    gate_results_json: p('gate_results_json'),
    status_reason: p('status_reason'),
    version: p('version'),
    created_at: p('created_at'),
    updated_at: p('updated_at'),
    started_at: p('started_at'),
    finished_at: p('finished_at'),
  }),
)
type Mutable = Pick<
  WarpChainInstancesTable,
  'id' | 'status' | 'current_stage' | 'stage_tasks_json' | 'gate_results_json' | 'status_reason' | 'version' | 'updated_at' | 'started_at' | 'finished_at'
>
const UPDATE = template<NexusDatabase, Mutable & { expected: number }>()((db, p) =>
  db
    .updateTable('warp_chain_instances')
    .set({
      status: p('status'),
      current_stage: p('current_stage'),
      stage_tasks_json: p('stage_tasks_json'),
      gate_results_json: p('gate_results_json'),
      status_reason: p('status_reason'),
      version: p('version'),
      updated_at: p('updated_at'),
      started_at: p('started_at'),
      finished_at: p('finished_at'),
    })
    .where('id', '=', p('id'))
    .where('version', '=', p('expected')),
)
const DELETE = template<NexusDatabase, { id: string }>()((db, p) =>
  db.deleteFrom('warp_chain_instances').where('id', '=', p('id')),
)

type StoredGate = z.output<typeof StoredWarpGateResultsSchema>[number]

interface Loaded {
  readonly row: WarpChainInstancesTable
  readonly definition: WarpChainDefinition
  readonly gates: StoredGate[]
  readonly stageTasks: z.output<typeof WarpChainStageTasksSchema>
}

/**
 * `nexus.instances`: run warp chains.
 *
 * @example
 * ```ts
 * const run = await ws.nexus.instances.create({ chainName: 'feature', projectId: ws.projectId })
 * await ws.nexus.instances.start(run.id)
 * await ws.nexus.instances.recordGate(run.id, { stage: 'plan', gate: 'approved', result: 'pass' })
 * await ws.nexus.instances.advance(run.id, { to: 'build' })
 * ```
 */
export class WarpChainInstances {
  readonly #parts: NexusParts

  /** @internal */
  constructor(parts: NexusParts) {
    this.#parts = parts
  }

  /**
   * Creates a `pending` instance of a chain version (by `chainId`) or of the newest
   * version of a chain (by `chainName`), in the chain's entry point. Variables are checked
   * against the chain's declarations: unknown names, wrong types and missing required
   * ones are `VALIDATION` errors; declared defaults fill the gaps. A `projectId` must be
   * registered (`NOT_FOUND` otherwise); removing the project later leaves the instance
   * without one.
   *
   * @example
   * ```ts
   * await nexus.instances.create({ chainName: 'feature', epicId: 'T12', variables: { branch: 'feat/x' } })
   * ```
   */
  async create(input: CreateWarpChainInstanceInput): Promise<WarpChainInstance> {
    const parsed = validate(CreateWarpChainInstanceInputSchema, input, 'nexus.instances.create', this.#parts.context)
    const { engine, context, clock, newId } = this.#parts
    const row = await engine.write(function* (x) {
      const chainRow =
        parsed.chainId !== undefined
          ? yield* x.get(CHAIN_BY_ID, { id: parsed.chainId })
          : yield* x.get(LATEST_CHAIN, { name: parsed.chainName! })
      if (!chainRow) {
        const what = parsed.chainId !== undefined ? `id ${JSON.stringify(parsed.chainId)}` : `name ${JSON.stringify(parsed.chainName)}`
        throw new CleoStoreError('NOT_FOUND', `no warp chain with ${what}`, context)
      }
      if (parsed.projectId != null && !(yield* x.get(PROJECT_EXISTS, { id: parsed.projectId }))) {
        throw new CleoStoreError('NOT_FOUND', `no project with id ${JSON.stringify(parsed.projectId)} is registered`, {
          ...context,
          details: { path: ['projectId'] },
        })
      }
      const chain = parseWarpChainRow(chainRow as WarpChainsTable, context)
      const variables = resolveVariables(chain.definition, parsed.variables, context)
      const now = clock()
      const fresh: WarpChainInstancesTable = {
        id: newId(),
        chain_id: chain.id,
        project_id: parsed.projectId ?? null,
        epic_id: parsed.epicId ?? null,
        status: 'pending',
        current_stage: chain.definition.entryPoint,
        variables_json: toJson(variables),
        stage_tasks_json: '{}',
        gate_results_json: '[]',
        status_reason: null,
        version: 1,
        created_at: now,
        updated_at: now,
        started_at: null,
        finished_at: null,
      }
      yield* x.run(INSERT, fresh)
      return fresh
    })
    return this.#map(row)
  }

  /**
   * The instance with `id`; `NOT_FOUND` otherwise.
   *
   * @example
   * ```ts
   * const run = await nexus.instances.get(id)
   * ```
   */
  async get(id: string): Promise<WarpChainInstance> {
    const row = await this.#parts.engine.read((x) => x.get(BY_ID, { id }))
    if (!row) throw this.#notFound(id)
    return this.#map(row)
  }

  /**
   * Lists instances, most recently changed first, filtered by chain version, project or
   * status.
   *
   * @example
   * ```ts
   * await nexus.instances.list({ projectId: ws.projectId, status: 'active' })
   * ```
   */
  async list(options: ListWarpChainInstancesOptions = {}): Promise<WarpChainInstance[]> {
    const o = validate(ListWarpChainInstancesOptionsSchema, options, 'nexus.instances.list', this.#parts.context)
    let query = this.#parts.engine.kysely.selectFrom('warp_chain_instances').selectAll()
    if (o.chainId !== undefined) query = query.where('chain_id', '=', o.chainId)
    if (o.projectId !== undefined) query = query.where('project_id', '=', o.projectId)
    if (o.status !== undefined) query = query.where('status', '=', o.status)
    query = query.orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(o.limit)
    const rows = await this.#parts.engine.read((x) => x.all(query))
    return rows.map((row) => this.#map(row))
  }

  /**
   * `pending` → `active`.
   *
   * @example
   * ```ts
   * await nexus.instances.start(id)
   * ```
   */
  async start(id: string, input: WarpInstanceTransitionInput = {}): Promise<WarpChainInstance> {
    const parsed = validate(WarpInstanceTransitionInputSchema, input, 'nexus.instances.start', this.#parts.context)
    return this.#change(id, parsed.expectedVersion, (loaded, now) => {
      this.#assertTransition(loaded.row, 'active')
      return { status: 'active', started_at: now }
    })
  }

  /**
   * Names the task that carries out `stage` (replacing an earlier one). Allowed while the
   * instance is pending or active.
   *
   * @example
   * ```ts
   * await nexus.instances.assignTask(id, { stage: 'build', taskId: 'T14' })
   * ```
   */
  async assignTask(id: string, input: AssignWarpStageTaskInput): Promise<WarpChainInstance> {
    const parsed = validate(AssignWarpStageTaskInputSchema, input, 'nexus.instances.assignTask', this.#parts.context)
    return this.#change(id, parsed.expectedVersion, (loaded) => {
      this.#assertOpen(loaded.row, 'assign a task to')
      this.#stage(loaded, parsed.stage)
      const stageTasks = { ...loaded.stageTasks, [parsed.stage]: { taskId: parsed.taskId, projectId: parsed.projectId ?? null } }
      return { stage_tasks_json: toJson(stageTasks) }
    })
  }

  /**
   * Records the result of a gate of a stage (the latest result of a gate is the one that
   * counts). Allowed while the instance is pending or active; the stage need not be the
   * current one (gates may be judged ahead of time).
   *
   * @example
   * ```ts
   * await nexus.instances.recordGate(id, { stage: 'build', gate: 'tests', result: 'pass', by: 'agent-7' })
   * ```
   */
  async recordGate(id: string, input: RecordWarpGateInput): Promise<WarpChainInstance> {
    const parsed = validate(RecordWarpGateInputSchema, input, 'nexus.instances.recordGate', this.#parts.context)
    return this.#change(id, parsed.expectedVersion, (loaded, now) => {
      this.#assertOpen(loaded.row, 'record a gate of')
      const stage = this.#stage(loaded, parsed.stage)
      if (!stage.gates.some((g) => g.id === parsed.gate)) {
        throw new CleoStoreError('VALIDATION', `stage "${parsed.stage}" has no gate "${parsed.gate}"`, {
          ...this.#parts.context,
          details: { path: ['gate'], gates: stage.gates.map((g) => g.id) },
        })
      }
      if (loaded.gates.length >= MAX_WARP_GATE_RESULTS) {
        throw new CleoStoreError('INVARIANT', `instance ${id} already holds ${MAX_WARP_GATE_RESULTS} gate results`, this.#parts.context)
      }
      const gate: StoredGate = {
        stage: parsed.stage,
        gate: parsed.gate,
        result: parsed.result,
        note: parsed.note ?? null,
        by: parsed.by ?? null,
        at: now,
      }
      return { gate_results_json: toJson([...loaded.gates, gate]) }
    })
  }

  /**
   * Moves an active instance from its current stage to `to`, which must be linked from
   * it, once every required gate of the current stage passed (or warned). Otherwise
   * `INVARIANT`, with `details.missingGates`.
   *
   * @example
   * ```ts
   * await nexus.instances.advance(id, { to: 'review', expectedVersion: run.version })
   * ```
   */
  async advance(id: string, input: AdvanceWarpInstanceInput): Promise<WarpChainInstance> {
    const parsed = validate(AdvanceWarpInstanceInputSchema, input, 'nexus.instances.advance', this.#parts.context)
    return this.#change(id, parsed.expectedVersion, (loaded) => {
      const { row, definition } = loaded
      if (row.status !== 'active') {
        throw new CleoStoreError('INVARIANT', `cannot advance instance ${id}: it is ${row.status}, not active`, {
          ...this.#parts.context,
          details: { status: row.status },
        })
      }
      const successors = warpChainSuccessors(definition, row.current_stage)
      if (!successors.includes(parsed.to)) {
        throw new CleoStoreError('INVARIANT', `cannot advance instance ${id} from "${row.current_stage}" to "${parsed.to}": no such link`, {
          ...this.#parts.context,
          details: { from: row.current_stage, to: parsed.to, successors },
        })
      }
      this.#assertGatesPassed(loaded, 'advance')
      return { current_stage: parsed.to }
    })
  }

  /**
   * `active` → `completed`: allowed in an exit point whose required gates passed.
   *
   * @example
   * ```ts
   * await nexus.instances.complete(id)
   * ```
   */
  async complete(id: string, input: WarpInstanceTransitionInput = {}): Promise<WarpChainInstance> {
    const parsed = validate(WarpInstanceTransitionInputSchema, input, 'nexus.instances.complete', this.#parts.context)
    return this.#change(id, parsed.expectedVersion, (loaded, now) => {
      this.#assertTransition(loaded.row, 'completed')
      if (!loaded.definition.exitPoints.includes(loaded.row.current_stage)) {
        throw new CleoStoreError('INVARIANT', `cannot complete instance ${id}: stage "${loaded.row.current_stage}" is not an exit point`, {
          ...this.#parts.context,
          details: { stage: loaded.row.current_stage, exitPoints: loaded.definition.exitPoints },
        })
      }
      this.#assertGatesPassed(loaded, 'complete')
      return { status: 'completed', finished_at: now, status_reason: parsed.reason ?? null }
    })
  }

  /**
   * `active` → `failed`, with a reason.
   *
   * @example
   * ```ts
   * await nexus.instances.fail(id, { reason: 'release blocked' })
   * ```
   */
  async fail(id: string, input: WarpInstanceTransitionInput = {}): Promise<WarpChainInstance> {
    const parsed = validate(WarpInstanceTransitionInputSchema, input, 'nexus.instances.fail', this.#parts.context)
    return this.#change(id, parsed.expectedVersion, (loaded, now) => {
      this.#assertTransition(loaded.row, 'failed')
      return { status: 'failed', finished_at: now, status_reason: parsed.reason ?? null }
    })
  }

  /**
   * `pending` or `active` → `cancelled`, with a reason.
   *
   * @example
   * ```ts
   * await nexus.instances.cancel(id, { reason: 'superseded' })
   * ```
   */
  async cancel(id: string, input: WarpInstanceTransitionInput = {}): Promise<WarpChainInstance> {
    const parsed = validate(WarpInstanceTransitionInputSchema, input, 'nexus.instances.cancel', this.#parts.context)
    return this.#change(id, parsed.expectedVersion, (loaded, now) => {
      this.#assertTransition(loaded.row, 'cancelled')
      return { status: 'cancelled', finished_at: now, status_reason: parsed.reason ?? null }
    })
  }

  /**
   * Deletes an instance (any status). Returns false when there was none.
   *
   * @example
   * ```ts
   * await nexus.instances.remove(id)
   * ```
   */
  async remove(id: string): Promise<boolean> {
    return this.#parts.engine.write(function* (x) {
      return (yield* x.run(DELETE, { id })).changes > 0
    })
  }

  #notFound(id: string): CleoStoreError {
    return new CleoStoreError('NOT_FOUND', `no warp chain instance with id ${JSON.stringify(id)}`, this.#parts.context)
  }

  async #change(
    id: string,
    expectedVersion: number | undefined,
    change: (loaded: Loaded, now: number) => Partial<Mutable>,
  ): Promise<WarpChainInstance> {
    const row = await this.#parts.engine.write((x) => this.#changeIn(x, id, expectedVersion, change))
    return this.#map(row)
  }

  /** The body of {@link #change}: read, check, write, read back. */
  *#changeIn(
    x: Executor<NexusDatabase>,
    id: string,
    expectedVersion: number | undefined,
    change: (loaded: Loaded, now: number) => Partial<Mutable>,
  ): Step<WarpChainInstancesTable> {
    const { context } = this.#parts
    const current = yield* x.get(BY_ID, { id })
    if (!current) throw this.#notFound(id)
    if (expectedVersion !== undefined && current.version !== expectedVersion) {
      throw new CleoStoreError('CONFLICT', `instance ${id} is at version ${current.version}, not ${expectedVersion}`, {
        ...context,
        details: { expectedVersion, actualVersion: current.version },
      })
    }
    const chain = yield* x.get(CHAIN_BY_ID, { id: current.chain_id })
    if (!chain) throw new CleoStoreError('CORRUPT', `instance ${id} names a missing chain ${current.chain_id}`, context)
    const loaded: Loaded = {
      row: current,
      definition: parseWarpChainRow(chain, context).definition,
      gates: fromJson(current.gate_results_json, 'warp_chain_instances.gate_results_json', context, StoredWarpGateResultsSchema),
      stageTasks: fromJson(current.stage_tasks_json, 'warp_chain_instances.stage_tasks_json', context, WarpChainStageTasksSchema),
    }
    const now = this.#parts.clock()
    const next: Mutable & { expected: number } = {
      id: current.id,
      status: current.status,
      current_stage: current.current_stage,
      stage_tasks_json: current.stage_tasks_json,
      gate_results_json: current.gate_results_json,
      status_reason: current.status_reason,
      started_at: current.started_at,
      finished_at: current.finished_at,
      ...change(loaded, now),
      version: current.version + 1,
      updated_at: now,
      expected: current.version,
    }
    if ((yield* x.run(UPDATE, next)).changes !== 1) {
      throw new CleoStoreError('INTERNAL', `instance ${id} changed inside its own transaction`, context)
    }
    return (yield* x.get(BY_ID, { id }))!
  }

  #assertTransition(row: WarpChainInstancesTable, to: WarpChainInstanceStatus): void {
    if (!isWarpTransitionAllowed(row.status, to)) {
      throw new CleoStoreError('INVARIANT', `instance ${row.id} cannot go from ${row.status} to ${to}`, {
        ...this.#parts.context,
        details: { from: row.status, to, allowed: ALLOWED[row.status] },
      })
    }
  }

  #assertOpen(row: WarpChainInstancesTable, what: string): void {
    if (FINAL.has(row.status)) {
      throw new CleoStoreError('INVARIANT', `cannot ${what} instance ${row.id}: it is ${row.status}`, {
        ...this.#parts.context,
        details: { status: row.status },
      })
    }
  }

  #stage(loaded: Loaded, stageId: string) {
    const stage = loaded.definition.stages.find((s) => s.id === stageId)
    if (!stage) {
      throw new CleoStoreError('VALIDATION', `the chain has no stage "${stageId}"`, {
        ...this.#parts.context,
        details: { path: ['stage'], stages: loaded.definition.stages.map((s) => s.id) },
      })
    }
    return stage
  }

  #assertGatesPassed(loaded: Loaded, what: string): void {
    const stageId = loaded.row.current_stage
    const stage = loaded.definition.stages.find((s) => s.id === stageId)
    const latest = new Map<string, WarpGateOutcome>()
    for (const gate of loaded.gates) if (gate.stage === stageId) latest.set(gate.gate, gate.result)
    const missingGates = (stage?.gates ?? [])
      .filter((gate) => gate.required && latest.get(gate.id) !== 'pass' && latest.get(gate.id) !== 'warn')
      .map((gate) => gate.id)
    if (missingGates.length > 0) {
      throw new CleoStoreError(
        'INVARIANT',
        `cannot ${what} instance ${loaded.row.id}: gate(s) ${missingGates.join(', ')} of stage "${stageId}" have not passed`,
        { ...this.#parts.context, details: { stage: stageId, missingGates } },
      )
    }
  }

  #map(row: WarpChainInstancesTable): WarpChainInstance {
    const context = this.#parts.context
    const stageTasks = fromJson(row.stage_tasks_json, 'warp_chain_instances.stage_tasks_json', context, WarpChainStageTasksSchema)
    const gates = fromJson(row.gate_results_json, 'warp_chain_instances.gate_results_json', context, StoredWarpGateResultsSchema)
    return {
      id: row.id,
      chainId: row.chain_id,
      projectId: row.project_id,
      epicId: row.epic_id,
      status: row.status,
      currentStage: row.current_stage,
      variables: fromJson(row.variables_json, 'warp_chain_instances.variables_json', context, WarpChainVariablesSchema),
      stageTasks,
      gateResults: gates.map((g) => ({ ...g, at: toIso(g.at) })),
      statusReason: row.status_reason,
      version: row.version,
      createdAt: toIso(row.created_at),
      updatedAt: toIso(row.updated_at),
      startedAt: toIsoOrNull(row.started_at),
      finishedAt: toIsoOrNull(row.finished_at),
    }
  }
}

function resolveVariables(
  definition: WarpChainDefinition,
  given: Readonly<Record<string, string | number | boolean>>,
  context: NexusParts['context'],
): Record<string, string | number | boolean> {
  const fail = (name: string, message: string) =>
    new CleoStoreError('VALIDATION', `nexus.instances.create: variables.${name}: ${message}`, {
      ...context,
      details: { path: ['variables', name] },
    })
  const out: Record<string, string | number | boolean> = {}
  for (const [name, value] of Object.entries(given)) {
    const declared = definition.variables[name]
    if (!declared) throw fail(name, 'not declared by the chain')
    if (typeof value !== declared.type) throw fail(name, `expected a ${declared.type} (got ${JSON.stringify(value)})`)
    out[name] = value
  }
  for (const [name, declared] of Object.entries(definition.variables)) {
    if (name in out) continue
    if (declared.default !== undefined) out[name] = declared.default
    else if (declared.required) throw fail(name, 'required by the chain')
  }
  return out
}
