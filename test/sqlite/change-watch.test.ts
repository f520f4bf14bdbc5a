/**
 * The engine's change watch (issue 20): one per open database, started by the first
 * listener and stopped by the last, woken by this process's commits directly, by other
 * connections' commits through `PRAGMA data_version` (a second connection on the same
 * file is invisible to the announcements, like another process), and by the `-wal`
 * file hint; closing the database tells every listener. Nothing here depends on time:
 * each test waits for an event, never for a delay.
 */
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { afterEach, describe, expect, it } from 'vitest'

import { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import type { ChangeListener, ChangeWatch } from '../../src/sqlite/change-watch.js'
import { CHANGE_WATCH_POLICY, waitForChange } from '../../src/sqlite/change-watch.js'
import type { SqliteDatabase } from '../../src/sqlite/database.js'
import { CleoStoreError } from '../../src/sqlite/errors.js'
import { tempDir } from '../helpers.js'

const saved = { ...CHANGE_WATCH_POLICY }
const opened: Array<{ close(): void | Promise<void> }> = []
afterEach(async () => {
  Object.assign(CHANGE_WATCH_POLICY, saved)
  for (const handle of opened.splice(0).reverse()) await handle.close()
})

async function openConduit(file = join(tempDir('change-watch-'), 'conduit.db')): Promise<{ repo: ConduitRepository; watch: ChangeWatch; file: string }> {
  const repo = await ConduitRepository.open(file)
  opened.push(repo)
  return { repo, watch: (repo as unknown as { db: SqliteDatabase<unknown> }).db.changes, file }
}

/** A second connection on the file: its commits are not announced, only `data_version` shows them. */
function otherConnection(file: string): DatabaseSync {
  const connection = new DatabaseSync(file)
  connection.exec('PRAGMA busy_timeout = 5000')
  opened.push(connection)
  return connection
}

function insertSetting(connection: DatabaseSync, key: string): void {
  connection.prepare('INSERT INTO daemon_settings (key, value, created_at, updated_at) VALUES (?, ?, ?, ?)').run(key, '1', Date.now(), Date.now())
}

/** A listener whose `changed` and `closed` calls can be awaited. */
function listener(): ChangeListener & { nextChange(): Promise<void>; closedWith: Promise<Error>; changes: number } {
  let onChange: (() => void) | undefined
  let onClose!: (error: Error) => void
  const closedWith = new Promise<Error>((resolve) => (onClose = resolve))
  const self = {
    changes: 0,
    closedWith,
    changed() {
      self.changes++
      onChange?.()
    },
    closed(error: Error) {
      onClose(error)
    },
    nextChange() {
      return new Promise<void>((resolve) => (onChange = resolve))
    },
  }
  return self
}

describe('the change watch of an open database', () => {
  it('polls only while someone listens: one poll timer however many listeners, none once the last leaves', async () => {
    const { watch } = await openConduit()
    expect(watch.state).toMatchObject({ listeners: 0, pollTimers: 0, walHint: false })
    const stops = Array.from({ length: 20 }, () => watch.subscribe(listener()))
    expect(watch.state).toMatchObject({ listeners: 20, pollTimers: 1 })
    for (const stop of stops.slice(1)) stop()
    expect(watch.state).toMatchObject({ listeners: 1, pollTimers: 1 })
    stops[0]!()
    stops[0]!() // idempotent
    expect(watch.state).toMatchObject({ listeners: 0, pollTimers: 0, walHint: false })
  })

  it('sees a commit of another connection through PRAGMA data_version (file hint off)', async () => {
    Object.assign(CHANGE_WATCH_POLICY, { minPollMs: 1, maxPollMs: 4, watchWal: false })
    const { watch, file } = await openConduit()
    const l = listener()
    const stop = watch.subscribe(l)
    expect(watch.state.walHint).toBe(false)
    const changed = l.nextChange()
    insertSetting(otherConnection(file), 'k1')
    await changed
    stop()
  })

  it.runIf(process.platform === 'linux')('with the -wal file hint, sees another connection’s commit although the next poll is days away', async () => {
    const { watch, file } = await openConduit()
    const other = otherConnection(file)
    Object.assign(CHANGE_WATCH_POLICY, { minPollMs: 2 ** 30, maxPollMs: 2 ** 30, maxPollMsWithHint: 2 ** 30, watchWal: true })
    const l = listener()
    const stop = watch.subscribe(l)
    expect(watch.state.walHint).toBe(true)
    const changed = l.nextChange()
    insertSetting(other, 'k2')
    await changed
    stop()
    expect(watch.state.walHint).toBe(false)
  })

  it('this process’s commits are announced to its listeners with no poll at all', async () => {
    Object.assign(CHANGE_WATCH_POLICY, { minPollMs: 2 ** 30, maxPollMs: 2 ** 30, maxPollMsWithHint: 2 ** 30, watchWal: false })
    const { repo, watch } = await openConduit()
    const l = listener()
    watch.subscribe(l)
    const polls = watch.state.polls
    let changed = l.nextChange()
    await repo.settings.set('a', 1)
    await changed
    changed = l.nextChange()
    await repo.transaction(async (tx) => {
      await tx.settings.set('b', 1)
      await tx.settings.set('c', 1)
    })
    await changed
    changed = l.nextChange()
    await repo.kysely.transaction().execute((trx) => trx.deleteFrom('daemon_settings').where('key', '=', 'a').execute())
    await changed
    expect(watch.state.polls).toBe(polls)
  })

  it('a :memory: database has no poller; its own commits still wake its listeners', async () => {
    const repo = await ConduitRepository.open(':memory:')
    opened.push(repo)
    const watch = (repo as unknown as { db: SqliteDatabase<unknown> }).db.changes
    const l = listener()
    watch.subscribe(l)
    expect(watch.state).toMatchObject({ listeners: 1, pollTimers: 0, walHint: false })
    const changed = l.nextChange()
    await repo.settings.set('a', 1)
    await changed
  })

  it('closing the database tells every listener CLOSED and stops; a later subscriber is told at once', async () => {
    const { repo, watch } = await openConduit()
    const a = listener()
    const b = listener()
    watch.subscribe(a)
    watch.subscribe(b)
    await repo.close()
    for (const l of [a, b]) {
      const error = await l.closedWith
      expect(error).toBeInstanceOf(CleoStoreError)
      expect((error as CleoStoreError).code).toBe('CLOSED')
    }
    expect(watch.state).toMatchObject({ listeners: 0, pollTimers: 0, walHint: false })
    const late = listener()
    watch.subscribe(late)
    expect(((await late.closedWith) as CleoStoreError).code).toBe('CLOSED')
    expect(watch.state.listeners).toBe(0)
  })

  it('no lost wake-up: a change landing while a waiter checks (after its check read, before it waits) wakes it', async () => {
    // Another connection commits from inside the first check, after the check has read:
    // only a watch armed (and data_version read) before the check can see that commit.
    Object.assign(CHANGE_WATCH_POLICY, { minPollMs: 1, maxPollMs: 4, watchWal: false })
    const { watch, file } = await openConduit()
    const other = otherConnection(file)
    let checks = 0
    const result = await waitForChange(
      watch,
      async () => {
        checks++
        if (checks === 1) {
          insertSetting(other, 'during-check') // the check saw nothing; this commit comes right after
          return { ready: false }
        }
        return { ready: true }
      },
      {},
      Date.now,
    )
    expect(result).toEqual({ ready: true })
    expect(checks).toBe(2)
  })

  it('no lost wake-up, same process: a commit announced while the check is in flight makes the waiter check again', async () => {
    Object.assign(CHANGE_WATCH_POLICY, { minPollMs: 2 ** 30, maxPollMs: 2 ** 30, maxPollMsWithHint: 2 ** 30, watchWal: false })
    const { repo, watch } = await openConduit()
    let checks = 0
    const result = await waitForChange(
      watch,
      async () => {
        checks++
        if (checks === 1) {
          await repo.settings.set('during-check', 1)
          return { ready: false }
        }
        return { ready: true }
      },
      {},
      Date.now,
    )
    expect(result).toEqual({ ready: true })
    expect(checks).toBe(2)
  })
})
