/**
 * tasks.db 0013: ready work becomes an index walk. Three counters on `tasks`,
 * maintained by triggers in the transaction of every change that moves them (so
 * nothing can write a task, an edge or a status without keeping them right):
 *
 * - `unresolved_blockers`: the task's own dependencies whose target is neither
 *   `done` nor `cancelled` (the satisfaction rule of 0002: archiving keeps the
 *   status, so an archived `pending` target still blocks);
 * - `open_children`: children neither `done` nor `cancelled` and not archived (a
 *   parent's work is its children);
 * - `held_by_ancestors`: ancestors whose `unresolved_blockers` > 0 (a subtask waits
 *   for what its parents wait for).
 *
 * A task is ready when it is workable and all three are 0; the partial index
 * `tasks_ready_walk_idx` holds exactly those tasks, in the ready order, so
 * `ready(n)` reads n index entries whatever it would have walked past before.
 * `tasks_ready_idx` (0002) is dropped: nothing else read it.
 *
 * Frozen once released: add a new migration instead.
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
