import fc from 'fast-check'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'

import type { WarpChainDefinitionInput, WarpChainInstanceStatus } from '../../src/index.js'
import { isWarpTransitionAllowed, manualClock } from '../../src/index.js'
import { expectCode, tempDir } from '../helpers.js'
import type { NexusEngineName } from './open-nexus.js'
import { execSql, NEXUS_ENGINES, openNexus } from './open-nexus.js'

const FEATURE: WarpChainDefinitionInput = {
  stages: [
    { id: 'plan', gates: [{ id: 'approved' }] },
    { id: 'build', gates: [{ id: 'tests' }, { id: 'lint', required: false }] },
    { id: 'review' },
    { id: 'ship' },
  ],
  links: [
    { from: 'plan', to: 'build' },
    { from: 'build', to: 'review' },
    { from: 'build', to: 'ship' },
    { from: 'review', to: 'ship' },
  ],
  entryPoint: 'plan',
  exitPoints: ['ship'],
  variables: { branch: { type: 'string', required: true }, retries: { type: 'number', default: 2 } },
}

async function setupOn(engine: NexusEngineName) {
  const clock = manualClock(Date.UTC(2026, 0, 1))
  const nexus = await openNexus(engine, { clock })
  const chain = await nexus.chains.define({ name: 'feature', definition: FEATURE })
  return { nexus, chain, clock }
}

describe.each(NEXUS_ENGINES)('nexus.instances (%s)', (engine) => {
  const setup = () => setupOn(engine)

  it('runs an instance from entry to exit, gates permitting', async () => {
    const { nexus, chain, clock } = await setup()
    const run = await nexus.instances.create({ chainName: 'feature', epicId: 'T1', variables: { branch: 'feat/x' } })
    expect(run).toMatchObject({ chainId: chain.id, status: 'pending', currentStage: 'plan', version: 1, startedAt: null })
    expect(run.variables).toEqual({ branch: 'feat/x', retries: 2 })
    clock.advance(1000)
    const started = await nexus.instances.start(run.id)
    expect(started).toMatchObject({ status: 'active', version: 2, startedAt: '2026-01-01T00:00:01.000Z' })

    const blocked = await expectCode(nexus.instances.advance(run.id, { to: 'build' }), 'INVARIANT')
    expect(blocked.details?.['missingGates']).toEqual(['approved'])
    await nexus.instances.recordGate(run.id, { stage: 'plan', gate: 'approved', result: 'fail', by: 'agent-1' })
    await expectCode(nexus.instances.advance(run.id, { to: 'build' }), 'INVARIANT')
    await nexus.instances.recordGate(run.id, { stage: 'plan', gate: 'approved', result: 'pass', note: 'lgtm' })
    await nexus.instances.assignTask(run.id, { stage: 'build', taskId: 'T2' })
    await nexus.instances.assignTask(run.id, { stage: 'ship', taskId: 'T9', projectId: 'other-project' })
    await expectCode(nexus.instances.advance(run.id, { to: 'ship' }), 'INVARIANT') // not linked from plan
    const building = await nexus.instances.advance(run.id, { to: 'build' })
    expect(building.currentStage).toBe('build')
    expect(building.stageTasks).toEqual({ build: { taskId: 'T2', projectId: null }, ship: { taskId: 'T9', projectId: 'other-project' } })
    expect(building.gateResults.map((g) => `${g.gate}:${g.result}`)).toEqual(['approved:fail', 'approved:pass'])
    expect(building.gateResults[0]).toMatchObject({ by: 'agent-1', note: null, at: '2026-01-01T00:00:01.000Z' })

    await nexus.instances.recordGate(run.id, { stage: 'build', gate: 'tests', result: 'warn' }) // warn lets it through; lint is optional
    await expectCode(nexus.instances.complete(run.id), 'INVARIANT') // build is not an exit point
    await nexus.instances.advance(run.id, { to: 'ship' })
    const done = await nexus.instances.complete(run.id, { reason: 'shipped' })
    expect(done).toMatchObject({ status: 'completed', currentStage: 'ship', statusReason: 'shipped' })
    expect(done.finishedAt).not.toBeNull()
    expect(await nexus.instances.get(run.id)).toEqual(done)
    await nexus.close()
  })

  it('freezes a finished instance, here and in SQL', async () => {
    const { nexus } = await setup()
    const run = await nexus.instances.create({ chainName: 'feature', variables: { branch: 'b' } })
    await nexus.instances.cancel(run.id, { reason: 'superseded' })
    await expectCode(nexus.instances.start(run.id), 'INVARIANT')
    await expectCode(nexus.instances.recordGate(run.id, { stage: 'plan', gate: 'approved', result: 'pass' }), 'INVARIANT')
    await expectCode(nexus.instances.assignTask(run.id, { stage: 'plan', taskId: 'T1' }), 'INVARIANT')
    const k = nexus.kysely
    await expectCode(k.updateTable('warp_chain_instances').set({ status: 'active' }).execute(), 'INVARIANT')
    await expectCode(k.updateTable('warp_chain_instances').set({ current_stage: 'ship' }).execute(), 'INVARIANT')
    await expectCode(k.updateTable('warp_chain_instances').set({ gate_results_json: '[]' }).execute(), 'INVARIANT')
    expect((await nexus.instances.get(run.id)).status).toBe('cancelled')
    await nexus.close()
  })

  it('checks status transitions in SQL exactly as isWarpTransitionAllowed says (property)', async () => {
    const { nexus, chain } = await setup()
    const statuses: WarpChainInstanceStatus[] = ['pending', 'active', 'completed', 'failed', 'cancelled']
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...statuses), fc.constantFrom(...statuses), async (from, to) => {
        const run = await nexus.instances.create({ chainId: chain.id, variables: { branch: 'b' } })
        const final = from === 'completed' || from === 'failed' || from === 'cancelled'
        // Put the row in `from` the legal way round (pending → active → from).
        if (from !== 'pending') await nexus.instances.start(run.id)
        if (final) await execSql(nexus, sql`UPDATE warp_chain_instances SET status = ${from}, finished_at = 1 WHERE id = ${run.id}`)
        const finishedAt = to === 'completed' || to === 'failed' || to === 'cancelled' ? 1 : null
        const startedAt = to === 'pending' ? null : 1
        const attempt = execSql(
          nexus,
          sql`UPDATE warp_chain_instances SET status = ${to}, finished_at = ${finishedAt}, started_at = ${startedAt} WHERE id = ${run.id}`,
        )
        if (from === to || isWarpTransitionAllowed(from, to)) {
          // Same status is a no-op for the transition rule; a final row stays frozen.
          if (final) await expectCode(attempt, 'INVARIANT')
          else await attempt
        } else {
          await expectCode(attempt, 'INVARIANT')
        }
      }),
      { numRuns: 60 },
    )
    await nexus.close()
  })

  it('fails only from active, and cancels from pending or active', async () => {
    const { nexus } = await setup()
    const a = await nexus.instances.create({ chainName: 'feature', variables: { branch: 'b' } })
    await expectCode(nexus.instances.fail(a.id), 'INVARIANT')
    await nexus.instances.start(a.id)
    expect((await nexus.instances.fail(a.id, { reason: 'broken build' })).status).toBe('failed')
    const b = await nexus.instances.create({ chainName: 'feature', variables: { branch: 'b' } })
    expect((await nexus.instances.cancel(b.id)).status).toBe('cancelled')
    await nexus.close()
  })

  it('detects stale writers with expectedVersion', async () => {
    const { nexus } = await setup()
    const run = await nexus.instances.create({ chainName: 'feature', variables: { branch: 'b' } })
    const started = await nexus.instances.start(run.id, { expectedVersion: 1 })
    const error = await expectCode(nexus.instances.assignTask(run.id, { stage: 'plan', taskId: 'T1', expectedVersion: 1 }), 'CONFLICT')
    expect(error.details).toMatchObject({ expectedVersion: 1, actualVersion: started.version })
    await nexus.instances.assignTask(run.id, { stage: 'plan', taskId: 'T1', expectedVersion: started.version })
    await nexus.close()
  })

  it('validates variables against the chain, stages and gates against the definition', async () => {
    const { nexus } = await setup()
    await expectCode(nexus.instances.create({ chainName: 'feature' }), 'VALIDATION') // branch is required
    await expectCode(nexus.instances.create({ chainName: 'feature', variables: { branch: 1 } }), 'VALIDATION')
    await expectCode(nexus.instances.create({ chainName: 'feature', variables: { branch: 'b', other: 1 } }), 'VALIDATION')
    await expectCode(nexus.instances.create({ variables: {} }), 'VALIDATION') // neither chainId nor chainName
    await expectCode(nexus.instances.create({ chainName: 'nope' }), 'NOT_FOUND')
    const run = await nexus.instances.create({ chainName: 'feature', variables: { branch: 'b' } })
    await expectCode(nexus.instances.assignTask(run.id, { stage: 'deploy', taskId: 'T1' }), 'VALIDATION')
    await expectCode(nexus.instances.recordGate(run.id, { stage: 'plan', gate: 'tests', result: 'pass' }), 'VALIDATION')
    await expectCode(nexus.instances.recordGate(run.id, { stage: 'plan', gate: 'approved', result: 'maybe' as never }), 'VALIDATION')
    await expectCode(nexus.instances.get('nope'), 'NOT_FOUND')
    await nexus.close()
  })

  it('lists by chain, project and status; a removed project leaves its instances without one', async () => {
    const { nexus, chain, clock } = await setup()
    await nexus.projects.register({ projectId: 'p1', path: tempDir() })
    const a = await nexus.instances.create({ chainId: chain.id, projectId: 'p1', variables: { branch: 'a' } })
    clock.advance(10)
    const b = await nexus.instances.create({ chainId: chain.id, projectId: 'p1', variables: { branch: 'b' } })
    await nexus.instances.start(b.id)
    await nexus.instances.cancel(b.id)
    expect((await nexus.instances.list({ projectId: 'p1' })).map((i) => i.id)).toEqual([b.id, a.id])
    expect((await nexus.instances.list({ status: 'pending' })).map((i) => i.id)).toEqual([a.id])
    expect(await nexus.instances.list({ chainId: chain.id, limit: 1 })).toHaveLength(1)
    await nexus.projects.remove('p1')
    expect((await nexus.instances.get(a.id)).projectId).toBeNull()
    expect((await nexus.instances.get(b.id)).projectId).toBeNull() // even a finished one
    await nexus.close()
  })
})
