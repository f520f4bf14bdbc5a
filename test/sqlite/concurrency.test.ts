/**
 * Several real processes open the same fresh store at the same moment: every one
 * succeeds and the migrations run exactly once.
 */
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { runFixture, startGate, tempDir } from '../helpers.js'

describe('concurrent first opens from several processes', () => {
  it('migrate a fresh store once', async () => {
    const file = join(tempDir(), 'race.db')
    const gate = startGate(4)
    const outputs = await Promise.all(Array.from({ length: 4 }, () => runFixture('open-store.ts', [file, gate])))
    const results = outputs.map((o) => JSON.parse(o.stdout.trim()) as { ok: boolean; applied: string[]; runs: number })
    for (const result of results) {
      expect(result, JSON.stringify(result)).toMatchObject({ ok: true, applied: ['0001_runs', '0002_busy'] })
      // One row: the first migration ran in one process only.
      expect(result.runs).toBe(1)
    }
  })
})
