import { randomBytes } from 'node:crypto'
import { join } from 'node:path'

import type { Kysely } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'

import { CredentialCipher } from '../../src/kdf/credential-cipher.js'
import { manualClock } from '../../src/sqlite/clock.js'
import { TasksRepository } from '../../src/tasks/tasks-repository.js'
import { expectCode, tempDir } from '../helpers.js'

const T0 = Date.UTC(2026, 0, 1)
const cipher = CredentialCipher.fromKeyMaterial({ machineKey: randomBytes(32), globalSalt: randomBytes(32) })
const KEY = 'sk_live_' + 'a'.repeat(64)

let tasks: TasksRepository
afterEach(async () => {
  await tasks?.close()
})

describe('tasks.db agent_credentials (the local credential cache)', () => {
  it('migration 0010 creates a STRICT table with CHECKs', async () => {
    tasks = await TasksRepository.open(':memory:')
    expect(tasks.schemaVersion >= '0010_agent_credentials').toBe(true) // 0010 applied (later migrations may follow)
    const db = tasks.kysely as unknown as Kysely<any>
    const row = { agent_id: 'a', display_name: 'A', api_key_encrypted: cipher.seal('a', KEY), api_base_url: 'https://x', created_at: T0, updated_at: T0 }
    await expectCode(db.insertInto('agent_credentials').values({ ...row, is_active: 2 }).execute(), 'INVARIANT')
    await expectCode(db.insertInto('agent_credentials').values({ ...row, privacy_tier: 'secret' }).execute(), 'INVARIANT')
    await expectCode(db.insertInto('agent_credentials').values({ ...row, transport_config: '[1]' }).execute(), 'INVARIANT')
    await expectCode(db.insertInto('agent_credentials').values({ ...row, api_key_encrypted: 'short' }).execute(), 'INVARIANT')
    await expectCode(db.insertInto('agent_credentials').values({ ...row, created_at: 'yesterday' }).execute(), 'INVARIANT')
    await db.insertInto('agent_credentials').values(row).execute()
    await expectCode(db.insertInto('agent_credentials').values(row).execute(), 'CONFLICT')
  })

  it('holds ciphertext only: plaintext is refused before anything is written', async () => {
    tasks = await TasksRepository.open(':memory:')
    const error = await expectCode(tasks.credentials.put({ agentId: 'a', displayName: 'A', apiKeyEncrypted: KEY }), 'VALIDATION')
    expect(error.details?.['path']).toEqual(['apiKeyEncrypted'])
    await expectCode(tasks.credentials.put({ agentId: 'a', displayName: 'A', apiKeyEncrypted: 'ab'.repeat(40) }), 'VALIDATION')
    expect(await tasks.credentials.list()).toEqual([])
  })

  it('put is an upsert that keeps createdAt; get, list, markUsed, getActive, remove', async () => {
    const clock = manualClock(T0)
    tasks = await TasksRepository.open(join(tempDir(), 'tasks.db'), { clock })
    const sealed = cipher.seal('a', KEY)
    const first = await tasks.credentials.put({ agentId: 'a', displayName: 'A', apiKeyEncrypted: sealed, transportConfig: { pollIntervalMs: 5 } })
    expect(first).toMatchObject({ agentId: 'a', privacyTier: 'public', transportType: 'http', isActive: true, lastUsedAt: null })
    clock.advance(1000)
    const second = await tasks.credentials.put({ agentId: 'a', displayName: 'A2', apiKeyEncrypted: sealed, privacyTier: 'private' })
    expect(second).toMatchObject({ displayName: 'A2', privacyTier: 'private', createdAt: first.createdAt, transportConfig: {} })
    expect(second.updatedAt).toBe(new Date(T0 + 1000).toISOString())
    expect(cipher.open('a', (await tasks.credentials.get('a'))!.apiKeyEncrypted)).toBe(KEY)

    await tasks.credentials.put({ agentId: 'b', displayName: 'B', apiKeyEncrypted: cipher.seal('b', KEY), isActive: false })
    expect((await tasks.credentials.list()).map((c) => c.agentId)).toEqual(['a', 'b'])
    expect((await tasks.credentials.list({ active: false })).map((c) => c.agentId)).toEqual(['b'])
    expect(await tasks.credentials.getActive()).toBeNull()
    await tasks.credentials.markUsed('a')
    expect((await tasks.credentials.getActive())!.agentId).toBe('a')
    await expectCode(tasks.credentials.markUsed('zz'), 'NOT_FOUND')
    expect(await tasks.credentials.remove('a')).toBe(true)
    expect(await tasks.credentials.remove('a')).toBe(false)
    expect(await tasks.credentials.get('a')).toBeNull()
  })
})
