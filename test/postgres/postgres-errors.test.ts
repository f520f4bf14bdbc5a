/**
 * The translation of PostgreSQL failures into CleoStoreError codes (pure: no
 * server needed), and `pg` as an optional peer dependency.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { codeOfSqlState, postgresSqlState, toCleoStoreErrorFromPostgres } from '../../src/postgres/postgres-errors.js'
import { CleoStoreError } from '../../src/sqlite/errors.js'
import { runFixture } from '../helpers.js'

const CONTEXT = { store: 'signaldock', file: 'postgres://app@db.example:5432/cloud#signaldock' }

/** A node-postgres DatabaseError, as the driver throws it. */
function serverError(code: string, message: string, extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(message), { code, severity: 'ERROR', ...extra })
}

describe('PostgreSQL error translation', () => {
  it('maps SQLSTATEs to the codes SQLite errors get', () => {
    const table: Array<[string, string]> = [
      ['23505', 'CONFLICT'],
      ['23503', 'INVARIANT'],
      ['23514', 'INVARIANT'],
      ['23502', 'INVARIANT'],
      ['23P01', 'INVARIANT'],
      ['22001', 'INVARIANT'],
      ['22003', 'INVARIANT'],
      ['40001', 'BUSY'],
      ['40P01', 'BUSY'],
      ['55P03', 'BUSY'],
      ['57014', 'BUSY'],
      ['53300', 'BUSY'],
      ['53100', 'STORAGE_FULL'],
      ['25006', 'READ_ONLY'],
      ['42501', 'READ_ONLY'],
      ['3D000', 'NOT_FOUND'],
      ['3F000', 'NOT_FOUND'],
      ['XX001', 'CORRUPT'],
      ['0A000', 'UNSUPPORTED'],
      ['08006', 'IO'],
      ['08001', 'IO'],
      ['28P01', 'IO'],
      ['57P01', 'IO'],
      ['58030', 'IO'],
      ['42P01', 'INTERNAL'],
      ['42601', 'INTERNAL'],
      ['P0001', 'INTERNAL'],
    ]
    for (const [sqlState, code] of table) {
      const translated = toCleoStoreErrorFromPostgres(serverError(sqlState, `failure ${sqlState}`), CONTEXT)
      expect(translated.code, sqlState).toBe(code)
      expect(translated.details?.['sqlState']).toBe(sqlState)
      expect(translated.store).toBe('signaldock')
      expect(translated.file).toBe(CONTEXT.file)
    }
  })

  it('names the constraint, table and column, never the row values of `detail`', () => {
    const error = serverError('23505', 'duplicate key value violates unique constraint "users_email_key"', {
      constraint: 'users_email_key',
      table: 'users',
      detail: 'Key (email)=(secret@x.io) already exists.',
    })
    const translated = toCleoStoreErrorFromPostgres(error, CONTEXT)
    expect(translated).toBeInstanceOf(CleoStoreError)
    expect(translated.code).toBe('CONFLICT')
    expect(translated.details).toEqual({ sqlState: '23505', constraint: 'users_email_key', table: 'users' })
    expect(translated.message).toContain('users_email_key')
    expect(translated.message).not.toContain('secret@x.io')
    expect(translated.cause).toBe(error)
  })

  it('lost, refused and closed connections', () => {
    for (const errno of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE']) {
      const error = Object.assign(new Error(`connect ${errno} 10.0.0.1:5432`), { code: errno })
      expect(toCleoStoreErrorFromPostgres(error, CONTEXT).code, errno).toBe('IO')
    }
    const both = new AggregateError([
      Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    ])
    const aggregate = toCleoStoreErrorFromPostgres(both, CONTEXT)
    expect(aggregate.code).toBe('IO')
    expect(aggregate.message).toContain('ECONNREFUSED ::1:5432')
    expect(toCleoStoreErrorFromPostgres(new Error('Connection terminated unexpectedly'), CONTEXT).code).toBe('IO')
    expect(toCleoStoreErrorFromPostgres(new Error('timeout exceeded when trying to connect'), CONTEXT).code).toBe('IO')
    expect(toCleoStoreErrorFromPostgres(new Error('Cannot use a pool after calling end on the pool'), CONTEXT).code).toBe('CLOSED')
    expect(toCleoStoreErrorFromPostgres(new Error('driver has already been destroyed'), CONTEXT).code).toBe('CLOSED')
  })

  it('a CleoStoreError passes through; anything else is INTERNAL', () => {
    const own = new CleoStoreError('LEASE_LOST', 'gone')
    expect(toCleoStoreErrorFromPostgres(own, CONTEXT)).toBe(own)
    expect(toCleoStoreErrorFromPostgres(new TypeError('x is not a function'), CONTEXT).code).toBe('INTERNAL')
    expect(toCleoStoreErrorFromPostgres('weird', CONTEXT).code).toBe('INTERNAL')
    // A socket code that looks like a SQLSTATE is not one without a severity.
    expect(postgresSqlState(Object.assign(new Error('x'), { code: 'EPIPE' }))).toBeUndefined()
  })

  it('every SQLSTATE gets a code, consistent with its class', () => {
    const sqlState = fc.stringMatching(/^[0-9A-Z]{5}$/)
    fc.assert(
      fc.property(sqlState, (state) => {
        const translated = toCleoStoreErrorFromPostgres(serverError(state, 'm'), CONTEXT)
        expect(translated.code).toBe(codeOfSqlState(state))
        if (state.startsWith('08')) expect(translated.code).toBe('IO')
        if (state.startsWith('23')) expect(['CONFLICT', 'INVARIANT']).toContain(translated.code)
        if (state.startsWith('40') && state !== '40001' && state !== '40P01' && state !== '40002') {
          expect(translated.code).toBe('INTERNAL')
        }
      }),
      { numRuns: 500 },
    )
  })
})

describe('pg is an optional peer dependency', () => {
  it('without pg installed, openPostgres is UNSUPPORTED with how to fix it; SQLite works', async () => {
    const { stdout } = await runFixture('signaldock-without-pg.ts')
    const result = JSON.parse(stdout.trim()) as { sqlite: string; code: string; message: string; pgLoaded: boolean }
    expect(result.sqlite).toBe('sqlite')
    expect(result.code).toBe('UNSUPPORTED')
    expect(result.message).toMatch(/npm install pg/)
    expect(result.pgLoaded).toBe(false)
  })
})
