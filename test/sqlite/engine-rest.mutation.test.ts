/**
 * Issue 14 item 14: the engine's small helpers (the `engine-rest` part of
 * stryker.config.mjs) to the detail a mutation run checks — paging and keyset cursors,
 * the reference guard, JSON columns, time inputs, option checks, the store engine's
 * step runners and the repository base.
 */
import { readFileSync } from 'node:fs'

import { describe, expect, it, vi } from 'vitest'
import { z } from 'zod'

import { recognizeCleoStore } from '../../src/sqlite/cleo-legacy.js'
import { manualClock, systemClock } from '../../src/sqlite/clock.js'
import { rawQuery } from '../../src/sqlite/database.js'
import { ftsTerms, toFtsQuery, toTsQuery } from '../../src/sqlite/fts-query.js'
import { uuidv7Generator, uuidv7Time } from '../../src/sqlite/ids.js'
import { fromJson, fromJsonOrNull, toJson } from '../../src/sqlite/json.js'
import { loadNodeSqlite, textNulSafe, versionAtLeast } from '../../src/sqlite/node-sqlite.js'
import { openDatabase } from '../../src/sqlite/open-database.js'
import { checkOptions, repositoryOptionsSchema, RepositoryOptionsSchema } from '../../src/sqlite/options.js'
import type { Page } from '../../src/sqlite/paging.js'
import { decodeKeysetCursor, encodeKeysetCursor, iteratePages } from '../../src/sqlite/paging.js'
import { guardReferences } from '../../src/sqlite/reference-guard.js'
import type { PendingStatement, Step } from '../../src/sqlite/store-engine.js'
import { completeAsync, completeNow, SqliteStoreEngine } from '../../src/sqlite/store-engine.js'
import type { ServerDatabase } from '../../src/sqlite/store-repository.js'
import { openStoreDatabase, StoreRepository } from '../../src/sqlite/store-repository.js'
import { loadSqliteVec, markSqliteVecUnavailable, sqliteVecStatus, sqliteVecUnavailableReason } from '../../src/sqlite/sqlite-vec.js'
import { timeInput, toEpochMs } from '../../src/sqlite/time-input.js'
import { WaitOptionsSchema } from '../../src/sqlite/wait-options.schemas.js'
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
    // An empty column is not JSON (only the text `[]` is read as an empty list without the parser).
    await expectCode(() => fromJson('', 'labels', CONTEXT), 'CORRUPT')
  })

  it('fromJsonOrNull passes null through and reads the rest; toJson is JSON.stringify', () => {
    expect(fromJsonOrNull(null, 'c')).toBeNull()
    // null is passed through, not read as the JSON `null` and checked against the schema.
    expect(fromJsonOrNull(null, 'c', CONTEXT, z.array(z.string()))).toBeNull()
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
    expect(toEpochMs(new Date(1234))).toBe(1234) // milliseconds kept: a Date is not parsed as text
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

describe('the rest of the helpers the engine-rest run left', () => {
  it('versionAtLeast compares major, minor and patch as numbers, with or without a v', () => {
    expect(versionAtLeast('v22.16.0', '22.16.0')).toBe(true)
    expect(versionAtLeast('22.16.1', '22.16.0')).toBe(true)
    expect(versionAtLeast('22.15.9', '22.16.0')).toBe(false)
    expect(versionAtLeast('v22.9.0', '22.16.0')).toBe(false) // 9 < 16 as numbers
    expect(versionAtLeast('v23.0.0', '22.16.0')).toBe(true)
    expect(versionAtLeast('v21.99.99', '22.16.0')).toBe(false)
    expect(versionAtLeast('v22.16', '22.16.0')).toBe(true) // a missing part is 0
    expect(versionAtLeast('v22.16.0', '22.16')).toBe(true)
    expect(versionAtLeast('v22.16.0', '22.16.1')).toBe(false)
    expect(versionAtLeast('22.16.0.5', '22.16.0.9')).toBe(true) // only three parts count
    expect(versionAtLeast('22.v16.0', '22.16.0')).toBe(false) // a v is allowed as the prefix only
  })

  it('says whether this Node keeps text with NUL characters whole, and keeps it where it does', async () => {
    expect(loadNodeSqlite()).toBe(loadNodeSqlite())
    // Node 24 reads NUL text back whole; the Node 22 floor cuts it at the NUL (the probe of node-sqlite.ts).
    expect(textNulSafe()).toBe(Number(process.versions.node.split('.')[0]) >= 24)
    const db = await openDatabase(':memory:', { store: { name: 'tasks', migrations: { '0001': { async up() {} } } } })
    if (textNulSafe()) expect(db.get(rawQuery<{ x: string }>('SELECT ? AS x', ['a\u0000b']))).toEqual({ x: 'a\u0000b' })
    await db.close()
  })

  it('sqlite-vec unavailability is recorded per owner; none recorded is null', () => {
    const owner = {}
    expect(sqliteVecUnavailableReason(owner)).toBeNull()
    markSqliteVecUnavailable(owner, 'not installed')
    expect(sqliteVecUnavailableReason(owner)).toBe('not installed')
    expect(sqliteVecUnavailableReason({})).toBeNull()
  })

  it('manualClock: advance and set', () => {
    const clock = manualClock(100)
    clock.advance(5)
    expect(clock()).toBe(105)
    clock.set(7)
    clock.advance(3)
    expect(clock()).toBe(10)
  })

  it('recognizeCleoStore needs every marker of a store', () => {
    expect(recognizeCleoStore(['project_registry'])).toBeNull()
    expect(recognizeCleoStore(['__drizzle_migrations', 'project_registry', 'nexus_schema_meta'])).toBe('nexus')
    expect(recognizeCleoStore(['__drizzle_migrations', 'project_registry'])).toBeNull()
  })

  it('ftsTerms: lower case, deduplicated, cut at 64 characters, at most maxTerms (32 by default)', () => {
    expect(ftsTerms('Deploy deploy DEPLOY now')).toEqual(['deploy', 'now'])
    expect(ftsTerms('x'.repeat(70))).toEqual(['x'.repeat(64)])
    expect(ftsTerms('a b c d', 2)).toEqual(['a', 'b'])
    expect(ftsTerms('a a b', 2)).toEqual(['a', 'b'])
    const many = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ')
    expect(ftsTerms(many)).toHaveLength(32)
    expect(toFtsQuery(many)!.split(' ')).toHaveLength(32)
    expect(toTsQuery(many)!.split(' & ')).toHaveLength(32)
    expect(toTsQuery('a_b')).toBe("'a b'")
    expect(toTsQuery('_x_')).toBe("'x'")
  })

  it('uuidv7: the time of a clock at 0 is 0; ids of one millisecond share it until the counter runs out', () => {
    const zero = uuidv7Generator(() => 0)
    expect(uuidv7Time(zero())).toBe(0)
    expect(uuidv7Time(zero())).toBe(0)
    const fixed = uuidv7Generator(() => 5000)
    const times = Array.from({ length: 4200 }, () => uuidv7Time(fixed()))
    expect(times[0]).toBe(5000)
    expect(times[1]).toBe(5000)
    // The 12-bit counter starts below 64: at least 4032 ids fit in the millisecond, then the next one is borrowed.
    expect(times.slice(0, 4032).every((t) => t === 5000)).toBe(true)
    expect(times.at(-1)).toBe(5001)
    expect(uuidv7Time('01890a5d-ac96-774b-bcce-b302099a8057')).toBe(0x01890a5dac96)
  })

  it('repositoryOptionsSchema keeps the engine options and adds the store\'s own', () => {
    const schema = repositoryOptionsSchema({ extra: z.string().optional() })
    expect(schema.safeParse({ busyTimeoutMs: 1, extra: 'a' }).success).toBe(true)
    expect(schema.safeParse({ extra: 1 }).success).toBe(false)
    expect(schema.safeParse({ other: 1 }).success).toBe(false)
  })
})

describe('the SQLite store engine and the repository base', () => {
  const migrations = { '0001_t': { up: async () => {} } }

  it('the engine exposes its database: dialect, context, kysely, changes; snapshot and joinsBatch', async () => {
    const db = await openDatabase<any>(':memory:', { store: { name: 'tasks', migrations } })
    const engine = new SqliteStoreEngine(db)
    expect(engine.dialect).toBe('sqlite')
    expect(engine.context).toBe(db.context)
    expect(engine.kysely).toBe(db.kysely)
    expect(engine.changes).toBe(db.changes)
    expect(await engine.snapshot(function* (x) {
      return (yield* x.get(rawQuery<{ n: number }>('SELECT 7 AS n')))!.n
    })).toBe(7)
    expect(engine.joinsBatch()).toBe(false)
    expect(await engine.batch(async () => engine.joinsBatch())).toBe(true)
    await db.close()
  })

  class Local extends StoreRepository<'tasks'> {
    // The base's constructor is protected; any local database or server handle will do here.
    constructor(db: any) {
      super(db)
    }
    get database() {
      return this.db
    }
    get server() {
      return this.onServer
    }
    get ctx() {
      return this.context
    }
  }

  it('a repository on a server delegates to it; the local database is UNSUPPORTED', async () => {
    const calls: string[] = []
    const server = {
      path: 'postgres://db/cleo',
      closed: false,
      context: { store: 'tasks', file: 'postgres://db/cleo' },
      schemaVersion: '0009_x',
      kysely: {} as never,
      integrityCheck: async (options?: { quick?: boolean }) => (calls.push(`check ${String(options?.quick)}`), { ok: true, problems: [], foreignKeyViolations: [] }),
      close: async () => void calls.push('close'),
    } satisfies ServerDatabase<any>
    const repo = new Local({ server })
    expect(repo.path).toBe('postgres://db/cleo')
    expect(repo.closed).toBe(false)
    expect(repo.ctx).toBe(server.context)
    expect(repo.schemaVersion).toBe('0009_x')
    expect(repo.kysely).toBe(server.kysely)
    expect(repo.server).toBe(true)
    expect(await repo.integrityCheck({ quick: true })).toMatchObject({ ok: true })
    const error = await expectCode(() => repo.database, 'UNSUPPORTED')
    expect(error.message).toBe('UNSUPPORTED: this operation needs the local SQLite store; tasks is on a server (postgres://db/cleo)')
    await repo[Symbol.asyncDispose]()
    expect(calls).toEqual(['check true', 'close'])
  })

  it('a local repository: its database, not on a server; a store without an applied migration has no schema version', async () => {
    const db = await openDatabase<any>(':memory:', { store: { name: 'tasks', migrations } })
    const repo = new Local(db)
    expect(repo.database).toBe(db)
    expect(repo.server).toBe(false)
    expect(repo.schemaVersion).toBe('0001_t')
    expect(repo.path).toBe(':memory:')
    expect((await repo.integrityCheck()).ok).toBe(true)
    await repo.close()
    expect(repo.closed).toBe(true)
    const empty = await openDatabase<any>(':memory:', { store: { name: 'tasks', migrations: {} } })
    const none = await expectCode(() => new Local(empty).schemaVersion, 'INTERNAL')
    expect(none.message).toBe('INTERNAL: store has no applied migration')
    expect(none.store).toBe('tasks')
    await empty.close()
  })
})

/** Imports a fresh instance of a module (its module-level state unset), after `prepare` (mocks) ran. */
async function fresh<M>(load: () => Promise<M>): Promise<M> {
  vi.resetModules()
  return load()
}

/** The error `action` throws (any error class: a fresh module instance has its own CleoStoreError). */
function thrown(action: () => unknown): Error & { code?: string } {
  try {
    action()
  } catch (error) {
    return error as Error & { code?: string }
  }
  throw new Error('expected an error, but nothing was thrown')
}

describe('loading node:sqlite', () => {
  it('loads the builtin once per process: a later call neither asks for it nor probes again', () => {
    const mod = loadNodeSqlite()
    const ask = vi.spyOn(process, 'getBuiltinModule')
    try {
      expect(loadNodeSqlite()).toBe(mod)
      expect(ask).not.toHaveBeenCalled()
    } finally {
      ask.mockRestore()
    }
  })

  it('a Node older than the minimum is UNSUPPORTED naming both versions, without asking for the builtin', async () => {
    const { loadNodeSqlite: load, MIN_NODE_VERSION } = await fresh(() => import('../../src/sqlite/node-sqlite.js'))
    const real = Object.getOwnPropertyDescriptor(process.versions, 'node')!
    const ask = vi.spyOn(process, 'getBuiltinModule')
    Object.defineProperty(process.versions, 'node', { ...real, value: '22.15.9' })
    try {
      const error = thrown(load)
      expect(error.code).toBe('UNSUPPORTED')
      expect(error.message).toBe(
        `UNSUPPORTED: cleo-store needs Node >= ${MIN_NODE_VERSION} (node:sqlite with StatementSync.columns()); this is Node 22.15.9`,
      )
      expect(ask).not.toHaveBeenCalled()
    } finally {
      Object.defineProperty(process.versions, 'node', real)
      ask.mockRestore()
    }
  })

  it('a runtime without the builtin is UNSUPPORTED', async () => {
    const { loadNodeSqlite: load } = await fresh(() => import('../../src/sqlite/node-sqlite.js'))
    const ask = vi.spyOn(process, 'getBuiltinModule').mockReturnValue(undefined)
    try {
      expect(thrown(load).code).toBe('UNSUPPORTED')
      expect(ask).toHaveBeenCalledWith('node:sqlite')
    } finally {
      ask.mockRestore()
    }
  })

  it('a node:sqlite that cuts text at a NUL (the Node 22 floor) makes textNulSafe false; the probe is closed', async () => {
    const fake = fakeSqlite('a')
    const { loadNodeSqlite: load, textNulSafe: nulSafe } = await fresh(() => import('../../src/sqlite/node-sqlite.js'))
    const ask = vi.spyOn(process, 'getBuiltinModule').mockReturnValue(fake.module)
    try {
      expect(load()).toBe(fake.module)
      expect(nulSafe()).toBe(false)
      expect(fake.opened).toBe(1)
      expect(fake.closed).toBe(1)
    } finally {
      ask.mockRestore()
    }
  })

  it('one that keeps it whole makes textNulSafe true', async () => {
    const fake = fakeSqlite('a\u0000b')
    const { loadNodeSqlite: load, textNulSafe: nulSafe } = await fresh(() => import('../../src/sqlite/node-sqlite.js'))
    const ask = vi.spyOn(process, 'getBuiltinModule').mockReturnValue(fake.module)
    try {
      load()
      expect(nulSafe()).toBe(true)
      expect(fake.closed).toBe(1)
    } finally {
      ask.mockRestore()
    }
  })
})

/** A stand-in node:sqlite whose probe reads `'a\0b'` back as `readBack`. */
function fakeSqlite(readBack: string) {
  const state = { opened: 0, closed: 0, module: {} as object }
  state.module = {
    DatabaseSync: class {
      constructor() {
        state.opened++
      }
      prepare() {
        return { get: () => ({ x: readBack }) }
      }
      close() {
        state.closed++
      }
    },
  }
  return state
}

describe('sqlite-vec', () => {
  /** The loadable path when this install has sqlite-vec for this platform, else null (a probe, not an assumption). */
  const installed = async (): Promise<string | null> => {
    try {
      return (await import('sqlite-vec')).getLoadablePath()
    } catch {
      return null
    }
  }

  it('the status is resolved once per process and says where the extension is, or why it is missing', async () => {
    const first = sqliteVecStatus()
    expect(sqliteVecStatus()).toBe(first)
    const path = await installed()
    expect(await first).toEqual(path === null ? { available: false, reason: expect.any(String) } : { available: true, path })
  })

  it('loadSqliteVec loads it into a connection that allows extensions, and says why not into one that does not', async () => {
    const path = await installed()
    const { DatabaseSync } = loadNodeSqlite()
    const allowed = new DatabaseSync(':memory:', { allowExtension: true })
    const refused = new DatabaseSync(':memory:')
    try {
      if (path === null) {
        expect(await loadSqliteVec(allowed)).toBe((await sqliteVecStatus() as { reason: string }).reason)
        return
      }
      expect(await loadSqliteVec(allowed)).toBeNull()
      expect(allowed.prepare('SELECT vec_length(?) AS n').get('[1, 2, 3]')).toEqual({ n: 3 })
      const reason = await loadSqliteVec(refused)
      expect(reason).toMatch(new RegExp(`^the sqlite-vec binary ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} could not be loaded: .+`))
    } finally {
      allowed.close()
      refused.close()
    }
  })

  it('without a binary for this platform: unavailable with the error\'s message, which loadSqliteVec returns', async () => {
    vi.doMock('sqlite-vec', () => ({
      getLoadablePath: () => {
        throw new Error('Unsupported platform for sqlite-vec, on a linux-ppc64 machine')
      },
    }))
    try {
      const vec = await fresh(() => import('../../src/sqlite/sqlite-vec.js'))
      expect(await vec.sqliteVecStatus()).toEqual({ available: false, reason: 'Unsupported platform for sqlite-vec, on a linux-ppc64 machine' })
      // What the user is told then: the platforms are sqlite-vec's own native packages; the fix names the install.
      const shipped = Object.keys(JSON.parse(readFileSync(new URL('../../node_modules/sqlite-vec/package.json', import.meta.url), 'utf8')).optionalDependencies)
      expect([...vec.SQLITE_VEC_PLATFORMS].sort()).toEqual(shipped.map((name) => name.replace('sqlite-vec-', '').replace('windows', 'win32')).sort())
      expect(vec.SQLITE_VEC_FIX).toContain('`npm install sqlite-vec`, without --omit=optional')
      expect(vec.SQLITE_VEC_FIX).toContain('full-text search works without it')
      const { DatabaseSync } = loadNodeSqlite()
      const connection = new DatabaseSync(':memory:', { allowExtension: true })
      try {
        expect(await vec.loadSqliteVec(connection)).toBe('Unsupported platform for sqlite-vec, on a linux-ppc64 machine')
      } finally {
        connection.close()
      }
    } finally {
      vi.doUnmock('sqlite-vec')
    }
  })

  it('a thrown value that is not an Error is its string', async () => {
    vi.doMock('sqlite-vec', () => ({
      getLoadablePath: () => {
        throw 'no binary'
      },
    }))
    try {
      const vec = await fresh(() => import('../../src/sqlite/sqlite-vec.js'))
      expect(await vec.sqliteVecStatus()).toEqual({ available: false, reason: 'no binary' })
    } finally {
      vi.doUnmock('sqlite-vec')
    }
  })
})

describe('more of the engine helpers', () => {
  it('fts: the maxTerms option bounds the words of both query builders', () => {
    expect(toFtsQuery('a b c', { maxTerms: 2 })).toBe('"a" "b"')
    expect(toTsQuery('a b c', { maxTerms: 2 })).toBe("'a' & 'b'")
    expect(toFtsQuery('a b c')).toBe('"a" "b" "c"')
  })

  it('uuidv7: the 12-bit counter runs up to 0xfff within a millisecond, then the next one starts at 0', () => {
    const next = uuidv7Generator(() => 5000)
    const counter = (id: string) => Number.parseInt(id.slice(15, 18), 16)
    const first = next()
    const start = counter(first)
    expect(start).toBeLessThan(64)
    const ids = [first]
    for (let id = next(); uuidv7Time(id) === 5000; id = next()) ids.push(id)
    expect(ids).toHaveLength(0x1000 - start)
    expect(counter(ids.at(-1)!)).toBe(0xfff)
    const borrowed = next()
    expect(uuidv7Time(borrowed)).toBe(5001)
    expect(counter(borrowed)).toBe(1) // the id that ended the loop above took counter 0 of 5001
  })

  it('wait options: timeoutMs from 0 to 2^31 - 1, an AbortSignal, nothing else', () => {
    expect(WaitOptionsSchema.safeParse({}).success).toBe(true)
    expect(WaitOptionsSchema.safeParse({ timeoutMs: 0, signal: new AbortController().signal }).success).toBe(true)
    expect(WaitOptionsSchema.safeParse({ timeoutMs: 2 ** 31 - 1 }).success).toBe(true)
    expect(WaitOptionsSchema.safeParse({ timeoutMs: 2 ** 31 }).success).toBe(false)
    expect(WaitOptionsSchema.safeParse({ timeoutMs: -1 }).success).toBe(false)
    expect(WaitOptionsSchema.safeParse({ timeoutMs: 1.5 }).success).toBe(false)
    expect(WaitOptionsSchema.safeParse({ signal: {} }).success).toBe(false)
    expect(WaitOptionsSchema.safeParse({ timeout: 5 }).success).toBe(false)
  })

  it('the engine\'s read and write run their bodies on the executor: get, all, run, and its kysely and dialect', async () => {
    const db = await openDatabase<any>(':memory:', { store: { name: 'tasks', migrations: { '0001_t': { up: async () => {} } } } })
    const engine = new SqliteStoreEngine(db)
    const changed = await engine.write(function* (x) {
      expect(x.dialect).toBe('sqlite')
      expect(x.kysely).toBe(db.kysely)
      yield* x.run(rawQuery('CREATE TABLE t (v INTEGER)'))
      return (yield* x.run(rawQuery('INSERT INTO t (v) VALUES (?), (?)', [1, 2]))).changes
    })
    expect(changed).toBe(2)
    expect(await engine.read(function* (x) {
      return yield* x.all(rawQuery<{ v: number }>('SELECT v FROM t ORDER BY v'))
    })).toEqual([{ v: 1 }, { v: 2 }])
    expect(await engine.read(function* (x) {
      return yield* x.get(rawQuery<{ v: number }>('SELECT v FROM t WHERE v = 2'))
    })).toEqual({ v: 2 })
    await expectCode(
      engine.write(function* () {
        yield { method: 'run', query: rawQuery('DELETE FROM t'), args: undefined } satisfies PendingStatement
      }),
      'INTERNAL',
    )
    expect(db.all(rawQuery('SELECT v FROM t'))).toHaveLength(2)
    await db.close()
  })
})

describe('the repository base, further', () => {
  const migrations = { '0001_t': { up: async () => {} } }

  class Clocked extends StoreRepository<'tasks'> {
    constructor(db: any, options?: { clock?: () => number }) {
      super(db, options)
    }
    get now() {
      return this.clock
    }
  }

  it('openStoreDatabase opens and migrates the store with the engine options, leaving out clock and referenceGuard', async () => {
    const db = await openStoreDatabase<any>({ name: 'tasks', migrations }, ':memory:', {
      busyTimeoutMs: 7,
      clock: () => 1,
      referenceGuard: () => {},
    })
    try {
      expect(db.context.store).toBe('tasks')
      expect(db.pragma('busy_timeout')).toBe(7)
      expect(new Clocked(db).schemaVersion).toBe('0001_t')
    } finally {
      await db.close()
    }
  })

  it('dialect: sqlite for a local store, postgres for one on a server; the clock given, or the system clock', async () => {
    const db = await openDatabase<any>(':memory:', { store: { name: 'tasks', migrations } })
    const clock = () => 42
    expect(new Clocked(db).dialect).toBe('sqlite')
    expect(new Clocked(db, { clock }).now).toBe(clock)
    expect(new Clocked(db).now).toBe(systemClock)
    expect(new Clocked({ server: {} }).dialect).toBe('postgres')
    await db.close()
  })
})
