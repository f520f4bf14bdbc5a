/**
 * A migration that meets a write lock held by another connection (issue 14 item 14,
 * from the mutation run of `src/sqlite/migrate.ts`): it retries until the lock is
 * free, for at least 30 s of its clock, then gives up with `BUSY` (not
 * `MIGRATION_FAILED`), the file as it was.
 *
 * No timing: the migration's backoff sleep is replaced by a hook (which releases the
 * lock, or moves the clock the deadline is measured on), so every retry is an explicit
 * step of the test. The store connection waits for no lock itself (`busyTimeoutMs: 0`).
 */
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { afterEach, describe, expect, it, vi } from 'vitest'

import { rawQuery } from '../../src/sqlite/database.js'
import { migrateToLatest } from '../../src/sqlite/migrate.js'
import { openDatabase } from '../../src/sqlite/open-database.js'
import { expectCode, tempDir } from '../helpers.js'
import { storeV1, storeV2 } from './migration-store.js'

const hooks = vi.hoisted(() => ({ onSleep: null as null | ((ms: number | undefined) => void) }))

vi.mock('node:timers/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:timers/promises')>()
  return {
    ...actual,
    setTimeout: async <T>(ms?: number, value?: T) => {
      if (hooks.onSleep === null) return actual.setTimeout(ms, value)
      hooks.onSleep(ms)
      return value as T
    },
  }
})

afterEach(() => {
  hooks.onSleep = null
  vi.restoreAllMocks()
})

/** A V1 file open without waiting for locks, and a second connection holding its write lock. */
async function lockedAtV1() {
  const file = join(tempDir(), 'data.db')
  const db = await openDatabase(file, { store: storeV1, busyTimeoutMs: 0 })
  const holder = new DatabaseSync(file)
  holder.exec('BEGIN IMMEDIATE')
  return { db, holder }
}

const applied = (db: Awaited<ReturnType<typeof openDatabase>>) =>
  db.all(rawQuery<{ name: string }>('SELECT name FROM kysely_migration ORDER BY name')).map((r) => r.name)

describe('a migration meets a lock held by another connection', () => {
  it('retries once the lock is free and applies', async () => {
    const { db, holder } = await lockedAtV1()
    let sleeps = 0
    hooks.onSleep = () => {
      sleeps++
      if (holder.isTransaction) holder.exec('COMMIT') // the other connection finishes its write
    }
    try {
      expect(await migrateToLatest(db, storeV2, { busyTimeoutMs: 0, backupsKept: 0 })).toEqual(['0002_size'])
      expect(sleeps).toBe(1)
      expect(applied(db)).toEqual(['0001_item', '0002_size'])
    } finally {
      holder.close()
      await db.close()
    }
  })

  it('still locked after 30 s of its clock: BUSY, not MIGRATION_FAILED, nothing applied', async () => {
    for (const options of [{ busyTimeoutMs: 0, backupsKept: 0 }, { backupsKept: 0 }]) {
      const { db, holder } = await lockedAtV1()
      let now = 1_000_000
      vi.spyOn(performance, 'now').mockImplementation(() => now)
      let sleeps = 0
      hooks.onSleep = () => {
        sleeps++
        now += 10_000
      }
      try {
        await expectCode(migrateToLatest(db, storeV2, options), 'BUSY')
        // attempts at 0 s, 10 s, 20 s and 30 s of its clock: three sleeps between them
        expect(sleeps).toBe(3)
        holder.exec('ROLLBACK')
        expect(applied(db)).toEqual(['0001_item'])
      } finally {
        vi.restoreAllMocks()
        hooks.onSleep = null
        holder.close()
        await db.close()
      }
    }
  })

  it('waits longer than 30 s when the store’s busy timeout is longer', async () => {
    const { db, holder } = await lockedAtV1()
    let now = 1_000_000
    vi.spyOn(performance, 'now').mockImplementation(() => now)
    let sleeps = 0
    hooks.onSleep = () => {
      sleeps++
      now += 10_000
    }
    try {
      // busyTimeoutMs only sets the deadline here: the connection itself was opened with 0
      await expectCode(migrateToLatest(db, storeV2, { busyTimeoutMs: 45_000, backupsKept: 0 }), 'BUSY')
      expect(sleeps).toBe(5) // 0, 10, 20, 30, 40 s < 45 s
    } finally {
      holder.close()
      await db.close()
    }
  })

  it('backs off exponentially between attempts: 5 ms doubled each time, at most 200 ms (full jitter: the top when random is 1)', async () => {
    const { db, holder } = await lockedAtV1()
    let now = 1_000_000
    vi.spyOn(performance, 'now').mockImplementation(() => now)
    vi.spyOn(Math, 'random').mockReturnValue(1)
    const delays: (number | undefined)[] = []
    hooks.onSleep = (ms) => {
      delays.push(ms)
      now += 3_000
    }
    try {
      await expectCode(migrateToLatest(db, storeV2, { busyTimeoutMs: 0, backupsKept: 0 }), 'BUSY')
      // attempts at 0, 3, …, 30 s of its clock: ten sleeps between them
      expect(delays).toEqual([5, 10, 20, 40, 80, 160, 200, 200, 200, 200])
    } finally {
      holder.close()
      await db.close()
    }
  })
})
