/**
 * `cleo-store/kysely`: the typed Kysely side of cleo-store. Importing this subpath
 * (a type-only import is enough) types every repository's `kysely` property as
 * `Kysely<…>` of its store's tables; the root module keeps it opaque so that a
 * program importing only `cleo-store` does not load Kysely's declarations. It also
 * exports the table interfaces and the `node:sqlite` Kysely dialect.
 *
 * @example
 * ```ts
 * import { TasksRepository } from 'cleo-store'
 * import type {} from 'cleo-store/kysely'
 *
 * await using tasks = await TasksRepository.open(':memory:')
 * const open = await tasks.kysely.selectFrom('tasks').select(['id', 'title']).where('status', '=', 'pending').execute()
 * ```
 *
 * @module
 */
import type { Kysely } from 'kysely'

import type { BrainDatabase } from './brain/brain.tables.js'
import type { ConduitDatabase } from './conduit/conduit.tables.js'
import type { NexusDatabase } from './nexus/nexus.tables.js'
import type { NodeSqliteDialect as KyselyNodeSqliteDialect } from './sqlite/node-sqlite-dialect.js'
import type { SignaldockDatabase } from './signaldock/signaldock.tables.js'
import type { TasksDatabase } from './tasks/tasks.tables.js'
import type { TelemetryDatabase } from './telemetry/telemetry.tables.js'

/**
 * Store name → the Kysely database interface of its tables.
 *
 * @example
 * ```ts
 * type Row = StoreDatabases['tasks']['tasks'] // the tasks table's columns
 * ```
 */
export interface StoreDatabases {
  tasks: TasksDatabase
  brain: BrainDatabase
  conduit: ConduitDatabase
  signaldock: SignaldockDatabase
  nexus: NexusDatabase
  telemetry: TelemetryDatabase
}

declare module './sqlite/kysely-handle.js' {
  /** With `cleo-store/kysely` imported, `repo.kysely` is the store's typed Kysely instance. */
  interface RepositoryKyselyTypes {
    tasks: Kysely<TasksDatabase>
    brain: Kysely<BrainDatabase>
    conduit: Kysely<ConduitDatabase>
    signaldock: Kysely<SignaldockDatabase>
    nexus: Kysely<NexusDatabase>
    telemetry: Kysely<TelemetryDatabase>
  }
}

declare module './sqlite/node-sqlite-dialect.root.js' {
  /** With `cleo-store/kysely` imported, the root's `NodeSqliteDialect` instances are Kysely's `Dialect`. */
  interface NodeSqliteDialectTypes {
    readonly instance: KyselyNodeSqliteDialect
  }
}

export type { BrainDatabase, ConduitDatabase, NexusDatabase, SignaldockDatabase, TasksDatabase, TelemetryDatabase }
export { NodeSqliteDialect } from './sqlite/node-sqlite-dialect.js'
export type { NodeSqliteDialectConfig } from './sqlite/node-sqlite-dialect.js'
