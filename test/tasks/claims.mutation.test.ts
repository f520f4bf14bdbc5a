/**
 * Claims, the details the mutation run of `src/tasks/task-claims.ts` showed untested
 * (issue 14 item 14): every claim query's parameters, the audit rows of acquire and
 * release, the refusals' messages and details, and which operation a VALIDATION names.
 *
 * The first test drives every claim query (TAKE, RENEW, RELEASE) through a success:
 * the queries are compiled once, on first use in a test file, so a broken parameter
 * must show up in the test that compiles it.
 */
import { describe, expect, it } from 'vitest'

import { expectCode } from '../helpers.js'
import { openTasks, T0, TASKS_ENGINES } from './open-tasks.js'

const iso = (ms: number) => new Date(ms).toISOString()

describe.each(TASKS_ENGINES)('task claims: the claim queries (%s)', (engine) => {
  it('claim, re-claim by the holder, renew, takeover at expiry and release each succeed and store what they say', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const task = await tasks.create({ title: 'x' })
    const other = await tasks.create({ title: 'y' })

    // TAKE: unclaimed → taken, expiry = now + ttl
    const first = await tasks.claims.claim(task.id, { agent: 'a1', ttlMs: 10_000 })
    expect(first).toMatchObject({ taskId: task.id, agent: 'a1', token: 1, expiresAt: iso(T0 + 10_000) })
    await tasks.claims.claim(other.id, { agent: 'b1', ttlMs: 10_000 })
    // TAKE: the holder re-claims its live lease (agent = p('agent'))
    clock.advance(1_000)
    const again = await tasks.claims.claim(task.id, { agent: 'a1', ttlMs: 10_000 })
    expect(again).toMatchObject({ agent: 'a1', token: 2, claimedAt: iso(T0 + 1_000), expiresAt: iso(T0 + 11_000) })
    // the other task's lease is untouched (id = p('id'))
    expect((await tasks.get(other.id)).claim).toEqual({ agent: 'b1', claimedAt: iso(T0), expiresAt: iso(T0 + 10_000) })

    // RENEW: the live token, expiry moved to now + ttl
    clock.advance(1_000)
    const renewed = await tasks.claims.renew(task.id, again.token, 20_000)
    expect(renewed).toMatchObject({ agent: 'a1', token: 2, claimedAt: iso(T0 + 1_000), expiresAt: iso(T0 + 22_000) })
    expect((await tasks.get(task.id)).claim).toEqual({ agent: 'a1', claimedAt: iso(T0 + 1_000), expiresAt: iso(T0 + 22_000) })
    expect((await tasks.get(other.id)).claim?.expiresAt).toBe(iso(T0 + 10_000))

    // TAKE: another agent takes the lease exactly at its expiry (claim_expires_at <= now)
    clock.set(T0 + 22_000)
    const taken = await tasks.claims.claim(task.id, { agent: 'a2', ttlMs: 5_000 })
    expect(taken).toMatchObject({ agent: 'a2', token: 3, claimedAt: iso(T0 + 22_000), expiresAt: iso(T0 + 27_000) })

    // RELEASE: the live token ends the lease; the other task keeps its own
    await tasks.claims.release(task.id, taken.token)
    expect((await tasks.get(task.id)).claim).toBeNull()
    await expectCode(tasks.claims.verify(task.id, taken.token), 'LEASE_LOST')
    // a second release of the same token: no live lease any more
    await expectCode(tasks.claims.release(task.id, taken.token), 'LEASE_LOST')
  })
})

describe.each(TASKS_ENGINES)('task claims: audit rows (%s)', (engine) => {
  it('claim.acquire records the claim and the lease it replaced: none, the holder’s own, an expired one', async () => {
    const { tasks, clock } = await openTasks({}, engine)
    const task = await tasks.create({ title: 'x' })
    await tasks.claims.claim(task.id, { agent: 'a1', ttlMs: 10_000 })
    clock.advance(4_000)
    await tasks.claims.claim(task.id, { agent: 'a1', ttlMs: 10_000 }) // live lease re-issued
    clock.set(T0 + 14_000) // exactly its expiry
    const third = await tasks.claims.claim(task.id, { agent: 'a2', ttlMs: 10_000 })
    const rows = (await tasks.audit.list({ entityType: 'claim' })).items.filter((e) => e.action === 'claim.acquire').reverse() // oldest first
    expect(rows.map((e) => [e.actor, e.entityId, e.taskId])).toEqual([
      ['a1', task.id, task.id],
      ['a1', task.id, task.id],
      ['a2', task.id, task.id],
    ])
    expect(rows.map((e) => e.details)).toEqual([
      { previous: null },
      { previous: { agent: 'a1', token: 1, expired: false } },
      { previous: { agent: 'a1', token: 2, expired: true } },
    ])
    expect(rows[2]!.after).toEqual(third)
  })

  it('claim.release is the holder’s act unless the call names an actor; it records the lease released', async () => {
    const { tasks } = await openTasks({}, engine)
    const task = await tasks.create({ title: 'x' })
    const one = await tasks.claims.claim(task.id, { agent: 'a1', ttlMs: 10_000 })
    await tasks.claims.release(task.id, one.token)
    const two = await tasks.claims.claim(task.id, { agent: 'a2', ttlMs: 10_000 })
    await tasks.claims.release(task.id, two.token, { actor: 'supervisor' })
    const releases = (await tasks.audit.list({ entityType: 'claim' })).items.filter((e) => e.action === 'claim.release').reverse() // oldest first
    expect(releases.map((e) => [e.actor, e.entityId, e.taskId])).toEqual([
      ['a1', task.id, task.id],
      ['supervisor', task.id, task.id],
    ])
    expect(releases.map((e) => e.before)).toEqual([one, two])
  })
})

describe.each(TASKS_ENGINES)('task claims: refusals say what and why (%s)', (engine) => {
  it('a cancelled task cannot be claimed (INVARIANT), nor a done or an archived one; the error names the task and its state', async () => {
    const { tasks } = await openTasks({}, engine)
    const cancelled = await tasks.create({ title: 'c' })
    await tasks.update(cancelled.id, { status: 'cancelled' })
    const e1 = await expectCode(tasks.claims.claim(cancelled.id, { agent: 'a', ttlMs: 1_000 }), 'INVARIANT')
    expect(e1.message).toBe(`INVARIANT: task ${cancelled.id} is cancelled and cannot be claimed`)
    expect(e1.details).toEqual({ id: cancelled.id })
    expect((await tasks.get(cancelled.id)).claim).toBeNull()

    const done = await tasks.create({ title: 'd' })
    await tasks.update(done.id, { status: 'active' })
    await tasks.update(done.id, { status: 'done' })
    const e2 = await expectCode(tasks.claims.claim(done.id, { agent: 'a', ttlMs: 1_000 }), 'INVARIANT')
    expect(e2.message).toBe(`INVARIANT: task ${done.id} is done and cannot be claimed`)

    const archived = await tasks.create({ title: 'a' })
    await tasks.archive(archived.id)
    const e3 = await expectCode(tasks.claims.claim(archived.id, { agent: 'a', ttlMs: 1_000 }), 'INVARIANT')
    expect(e3.message).toBe(`INVARIANT: task ${archived.id} is archived and cannot be claimed`)
    expect(e3.details).toEqual({ id: archived.id })
  })

  it('CONFLICT names the holder and the expiry; LEASE_LOST names the task and the token', async () => {
    const { tasks } = await openTasks({}, engine)
    const task = await tasks.create({ title: 'x' })
    const claim = await tasks.claims.claim(task.id, { agent: 'a1', ttlMs: 10_000 })
    const conflict = await expectCode(tasks.claims.claim(task.id, { agent: 'a2', ttlMs: 10_000 }), 'CONFLICT')
    expect(conflict.message).toBe(`CONFLICT: task ${task.id} is claimed by a1 until ${iso(T0 + 10_000)}`)
    expect(conflict.details).toEqual({ id: task.id, claimedBy: 'a1', expiresAt: iso(T0 + 10_000) })
    for (const lost of [
      await expectCode(tasks.claims.verify(task.id, claim.token + 1), 'LEASE_LOST'),
      await expectCode(tasks.claims.renew(task.id, claim.token + 1, 1_000), 'LEASE_LOST'),
      await expectCode(tasks.claims.release(task.id, claim.token + 1), 'LEASE_LOST'),
    ]) {
      expect(lost.message).toBe(`LEASE_LOST: the claim on ${task.id} with token ${claim.token + 1} is no longer held (expired, released or taken over)`)
      expect(lost.details).toEqual({ id: task.id, token: claim.token + 1 })
    }
  })

  it('a VALIDATION names the operation it refused, for every argument of every claims method', async () => {
    const { tasks } = await openTasks({}, engine)
    const task = await tasks.create({ title: 'x' })
    const good = { agent: 'a', ttlMs: 1_000 }
    const cases: Array<[string, () => Promise<unknown>]> = [
      ['tasks.claims.claim', () => tasks.claims.claim('not an id', good)],
      ['tasks.claims.claim', () => tasks.claims.claim(task.id, { agent: '', ttlMs: 1_000 })],
      ['tasks.claims.claim', () => tasks.claims.claim(task.id, good, { bogus: true } as never)],
      ['tasks.claims.claimNext', () => tasks.claims.claimNext({ agent: 'a', ttlMs: -1 })],
      ['tasks.claims.claimNext', () => tasks.claims.claimNext(good, { bogus: true } as never)],
      ['tasks.claims.renew', () => tasks.claims.renew('not an id', 1, 1_000)],
      ['tasks.claims.renew', () => tasks.claims.renew(task.id, 0, 1_000)],
      ['tasks.claims.renew', () => tasks.claims.renew(task.id, 1, -5)],
      ['tasks.claims.release', () => tasks.claims.release('not an id', 1)],
      ['tasks.claims.release', () => tasks.claims.release(task.id, 1.5)],
      ['tasks.claims.release', () => tasks.claims.release(task.id, 1, { bogus: true } as never)],
      ['tasks.claims.verify', () => tasks.claims.verify('not an id', 1)],
      ['tasks.claims.verify', () => tasks.claims.verify(task.id, -1)],
    ]
    for (const [operation, call] of cases) {
      const e = await expectCode(call(), 'VALIDATION')
      expect(e.details, operation).toMatchObject({ operation })
      expect(e.message.startsWith(`VALIDATION: ${operation}: `), e.message).toBe(true)
    }
    expect((await tasks.get(task.id)).claim).toBeNull()
  })
})
