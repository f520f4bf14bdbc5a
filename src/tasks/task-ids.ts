/**
 * Task ids (issue 18). A task's id is `T` followed by its number (`seq`), in one of two
 * forms recorded per store in `schema_meta.task_id_format`:
 *
 * - `'plain'` (cleo-store's own): `T1`, `T42`, `T1000`;
 * - `'cleo'` (a project imported from CLEO): zero-padded to three digits as CLEO writes
 *   them, `T001`, `T042`, growing past 999 as `T1000`.
 *
 * Both forms of the same number name the same task slot (`seq` is unique), and the
 * tasks table's CHECK admits exactly these two forms. Every parser of task ids accepts
 * both, whatever the store's format.
 *
 * @module
 */

/** The id forms a tasks.db can number new tasks in. */
export const TASK_ID_FORMATS = Object.freeze(['plain', 'cleo'] as const)

/** How a tasks.db numbers new tasks (`schema_meta.task_id_format`). */
export type TaskIdFormat = (typeof TASK_ID_FORMATS)[number]

/**
 * A task id in either form: `T` + a number without leading zeros (`T7`, `T42`), or
 * CLEO's three-digit zero-padded form of a number below 100 (`T007`, `T042`).
 *
 * @example
 * ```ts
 * TASK_ID_REGEX.test('T001') // true
 * TASK_ID_REGEX.test('T0001') // false: CLEO pads to three digits only
 * ```
 */
export const TASK_ID_REGEX = /^T(?:[1-9][0-9]{0,15}|0(?:0[1-9]|[1-9][0-9]))$/

/**
 * The id of task number `seq` in a store whose format is `format` (a missing or
 * unknown format is `'plain'`).
 *
 * @example
 * ```ts
 * formatTaskId(4, 'cleo') // 'T004'
 * formatTaskId(1234, 'cleo') // 'T1234'
 * formatTaskId(4, 'plain') // 'T4'
 * ```
 */
export function formatTaskId(seq: number, format: string | null | undefined): string {
  return format === 'cleo' ? `T${String(seq).padStart(3, '0')}` : `T${seq}`
}

/**
 * The number of a task id in either form, or `null` when `id` is not a task id.
 *
 * @example
 * ```ts
 * taskIdNumber('T007') // 7
 * taskIdNumber('T7') // 7
 * taskIdNumber('X7') // null
 * ```
 */
export function taskIdNumber(id: string): number | null {
  return TASK_ID_REGEX.test(id) ? Number(id.slice(1)) : null
}
