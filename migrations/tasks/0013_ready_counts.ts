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
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

/** `status` resolves a dependency (the 0002 rule). */
const RESOLVED = (row: string) => `${row}.status IN ('done', 'cancelled')`
/** A child that keeps its parent from being ready. */
const OPEN = (row: string) => `(${row}.status NOT IN ('done', 'cancelled') AND ${row}.archived_at IS NULL)`
/** How much a task holds its descendants: 1 per held ancestor, +1 when it has its own blockers. */
const HOLD = (row: string) => `(${row}.held_by_ancestors + (${row}.unresolved_blockers > 0))`
/** The descendants of `root` (not `root` itself); the tree is acyclic (checked by the repository). */
const DESCENDANTS = (root: string) =>
  `(WITH RECURSIVE down(id) AS (
      SELECT c.id FROM tasks AS c INDEXED BY tasks_children_idx WHERE c.parent_id = ${root}
      UNION ALL SELECT c.id FROM down CROSS JOIN tasks AS c INDEXED BY tasks_children_idx ON c.parent_id = down.id)
    SELECT id FROM down)`

const STATEMENTS: readonly string[] = [
  // Children by parent, without the root tasks: statistics of tasks_parent_idx count
  // every root under one NULL key, so where most tasks are roots the planner takes
  // "the children of X" for most of the table and scans it (15 ms a trigger at 20k
  // tasks). The triggers name this index (INDEXED BY): a lookup whatever the
  // statistics say.
  'CREATE INDEX tasks_children_idx ON tasks (parent_id, seq) WHERE parent_id IS NOT NULL',
  'ALTER TABLE tasks ADD COLUMN unresolved_blockers INTEGER NOT NULL DEFAULT 0 CHECK (unresolved_blockers >= 0)',
  'ALTER TABLE tasks ADD COLUMN open_children INTEGER NOT NULL DEFAULT 0 CHECK (open_children >= 0)',
  'ALTER TABLE tasks ADD COLUMN held_by_ancestors INTEGER NOT NULL DEFAULT 0 CHECK (held_by_ancestors >= 0)',

  // ── backfill ────────────────────────────────────────────────────────────────
  `UPDATE tasks SET unresolved_blockers = (
      SELECT count(*) FROM task_dependencies AS d CROSS JOIN tasks AS b ON b.id = d.depends_on
      WHERE d.task_id = tasks.id AND NOT ${RESOLVED('b')})`,
  `UPDATE tasks SET open_children = (SELECT count(*) FROM tasks AS c WHERE c.parent_id = tasks.id AND ${OPEN('c')})`,
  `UPDATE tasks SET held_by_ancestors = (
      WITH RECURSIVE up(id) AS (
        SELECT tasks.parent_id
        UNION ALL SELECT p.parent_id FROM up CROSS JOIN tasks AS p ON p.id = up.id WHERE p.parent_id IS NOT NULL)
      SELECT count(*) FROM up CROSS JOIN tasks AS a ON a.id = up.id WHERE a.unresolved_blockers > 0)
    WHERE parent_id IS NOT NULL`,

  // ── unresolved_blockers ─────────────────────────────────────────────────────
  // An edge counts while its target is unresolved. Deletes recount the task's
  // edges: a cascade from a deleted target runs after the target row is gone.
  `CREATE TRIGGER task_dependencies_count_insert AFTER INSERT ON task_dependencies
    WHEN EXISTS (SELECT 1 FROM tasks AS b WHERE b.id = NEW.depends_on AND NOT ${RESOLVED('b')})
    BEGIN
      UPDATE tasks SET unresolved_blockers = unresolved_blockers + 1 WHERE id = NEW.task_id;
    END`,
  `CREATE TRIGGER task_dependencies_count_delete AFTER DELETE ON task_dependencies
    BEGIN
      UPDATE tasks SET unresolved_blockers = (
          SELECT count(*) FROM task_dependencies AS d CROSS JOIN tasks AS b ON b.id = d.depends_on
          WHERE d.task_id = OLD.task_id AND NOT ${RESOLVED('b')})
        WHERE id = OLD.task_id;
    END`,
  `CREATE TRIGGER task_dependencies_count_update AFTER UPDATE OF task_id, depends_on ON task_dependencies
    BEGIN
      UPDATE tasks SET unresolved_blockers = (
          SELECT count(*) FROM task_dependencies AS d CROSS JOIN tasks AS b ON b.id = d.depends_on
          WHERE d.task_id = tasks.id AND NOT ${RESOLVED('b')})
        WHERE id IN (OLD.task_id, NEW.task_id);
    END`,
  `CREATE TRIGGER tasks_count_resolution AFTER UPDATE OF status ON tasks
    WHEN (${RESOLVED('OLD')}) <> (${RESOLVED('NEW')})
    BEGIN
      UPDATE tasks SET unresolved_blockers = unresolved_blockers + (CASE WHEN ${RESOLVED('NEW')} THEN -1 ELSE 1 END)
        WHERE id IN (SELECT d.task_id FROM task_dependencies AS d WHERE d.depends_on = NEW.id);
    END`,

  // ── open_children ───────────────────────────────────────────────────────────
  `CREATE TRIGGER tasks_count_child_insert AFTER INSERT ON tasks
    WHEN NEW.parent_id IS NOT NULL AND ${OPEN('NEW')}
    BEGIN
      UPDATE tasks SET open_children = open_children + 1 WHERE id = NEW.parent_id;
    END`,
  `CREATE TRIGGER tasks_count_child_delete AFTER DELETE ON tasks
    WHEN OLD.parent_id IS NOT NULL AND ${OPEN('OLD')}
    BEGIN
      UPDATE tasks SET open_children = open_children - 1 WHERE id = OLD.parent_id;
    END`,
  `CREATE TRIGGER tasks_count_child_update AFTER UPDATE OF status, archived_at, parent_id ON tasks
    WHEN OLD.parent_id IS NOT NEW.parent_id OR (${OPEN('OLD')}) <> (${OPEN('NEW')})
    BEGIN
      UPDATE tasks SET open_children = open_children - 1 WHERE id = OLD.parent_id AND ${OPEN('OLD')};
      UPDATE tasks SET open_children = open_children + 1 WHERE id = NEW.parent_id AND ${OPEN('NEW')};
    END`,

  // ── held_by_ancestors ───────────────────────────────────────────────────────
  // A new task starts with its parent's hold (a new task has no children yet).
  `CREATE TRIGGER tasks_hold_insert AFTER INSERT ON tasks
    WHEN NEW.parent_id IS NOT NULL
    BEGIN
      UPDATE tasks SET held_by_ancestors = (SELECT ${HOLD('p')} FROM tasks AS p WHERE p.id = NEW.parent_id)
        WHERE id = NEW.id AND (SELECT ${HOLD('p')} FROM tasks AS p WHERE p.id = NEW.parent_id) > 0;
    END`,
  // A task starts or stops having blockers of its own: its whole subtree follows
  // (nothing to do for a leaf, the common case).
  `CREATE TRIGGER tasks_hold_blockers AFTER UPDATE OF unresolved_blockers ON tasks
    WHEN (OLD.unresolved_blockers > 0) <> (NEW.unresolved_blockers > 0)
      AND EXISTS (SELECT 1 FROM tasks AS c INDEXED BY tasks_children_idx WHERE c.parent_id = NEW.id)
    BEGIN
      UPDATE tasks SET held_by_ancestors = held_by_ancestors + (CASE WHEN NEW.unresolved_blockers > 0 THEN 1 ELSE -1 END)
        WHERE id IN ${DESCENDANTS('NEW.id')};
    END`,
  // A task moves: it and its subtree lose the old parent's hold and take the new one's.
  `CREATE TRIGGER tasks_hold_reparent AFTER UPDATE OF parent_id ON tasks
    WHEN OLD.parent_id IS NOT NEW.parent_id
    BEGIN
      UPDATE tasks SET held_by_ancestors = held_by_ancestors
          - coalesce((SELECT ${HOLD('p')} FROM tasks AS p WHERE p.id = OLD.parent_id), 0)
          + coalesce((SELECT ${HOLD('p')} FROM tasks AS p WHERE p.id = NEW.parent_id), 0)
        WHERE id = NEW.id OR id IN ${DESCENDANTS('NEW.id')};
    END`,

  // ── the walk ────────────────────────────────────────────────────────────────
  'DROP INDEX tasks_ready_idx',
  `CREATE INDEX tasks_ready_walk_idx ON tasks (priority_rank, created_at, seq)
    WHERE workable = 1 AND unresolved_blockers = 0 AND open_children = 0 AND held_by_ancestors = 0`,
]

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db)
}
