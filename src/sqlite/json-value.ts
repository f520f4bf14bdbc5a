/**
 * A JSON value, as the JSON columns accept and return it (zod's `z.json()`).
 *
 * @example
 * ```ts
 * const evidence: JsonValue[] = ['tests pass', { coverage: 0.92 }]
 * ```
 *
 * @module
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }
