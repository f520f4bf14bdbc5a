/**
 * Options are strict, like inputs: the zod shapes of the engine and repository
 * options, shared by every repository's `open()` and by `CleoWorkspace.open`. An
 * unknown key is `VALIDATION` naming it (`details.path: ['busyTimeoutMS']`), a value
 * of the wrong type is `VALIDATION` with its path — before any file is touched.
 *
 * @module
 */
import { z } from 'zod'

import type { ErrorContext } from './errors.js'
import { validate } from './validate.js'

const nonNegativeInt = z.int().min(0)

/** `busyRetry`: a partial {@link BusyRetryPolicy}. */
export const BusyRetryOptionsSchema = z.strictObject({
  timeoutMs: nonNegativeInt.optional(),
  baseDelayMs: nonNegativeInt.optional(),
  maxDelayMs: nonNegativeInt.optional(),
})

/** A function; options such as `clock`, `random` and `embed` are functions. */
export const FunctionSchema = z.custom<(...args: never[]) => unknown>((value) => typeof value === 'function', 'must be a function')

/** The keys of {@link EngineOptions}. */
export const ENGINE_OPTION_SHAPE = {
  busyTimeoutMs: nonNegativeInt.optional(),
  synchronous: z.enum(['NORMAL', 'FULL']).optional(),
  statementCacheSize: z.int().min(1).optional(),
  busyRetry: BusyRetryOptionsSchema.optional(),
  backupsKept: nonNegativeInt.optional(),
} as const

/** The keys of `PostgresStoreOptions` (a store on a server: `openPostgres`, the workspace's `server`). */
export const POSTGRES_OPTION_SHAPE = {
  schema: z.string().optional(),
  busyTimeoutMs: nonNegativeInt.optional(),
  busyRetry: BusyRetryOptionsSchema.optional(),
  poolSize: z.int().min(1).optional(),
} as const

/** The keys of `RepositoryOptions`: the engine's, `clock` and `referenceGuard`. */
export const REPOSITORY_OPTION_SHAPE = {
  ...ENGINE_OPTION_SHAPE,
  clock: FunctionSchema.optional(),
  referenceGuard: FunctionSchema.optional(),
} as const

/**
 * The strict schema of a repository's `open()` options: the shared keys plus the
 * repository's own.
 *
 * @example
 * ```ts
 * const TasksOpenOptions = repositoryOptionsSchema({ actor: z.string().optional() })
 * ```
 */
export function repositoryOptionsSchema<T extends z.ZodRawShape>(own: T) {
  return z.strictObject({ ...REPOSITORY_OPTION_SHAPE, ...own })
}

/** The strict schema of options with only the shared keys (conduit without `random`, nexus, signaldock). */
export const RepositoryOptionsSchema = repositoryOptionsSchema({})

/**
 * Checks an options argument (`undefined` is no options) against its strict schema;
 * returns nothing: the caller keeps using its typed object (functions and class
 * instances are not copied).
 *
 * @example
 * ```ts
 * checkOptions(RepositoryOptionsSchema, options, 'NexusRepository.open', { store: 'nexus' })
 * ```
 */
export function checkOptions(schema: z.ZodType, options: unknown, operation: string, context: ErrorContext = {}): void {
  validate(schema, options === undefined ? {} : options, operation, context)
}
