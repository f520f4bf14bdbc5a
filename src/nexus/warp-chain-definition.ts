/**
 * Pure checks of a warp chain definition's graph: stages, links, entry and exit points.
 * The zod schema ({@link WarpChainDefinitionSchema}) runs them, so an invalid graph is a
 * `VALIDATION` error before anything is written.
 *
 * @module
 */
import { createHash } from 'node:crypto'

/** A gate of a stage: a check that must pass (or warn) before the instance leaves it. */
export interface WarpChainGate {
  /** Unique within its stage. */
  readonly id: string
  readonly description?: string | undefined
  /** Required gates block `advance`/`complete` until their latest result is pass or warn (default true). */
  readonly required: boolean
}

/** A stage of a warp chain. */
export interface WarpChainStage {
  /** Unique within the chain. */
  readonly id: string
  readonly name?: string | undefined
  readonly description?: string | undefined
  readonly gates: readonly WarpChainGate[]
}

/** A directed edge between two stages. */
export interface WarpChainLink {
  readonly from: string
  readonly to: string
  /** Free text shown to whoever chooses the branch; not evaluated. */
  readonly condition?: string | undefined
}

/** A variable an instance may (or must) be started with. */
export interface WarpChainVariable {
  readonly type: 'string' | 'number' | 'boolean'
  readonly required: boolean
  readonly default?: string | number | boolean | undefined
  readonly description?: string | undefined
}

/** A validated warp chain definition: a directed acyclic graph of stages. */
export interface WarpChainDefinition {
  readonly stages: readonly WarpChainStage[]
  readonly links: readonly WarpChainLink[]
  /** The stage every instance starts in. */
  readonly entryPoint: string
  /** Stages in which an instance may complete. */
  readonly exitPoints: readonly string[]
  readonly variables: Readonly<Record<string, WarpChainVariable>>
}

/** A problem found in a definition graph, with the path of the offending field. */
export interface WarpChainProblem {
  readonly path: ReadonlyArray<string | number>
  readonly message: string
}

/**
 * Checks the graph of a definition whose fields already have the right types: unique
 * stage and gate ids, links between known stages (no self-links, no duplicates), a known
 * entry point and exit points, no cycle, every stage reachable from the entry point, and
 * every stage able to reach an exit point (no dead ends). Returns the problems found
 * (empty when the graph is sound).
 *
 * @example
 * ```ts
 * warpChainProblems({ stages: [{ id: 'a', gates: [] }], links: [], entryPoint: 'a', exitPoints: ['a'], variables: {} })
 * // []
 * ```
 */
export function warpChainProblems(definition: WarpChainDefinition): WarpChainProblem[] {
  const problems: WarpChainProblem[] = []
  const ids = new Set<string>()
  definition.stages.forEach((stage, index) => {
    if (ids.has(stage.id)) problems.push({ path: ['stages', index, 'id'], message: `duplicate stage id "${stage.id}"` })
    ids.add(stage.id)
    const gates = new Set<string>()
    stage.gates.forEach((gate, g) => {
      if (gates.has(gate.id)) {
        problems.push({ path: ['stages', index, 'gates', g, 'id'], message: `duplicate gate id "${gate.id}" in stage "${stage.id}"` })
      }
      gates.add(gate.id)
    })
  })
  const edges = new Set<string>()
  const next = new Map<string, string[]>([...ids].map((id) => [id, []]))
  definition.links.forEach((link, index) => {
    if (!ids.has(link.from)) problems.push({ path: ['links', index, 'from'], message: `unknown stage "${link.from}"` })
    if (!ids.has(link.to)) problems.push({ path: ['links', index, 'to'], message: `unknown stage "${link.to}"` })
    if (link.from === link.to) problems.push({ path: ['links', index], message: `stage "${link.from}" links to itself` })
    const key = `${link.from}\u0000${link.to}`
    if (edges.has(key)) problems.push({ path: ['links', index], message: `duplicate link ${link.from} → ${link.to}` })
    edges.add(key)
    if (ids.has(link.from) && ids.has(link.to) && link.from !== link.to) next.get(link.from)!.push(link.to)
  })
  if (!ids.has(definition.entryPoint)) {
    problems.push({ path: ['entryPoint'], message: `unknown stage "${definition.entryPoint}"` })
  }
  const exits = new Set<string>()
  definition.exitPoints.forEach((exit, index) => {
    if (!ids.has(exit)) problems.push({ path: ['exitPoints', index], message: `unknown stage "${exit}"` })
    if (exits.has(exit)) problems.push({ path: ['exitPoints', index], message: `duplicate exit point "${exit}"` })
    exits.add(exit)
  })
  for (const [name, variable] of Object.entries(definition.variables)) {
    if (variable.default !== undefined && typeof variable.default !== variable.type) {
      problems.push({ path: ['variables', name, 'default'], message: `default is not a ${variable.type}` })
    }
  }
  if (problems.length > 0) return problems

  // Kahn's algorithm: whatever keeps an in-degree > 0 lies on a cycle.
  const indegree = new Map<string, number>([...ids].map((id) => [id, 0]))
  for (const targets of next.values()) for (const to of targets) indegree.set(to, indegree.get(to)! + 1)
  const queue = [...ids].filter((id) => indegree.get(id) === 0)
  let sorted = 0
  while (queue.length > 0) {
    const id = queue.shift()!
    sorted++
    for (const to of next.get(id)!) {
      indegree.set(to, indegree.get(to)! - 1)
      if (indegree.get(to) === 0) queue.push(to)
    }
  }
  if (sorted < ids.size) {
    const cyclic = [...ids].filter((id) => indegree.get(id)! > 0)
    problems.push({ path: ['links'], message: `links form a cycle through ${cyclic.map((s) => `"${s}"`).join(', ')}` })
    return problems
  }

  const reachable = walk(definition.entryPoint, next)
  definition.stages.forEach((stage, index) => {
    if (!reachable.has(stage.id)) {
      problems.push({ path: ['stages', index], message: `stage "${stage.id}" is not reachable from the entry point` })
    }
  })
  const previous = new Map<string, string[]>([...ids].map((id) => [id, []]))
  for (const [from, targets] of next) for (const to of targets) previous.get(to)!.push(from)
  const canFinish = new Set<string>()
  for (const exit of exits) for (const id of walk(exit, previous)) canFinish.add(id)
  definition.stages.forEach((stage, index) => {
    if (reachable.has(stage.id) && !canFinish.has(stage.id)) {
      problems.push({ path: ['stages', index], message: `stage "${stage.id}" cannot reach an exit point` })
    }
  })
  return problems
}

function walk(start: string, edges: ReadonlyMap<string, readonly string[]>): Set<string> {
  const seen = new Set<string>([start])
  const stack = [start]
  while (stack.length > 0) {
    for (const to of edges.get(stack.pop()!) ?? []) {
      if (!seen.has(to)) {
        seen.add(to)
        stack.push(to)
      }
    }
  }
  return seen
}

/** Stages an instance in `stage` may advance to. */
export function warpChainSuccessors(definition: WarpChainDefinition, stage: string): string[] {
  return definition.links.filter((link) => link.from === stage).map((link) => link.to)
}

/** JSON with object keys sorted at every level: equal definitions give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  )
}

/**
 * SHA-256 (hex) of a definition's canonical JSON: two definitions that differ only in
 * key order have the same hash.
 *
 * @example
 * ```ts
 * warpChainDefinitionHash(definition).length // 64
 * ```
 */
export function warpChainDefinitionHash(definition: WarpChainDefinition): string {
  return createHash('sha256').update(canonicalJson(definition)).digest('hex')
}
