/**
 * Crash safety of the engine, with real processes: a child opening (and migrating) a
 * store is SIGKILLed at random moments, many times. After every kill the file reopens,
 * passes integrity_check, and each migration is all-or-nothing — schema, data and
 * bookkeeping together.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { describe, expect, it } from 'vitest'

import { openDatabase } from '../../src/sqlite/open-database.js'
import { CRASH_ROWS, crashMigrations } from '../fixtures/crash-migrations.js'
import { REPO_ROOT, tempDir } from '../helpers.js'

const HEAVY = process.env['CLEO_RELIABILITY_HEAVY'] === '1'
const KILLS = HEAVY ? 40 : 8
const NAMES = ['0001_a', '0002_b', '0003_c']

function startChild(file: string, count: number, pause: boolean): ReturnType<typeof spawn> {
  return spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test/fixtures/migrate-forever.ts'), file, String(count), pause ? 'pause' : ''], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
}

function inspect(file: string): { applied: string[]; tables: Record<string, number>; integrity: string } {
  const db = new DatabaseSync(file)
  try {
    const integrity = String((db.prepare('PRAGMA integrity_check').get() as Record<string, unknown>)['integrity_check'])
    const hasJournal = db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'kysely_migration'").get() !== undefined
    const applied = hasJournal ? (db.prepare('SELECT name FROM kysely_migration ORDER BY name').all() as Array<{ name: string }>).map((r) => r.name) : []
    const tables: Record<string, number> = {}
    for (const name of ['a', 'b', 'c']) {
      const exists = db.prepare('SELECT 1 FROM sqlite_schema WHERE name = ?').get(name) !== undefined
      if (exists) tables[name] = (db.prepare(`SELECT count(*) AS n FROM ${name}`).get() as { n: number }).n
    }
    return { applied, tables, integrity }
  } finally {
    db.close()
  }
}

describe('SIGKILL during migration', () => {
  it(`leaves every migration all-or-nothing across ${KILLS} kills`, async () => {
    const dir = tempDir()
    let killedInside = 0
    for (let round = 0; round < KILLS; round++) {
      // A fresh file each round, so every kill lands on pending migrations.
      const file = join(dir, `crash-${round}.db`)
      // Even rounds: the child pauses inside each migration (work done, not committed)
      // and the kill lands inside a chosen one — certainly, however busy the machine.
      // Odd rounds: a kill at a random moment, wherever it lands.
      const paused = round % 2 === 0
      const target = NAMES[(round / 2) % 3]!
      const child = startChild(file, 3, paused)
      let opened = false
      let output = ''
      const released = new Set<string>()
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
      const killPoint = new Promise<void>((resolve) => {
        child.stdout!.on('data', (d: Buffer) => {
          output += d.toString()
          if (output.includes('opened')) opened = true
          if (!paused && output.includes('start')) resolve()
          if (!paused) return
          if (output.includes(`inside ${target}`)) return resolve()
          // An earlier migration paused: let it commit.
          for (const name of NAMES.filter((n) => output.includes(`inside ${n}`) && !released.has(n))) {
            released.add(name)
            child.stdin!.write('go\n')
          }
        })
      })
      await killPoint
      if (!paused) await new Promise((r) => setTimeout(r, Math.random() * 250))
      child.kill('SIGKILL')
      await exited
      const state = inspect(file)
      expect(state.integrity).toBe('ok')
      const letters = state.applied.map((name) => name.slice(5))
      // A table exists exactly when its migration is recorded, and is then complete.
      for (const t of ['a', 'b', 'c']) {
        if (letters.includes(t)) expect(state.tables[t], `table ${t} after round ${round}`).toBe(CRASH_ROWS)
        else expect(state.tables[t], `table ${t} after round ${round}`).toBeUndefined()
      }
      if (paused) {
        // Killed inside `target` before it committed: it and the later ones are not
        // applied; what is applied is a prefix of the earlier ones (the engine may commit
        // several migrations of one open together).
        expect(state.applied, `round ${round}`).not.toContain(target)
        expect(state.applied, `round ${round}`).toEqual(NAMES.slice(0, state.applied.length))
        killedInside++
      } else if (!opened && letters.length === 0) killedInside++
      // Reopening finishes the work.
      const db = await openDatabase(file, { store: { name: 'tasks', migrations: crashMigrations } })
      await db.close()
      expect(inspect(file).applied).toEqual(['0001_a', '0002_b', '0003_c'])
    }
    expect(killedInside, 'no kill landed before the migrations committed').toBeGreaterThan(0)
  })
})
