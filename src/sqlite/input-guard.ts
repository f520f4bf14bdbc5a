/**
 * The structural guard every public input passes before its zod schema: bounded
 * nesting depth, no cycles, a bounded number of values, and text that is
 * well-formed Unicode without U+0000. It walks the input iteratively (a hostile
 * input cannot overflow the stack) and reports the first problem with the path of
 * the offending field — never the offending value, so it is safe for secrets.
 *
 * Only plain objects (prototype `Object.prototype` or `null`) and arrays are
 * descended into; anything else (a `Date`, a `Uint8Array`, a class instance such as
 * an embedder or a `pg.Pool`, a function) is a leaf left to the schema.
 *
 * @module
 */

/**
 * Limits of the structural guard (DESIGN §7), the same for every method.
 *
 * - `maxDepth`: nesting of arrays/objects; the input itself is level 1, so a queue
 *   payload (level 2 inside the enqueue input) may nest `maxDepth - 1` levels. Far
 *   below SQLite's JSON depth limit (1000), so stored JSON is always indexable.
 * - `maxValues`: values (containers, items and properties) in one input.
 *
 * @example
 * ```ts
 * import { INPUT_LIMITS } from 'cleo-store'
 * INPUT_LIMITS.maxDepth // 100
 * ```
 */
export const INPUT_LIMITS = Object.freeze({ maxDepth: 100, maxValues: 1_000_000 })

/** The rule an input broke: see {@link INPUT_LIMITS} and docs/errors.md. */
export type InputRule = 'depth' | 'cycle' | 'size' | 'unicode' | 'nul'

/** The first structural problem of an input. */
export interface InputProblem {
  readonly rule: InputRule
  /** Path of the offending field, from the input's root (`[]` = the input itself). */
  readonly path: ReadonlyArray<string | number>
  /** What is wrong, without the value. */
  readonly message: string
  /** The limit broken (depth, size). */
  readonly limit?: number
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** The index of the first lone surrogate of `text`, or -1. */
function loneSurrogateAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0xd800 || c > 0xdfff) continue
    if (c <= 0xdbff) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++
        continue
      }
    }
    return i
  }
  return -1
}

function textProblem(text: string, path: ReadonlyArray<string | number>, what: string): InputProblem | null {
  const lone = loneSurrogateAt(text)
  if (lone >= 0) {
    return { rule: 'unicode', path, message: `${what} must be well-formed Unicode (lone surrogate at index ${lone})` }
  }
  const nul = text.indexOf('\0')
  if (nul >= 0) return { rule: 'nul', path, message: `${what} must not contain U+0000 (at index ${nul})` }
  return null
}

interface Frame {
  readonly value: unknown
  readonly path: ReadonlyArray<string | number>
  readonly depth: number
}

/** Marker frame: leaving a container (removes it from the ancestors). */
interface Exit {
  readonly exit: object
}

/**
 * Checks `input` against {@link INPUT_LIMITS}, cycles and the text rules. Returns
 * the first problem, or null. Shared (non-circular) references are fine.
 *
 * @example
 * ```ts
 * const a: any = {}; a.self = a
 * inspectInput({ config: a }) // { rule: 'cycle', path: ['config', 'self'], … }
 * ```
 */
export function inspectInput(input: unknown, limits: typeof INPUT_LIMITS = INPUT_LIMITS): InputProblem | null {
  const ancestors = new Set<object>()
  const stack: Array<Frame | Exit> = [{ value: input, path: [], depth: 0 }]
  let values = 0
  while (stack.length > 0) {
    const frame = stack.pop()!
    if ('exit' in frame) {
      ancestors.delete(frame.exit)
      continue
    }
    const { value, path, depth } = frame
    if (++values > limits.maxValues) {
      return { rule: 'size', path, message: `input holds more than ${limits.maxValues} values`, limit: limits.maxValues }
    }
    if (typeof value === 'string') {
      const problem = textProblem(value, path, 'text')
      if (problem) return problem
      continue
    }
    if (typeof value !== 'object' || value === null) continue
    const isArray = Array.isArray(value)
    if (!isArray && !isPlainObject(value)) continue
    if (ancestors.has(value)) {
      return { rule: 'cycle', path, message: 'is circular (it contains itself)' }
    }
    if (depth + 1 > limits.maxDepth) {
      return { rule: 'depth', path, message: `is nested deeper than ${limits.maxDepth} levels`, limit: limits.maxDepth }
    }
    ancestors.add(value)
    stack.push({ exit: value })
    if (isArray) {
      const items = value as unknown[]
      if (values + items.length > limits.maxValues) {
        return { rule: 'size', path, message: `input holds more than ${limits.maxValues} values`, limit: limits.maxValues }
      }
      for (let i = items.length - 1; i >= 0; i--) stack.push({ value: items[i], path: [...path, i], depth: depth + 1 })
    } else {
      const keys = Object.keys(value)
      if (values + keys.length > limits.maxValues) {
        return { rule: 'size', path, message: `input holds more than ${limits.maxValues} values`, limit: limits.maxValues }
      }
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!
        const problem = textProblem(key, path, 'a property name')
        if (problem) return problem
        stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key], depth: depth + 1 })
      }
    }
  }
  return null
}
