/**
 * project_agent_refs (ADR-037): attach, detach (soft), re-enable (history kept),
 * remove (row deleted), list, touch.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import type { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import { expectCode } from '../helpers.js'
import { CONDUIT_ENGINES, openTestConduit, rows, T0 } from './conduit-fixtures.js'

describe.each(CONDUIT_ENGINES)('project agent refs on %s', (engine) => {
  let conduit: ConduitRepository
  let clock: Awaited<ReturnType<typeof openTestConduit>>['clock']

  beforeEach(async () => {
    ;({ conduit, clock } = await openTestConduit({}, engine))
  })
  afterEach(async () => {
    await conduit.close()
  })

  const at = (ms: number) => new Date(T0 + ms).toISOString()

  describe('project agent refs', () => {
    it('attach creates an enabled ref', async () => {
      const ref = await conduit.agentRefs.attach('cleo-prime', { role: 'lead', capabilitiesOverride: ['code', 'review'] })
      expect(ref).toEqual({
        agentId: 'cleo-prime',
        enabled: true,
        role: 'lead',
        capabilitiesOverride: ['code', 'review'],
        attachedAt: at(0),
        detachedAt: null,
        lastUsedAt: null,
        updatedAt: at(0),
      })
      expect(await conduit.agentRefs.get('cleo-prime')).toEqual(ref)
      expect(await conduit.agentRefs.get('unknown')).toBeUndefined()
    })

    it('detach is soft; attach re-enables and keeps the history', async () => {
      await conduit.agentRefs.attach('a', { role: 'lead', capabilitiesOverride: ['x'] })
      clock.advance(10)
      await conduit.agentRefs.touch('a')
      clock.advance(10)
      const detached = await conduit.agentRefs.detach('a')
      expect(detached).toMatchObject({ enabled: false, detachedAt: at(20), lastUsedAt: at(10), role: 'lead' })
      expect(await conduit.agentRefs.detach('a')).toEqual(detached) // idempotent
      expect(await conduit.agentRefs.list()).toEqual([])
      expect((await conduit.agentRefs.list({ includeDisabled: true })).map((r) => r.agentId)).toEqual(['a'])
      await expectCode(conduit.agentRefs.touch('a'), 'NOT_FOUND')

      clock.advance(10)
      const again = await conduit.agentRefs.attach('a')
      expect(again).toEqual({
        agentId: 'a',
        enabled: true,
        role: 'lead',
        capabilitiesOverride: ['x'],
        attachedAt: at(0),
        detachedAt: at(20),
        lastUsedAt: at(10),
        updatedAt: at(30),
      })
      // Explicit values replace; null clears.
      expect(await conduit.agentRefs.attach('a', { role: null, capabilitiesOverride: ['y'] })).toMatchObject({ role: null, capabilitiesOverride: ['y'] })
      expect(await rows(conduit, 'SELECT count(*) AS n FROM project_agent_refs')).toEqual([{ n: 1 }])
    })

    it('remove deletes the row; the agent can be attached anew later', async () => {
      await conduit.agentRefs.attach('a')
      await conduit.agentRefs.detach('a')
      await conduit.agentRefs.remove('a')
      expect(await conduit.agentRefs.get('a')).toBeUndefined()
      await expectCode(conduit.agentRefs.remove('a'), 'NOT_FOUND')
      await expectCode(conduit.agentRefs.detach('a'), 'NOT_FOUND')
      clock.advance(5)
      expect((await conduit.agentRefs.attach('a')).attachedAt).toBe(at(5))
    })

    it('lists sorted by agent id, enabled only unless asked', async () => {
      for (const id of ['zed', 'amy', 'kim']) await conduit.agentRefs.attach(id)
      await conduit.agentRefs.detach('kim')
      expect((await conduit.agentRefs.list()).map((r) => r.agentId)).toEqual(['amy', 'zed'])
      expect((await conduit.agentRefs.list({ includeDisabled: true })).map((r) => [r.agentId, r.enabled])).toEqual([
        ['amy', true],
        ['kim', false],
        ['zed', true],
      ])
    })

    it('validates ids and options', async () => {
      await expectCode(conduit.agentRefs.attach(''), 'VALIDATION')
      await expectCode(conduit.agentRefs.attach('a'.repeat(129)), 'VALIDATION')
      await expectCode(conduit.agentRefs.attach('tab\there'), 'VALIDATION')
      await expectCode(conduit.agentRefs.attach('a', { capabilitiesOverride: [''] }), 'VALIDATION')
      await expectCode(conduit.agentRefs.attach('a', { color: 'red' } as never), 'VALIDATION')
      await expectCode(conduit.agentRefs.list({ includeDisabled: 'yes' } as never), 'VALIDATION')
    })
  })
})
