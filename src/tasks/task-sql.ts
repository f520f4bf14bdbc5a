/**
 * SQL pieces of the tasks aggregates that differ between SQLite and PostgreSQL
 * (issue 20). The SQLite text stays what it was; PostgreSQL gets its equivalent.
 *
 * @module
 */
import type { RawBuilder } from 'kysely'
import { sql } from 'kysely'

import type { SqlDialect } from '../sqlite/query-template.js'

/**
 * The elements of a JSON array of strings (a parameter or a `_json` text column) as
 * a table source whose column is `value`: `json_each(…)` on SQLite,
 * `json_array_elements_text(…)` on PostgreSQL (where the JSON columns are `text`).
 * `alias` (a fixed SQL name) names the source (on PostgreSQL a name is needed anyway: `elements`).
 *
 * @example
 * ```ts
 * sql`status IN (SELECT value FROM ${jsonArrayElements(p('statuses'), dialect)})`
 * ```
 */
export function jsonArrayElements(json: unknown, dialect: SqlDialect, alias?: RawBuilder<unknown>): RawBuilder<unknown> {
  if (dialect === 'postgres') return sql`json_array_elements_text(cast(${json} as json)) AS ${alias ?? sql`elements`}(value)`
  return alias === undefined ? sql`json_each(${json})` : sql`json_each(${json}) AS ${alias}`
}

/**
 * A text parameter as the seed row of a recursive CTE over id columns: as it is on
 * SQLite; on PostgreSQL typed `text collate "C"`, the type and collation of the id
 * columns the recursive term yields (an untyped seed is refused there).
 *
 * @example
 * ```ts
 * qb.selectNoFrom(idSeed(p('start'), dialect).as('id'))
 * ```
 */
export function idSeed(value: string, dialect: SqlDialect): RawBuilder<string> {
  return dialect === 'postgres' ? sql<string>`cast(${value} as text) collate "C"` : sql<string>`${value}`
}
