import fc from 'fast-check'
import { z } from 'zod'
import { describe, expect, it } from 'vitest'

import { manualClock, toIso } from '../../src/sqlite/clock.js'
import { CleoStoreError, isCleoStoreError, toCleoStoreError } from '../../src/sqlite/errors.js'
import { uuidv7Generator, uuidv7Time } from '../../src/sqlite/ids.js'
import { fromJson } from '../../src/sqlite/json.js'
import { Mutex } from '../../src/sqlite/mutex.js'
import { validate } from '../../src/sqlite/validate.js'
import { expectCode } from '../helpers.js'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('uuidv7Generator', () => {
  it('yields RFC 9562 v7 ids carrying the clock time, strictly increasing for any clock sequence', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 47 }), { minLength: 1, maxLength: 300 }), (times) => {
        const clock = manualClock(times[0])
        const next = uuidv7Generator(clock)
        let previous = ''
        let maxTime = 0
        for (const t of times) {
          clock.set(t)
          const id = next()
          expect(id).toMatch(UUID_V7)
          expect(id > previous).toBe(true)
          maxTime = Math.max(maxTime, t)
          expect(uuidv7Time(id)).toBeGreaterThanOrEqual(Math.min(t, maxTime))
          previous = id
        }
      }),
    )
  })

  it('stays ordered through thousands of ids in one millisecond', () => {
    const next = uuidv7Generator(() => 1_700_000_000_000)
    const ids = Array.from({ length: 10_000 }, next)
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
  })
})

describe('errors', () => {
  it('keeps code, store, file, details and cause', () => {
    const cause = new Error('inner')
    const error = new CleoStoreError('NOT_FOUND', 'task T9 not found', { store: 'tasks', file: '/x', cause, details: { id: 'T9' } })
    expect(error.message).toBe('NOT_FOUND: task T9 not found')
    expect(error).toMatchObject({ code: 'NOT_FOUND', store: 'tasks', file: '/x', details: { id: 'T9' }, name: 'CleoStoreError' })
    expect(error.cause).toBe(cause)
    expect(isCleoStoreError(error, 'NOT_FOUND')).toBe(true)
    expect(isCleoStoreError(error, 'BUSY')).toBe(false)
    expect(isCleoStoreError(new Error('x'))).toBe(false)
  })

  it('translates node:sqlite and file-system errors once', () => {
    const sqlite = (errcode: number) => Object.assign(new Error('m'), { code: 'ERR_SQLITE_ERROR', errcode })
    expect(toCleoStoreError(sqlite(5)).code).toBe('BUSY')
    expect(toCleoStoreError(sqlite(517)).code).toBe('BUSY') // SQLITE_BUSY_SNAPSHOT
    expect(toCleoStoreError(sqlite(2067)).code).toBe('CONFLICT')
    expect(toCleoStoreError(sqlite(787)).code).toBe('INVARIANT') // foreign key
    expect(toCleoStoreError(sqlite(275)).code).toBe('INVARIANT') // check
    expect(toCleoStoreError(sqlite(13)).code).toBe('STORAGE_FULL')
    expect(toCleoStoreError(sqlite(26)).code).toBe('CORRUPT')
    expect(toCleoStoreError(sqlite(11)).code).toBe('CORRUPT')
    expect(toCleoStoreError(sqlite(8)).code).toBe('READ_ONLY')
    expect(toCleoStoreError(Object.assign(new Error('x'), { code: 'ENOSPC' })).code).toBe('STORAGE_FULL')
    expect(toCleoStoreError(Object.assign(new Error('x'), { code: 'EACCES' })).code).toBe('READ_ONLY')
    expect(toCleoStoreError(new TypeError('bug')).code).toBe('INTERNAL')
    const same = new CleoStoreError('CYCLE', 'x')
    expect(toCleoStoreError(same)).toBe(same)
  })
})

describe('validate', () => {
  const Schema = z.object({ title: z.string().min(1), tags: z.array(z.string()).default([]) })

  it('returns parsed input with defaults', () => {
    expect(validate(Schema, { title: 'a' }, 'op')).toEqual({ title: 'a', tags: [] })
  })

  it('throws VALIDATION naming the field path and quoting the value', async () => {
    const error = await expectCode(() => validate(Schema, { title: 'a', tags: ['ok', 7] }, 'tasks.create'), 'VALIDATION')
    expect(error.details?.['path']).toEqual(['tags', 1])
    expect(error.message).toContain('tags.1')
    expect(error.message).toContain('got 7')
  })

  it('never throws anything but VALIDATION for arbitrary input', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        try {
          validate(Schema, input, 'op')
        } catch (error) {
          expect(isCleoStoreError(error, 'VALIDATION')).toBe(true)
        }
      }),
    )
  })
})

describe('json and clock helpers', () => {
  it('reads JSON columns through a schema and reports CORRUPT otherwise', async () => {
    expect(fromJson('[1,2]', 'labels_json', {}, z.array(z.number()))).toEqual([1, 2])
    await expectCode(() => fromJson('{oops', 'labels_json'), 'CORRUPT')
    await expectCode(() => fromJson('{"a":1}', 'labels_json', {}, z.array(z.number())), 'CORRUPT')
  })

  it('renders epoch ms as ISO-8601 UTC', () => {
    expect(toIso(Date.UTC(2026, 10, 22, 3, 4, 5, 6))).toBe('2026-11-22T03:04:05.006Z')
  })
})

describe('Mutex', () => {
  it('hands the lock over in FIFO order', async () => {
    const mutex = new Mutex()
    const order: number[] = []
    await mutex.acquire()
    const waiters = [1, 2, 3].map((n) => mutex.acquire().then(() => {
      order.push(n)
      mutex.release()
    }))
    expect(mutex.tryAcquire()).toBe(false)
    mutex.release()
    await Promise.all(waiters)
    expect(order).toEqual([1, 2, 3])
    expect(mutex.locked).toBe(false)
  })
})

describe('validate with secrets', () => {
  it('names the field but never quotes the value nor keeps zod’s error as cause', async () => {
    const Schema = z.object({ apiKey: z.string().length(64) })
    const secret = 'sk_live_do-not-print-me'
    const error = await expectCode(() => validate(Schema, { apiKey: secret }, 'agents.verify', {}, { secret: true }), 'VALIDATION')
    expect(error.message).toContain('apiKey')
    expect(error.message).not.toContain(secret)
    expect(error.cause).toBeUndefined()
    expect(JSON.stringify(error.details)).not.toContain(secret)
  })
})
