/**
 * Issue 14, item 12: every error code the library can throw is documented in
 * docs/errors.md, and every code thrown in src/ is one of CleoStoreErrorCode.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { REPO_ROOT } from '../helpers.js'

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => readFileSync(join(dir, file), 'utf8'))
}

const errorsTs = readFileSync(join(REPO_ROOT, 'src/sqlite/errors.ts'), 'utf8')
const union = [...errorsTs.slice(errorsTs.indexOf('export type CleoStoreErrorCode')).matchAll(/\|\s*'([A-Z_]+)'/g)]
  .map((m) => m[1]!)
  .filter((code, i, all) => all.indexOf(code) === i)

describe('item 12: the error codes are documented', () => {
  it('the union is what the errors module declares', () => {
    expect(union).toContain('CYCLE')
    expect(union).toContain('LEASE_LOST')
    expect(union).toContain('KEY_FILE')
    expect(union.length).toBeGreaterThanOrEqual(18)
  })

  it('docs/errors.md has a table row for every code of CleoStoreErrorCode', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs/errors.md'), 'utf8')
    const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]!)
    expect([...rows].sort()).toEqual([...union].sort())
  })

  it('every code thrown in src/ (directly, through a helper or by translation) is in the union', () => {
    const thrown = new Set<string>()
    for (const text of sources(join(REPO_ROOT, 'src'))) {
      // `new CleoStoreError('CODE', …)` (also across a line break) and the stores' `ctx.error('CODE', …)` helpers.
      for (const m of text.matchAll(/(?:CleoStoreError|\.error)\(\s*'([A-Z][A-Z_]+)'/g)) thrown.add(m[1]!)
    }
    for (const m of errorsTs.matchAll(/:\s*'([A-Z][A-Z_]+)',?$/gm)) thrown.add(m[1]!) // FS_CODES
    expect(thrown.size).toBeGreaterThan(10)
    const unknown = [...thrown].filter((code) => !union.includes(code))
    expect(unknown).toEqual([])
  })
})
