/**
 * The orphan sweep of pre-migration backups, seen from an unprivileged user (issue 14
 * item 14, from the mutation run of `src/sqlite/migrate.ts`): a temporary backup file
 * named after a process this user may not signal (EPERM: a live process of another user)
 * is still being written and must be kept; one named after a dead process is removed.
 * Root may signal every process, so the upgrade runs in a child as `nobody`.
 *
 * Mutation runs analyse coverage per test in this process only: the test also runs the
 * sweep here (as root, where a dead process's orphan takes the same path), so that it is
 * run against the mutants of that path and sees them in the child.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chownSync, existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { rawQuery } from '../../src/sqlite/database.js'
import { openDatabase } from '../../src/sqlite/open-database.js'
import { canRunAsNobody, runFixtureAsNobody, tempDir } from '../helpers.js'
import { storeV1, storeV2 } from './migration-store.js'

describe('the orphan sweep as an unprivileged user', () => {
  it.skipIf(!canRunAsNobody())(
    'keeps a temporary backup of a live process it may not signal, removes one of a dead process',
    async () => {
      const dir = tempDir()
      const nobody = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim())
      chownSync(dir, nobody, -1)
      const file = join(dir, 'data.db')
      expect(runFixtureAsNobody('migrate-unprivileged.ts', ['v1', file])).toEqual({ ok: true })

      // this test's own process is alive and belongs to root: `nobody` may not signal it
      const foreign = join(dir, `data.db.bak-0001_item.tmp-${process.pid}-abcd1234`)
      const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!
      const orphan = join(dir, `data.db.bak-0001_item.tmp-${deadPid}-abcd1234`)
      for (const path of [foreign, orphan]) writeFileSync(path, 'x')

      // in this process (root), a dead process's orphan of another file is removed
      const rootDir = tempDir()
      const rootFile = join(rootDir, 'data.db')
      const v1 = await openDatabase(rootFile, { store: storeV1 })
      v1.run(rawQuery("INSERT INTO item (name) VALUES ('kept')"))
      await v1.close()
      const rootOrphan = join(rootDir, `data.db.bak-0001_item.tmp-${deadPid}-abcd1234`)
      writeFileSync(rootOrphan, 'x')
      await (await openDatabase(rootFile, { store: storeV2 })).close()
      expect(existsSync(rootOrphan)).toBe(false)

      expect(runFixtureAsNobody('migrate-unprivileged.ts', ['v2', file])).toEqual({ ok: true })
      expect(existsSync(foreign)).toBe(true)
      expect(existsSync(orphan)).toBe(false)
      expect(readdirSync(dir).filter((n) => n.includes('.bak-')).sort()).toEqual([
        'data.db.bak-0001_item',
        `data.db.bak-0001_item.tmp-${process.pid}-abcd1234`,
      ])
    },
  )
})
