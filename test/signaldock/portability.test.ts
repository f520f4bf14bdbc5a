/**
 * SignaldockRepository runs unchanged on PostgreSQL (the contract suites run every
 * aggregate on a real server when the run has one). This suite needs no server: it
 * runs every aggregate through a Kysely plugin that compiles each query the
 * repository issues with Kysely's PostgreSQL compiler too, and checks the SQL for
 * SQLite-only constructs.
 */
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, UnknownRow } from 'kysely'
import { PostgresQueryCompiler } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'

import { AccountTokenSealer, defaultCipherSource, sealLegacyAccountTokens } from '../../src/signaldock/account-tokens.js'
import { AgentAvailabilities } from '../../src/signaldock/agent-availability.js'
import { AgentCatalog } from '../../src/signaldock/agent-catalog.js'
import { AgentConnections } from '../../src/signaldock/agent-connections.js'
import { SignaldockAgents } from '../../src/signaldock/agents.js'
import { AuthSessions, Verifications } from '../../src/signaldock/auth-sessions.js'
import { ClaimCodes } from '../../src/signaldock/claim-codes.js'
import { Organizations } from '../../src/signaldock/organizations.js'
import type { SignaldockContext } from '../../src/signaldock/signaldock-context.js'
import type { SignaldockRepository } from '../../src/signaldock/signaldock-repository.js'
import { AuthAccounts, SignaldockUsers } from '../../src/signaldock/users.js'
import { uuidv7Generator } from '../../src/sqlite/ids.js'
import { openSignaldock } from './helpers.js'

class PostgresShadow implements KyselyPlugin {
  readonly sql: string[] = []
  readonly #compiler = new PostgresQueryCompiler()
  transformQuery(args: PluginTransformQueryArgs) {
    this.sql.push(this.#compiler.compileQuery(args.node, args.queryId).sql)
    return args.node
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result
  }
}

let repo: SignaldockRepository
afterEach(async () => {
  await repo?.close()
})

describe('portability of the repository SQL', () => {
  it('every query compiles for PostgreSQL and uses no SQLite-only function', async () => {
    const opened = await openSignaldock()
    repo = opened.repo
    const shadow = new PostgresShadow()
    const kysely = repo.kysely.withPlugin(shadow)
    const ctx: SignaldockContext = {
      kysely,
      clock: opened.clock,
      newId: uuidv7Generator(opened.clock),
      errors: { store: 'signaldock', file: ':memory:' },
      transaction: (fn) => kysely.transaction().execute(fn),
    }
    const agents = new SignaldockAgents(ctx)
    const capabilities = new AgentCatalog(ctx, 'capabilities')
    const skills = new AgentCatalog(ctx, 'skills')
    const connections = new AgentConnections(ctx)
    const users = new SignaldockUsers(ctx)
    const sealer = new AccountTokenSealer(defaultCipherSource(':memory:'), ctx.errors)
    const accounts = new AuthAccounts(ctx, sealer)
    const sessions = new AuthSessions(ctx)
    const verifications = new Verifications(ctx)
    const organizations = new Organizations(ctx)
    const claimCodes = new ClaimCodes(ctx)
    const availability = new AgentAvailabilities(ctx)

    await capabilities.define({ slug: 'chat', category: 'communication' })
    await capabilities.define({ slug: 'chat', description: 'talks' })
    await skills.define({ slug: 'ts', category: 'language' })
    const user = await users.create({ email: 'a@b.io', slug: 'ada', metadata: { x: 1 } })
    await users.update(user.id, { name: 'Ada' })
    await users.ban(user.id, { reason: 'spam', until: opened.clock() + 1000 })
    await users.unban(user.id)
    await users.getByEmail('A@B.io')
    await users.list()
    const org = await organizations.create({ name: 'Org', slug: 'org', ownerId: user.id })
    await organizations.update(org.id, { logo: 'x' })
    await organizations.getBySlug('org')
    await organizations.list()
    await agents.register({ agentId: 'a', name: 'A', ownerId: user.id, organizationId: org.id, capabilities: ['chat', 'new'], skills: ['ts'] })
    await agents.register({ agentId: 'a', name: 'A2', capabilities: [], skills: [] })
    await agents.register({ agentId: 'b', name: 'B', capabilities: ['chat'] })
    await agents.update('a', { class: 'code_dev', paymentConfig: { plan: 'x' } })
    await agents.list({ active: true, capability: 'chat', skill: 'ts', class: 'custom', tier: 'global', after: 'a', limit: 5 })
    await agents.list({ agentIds: ['a', 'b'], organizationId: org.id, ownerId: user.id, privacyTier: 'public', transportType: 'http' })
    await agents.markUsed('a')
    await agents.deactivate('b')
    await agents.getByApiKeyHash('0'.repeat(64))
    await connections.connect({ agentId: 'a', connectionId: 'c', metadata: { k: 1 } })
    await connections.connect({ agentId: 'a', connectionId: 'c' })
    await connections.heartbeat('a', 'c')
    await connections.list('a')
    await connections.pruneStale({ olderThanMs: 1 })
    await connections.disconnect('a', 'c')
    await accounts.link({ userId: user.id, providerId: 'gh', accountId: '1', accessToken: 'x' })
    await accounts.link({ userId: user.id, providerId: 'gh', accountId: '1', accessToken: 'y' })
    await accounts.get('gh', '1')
    await sealLegacyAccountTokens(ctx, sealer)
    await accounts.listForUser(user.id)
    await accounts.unlink('gh', '1')
    const token = 't'.repeat(32)
    await sessions.create({ userId: user.id, token, ttlMs: 10_000 })
    await sessions.getByToken(token)
    await sessions.extend(token, { ttlMs: 20_000 })
    await sessions.setActiveOrganization(token, org.id)
    await sessions.listForUser(user.id)
    await sessions.revoke(token)
    await sessions.revokeAllForUser(user.id)
    await sessions.pruneExpired()
    await verifications.create({ identifier: 'e', value: '123456', ttlMs: 1000 })
    await verifications.consume('e', '123456')
    await verifications.pruneExpired()
    const { code } = await claimCodes.create({ agentId: 'a', ttlMs: 1000 })
    await claimCodes.redeem(code, user.id)
    await claimCodes.list('a')
    await claimCodes.pruneExpired()
    await organizations.grantAgent({ organizationId: org.id, agentId: 'a', createdBy: user.id })
    await organizations.listAgentKeys({ organizationId: org.id, agentId: 'a' })
    await organizations.revokeAgent(org.id, 'a')
    await availability.markUnavailable('a', { reason: 'x', forMs: 1000 })
    await availability.markDegraded('a', { reason: 'y' })
    await availability.markAvailable('a')
    await availability.get('a')
    await availability.list({ state: 'available' })
    await availability.selectAgent(['a', 'b', 'zzz'], { allowDegraded: true })
    await capabilities.remove('new')
    await agents.remove('b')
    await organizations.remove(org.id)
    await users.remove(user.id)

    expect(shadow.sql.length).toBeGreaterThan(80)
    const forbidden = [
      /json_\w+\(/i,
      /\bstrftime\b/i,
      /\bdatetime\(/i,
      /\bunixepoch\b/i,
      /\bifnull\(/i,
      /\bgroup_concat\b/i,
      /\bglob\b/i,
      /\binsert or\b/i,
      /\breplace into\b/i,
      /\blike\b/i,
      /\?/, // every parameter must be bound, not inlined
      /\browid\b/i,
    ]
    for (const text of shadow.sql) {
      for (const pattern of forbidden) expect(text, text).not.toMatch(pattern)
    }
  })
})
