/**
 * Validation for inputs that carry key material: like the engine's `validate`, but
 * the error message names the field and the rule, and never quotes the value.
 *
 * @module
 */
import type { z } from 'zod'

import type { ErrorContext } from '../sqlite/errors.js'
import { CleoStoreError } from '../sqlite/errors.js'

/** Parses `input`; a failure throws `VALIDATION` with `details.path`, without the value. */
export function validateSecretInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  operation: string,
  context: ErrorContext,
): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map((p) => (typeof p === 'symbol' ? p.toString() : p)),
    message: issue.message,
  }))
  const first = issues[0]!
  const where = first.path.length > 0 ? first.path.join('.') : 'input'
  // No `cause`: zod's error carries the input, and the input carries secrets.
  throw new CleoStoreError('VALIDATION', `${operation}: ${where}: ${first.message}`, {
    ...context,
    details: { operation, path: first.path, issues },
  })
}
