/**
 * Input validation: every public input passes a zod schema before any write, and a
 * failure becomes a `VALIDATION` error naming the field path and quoting the value.
 *
 * @module
 */
import type { z } from 'zod'

import type { ErrorContext } from './errors.js'
import { CleoStoreError } from './errors.js'
import { inspectInput } from './input-guard.js'

const MAX_QUOTE = 80

/** Renders a value for an error message: short, single-line, never a whole document. */
export function quote(value: unknown): string {
  let text: string
  if (value instanceof Date) {
    // Never print a refused Date as an ISO string: it would look like a valid input.
    text = Number.isNaN(value.getTime()) ? 'Invalid Date' : `a Date (${value.getTime()} ms since 1970)`
  } else if (typeof value === 'string') text = JSON.stringify(value)
  else if (value === undefined) text = 'undefined'
  else if (typeof value === 'bigint') text = `${value}n`
  else {
    try {
      text = JSON.stringify(value) ?? String(value)
    } catch {
      try {
        text = String(value)
      } catch {
        text = Array.isArray(value) ? 'an array' : typeof value
      }
    }
  }
  return text.length > MAX_QUOTE ? `${text.slice(0, MAX_QUOTE)}…` : text
}

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current: unknown = input
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<PropertyKey, unknown>)[key]
  }
  return current
}

/** Options of {@link validate}. */
export interface ValidateOptions {
  /**
   * The input carries secrets (keys, tokens, passwords): the error names the field
   * and the rule but never quotes the value, and carries no `cause` (zod's error
   * holds the input).
   */
  readonly secret?: boolean
  /**
   * Where `input` sits in the caller's arguments, prefixed to every reported path:
   * a positional id validated on its own reports `path: ['agentId']`, not `[]`.
   */
  readonly at?: ReadonlyArray<string | number>
}

type IssuePath = Array<string | number>

function issuePath(issue: { path: ReadonlyArray<PropertyKey>; code?: string; keys?: readonly string[] }): IssuePath {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? p.toString() : p))
  // An unknown key is reported by zod on the object holding it: point at the key.
  if (issue.code === 'unrecognized_keys' && issue.keys && issue.keys.length > 0) path.push(issue.keys[0]!)
  return path
}

/**
 * Parses `input` with `schema`; throws `VALIDATION` (with `details.path` and
 * `details.issues`) when it does not fit. Returns the parsed (defaulted) value.
 *
 * @example
 * ```ts
 * const input = validate(CreateTaskInput, raw, 'tasks.create', ctx)
 * const key = validate(ApiKeyInput, raw, 'agents.verifyApiKey', ctx, { secret: true })
 * ```
 */
export function validate<S extends z.ZodType>(
  schema: S,
  input: unknown,
  operation: string,
  context: ErrorContext = {},
  options: ValidateOptions = {},
): z.output<S> {
  const at: IssuePath = [...(options.at ?? [])]
  // The structural guard first: deep, circular, oversize or ill-formed input never
  // reaches zod (whose recursion, and whose error formatting, it could break).
  const problem = inspectInput(input)
  if (problem) {
    const path = [...at, ...problem.path]
    const where = path.length > 0 ? path.join('.') : 'input'
    throw new CleoStoreError('VALIDATION', `${operation}: ${where}: ${problem.message}`, {
      ...context,
      details: {
        operation,
        path,
        rule: problem.rule,
        ...(problem.limit === undefined ? {} : { limit: problem.limit }),
        issues: [{ path, message: problem.message }],
      },
    })
  }
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issues = result.error.issues.map((issue) => ({
    path: [...at, ...issuePath(issue as Parameters<typeof issuePath>[0])],
    message: issue.message,
  }))
  const first = result.error.issues[0]!
  const path = issues[0]!.path
  const where = path.length > 0 ? path.join('.') : 'input'
  if (options.secret) {
    throw new CleoStoreError('VALIDATION', `${operation}: ${where}: ${first.message}`, {
      ...context,
      details: { operation, path, issues },
    })
  }
  // An unknown key's value is not quoted: a misspelt secret field (`apikey`) must not leak.
  const got = first.code === 'unrecognized_keys' ? '' : ` (got ${quote(valueAt(input, issuePath(first as Parameters<typeof issuePath>[0])))})`
  throw new CleoStoreError('VALIDATION', `${operation}: ${where}: ${first.message}${got}`, {
    ...context,
    cause: result.error,
    details: { operation, path, issues },
  })
}
