/**
 * No secret leaks: after registering an agent with an API key and provoking errors
 * around it, neither the plaintext key nor the machine key nor the global salt (in
 * any common encoding) appears in any error message, any error detail, or any row of
 * any store (audit rows included).
 */
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { CleoWorkspace, isCleoStoreError, loadKeyMaterial } from '../../src/index.js'
import { tempDir } from '../helpers.js'

const API_KEY = `sk_live_${'9f3a'.repeat(16)}`

async function dumpStore(kysely: { selectFrom: (t: never) => unknown } & Record<string, unknown>): Promise<string> {
  const k = kysely as unknown as import('kysely').Kysely<any>
  const tables = await k.selectFrom('sqlite_schema').select('name').where('type', '=', 'table').execute()
  const parts: string[] = []
  for (const { name } of tables) {
    if (String(name).includes('_fts') || String(name).startsWith('sqlite_')) continue
    parts.push(JSON.stringify(await k.selectFrom(name).selectAll().execute()))
  }
  return parts.join('\n')
}

describe('secrets', () => {
  it('never appear in errors, audit rows or any stored row', async () => {
    const projectDir = tempDir()
    const globalDir = join(tempDir(), 'global')
    const ws = await CleoWorkspace.open(projectDir, { globalDir })
    const messages: string[] = []
    const record = (error: unknown) => {
      expect(isCleoStoreError(error)).toBe(true)
      messages.push(String((error as Error).message), JSON.stringify((error as { details?: unknown }).details ?? null))
    }
    try {
      await ws.agents.register({ agentId: 'secret-agent', name: 'S', apiKey: API_KEY, attach: true })
      expect(await ws.agents.verifyApiKey('secret-agent', API_KEY)).toBe(true)
      expect(await ws.agents.verifyApiKey('secret-agent', `${API_KEY.slice(0, -1)}0`)).toBe(false)
      // Provoke errors with the key in the wrong places.
      await ws.agents.register({ agentId: 'bad agent!', name: 'x', apiKey: API_KEY }).catch(record)
      await ws.agents.verifyApiKey('secret-agent', `${API_KEY} trailing`).catch(record)
      await ws.agents.register({ agentId: 'other', name: 'x', apiKey: `short-${API_KEY.slice(0, 4)}` } as never).catch(record)
      const keys = loadKeyMaterial(globalDir, { create: false })
      const forbidden = [
        API_KEY,
        keys.machineKey.toString('hex'),
        keys.machineKey.toString('base64'),
        keys.globalSalt.toString('hex'),
        keys.globalSalt.toString('base64'),
      ]
      expect(messages.length).toBeGreaterThan(0)
      for (const text of messages) for (const secret of forbidden) expect(text).not.toContain(secret)
      const stored = [
        await dumpStore(ws.signaldock.kysely as never),
        await dumpStore(ws.conduit.kysely as never),
        await dumpStore(ws.nexus.kysely as never),
        await dumpStore(ws.tasks.kysely as never),
      ].join('\n')
      for (const secret of forbidden) expect(stored).not.toContain(secret)
      // The tasks.db credential cache holds the sealed key only.
      expect(await ws.tasks.credentials.get('secret-agent')).not.toBeNull()
    } finally {
      await ws.close()
    }
  })
})
