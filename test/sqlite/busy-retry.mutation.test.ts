/**
 * The BUSY retry's schedule (`src/sqlite/busy-retry.ts`, issue 14 item 14): which delays it
 * sleeps between attempts (the exponential backoff from the policy's base, its cap, and the
 * time left before the timeout) and when it gives up. No timing: `sleep` is replaced by a
 * recorder that resolves at once, the clock (`performance.now`) only moves when the test
 * moves it, and the jitter (`Math.random`) is pinned.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { DEFAULT_BUSY_RETRY, retryWhileBusy } from '../../src/sqlite/busy-retry.js'
import type { BusyRetryPolicy } from '../../src/sqlite/busy-retry.js'
import { expectCode } from '../helpers.js'

/** Every delay the retry asked to sleep, in order. */
const slept: number[] = []
/** Called with each delay before the sleep resolves (the test's clock moves here). */
let onSleep: (ms: number) => void = () => {}

vi.mock('node:timers/promises', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:timers/promises')>()
  return {
    ...original,
    setTimeout: async (ms: number) => {
      slept.push(ms)
      onSleep(ms)
    },
  }
})

const CONTEXT = { store: 'tasks', file: '/data/tasks.db' }
const busy = () => Object.assign(new Error('database is locked'), { code: 'ERR_SQLITE_ERROR', errcode: 5 })

let now = 0

beforeEach(() => {
  slept.length = 0
  now = 0
  onSleep = (ms) => {
    now += ms
  }
  vi.spyOn(performance, 'now').mockImplementation(() => now)
})

afterEach(() => {
  vi.restoreAllMocks()
})

/** Runs an attempt that is BUSY `times` times, then returns 'ok'. */
function busyFor(times: number, policy: BusyRetryPolicy): Promise<string> {
  let calls = 0
  return retryWhileBusy(
    () => {
      if (++calls <= times) throw busy()
      return 'ok'
    },
    policy,
    CONTEXT,
  )
}

describe('retryWhileBusy: the backoff schedule', () => {
  it('with the default policy the ceiling doubles from 2 ms (2, 4, 8, 16) and stops at the 25 ms cap', async () => {
    // The jitter at its top: each delay is the ceiling of its attempt.
    vi.spyOn(Math, 'random').mockReturnValue(1)
    expect(DEFAULT_BUSY_RETRY).toEqual({ timeoutMs: 5000, baseDelayMs: 2, maxDelayMs: 25 })
    expect(await busyFor(7, DEFAULT_BUSY_RETRY)).toBe('ok')
    expect(slept).toEqual([2, 4, 8, 16, 25, 25, 25])
  })

  it('the delay is a random share of the ceiling (full jitter)', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.25)
    expect(await busyFor(4, { timeoutMs: 5000, baseDelayMs: 4, maxDelayMs: 20 })).toBe('ok')
    expect(slept).toEqual([1, 2, 4, 5])
  })

  it('never sleeps past the timeout: the last delay is the time left, then BUSY', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(1)
    // 2 + 4 + 8 = 14 ms waited after three attempts; 6 ms are left of 20, less than the next 16.
    const error = await expectCode(busyFor(100, { timeoutMs: 20, baseDelayMs: 2, maxDelayMs: 25 }), 'BUSY')
    expect(slept).toEqual([2, 4, 8, 6])
    expect(error.details).toEqual({ attempts: 5, waitedMs: 20 })
  })

  it('gives up only once the timeout has passed: attempts made before it are retried', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(1)
    // The clock does not move while sleeping; each attempt takes 9 ms.
    onSleep = () => {}
    let calls = 0
    const error = await expectCode(
      retryWhileBusy(
        () => {
          calls++
          now += 9
          throw busy()
        },
        { timeoutMs: 20, baseDelayMs: 1, maxDelayMs: 100 },
        CONTEXT,
      ),
      'BUSY',
    )
    // At 9 and 18 ms the timeout has not passed; at 27 it has.
    expect(calls).toBe(3)
    expect(slept).toEqual([1, 2])
    expect(error.details).toEqual({ attempts: 3, waitedMs: 27 })
    expect(error.message).toBe(
      'BUSY: tasks: the database stayed busy (locked by another connection, or conflicting transactions) for 27 ms (3 attempts; /data/tasks.db)',
    )
  })

  it('rounds the time waited in its message and details', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0)
    onSleep = () => {}
    const error = await expectCode(
      retryWhileBusy(
        () => {
          now += 7.6
          throw busy()
        },
        { timeoutMs: 5, baseDelayMs: 1, maxDelayMs: 1 },
        CONTEXT,
      ),
      'BUSY',
    )
    expect(error.details).toEqual({ attempts: 1, waitedMs: 8 })
    expect(error.message).toContain('for 8 ms (1 attempts;')
  })

  it('does not sleep before a first attempt that succeeds, nor after an error that is not BUSY', async () => {
    expect(await busyFor(0, DEFAULT_BUSY_RETRY)).toBe('ok')
    await expectCode(
      retryWhileBusy(
        () => {
          throw Object.assign(new Error('disk I/O error'), { code: 'ERR_SQLITE_ERROR', errcode: 10 })
        },
        DEFAULT_BUSY_RETRY,
        CONTEXT,
      ),
      'IO',
    )
    expect(slept).toEqual([])
  })
})
