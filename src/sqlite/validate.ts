/**
 * Input validation: every public input passes a zod schema before any write, and a
 * failure becomes a `VALIDATION` error naming the field path and quoting the value —
 * except the value of a secret-bearing field ({@link SECRET_FIELDS}), which is never
 * quoted, neither in the message nor in `details` nor in `cause`.
 *
 * @module
 */
import type { z } from 'zod'

import type { ErrorContext } from './errors.js'
import { CleoStoreError } from './errors.js'
import { inspectInput } from './input-guard.js'
import { SECRET_FIELDS } from './secret-fields.js'
export { SECRET_FIELDS } from './secret-fields.js'

const MAX_QUOTE = 80

const REDACTED = '[redacted]'

/** True when `path` passes through a secret-bearing field. */
export function isSecretPath(path: ReadonlyArray<PropertyKey>): boolean {
  return path.some((key) => typeof key === 'string' && SECRET_FIELDS.has(key))
}

/**
 * A copy of `value` safe to quote: the values of secret-bearing fields replaced by
 * `[redacted]`, at most a few levels deep and a few dozen keys wide (deeper or
 * wider parts are elided, never walked: quoting must stay cheap on hostile input).
 */
function redact(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value
  if (depth >= 4) return '…'
  if (Array.isArray(value)) return value.slice(0, 16).map((item) => redact(item, depth + 1))
  if (value instanceof Date || ArrayBuffer.isView(value)) return value
  const copy: Record<string, unknown> = {}
  let keys = 0
  for (const key of Object.keys(value)) {
    if (++keys > 32) break
    copy[key] = SECRET_FIELDS.has(key) ? REDACTED : redact((value as Record<string, unknown>)[key], depth + 1)
  }
  return copy
}

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
  if (result.error.issues.some((issue) => isSecretPath(issuePath(issue as Parameters<typeof issuePath>[0])))) {
    throw new CleoStoreError('VALIDATION', `${operation}: ${where}: ${first.message}`, {
      ...context,
      details: { operation, path, issues },
    })
  }
  // An unknown key's value is not quoted: a misspelt secret field (`apikey`) must not leak.
  // Any other value quoted may be an object holding secrets beside the bad field: redact them.
  const got =
    first.code === 'unrecognized_keys'
      ? ''
      : ` (got ${quote(redact(valueAt(input, issuePath(first as Parameters<typeof issuePath>[0]))))})`
  throw new CleoStoreError('VALIDATION', `${operation}: ${where}: ${first.message}${got}`, {
    ...context,
    cause: withoutInputs(result.error),
    details: { operation, path, issues },
  })
}

/**
 * zod leaves `input` off its issues unless asked (`reportInput`); strip it anyway,
 * so a cause never carries a received value whatever zod's settings.
 */
function withoutInputs(error: z.ZodError): z.ZodError {
  for (const issue of error.issues as Array<{ input?: unknown }>) {
    if ('input' in issue) delete issue.input
  }
  return error
}
