/**
 * The RCASD-IVTR+C lifecycle: ten ordered stages, one open pipeline per task,
 * recorded transitions, gates with evidence, failed required gates refused unless
 * forced, prerequisites, manifests and release manifests.
 */
import { describe, expect, it } from 'vitest'

import { LIFECYCLE_STAGES } from '../../src/tasks/index.js'
import { expectCode } from '../helpers.js'
import type { TasksEngineName } from './open-tasks.js'
import { countRows, openTasks, TASKS_ENGINES } from './open-tasks.js'

async function setup(engine: TasksEngineName) {
  const { tasks, clock } = await openTasks({}, engine)
  const epic = await tasks.create({ title: 'epic', type: 'epic' })
  const pipeline = await tasks.lifecycle.start(epic.id, {}, { actor: 'lead' })
  return { tasks, clock, epic, pipeline }
}

describe.each(TASKS_ENGINES)('lifecycle pipelines (%s)', (engine) => {
  it('starts with the ten stages in order, the first in progress, mirrored on the task', async () => {
    const { tasks, epic, pipeline } = await setup(engine)
    expect(pipeline.stages.map((s) => [s.name, s.sequence])).toEqual(LIFECYCLE_STAGES.map((name, i) => [name, i + 1]))
    expect(pipeline).toMatchObject({ taskId: epic.id, status: 'active', currentStage: 'research', version: 1 })
    expect(pipeline.stages[0]!.status).toBe('in_progress')
    expect(pipeline.stages.slice(1).every((s) => s.status === 'not_started')).toBe(true)
    expect((await tasks.get(epic.id)).pipelineStage).toBe('research')
    expect(await tasks.lifecycle.transitions(pipeline.id)).toMatchObject([{ from: null, to: 'research', type: 'automatic' }])
    expect((await tasks.lifecycle.forTask(epic.id))!.id).toBe(pipeline.id)
  })

  it('keeps one open pipeline per task (repository and SQL)', async () => {
    const { tasks, epic, pipeline } = await setup(engine)
    await expectCode(tasks.lifecycle.start(epic.id), 'CONFLICT')
    await expectCode(
      tasks.kysely
        .insertInto('lifecycle_pipelines')
        .values({ id: 'raw', task_id: epic.id, status: 'active', current_stage: 'research', started_at: 0, updated_at: 0 } as never)
        .execute(),
      'CONFLICT',
    )
    await tasks.lifecycle.setStatus(pipeline.id, { status: 'cancelled', reason: 'restart' })
    expect((await tasks.get(epic.id)).pipelineStage).toBe('cancelled')
    const second = await tasks.lifecycle.start(epic.id, { startAt: 'implementation' })
    expect(second.stages.filter((s) => s.status === 'skipped').map((s) => s.name)).toEqual(LIFECYCLE_STAGES.slice(0, 5))
    expect((await tasks.lifecycle.history(epic.id)).map((p) => p.status)).toEqual(['cancelled', 'active'])
  })

  it('ties each stage row to its sequence and keeps one row per stage (SQL)', async () => {
    const { tasks, pipeline } = await setup(engine)
    const research = pipeline.stages[0]!
    await expectCode(tasks.kysely.updateTable('lifecycle_stages').set({ sequence: 2 }).where('id', '=', research.id).execute(), 'INVARIANT')
    await expectCode(
      tasks.kysely
        .insertInto('lifecycle_stages')
        .values({ id: 'dup', pipeline_id: pipeline.id, stage_name: 'research', sequence: 1 } as never)
        .execute(),
      'CONFLICT',
    )
  })

  it('advances stage by stage, recording each transition', async () => {
    const { tasks, clock, epic, pipeline } = await setup(engine)
    clock.advance(1000)
    const next = await tasks.lifecycle.advance(pipeline.id, { by: 'agent-7', reason: 'sources cited', expectedVersion: 1 })
    expect(next).toMatchObject({ currentStage: 'consensus', version: 2 })
    expect(next.stages[0]).toMatchObject({ name: 'research', status: 'completed' })
    expect(next.stages[1]).toMatchObject({ name: 'consensus', status: 'in_progress' })
    expect((await tasks.get(epic.id)).pipelineStage).toBe('consensus')
    expect((await tasks.lifecycle.transitions(pipeline.id)).at(-1)).toMatchObject({
      from: 'research',
      to: 'consensus',
      type: 'manual',
      by: 'agent-7',
      reason: 'sources cited',
    })
    await expectCode(tasks.lifecycle.advance(pipeline.id, { expectedVersion: 1 }), 'CONFLICT')
    await expectCode(tasks.lifecycle.advance(pipeline.id, { to: 'research' }), 'INVARIANT') // forward only
  })

  it('refuses to pass a failed required gate unless forced; the latest check decides', async () => {
    const { tasks, pipeline } = await setup(engine)
    const fail = await tasks.lifecycle.recordGate(pipeline.id, {
      gate: 'sources-cited',
      result: 'fail',
      checkedBy: 'reviewer',
      reason: 'no citations',
      evidence: [{ uri: 'https://review/1', type: 'url' }],
    })
    expect(fail).toMatchObject({ stage: 'research', gate: 'sources-cited', result: 'fail', required: true })
    expect(fail.evidence).toHaveLength(1)
    await tasks.lifecycle.recordGate(pipeline.id, { gate: 'style', result: 'fail', required: false, checkedBy: 'lint' })
    const refused = await expectCode(tasks.lifecycle.advance(pipeline.id), 'INVARIANT')
    expect(refused.details).toMatchObject({ rule: 'gate', failedGates: ['sources-cited'] })
    expect((await tasks.lifecycle.get(pipeline.id)).currentStage).toBe('research')

    // forced: passes, and says so in the transition and the audit row
    const forced = await tasks.lifecycle.advance(pipeline.id, { type: 'forced', reason: 'hotfix' })
    expect(forced.currentStage).toBe('consensus')
    expect((await tasks.lifecycle.transitions(pipeline.id)).at(-1)).toMatchObject({ type: 'forced', reason: 'hotfix' })
    const audit = (await tasks.audit.list({ action: 'lifecycle.advance' })).items[0]!
    expect(audit.details).toMatchObject({ type: 'forced', overriddenGates: ['sources-cited'] })

    // a fail followed by a pass is a pass
    await tasks.lifecycle.recordGate(pipeline.id, { gate: 'quorum', result: 'fail', checkedBy: 'bot' })
    await tasks.lifecycle.recordGate(pipeline.id, { gate: 'quorum', result: 'pass', checkedBy: 'bot' })
    expect((await tasks.lifecycle.advance(pipeline.id)).currentStage).toBe('architecture_decision')
    expect((await tasks.lifecycle.gates(pipeline.id, { stage: 'consensus' })).map((g) => g.result)).toEqual(['fail', 'pass'])
  })

  it('refuses unmet prerequisites and unfinished stages in between unless forced; skip marks them met', async () => {
    const { tasks, pipeline } = await setup(engine)
    const refused = await expectCode(tasks.lifecycle.advance(pipeline.id, { to: 'implementation' }), 'INVARIANT')
    expect(refused.details).toMatchObject({ rule: 'prerequisites' })
    await tasks.lifecycle.skip(pipeline.id, 'consensus', 'one owner')
    await tasks.lifecycle.skip(pipeline.id, 'architecture_decision', 'no decision needed')
    expect((await tasks.lifecycle.advance(pipeline.id, { to: 'specification' })).currentStage).toBe('specification')
    await expectCode(tasks.lifecycle.skip(pipeline.id, 'research', 'too late'), 'INVARIANT')
    const forced = await tasks.lifecycle.advance(pipeline.id, { to: 'testing', type: 'forced' })
    expect(forced.stages.filter((s) => s.status === 'skipped').map((s) => s.name)).toEqual([
      'consensus',
      'architecture_decision',
      'decomposition',
      'implementation',
      'validation',
    ])
  })

  it('completes the pipeline after the last stage; blocked and finished pipelines do not advance', async () => {
    const { tasks, pipeline } = await setup(engine)
    await tasks.lifecycle.advance(pipeline.id, { to: 'contribution', type: 'forced' })
    await tasks.lifecycle.setStatus(pipeline.id, { status: 'blocked', reason: 'waiting' })
    const blocked = await tasks.lifecycle.get(pipeline.id)
    expect(blocked.stages.at(-1)).toMatchObject({ status: 'blocked', blockReason: 'waiting' })
    await expectCode(tasks.lifecycle.advance(pipeline.id), 'INVARIANT')
    await tasks.lifecycle.setStatus(pipeline.id, { status: 'active' })
    const done = await tasks.lifecycle.advance(pipeline.id)
    expect(done.status).toBe('completed')
    expect(done.completedAt).not.toBeNull()
    expect(done.stages.at(-1)!.status).toBe('completed')
    await expectCode(tasks.lifecycle.advance(pipeline.id), 'INVARIANT')
    await expectCode(tasks.lifecycle.recordGate(pipeline.id, { gate: 'x', result: 'pass', checkedBy: 'y' }), 'INVARIANT')
  })

  it('records evidence and stage validation; a failing evidence write leaves nothing behind', async () => {
    const { tasks, pipeline } = await setup(engine)
    const gate = await tasks.lifecycle.recordGate(pipeline.id, { gate: 'g', result: 'pass', checkedBy: 'ci' })
    const evidence = await tasks.lifecycle.addEvidence(pipeline.id, { uri: 'docs/notes.md', type: 'file', gateResultId: gate.id })
    expect(evidence).toMatchObject({ stageId: gate.stageId, gateResultId: gate.id, recordedBy: 'system' })
    await tasks.lifecycle.advance(pipeline.id)
    const before = await countRows(tasks, 'lifecycle_evidence')
    // the gate result belongs to research, not to the current stage
    await expectCode(tasks.lifecycle.addEvidence(pipeline.id, { uri: 'x', type: 'file', gateResultId: gate.id }), 'INVARIANT')
    await expectCode(tasks.lifecycle.addEvidence(pipeline.id, { uri: 'x', type: 'file', gateResultId: 'nope' }), 'NOT_FOUND')
    expect(await countRows(tasks, 'lifecycle_evidence')).toBe(before)
    expect((await tasks.lifecycle.evidence(pipeline.id)).map((e) => e.uri)).toEqual(['docs/notes.md'])
    const validated = await tasks.lifecycle.validateStage(pipeline.id, { stage: 'research', status: 'approved', by: 'lead', outputFile: 'research.md' })
    expect(validated).toMatchObject({ validationStatus: 'approved', validatedBy: 'lead', outputFile: 'research.md' })
    await expectCode(tasks.lifecycle.get('missing'), 'NOT_FOUND')
  })
})

describe.each(TASKS_ENGINES)('manifests and releases (%s)', (engine) => {
  it('records manifest entries per stage and hashed pipeline records', async () => {
    const { tasks, epic, pipeline } = await setup(engine)
    const entry = await tasks.manifests.addEntry({
      pipelineId: pipeline.id,
      stage: 'research',
      title: 'Prior art',
      status: 'completed',
      findings: ['X is slow'],
      linkedTasks: [epic.id],
    })
    expect(entry).toMatchObject({ stage: 'research', findings: ['X is slow'], linkedTasks: [epic.id] })
    expect(await tasks.manifests.entries(pipeline.id)).toEqual([entry])
    await expectCode(tasks.manifests.addEntry({ pipelineId: 'nope', title: 'x', status: 'partial' }), 'NOT_FOUND')
    await expectCode(tasks.manifests.addEntry({ pipelineId: pipeline.id, title: 'x', status: 'done' as never }), 'VALIDATION')

    const record = await tasks.manifests.record({ type: 'notes', content: 'hello', taskId: epic.id, metadata: { k: 1 } })
    expect(record.contentHash).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824')
    expect(await tasks.manifests.list({ taskId: epic.id })).toEqual([record])
    const archived = await tasks.manifests.archive(record.id)
    expect(archived.status).toBe('archived')
    await expectCode(tasks.manifests.archive(record.id), 'CONFLICT')
    expect(await tasks.manifests.list({ status: 'active' })).toEqual([])
    await expectCode(tasks.manifests.record({ type: 'notes', content: 'x', sessionId: 'none' }), 'NOT_FOUND')
  })

  it('moves releases forward only, stamping every step; versions are unique', async () => {
    const { tasks, epic } = await setup(engine)
    const release = await tasks.releases.create({ version: '1.0.0', epicId: epic.id, tasks: [epic.id] })
    expect(release).toMatchObject({ status: 'draft', tasks: [epic.id] })
    await expectCode(tasks.releases.create({ version: '1.0.0' }), 'CONFLICT')
    const committed = await tasks.releases.advance('1.0.0', { to: 'committed', commitSha: 'abc1234' })
    expect(committed.preparedAt).not.toBeNull() // the skipped step is stamped too
    expect(committed).toMatchObject({ status: 'committed', commitSha: 'abc1234' })
    await expectCode(tasks.releases.advance('1.0.0', { to: 'prepared' }), 'INVARIANT')
    const pushed = await tasks.releases.advance('1.0.0', { to: 'pushed', gitTag: 'v1.0.0' })
    expect(pushed.taggedAt).not.toBeNull()
    expect(pushed.pushedAt).not.toBeNull()
    await expectCode(tasks.releases.advance('1.0.0', { to: 'cancelled' }), 'INVARIANT')
    await tasks.releases.create({ version: '1.1.0' })
    expect((await tasks.releases.advance('1.1.0', { to: 'cancelled' })).cancelledAt).not.toBeNull()
    expect((await tasks.releases.list({ status: 'cancelled' })).map((r) => r.version)).toEqual(['1.1.0'])
    await expectCode(tasks.releases.get('9.9.9'), 'NOT_FOUND')
    await expectCode(tasks.releases.advance('1.1.0', { to: 'draft' as never }), 'VALIDATION')
  })
})
