/**
 * Task ids `T<n>`: drawn in the insert's own transaction, so a failed create
 * leaves no gap, and several processes creating at once on one file never share
 * an id (CLEO committed the id first, then inserted, and raced).
 */
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { TasksRepository } from '../../src/tasks/index.js'
import { expectCode, runFixture, startGate, tempDir } from '../helpers.js'
import { POSTGRES_URL } from '../postgres/pg-test-schemas.js'
import { openTasks, openTasksSharingSchema, TASKS_ENGINES } from './open-tasks.js'

describe.each(TASKS_ENGINES)('task ids (%s)', (engine) => {
  it('are T1, T2, … with no gap after failed creates', async () => {
    const { tasks } = await openTasks({}, engine)
    expect((await tasks.create({ title: 'a' })).id).toBe('T1')
    // Each of these fails inside the write transaction, after the id was drawn.
    await expectCode(tasks.create({ title: 'b', parentId: 'T99' }), 'NOT_FOUND')
    await expectCode(tasks.create({ title: 'b', dependsOn: ['T1', 'T98'] }), 'NOT_FOUND')
    await expectCode(tasks.create({ title: 'same', description: 'same' }), 'INVARIANT')
    expect((await tasks.create({ title: 'c' })).id).toBe('T2')
  })

})

// Files and processes on one file: SQLite only (the PostgreSQL race is below).
describe('task ids on a tasks.db file', () => {
  it('survive reopening the file and are never reused', async () => {
    const file = join(tempDir(), 'tasks.db')
    const first = await TasksRepository.open(file)
    await first.create({ title: 'a' })
    await first.create({ title: 'b' })
    await first.close()
    const second = await TasksRepository.open(file)
    expect((await second.create({ title: 'c' })).id).toBe('T3')
    await second.close()
  })

  it('are unique and gap-free when several processes create at once on one file', async () => {
    const file = join(tempDir(), 'tasks.db')
    // Create (and migrate) the file first so the processes race on inserts only.
    await (await TasksRepository.open(file)).close()
    const processes = 4
    const perProcess = Number(process.env.CLEO_TASKS_ID_RACE ?? 50)
    // The processes create in lock-step rounds (a barrier before each create): every
    // round is a race of all of them, whatever the scheduler does.
    const gate = startGate(processes)
    const outputs = await Promise.all(
      Array.from({ length: processes }, (_, i) => runFixture('tasks-create-many.ts', [file, gate, String(perProcess), `p${i}`])),
    )
    const results = outputs.map((o) => JSON.parse(o.stdout.trim()) as { ok: boolean; ids: string[]; message?: string })
    for (const result of results) expect(result.ok, result.message).toBe(true)
    const all = results.flatMap((r) => r.ids)
    expect(all).toHaveLength(processes * perProcess)
    expect(new Set(all).size).toBe(all.length)
    const numbers = all.map((id) => Number(id.slice(1))).sort((a, b) => a - b)
    expect(numbers).toEqual(Array.from({ length: all.length }, (_, i) => i + 1))
    // Each process saw its own ids in increasing order, and the writers really
    // interleaved (otherwise this test would prove nothing about concurrency): the
    // k-th id of every process was drawn in round k, among the k-th ids of the others.
    let interleaved = false
    for (const { ids } of results) {
      const own = ids.map((id) => Number(id.slice(1)))
      expect(own).toEqual([...own].sort((a, b) => a - b))
      own.forEach((n, k) => expect(Math.ceil(n / processes) - 1, `id T${n} drawn in round ${k}`).toBe(k))
      if (own.at(-1)! - own[0]! + 1 !== own.length) interleaved = true
    }
    expect(interleaved, 'the processes ran one after another').toBe(true)
    const check = await TasksRepository.open(file)
    try {
      expect((await check.list({ limit: 1000 })).items).toHaveLength(all.length)
      expect((await check.audit.list({ action: 'task.create', limit: 1000 })).items).toHaveLength(all.length)
      expect((await check.create({ title: 'after' })).id).toBe(`T${all.length + 1}`)
    } finally {
      await check.close()
    }
  })
})

describe.skipIf(POSTGRES_URL === null)('task ids on PostgreSQL', () => {
  it('survive reopening the schema and are never reused', async () => {
    const [first, second] = (await openTasksSharingSchema(2)).repos
    await first!.create({ title: 'a' })
    await first!.create({ title: 'b' })
    await first!.close()
    expect((await second!.create({ title: 'c' })).id).toBe('T3')
  })

  it('are unique and gap-free when several hosts create at once on one schema', async () => {
    const hosts = 4
    const rounds = 12
    const { repos } = await openTasksSharingSchema(hosts, { busyTimeoutMs: 60_000 })
    // Each round is a race of every host (all creates in flight at once, each on its
    // own pool); rounds follow one another, so round k draws ids k*hosts+1 … (k+1)*hosts.
    const all: string[] = []
    for (let round = 0; round < rounds; round++) {
      const ids = (await Promise.all(repos.map((repo, i) => repo.create({ title: `r${round} h${i}` })))).map((task) => task.id)
      const numbers = ids.map((id) => Number(id.slice(1))).sort((a, b) => a - b)
      expect(numbers).toEqual(Array.from({ length: hosts }, (_, i) => round * hosts + i + 1))
      all.push(...ids)
    }
    expect(new Set(all).size).toBe(hosts * rounds)
    expect((await repos[0]!.list({ limit: 1000 })).items).toHaveLength(hosts * rounds)
    expect((await repos[1]!.audit.list({ action: 'task.create', limit: 1000 })).items).toHaveLength(hosts * rounds)
    expect((await repos[2]!.create({ title: 'after' })).id).toBe(`T${hosts * rounds + 1}`)
  })
})
