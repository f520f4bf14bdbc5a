/** Issue 17 item 5: the cache matrix, complete. */
import { describe, expect, it } from 'vitest'

import { DEFAULT_SNAPSHOT_POLICY } from '../../src/conduit/snapshot-cache.js'
import { expectCode } from '../helpers.js'
import { daemonSetup } from './daemon-fixtures.js'

const setup = daemonSetup()

/** TeleClaude's matrix (null: event-driven, never stale). */
const MATRIX: ReadonlyArray<[dataType: string, ttlMs: number | null]> = [
  ['computers', 60_000],
  ['projects', 300_000],
  ['todos', 300_000],
  ['sessions', null],
  ['agent_availability', 30_000],
  ['anything_else', 300_000],
]

describe('the daemon cache matrix', () => {
  it.each(MATRIX)('%s: fresh until its TTL (%s ms), stale from then on', async (dataType, ttl) => {
    const { daemon, clock } = await setup()
    const key = `${dataType}:mbp`
    await daemon.cache.put(key, { v: 1 })
    expect(daemon.cache.ttlOf(dataType)).toBe(ttl)
    if (ttl === null) {
      clock.advance(365 * 86_400_000)
      expect((await daemon.cache.get(key)).state).toBe('fresh')
      return
    }
    clock.advance(ttl - 1)
    expect((await daemon.cache.get(key)).state).toBe('fresh')
    clock.advance(1)
    expect((await daemon.cache.get(key)).state).toBe('stale')
  })

  it('the default matrix gives agent availability its own 30 s TTL', () => {
    expect(DEFAULT_SNAPSHOT_POLICY.ttlMs['agent_availability']).toBe(30_000)
  })

  it('a refresh with an unchanged digest marks the entry checked: fresh again, snapshot not rewritten', async () => {
    const { daemon, clock } = await setup()
    await daemon.cache.put('projects:mbp', ['a'])
    clock.advance(300_000)
    const stale = await daemon.cache.get('projects:mbp')
    expect(stale.state).toBe('stale')
    const result = await daemon.cache.put('projects:mbp', ['a'])
    expect(result.changed).toBe(false)
    const after = await daemon.cache.get('projects:mbp')
    expect(after.state).toBe('fresh')
    expect(after.updatedAt).toBe(stale.updatedAt) // the data did not change
    expect(after.checkedAt).toBe(new Date(clock()).toISOString())
    // revalidate's refresh goes through put: an unchanged load also freshens the entry.
    clock.advance(300_000)
    const served = await daemon.cache.revalidate('projects:mbp', () => ['a'])
    expect(served.state).toBe('stale')
    expect(await served.refresh).toMatchObject({ ok: true, changed: false, entry: { state: 'fresh' } })
  })

  it('stale({ limit }) lists the entries due for refresh, most overdue first, a page at a time', async () => {
    const { daemon, clock } = await setup()
    await daemon.cache.put('projects:p1', 1)
    await daemon.cache.put('sessions:s1', 1) // never due
    clock.advance(10_000)
    await daemon.cache.put('agent_availability:claude', 1)
    await daemon.cache.put('computers:mbp', 1)
    clock.advance(35_000) // availability (30 s) due; computers (60 s) not yet
    expect((await daemon.cache.stale()).items.map((e) => e.key)).toEqual(['agent_availability:claude'])
    clock.advance(300_000) // everything with a TTL is due now
    const page1 = await daemon.cache.stale({ limit: 2 })
    expect(page1.items.map((e) => e.key)).toEqual(['projects:p1', 'agent_availability:claude'])
    expect(page1.items[0]).toMatchObject({ dataType: 'projects', scopeId: 'p1', ttlMs: 300_000, overdueMs: 45_000 })
    const page2 = await daemon.cache.stale({ limit: 2, cursor: page1.nextCursor! })
    expect(page2.items.map((e) => e.key)).toEqual(['computers:mbp'])
    expect(page2.nextCursor).toBeNull()
    // a refresh (changed or not) takes an entry off the list
    await daemon.cache.put('projects:p1', 1)
    await daemon.cache.put('computers:mbp', 2)
    expect((await daemon.cache.stale()).items.map((e) => e.key)).toEqual(['agent_availability:claude'])
    await expectCode(daemon.cache.stale({ limit: 0 }), 'VALIDATION')
    await expectCode(daemon.cache.stale({ cursor: 'nope' }), 'VALIDATION')
  })

  it('a policy override applies to stale() too', async () => {
    const { daemon, clock } = await setup({ cache: { ttlMs: { agent_availability: 5_000 } } })
    await daemon.cache.put('agent_availability:codex', 1)
    clock.advance(5_000)
    expect((await daemon.cache.stale()).items.map((e) => e.key)).toEqual(['agent_availability:codex'])
  })
})
