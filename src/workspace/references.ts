/**
 * Cross-database soft references (DESIGN §4: references between files are text ids,
 * guarded by the workspace). Each is a {@link WorkspaceCheck} that `ws.check()` runs
 * and `ws.repair()` can fix:
 *
 * | check | reference | safe repair |
 * | --- | --- | --- |
 * | `refs.brain-tasks` | brain memory links and decision contexts → tasks.db tasks | `brain.reconcileOrphanedRefs` (links removed, contexts nulled) |
 * | `refs.brain-sessions` | brain observations' source session → tasks.db sessions | the same, with the session ids (session id nulled) |
 * | `refs.project-agents` | enabled conduit.db project agent refs → signaldock agents | detach the ref (soft: the row and its history stay) |
 * | `refs.credential-cache` | tasks.db credential cache → signaldock agents | drop the cache row (signaldock is the source of truth) |
 * | `refs.ux-cleanup-sessions` | conduit.db `ux-cleanup:<type>:<session>` queues → open tasks.db sessions | purge the queue (its session is gone or ended) and forget the session's end event |
 *
 * Every check reads whole id sets and compares them in SQL (`json_each` on SQLite,
 * `jsonb_array_elements_text` on PostgreSQL), never one query per row. They run on
 * every store of the workspace, local or on a server.
 *
 * @module
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

import type { BrainRepository } from '../brain/brain-repository.js'
import type { ConduitRepository } from '../conduit/conduit-repository.js'
import type { SignaldockRepository } from '../signaldock/signaldock-repository.js'
import type { TasksRepository } from '../tasks/tasks-repository.js'
import type { WorkspaceCheck, WorkspaceCheckTarget, WorkspaceFinding, WorkspaceRepairAction } from './check-types.js'

interface Stores {
  tasks?: TasksRepository
  brain?: BrainRepository
  conduit?: ConduitRepository
  signaldock?: SignaldockRepository
}

function storesOf(target: WorkspaceCheckTarget): Stores {
  const stores = { ...(target.stores as unknown as Stores) }
  // stores.signaldock is the local file (absent on PostgreSQL); agents come from the repository.
  if (target.signaldock) stores.signaldock = target.signaldock
  else delete stores.signaldock
  return stores
}

async function ids(db: Kysely<any>, table: string, column: string): Promise<string[]> {
  const rows = await db.selectFrom(table).select(sql<string>`${sql.ref(column)}`.as('id')).execute()
  return rows.map((row) => String(row['id']))
}

/** A store the checks read: its query builder and its engine (the known-id list is bound as JSON either way). */
interface CheckedStore {
  readonly kysely: Kysely<any>
  readonly dialect: 'sqlite' | 'postgres'
}

/** Values of `table.column` (non-null, distinct) that are not in `known`. */
async function missing(store: CheckedStore, table: string, column: string, known: readonly string[], where?: string): Promise<string[]> {
  const json = JSON.stringify(known)
  const knownSet =
    store.dialect === 'postgres' ? sql`(SELECT jsonb_array_elements_text(${json}::jsonb))` : sql`(SELECT value FROM json_each(${json}))`
  const rows = await store.kysely
    .selectFrom(table)
    .select(sql<string>`${sql.ref(column)}`.as('id'))
    .distinct()
    .where(sql.ref(column), 'is not', null)
    .where(sql.ref(column), 'not in', knownSet)
    .$if(where !== undefined, (q) => q.where(sql.ref(where!), '=', 1))
    .execute()
  return rows.map((row) => String(row['id']))
}

async function agentSlugs(signaldock: SignaldockRepository): Promise<string[]> {
  const slugs: string[] = []
  let after: string | undefined
  for (;;) {
    const page = await signaldock.agents.list({ limit: 10_000, ...(after === undefined ? {} : { after }) })
    slugs.push(...page.map((agent) => agent.agentId))
    if (page.length < 10_000) return slugs
    after = page[page.length - 1]!.agentId
  }
}

function finding(check: string, store: WorkspaceFinding['store'], code: string, message: string, dangling: string[]): WorkspaceFinding {
  return { check, store, severity: 'warning', code, message, repairable: true, details: { dangling, count: dangling.length } }
}

/** brain → tasks: memory links and decision contexts that name tasks tasks.db no longer has. */
export const BRAIN_TASK_REFS_CHECK: WorkspaceCheck = Object.freeze({
  name: 'refs.brain-tasks',
  description: 'brain memory links and decision contexts name tasks that exist in tasks.db',
  async run(target: WorkspaceCheckTarget): Promise<WorkspaceFinding[]> {
    const { tasks, brain } = storesOf(target)
    if (!tasks || !brain) return []
    const known = await ids(tasks.kysely, 'tasks', 'id')
    const dangling = [
      ...new Set([
        ...(await missing(brain, 'brain_memory_links', 'task_id', known)),
        ...(await missing(brain, 'brain_decisions', 'context_task_id', known)),
        ...(await missing(brain, 'brain_decisions', 'context_epic_id', known)),
      ]),
    ]
    return dangling.length === 0
      ? []
      : [finding('refs.brain-tasks', 'brain', 'dangling-task-ref', `brain.db refers to ${dangling.length} task(s) tasks.db does not have`, dangling)]
  },
  async repair(target: WorkspaceCheckTarget): Promise<WorkspaceRepairAction[]> {
    const { tasks, brain } = storesOf(target)
    if (!tasks || !brain) return []
    const report = await brain.reconcileOrphanedRefs(await ids(tasks.kysely, 'tasks', 'id'))
    return [
      {
        check: 'refs.brain-tasks',
        store: 'brain',
        action: `removed ${report.linksRemoved} link(s) and cleared ${report.decisionsFixed} decision context(s)`,
        changes: report.linksRemoved + report.decisionsFixed,
        ok: true,
      },
    ]
  },
})

/** brain → tasks sessions: observations whose source session tasks.db does not have. */
export const BRAIN_SESSION_REFS_CHECK: WorkspaceCheck = Object.freeze({
  name: 'refs.brain-sessions',
  description: 'brain observations name source sessions that exist in tasks.db',
  async run(target: WorkspaceCheckTarget): Promise<WorkspaceFinding[]> {
    const { tasks, brain } = storesOf(target)
    if (!tasks || !brain) return []
    const dangling = await missing(brain, 'brain_observations', 'source_session_id', await ids(tasks.kysely, 'sessions', 'id'))
    return dangling.length === 0
      ? []
      : [finding('refs.brain-sessions', 'brain', 'dangling-session-ref', `brain.db observations name ${dangling.length} session(s) tasks.db does not have`, dangling)]
  },
  async repair(target: WorkspaceCheckTarget): Promise<WorkspaceRepairAction[]> {
    const { tasks, brain } = storesOf(target)
    if (!tasks || !brain) return []
    const report = await brain.reconcileOrphanedRefs(await ids(tasks.kysely, 'tasks', 'id'), {
      existingSessionIds: await ids(tasks.kysely, 'sessions', 'id'),
    })
    return [
      {
        check: 'refs.brain-sessions',
        store: 'brain',
        action: `cleared the source session of ${report.observationsFixed} observation(s)`,
        changes: report.observationsFixed,
        ok: true,
      },
    ]
  },
})

/** conduit → signaldock: enabled project refs to agents the global registry does not have. */
export const PROJECT_AGENT_REFS_CHECK: WorkspaceCheck = Object.freeze({
  name: 'refs.project-agents',
  description: 'enabled project agent refs (conduit.db) name agents registered in signaldock',
  async run(target: WorkspaceCheckTarget): Promise<WorkspaceFinding[]> {
    const { conduit, signaldock } = storesOf(target)
    if (!conduit || !signaldock) return []
    const dangling = await missing(conduit, 'project_agent_refs', 'agent_id', await agentSlugs(signaldock), 'enabled')
    return dangling.length === 0
      ? []
      : [finding('refs.project-agents', 'conduit', 'dangling-agent-ref', `${dangling.length} attached agent(s) are not in signaldock`, dangling)]
  },
  async repair(target: WorkspaceCheckTarget, findings: readonly WorkspaceFinding[]): Promise<WorkspaceRepairAction[]> {
    const { conduit } = storesOf(target)
    if (!conduit) return []
    let changes = 0
    for (const f of findings) for (const agentId of (f.details?.['dangling'] as string[] | undefined) ?? []) {
      await conduit.agentRefs.detach(agentId)
      changes++
    }
    return [{ check: 'refs.project-agents', store: 'conduit', action: `detached ${changes} ref(s) to unknown agents`, changes, ok: true }]
  },
})

/** tasks credential cache → signaldock: cached credentials of agents the registry no longer has. */
export const CREDENTIAL_CACHE_CHECK: WorkspaceCheck = Object.freeze({
  name: 'refs.credential-cache',
  description: 'the tasks.db credential cache holds only agents registered in signaldock',
  async run(target: WorkspaceCheckTarget): Promise<WorkspaceFinding[]> {
    const { tasks, signaldock } = storesOf(target)
    if (!tasks || !signaldock) return []
    const dangling = await missing(tasks, 'agent_credentials', 'agent_id', await agentSlugs(signaldock))
    return dangling.length === 0
      ? []
      : [finding('refs.credential-cache', 'tasks', 'dangling-credential', `${dangling.length} cached credential(s) of unknown agents`, dangling)]
  },
  async repair(target: WorkspaceCheckTarget, findings: readonly WorkspaceFinding[]): Promise<WorkspaceRepairAction[]> {
    const { tasks } = storesOf(target)
    if (!tasks) return []
    let changes = 0
    for (const f of findings) for (const agentId of (f.details?.['dangling'] as string[] | undefined) ?? []) {
      if (await tasks.credentials.remove(agentId)) changes++
    }
    return [{ check: 'refs.credential-cache', store: 'tasks', action: `dropped ${changes} cached credential(s)`, changes, ok: true }]
  },
})

// issue 17: pending deletions follow their session
/**
 * conduit → tasks sessions: the daemon's pending-deletion queues
 * (`ux-cleanup:<type>:<session>`) of sessions that tasks.db no longer has, or that
 * ended or were orphaned (their deletions must go with them).
 */
export const UX_CLEANUP_SESSIONS_CHECK: WorkspaceCheck = Object.freeze({
  name: 'refs.ux-cleanup-sessions',
  description: 'the daemon\'s pending-deletion queues (ux-cleanup:*) belong to open tasks.db sessions',
  async run(target: WorkspaceCheckTarget): Promise<WorkspaceFinding[]> {
    const { tasks, conduit } = storesOf(target)
    if (!tasks || !conduit) return []
    const dangling = await danglingCleanupQueues(tasks, conduit)
    return dangling.length === 0
      ? []
      : [
          finding(
            'refs.ux-cleanup-sessions',
            'conduit',
            'dangling-cleanup-queue',
            `${dangling.length} pending-deletion queue(s) belong to sessions that are gone or ended`,
            dangling,
          ),
        ]
  },
  async repair(target: WorkspaceCheckTarget): Promise<WorkspaceRepairAction[]> {
    const { tasks, conduit } = storesOf(target)
    if (!tasks || !conduit) return []
    let changes = 0
    const queues = await danglingCleanupQueues(tasks, conduit)
    for (const queue of queues) changes += await conduit.queue.purgeQueue(queue)
    // End events whose queues are purged now need no daemon run.
    const events = await tasks.sessions.endEvents(10_000)
    await tasks.sessions.ackEndEvents(events.map((event) => event.sessionId))
    return [
      {
        check: 'refs.ux-cleanup-sessions',
        store: 'conduit',
        action: `purged ${queues.length} pending-deletion queue(s) of ended or missing sessions (${changes} entries)`,
        changes,
        ok: true,
      },
    ]
  },
})

const UX_CLEANUP_QUEUE = /^ux-cleanup:(?:user_input|feedback):(.+)$/s

/** The `ux-cleanup:*` queues whose session is not an open tasks.db session. */
async function danglingCleanupQueues(tasks: TasksRepository, conduit: ConduitRepository): Promise<string[]> {
  const rows = await conduit.kysely
    .selectFrom('delivery_jobs')
    .select('queue')
    .distinct()
    .where('queue', '>=', 'ux-cleanup:')
    .where('queue', '<', 'ux-cleanup;')
    .execute()
  if (rows.length === 0) return []
  const open = new Set(
    (
      await tasks.kysely
        .selectFrom('sessions')
        .select('id')
        .where('status', 'in', ['creating', 'active', 'suspended'])
        .execute()
    ).map((row) => row.id),
  )
  return rows
    .map((row) => row.queue)
    .filter((queue) => {
      const session = UX_CLEANUP_QUEUE.exec(queue)?.[1]
      return session === undefined || !open.has(session)
    })
}

/** The cross-database checks, in the order `ws.check()` runs them. */
export const SOFT_REFERENCE_CHECKS: readonly WorkspaceCheck[] = Object.freeze([
  BRAIN_TASK_REFS_CHECK,
  BRAIN_SESSION_REFS_CHECK,
  PROJECT_AGENT_REFS_CHECK,
  CREDENTIAL_CACHE_CHECK,
  UX_CLEANUP_SESSIONS_CHECK,
])
