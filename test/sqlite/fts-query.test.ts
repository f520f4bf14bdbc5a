import { DatabaseSync } from 'node:sqlite'

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { ftsTerms, toFtsQuery, toTsQuery } from '../../src/sqlite/fts-query.js'

describe('toFtsQuery', () => {
  it('quotes each word and joins them', () => {
    expect(toFtsQuery('fix "login" bug OR crash')).toBe('"fix" "login" "bug" "or" "crash"')
    expect(toFtsQuery('a b', { mode: 'any', prefix: true })).toBe('"a"* OR "b"*')
    expect(toFtsQuery('*** ((( ^ :')).toBeNull()
    expect(ftsTerms('Ünïcode 日本語 émoji🙂 snake_case')).toEqual(['ünïcode', '日本語', 'émoji', 'snake_case'])
  })

  it('never produces an FTS5 syntax error, and finds what it should', () => {
    const db = new DatabaseSync(':memory:')
    db.exec("CREATE VIRTUAL TABLE doc USING fts5(body); INSERT INTO doc VALUES ('deploy the login service'), ('crash in parser')")
    const search = db.prepare('SELECT body FROM doc WHERE doc MATCH ? ORDER BY rank')
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.constantFrom('all', 'any'), fc.boolean(), (text, mode, prefix) => {
        const query = toFtsQuery(text, { mode: mode as 'all' | 'any', prefix })
        if (query !== null) expect(() => search.all(query)).not.toThrow()
      }),
      { numRuns: 500 },
    )
    for (const hostile of ['"', 'NEAR(a b)', 'body:login', 'a AND', '-x', '^login', 'login*', "'; DROP TABLE doc; --"]) {
      const query = toFtsQuery(hostile)
      if (query !== null) expect(() => search.all(query)).not.toThrow()
    }
    expect(search.all(toFtsQuery('LOGIN deploy')!)).toEqual([{ body: 'deploy the login service' }])
    expect(search.all(toFtsQuery('deplo', { prefix: true })!)).toHaveLength(1)
    expect(search.all(toFtsQuery('login crash', { mode: 'any' })!)).toHaveLength(2)
    db.close()
  })
})

describe('toTsQuery (PostgreSQL)', () => {
  it('quotes each folded word and joins them with & or |', () => {
    expect(toTsQuery('fix "login" bug OR crash')).toBe("'fix' & 'login' & 'bug' & 'or' & 'crash'")
    expect(toTsQuery('Déplo snake_case', { mode: 'any', prefix: true })).toBe("'deplo':* | 'snake case':*")
    expect(toTsQuery("*** ((( ^ : ' & | ! <-> \\")).toBeNull()
    expect(toTsQuery('\u0301')).toBeNull() // a word of marks only folds to nothing
  })

  it('takes the same words as toFtsQuery, each a quoted lexeme with no tsquery syntax of the user', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.constantFrom('all', 'any'), fc.boolean(), (text, mode, prefix) => {
        const options = { mode: mode as 'all' | 'any', prefix }
        const query = toTsQuery(text, options)
        if (toFtsQuery(text, options) === null) expect(query).toBeNull()
        if (query === null) return
        const parts = query.split(mode === 'any' ? ' | ' : ' & ')
        for (const part of parts) expect(part).toMatch(prefix ? /^'[^'\\]+':\*$/u : /^'[^'\\]+'$/u)
      }),
      { numRuns: 500 },
    )
  })
})
