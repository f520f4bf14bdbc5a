/**
 * Claims: a lease with an expiry and a fencing token that only grows; a stale
 * token is LEASE_LOST; an expired claim can be taken; time is the injected clock.
 */
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { TasksRepository } from '../../src/tasks/index.js'
import { expectCode, runFixture, startGate, tempDir } from '../helpers.js'
import pg from 'pg'

import { POSTGRES_URL } from '../postgres/pg-test-schemas.js'
import { openTasks, openTasksSharingSchema, T0, TASKS_ENGINES } from './open-tasks.js'

describe.each(TASKS_ENGINES)('task claims (%s)', (engine) => {
  it('leases a task; another agent is refused while the lease is live', async () => {
    const { tasks } = await openTasks({}, engine)
    const task = await tasks.create({ title: 'x' })
    const claim = await tasks.claims.claim(task.id, { agent: 'a1', ttlMs: 30_000 }, { actor: 'a1' })
    expect(claim).toEqual({
      taskId: task.id,
      agent: 'a1',
      token: 1,
      claimedAt: new Date(T0).toISOString(),
      expiresAt: new Date(T0 + 30_000).toISOString(),
    })
    expect((await tasks.get(task.id)).claim).toEqual({ agent: 'a1', claimedAt: claim.claimedAt, expiresAt: claim.expiresAt })
    const conflict = await expectCode(tasks.claims.claim(task.id, { agent: 'a2', ttlMs: 30_000 }), 'CONFLICT')
    expect(conflict.details).toMatchObject({ claimedBy: 'a1' })
    expect(conflict.message).not.toContain('token')
    // the claim does not change the task's content version
    expect((await tasks.get(task.id)).version).toBe(1)
  })

  it('lets an expired claim be taken, with a higher token; the old token is LEASE_LOST', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const task = await tasks.create({ title: 'x' })
    const first = await tasks.claims.claim(task.id, { agent: 'a1', ttlMs: 10_000 })
    clock.advance(9_999)
    await expectCode(tasks.claims.claim(task.id, { agent: 'a2', ttlMs: 10_000 }), 'CONFLICT')
    clock.advance(1)
    const second = await tasks.claims.claim(task.id, { agent: 'a2', ttlMs: 10_000 })
    expect(second.token).toBe(first.token + 1)
    await expectCode(tasks.claims.renew(task.id, first.token, 10_000), 'LEASE_LOST')
    await expectCode(tasks.claims.release(task.id, first.token), 'LEASE_LOST')
    await expectCode(tasks.claims.verify(task.id, first.token), 'LEASE_LOST')
    await expectCode(tasks.update(task.id, { status: 'active' }, { claimToken: first.token }), 'LEASE_LOST')
    expect((await tasks.get(task.id)).status).toBe('pending')
    const updated = await tasks.update(task.id, { status: 'active' }, { claimToken: second.token })
    expect(updated.status).toBe('active')
    expect((await tasks.claims.verify(task.id, second.token)).agent).toBe('a2')
  })

  it('an expired claim that nobody took over no longer fences writes: its token is LEASE_LOST, as claims.verify says', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const task = await tasks.create({ title: 'x' })
    const other = await tasks.create({ title: 'y' })
    const claim = await tasks.claims.claim(task.id, { agent: 'a1', ttlMs: 10_000 })
    const otherClaim = await tasks.claims.claim(other.id, { agent: 'a1', ttlMs: 10_000 })
    clock.advance(9_999)
    // Still live one millisecond before expiry: accepted.
    expect((await tasks.claims.verify(task.id, claim.token)).agent).toBe('a1')
    expect((await tasks.update(task.id, { title: 'x1' }, { claimToken: claim.token })).title).toBe('x1')
    clock.advance(1)
    // Expired, no takeover: the token is still the task's current one, but the claim is gone.
    expect((await tasks.get(task.id)).claim).toMatchObject({ agent: 'a1' })
    await expectCode(tasks.claims.verify(task.id, claim.token), 'LEASE_LOST')
    await expectCode(tasks.update(task.id, { title: 'x2' }, { claimToken: claim.token }), 'LEASE_LOST')
    await expectCode(tasks.update(task.id, { status: 'active' }, { claimToken: claim.token }), 'LEASE_LOST')
    await expectCode(tasks.reparent(task.id, other.id, { claimToken: claim.token }), 'LEASE_LOST')
    await expectCode(tasks.archive(other.id, { claimToken: otherClaim.token }), 'LEASE_LOST')
    await expectCode(tasks.claims.renew(task.id, claim.token, 10_000), 'LEASE_LOST')
    await expectCode(tasks.claims.release(task.id, claim.token), 'LEASE_LOST')
    const after = await tasks.get(task.id)
    expect(after).toMatchObject({ title: 'x1', status: 'pending', parentId: null, version: 2 })
    expect((await tasks.get(other.id)).archivedAt).toBeNull()
    // Claiming again gives a new token; the old one stays refused.
    const again = await tasks.claims.claim(task.id, { agent: 'a1', ttlMs: 10_000 })
    expect(again.token).toBe(claim.token + 1)
    await expectCode(tasks.update(task.id, { title: 'x3' }, { claimToken: claim.token }), 'LEASE_LOST')
    expect((await tasks.update(task.id, { title: 'x3' }, { claimToken: again.token })).title).toBe('x3')
  })

  it('renews before expiry; an expired lease cannot be renewed', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const task = await tasks.create({ title: 'x' })
    const claim = await tasks.claims.claim(task.id, { agent: 'a1', ttlMs: 10_000 })
    clock.advance(8_000)
    const renewed = await tasks.claims.renew(task.id, claim.token, 10_000)
    expect(renewed.expiresAt).toBe(new Date(T0 + 18_000).toISOString())
    expect(renewed.token).toBe(claim.token)
    clock.advance(10_000)
    await expectCode(tasks.claims.renew(task.id, claim.token, 10_000), 'LEASE_LOST')
    await expectCode(tasks.claims.renew('T99', claim.token, 10_000), 'NOT_FOUND')
    await expectCode(tasks.claims.renew(task.id, claim.token, 10), 'VALIDATION')
  })

  it('keeps tokens monotonic across release, re-claims and expiry', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const task = await tasks.create({ title: 'x' })
    const tokens: number[] = []
    for (let i = 0; i < 3; i++) {
      const claim = await tasks.claims.claim(task.id, { agent: `a${i}`, ttlMs: 5_000 })
      tokens.push(claim.token)
      await tasks.claims.release(task.id, claim.token)
    }
    const same1 = await tasks.claims.claim(task.id, { agent: 'a9', ttlMs: 5_000 })
    const same2 = await tasks.claims.claim(task.id, { agent: 'a9', ttlMs: 5_000 }) // the same agent re-claims
    await expectCode(tasks.claims.renew(task.id, same1.token, 5_000), 'LEASE_LOST')
    clock.advance(5_000)
    const after = await tasks.claims.claim(task.id, { agent: 'b', ttlMs: 5_000 })
    tokens.push(same1.token, same2.token, after.token)
    expect(tokens).toEqual([1, 2, 3, 4, 5, 6])
    expect((await tasks.audit.list({ entityType: 'claim' })).items.map((e) => e.action)).toEqual([
      'claim.acquire',
      'claim.acquire',
      'claim.acquire',
      'claim.release',
      'claim.acquire',
      'claim.release',
      'claim.acquire',
      'claim.release',
      'claim.acquire',
    ])
  })

  it('refuses finished and archived tasks; finishing a task ends its claim', async () => {
    const { tasks } = await openTasks({}, engine)
    const task = await tasks.create({ title: 'x' })
    const claim = await tasks.claims.claim(task.id, { agent: 'a1', ttlMs: 5_000 })
    await tasks.update(task.id, { status: 'active' }, { claimToken: claim.token })
    const done = await tasks.update(task.id, { status: 'done' }, { claimToken: claim.token })
    expect(done.claim).toBeNull()
    await expectCode(tasks.claims.verify(task.id, claim.token), 'LEASE_LOST')
    await expectCode(tasks.claims.claim(task.id, { agent: 'a2', ttlMs: 5_000 }), 'INVARIANT')
    const other = await tasks.create({ title: 'y' })
    await tasks.archive(other.id)
    await expectCode(tasks.claims.claim(other.id, { agent: 'a2', ttlMs: 5_000 }), 'INVARIANT')
    await expectCode(tasks.claims.claim('T99', { agent: 'a2', ttlMs: 5_000 }), 'NOT_FOUND')
  })

  it('claimNext hands out ready tasks in priority order, each once', async () => {
    const { tasks } = await openTasks({}, engine)
    const low = await tasks.create({ title: 'low', priority: 'low' })
    const high = await tasks.create({ title: 'high', priority: 'high' })
    const x = await tasks.claims.claimNext({ agent: 'x', ttlMs: 5_000 })
    expect(x!.task.id).toBe(high.id)
    expect(x!.task.claim?.agent).toBe('x')
    // Two at once (on PostgreSQL they really run concurrently): one gets the rest, the other nothing.
    const [y, z] = await Promise.all([
      tasks.claims.claimNext({ agent: 'y', ttlMs: 5_000 }),
      tasks.claims.claimNext({ agent: 'z', ttlMs: 5_000 }),
    ])
    const [winner, loser] = y === null ? [z, y] : [y, z]
    expect(winner!.task.id).toBe(low.id)
    expect(winner!.task.claim?.agent).toBe(winner === y ? 'y' : 'z')
    expect(loser).toBeNull()
  })

  // SQLite only: processes on one tasks.db file (the PostgreSQL race is below).
  it.skipIf(engine === 'postgres')('claimNext from several processes on one file never hands a task out twice', async () => {
    const file = join(tempDir(), 'tasks.db')
    const setup = await TasksRepository.open(file)
    const total = 60
    for (let i = 0; i < total; i++) await setup.create({ title: `job ${i}`, priority: (['low', 'medium', 'high'] as const)[i % 3]! })
    await setup.close()
    const gate = startGate(3)
    const outputs = await Promise.all(['w1', 'w2', 'w3'].map((agent) => runFixture('tasks-claim-next.ts', [file, gate, agent])))
    const results = outputs.map((o) => JSON.parse(o.stdout.trim()) as { ok: boolean; claimed: Array<{ id: string; token: number }>; message?: string })
    for (const r of results) expect(r.ok, r.message).toBe(true)
    const ids = results.flatMap((r) => r.claimed.map((c) => c.id))
    expect(ids).toHaveLength(total)
    expect(new Set(ids).size).toBe(total)
    for (const r of results) for (const c of r.claimed) expect(c.token).toBe(1)
  })
})

describe.skipIf(POSTGRES_URL === null)('claimNext on PostgreSQL', () => {
  it('skips a task another host holds locked mid-claim instead of waiting for it', async () => {
    const { repos, schema } = await openTasksSharingSchema(1, { busyTimeoutMs: 2_000 })
    const tasks = repos[0]!
    const high = await tasks.create({ title: 'high', priority: 'high' })
    const low = await tasks.create({ title: 'low', priority: 'low' })
    // Another host's claimNext between its pick and its commit: the row lock on `high`.
    const other = new pg.Client({ connectionString: POSTGRES_URL! })
    await other.connect()
    try {
      await other.query('BEGIN')
      await other.query(`SELECT id FROM ${schema}.tasks WHERE id = $1 FOR UPDATE`, [high.id])
      const next = await tasks.claims.claimNext({ agent: 'a1', ttlMs: 60_000 })
      expect(next!.task.id).toBe(low.id)
      await other.query('ROLLBACK')
    } finally {
      await other.end()
    }
    expect((await tasks.claims.claimNext({ agent: 'a2', ttlMs: 60_000 }))!.task.id).toBe(high.id)
  })

  it('two hosts claiming at once never take the same task', async () => {
    const { repos } = await openTasksSharingSchema(2, { busyTimeoutMs: 60_000 })
    const total = 24
    for (let i = 0; i < total; i++) await repos[0]!.create({ title: `job ${i}`, priority: (['low', 'medium', 'high'] as const)[i % 3]! })
    const claimed: string[] = []
    // Rounds: both hosts' claimNext in flight at once, each on its own pool.
    for (let round = 0; round < total / 2; round++) {
      const pair = await Promise.all(repos.map((repo, i) => repo.claims.claimNext({ agent: `h${i}`, ttlMs: 60_000 })))
      for (const next of pair) {
        expect(next).not.toBeNull()
        expect(next!.claim.token).toBe(1)
        claimed.push(next!.task.id)
      }
    }
    expect(new Set(claimed).size).toBe(total)
    expect(await repos[1]!.claims.claimNext({ agent: 'late', ttlMs: 60_000 })).toBeNull()
    const acquired = (await repos[0]!.audit.list({ action: 'claim.acquire', limit: 1000 })).items
    expect(acquired).toHaveLength(total)
  })
})
