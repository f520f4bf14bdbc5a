/**
 * The workspace's cross-database write guards (CLEO's soft-FK write guards,
 * T185/T238). Through a workspace, a write that names an id living in another
 * database checks it there first and is refused with `NOT_FOUND`, nothing
 * written:
 *
 * | write | names | looked up in |
 * | --- | --- | --- |
 * | `brain.record` / `recordMany` / `update`: `contextTaskId`, `contextEpicId` | tasks | tasks.db `tasks` |
 * | `brain.record` / `recordMany` / `update`: `sourceSessionId` | sessions | tasks.db `sessions` |
 * | `brain.links.add({ taskId })` | a task | tasks.db `tasks` |
 * | `tasks.credentials.put({ agentId })` | an agent | signaldock `agents` |
 * | `conduit.agentRefs.attach(agentId)` | an agent | signaldock `agents` |
 *
 * The check runs before the write's own transaction (two files cannot share one):
 * a task deleted in between leaves a dangling reference, which `ws.check()` reports
 * and `ws.repair()` / `brain.maintain` reconcile. Repositories opened on their own
 * have no guard; their references stay soft.
 *
 * @module
 */
import { sql } from 'kysely'

import type { SignaldockRepository } from '../signaldock/signaldock-repository.js'
import { CleoStoreError } from '../sqlite/errors.js'
import type { ReferenceGuard, SoftReference } from '../sqlite/reference-guard.js'
import type { TasksRepository } from '../tasks/tasks-repository.js'

/**
 * The stores a guard looks ids up in (resolved on each write: the workspace opens
 * them together).
 *
 * @example
 * ```ts
 * const stores: GuardedStores = { tasks: ws.tasks, signaldock: ws.signaldock }
 * ```
 */
export interface GuardedStores {
  readonly tasks: TasksRepository
  readonly signaldock: SignaldockRepository
}

const WHERE: Record<SoftReference['kind'], string> = { task: 'tasks.db', session: 'tasks.db', agent: 'signaldock' }

async function existing(stores: GuardedStores, kind: SoftReference['kind'], ids: readonly string[]): Promise<Set<string>> {
  if (kind === 'agent') {
    // A write names one agent: one primary-key read each.
    const found = await Promise.all(ids.map(async (id) => ((await stores.signaldock.agents.get(id)) === null ? [] : [id])))
    return new Set(found.flat())
  }
  const table = kind === 'task' ? 'tasks' : 'sessions'
  const rows = await stores.tasks.kysely
    .selectFrom(table)
    .select('id')
    .where('id', 'in', sql<string>`(SELECT value FROM json_each(${JSON.stringify(ids)}))`)
    .execute()
  return new Set(rows.map((row) => row.id))
}

/**
 * A {@link ReferenceGuard} over the workspace's tasks.db and signaldock.
 * `stores()` returns them (undefined while the workspace is still opening: then
 * nothing can write yet).
 *
 * @example
 * ```ts
 * let stores: GuardedStores | undefined
 * const guard = workspaceReferenceGuard(() => stores)
 * const brain = await BrainRepository.open(file, { referenceGuard: guard })
 * ```
 */
export function workspaceReferenceGuard(stores: () => GuardedStores | undefined): ReferenceGuard {
  return async (operation, refs) => {
    const opened = stores()
    if (opened === undefined) return
    const missing: SoftReference[] = []
    for (const kind of ['task', 'session', 'agent'] as const) {
      const wanted = refs.filter((ref) => ref.kind === kind)
      if (wanted.length === 0) continue
      const found = await existing(opened, kind, [...new Set(wanted.map((ref) => ref.id))])
      missing.push(...wanted.filter((ref) => !found.has(ref.id)))
    }
    if (missing.length === 0) return
    const first = missing[0]!
    throw new CleoStoreError(
      'NOT_FOUND',
      `${operation}: ${first.kind} ${JSON.stringify(first.id)} does not exist in ${WHERE[first.kind]}${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}; nothing was written`,
      {
        store: 'workspace',
        details: {
          reason: 'dangling-reference',
          kind: first.kind,
          id: first.id,
          path: first.path,
          missing: missing.map((ref) => ({ kind: ref.kind, id: ref.id, path: ref.path })),
        },
      },
    )
  }
}

/**
 * What brain maintenance sees of tasks.db through a workspace: every task and
 * session id (`BrainRepositoryOptions.knownReferences`), so `ws.brain.maintain()`
 * reconciles orphaned references. Empty lists until the workspace is open.
 *
 * @example
 * ```ts
 * const brain = await BrainRepository.open(file, { knownReferences: workspaceKnownReferences(() => stores) })
 * ```
 */
export function workspaceKnownReferences(
  stores: () => GuardedStores | undefined,
): () => Promise<{ taskIds: string[]; sessionIds: string[] }> {
  return async () => {
    const opened = stores()
    if (opened === undefined) throw new CleoStoreError('CLOSED', 'the workspace is not open yet', { store: 'workspace' })
    const [tasks, sessions] = await Promise.all([
      opened.tasks.kysely.selectFrom('tasks').select('id').execute(),
      opened.tasks.kysely.selectFrom('sessions').select('id').execute(),
    ])
    return { taskIds: tasks.map((row) => row.id), sessionIds: sessions.map((row) => row.id) }
  }
}
