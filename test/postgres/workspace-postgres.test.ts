/**
 * `CleoWorkspace.open(dir, { signaldock: { postgres } })`: agent identity on a
 * PostgreSQL server, everything else local; `ws.agents` keeps working; the pool is
 * shared like the local handle and a pool the caller passed is never ended.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

import pg from 'pg'
import { describe, expect, it } from 'vitest'

import { CleoWorkspace } from '../../src/workspace/workspace.js'
import { expectCode, tempDir } from '../helpers.js'
import { POSTGRES_URL, freshSchema } from '../signaldock/helpers.js'

const KEY = 'sk_live_' + '0123456789abcdef'.repeat(4)
/** Unique to this process: remove --global reads every project conduit in the run's database, other test files' too. */
const PRIME = `cleo-prime-${process.pid}`

function projects(n: number): { root: string; globalDir: string; dirs: string[] } {
  const root = tempDir()
  const dirs = Array.from({ length: n }, (_, i) => join(root, `p${i}`))
  for (const dir of dirs) mkdirSync(dir)
  return { root, globalDir: join(root, 'global'), dirs }
}

describe('CleoWorkspace signaldock option', () => {
  it('a postgres setting that is neither a connection string nor a pool is VALIDATION, and nothing stays open', async () => {
    const { globalDir, dirs } = projects(1)
    await expectCode(CleoWorkspace.open(dirs[0]!, { globalDir, signaldock: { postgres: 42 as never } }), 'VALIDATION')
    // The failed shared entry was forgotten: a plain workspace on the same global directory opens.
    const ws = await CleoWorkspace.open(dirs[0]!, { globalDir })
    expect(ws.signaldock.dialect).toBe('sqlite')
    await ws.close()
  })
})

if (POSTGRES_URL !== null) {
  const url = POSTGRES_URL

  describe('CleoWorkspace with signaldock on PostgreSQL', () => {
    it('ws.agents works against the server; the other stores stay local; workspaces share one handle', async () => {
      const { globalDir, dirs, root } = projects(2)
      const signaldock = { postgres: url, schema: freshSchema('ws') }
      const a = await CleoWorkspace.open(dirs[0]!, { globalDir, signaldock })
      const b = await CleoWorkspace.open(dirs[1]!, { globalDir, signaldock })
      const shared = a.signaldock
      try {
        expect(a.signaldock.dialect).toBe('postgres')
        expect(b.signaldock).toBe(a.signaldock) // one shared handle (and pool) per process
        await a.agents.register({ agentId: PRIME, name: 'Cleo', apiKey: KEY, attach: true, capabilities: ['chat'] })
        expect((await a.agents.list()).map((r) => r.agent.agentId)).toEqual([PRIME])
        expect(await b.agents.credential(PRIME)).toBe(KEY) // sealed in PostgreSQL, opened with the local key files
        expect(await b.agents.list()).toEqual([])
        expect((await b.agents.list({ global: true })).map((r) => r.agent.agentId)).toEqual([PRIME])
        // What stays local: project stores, nexus, the key files; no signaldock.db.
        expect(readdirSync(globalDir)).toEqual(expect.arrayContaining(['nexus.db', 'global-salt', 'machine-key']))
        expect(existsSync(join(globalDir, 'signaldock.db'))).toBe(false)
        expect(existsSync(join(dirs[0]!, '.cleo', 'tasks.db'))).toBe(true)
        // Backups and checks cover the local files; the server's data is the server's (pg_dump).
        const { manifest } = await a.backup(join(root, 'backups'))
        expect(manifest.stores.map((s) => s.store)).toEqual(['tasks', 'brain', 'conduit', 'nexus'])
        expect(manifest.onServer?.map((s) => [s.store, s.schema])).toEqual([['signaldock', signaldock.schema]])
        const report = await a.check()
        expect(report.ok).toBe(true)
        // signaldock is reported as on the server (the workspace checks read it; SQLite's file checks do not apply).
        expect(report.stores.signaldock).toMatchObject({ ok: true, engine: 'postgres', location: expect.stringMatching(/^postgres:\/\/.*#/) })
        expect(report.stores.tasks).toMatchObject({ engine: 'sqlite' })
        // remove --global: refused while this project holds an enabled ref, then done on the server.
        await expectCode(a.agents.remove(PRIME, { global: true }), 'CONFLICT')
        await a.agents.detach(PRIME)
        await a.agents.remove(PRIME, { global: true })
        expect(await b.signaldock.agents.get(PRIME)).toBeNull()
        await a.close()
        expect(shared.closed).toBe(false) // b still holds it
      } finally {
        await a.close()
        await b.close()
      }
      // The last workspace released the shared handle: its own pool is ended.
      await expectCode(shared.agents.list(), 'CLOSED')
    })

    it("never ends the caller's pool; a workspace naming another signaldock for an open global directory is CONFLICT", async () => {
      const { globalDir, dirs } = projects(2)
      const pool = new pg.Pool({ connectionString: url, max: 4 })
      try {
        const ws = await CleoWorkspace.open(dirs[0]!, { globalDir, signaldock: { postgres: pool, schema: freshSchema('ws') } })
        try {
          await ws.agents.register({ agentId: 'a', name: 'A' })
          const mismatch = await expectCode(CleoWorkspace.open(dirs[1]!, { globalDir }), 'CONFLICT')
          expect(mismatch.details?.['reason']).toBe('signaldock-mismatch')
          await expectCode(CleoWorkspace.open(dirs[1]!, { globalDir, signaldock: { postgres: url } }), 'CONFLICT')
        } finally {
          await ws.close()
        }
        expect(ws.closed).toBe(true)
        expect((await pool.query('select 1 as one')).rows[0].one).toBe(1) // still ours, still open
        // Closed and released: the global directory may now be opened with the local signaldock.db.
        const local = await CleoWorkspace.open(dirs[1]!, { globalDir })
        expect(local.signaldock.dialect).toBe('sqlite')
        expect(await local.signaldock.agents.get('a')).toBeNull()
        await local.close()
      } finally {
        await pool.end()
      }
    })

    it('an in-memory workspace can keep its identities on the server', async () => {
      const signaldock = { postgres: url, schema: freshSchema('mem') }
      const ws = await CleoWorkspace.open(tempDir(), { inMemory: true, signaldock })
      try {
        await ws.agents.register({ agentId: 'a', name: 'A', apiKey: KEY, attach: true })
        expect(await ws.agents.credential('a')).toBe(KEY)
        expect(ws.signaldock.dialect).toBe('postgres')
      } finally {
        await ws.close()
      }
      const again = await CleoWorkspace.open(tempDir(), { inMemory: true, signaldock })
      try {
        expect((await again.signaldock.agents.get('a'))?.agentId).toBe('a')
      } finally {
        await again.close()
      }
    })
  })
}
