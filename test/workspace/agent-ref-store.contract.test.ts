/**
 * One contract for a {@link ProjectAgentRefStore}, run against both the in-memory
 * store and the conduit.db one (issue 16 item 10): what a workspace sees must not
 * depend on which one it was wired to — re-attaching keeps `attachedAt`, detaching
 * keeps the row, fields are replaced only when given.
 */
import { describe, expect, it } from 'vitest'

import type { ProjectAgentRefStore } from '../../src/index.js'
import { ConduitRepository } from '../../src/index.js'
import { conduitAgentRefStore, memoryAgentRefStore } from '../../src/workspace/agents.js'
import { manualClock } from '../../src/sqlite/clock.js'

const T0 = Date.UTC(2026, 0, 1)

const STORES: Array<{ name: string; make: (clock: ReturnType<typeof manualClock>) => Promise<{ store: ProjectAgentRefStore; close: () => Promise<void> }> }> = [
  { name: 'memory', make: async (clock) => ({ store: memoryAgentRefStore(clock), close: async () => {} }) },
  {
    name: 'conduit',
    make: async (clock) => {
      const conduit = await ConduitRepository.open(':memory:', { clock })
      return { store: conduitAgentRefStore(conduit), close: () => conduit.close() }
    },
  },
]

/** The fields every store must agree on (optional ones normalised to null). */
function shape(ref: Awaited<ReturnType<ProjectAgentRefStore['get']>>) {
  if (ref === null) return null
  return {
    agentId: ref.agentId,
    enabled: ref.enabled,
    role: ref.role ?? null,
    capabilitiesOverride: ref.capabilitiesOverride ?? null,
    attachedAt: ref.attachedAt ?? null,
  }
}

for (const { name, make } of STORES) {
  describe(`ProjectAgentRefStore contract [${name}]`, () => {
    it('attach inserts an enabled ref; attaching again keeps attachedAt and only applies given fields', async () => {
      const clock = manualClock(T0)
      const { store, close } = await make(clock)
      try {
        expect(shape(await store.attach('a', { role: 'lead', capabilitiesOverride: ['code'] }))).toEqual({
          agentId: 'a',
          enabled: true,
          role: 'lead',
          capabilitiesOverride: ['code'],
          attachedAt: new Date(T0).toISOString(),
        })
        clock.advance(1000)
        expect(shape(await store.attach('a', {}))).toMatchObject({ role: 'lead', capabilitiesOverride: ['code'], attachedAt: new Date(T0).toISOString() })
        expect(shape(await store.attach('a', { role: null }))).toMatchObject({ role: null, capabilitiesOverride: ['code'] })
        expect(shape(await store.attach('b', {}))).toMatchObject({ role: null, capabilitiesOverride: null })
      } finally {
        await close()
      }
    })

    it('detach keeps the row disabled; re-attaching re-enables it and keeps attachedAt', async () => {
      const clock = manualClock(T0)
      const { store, close } = await make(clock)
      try {
        await store.attach('a', { role: 'worker' })
        clock.advance(5000)
        expect(shape(await store.detach('a'))).toMatchObject({ agentId: 'a', enabled: false, role: 'worker' })
        expect(await store.detach('nobody')).toBeNull()
        expect((await store.list()).map(shape)).toEqual([
          { agentId: 'a', enabled: false, role: 'worker', capabilitiesOverride: null, attachedAt: new Date(T0).toISOString() },
        ])
        clock.advance(5000)
        const again = shape(await store.attach('a', {}))
        expect(again).toEqual({ agentId: 'a', enabled: true, role: 'worker', capabilitiesOverride: null, attachedAt: new Date(T0).toISOString() })
        expect(shape(await store.get('a'))).toEqual(again)
      } finally {
        await close()
      }
    })

    it('lists by slug, removes rows, and says when there was none', async () => {
      const clock = manualClock(T0)
      const { store, close } = await make(clock)
      try {
        await store.attach('zed', {})
        await store.attach('amy', {})
        expect((await store.list()).map((r) => r.agentId)).toEqual(['amy', 'zed'])
        expect(await store.remove('amy')).toBe(true)
        expect(await store.remove('amy')).toBe(false)
        expect(await store.get('amy')).toBeNull()
        expect((await store.list()).map((r) => r.agentId)).toEqual(['zed'])
      } finally {
        await close()
      }
    })
  })
}
