import type { Kysely } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'

import type { SignaldockRepository } from '../../src/signaldock/signaldock-repository.js'
import { expectCode, runFixture, startGate } from '../helpers.js'
import { ENGINES, T0, openTarget } from './helpers.js'

let repo: SignaldockRepository
afterEach(async () => {
  await repo?.close()
})

const TOKEN = 'session-token-0123456789abcdef'

for (const engine of ENGINES) {
  describe(`signaldock users and accounts [${engine.name}]`, () => {
    it('creates users with lower-case unique emails, unique slugs and usernames', async () => {
      ;({ repo } = await engine.open())
      const ada = await repo.users.create({ email: 'Ada@Example.com', name: 'Ada', slug: 'ada', username: 'ada' })
      expect(ada).toMatchObject({ email: 'ada@example.com', role: 'user', banned: false, emailVerified: false })
      expect((await repo.users.getByEmail('ADA@example.COM'))!.id).toBe(ada.id)
      const email = await expectCode(repo.users.create({ email: 'ada@EXAMPLE.com' }), 'CONFLICT')
      expect(email.details?.['path']).toEqual(['email'])
      await expectCode(repo.users.create({ email: 'b@x.io', slug: 'ada' }), 'CONFLICT')
      await expectCode(repo.users.create({ email: 'c@x.io', username: 'ada' }), 'CONFLICT')
      await expectCode(repo.users.create({ email: 'not an email' }), 'VALIDATION')
      const bob = await repo.users.create({ email: 'bob@x.io' })
      await expectCode(repo.users.update(bob.id, { email: 'ada@example.com' }), 'CONFLICT')
      expect((await repo.users.update(ada.id, { email: 'ada@example.com', role: 'admin' })).role).toBe('admin')
      await expectCode(repo.users.update('nobody', { name: 'x' }), 'NOT_FOUND')
      expect((await repo.users.list()).map((u) => u.email)).toEqual(['ada@example.com', 'bob@x.io'])
    })

    it('a ban ends by itself at its expiry, evaluated at read time', async () => {
      const opened = await engine.open()
      repo = opened.repo
      const user = await repo.users.create({ email: 'u@x.io' })
      const banned = await repo.users.ban(user.id, { reason: 'spam', until: T0 + 60_000 })
      expect(banned).toMatchObject({ banned: true, banReason: 'spam', banExpires: new Date(T0 + 60_000).toISOString() })
      opened.clock.advance(60_000)
      expect((await repo.users.get(user.id))!.banned).toBe(false)
      expect((await repo.users.ban(user.id, { reason: 'again' })).banned).toBe(true)
      expect((await repo.users.unban(user.id)).banned).toBe(false)
    })

    it('links provider accounts: upsert by provider and account, never across users', async () => {
      ;({ repo } = await engine.open())
      const a = await repo.users.create({ email: 'a@x.io' })
      const b = await repo.users.create({ email: 'b@x.io' })
      await expectCode(repo.accounts.link({ userId: 'ghost', providerId: 'github', accountId: '1' }), 'NOT_FOUND')
      const linked = await repo.accounts.link({ userId: a.id, providerId: 'github', accountId: '1', accessToken: 'x', scope: 'repo' })
      const relinked = await repo.accounts.link({ userId: a.id, providerId: 'github', accountId: '1', accessToken: 'y' })
      expect(relinked.id).toBe(linked.id)
      expect(relinked).toMatchObject({ accessToken: 'y', scope: 'repo' })
      await expectCode(repo.accounts.link({ userId: b.id, providerId: 'github', accountId: '1' }), 'CONFLICT')
      expect(await repo.accounts.listForUser(a.id)).toHaveLength(1)
      expect(await repo.accounts.unlink('github', '1')).toBe(true)
      expect(await repo.accounts.get('github', '1')).toBeNull()
    })

    it('OAuth tokens are sealed at rest, bound to their row, and older plaintext rows are sealed at open', async () => {
      const target = engine.target()
      repo = await openTarget(target)
      const user = await repo.users.create({ email: 't@x.io' })
      const tokens = { accessToken: 'gho_access_0123456789', refreshToken: 'ghr_refresh_0123456789', idToken: 'eyJ.id.token' }
      const linked = await repo.accounts.link({ userId: user.id, providerId: 'github', accountId: '7', ...tokens })
      expect(linked).toMatchObject(tokens)
      expect(await repo.accounts.get('github', '7')).toMatchObject(tokens)
      const raw = await repo.kysely.selectFrom('accounts').selectAll().where('id', '=', linked.id).executeTakeFirstOrThrow()
      expect(raw.tokens_sealed).toBe(1)
      for (const value of [raw.access_token, raw.refresh_token, raw.id_token]) {
        for (const token of Object.values(tokens)) expect(value).not.toContain(token)
      }
      // Only the given token changes; the others stay sealed and readable.
      expect(await repo.accounts.link({ userId: user.id, providerId: 'github', accountId: '7', accessToken: 'gho_new' })).toMatchObject({
        ...tokens,
        accessToken: 'gho_new',
      })
      // A sealed token moved onto another row (or field) does not open.
      const other = await repo.accounts.link({ userId: user.id, providerId: 'gitlab', accountId: '8', accessToken: 'glpat_x' })
      const sealedAccess = (await repo.kysely.selectFrom('accounts').select('access_token').where('id', '=', linked.id).executeTakeFirstOrThrow()).access_token
      await repo.kysely.updateTable('accounts').set({ access_token: sealedAccess }).where('id', '=', other.id).execute()
      await expectCode(repo.accounts.get('gitlab', '8'), 'CORRUPT')
      await repo.kysely.updateTable('accounts').set({ refresh_token: sealedAccess }).where('id', '=', linked.id).execute()
      await expectCode(repo.accounts.get('github', '7'), 'CORRUPT')
      await repo.accounts.unlink('gitlab', '8')
      await repo.accounts.unlink('github', '7')
      // A row as an older version wrote it: plaintext, flagged 0.
      await repo.kysely
        .insertInto('accounts')
        .values({ id: 'legacy-1', user_id: user.id, provider_id: 'github', account_id: '9', access_token: 'legacy-access', refresh_token: 'legacy-refresh', id_token: null, created_at: T0, updated_at: T0 })
        .execute()
      await repo.close()
      repo = await openTarget(target)
      const sealedRow = await repo.kysely.selectFrom('accounts').selectAll().where('id', '=', 'legacy-1').executeTakeFirstOrThrow()
      expect(sealedRow).toMatchObject({ tokens_sealed: 1, id_token: null })
      expect(sealedRow.access_token).not.toContain('legacy-access')
      expect(sealedRow.refresh_token).not.toContain('legacy-refresh')
      expect(await repo.accounts.get('github', '9')).toMatchObject({ accessToken: 'legacy-access', refreshToken: 'legacy-refresh', idToken: null })
      // Opening again changes nothing (the data step is idempotent).
      await repo.close()
      repo = await openTarget(target)
      const again = await repo.kysely.selectFrom('accounts').selectAll().where('id', '=', 'legacy-1').executeTakeFirstOrThrow()
      expect(again.access_token).toBe(sealedRow.access_token)
      expect(await repo.accounts.get('github', '9')).toMatchObject({ accessToken: 'legacy-access' })
    })
  })
}

for (const engine of ENGINES) {
  describe(`signaldock sessions and verifications [${engine.name}]`, () => {
    it('stores only the token hash; expiry is decided by the query, without writes', async () => {
      const opened = await engine.open()
      repo = opened.repo
      const user = await repo.users.create({ email: 'u@x.io' })
      const session = await repo.authSessions.create({ userId: user.id, token: TOKEN, ttlMs: 60_000, userAgent: 'cli' })
      expect(session.expiresAt).toBe(new Date(T0 + 60_000).toISOString())
      expect(JSON.stringify(session)).not.toContain(TOKEN)
      const db = repo.kysely as unknown as Kysely<any>
      const stored = await db.selectFrom('sessions').selectAll().execute()
      expect(JSON.stringify(stored)).not.toContain(TOKEN)

      expect((await repo.authSessions.getByToken(TOKEN))!.id).toBe(session.id)
      expect(await repo.authSessions.getByToken('wrong-token-0123456789abcdef')).toBeNull()
      await expectCode(repo.authSessions.create({ userId: user.id, token: TOKEN, ttlMs: 1000 }), 'CONFLICT')
      await expectCode(repo.authSessions.create({ userId: 'ghost', token: 'other-token-0123456789', ttlMs: 1000 }), 'NOT_FOUND')
      await expectCode(repo.authSessions.create({ userId: user.id, token: 'short', ttlMs: 1000 }), 'VALIDATION')
      await expectCode(repo.authSessions.create({ userId: user.id, token: 'other-token-0123456789', expiresAt: T0 - 1 }), 'VALIDATION')
      await expectCode(repo.authSessions.create({ userId: user.id, token: 'other-token-0123456789' } as never), 'VALIDATION')

      opened.clock.advance(30_000)
      await repo.authSessions.extend(TOKEN, { ttlMs: 60_000 })
      opened.clock.advance(59_999)
      expect(await repo.authSessions.getByToken(TOKEN)).not.toBeNull()
      opened.clock.advance(1)
      expect(await repo.authSessions.getByToken(TOKEN)).toBeNull()
      expect(await db.selectFrom('sessions').selectAll().execute()).toHaveLength(1) // read did not delete
      await expectCode(repo.authSessions.extend(TOKEN, { ttlMs: 1000 }), 'NOT_FOUND')
      expect(await repo.authSessions.listForUser(user.id)).toEqual([])
      expect(await repo.authSessions.pruneExpired()).toBe(1)
    })

    it('a validation error on a token never quotes it', async () => {
      ;({ repo } = await engine.open())
      for (const secret of ['short-secret', 'x'.repeat(600)]) {
        const error = await expectCode(repo.authSessions.getByToken(secret), 'VALIDATION')
        expect(error.message).not.toContain(secret.slice(0, 12))
        expect(error.cause).toBeUndefined()
      }
    })

    it('revokes one session or all of a user', async () => {
      ;({ repo } = await engine.open())
      const user = await repo.users.create({ email: 'u@x.io' })
      const org = await repo.organizations.create({ name: 'O' })
      await repo.authSessions.create({ userId: user.id, token: TOKEN, ttlMs: 60_000 })
      await repo.authSessions.create({ userId: user.id, token: TOKEN + '2', ttlMs: 60_000 })
      expect((await repo.authSessions.setActiveOrganization(TOKEN, org.id)).activeOrganizationId).toBe(org.id)
      await expectCode(repo.authSessions.setActiveOrganization(TOKEN, 'nowhere'), 'NOT_FOUND')
      expect(await repo.authSessions.revoke(TOKEN)).toBe(true)
      expect(await repo.authSessions.revoke(TOKEN)).toBe(false)
      expect(await repo.authSessions.revokeAllForUser(user.id)).toBe(1)
    })

    it('a verification value is single-use and expiring, even under concurrent consumers', async () => {
      // A budget for the serialization retries that a loaded machine cannot exhaust.
      const opened = await engine.open({ busyTimeoutMs: 60_000 })
      repo = opened.repo
      await repo.verifications.create({ identifier: 'email:u@x.io', value: '839201', ttlMs: 600_000 })
      expect(await repo.verifications.consume('email:u@x.io', '000000')).toBe(false)
      const results = await Promise.all(Array.from({ length: 8 }, () => repo.verifications.consume('email:u@x.io', '839201')))
      expect(results.filter(Boolean)).toHaveLength(1)
      await repo.verifications.create({ identifier: 'email:u@x.io', value: '123456', ttlMs: 1000 })
      opened.clock.advance(1000)
      expect(await repo.verifications.consume('email:u@x.io', '123456')).toBe(false)
      expect(await repo.verifications.pruneExpired()).toBe(1)
    })
  })
}

for (const engine of ENGINES) {
  describe(`signaldock organizations and claim codes [${engine.name}]`, () => {
    it('organizations: unique slugs, idempotent agent grants', async () => {
      ;({ repo } = await engine.open())
      const org = await repo.organizations.create({ name: 'Acme', slug: 'acme', metadata: { plan: 'pro' } })
      await expectCode(repo.organizations.create({ name: 'Other', slug: 'acme' }), 'CONFLICT')
      await expectCode(repo.organizations.create({ name: 'Other', ownerId: 'ghost' }), 'NOT_FOUND')
      expect((await repo.organizations.getBySlug('acme'))!.metadata).toEqual({ plan: 'pro' })
      await repo.agents.register({ agentId: 'a', name: 'A' })
      await expectCode(repo.organizations.grantAgent({ organizationId: org.id, agentId: 'zz', createdBy: 'me' }), 'NOT_FOUND')
      await expectCode(repo.organizations.grantAgent({ organizationId: 'nope', agentId: 'a', createdBy: 'me' }), 'NOT_FOUND')
      const first = await repo.organizations.grantAgent({ organizationId: org.id, agentId: 'a', createdBy: 'me' })
      const second = await repo.organizations.grantAgent({ organizationId: org.id, agentId: 'a', createdBy: 'me' })
      expect(second.id).toBe(first.id)
      expect((await repo.organizations.listAgentKeys({ agentId: 'a' })).map((k) => k.organizationId)).toEqual([org.id])
      expect(await repo.organizations.revokeAgent(org.id, 'a')).toBe(true)
      expect(await repo.organizations.revokeAgent(org.id, 'a')).toBe(false)
      expect((await repo.organizations.update(org.id, { name: 'Acme Inc' })).name).toBe('Acme Inc')
      await expectCode(repo.organizations.update('nope', { name: 'x' }), 'NOT_FOUND')
    })

    it('a claim code is single-use: exactly one of many concurrent redeemers wins, and owns the agent', async () => {
      ;({ repo } = await engine.open({ busyTimeoutMs: 60_000 }))
      await repo.agents.register({ agentId: 'bot', name: 'Bot' })
      const users = await Promise.all(Array.from({ length: 6 }, (_, i) => repo.users.create({ email: `u${i}@x.io` })))
      const { code, claimCode } = await repo.claimCodes.create({ agentId: 'bot', ttlMs: 60_000 })
      expect(code).toMatch(/^[0-9A-Z]{20}$/)
      expect(claimCode.state).toBe('pending')
      const outcomes = await Promise.allSettled(users.map((u) => repo.claimCodes.redeem(code, u.id)))
      const winners = outcomes.filter((o) => o.status === 'fulfilled')
      expect(winners).toHaveLength(1)
      for (const o of outcomes) {
        if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'CONFLICT', details: { reason: 'used' } })
      }
      const winner = (winners[0] as PromiseFulfilledResult<{ agentId: string; claimCode: { usedBy: string | null } }>).value
      expect(winner.agentId).toBe('bot')
      expect((await repo.agents.get('bot'))!.ownerId).toBe(winner.claimCode.usedBy)
      expect((await repo.claimCodes.list('bot'))[0]!.state).toBe('used')
    })

    it('claim codes expire; unknown codes and users are NOT_FOUND', async () => {
      const opened = await engine.open()
      repo = opened.repo
      await repo.agents.register({ agentId: 'bot', name: 'Bot' })
      const user = await repo.users.create({ email: 'u@x.io' })
      await expectCode(repo.claimCodes.create({ agentId: 'ghost', ttlMs: 1000 }), 'NOT_FOUND')
      const { code } = await repo.claimCodes.create({ agentId: 'bot', code: 'my-chosen-code-12345', expiresAt: T0 + 1000 })
      await expectCode(repo.claimCodes.create({ agentId: 'bot', code: 'my-chosen-code-12345', ttlMs: 1000 }), 'CONFLICT')
      await expectCode(repo.claimCodes.redeem(code, 'ghost-user'), 'NOT_FOUND')
      await expectCode(repo.claimCodes.redeem('unknown-code-0000000', user.id), 'NOT_FOUND')
      opened.clock.advance(1000)
      const expired = await expectCode(repo.claimCodes.redeem(code, user.id), 'CONFLICT')
      expect(expired.details?.['reason']).toBe('expired')
      expect((await repo.claimCodes.list('bot'))[0]!.state).toBe('expired')
      expect((await repo.agents.get('bot'))!.ownerId).toBeNull()
      expect(await repo.claimCodes.pruneExpired()).toBe(1)
    })
  })
}

for (const engine of ENGINES) {
  describe(`signaldock races between processes [${engine.name}]`, () => {
    it('a claim code redeemed by several processes at once: exactly one wins and owns the agent', async () => {
      const target = engine.target()
      repo = await openTarget(target)
      await repo.agents.register({ agentId: 'bot', name: 'Bot' })
      const users = []
      for (let i = 0; i < 4; i++) users.push(await repo.users.create({ email: `p${i}@x.io` }))
      const { code } = await repo.claimCodes.create({ agentId: 'bot', ttlMs: 10 * 60_000 })
      const gate = startGate(4)
      const runs = await Promise.all(users.map((user) => runFixture('signaldock-redeem.ts', [JSON.stringify(target), gate, code, user.id])))
      const results = runs.map((run) => JSON.parse(run.stdout.trim()) as { ok: boolean; code?: string; reason?: string; message?: string })
      const winners = results.filter((r) => r.ok)
      expect(winners, JSON.stringify(results)).toHaveLength(1)
      for (const loser of results.filter((r) => !r.ok)) expect(loser, JSON.stringify(loser)).toMatchObject({ code: 'CONFLICT', reason: 'used' })
      const [claim] = await repo.claimCodes.list('bot')
      expect(claim!.state).toBe('used')
      expect((await repo.agents.get('bot'))!.ownerId).toBe(claim!.usedBy)
      expect(users.map((u) => u.id)).toContain(claim!.usedBy)
    })
  })

  describe(`signaldock ordering [${engine.name}]`, () => {
    it('orders and pages text byte-wise, as SQLite does, whatever the server collation', async () => {
      ;({ repo } = await engine.open())
      for (const name of ['beta', 'Alpha', 'alpha', '_x', 'Zed', 'émile']) await repo.organizations.create({ name })
      expect((await repo.organizations.list()).map((o) => o.name)).toEqual(['Alpha', 'Zed', '_x', 'alpha', 'beta', 'émile'])
      for (const agentId of ['ab', 'a_b', 'a.b', 'a-b', 'a0']) await repo.agents.register({ agentId, name: agentId })
      expect((await repo.agents.list()).map((a) => a.agentId)).toEqual(['a-b', 'a.b', 'a0', 'a_b', 'ab'])
      expect((await repo.agents.list({ after: 'a.b', limit: 2 })).map((a) => a.agentId)).toEqual(['a0', 'a_b'])
      for (const email of ['b@x.io', 'a_b@x.io', 'a-b@x.io']) await repo.users.create({ email })
      expect((await repo.users.list()).map((u) => u.email)).toEqual(['a-b@x.io', 'a_b@x.io', 'b@x.io'])
    })
  })
}
