/**
 * The seeded status registry: `tasks.statuses`.
 *
 * @module
 */
import type { Selectable } from 'kysely'

import { template } from '../sqlite/query-template.js'
import type { TasksContext } from './tasks-context.js'
import type { StatusEntityType } from './tasks.enums.js'
import { StatusEntityTypeSchema } from './tasks.schemas.js'
import type { StatusRegistryTable, TasksDatabase } from './tasks.tables.js'

/**
 * One known status of one kind of entity.
 *
 * @example
 * ```ts
 * const [first]: StatusRegistryEntry[] = await tasks.statuses.list('task')
 * ```
 */
export interface StatusRegistryEntry {
  readonly entityType: StatusEntityType
  readonly name: string
  readonly namespace: string
  readonly description: string
  /** True when an entity in this status is finished. */
  readonly terminal: boolean
}

const ALL = template<TasksDatabase>()((db) => db.selectFrom('status_registry').selectAll().orderBy('entity_type').orderBy('name'))
const OF_ENTITY = template<TasksDatabase, { entity: StatusEntityType }>()((db, p) =>
  db.selectFrom('status_registry').selectAll().where('entity_type', '=', p('entity')).orderBy('name'),
)

const toEntry = (row: Selectable<StatusRegistryTable>): StatusRegistryEntry => ({
  entityType: row.entity_type,
  name: row.name,
  namespace: row.namespace,
  description: row.description,
  terminal: row.is_terminal === 1,
})

/**
 * The status registry of tasks.db, as `tasks.statuses`: every status of every
 * entity (tasks, sessions, pipelines, stages, ADRs, gates, manifests, releases,
 * agent instances) with its meaning and whether it is terminal. Seeded by
 * migration and kept equal to the tables' CHECK constraints (CLEO created this
 * table and never filled it).
 *
 * @example
 * ```ts
 * const terminal = (await tasks.statuses.list('task')).filter((s) => s.terminal).map((s) => s.name) // ['cancelled', 'done']
 * ```
 */
export class TaskStatusRegistry {
  readonly #ctx: TasksContext

  /** @internal Created by the repository. */
  constructor(ctx: TasksContext) {
    this.#ctx = ctx
  }

  /**
   * The registered statuses, of one entity type or all.
   *
   * @example
   * ```ts
   * await tasks.statuses.list('session')
   * ```
   */
  async list(entityType?: StatusEntityType): Promise<StatusRegistryEntry[]> {
    const ctx = this.#ctx
    const entity = entityType === undefined ? undefined : ctx.parse(StatusEntityTypeSchema, entityType, 'tasks.statuses.list')
    const rows = await ctx.engine.read((x) => (entity === undefined ? x.all(ALL) : x.all(OF_ENTITY, { entity })))
    return rows.map(toEntry)
  }
}
