import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'

import fc from 'fast-check'
import type { Kysely } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'

import type { AgentCandidate } from '../../src/signaldock/agent-selection.js'
import { chooseAgent } from '../../src/signaldock/agent-selection.js'
import { SignaldockRepository } from '../../src/signaldock/signaldock-repository.js'
import { expectCode, tempDir } from '../helpers.js'
import { ENGINES, T0 } from './helpers.js'

let repo: SignaldockRepository
afterEach(async () => {
  await repo?.close()
})

async function rows(r: SignaldockRepository) {
  return (r.kysely as unknown as Kysely<any>).selectFrom('agent_availability').selectAll().orderBy('agent_id').execute()
}

for (const engine of ENGINES) {
  describe(`agent availability [${engine.name}]`, () => {
    it('an agent with no record is available; marks are atomic upserts (one row per agent)', async () => {
      // Concurrent marks below: a retry budget that a loaded machine cannot exhaust.
      const opened = await engine.open({ busyTimeoutMs: 60_000 })
      repo = opened.repo
      await repo.agents.register({ agentId: 'claude', name: 'Claude' })
      expect(await repo.availability.get('claude')).toMatchObject({ state: 'available', recordedState: 'available', updatedAt: null })
      expect(await repo.availability.get('ghost')).toBeNull()
      await expectCode(repo.availability.markDegraded('ghost', { reason: 'x' }), 'NOT_FOUND')

      await repo.availability.markUnavailable('claude', { reason: 'rate limited', forMs: 60_000, source: 'harness' })
      await repo.availability.markDegraded('claude', { reason: 'slow' })
      await Promise.all([
        repo.availability.markUnavailable('claude', { reason: 'quota', forMs: 1000 }),
        repo.availability.markDegraded('claude', { reason: 'slow', forMs: 1000 }),
        repo.availability.markAvailable('claude'),
      ])
      expect(await rows(repo)).toHaveLength(1)
      // 01:00 at +01:00 is 00:00Z, which is now: refused. Compared as instants, not as strings.
      await expectCode(repo.availability.markUnavailable('claude', { reason: 'quota', until: '2026-01-01T01:00:00+01:00' }), 'VALIDATION')
      expect(await rows(repo)).toHaveLength(1)
    })

    it('expiry is evaluated in the query with the injected clock, and reads never write', async () => {
      const opened = await engine.open()
      repo = opened.repo
      await repo.agents.register({ agentId: 'codex', name: 'Codex' })
      const marked = await repo.availability.markUnavailable('codex', { reason: 'outage', until: '2026-01-01T02:00:00+01:00' })
      // +01:00 → 01:00Z: one hour after T0, whatever the string looks like.
      expect(marked).toMatchObject({ state: 'unavailable', until: '2026-01-01T01:00:00.000Z', reason: 'outage', expired: false })
      const before = await rows(repo)

      opened.clock.set(T0 + 3_600_000 - 1)
      expect((await repo.availability.get('codex'))!.state).toBe('unavailable')
      opened.clock.set(T0 + 3_600_000)
      expect(await repo.availability.get('codex')).toMatchObject({
        state: 'available',
        recordedState: 'unavailable',
        expired: true,
        reason: 'outage',
      })
      expect((await repo.availability.list({ state: 'available' })).map((a) => a.agentId)).toEqual(['codex'])
      expect(await repo.availability.list({ state: 'unavailable' })).toEqual([])
      expect((await repo.availability.selectAgent(['codex'])).agentId).toBe('codex')
      expect(await rows(repo)).toEqual(before) // nothing was cleared or rewritten by the reads
    })

    it('a degraded state may end by itself or last until changed', async () => {
      const opened = await engine.open()
      repo = opened.repo
      await repo.agents.register({ agentId: 'a', name: 'A' })
      await repo.agents.register({ agentId: 'b', name: 'B' })
      await repo.availability.markDegraded('a', { reason: 'slow', forMs: 1000 })
      await repo.availability.markDegraded('b', { reason: 'flaky' })
      opened.clock.advance(5000)
      expect((await repo.availability.get('a'))!.state).toBe('available')
      expect(await repo.availability.get('b')).toMatchObject({ state: 'degraded', until: null, reason: 'flaky' })
      expect((await repo.availability.markAvailable('b')).reason).toBeNull()
    })

    it('refuses bad input before writing: past or zone-less times, missing reasons, both until and forMs', async () => {
      ;({ repo } = await engine.open())
      await repo.agents.register({ agentId: 'a', name: 'A' })
      await expectCode(repo.availability.markUnavailable('a', { reason: 'x', until: T0 - 1 }), 'VALIDATION')
      await expectCode(repo.availability.markUnavailable('a', { reason: 'x', until: T0 }), 'VALIDATION')
      await expectCode(repo.availability.markUnavailable('a', { reason: 'x', until: '2026-01-02T00:00:00' }), 'VALIDATION')
      await expectCode(repo.availability.markUnavailable('a', { reason: 'x' } as never), 'VALIDATION')
      await expectCode(repo.availability.markUnavailable('a', { reason: '', forMs: 10 }), 'VALIDATION')
      await expectCode(repo.availability.markUnavailable('a', { reason: 'x', forMs: 10, until: T0 + 10 }), 'VALIDATION')
      await expectCode(repo.availability.markDegraded('a', { reason: 'x', forMs: 10, until: T0 + 10 }), 'VALIDATION')
      await expectCode(repo.availability.markDegraded('a', { reason: 'x', forMs: 0 }), 'VALIDATION')
      expect(await rows(repo)).toEqual([])
    })

    it('selectAgent: first available in preference order, degraded only on request, fail closed', async () => {
      const opened = await engine.open()
      repo = opened.repo
      for (const id of ['claude', 'codex', 'gemini', 'retired']) await repo.agents.register({ agentId: id, name: id })
      await repo.agents.deactivate('retired')
      await repo.availability.markUnavailable('claude', { reason: 'rate limited', forMs: 60_000 })
      await repo.availability.markDegraded('codex', { reason: 'slow' })

      const choice = await repo.availability.selectAgent(['ghost', 'retired', 'claude', 'codex', 'gemini'])
      expect(choice).toEqual({
        agentId: 'gemini',
        state: 'available',
        reason: null,
        skipped: [
          { agentId: 'ghost', reason: 'not_registered', detail: null, until: null },
          { agentId: 'retired', reason: 'inactive', detail: null, until: null },
          { agentId: 'claude', reason: 'unavailable', detail: 'rate limited', until: new Date(T0 + 60_000).toISOString() },
          { agentId: 'codex', reason: 'degraded', detail: 'slow', until: null },
        ],
      })
      // A degraded agent is not taken while an available one is preferred later…
      expect((await repo.availability.selectAgent(['codex', 'gemini'], { allowDegraded: true })).agentId).toBe('gemini')
      await repo.availability.markUnavailable('gemini', { reason: 'outage', forMs: 60_000 })
      // …and only with allowDegraded when nothing is available.
      const none = await repo.availability.selectAgent(['claude', 'codex', 'gemini'])
      expect(none.agentId).toBeNull()
      expect(none.state).toBeNull()
      expect(none.skipped.map((s) => s.reason)).toEqual(['unavailable', 'degraded', 'unavailable'])
      const degraded = await repo.availability.selectAgent(['claude', 'codex', 'gemini'], { allowDegraded: true })
      expect(degraded).toMatchObject({ agentId: 'codex', state: 'degraded', reason: 'slow' })
      expect(degraded.skipped.map((s) => s.agentId)).toEqual(['claude'])
      // Expiry frees claude.
      opened.clock.advance(60_000)
      expect((await repo.availability.selectAgent(['claude', 'codex'])).agentId).toBe('claude')
      await expectCode(repo.availability.selectAgent([]), 'VALIDATION')
    })
  })
}

describe('agent availability on SQLite', () => {
  it('retries a transaction that meets a busy database, then reports BUSY', async () => {
    const file = join(tempDir(), 'signaldock.db')
    // A budget far beyond the test's own pause: however late a busy machine runs the
    // timer, the lock is released within it. One attempt waits at most BUSY_SLICE_MS
    // (20 ms) in SQLite's handler, and the lock is held for at least 150 ms: success
    // proves the transaction was retried.
    repo = await SignaldockRepository.open(file, { busyTimeoutMs: 60_000 })
    await repo.agents.register({ agentId: 'a', name: 'A' })
    const blocker = new DatabaseSync(file)
    blocker.exec('BEGIN IMMEDIATE')
    const pending = repo.availability.markDegraded('a', { reason: 'slow' })
    await new Promise((r) => setTimeout(r, 150))
    blocker.exec('COMMIT')
    expect((await pending).state).toBe('degraded')

    const impatient = await SignaldockRepository.open(file, { busyTimeoutMs: 50 })
    try {
      blocker.exec('BEGIN IMMEDIATE')
      const error = await expectCode(impatient.availability.markAvailable('a'), 'BUSY')
      // How many attempts fit in 50 ms depends on the scheduler: at least one.
      expect(error.details?.['attempts']).toBeGreaterThanOrEqual(1)
      expect(error.details?.['waitedMs']).toBeGreaterThanOrEqual(50)
      blocker.exec('ROLLBACK')
    } finally {
      blocker.close()
      await impatient.close()
    }
  })
})

/** The selection rule restated directly, as the property test's oracle. */
function oracle(preferences: string[], candidates: AgentCandidate[], allowDegraded: boolean) {
  const byId = new Map(candidates.map((c) => [c.agentId, c]))
  const usable = (id: string, state: string) => {
    const c = byId.get(id)
    return c !== undefined && c.registered && c.active && c.state === state
  }
  const firstIndex = (state: string) => preferences.findIndex((id, i) => preferences.indexOf(id) === i && usable(id, state))
  let index = firstIndex('available')
  if (index < 0 && allowDegraded) index = firstIndex('degraded')
  return { agentId: index < 0 ? null : preferences[index]!, skippedCount: index < 0 ? preferences.length : index }
}

describe('chooseAgent', () => {
  const slug = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f')
  const candidate = fc.record({
    agentId: slug,
    registered: fc.boolean(),
    active: fc.boolean(),
    state: fc.constantFrom('available', 'degraded', 'unavailable') as fc.Arbitrary<'available' | 'degraded' | 'unavailable'>,
    until: fc.constant(null),
    reason: fc.option(fc.string({ minLength: 1, maxLength: 5 }), { nil: null }),
  })

  it('matches the rule, is deterministic, and never picks an unusable agent', () => {
    fc.assert(
      fc.property(
        fc.array(slug, { minLength: 1, maxLength: 8 }),
        fc.uniqueArray(candidate, { selector: (c) => c.agentId, maxLength: 6 }),
        fc.boolean(),
        (preferences, candidates, allowDegraded) => {
          const result = chooseAgent(preferences, candidates, { allowDegraded })
          const expected = oracle(preferences, candidates, allowDegraded)
          expect(result.agentId).toBe(expected.agentId)
          expect(result.skipped).toHaveLength(expected.skippedCount)
          expect(chooseAgent(preferences, [...candidates].reverse(), { allowDegraded })).toEqual(result)
          if (result.agentId !== null) {
            const chosen = candidates.find((c) => c.agentId === result.agentId)!
            expect(chosen.registered && chosen.active).toBe(true)
            expect(chosen.state).toBe(result.state)
            if (!allowDegraded) expect(chosen.state).toBe('available')
          }
          for (const skip of result.skipped) expect(skip.agentId).not.toBe(result.agentId ?? '\u0000')
        },
      ),
      { numRuns: 500 },
    )
  })
})
