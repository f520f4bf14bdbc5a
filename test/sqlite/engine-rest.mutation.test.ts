/**
 * Issue 14 item 14: the engine's small helpers (the `engine-rest` part of
 * stryker.config.mjs) to the detail a mutation run checks — paging and keyset cursors,
 * the reference guard, JSON columns, time inputs, option checks, the store engine's
 * step runners and the repository base.
 */
import { describe, expect, it } from 'vitest'
import { z } from 'zod'

import { fromJson, fromJsonOrNull, toJson } from '../../src/sqlite/json.js'
import { checkOptions, RepositoryOptionsSchema } from '../../src/sqlite/options.js'
import type { Page } from '../../src/sqlite/paging.js'
import { decodeKeysetCursor, encodeKeysetCursor, iteratePages } from '../../src/sqlite/paging.js'
import { guardReferences } from '../../src/sqlite/reference-guard.js'
import type { PendingStatement, Step } from '../../src/sqlite/store-engine.js'
import { completeAsync, completeNow } from '../../src/sqlite/store-engine.js'
import { timeInput, toEpochMs } from '../../src/sqlite/time-input.js'
import { expectCode } from '../helpers.js'

const CONTEXT = { store: 'tasks', file: '/data/tasks.db' }

describe('paging', () => {
  it('iteratePages follows the cursors, passing undefined first, and stops at a null cursor', async () => {
    const pages: Record<string, Page<number>> = {
      start: { items: [1, 2], nextCursor: 'b' },
      b: { items: [3], nextCursor: 'c' },
      c: { items: [4], nextCursor: null },
    }
    const asked: Array<string | undefined> = []
    const seen: number[] = []
    for await (const item of iteratePages(async (cursor) => (asked.push(cursor), pages[cursor ?? 'start']!))) seen.push(item)
    expect(seen).toEqual([1, 2, 3, 4])
    expect(asked).toEqual([undefined, 'b', 'c'])
  })

  it('iteratePages stops at an empty page even when it carries a cursor', async () => {
    let calls = 0
    const seen: number[] = []
    for await (const item of iteratePages<number>(async () => (calls++, { items: [], nextCursor: 'again' }))) seen.push(item)
    expect(seen).toEqual([])
    expect(calls).toBe(1)
  })

  it('keyset cursors: prefixed base64url JSON, decoded only with the right shape', () => {
    const cursor = encodeKeysetCursor([42, 'T7'])
    expect(cursor).toBe(`k1.${Buffer.from('[42,"T7"]', 'utf8').toString('base64url')}`)
    expect(decodeKeysetCursor(cursor, 'ns')).toEqual([42, 'T7'])
    expect(decodeKeysetCursor(cursor, 'sn')).toBeNull()
    expect(decodeKeysetCursor(cursor, 'nn')).toBeNull()
    expect(decodeKeysetCursor(cursor, 'n')).toBeNull()
    expect(decodeKeysetCursor(cursor, 'nss')).toBeNull()
    expect(decodeKeysetCursor(cursor.slice(3), 'ns')).toBeNull() // no prefix
    expect(decodeKeysetCursor(`k2.${cursor.slice(3)}`, 'ns')).toBeNull()
    expect(decodeKeysetCursor('k1.not json', 'ns')).toBeNull()
    const object = `k1.${Buffer.from('{"0":1,"length":1}').toString('base64url')}`
    expect(decodeKeysetCursor(object, 'n')).toBeNull()
    expect(decodeKeysetCursor(encodeKeysetCursor(['x']), 's')).toEqual(['x'])
    expect(decodeKeysetCursor(encodeKeysetCursor([]), '')).toEqual([])
  })
})

describe('guardReferences', () => {
  it('calls the guard with the operation and the references, and awaits it', async () => {
    const calls: unknown[] = []
    const refs = [{ kind: 'task' as const, id: 'T1', path: ['parent'] }]
    await guardReferences(
      async (operation, given) => {
        await Promise.resolve()
        calls.push([operation, given])
      },
      'tasks.create',
      refs,
    )
    expect(calls).toEqual([['tasks.create', refs]])
    await expect(
      guardReferences(
        async () => {
          throw new Error('refused')
        },
        'op',
        refs,
      ),
    ).rejects.toThrow('refused')
  })

  it('does not call the guard without references, and needs none', async () => {
    let called = false
    await guardReferences(() => void (called = true), 'op', [])
    expect(called).toBe(false)
    await guardReferences(undefined, 'op', [{ kind: 'agent', id: 'a', path: [] }])
  })
})

describe('JSON columns', () => {
  it('an empty list without a schema is [], a fresh array each time; with a schema it is parsed', () => {
    const a = fromJson<unknown[]>('[]', 'c')
    expect(a).toEqual([])
    a.push(1)
    expect(fromJson('[]', 'c')).toEqual([])
    expect(() => fromJson('[]', 'c', CONTEXT, z.array(z.string()).min(1))).toThrow(/wrong shape/)
  })

  it('invalid JSON and the wrong shape: CORRUPT naming the column, with the context and the cause', async () => {
    const invalid = await expectCode(() => fromJson('{', 'labels', CONTEXT), 'CORRUPT')
    expect(invalid.message).toBe('CORRUPT: column labels holds invalid JSON')
    expect(invalid.cause).toBeInstanceOf(SyntaxError)
    expect(invalid.file).toBe(CONTEXT.file)
    const shape = await expectCode(() => fromJson('{"a":1}', 'labels', CONTEXT, z.array(z.string())), 'CORRUPT')
    expect(shape.message).toBe('CORRUPT: column labels holds JSON of the wrong shape')
    expect(shape.cause).toBeInstanceOf(z.ZodError)
    expect(shape.store).toBe('tasks')
    expect(fromJson('{"a":1}', 'c')).toEqual({ a: 1 })
    expect(fromJson('["x"]', 'c', {}, z.array(z.string()).transform((v) => v.length))).toBe(1)
    expect(() => fromJson('{', 'c')).toThrow(/invalid JSON/)
  })

  it('fromJsonOrNull passes null through and reads the rest; toJson is JSON.stringify', () => {
    expect(fromJsonOrNull(null, 'c')).toBeNull()
    expect(fromJsonOrNull('[1]', 'c', CONTEXT, z.array(z.number()))).toEqual([1])
    expect(() => fromJsonOrNull('[1]', 'c', CONTEXT, z.array(z.string()))).toThrow(/wrong shape/)
    expect(toJson({ a: [1, 'x'] })).toBe('{"a":[1,"x"]}')
  })
})

describe('time inputs', () => {
  it('epoch ms, ISO with an offset and Date are the same instant; the bounds of a Date', () => {
    expect(toEpochMs(0)).toBe(0)
    expect(toEpochMs('2026-01-01T00:00:00.000Z')).toBe(Date.UTC(2026, 0, 1))
    expect(toEpochMs('2026-01-01T02:00:00+02:00')).toBe(Date.UTC(2026, 0, 1))
    expect(toEpochMs(new Date(Date.UTC(2026, 0, 1)))).toBe(Date.UTC(2026, 0, 1))
    expect(toEpochMs(8.64e15)).toBe(8.64e15)
    expect(timeInput.safeParse(8.64e15 + 1).success).toBe(false)
    expect(timeInput.safeParse(-1).success).toBe(false)
    expect(timeInput.safeParse(1.5).success).toBe(false)
  })

  it('an invalid Date and a time before 1970 are refused with the message', () => {
    expect(timeInput.safeParse(new Date(Number.NaN)).success).toBe(false)
    for (const bad of [new Date(-1), '1969-12-31T23:59:59.999Z']) {
      const result = timeInput.safeParse(bad)
      expect(result.success).toBe(false)
      expect(result.error!.issues[0]!.message).toBe('must be a valid time at or after 1970')
    }
    expect(timeInput.safeParse(new Date(0)).success).toBe(true)
    expect(timeInput.safeParse('1970-01-01T00:00:00.000Z').data).toBe(0)
  })
})

describe('option checks', () => {
  it('undefined options are an empty object; unknown keys and bad values are VALIDATION naming the operation', async () => {
    checkOptions(RepositoryOptionsSchema, undefined, 'open')
    checkOptions(RepositoryOptionsSchema, { busyTimeoutMs: 0, clock: () => 1, busyRetry: { maxDelayMs: 0 } }, 'open')
    const unknown = await expectCode(() => checkOptions(RepositoryOptionsSchema, { nope: 1 }, 'tasks.open', CONTEXT), 'VALIDATION')
    expect(unknown.details?.['operation']).toBe('tasks.open')
    expect(unknown.file).toBe(CONTEXT.file)
    const clock = await expectCode(() => checkOptions(RepositoryOptionsSchema, { clock: 5 }, 'open'), 'VALIDATION')
    expect(clock.message).toContain('must be a function')
    await expectCode(() => checkOptions(RepositoryOptionsSchema, { statementCacheSize: 0 }, 'open'), 'VALIDATION')
    await expectCode(() => checkOptions(RepositoryOptionsSchema, { busyRetry: { baseDelayMs: -1 } }, 'open'), 'VALIDATION')
    await expectCode(() => checkOptions(RepositoryOptionsSchema, { busyRetry: { other: 1 } }, 'open'), 'VALIDATION')
    await expectCode(() => checkOptions(RepositoryOptionsSchema, { synchronous: 'OFF' }, 'open'), 'VALIDATION')
    await expectCode(() => checkOptions(RepositoryOptionsSchema, null, 'open'), 'VALIDATION')
  })
})

describe('running transaction bodies', () => {
  const statement = (n: number): PendingStatement => ({ method: 'run', query: { sql: `S${n}`, parameters: [] } as never, args: n })

  it('completeNow returns what a body that yields nothing returns', () => {
    // eslint-disable-next-line require-yield
    function* body(): Step<string> {
      return 'done'
    }
    expect(completeNow(body(), CONTEXT)).toBe('done')
  })

  it('completeNow refuses a body that yields a statement, and ends it (its finally runs)', async () => {
    let finished = false
    function* body(): Step<string> {
      try {
        yield statement(1)
        return 'unreachable'
      } finally {
        finished = true
      }
    }
    const error = await expectCode(() => completeNow(body(), CONTEXT), 'INTERNAL')
    expect(error.message).toBe('INTERNAL: a transaction body yielded a statement to a synchronous engine')
    expect(error.file).toBe(CONTEXT.file)
    expect(finished).toBe(true)
  })

  it('completeAsync sends each statement to execute and the results back; a failure is thrown into the body', async () => {
    const executed: unknown[] = []
    function* body(): Step<unknown[]> {
      const first = yield statement(1)
      let second: unknown
      try {
        second = yield statement(2)
      } catch (error) {
        second = `caught ${(error as Error).message}`
      }
      const third = yield statement(3)
      return [first, second, third]
    }
    const result = await completeAsync(body(), async (s) => {
      executed.push(s.args)
      if (s.args === 2) throw new Error('unique')
      return `r${String(s.args)}`
    })
    expect(result).toEqual(['r1', 'caught unique', 'r3'])
    expect(executed).toEqual([1, 2, 3])
  })

  it('completeAsync rejects with a failure the body does not catch', async () => {
    function* body(): Step<unknown> {
      yield statement(1)
      return 'unreachable'
    }
    await expect(
      completeAsync(body(), async () => {
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
  })
})
