import fc from 'fast-check'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'

import { manualClock } from '../../src/index.js'
import { expectCode } from '../helpers.js'
import { execSql, NEXUS_ENGINES, openNexus } from './open-nexus.js'

describe.each(NEXUS_ENGINES)('nexus.audit (%s)', (engine) => {
  it('appends entries and lists them newest first, filtered', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1))
    const nexus = await openNexus(engine, { clock })
    const a = await nexus.audit.append({ action: 'route.sent', projectId: 'p1', sessionId: 's1', details: { to: 'T1' }, durationMs: 5 })
    clock.advance(1000)
    await nexus.audit.append({ action: 'route.failed', projectId: 'p2', success: false, errorMessage: 'no route' })
    clock.advance(1000)
    await nexus.audit.append({ action: 'route.sent', projectId: 'p1' })
    expect(a).toMatchObject({ action: 'route.sent', success: true, details: { to: 'T1' }, durationMs: 5, occurredAt: '2026-01-01T00:00:00.000Z' })
    expect((await nexus.audit.list()).items.map((e) => e.projectId)).toEqual(['p1', 'p2', 'p1'])
    expect((await nexus.audit.list({ order: 'asc', limit: 1 })).items[0]?.id).toBe(a.id)
    expect((await nexus.audit.list({ projectId: 'p1', action: 'route.sent' })).items).toHaveLength(2)
    expect((await nexus.audit.list({ sessionId: 's1' })).items).toHaveLength(1)
    expect((await nexus.audit.list({ since: Date.UTC(2026, 0, 1, 0, 0, 1), until: '2026-01-01T00:00:02.000Z' })).items).toHaveLength(1)
    const failed = (await nexus.audit.list({ action: 'route.failed' })).items[0]
    expect(failed).toMatchObject({ success: false, errorMessage: 'no route', details: null })
  })

  it('is append-only: UPDATE and DELETE fail with INVARIANT, even through kysely', async () => {
    const nexus = await openNexus(engine)
    const entry = await nexus.audit.append({ action: 'x' })
    await expectCode(nexus.kysely.updateTable('nexus_audit_log').set({ action: 'y' }).execute(), 'INVARIANT')
    await expectCode(nexus.kysely.deleteFrom('nexus_audit_log').where('id', '=', entry.id).execute(), 'INVARIANT')
    await expectCode(execSql(nexus, sql`DELETE FROM nexus_audit_log`), 'INVARIANT')
    expect((await nexus.audit.list()).items).toEqual([entry])
  })

  it('refuses bad entries before writing', async () => {
    const nexus = await openNexus(engine)
    await expectCode(nexus.audit.append({ action: '' }), 'VALIDATION')
    await expectCode(nexus.audit.append({ action: 'x', durationMs: -1 }), 'VALIDATION')
    await expectCode(nexus.audit.append({ action: 'x', details: [1] as never }), 'VALIDATION')
    await expectCode(nexus.audit.append({ action: 'x', secret: 'k' } as never), 'VALIDATION')
    expect((await nexus.audit.list()).items).toEqual([])
  })

  // zod drops a top-level "__proto__" key of a record (prototype-pollution guard), by design.
  it('round-trips any JSON object in details', async () => {
    const nexus = await openNexus(engine)
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string().filter((k) => k !== '__proto__'), fc.jsonValue()), async (details) => {
        const entry = await nexus.audit.append({ action: 'p', details })
        const { items: [read] } = await nexus.audit.list({ limit: 1 })
        expect(read?.id).toBe(entry.id)
        expect(read?.details).toEqual(JSON.parse(JSON.stringify(details)))
      }),
      { numRuns: 50 },
    )
  })
})
