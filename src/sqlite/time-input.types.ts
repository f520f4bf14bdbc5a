/**
 * The time input every API accepts (no zod: the root type graph imports this file).
 *
 * @module
 */

/** A point in time as an API accepts it. */
export type TimeInput = Date | number | string
