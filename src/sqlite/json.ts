/**
 * JSON columns: written with `JSON.stringify`, read back through a zod schema so a
 * malformed value surfaces as `CORRUPT` instead of leaking a wrong shape.
 *
 * @module
 */
import type { z } from 'zod'

import type { ErrorContext } from './errors.js'
import { CleoStoreError } from './errors.js'

/** Serialises a value for a JSON column. */
export function toJson(value: unknown): string {
  return JSON.stringify(value)
}

/**
 * Parses a JSON column value. With a schema, the parsed value is checked too.
 * A malformed value throws `CORRUPT` naming the column.
 */
export function fromJson<T = unknown>(
  text: string,
  column: string,
  context: ErrorContext = {},
  schema?: z.ZodType<T>,
): T {
  let value: unknown
  // The most common stored value (an empty list) without the parser.
  if (text === '[]' && !schema) return [] as T
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new CleoStoreError('CORRUPT', `column ${column} holds invalid JSON`, { ...context, cause })
  }
  if (!schema) return value as T
  const result = schema.safeParse(value)
  if (!result.success) {
    throw new CleoStoreError('CORRUPT', `column ${column} holds JSON of the wrong shape`, {
      ...context,
      cause: result.error,
    })
  }
  return result.data
}

/** Like {@link fromJson}, passing `null` through. */
export function fromJsonOrNull<T = unknown>(
  text: string | null,
  column: string,
  context: ErrorContext = {},
  schema?: z.ZodType<T>,
): T | null {
  return text === null ? null : fromJson(text, column, context, schema)
}
