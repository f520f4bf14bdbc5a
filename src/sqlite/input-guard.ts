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

/** Limits of {@link inspectInput} (default {@link INPUT_LIMITS}). */
export interface InputLimits {
  readonly maxDepth: number
  readonly maxValues: number
}

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

const ANY_SURROGATE = /[\uD800-\uDFFF]/

function textProblem(text: string, path: () => Array<string | number>, what: string): InputProblem | null {
  // Native checks first; the scan only runs for text that holds a surrogate at all.
  if (ANY_SURROGATE.test(text)) {
    const lone = loneSurrogateAt(text)
    if (lone >= 0) {
      return { rule: 'unicode', path: path(), message: `${what} must be well-formed Unicode (lone surrogate at index ${lone})` }
    }
  }
  const nul = text.indexOf('\0')
  if (nul >= 0) return { rule: 'nul', path: path(), message: `${what} must not contain U+0000 (at index ${nul})` }
  return null
}

/** A value still to visit; its path is rebuilt from the parents only when reported. */
interface Frame {
  readonly value: unknown
  readonly parent: Frame | null
  readonly key: string | number
  /** Containers above this value (the input itself is at depth 0). */
  readonly depth: number
}

function pathOf(frame: Frame): Array<string | number> {
  const path: Array<string | number> = []
  for (let f: Frame | null = frame; f !== null && f.parent !== null; f = f.parent) path.push(f.key)
  return path.reverse()
}

/** True when `value` is one of the containers above `frame` (a cycle, not a shared reference). */
function isAncestor(frame: Frame, value: object): boolean {
  for (let f = frame.parent; f !== null; f = f.parent) if (f.value === value) return true
  return false
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
export function inspectInput(input: unknown, limits: InputLimits = INPUT_LIMITS): InputProblem | null {
  const stack: Frame[] = [{ value: input, parent: null, key: '', depth: 0 }]
  let values = 0
  while (stack.length > 0) {
    const frame = stack.pop()!
    const { value, depth } = frame
    values++
    if (typeof value === 'string') {
      const problem = textProblem(value, () => pathOf(frame), 'text')
      if (problem) return problem
      continue
    }
    if (typeof value !== 'object' || value === null) continue
    const isArray = Array.isArray(value)
    if (!isArray && !isPlainObject(value)) continue
    if (depth + 1 > limits.maxDepth) {
      return { rule: 'depth', path: pathOf(frame), message: `is nested deeper than ${limits.maxDepth} levels`, limit: limits.maxDepth }
    }
    if (isAncestor(frame, value)) return { rule: 'cycle', path: pathOf(frame), message: 'is circular (it contains itself)' }
    const keys = isArray ? null : Object.keys(value)
    const count = isArray ? (value as unknown[]).length : keys!.length
    if (values + stack.length + count > limits.maxValues) {
      return { rule: 'size', path: pathOf(frame), message: `input holds more than ${limits.maxValues} values`, limit: limits.maxValues }
    }
    if (isArray) {
      const items = value as unknown[]
      for (let i = items.length - 1; i >= 0; i--) stack.push({ value: items[i], parent: frame, key: i, depth: depth + 1 })
    } else {
      for (let i = keys!.length - 1; i >= 0; i--) {
        const key = keys![i]!
        const problem = textProblem(key, () => pathOf(frame), 'a property name')
        if (problem) return problem
        stack.push({ value: (value as Record<string, unknown>)[key], parent: frame, key, depth: depth + 1 })
      }
    }
  }
  return null
}
