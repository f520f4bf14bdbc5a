/**
 * CLEO conformance of tasks.db (issue 16 items 5 and 7, issue 15 item 5): the
 * operation audit trail, the status/pipeline invariant T877 (in the schema and in
 * the repository), claims a harness can enforce, `complete`, and `claimNext`
 * handing out leaf work only.
 */
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'

import { tasksMigrations } from '../../migrations/tasks/index.js'
import { expectCode } from '../helpers.js'
import { openTasks, TASKS_ENGINES, execSql } from './open-tasks.js'

describe.each(TASKS_ENGINES)('the operation audit trail (tasks.audit.record) (%s)', (engine) => {
  it('appends operation rows with CLEO’s columns, filterable, beside the row-change entries', async () => {
    const { tasks } = await openTasks({ projectHash: 'abc123' }, engine)
    const task = await tasks.create({ title: 'audited' }, { actor: 'planner' })
    const ok = await tasks.audit.record(
      { domain: 'tasks', operation: 'add', success: true, durationMs: 12, gateway: 'cli', taskId: task.id, details: { argv: ['add'] } },
      { actor: 'cli-user', requestId: 'r-1' },
    )
    expect(ok).toMatchObject({
      kind: 'operation',
      action: 'tasks.add',
      domain: 'tasks',
      operation: 'add',
      success: true,
      durationMs: 12,
      errorCode: null,
      gateway: 'cli',
      projectHash: 'abc123',
      actor: 'cli-user',
      requestId: 'r-1',
      taskId: task.id,
      details: { argv: ['add'] },
    })
    await tasks.audit.record({ domain: 'session', operation: 'start', success: false, errorCode: 'E_NOT_FOUND', gateway: 'mcp' })

    const operations = await tasks.audit.list({ kind: 'operation' })
    expect(operations.items.map((e) => e.action)).toEqual(['session.start', 'tasks.add'])
    expect((await tasks.audit.list({ success: false })).items.map((e) => [e.domain, e.operation, e.errorCode])).toEqual([
      ['session', 'start', 'E_NOT_FOUND'],
    ])
    expect((await tasks.audit.list({ gateway: 'cli' })).items.map((e) => e.operation)).toEqual(['add'])
    expect((await tasks.audit.list({ domain: 'tasks', operation: 'add' })).items).toHaveLength(1)
    // The row-change entries stay, with their before/after.
    const changes = await tasks.audit.list({ kind: 'change' })
    expect(changes.items.map((e) => [e.action, e.domain, e.success])).toEqual([['task.create', null, null]])
    expect(changes.items[0]!.after).toMatchObject({ id: task.id })
  })

  it('validates before writing: missing fields, unknown keys, an error code on a success', async () => {
    const { tasks } = await openTasks({}, engine)
    await expectCode(tasks.audit.record({ domain: 'tasks', operation: 'add' } as never), 'VALIDATION')
    await expectCode(tasks.audit.record({ domain: 'tasks', operation: 'add', success: true, bogus: 1 } as never), 'VALIDATION')
    await expectCode(tasks.audit.record({ domain: 'tasks', operation: 'add', success: true, errorCode: 'E_X' }), 'VALIDATION')
    await expectCode(tasks.audit.record({ domain: '', operation: 'add', success: true }), 'VALIDATION')
    await expectCode(tasks.audit.record({ domain: 'tasks', operation: 'add', success: true, durationMs: -1 }), 'VALIDATION')
    expect((await tasks.audit.list({})).items).toEqual([])
  })

  it('the schema refuses a malformed operation row from any writer', async () => {
    const { tasks } = await openTasks({}, engine)
    const row = { timestamp: 1, action: 'x.y', entity_type: 'audit', entity_id: 'x.y', actor: 'raw' }
    await expectCode(tasks.kysely.insertInto('audit_log').values({ ...row, kind: 'operation' } as never).execute(), 'INVARIANT')
    await expectCode(tasks.kysely.insertInto('audit_log').values({ ...row, domain: 'x', operation: 'y', success: 1 } as never).execute(), 'INVARIANT')
    expect(Object.keys(tasksMigrations)).toContain('0012_operations_and_pipeline_invariant')
  })
})

describe.each(TASKS_ENGINES)('T877: status and lifecycle pipeline (%s)', (engine) => {
  async function withPipeline() {
    const { tasks, clock } = await openTasks({}, engine)
    const task = await tasks.create({ title: 'piped' })
    await tasks.update(task.id, { status: 'active' })
    const pipeline = await tasks.lifecycle.start(task.id)
    return { tasks, clock, task, pipeline }
  }

  it('refuses done before the contribution stage (repository and raw SQL), allows it at contribution', async () => {
    const { tasks, task, pipeline } = await withPipeline()
    await expect(tasks.update(task.id, { status: 'done' })).rejects.toMatchObject({ code: 'INVARIANT', details: { rule: 'T877' } })
    await expectCode(tasks.complete(task.id), 'INVARIANT')
    // Another writer (raw SQL) is refused by the schema itself.
    await expect(tasks.kysely.updateTable('tasks').set({ status: 'done', completed_at: 1 }).where('id', '=', task.id).execute()).rejects.toMatchObject({
      code: 'INVARIANT',
      message: expect.stringContaining('T877'),
    })
    expect((await tasks.get(task.id)).status).toBe('active')
    await tasks.lifecycle.advance(pipeline.id, { to: 'contribution', type: 'forced', reason: 'test' })
    expect((await tasks.complete(task.id)).status).toBe('done')
  })

  it('allows done once the pipeline completed, refuses it after a failed one', async () => {
    const { tasks, task, pipeline } = await withPipeline()
    await tasks.lifecycle.advance(pipeline.id, { to: 'contribution', type: 'forced' })
    await tasks.lifecycle.advance(pipeline.id) // past the last stage: completed
    expect((await tasks.lifecycle.get(pipeline.id)).status).toBe('completed')
    expect((await tasks.update(task.id, { status: 'done' })).status).toBe('done')

    const other = await tasks.create({ title: 'failed work' })
    await tasks.update(other.id, { status: 'active' })
    const failed = await tasks.lifecycle.start(other.id)
    await tasks.lifecycle.setStatus(failed.id, { status: 'failed' })
    await expectCode(tasks.update(other.id, { status: 'done' }), 'INVARIANT')
  })

  it('cancelling a task cancels its open pipeline in the same transaction', async () => {
    const { tasks, task, pipeline } = await withPipeline()
    const cancelled = await tasks.update(task.id, { status: 'cancelled', cancellationReason: 'dropped' }, { actor: 'lead' })
    expect(cancelled.status).toBe('cancelled')
    expect(cancelled.pipelineStage).toBe('cancelled')
    expect((await tasks.lifecycle.get(pipeline.id)).status).toBe('cancelled')
    expect(await tasks.lifecycle.forTask(task.id)).toBeNull()
    const audit = await tasks.audit.list({ entityType: 'lifecycle', action: 'lifecycle.status' })
    expect(audit.items.map((e) => [e.entityId, e.actor, e.after])).toEqual([[pipeline.id, 'lead', { status: 'cancelled' }]])
  })

  it('a writer that cancels the task but not its pipeline is refused, and nothing changes', async () => {
    const { tasks, task, pipeline } = await withPipeline()
    const cancel = tasks.kysely.updateTable('tasks').set({ status: 'cancelled', cancelled_at: 1 }).where('id', '=', task.id)
    await expect(cancel.execute()).rejects.toMatchObject({ code: 'INVARIANT', message: expect.stringContaining('T877') })
    expect((await tasks.get(task.id)).status).toBe('active')
    // Pipeline first, then the task: accepted.
    await execSql(tasks, sql`UPDATE lifecycle_pipelines SET status = 'cancelled' WHERE id = ${pipeline.id}`)
    await cancel.execute()
    expect((await tasks.get(task.id)).status).toBe('cancelled')
  })

  it('an epic whose pipeline is not finished is not auto-completed by its last child', async () => {
    const { tasks } = await openTasks({}, engine)
    const epic = await tasks.create({ title: 'epic', type: 'epic' })
    const child = await tasks.create({ title: 'child', parentId: epic.id })
    await tasks.lifecycle.start(epic.id)
    expect((await tasks.complete(child.id)).status).toBe('done')
    expect((await tasks.get(epic.id)).status).toBe('pending')
  })
})

describe.each(TASKS_ENGINES)('claims a harness can enforce (enforceClaims, complete, claimNext) (%s)', (engine) => {
  it('under enforceClaims, another agent’s live claim needs its token (CONFLICT otherwise)', async () => {
    const { tasks, clock } = await openTasks({ enforceClaims: true }, engine)
    const task = await tasks.create({ title: 'claimed' })
    const claim = await tasks.claims.claim(task.id, { agent: 'agent-a', ttlMs: 60_000 })
    await expect(tasks.update(task.id, { title: 'hijack' }, { actor: 'agent-b' })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { claimedBy: 'agent-a' },
    })
    await expectCode(tasks.update(task.id, { title: 'hijack' }), 'CONFLICT') // the default actor is not the holder either
    await expectCode(tasks.complete(task.id), 'CONFLICT')
    await expectCode(tasks.archive(task.id), 'CONFLICT')
    expect((await tasks.get(task.id)).title).toBe('claimed')
    // The holder acting as itself, or anyone with the token, may change it.
    await tasks.update(task.id, { title: 'by the holder' }, { actor: 'agent-a' })
    await tasks.update(task.id, { status: 'active' }, { claimToken: claim.token })
    // Once the claim expired, anyone may.
    clock.advance(60_001)
    expect((await tasks.update(task.id, { title: 'after expiry' }, { actor: 'agent-b' })).title).toBe('after expiry')
  })

  it('without enforceClaims, the repository keeps today’s rule (any actor may change a claimed task)', async () => {
    const { tasks } = await openTasks({}, engine)
    const task = await tasks.create({ title: 'claimed' })
    await tasks.claims.claim(task.id, { agent: 'agent-a', ttlMs: 60_000 })
    expect((await tasks.update(task.id, { title: 'changed' }, { actor: 'agent-b' })).title).toBe('changed')
  })

  it('with a claim token, the claim’s agent is the audit actor unless one is named', async () => {
    const { tasks } = await openTasks({ enforceClaims: true }, engine)
    const task = await tasks.create({ title: 'claimed' })
    const claim = await tasks.claims.claim(task.id, { agent: 'agent-a', ttlMs: 60_000 })
    await tasks.update(task.id, { title: 'one' }, { claimToken: claim.token })
    await tasks.update(task.id, { title: 'two' }, { claimToken: claim.token, actor: 'supervisor' })
    const actors = (await tasks.audit.list({ action: 'task.update' })).items.map((e) => e.actor)
    expect(actors).toEqual(['supervisor', 'agent-a'])
  })

  it('claim, claimNext and release are audited as the claiming agent unless an actor is named', async () => {
    const { tasks } = await openTasks({}, engine)
    const a = await tasks.create({ title: 'a' })
    const claim = await tasks.claims.claim(a.id, { agent: 'agent-a', ttlMs: 60_000 })
    await tasks.claims.release(a.id, claim.token)
    await tasks.create({ title: 'b' })
    await tasks.claims.claimNext({ agent: 'agent-b', ttlMs: 60_000 }, { actor: 'dispatcher' })
    const rows = (await tasks.audit.list({ entityType: 'claim' })).items.map((e) => [e.action, e.actor])
    expect(rows).toEqual([
      ['claim.acquire', 'dispatcher'],
      ['claim.release', 'agent-a'],
      ['claim.acquire', 'agent-a'],
    ])
  })

  it('complete finishes a pending or active task in one call and releases its claim', async () => {
    const { tasks } = await openTasks({ enforceClaims: true }, engine)
    const task = await tasks.create({ title: 'work' })
    const claim = await tasks.claims.claim(task.id, { agent: 'agent-a', ttlMs: 60_000 })
    const done = await tasks.complete(task.id, { claimToken: claim.token })
    expect(done).toMatchObject({ status: 'done', claim: null })
    expect(done.completedAt).not.toBeNull()
    const [entry] = (await tasks.audit.list({ action: 'task.complete' })).items
    expect(entry).toMatchObject({ actor: 'agent-a', before: { status: 'pending' }, after: { status: 'done' } })
    await expectCode(tasks.claims.verify(task.id, claim.token), 'LEASE_LOST')
    await expectCode(tasks.complete(task.id), 'INVARIANT') // already done
    const blocked = await tasks.create({ title: 'blocked' })
    await tasks.update(blocked.id, { status: 'blocked' })
    await expectCode(tasks.complete(blocked.id), 'INVARIANT')
    await expectCode(tasks.complete('T999'), 'NOT_FOUND')
    await expectCode(tasks.complete(blocked.id, { claimToken: 7 }), 'LEASE_LOST')
  })

  it('claimNext never hands out a task that has children, even finished ones', async () => {
    const { tasks } = await openTasks({}, engine)
    const epic = await tasks.create({ title: 'container', type: 'epic', priority: 'critical', noAutoComplete: true })
    const child = await tasks.create({ title: 'child', parentId: epic.id, priority: 'low' })
    await tasks.complete(child.id)
    const leaf = await tasks.create({ title: 'leaf', priority: 'low' })
    const next = await tasks.claims.claimNext({ agent: 'a1', ttlMs: 60_000 })
    expect(next?.task.id).toBe(leaf.id)
    expect(await tasks.claims.claimNext({ agent: 'a1', ttlMs: 60_000 })).toBeNull()
  })
})
