import { afterEach, describe, expect, it } from 'vitest'

import type { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import { DEFAULT_SNAPSHOT_POLICY } from '../../src/conduit/snapshot-cache.js'
import { expectCode } from '../helpers.js'
import { CONDUIT_ENGINES, openTestConduit, rows, T0 } from '../conduit/conduit-fixtures.js'

const opened: ConduitRepository[] = []
afterEach(async () => {
  for (const repo of opened.splice(0)) await repo.close()
})

describe.each(CONDUIT_ENGINES)('snapshot cache on %s', (engine) => {
  async function openCache() {
    const { conduit, clock } = await openTestConduit({}, engine)
    opened.push(conduit)
    const updatedAt = async (key: string) => {
      const [type, ...scope] = key.split(':')
      const found = await rows<{ updated_at: number }>(
        conduit,
        `SELECT updated_at FROM snapshot_cache WHERE data_type = '${type!}' AND scope_id = '${scope.join(':')}'`,
      )
      return found[0]
    }
    return { conduit, cache: conduit.cache, clock, updatedAt }
  }

  const allRows = (conduit: ConduitRepository) => rows(conduit, 'SELECT * FROM snapshot_cache ORDER BY data_type, scope_id')

  describe('snapshot cache', () => {
    it('reads missing, then fresh, then stale after the TTL of its data type (injected clock)', async () => {
      const { cache, clock } = await openCache()
      expect((await cache.get('computers:mbp')).state).toBe('missing')
      await cache.put('computers:mbp', { cpu: 0.5 })
      await cache.put('projects:mbp', [{ path: '/a' }])
      await cache.put('sessions:s1', { status: 'active' })
      expect(await cache.get('computers:mbp')).toMatchObject({ state: 'fresh', value: { cpu: 0.5 }, ageMs: 0 })

      clock.advance(59_999)
      expect((await cache.get('computers:mbp')).state).toBe('fresh')
      clock.advance(1)
      const stale = await cache.get('computers:mbp')
      expect(stale).toMatchObject({ state: 'stale', value: { cpu: 0.5 }, ageMs: 60_000 }) // served stale
      expect((await cache.get('projects:mbp')).state).toBe('fresh') // 5 min

      clock.advance(240_000)
      expect((await cache.get('projects:mbp')).state).toBe('stale')
      clock.advance(365 * 86_400_000)
      expect((await cache.get('sessions:s1')).state).toBe('fresh') // event-driven: never stale
    })

    it('never writes on read', async () => {
      const { conduit, cache, clock } = await openCache()
      await cache.put('computers:mbp', { cpu: 1 })
      clock.advance(120_000)
      const before = await allRows(conduit)
      for (let i = 0; i < 5; i++) expect((await cache.get('computers:mbp')).state).toBe('stale')
      expect(await allRows(conduit)).toEqual(before)
    })

    it('skips the write when the digest is unchanged; writes when it changes', async () => {
      const { cache, clock, updatedAt } = await openCache()
      const first = await cache.put('todos:mbp:/src/app', ['a', 'b'])
      expect(first.changed).toBe(true)
      clock.advance(1000)
      expect(await cache.put('todos:mbp:/src/app', ['a', 'b'])).toMatchObject({ changed: false, digest: first.digest })
      expect((await updatedAt('todos:mbp:/src/app'))!.updated_at).toBe(T0)
      expect((await cache.put('todos:mbp:/src/app', ['a', 'b', 'c'])).changed).toBe(true)
      expect((await updatedAt('todos:mbp:/src/app'))!.updated_at).toBe(T0 + 1000)
      // an explicit etag decides alone
      expect((await cache.put('todos:mbp:/src/app', ['x'], { digest: 'etag-1' })).changed).toBe(true)
      expect((await cache.put('todos:mbp:/src/app', ['y'], { digest: 'etag-1' })).changed).toBe(false)
      expect((await cache.get('todos:mbp:/src/app')).value).toEqual(['x'])
    })

    it('invalidates by key and by data type', async () => {
      const { cache } = await openCache()
      await cache.put('projects:a', 1)
      await cache.put('projects:b', 2)
      await cache.put('computers:a', 3)
      expect(await cache.invalidate('projects:a')).toBe(true)
      expect(await cache.invalidate('projects:a')).toBe(false)
      expect(await cache.invalidateType('projects')).toBe(1)
      expect((await cache.get('projects:b')).state).toBe('missing')
      expect((await cache.get('computers:a')).state).toBe('fresh')
    })

    it('evicts the least recently updated entries beyond maxEntries', async () => {
      const { cache: base, clock } = await openCache()
      const cache = base.withPolicy({ maxEntries: 3 })
      for (const key of ['projects:1', 'projects:2', 'projects:3']) {
        await cache.put(key, key)
        clock.advance(10)
      }
      await cache.put('projects:1', 'changed') // now the most recently updated
      clock.advance(10)
      expect((await cache.put('projects:4', 4)).evicted).toBe(1)
      expect(await cache.size()).toBe(3)
      expect((await cache.get('projects:2')).state).toBe('missing')
      expect((await cache.get('projects:1')).state).toBe('fresh')
    })

    it('takes a configurable policy; refuses bad keys with VALIDATION', async () => {
      const { cache, clock } = await openCache()
      expect(cache.ttlOf('computers')).toBe(DEFAULT_SNAPSHOT_POLICY.ttlMs['computers'])
      const custom = cache.withPolicy({ ttlMs: { computers: 1000, weather: 0 } })
      expect(custom.ttlOf('computers')).toBe(1000)
      expect(custom.ttlOf('projects')).toBe(300_000)
      await custom.put('weather:x', 1)
      expect((await custom.get('weather:x')).state).toBe('stale') // ttl 0: always stale
      await custom.put('computers:x', 1)
      clock.advance(1000)
      expect((await custom.get('computers:x')).state).toBe('stale')
      await expectCode(cache.get('no-colon'), 'VALIDATION')
      await expectCode(cache.put(':x', 1), 'VALIDATION')
      await expectCode(cache.put('a:b', undefined), 'VALIDATION')
    })

    it('revalidates stale entries in the background, single-flight, with a cooldown', async () => {
      const { cache, clock } = await openCache()
      let loads = 0
      let release!: () => void
      const gate = new Promise<void>((resolve) => (release = resolve))
      const load = async () => {
        loads++
        await gate
        return { version: loads }
      }
      // missing: the load is awaited, and concurrent callers share it
      const pending = [cache.revalidate('computers:a', load), cache.revalidate('computers:a', load)]
      release()
      const [a, b] = await Promise.all(pending)
      expect(loads).toBe(1)
      expect(a).toMatchObject({ state: 'fresh', value: { version: 1 }, refresh: null })
      expect(b!.value).toEqual({ version: 1 })

      clock.advance(60_000)
      const slow = () => {
        loads++
        return { version: loads }
      }
      const stale = await cache.revalidate('computers:a', slow, { cooldownMs: 30_000 })
      expect(stale).toMatchObject({ state: 'stale', value: { version: 1 } }) // served at once
      const outcome = await stale.refresh!
      expect(outcome).toMatchObject({ ok: true, changed: true })
      expect((await cache.get('computers:a')).state).toBe('fresh')

      // the data does not change: the entry stays stale, and the cooldown bounds refetches
      clock.advance(60_000)
      const again = await cache.revalidate('computers:a', () => ({ version: 2 }), { cooldownMs: 120_000 })
      expect(again.refresh).toBeNull() // cooling down: the last refresh started 60 s ago
      expect((await cache.revalidate('computers:a', () => ({ version: 2 }), { cooldownMs: 120_000, force: true })).refresh).not.toBeNull()
    })

    it('a failing background refresh resolves to an outcome and keeps the stale value', async () => {
      const { cache, clock } = await openCache()
      await cache.put('projects:a', 'old')
      clock.advance(300_000)
      const entry = await cache.revalidate('projects:a', () => {
        throw new Error('peer offline')
      })
      const outcome = await entry.refresh!
      expect(outcome.ok).toBe(false)
      expect((await cache.get('projects:a')).value).toBe('old')
      await cache.invalidate('projects:a')
      await expect(cache.revalidate('projects:a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    })
  })
})
