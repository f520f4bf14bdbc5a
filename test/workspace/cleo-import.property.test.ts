/**
 * Issue 18 item 4: a property test over random CLEO-shaped task rows (CLEO's statuses
 * including `archived`, nullable types, parents, dependencies, its three timestamp
 * conventions, ids past 999, rows cleo-store's rules refuse). For every generated
 * project: each row is imported with its fields intact or skipped with a reason, exactly
 * the rows an independent oracle expects; ready work equals the oracle's; the next id
 * continues CLEO's sequence.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { CleoWorkspace } from '../../src/index.js'
import { buildCleoTasksDbFrom } from '../fixtures/cleo-legacy/index.js'
import { tempDir } from '../helpers.js'

type CleoTask = Record<string, string | number | null>

const STAGES = ['research', 'consensus', 'implementation', 'testing', 'release', 'contribution', 'some-unknown-stage']
const BASE = Date.UTC(2026, 3, 1)

/** A timestamp in one of CLEO's conventions, and the epoch ms it means. */
const timestamp = fc.tuple(fc.integer({ min: 0, max: 90 * 86_400 }), fc.constantFrom('sql', 'iso', 'seconds')).map(([offset, style]) => {
  const at = BASE + offset * 1000
  const iso = new Date(at).toISOString()
  const value = style === 'sql' ? iso.slice(0, 19).replace('T', ' ') : style === 'iso' ? iso : Math.floor(at / 1000)
  return { value, ms: at }
})

const taskShape = fc.record({
  number: fc.integer({ min: 1, max: 1500 }),
  title: fc.string({ minLength: 1, maxLength: 40 }).filter((t) => t.trim() === t && t !== ''),
  sameDescription: fc.boolean(),
  status: fc.constantFrom('pending', 'active', 'blocked', 'done', 'cancelled', 'archived', 'proposed'),
  archiveReason: fc.constantFrom('completed', 'cancelled', 'deleted'),
  priority: fc.constantFrom('critical', 'high', 'medium', 'low'),
  type: fc.constantFrom(null, 'epic', 'task', 'subtask'),
  parentPick: fc.option(fc.nat(), { nil: null }),
  stage: fc.constantFrom(...STAGES, null),
  created: timestamp,
  labels: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
})

const project = fc
  .record({
    shapes: fc.uniqueArray(taskShape, { minLength: 1, maxLength: 10, selector: (t) => t.number }),
    deps: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 12 }),
    extraCounter: fc.integer({ min: 0, max: 5 }),
  })
  .map(({ shapes, deps, extraCounter }) => {
    const sorted = [...shapes].sort((a, b) => a.number - b.number)
    const ids = sorted.map((s) => `T${String(s.number).padStart(3, '0')}`)
    const tasks: CleoTask[] = sorted.map((s, i) => {
      // T877: done needs stage contribution (or cancelled); cancelled needs stage cancelled.
      const stage = s.status === 'done' ? 'contribution' : s.status === 'cancelled' ? 'cancelled' : s.stage
      const parent = s.parentPick !== null && i > 0 ? ids[s.parentPick % i]! : null
      return {
        id: ids[i]!,
        title: s.title,
        description: s.sameDescription ? s.title : `about ${s.title}`,
        status: s.status,
        priority: s.priority,
        type: s.type,
        parent_id: parent,
        pipeline_stage: stage,
        created_at: s.created.value,
        labels_json: JSON.stringify(s.labels),
        archive_reason: s.status === 'archived' ? s.archiveReason : null,
        archived_at: s.status === 'archived' ? s.created.value : null,
        completed_at: s.status === 'done' || (s.status === 'archived' && s.archiveReason === 'completed') ? s.created.value : null,
      }
    })
    const dependencies = [
      ...new Map(
        deps
          .map(([a, b]) => [ids[a % ids.length]!, ids[b % ids.length]!] as const)
          .filter(([a, b]) => a !== b)
          .map(([a, b]) => [`${a}|${b}`, { task_id: a, depends_on: b }]),
      ).values(),
    ]
    const created = new Map(sorted.map((s, i) => [ids[i]!, s.created.ms]))
    return { tasks, dependencies, created, counter: sorted[sorted.length - 1]!.number + extraCounter }
  })

/** The oracle: which CLEO rows cleo-store's rules admit, with their mapped type and status. */
function expected(tasks: readonly CleoTask[]) {
  const out = new Map<string, { type: string; status: string; archived: boolean }>()
  for (const t of tasks) {
    const parent = t['parent_id'] as string | null
    if (t['description'] === t['title']) continue
    const parentType = parent === null ? null : out.get(parent)?.type
    if (parent !== null && parentType === undefined) continue
    const type = (t['type'] as string | null) ?? (parentType === null || parentType === 'epic' ? 'task' : parentType === 'task' ? 'subtask' : null)
    if (type === null) continue
    if (parent === null && type === 'subtask') continue
    if (parent !== null && !(((type === 'epic' || type === 'task') && parentType === 'epic') || (type === 'subtask' && parentType === 'task'))) continue
    const cleoStatus = t['status'] as string
    const status = cleoStatus === 'archived' ? (t['archive_reason'] === 'completed' ? 'done' : 'cancelled') : cleoStatus
    out.set(t['id'] as string, { type, status, archived: cleoStatus === 'archived' })
  }
  return out
}

/** Ready work by its definition (DESIGN: workable, no unresolved blocker, no open child, no held ancestor). */
function readyOracle(admitted: Map<string, { type: string; status: string; archived: boolean }>, tasks: readonly CleoTask[], deps: ReadonlyArray<{ task_id: string; depends_on: string }>): string[] {
  const parentOf = new Map(tasks.map((t) => [t['id'] as string, t['parent_id'] as string | null]))
  const blocked = (id: string) => deps.some((d) => d.task_id === id && admitted.has(d.depends_on) && !['done', 'cancelled'].includes(admitted.get(d.depends_on)!.status))
  const ready: string[] = []
  for (const [id, t] of admitted) {
    if (!['pending', 'active'].includes(t.status) || t.archived) continue
    if (blocked(id)) continue
    const openChild = [...admitted].some(([c, ct]) => parentOf.get(c) === id && !['done', 'cancelled'].includes(ct.status) && !ct.archived)
    if (openChild) continue
    let held = false
    for (let p = parentOf.get(id) ?? null; p !== null; p = parentOf.get(p) ?? null) if (blocked(p)) held = true
    if (!held) ready.push(id)
  }
  return ready.sort()
}

/** Imports `tasks` as a CLEO project and returns the ready work of the opened workspace. */
async function importedReady(tasks: CleoTask[], dependencies: Array<{ task_id: string; depends_on: string }>): Promise<string[]> {
  const root = tempDir()
  const dir = join(root, 'app')
  mkdirSync(join(dir, '.cleo'), { recursive: true })
  buildCleoTasksDbFrom(join(dir, '.cleo', 'tasks.db'), { tasks, dependencies })
  const globalDir = join(root, 'global')
  await CleoWorkspace.importFromCleo(dir, { globalDir })
  const ws = await CleoWorkspace.open(dir, { globalDir })
  try {
    return (await ws.tasks.dependencies.ready({ limit: 100 })).items.map((t) => t.id).sort()
  } finally {
    await ws.close()
  }
}

describe('importing random CLEO-shaped tasks', () => {
  it('an epic waiting for a task holds its children (the oracle on a fixed example)', async () => {
    const row = (id: string, type: string, parent: string | null): CleoTask => ({ id, title: `task ${id}`, type, parent_id: parent, status: 'pending', created_at: '2026-04-01 09:00:00' })
    const tasks = [row('T001', 'epic', null), row('T002', 'task', null), row('T003', 'task', 'T001')]
    const dependencies = [{ task_id: 'T001', depends_on: 'T002' }]
    const admitted = expected(tasks)
    expect(readyOracle(admitted, tasks, dependencies)).toEqual(['T002'])
    expect(await importedReady(tasks, dependencies)).toEqual(['T002'])
  })

  it('keeps every admissible row exactly, skips the rest with a reason, and ready work matches the oracle', async () => {
    await fc.assert(
      fc.asyncProperty(project, async ({ tasks, dependencies, created, counter }) => {
        const root = tempDir()
        const dir = join(root, 'app')
        mkdirSync(join(dir, '.cleo'), { recursive: true })
        buildCleoTasksDbFrom(join(dir, '.cleo', 'tasks.db'), { tasks, dependencies, counter })
        const globalDir = join(root, 'global')
        const report = await CleoWorkspace.importFromCleo(dir, { globalDir })
        const tasksReport = report.stores[0]!.tables.find((t) => t.source === 'tasks')!
        const admitted = expected(tasks)
        expect(tasksReport.read).toBe(tasks.length)
        expect(tasksReport.imported).toBe(admitted.size)
        expect(tasksReport.skipped).toBe(tasks.length - admitted.size)
        expect(tasksReport.reasons.map((r) => r.key).sort()).toEqual(tasks.map((t) => t['id'] as string).filter((id) => !admitted.has(id)).sort())
        for (const r of tasksReport.reasons) expect(r.reason.length).toBeGreaterThan(0)

        const ws = await CleoWorkspace.open(dir, { globalDir })
        try {
          for (const t of tasks) {
            const id = t['id'] as string
            const found = await ws.tasks.find(id)
            const want = admitted.get(id)
            if (want === undefined) {
              expect(found, id).toBeNull()
              continue
            }
            expect(found, id).not.toBeNull()
            expect([found!.title, found!.priority, found!.type, found!.status, found!.parentId ?? null, found!.labels]).toEqual([
              t['title'],
              t['priority'],
              want.type,
              want.status,
              t['parent_id'],
              JSON.parse(String(t['labels_json'])),
            ])
            expect(Date.parse(found!.createdAt)).toBe(created.get(id))
            expect(found!.archivedAt !== null).toBe(want.archived)
          }
          const deps = dependencies.filter((d) => admitted.has(d.task_id) && admitted.has(d.depends_on))
          expect((await ws.tasks.dependencies.ready({ limit: 100 })).items.map((t) => t.id).sort()).toEqual(readyOracle(admitted, tasks, deps))
          const next = await ws.tasks.create({ title: 'after the import' })
          expect(next.id).toBe(`T${String(counter + 1).padStart(3, '0')}`)
        } finally {
          await ws.close()
        }
      }),
      { numRuns: 25 },
    )
  }, 120_000)
})
