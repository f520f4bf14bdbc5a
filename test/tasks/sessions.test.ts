/**
 * Sessions: scope exclusivity as an explicit choice, suspend/resume/end, handoff,
 * current task with work history in one transaction, orphaning by age, and the
 * TeleClaude daemon flow as idempotent upserts that a restart can list.
 */
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { TasksRepository } from '../../src/tasks/index.js'
import { expectCode, tempDir } from '../helpers.js'
import { countRows, openTasks, T0, TASKS_ENGINES } from './open-tasks.js'

describe.each(TASKS_ENGINES)('sessions: CLEO (%s)', (engine) => {
  it('starts a session; a second one on the same scope must be asked for', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const epic = await tasks.create({ title: 'e', type: 'epic' })
    const s1 = await tasks.sessions.start({ id: 'S1', name: 'one', agent: 'claude', computer: 'mbp' })
    clock.advance(1)
    expect(s1).toMatchObject({ id: 'S1', status: 'active', scope: { type: 'global' }, exclusive: true, agent: 'claude', startedAt: new Date(T0).toISOString() })
    const conflict = await expectCode(tasks.sessions.start({ name: 'two' }), 'CONFLICT')
    expect(conflict.details).toMatchObject({ scope: 'global', sessions: ['S1'] })
    const s2 = await tasks.sessions.start({ name: 'two', concurrent: true })
    expect(s2.exclusive).toBe(false)
    clock.advance(1)
    // another scope is free
    const s3 = await tasks.sessions.start({ name: 'epic', scope: { type: 'epic', epicId: epic.id } })
    expect(s3.scope).toEqual({ type: 'epic', epicId: epic.id })
    await expectCode(tasks.sessions.start({ name: 'epic again', scope: { type: 'epic', epicId: epic.id } }), 'CONFLICT')
    // a scope must be an existing epic
    const task = await tasks.create({ title: 't', parentId: epic.id })
    await expectCode(tasks.sessions.start({ name: 'x', scope: { type: 'epic', epicId: task.id } }), 'INVARIANT')
    await expectCode(tasks.sessions.start({ name: 'x', scope: { type: 'epic', epicId: 'T99' } }), 'NOT_FOUND')
    expect((await tasks.sessions.current())!.id).toBe(s3.id)
    expect((await tasks.sessions.current({ type: 'global' }))!.id).toBe(s2.id)
  })

  it('backs the exclusivity with a partial UNIQUE index (a raw insert cannot race past it)', async () => {
    const { tasks } = await openTasks({}, engine)
    await tasks.sessions.start({ id: 'S1', name: 'one' })
    await expectCode(
      tasks.kysely
        .insertInto('sessions')
        .values({ id: 'S2', name: 'raw', status: 'active', scope_type: 'global', exclusive: 1, started_at: 0, updated_at: 0 } as never)
        .execute(),
      'CONFLICT',
    )
  })

  it('suspends, resumes (counting), and ends idempotently', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const s = await tasks.sessions.start({ id: 'S1', name: 'one' })
    const suspended = await tasks.sessions.suspend(s.id)
    expect(suspended).toMatchObject({ status: 'suspended', suspendedAt: new Date(T0).toISOString() })
    // a suspended session does not hold its scope …
    const other = await tasks.sessions.start({ id: 'S2', name: 'two' })
    // … so resuming while another exclusive session holds it is refused
    await expectCode(tasks.sessions.resume(s.id), 'CONFLICT')
    await tasks.sessions.end(other.id)
    const resumed = await tasks.sessions.resume(s.id)
    expect(resumed).toMatchObject({ status: 'active', resumeCount: 1, suspendedAt: null })
    await expectCode(tasks.sessions.resume(s.id), 'INVARIANT')
    clock.advance(1000)
    const ended = await tasks.sessions.end(s.id, { note: 'done', debrief: { ok: true } })
    expect(ended).toMatchObject({ status: 'ended', endedAt: new Date(T0 + 1000).toISOString(), notes: ['done'], debrief: { ok: true } })
    const audits = await countRows(tasks, 'audit_log')
    expect(await tasks.sessions.end(s.id)).toEqual(ended)
    expect(await countRows(tasks, 'audit_log')).toBe(audits)
    await expectCode(tasks.sessions.suspend(s.id), 'INVARIANT')
    await expectCode(tasks.sessions.get('nope'), 'NOT_FOUND')
  })

  it('hands off: ends one session and starts its successor, linked both ways', async () => {
    const { tasks } = await openTasks({}, engine)
    const epic = await tasks.create({ title: 'e', type: 'epic' })
    const t = await tasks.create({ title: 't', parentId: epic.id })
    const s = await tasks.sessions.start({ id: 'S1', name: 'shift 1', scope: { type: 'epic', epicId: epic.id } })
    await tasks.sessions.setCurrentTask(s.id, t.id)
    const { from, to } = await tasks.sessions.handoff(s.id, { handoff: { todo: [t.id] }, to: { id: 'S2', agent: 'codex' } })
    expect(from).toMatchObject({ status: 'ended', nextSessionId: 'S2', handoff: { todo: [t.id] }, currentTask: null })
    expect(to).toMatchObject({ id: 'S2', status: 'active', previousSessionId: 'S1', name: 'shift 1', scope: { type: 'epic', epicId: epic.id }, agent: 'codex' })
    await expectCode(tasks.sessions.handoff(s.id, { handoff: {}, to: {} }), 'INVARIANT')
    const consumed = await tasks.sessions.consumeHandoff('S1', 'codex')
    expect(consumed).toMatchObject({ handoffConsumedBy: 'codex' })
    await expectCode(tasks.sessions.consumeHandoff('S1', 'other'), 'CONFLICT')
    await expectCode(tasks.sessions.consumeHandoff('S2', 'other'), 'INVARIANT')
    expect((await tasks.sessions.workHistory({ sessionId: 'S1' }))[0]!.clearedAt).not.toBeNull()
  })

  it('sets the current task and its work history in one transaction (one open row per session)', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const a = await tasks.create({ title: 'a' })
    const b = await tasks.create({ title: 'b' })
    const s = await tasks.sessions.start({ id: 'S1', name: 'one' })
    await tasks.sessions.setCurrentTask(s.id, a.id)
    clock.advance(500)
    const now = await tasks.sessions.setCurrentTask(s.id, b.id)
    expect(now).toMatchObject({ currentTask: b.id, taskStartedAt: new Date(T0 + 500).toISOString() })
    expect(await tasks.sessions.setCurrentTask(s.id, b.id)).toEqual(now) // unchanged
    const history = await tasks.sessions.workHistory({ sessionId: s.id })
    expect(history.map((h) => [h.taskId, h.clearedAt])).toEqual([
      [a.id, new Date(T0 + 500).toISOString()],
      [b.id, null],
    ])
    expect((await tasks.sessions.workHistory({ taskId: a.id })).map((h) => h.sessionId)).toEqual([s.id])
    await expectCode(tasks.sessions.setCurrentTask(s.id, 'T99'), 'NOT_FOUND')
    // the schema refuses a second open row for one session
    await expectCode(
      tasks.kysely.insertInto('task_work_history').values({ session_id: s.id, task_id: a.id, set_at: 0 }).execute(),
      'CONFLICT',
    )
    const cleared = await tasks.sessions.setCurrentTask(s.id, null)
    expect(cleared.currentTask).toBeNull()
    expect((await tasks.sessions.workHistory({ sessionId: s.id })).every((h) => h.clearedAt !== null)).toBe(true)
  })

  it('orphans only sessions idle for longer than the cutoff', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    await tasks.sessions.start({ id: 'old', name: 'old', concurrent: true })
    clock.advance(60_000)
    await tasks.sessions.start({ id: 'young', name: 'young', concurrent: true })
    await tasks.sessions.start({ id: 'ended', name: 'ended', concurrent: true })
    await tasks.sessions.end('ended')
    clock.advance(30_000)
    expect(await tasks.sessions.markOrphaned({ idleMs: 60_000 })).toEqual(['old'])
    expect((await tasks.sessions.get('old')).status).toBe('orphaned')
    expect((await tasks.sessions.get('young')).status).toBe('active')
    expect((await tasks.sessions.get('ended')).status).toBe('ended')
    await tasks.sessions.touch('young')
    clock.advance(59_000)
    expect(await tasks.sessions.markOrphaned({ idleMs: 60_000 })).toEqual([])
    await expectCode(tasks.sessions.touch('old'), 'NOT_FOUND')
  })

  it('lists sessions newest first with a cursor', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    for (let i = 0; i < 5; i++) {
      clock.advance(10)
      await tasks.sessions.start({ id: `S${i}`, name: `s${i}`, concurrent: true, agent: i % 2 ? 'odd' : 'even' })
    }
    const first = await tasks.sessions.list({ limit: 3 })
    expect(first.items.map((s) => s.id)).toEqual(['S4', 'S3', 'S2'])
    const second = await tasks.sessions.list({ limit: 3, cursor: first.nextCursor! })
    expect(second.items.map((s) => s.id)).toEqual(['S1', 'S0'])
    expect(second.nextCursor).toBeNull()
    expect((await tasks.sessions.list({ agent: 'odd' })).items.map((s) => s.id)).toEqual(['S3', 'S1'])
  })
})

describe.each(TASKS_ENGINES)('sessions: the TeleClaude daemon flow (%s)', (engine) => {
  const flow = [
    { id: 'tc-1', status: 'creating', agent: 'claude', computer: 'mbp', title: 'New session' },
    { id: 'tc-1', status: 'active', terminalName: 'tc_0001' },
    { id: 'tc-1', title: 'Fix the parser', metadata: { thinking: 'high' } },
    { id: 'tc-1', metadata: { model: 'opus' } },
    { id: 'tc-1', status: 'ended' },
  ] as const

  it('goes creating → active (tmux name) → title/metadata → ended as upserts', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const states = []
    for (const step of flow) {
      clock.advance(1000)
      states.push(await tasks.sessions.upsert(step))
    }
    expect(states.map((s) => s.status)).toEqual(['creating', 'active', 'active', 'active', 'ended'])
    expect(states[4]).toMatchObject({
      id: 'tc-1',
      name: 'New session',
      agent: 'claude',
      computer: 'mbp',
      terminalName: 'tc_0001',
      title: 'Fix the parser',
      metadata: { thinking: 'high', model: 'opus' },
      exclusive: false,
      startedAt: new Date(T0 + 1000).toISOString(),
      endedAt: new Date(T0 + 5000).toISOString(),
    })
  })

  it('is idempotent: each step applied again changes nothing and writes no audit row', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const once = []
    for (const step of flow) {
      clock.advance(1000)
      once.push(await tasks.sessions.upsert(step))
      const audits = await countRows(tasks, 'audit_log')
      clock.advance(1000)
      expect(await tasks.sessions.upsert(step)).toEqual(once.at(-1)) // a duplicated delivery
      expect(await countRows(tasks, 'audit_log')).toBe(audits)
    }
    // after the close, replaying any earlier step cannot reopen the session
    for (const step of flow) await tasks.sessions.upsert({ id: step.id, ...('status' in step ? { status: step.status } : {}) })
    expect(await tasks.sessions.get('tc-1')).toEqual(once.at(-1))
  })

  it('ignores an out-of-order earlier status; honours an explicit endedAt', async () => {
    const { tasks } = await openTasks({}, engine)
    await tasks.sessions.upsert({ id: 'tc-2', status: 'active', terminalName: 'tc_2' })
    const late = await tasks.sessions.upsert({ id: 'tc-2', status: 'creating' })
    expect(late.status).toBe('active')
    const closed = await tasks.sessions.upsert({ id: 'tc-2', status: 'ended', endedAt: '2026-01-01T00:00:09.000Z' })
    expect(closed.endedAt).toBe('2026-01-01T00:00:09.000Z')
    await expectCode(tasks.sessions.upsert({ id: 'tc-2', status: 'closed' as never }), 'VALIDATION')
  })

  it('lets a restarted daemon list every open session', async () => {
    const file = join(tempDir(), 'tasks.db')
    const before = await TasksRepository.open(file)
    await before.sessions.upsert({ id: 'a', status: 'creating', computer: 'mbp' })
    await before.sessions.upsert({ id: 'b', status: 'active', terminalName: 'tc_b' })
    await before.sessions.upsert({ id: 'c', status: 'active', terminalName: 'tc_c' })
    await before.sessions.upsert({ id: 'c', status: 'ended' })
    await before.sessions.start({ id: 'd', name: 'cleo session' })
    await before.sessions.suspend('d')
    await before.close()
    const after = await TasksRepository.open(file)
    try {
      const open = await after.sessions.listOpen()
      expect(open.map((s) => [s.id, s.status, s.terminalName])).toEqual([
        ['a', 'creating', null],
        ['b', 'active', 'tc_b'],
        ['d', 'suspended', null],
      ])
    } finally {
      await after.close()
    }
  })
})
