/**
 * Recognising CLEO's own databases (issue 18).
 *
 * CLEO (the tool cleo-store's stores descend from) keeps `tasks.db`, `brain.db`,
 * `conduit.db` in `<project>/.cleo/` and `nexus.db`, `signaldock.db`, `telemetry.db`
 * in its home directory (`$CLEO_HOME` or `~/.local/share/cleo`) — the same file names
 * and the same default directories as cleo-store, in a different schema. Its files
 * carry `application_id` 0; what identifies them is their tables: the bookkeeping
 * CLEO's schema machinery keeps (Drizzle's `__drizzle_migrations` journal; conduit's
 * `_conduit_meta` / `_conduit_migrations`) together with the tables characteristic of
 * each store. File names are never used: a CLEO brain.db copied to `tasks.db` is still
 * recognised as CLEO's brain.
 *
 * This module is pure data plus one pure function; the engine's open probe uses it to
 * refuse such files with `WRONG_STORE` (`details.reason: 'cleo-legacy'`).
 *
 * @module
 */

/** A store as CLEO names it. */
export type CleoLegacyStore = 'tasks' | 'brain' | 'conduit' | 'nexus' | 'signaldock' | 'telemetry'

/** The markers of one CLEO store: every listed table must be present. */
export interface CleoStoreMarkers {
  /** CLEO's schema bookkeeping tables for this store. */
  readonly bookkeeping: readonly string[]
  /** Tables CLEO's migrations or DDL create for this store and no other. */
  readonly tables: readonly string[]
}

/**
 * CLEO's markers per store, from its schemas (see `docs/cleo-import.md`). A database
 * is CLEO's `<store>` when it holds **all** of that store's bookkeeping and
 * characteristic tables.
 *
 * @example
 * ```ts
 * CLEO_STORE_MARKERS.conduit.bookkeeping // ['_conduit_meta', '_conduit_migrations']
 * ```
 */
export const CLEO_STORE_MARKERS: Readonly<Record<CleoLegacyStore, CleoStoreMarkers>> = Object.freeze({
  tasks: {
    bookkeeping: ['__drizzle_migrations'],
    tables: ['tasks', 'task_dependencies', 'task_relations', 'sessions', 'schema_meta', 'lifecycle_pipelines'],
  },
  brain: {
    bookkeeping: ['__drizzle_migrations'],
    tables: ['brain_decisions', 'brain_patterns', 'brain_learnings', 'brain_observations'],
  },
  conduit: {
    bookkeeping: ['_conduit_meta', '_conduit_migrations'],
    tables: ['conversations', 'messages'],
  },
  nexus: {
    bookkeeping: ['__drizzle_migrations'],
    tables: ['project_registry', 'nexus_schema_meta'],
  },
  signaldock: {
    bookkeeping: ['__drizzle_migrations'],
    tables: ['agents', 'capabilities', 'skills', 'agent_capabilities', 'agent_skills'],
  },
  telemetry: {
    bookkeeping: ['__drizzle_migrations'],
    tables: ['telemetry_events', 'telemetry_schema_meta'],
  },
})

/**
 * Which CLEO store a database is, from the names of its tables (as listed by
 * `sqlite_schema`), or `null` when it is not one of CLEO's. Pure: it reads nothing.
 *
 * @example
 * ```ts
 * recognizeCleoStore(['__drizzle_migrations', 'project_registry', 'nexus_schema_meta']) // 'nexus'
 * recognizeCleoStore(['project_registry']) // null
 * ```
 */
export function recognizeCleoStore(tableNames: Iterable<string>): CleoLegacyStore | null {
  const present = new Set(tableNames)
  for (const [store, markers] of Object.entries(CLEO_STORE_MARKERS) as Array<[CleoLegacyStore, CleoStoreMarkers]>) {
    if ([...markers.bookkeeping, ...markers.tables].every((table) => present.has(table))) return store
  }
  return null
}
