/**
 * Batches (issue 19, item 4): `tasks.transaction(async (tx) => …)` and
 * `conduit.transaction(…)` run the repository's own API in one all-or-nothing
 * write transaction, with the same validation and audit rows; a step that throws
 * leaves nothing behind; other async flows wait for the end.
 */
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { describe, expect, it } from 'vitest'

import { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import { TasksRepository } from '../../src/tasks/index.js'
import { expectCode, tempDir } from '../helpers.js'
import { countRows, openTasks, TASKS_ENGINES } from './open-tasks.js'

function deferred<T = void>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

describe.each(TASKS_ENGINES)('tasks.transaction (%s)', (engine) => {
  // SQLite only: a second node:sqlite connection on the file watches (the PostgreSQL engine's batches have their own suite).
  it.skipIf(engine === 'postgres')('commits 100 creates with their audit rows at once; another connection sees none before the commit', async () => {
    const file = join(tempDir(), 'tasks.db')
    const tasks = await TasksRepository.open(file)
    const other = new DatabaseSync(file, { readOnly: true })
    try {
      const seenInside = await tasks.transaction(async (tx) => {
        for (let i = 0; i < 100; i++) await tx.create({ title: `task ${i}`, labels: ['batch'] })
        return (other.prepare('SELECT count(*) AS n FROM tasks').get() as { n: number }).n
      })
      expect(seenInside).toBe(0)
      expect((other.prepare('SELECT count(*) AS n FROM tasks').get() as { n: number }).n).toBe(100)
      expect((other.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'task.create'").get() as { n: number }).n).toBe(100)
      expect((await tasks.get('T100')).labels).toEqual(['batch'])
    } finally {
      other.close()
      await tasks.close()
    }
  })

  it('a throw rolls everything back: no task, no audit row, no id drawn', async () => {
    const { tasks } = await openTasks({}, engine)
    const failure = new Error('changed my mind')
    await expect(
      tasks.transaction(async (tx) => {
        const a = await tx.create({ title: 'a' })
        await tx.create({ title: 'b', dependsOn: [a.id] })
        await tx.update(a.id, { status: 'active' })
        throw failure
      }),
    ).rejects.toBe(failure) // the caller's own error, unchanged
    expect(await countRows(tasks, 'tasks')).toBe(0)
    expect(await countRows(tasks, 'audit_log')).toBe(0)
    expect(await countRows(tasks, 'task_dependencies')).toBe(0)
    expect((await tasks.create({ title: 'after' })).id).toBe('T1')
  })

  it('keeps the error code of a typed error thrown out of the callback', async () => {
    const { tasks } = await openTasks({}, engine)
    await expectCode(
      tasks.transaction(async (tx) => {
        await tx.create({ title: 'a' })
        await tx.get('T99')
      }),
      'NOT_FOUND',
    )
    expect(await countRows(tasks, 'tasks')).toBe(0)
  })

  it('a failed step leaves nothing behind and the rest commits (validation and checks as outside)', async () => {
    const { tasks } = await openTasks({}, engine)
    const result = await tasks.transaction(async (tx) => {
      const a = await tx.create({ title: 'a' })
      // Inserts the task, then fails on the unknown dependency: the savepoint undoes the insert.
      await expect(tx.create({ title: 'b', dependsOn: ['T42'] })).rejects.toMatchObject({ code: 'NOT_FOUND' })
      await expect(tx.create({ title: '' })).rejects.toMatchObject({ code: 'VALIDATION' })
      const c = await tx.create({ title: 'c', dependsOn: [a.id] })
      await expect(tx.dependencies.add(a.id, c.id)).rejects.toMatchObject({ code: 'CYCLE' })
      return [a.id, c.id]
    })
    expect(result).toEqual(['T1', 'T2'])
    expect((await tasks.list({ limit: 10 })).items.map((t) => t.title)).toEqual(['a', 'c'])
    expect(await countRows(tasks, 'audit_log')).toBe(2) // two creates (a create's dependsOn is part of its row)
    expect((await tasks.dependencies.ready()).items.map((t) => t.id)).toEqual(['T1'])
  })

  it('other async flows wait for the end; reads inside see the transaction’s own writes', async () => {
    const { tasks } = await openTasks({}, engine)
    const entered = deferred()
    const gate = deferred()
    const inside = tasks.transaction(async (tx) => {
      await tx.create({ title: 'inside 1' })
      entered.resolve()
      await gate.promise
      const seen = (await tx.list({ limit: 10 })).items.map((t) => t.title)
      const viaKysely = await tx.kysely.selectFrom('tasks').select('title').orderBy('seq').execute()
      await tx.create({ title: 'inside 2' })
      return { seen, viaKysely: viaKysely.map((r) => r.title) }
    })
    await entered.promise
    // Started outside the callback: it must queue behind the transaction.
    const outside = tasks.create({ title: 'outside' })
    gate.resolve()
    const [result, created] = await Promise.all([inside, outside])
    // tx.kysely joins the batch on SQLite only: on PostgreSQL it runs on its own pooled connection.
    expect(result).toEqual({ seen: ['inside 1'], viaKysely: engine === 'sqlite' ? ['inside 1'] : [] })
    expect(created.id).toBe('T3')
    expect((await tasks.list({ limit: 10 })).items.map((t) => t.title)).toEqual(['inside 1', 'inside 2', 'outside'])
  })

  it('a transaction inside a transaction joins it (one commit, one rollback)', async () => {
    const { tasks } = await openTasks({}, engine)
    await expect(
      tasks.transaction(async (tx) => {
        await tx.transaction(async (inner) => inner.create({ title: 'nested' }))
        throw new Error('outer fails')
      }),
    ).rejects.toBeDefined()
    expect(await countRows(tasks, 'tasks')).toBe(0)
  })

  it('refuses a callback that is not a function with VALIDATION', async () => {
    const { tasks } = await openTasks({}, engine)
    await expectCode(tasks.transaction('nope' as never), 'VALIDATION')
  })
})

describe('conduit.transaction', () => {
  it('sends several messages all or nothing', async () => {
    const conduit = await ConduitRepository.open(':memory:')
    try {
      for (const agent of ['alice', 'bob', 'carol']) await conduit.agentRefs.attach(agent)
      await expect(
        conduit.transaction(async (tx) => {
          await tx.messages.send({ from: 'alice', to: 'bob', content: 'one' })
          await tx.messages.send({ from: 'alice', to: 'carol', content: 'two' })
          throw new Error('abort')
        }),
      ).rejects.toBeDefined()
      expect(await conduit.inbox.unreadCount('bob')).toBe(0)
      await conduit.transaction(async (tx) => {
        await tx.messages.send({ from: 'alice', to: 'bob', content: 'one' })
        await expect(tx.messages.send({ from: 'alice', to: 'nobody-known', content: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
        await tx.messages.send({ from: 'alice', to: 'carol', content: 'two' })
      })
      expect(await conduit.inbox.unreadCount('bob')).toBe(1)
      expect(await conduit.inbox.unreadCount('carol')).toBe(1)
    } finally {
      await conduit.close()
    }
  })
})
