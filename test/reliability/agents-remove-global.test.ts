/**
 * Issue 14, item 11: `ws.agents.remove(id, { global: true })` fails closed however
 * many projects nexus knows — the scan pages through every registered project, not
 * just the first page of `nexus.projects.list()` (1,000 rows).
 */
import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

import type { Kysely } from 'kysely'
import { describe, expect, it } from 'vitest'

import { CleoWorkspace } from '../../src/index.js'
import { expectCode, tempDir } from '../helpers.js'

describe('item 11: remove --global scans every registered project', () => {
  it('refuses while a project sorting after the first 1,000 holds an enabled ref', { timeout: 120_000 }, async () => {
    const root = tempDir()
    const globalDir = join(root, 'global')
    const last = join(root, 'zzz-last')
    const here = join(root, 'here')
    mkdirSync(last)
    mkdirSync(here)

    // The project that sorts last by name attaches the agent (enabled ref in its conduit.db).
    const other = await CleoWorkspace.open(last, { globalDir })
    await other.agents.register({ agentId: 'shared-agent', name: 'Shared', attach: true })
    await other.close()

    const ws = await CleoWorkspace.open(here, { globalDir })
    try {
      // 1,001 more projects, between "here" and "zzz-last" by name: one transaction.
      const nexus = ws.nexus.kysely as unknown as Kysely<any>
      const now = Date.now()
      await nexus.transaction().execute(async (trx) => {
        for (let i = 0; i < 1_001; i++) {
          const path = join(root, 'gone', `p${String(i).padStart(4, '0')}`)
          await trx
            .insertInto('project_registry')
            .values({
              project_id: `fake-${i}`,
              project_hash: createHash('sha256').update(path).digest('hex'),
              project_path: path,
              name: `p${String(i).padStart(4, '0')}`,
              registered_at: now,
              last_seen_at: now,
              updated_at: now,
            })
            .execute()
        }
      })
      expect(await ws.nexus.projects.count()).toBe(1_003)
      // The first page really does stop short of the last project.
      const firstPage = await ws.nexus.projects.list()
      expect(firstPage.map((p) => p.path)).not.toContain(last)

      const refused = await expectCode(ws.agents.remove('shared-agent', { global: true }), 'CONFLICT')
      expect(refused.details?.['projects']).toEqual([last])
      expect(await ws.signaldock.agents.get('shared-agent')).not.toBeNull()
    } finally {
      await ws.close()
    }
  })
})
