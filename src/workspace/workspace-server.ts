/**
 * A project on a server (issues 20 and 21): the `server` option of
 * `CleoWorkspace.open` puts the project's stores (tasks, brain, conduit) in
 * PostgreSQL schemas named from an explicit project key, so every host that opens
 * the project with the same key shares them; the global stores signaldock and nexus
 * follow the same server (schemas `signaldock` and `nexus`) unless the workspace's
 * `signaldock` / `nexus` options name another place. telemetry.db and the key files
 * stay local.
 *
 * @module
 */
import { z } from 'zod'

import { NexusRepository } from '../nexus/nexus-repository.js'
import { NEXUS_STORE } from '../nexus/nexus.store.js'
import { createPostgresPool } from '../postgres/postgres-database.js'
import type { PostgresPoolLike, PostgresStoreOptions, PostgresTarget } from '../postgres/postgres-options.js'
import type { BusyRetryPolicy } from '../sqlite/busy-retry.js'
import type { ErrorContext } from '../sqlite/errors.js'
import { BusyRetryOptionsSchema, POSTGRES_OPTION_SHAPE } from '../sqlite/options.js'
import type { RepositoryOptions } from '../sqlite/store-repository.js'

/**
 * The `server` option of `CleoWorkspace.open`.
 *
 * @example
 * ```ts
 * const server: WorkspaceServerOptions = { postgres: process.env.DATABASE_URL!, project: 'acme-api' }
 * ```
 */
export interface WorkspaceServerOptions {
  /** A connection string (the workspace creates one pool and ends it on close) or your `pg.Pool` (never ended by cleo-store). */
  readonly postgres: PostgresTarget
  /**
   * The project's key, the same on every host (never derived from a local path):
   * lower-case letters, digits and `-`, starting with a letter, at most 40
   * characters. The stores live in schemas `<key>_conduit` (and `<key>_tasks`),
   * with `-` written `_`.
   */
  readonly project: string
  /** Connections of the pool created from a connection string (default 10). */
  readonly poolSize?: number
  /** How long a transaction keeps being retried after serialization failures before `BUSY` (default: the workspace's `busyTimeoutMs`, else 5000). */
  readonly busyTimeoutMs?: number
  /** Backoff between whole-transaction retries. */
  readonly busyRetry?: Partial<BusyRetryPolicy>
}

/** A project key: what `server.project` accepts. */
export const PROJECT_KEY = /^[a-z][a-z0-9-]{0,39}$/

/** @internal `server`, strict. */
export const WorkspaceServerOptionsSchema = z.strictObject({
  postgres: z.custom<PostgresTarget>(
    (value) => (typeof value === 'string' && value.trim() !== '') || (typeof value === 'object' && value !== null && typeof (value as { connect?: unknown }).connect === 'function'),
    'must be a connection string or a pg Pool',
  ),
  project: z.string().regex(PROJECT_KEY, 'must be a project key: lower-case letters, digits and -, starting with a letter, at most 40 characters'),
  poolSize: z.int().min(1).optional(),
  busyTimeoutMs: z.int().min(0).optional(),
  busyRetry: BusyRetryOptionsSchema.optional(),
})

/** The schema of a project store on the server: `acme-api` → `acme_api_conduit`. */
export function projectSchema(project: string, store: 'conduit' | 'tasks' | 'brain'): string {
  return `${project.replaceAll('-', '_')}_${store}`
}

/** The server of an open workspace: the pool its project stores share. */
export interface ProjectServer {
  readonly project: string
  readonly pool: PostgresPoolLike
  readonly options: { readonly busyTimeoutMs?: number; readonly busyRetry?: Partial<BusyRetryPolicy> }
  /** Ends the pool when the workspace created it (after its stores closed). */
  close(): Promise<void>
}

/** Connects a workspace to its server: one pool for the project stores (created from a connection string, or yours). */
export async function connectProjectServer(
  server: WorkspaceServerOptions,
  inherited: { readonly busyTimeoutMs?: number | undefined },
  context: ErrorContext,
): Promise<ProjectServer> {
  const busyTimeoutMs = server.busyTimeoutMs ?? inherited.busyTimeoutMs
  const options = {
    ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }),
    ...(server.busyRetry === undefined ? {} : { busyRetry: server.busyRetry }),
  }
  if (typeof server.postgres !== 'string') {
    return { project: server.project, pool: server.postgres, options, close: async () => {} }
  }
  const pool = await createPostgresPool(
    server.postgres,
    { poolSize: server.poolSize ?? 10, busyTimeoutMs: busyTimeoutMs ?? 5000, name: `project ${server.project}` },
    context,
  )
  let ended: Promise<void> | undefined
  return { project: server.project, pool, options, close: () => (ended ??= pool.end()) }
}

/**
 * The `nexus` option of `CleoWorkspace.open`: the registry, audit log and warp chains
 * on a PostgreSQL server instead of `<globalDir>/nexus.db` (default with `server`:
 * the same server, schema `nexus`).
 *
 * @example
 * ```ts
 * const nexus: WorkspaceNexusOptions = { postgres: process.env.DATABASE_URL!, schema: 'fleet_nexus' }
 * ```
 */
export interface WorkspaceNexusOptions extends PostgresStoreOptions {
  /** A connection string (one pool, ended when the last workspace of the process closes) or your `pg.Pool` (never ended). */
  readonly postgres: PostgresTarget
}

/** @internal `nexus`, strict. */
export const WorkspaceNexusOptionsSchema = z.strictObject({
  ...POSTGRES_OPTION_SHAPE,
  postgres: z.custom<PostgresTarget>((value) => typeof value === 'string' || (typeof value === 'object' && value !== null), 'must be a connection string or a pg pool'),
})

/**
 * @internal Opens the nexus of a workspace: nexus.db at `path` (with the workspace's
 * engine options), or its PostgreSQL schema (with the workspace's clock, busy timeout
 * and retry unless `nexus` sets its own).
 */
export function openWorkspaceNexus(path: string, options: RepositoryOptions, nexus: WorkspaceNexusOptions | undefined): Promise<NexusRepository> {
  if (nexus === undefined) return NexusRepository.open(path, options)
  const { postgres, ...own } = nexus
  return NexusRepository.openPostgres(postgres, {
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
    ...(options.busyRetry === undefined ? {} : { busyRetry: options.busyRetry }),
    ...own,
  })
}

/** @internal True when two workspace settings of a global store name the same place (same target and schema; both local). */
export function sameServerStore(
  a: { readonly postgres: PostgresTarget; readonly schema?: string | undefined } | undefined,
  b: { readonly postgres: PostgresTarget; readonly schema?: string | undefined } | undefined,
  defaultSchema: string,
): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.postgres === b.postgres && (a.schema ?? defaultSchema) === (b.schema ?? defaultSchema)
}

/** @internal {@link sameServerStore} for nexus. */
export function sameWorkspaceNexus(a: WorkspaceNexusOptions | undefined, b: WorkspaceNexusOptions | undefined): boolean {
  return sameServerStore(a, b, NEXUS_STORE.name)
}
