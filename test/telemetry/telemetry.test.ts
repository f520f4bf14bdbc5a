import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import type { TelemetryEventInput } from '../../src/index.js'
import { CleoWorkspace, manualClock, TelemetryRepository } from '../../src/index.js'
import { TelemetryEventInputSchema } from '../../src/schemas.js'
import { expectCode, tempDir } from '../helpers.js'
import { startFixture } from '../workspace/children.js'

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0)
const event = (over: Partial<TelemetryEventInput> = {}): TelemetryEventInput => ({
  command: 'tasks.add',
  domain: 'tasks',
  operation: 'add',
  durationMs: 10,
  exitCode: 0,
  ...over,
})
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex')
const telemetryFiles = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('telemetry'))

describe('telemetry is opt-in', () => {
  it('creates and writes nothing without opt-in, whatever the workspace does', async () => {
    const project = tempDir()
    const globalDir = join(tempDir(), 'global')
    const ws = await CleoWorkspace.open(project, { globalDir })
    expect(ws.telemetry).toBeNull()
    await ws.check({ full: true })
    await ws.repair()
    const backup = await ws.backup(join(tempDir(), 'backups'))
    expect(backup.manifest.stores.map((s) => s.store)).not.toContain('telemetry')
    await ws.close()
    expect(telemetryFiles(globalDir)).toEqual([])
    expect(existsSync(join(project, '.cleo', 'telemetry.db'))).toBe(false)
  })

  it('stops writing once the user opts out: a later open without opt-in leaves the file byte-identical', async () => {
    const project = tempDir()
    const globalDir = join(tempDir(), 'global')
    const on = await CleoWorkspace.open(project, { globalDir, telemetry: true })
    await on.telemetry!.record(event())
    await on.close()
    const file = join(globalDir, 'telemetry.db')
    const before = sha(file)
    const off = await CleoWorkspace.open(project, { globalDir, telemetry: false })
    expect(off.telemetry).toBeNull()
    await off.check()
    await off.close()
    expect(sha(file)).toBe(before)
    expect(telemetryFiles(globalDir)).toEqual(['telemetry.db'])
  })

  it('optOut() stops writes at once; optOut({ deleteData }) erases events and the install id', async () => {
    const clock = manualClock(T0)
    await using telemetry = await TelemetryRepository.open(':memory:', { clock })
    expect(await telemetry.installId()).toBeNull()
    expect(await telemetry.record(event())).toBe(true)
    const id = await telemetry.installId()
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect((await telemetry.recent())[0]?.anonymousId).toBe(id)
    expect(await telemetry.optOut()).toEqual({ deleted: 0 })
    expect(telemetry.enabled).toBe(false)
    expect(await telemetry.record(event())).toBe(false)
    expect(await telemetry.count()).toBe(1)
    // Invalid events are still refused loudly, opted out or not.
    await expectCode(telemetry.record({ ...event(), args: ['--force'] } as never), 'VALIDATION')
    expect(await telemetry.optOut({ deleteData: true })).toEqual({ deleted: 1 })
    expect(await telemetry.count()).toBe(0)
    expect(await telemetry.installId()).toBeNull()
    telemetry.optIn()
    expect(await telemetry.record(event())).toBe(true)
    const fresh = await telemetry.installId()
    expect(fresh).not.toBeNull()
    expect(fresh).not.toBe(id)
  })

  it('deleteData leaves no trace of an erased event in the file', async () => {
    const globalDir = join(tempDir(), 'global')
    const ws = await CleoWorkspace.open(tempDir(), { globalDir, telemetry: true })
    for (let i = 0; i < 50; i++) await ws.telemetry!.record(event({ command: 'zzuniquemarker.op' }))
    await ws.telemetry!.optOut({ deleteData: true })
    const file = join(globalDir, 'telemetry.db')
    const bytes = Buffer.concat([readFileSync(file), existsSync(`${file}-wal`) ? readFileSync(`${file}-wal`) : Buffer.alloc(0)])
    expect(bytes.includes(Buffer.from('zzuniquemarker'))).toBe(false)
    await ws.close()
  })

  it('CleoWorkspace.deleteTelemetry removes the file, refusing while it is open here or in another process', async () => {
    const project = tempDir()
    const globalDir = join(tempDir(), 'global')
    const ws = await CleoWorkspace.open(project, { globalDir, telemetry: true })
    await ws.telemetry!.record(event())
    await expectCode(CleoWorkspace.deleteTelemetry({ globalDir }), 'BUSY')
    await ws.close()

    const holder = startFixture('workspace-holder.ts', [project, globalDir, 'telemetry'])
    await holder.waitFor(/^open$/)
    const busy = await expectCode(CleoWorkspace.deleteTelemetry({ globalDir }), 'BUSY')
    expect(busy.details?.['reason']).toBe('locked')
    expect(existsSync(join(globalDir, 'telemetry.db'))).toBe(true)
    await holder.finish()

    expect(await CleoWorkspace.deleteTelemetry({ globalDir })).toBe(true)
    expect(telemetryFiles(globalDir)).toEqual([])
    expect(await CleoWorkspace.deleteTelemetry({ globalDir })).toBe(false)
    // The other stores were not touched.
    expect(existsSync(join(globalDir, 'nexus.db'))).toBe(true)
  })
})

describe('telemetry events carry no arguments, paths or content', () => {
  it.each([
    ['args', { args: ['--title', 'secret plan'] }],
    ['path', { path: '/home/me/project' }],
    ['content', { content: 'task body' }],
    ['cwd', { cwd: '/tmp' }],
    ['a path as command', { command: '/usr/bin/cleo' }],
    ['spaces in the command', { command: 'tasks add "my secret"' }],
    ['a path as operation', { operation: '../../etc/passwd' }],
    ['a message as error code', { errorCode: 'could not open /home/me/x' }],
    ['a negative duration', { durationMs: -1 }],
    ['an exit code over 255', { exitCode: 256 }],
  ])('refuses %s', async (_what, over) => {
    await using telemetry = await TelemetryRepository.open(':memory:')
    await expectCode(telemetry.record({ ...event(), ...over } as never), 'VALIDATION')
    expect(await telemetry.count()).toBe(0)
  })

  it('accepts a command only when it is dotted lower-case identifiers (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (command) => {
        const ok = TelemetryEventInputSchema.safeParse(event({ command })).success
        expect(ok).toBe(/^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$/.test(command))
        if (ok) expect(command).not.toMatch(/[/\\\s:~]/)
      }),
      { numRuns: 500 },
    )
  })

  it('repeats the rule in SQL: a path written through kysely is refused', async () => {
    await using telemetry = await TelemetryRepository.open(':memory:')
    await telemetry.record(event())
    const [row] = await telemetry.kysely.selectFrom('telemetry_events').selectAll().execute()
    const { id: _id, ...copy } = row!
    await expectCode(telemetry.kysely.insertInto('telemetry_events').values({ ...copy, command: '/etc/passwd' }).execute(), 'INVARIANT')
    await expectCode(telemetry.kysely.insertInto('telemetry_events').values({ ...copy, operation: 'add me' }).execute(), 'INVARIANT')
    await expectCode(telemetry.kysely.insertInto('telemetry_events').values({ ...copy, error_code: 'no such file' }).execute(), 'INVARIANT')
  })
})

describe('telemetry aggregates', () => {
  it('counts, p50/p95, mean, max and error rate by command and window', async () => {
    const clock = manualClock(T0)
    await using telemetry = await TelemetryRepository.open(':memory:', { clock })
    for (let d = 1; d <= 20; d++) await telemetry.record(event({ durationMs: d * 10, exitCode: d % 5 === 0 ? 1 : 0 }))
    await telemetry.record(event({ command: 'tasks.list', operation: 'list', durationMs: 3 }))
    clock.advance(3_600_000)
    await telemetry.record(event({ durationMs: 500, exitCode: 2, errorCode: 'BUSY' }))

    const all = await telemetry.aggregate()
    expect(all.map((a) => [a.command, a.count])).toEqual([
      ['tasks.add', 21],
      ['tasks.list', 1],
    ])
    const add = all[0]!
    expect(add).toMatchObject({ errorCount: 5, windowStart: null, windowEnd: null, maxDurationMs: 500 })
    expect(add.errorRate).toBeCloseTo(5 / 21)
    expect(add.p50DurationMs).toBe(110) // 11th of 21 sorted durations
    expect(add.p95DurationMs).toBe(200) // 20th of 21

    const hourly = await telemetry.aggregate({ window: 'hour', command: 'tasks.add' })
    expect(hourly.map((a) => [a.windowStart, a.count, a.errorCount])).toEqual([
      ['2026-01-05T10:00:00.000Z', 20, 4],
      ['2026-01-05T11:00:00.000Z', 1, 1],
    ])
    expect(hourly[0]).toMatchObject({ windowEnd: '2026-01-05T11:00:00.000Z', p50DurationMs: 100, p95DurationMs: 190, meanDurationMs: 105 })

    const ranged = await telemetry.aggregate({ since: T0 + 3_600_000, until: '2026-01-06T00:00:00.000Z' })
    expect(ranged).toEqual([
      expect.objectContaining({ command: 'tasks.add', count: 1, windowStart: '2026-01-05T11:00:00.000Z', windowEnd: '2026-01-06T00:00:00.000Z' }),
    ])
    await expectCode(telemetry.aggregate({ window: 'minute' as never }), 'VALIDATION')
  })

  it('computes nearest-rank percentiles like a reference implementation (property)', async () => {
    const rank = (sorted: number[], p: number) => sorted[Math.ceil((p / 100) * sorted.length) - 1]!
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 60 }), async (durations) => {
        await using telemetry = await TelemetryRepository.open(':memory:', { clock: manualClock(T0) })
        for (const durationMs of durations) await telemetry.record(event({ durationMs }))
        const [agg] = await telemetry.aggregate({ window: 'day' })
        const sorted = [...durations].sort((a, b) => a - b)
        expect(agg).toMatchObject({
          count: durations.length,
          p50DurationMs: rank(sorted, 50),
          p95DurationMs: rank(sorted, 95),
          maxDurationMs: sorted[sorted.length - 1],
          windowStart: '2026-01-05T00:00:00.000Z',
        })
        expect(agg!.meanDurationMs).toBeCloseTo(durations.reduce((a, b) => a + b, 0) / durations.length)
      }),
      { numRuns: 25 },
    )
  })
})

describe('telemetry retention', () => {
  it('prunes by age and by row count, keeping the newest', async () => {
    const clock = manualClock(T0)
    await using telemetry = await TelemetryRepository.open(':memory:', { clock, retention: { maxAgeMs: 86_400_000, maxRows: 1000 } })
    for (let i = 0; i < 5; i++) await telemetry.record(event({ durationMs: i }))
    clock.advance(2 * 86_400_000)
    for (let i = 0; i < 5; i++) await telemetry.record(event({ durationMs: 100 + i }))
    expect(await telemetry.prune()).toEqual({ deletedByAge: 5, deletedByCount: 0 })
    expect(await telemetry.prune({ maxRows: 2 })).toEqual({ deletedByAge: 0, deletedByCount: 3 })
    expect((await telemetry.recent()).map((e) => e.durationMs)).toEqual([104, 103])
    await expectCode(telemetry.prune({ maxRows: 0 }), 'VALIDATION')
  })

  it('applies retention by itself as events are recorded', async () => {
    const clock = manualClock(T0)
    await using telemetry = await TelemetryRepository.open(':memory:', { clock, retention: { maxRows: 100 } })
    expect(telemetry.retention).toEqual({ maxAgeMs: 90 * 86_400_000, maxRows: 100 })
    for (let i = 0; i < 300; i++) await telemetry.record(event({ durationMs: i }))
    const count = await telemetry.count()
    expect(count).toBeGreaterThanOrEqual(100)
    expect(count).toBeLessThan(300)
    // Ages out on its own too: after 91 days, the first write prunes what is too old.
    clock.advance(91 * 86_400_000)
    for (let i = 0; i < 256; i++) await telemetry.record(event({ durationMs: 1 }))
    expect((await telemetry.recent(1000)).every((e) => Date.parse(e.occurredAt) === clock())).toBe(true)
  })

  it('takes retention from the workspace opt-in', async () => {
    await using ws = await CleoWorkspace.open(tempDir(), { inMemory: true, telemetry: { retention: { maxRows: 5 } } })
    expect(ws.telemetry?.retention.maxRows).toBe(5)
  })
})
