/**
 * Memory ↔ task links (`produced_by`, `applies_to`, `informed_by`, `contradicts`).
 * The task id is a soft reference into tasks.db; the memory must exist (checked here
 * and by a trigger), and links go with their memory when it is deleted.
 *
 * @module
 */
import type { Selectable } from 'kysely'
import type { BrainMemoryLinkAddInput } from './brain.input.types.js'

import { toIso } from '../sqlite/clock.js'
import { CleoStoreError } from '../sqlite/errors.js'
import { template } from '../sqlite/query-template.js'
import { guardReferences } from '../sqlite/reference-guard.js'
import { validate } from '../sqlite/validate.js'
import type { BrainCore } from './brain-core.js'
import { BrainMemoryId, BrainMemoryLinkInput } from './brain.schemas.js'
import type { BrainDatabase, BrainMemoryLinksTable } from './brain.tables.js'
import type { BrainMemoryLink } from './brain.types.js'
import type { BrainMemories } from './memories.js'

const INSERT = template<BrainDatabase, Selectable<BrainMemoryLinksTable>>()((db, p) =>
  db
    .insertInto('brain_memory_links')
    .values({
      memory_kind: p('memory_kind'),
      memory_id: p('memory_id'),
      task_id: p('task_id'),
      link_type: p('link_type'),
      created_at: p('created_at'),
    })
    .onConflict((oc) => oc.doNothing()),
)
const GET = template<BrainDatabase, { memory_id: string; task_id: string; link_type: string }>()((db, p) =>
  db
    .selectFrom('brain_memory_links')
    .selectAll()
    .where('memory_id', '=', p('memory_id'))
    .where('task_id', '=', p('task_id'))
    .where('link_type', '=', p('link_type') as any),
)
const REMOVE = template<BrainDatabase, { memory_id: string; task_id: string; link_type: string }>()((db, p) =>
  db
    .deleteFrom('brain_memory_links')
    .where('memory_id', '=', p('memory_id'))
    .where('task_id', '=', p('task_id'))
    .where('link_type', '=', p('link_type') as any),
)
const FOR_MEMORY = template<BrainDatabase, { memory_id: string }>()((db, p) =>
  db.selectFrom('brain_memory_links').selectAll().where('memory_id', '=', p('memory_id')).orderBy('task_id').orderBy('link_type'),
)
const FOR_TASK = template<BrainDatabase, { task_id: string }>()((db, p) =>
  db.selectFrom('brain_memory_links').selectAll().where('task_id', '=', p('task_id')).orderBy('memory_id').orderBy('link_type'),
)

function fromRow(row: Selectable<BrainMemoryLinksTable>): BrainMemoryLink {
  return {
    memoryKind: row.memory_kind,
    memoryId: row.memory_id,
    taskId: row.task_id,
    linkType: row.link_type,
    createdAt: toIso(row.created_at),
  }
}

/**
 * `brain.links`: memory ↔ task links.
 *
 * @example
 * ```ts
 * await brain.links.add({ memoryId: decision.id, taskId: 'T42', linkType: 'applies_to' })
 * const links = await brain.links.forTask('T42')
 * ```
 */
export class BrainMemoryLinks {
  readonly #core: BrainCore
  readonly #memories: BrainMemories

  /** @internal Created by the repository. */
  constructor(core: BrainCore, memories: BrainMemories) {
    this.#core = core
    this.#memories = memories
  }

  /**
   * Links a memory (of any of the four kinds) to a task. Idempotent: an existing
   * link is returned unchanged. `NOT_FOUND` when the memory does not exist.
   */
  async add(input: BrainMemoryLinkAddInput): Promise<BrainMemoryLink> {
    const { engine, clock, context } = this.#core
    const o = validate(BrainMemoryLinkInput, input, 'brain.links.add', context)
    await guardReferences(this.#core.guard, 'brain.links.add', [{ kind: 'task', id: o.taskId, path: ['taskId'] }])
    const memories = this.#memories
    return engine.write(function* (x) {
      const memory = yield* memories.locate(x, o.memoryId)
      if (memory === undefined) {
        throw new CleoStoreError('NOT_FOUND', `brain.links.add: memory ${JSON.stringify(o.memoryId)} does not exist`, {
          ...context,
          details: { path: ['memoryId'], id: o.memoryId },
        })
      }
      const key = { memory_id: o.memoryId, task_id: o.taskId, link_type: o.linkType }
      yield* x.run(INSERT, { ...key, memory_kind: memory.kind, link_type: o.linkType, created_at: clock() })
      return fromRow((yield* x.get(GET, key))!)
    })
  }

  /** Removes a link; false when there was none. */
  async remove(input: BrainMemoryLinkAddInput): Promise<boolean> {
    const { engine, context } = this.#core
    const o = validate(BrainMemoryLinkInput, input, 'brain.links.remove', context)
    return engine.write(function* (x) {
      return (yield* x.run(REMOVE, { memory_id: o.memoryId, task_id: o.taskId, link_type: o.linkType })).changes > 0
    })
  }

  /** Links of one memory. */
  async forMemory(memoryId: string): Promise<BrainMemoryLink[]> {
    const { engine, context } = this.#core
    validate(BrainMemoryId, memoryId, 'brain.links.forMemory', context)
    return (await engine.read((x) => x.all(FOR_MEMORY, { memory_id: memoryId }))).map(fromRow)
  }

  /** Links to one task. */
  async forTask(taskId: string): Promise<BrainMemoryLink[]> {
    const { engine, context } = this.#core
    validate(BrainMemoryId, taskId, 'brain.links.forTask', context)
    return (await engine.read((x) => x.all(FOR_TASK, { task_id: taskId }))).map(fromRow)
  }
}
