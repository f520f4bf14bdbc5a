/**
 * No secret leaks (issue 14 item 1 below: every secret-bearing field of every method): after registering an agent with an API key and provoking errors
 * around it, neither the plaintext key nor the machine key nor the global salt (in
 * any common encoding) appears in any error message, any error detail, or any row of
 * any store (audit rows included).
 */
import { randomBytes } from 'node:crypto'
import { copyFileSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { CleoWorkspace, isCleoStoreError, loadKeyMaterial } from '../../src/index.js'
import { CredentialCipher, apiKeyHash, deriveApiKey } from '../../src/kdf/index.js'
import { SIGNALDOCK_STORE, SignaldockRepository } from '../../src/signaldock/index.js'
import { openDatabase } from '../../src/sqlite/open-database.js'
import { TasksRepository } from '../../src/tasks/index.js'
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

/*
 * Issue 14 item 1: no secret is ever quoted in an error. Every secret-bearing field
 * of every method (API keys, sealed credentials, OAuth tokens, password hashes,
 * session tokens, verification values, claim codes, key material) is driven with a
 * marker secret that is oversize, of the wrong type, or malformed, or that sits
 * beside another bad field; the marker must not appear in the message, `String(err)`,
 * `details`, or anywhere along the `cause` chain.
 */
const MARKER = 'sk_live_MARKER_7d1f0c9e2b4a55aa'

/** The bad values a secret field is driven with; `needle` is what must never appear. */
const BAD_VALUES: ReadonlyArray<{ name: string; value: unknown; needle: string }> = [
  { name: 'oversize', value: MARKER.repeat(1200), needle: MARKER },
  { name: 'wrong type (array)', value: [MARKER], needle: MARKER },
  { name: 'wrong type (object)', value: { secret: MARKER }, needle: MARKER },
  { name: 'wrong type (number)', value: 7_310_452_998_113, needle: '7310452998113' },
  { name: 'malformed (too short / plaintext)', value: 'MRK_9q2w', needle: 'MRK_9q2w' },
  { name: 'malformed (control characters)', value: `${MARKER}\u0000\n`, needle: MARKER },
]

/** Every text an error exposes: message, String(), details, and its cause chain. */
function exposedText(error: unknown): string {
  const parts: string[] = []
  const seen = new Set<unknown>()
  let current: unknown = error
  while (current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current)
    parts.push(String(current))
    if (typeof current === 'object') {
      const object = current as { message?: unknown; details?: unknown; issues?: unknown; stack?: unknown; cause?: unknown }
      parts.push(String(object.message), String(object.stack))
      for (const value of [object.details, object.issues, current]) {
        try {
          parts.push(JSON.stringify(value) ?? '')
        } catch {
          parts.push('[unserialisable]')
        }
      }
      current = object.cause
    } else {
      current = undefined
    }
  }
  return parts.join('\n')
}

type Call = (value: unknown) => unknown

let signaldock: SignaldockRepository
let tasks: TasksRepository
let ws: CleoWorkspace
let userId: string
let sealed: string
const cipher = CredentialCipher.fromKeyMaterial({ machineKey: randomBytes(32), globalSalt: randomBytes(32) })

beforeAll(async () => {
  signaldock = await SignaldockRepository.open(':memory:')
  tasks = await TasksRepository.open(':memory:')
  ws = await CleoWorkspace.open(tempDir(), { globalDir: join(tempDir(), 'global') })
  await signaldock.agents.register({ agentId: 'a0', name: 'A0' })
  userId = (await signaldock.users.create({ email: 'ada@example.com' })).id
  await signaldock.verifications.create({ identifier: 'ada', value: 'a-valid-value-123456', ttlMs: 60_000 })
  sealed = cipher.seal('a0', 'sk_live_the_real_one')
})

afterAll(async () => {
  await signaldock?.close()
  await tasks?.close()
  await ws?.close()
})

const anyValue = (value: unknown) => value as never

/** Every secret-bearing field of every method, as a call taking the bad value. */
const CALLS: Record<string, Call> = {
  'signaldock.agents.register apiKeyEncrypted': (v) =>
    signaldock.agents.register({ agentId: 'a1', name: 'A1', apiKeyEncrypted: anyValue(v) }),
  'signaldock.agents.register webhookSecretEncrypted': (v) =>
    signaldock.agents.register({ agentId: 'a1', name: 'A1', webhookSecretEncrypted: anyValue(v) }),
  'signaldock.agents.register apiKeyEncrypted beside a bad name': (v) =>
    signaldock.agents.register({ agentId: 'a1', name: anyValue(42), apiKeyEncrypted: anyValue(v) }),
  'signaldock.agents.update apiKeyEncrypted': (v) => signaldock.agents.update('a0', { apiKeyEncrypted: anyValue(v) }),
  'signaldock.agents.update webhookSecretEncrypted': (v) => signaldock.agents.update('a0', { webhookSecretEncrypted: anyValue(v) }),
  'signaldock.agents.update apiKeyHash': (v) => signaldock.agents.update('a0', { apiKeyHash: anyValue(v) }),
  'signaldock.agents.getByApiKeyHash': (v) => signaldock.agents.getByApiKeyHash(anyValue(v)),
  'signaldock.users.create passwordHash': (v) => signaldock.users.create({ email: 'bob@example.com', passwordHash: anyValue(v) }),
  'signaldock.users.update passwordHash': (v) => signaldock.users.update(userId, { passwordHash: anyValue(v) }),
  'signaldock.accounts.link accessToken': (v) =>
    signaldock.accounts.link({ userId, providerId: 'gh', accountId: '1', accessToken: anyValue(v) }),
  'signaldock.accounts.link refreshToken': (v) =>
    signaldock.accounts.link({ userId, providerId: 'gh', accountId: '1', refreshToken: anyValue(v) }),
  'signaldock.accounts.link idToken': (v) =>
    signaldock.accounts.link({ userId, providerId: 'gh', accountId: '1', idToken: anyValue(v) }),
  'signaldock.accounts.link passwordHash': (v) =>
    signaldock.accounts.link({ userId, providerId: 'gh', accountId: '1', passwordHash: anyValue(v) }),
  'signaldock.accounts.link accessToken beside a bad accountId': (v) =>
    signaldock.accounts.link({ userId, providerId: 'gh', accountId: anyValue(['x']), accessToken: anyValue(v), refreshToken: anyValue(v) }),
  'signaldock.authSessions.create token': (v) => signaldock.authSessions.create({ userId, token: anyValue(v), ttlMs: 60_000 }),
  'signaldock.authSessions.getByToken': (v) => signaldock.authSessions.getByToken(anyValue(v)),
  'signaldock.authSessions.extend': (v) => signaldock.authSessions.extend(anyValue(v), { ttlMs: 1000 }),
  'signaldock.authSessions.setActiveOrganization': (v) => signaldock.authSessions.setActiveOrganization(anyValue(v), null),
  'signaldock.authSessions.revoke': (v) => signaldock.authSessions.revoke(anyValue(v)),
  'signaldock.verifications.create value': (v) =>
    signaldock.verifications.create({ identifier: 'ada', value: anyValue(v), ttlMs: 60_000 }),
  'signaldock.verifications.consume value': (v) => signaldock.verifications.consume('ada', anyValue(v)),
  'signaldock.claimCodes.create code': (v) => signaldock.claimCodes.create({ agentId: 'a0', code: anyValue(v), ttlMs: 60_000 }),
  'signaldock.claimCodes.redeem code': (v) => signaldock.claimCodes.redeem(anyValue(v), userId),
  'tasks.credentials.put apiKeyEncrypted': (v) =>
    tasks.credentials.put({ agentId: 'a0', displayName: 'A0', apiKeyEncrypted: anyValue(v) }),
  'tasks.credentials.put apiKeyEncrypted beside a bad displayName': (v) =>
    tasks.credentials.put({ agentId: 'a0', displayName: anyValue(''), apiKeyEncrypted: anyValue(v) }),
  'tasks.credentials.put apiKeyHash': (v) =>
    tasks.credentials.put({ agentId: 'a0', displayName: 'A0', apiKeyEncrypted: sealed, apiKeyHash: anyValue(v) }),
  'kdf.deriveApiKey machineKey': (v) => deriveApiKey({ machineKey: anyValue(v), globalSalt: randomBytes(32), agentId: 'a0' }),
  'kdf.deriveApiKey globalSalt': (v) => deriveApiKey({ machineKey: randomBytes(32), globalSalt: anyValue(v), agentId: 'a0' }),
  'kdf.CredentialCipher.fromKeyMaterial': (v) => CredentialCipher.fromKeyMaterial({ machineKey: anyValue(v), globalSalt: anyValue(v) }),
  'kdf.CredentialCipher.seal secret': (v) => cipher.seal('a0', anyValue(v)),
  'kdf.CredentialCipher.open sealed': (v) => cipher.open('a0', anyValue(v)),
  'kdf.CredentialCipher.verify presented': (v) => cipher.verify('a0', typeof v === 'string' ? v : sealed, anyValue(v)),
  'kdf.apiKeyHash': (v) => apiKeyHash(anyValue(v)),
  'ws.agents.register apiKey': (v) => ws.agents.register({ agentId: 'w1', name: 'W1', apiKey: anyValue(v) }),
  'ws.agents.register apiKeyEncrypted': (v) => ws.agents.register({ agentId: 'w1', name: 'W1', apiKeyEncrypted: anyValue(v) }),
  'ws.agents.register apiKey beside a bad agentId': (v) => ws.agents.register({ agentId: 'Bad Id!', name: 'W1', apiKey: anyValue(v) }),
  'ws.agents.verifyApiKey': (v) => ws.agents.verifyApiKey('w1', anyValue(v)),
}

/** Cases where a value is acceptable for the call (so nothing is thrown): skipped. */
async function outcome(call: Call, value: unknown): Promise<{ threw: boolean; error?: unknown }> {
  try {
    await call(value)
    return { threw: false }
  } catch (error) {
    return { threw: true, error }
  }
}

describe('secret-bearing fields are never quoted in errors', () => {
  for (const [name, call] of Object.entries(CALLS)) {
    it(name, async () => {
      let refused = 0
      for (const bad of BAD_VALUES) {
        const result = await outcome(call, bad.value)
        if (!result.threw) continue
        refused++
        expect(isCleoStoreError(result.error), `${bad.name}: ${String(result.error)}`).toBe(true)
        const text = exposedText(result.error)
        expect(text, `${bad.name} leaked the secret`).not.toContain(bad.needle)
      }
      // The oversize and wrong-type values are refused by every call.
      expect(refused).toBeGreaterThanOrEqual(3)
    })
  }
})

/* Issue 14 item 2: OAuth tokens are sealed at rest. */

const TOKENS = {
  accessToken: 'gho_ACCESS_4f9a2c7e1b3d5f60',
  refreshToken: 'ghr_REFRESH_8e7d6c5b4a392817',
  idToken: 'eyJhbGciOi.ID_TOKEN_payload_1a2b3c.sig',
}

/** Every file under `dir` (recursively) that contains one of `needles`, in UTF-8, base64 or hex. */
function filesContaining(dir: string, needles: readonly string[]): string[] {
  const found: string[] = []
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name)
    if (!statSync(path).isFile()) continue
    const bytes = readFileSync(path)
    for (const needle of needles) {
      const forms = [Buffer.from(needle, 'utf8'), Buffer.from(Buffer.from(needle).toString('base64')), Buffer.from(Buffer.from(needle).toString('hex'))]
      if (forms.some((form) => bytes.includes(form))) found.push(`${name}: ${needle}`)
    }
  }
  return found
}

describe('OAuth tokens at rest', () => {
  it('after accounts.link no file under the global directory holds a token: db, WAL, backups', async () => {
    const projectDir = tempDir()
    const globalDir = join(tempDir(), 'global')
    const ws = await CleoWorkspace.open(projectDir, { globalDir })
    try {
      const user = await ws.signaldock.users.create({ email: 'ada@example.com' })
      expect(await ws.signaldock.accounts.link({ userId: user.id, providerId: 'github', accountId: '42', ...TOKENS })).toMatchObject(TOKENS)
      expect(await ws.signaldock.accounts.get('github', '42')).toMatchObject(TOKENS)
      expect((await ws.signaldock.accounts.listForUser(user.id))[0]).toMatchObject(TOKENS)
      // While open: the commit is in the WAL.
      expect(readdirSync(globalDir)).toContain('signaldock.db-wal')
      expect(filesContaining(globalDir, Object.values(TOKENS))).toEqual([])
      await ws.backup(join(globalDir, 'backups'))
      expect(filesContaining(globalDir, Object.values(TOKENS))).toEqual([])
    } finally {
      await ws.close()
    }
    expect(filesContaining(globalDir, Object.values(TOKENS))).toEqual([])
    expect(filesContaining(projectDir, Object.values(TOKENS))).toEqual([])
    // …and they read back after reopening (the seal opens with the key files of the global directory).
    const again = await CleoWorkspace.open(projectDir, { globalDir })
    try {
      expect(await again.signaldock.accounts.get('github', '42')).toMatchObject(TOKENS)
    } finally {
      await again.close()
    }
  })

  it('a signaldock.db written before migration 0004 (plaintext tokens) is sealed at open: file, WAL and pre-migration backup', async () => {
    const globalDir = tempDir()
    const file = join(globalDir, 'signaldock.db')
    // The store as the previous release left it: migrations up to 0003, tokens in plaintext.
    const before0004 = Object.fromEntries(Object.entries(SIGNALDOCK_STORE.migrations).filter(([name]) => name < '0004'))
    const old = await openDatabase(file, { store: { ...SIGNALDOCK_STORE, migrations: before0004 } })
    old.connection.exec(
      `INSERT INTO users (id, email, created_at, updated_at) VALUES ('u1', 'ada@example.com', 1, 1);
       INSERT INTO accounts (id, user_id, provider_id, account_id, access_token, refresh_token, id_token, created_at, updated_at)
       VALUES ('acc1', 'u1', 'github', '42', '${TOKENS.accessToken}', '${TOKENS.refreshToken}', '${TOKENS.idToken}', 1, 1)`,
    )
    await old.close()
    expect(filesContaining(globalDir, Object.values(TOKENS)).length, 'the old file holds the tokens').toBeGreaterThan(0)

    const repo = await SignaldockRepository.open(file)
    try {
      expect(repo.schemaVersion).toBe(Object.keys(SIGNALDOCK_STORE.migrations).sort().at(-1))
      expect(await repo.accounts.get('github', '42')).toMatchObject(TOKENS)
      expect(readdirSync(globalDir).some((name) => name.startsWith('signaldock.db.bak-')), 'a pre-migration backup was written').toBe(true)
      expect(filesContaining(globalDir, Object.values(TOKENS))).toEqual([])
    } finally {
      await repo.close()
    }
    expect(filesContaining(globalDir, Object.values(TOKENS))).toEqual([])
    // The sealed pre-migration backup still restores: its tokens open (they are not sealed twice).
    const backup = readdirSync(globalDir).find((name) => name.startsWith('signaldock.db.bak-'))!
    const restored = join(globalDir, 'restored.db')
    copyFileSync(join(globalDir, backup), restored)
    const fromBackup = await SignaldockRepository.open(restored)
    try {
      expect(await fromBackup.accounts.get('github', '42')).toMatchObject(TOKENS)
    } finally {
      await fromBackup.close()
    }
  })
})
