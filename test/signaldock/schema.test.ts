import { sql } from 'kysely'
import type { Kysely } from 'kysely'
import { DummyDriver, Kysely as KyselyClass, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'

import { signaldockMigrations } from '../../migrations/signaldock/index.js'
import { migrationChecksum } from '../../src/sqlite/migrate.js'
import type { SignaldockRepository } from '../../src/signaldock/signaldock-repository.js'
import {
  AGENT_AVAILABILITY_STATES,
  AGENT_CLASSES,
  AGENT_INSTALL_SOURCES,
  AGENT_PRESENCES,
  AGENT_PRIVACY_TIERS,
  AGENT_TIERS,
  AGENT_TRANSPORT_TYPES,
  CAPABILITY_CATEGORIES,
  SIGNALDOCK_USER_ROLES,
  SKILL_CATEGORIES,
  SKILL_SOURCES,
} from '../../src/signaldock/signaldock.schemas.js'
import { expectCode } from '../helpers.js'
import { ENGINES, T0 } from './helpers.js'

let repo: SignaldockRepository
afterEach(async () => {
  await repo?.close()
})

async function raw(r: SignaldockRepository): Promise<Kysely<any>> {
  return r.kysely as unknown as Kysely<any>
}

function agentRow(agentId: string, extra: Record<string, unknown> = {}) {
  return { id: `id-${agentId}`, agent_id: agentId, name: agentId, created_at: T0, updated_at: T0, ...extra }
}

for (const engine of ENGINES) {
  describe(`signaldock.db schema [${engine.name}]`, () => {
    it('migrates to the latest migration and passes an integrity check', async () => {
      ;({ repo } = await engine.open())
      expect(repo.schemaVersion).toBe('0005_strict_agent_availability')
      expect((await repo.integrityCheck()).ok).toBe(true)
    })

    it('every enum of the schemas is accepted by its CHECK, and nothing else is', async () => {
      ;({ repo } = await engine.open())
      const db = await raw(repo)
      const columns: Array<[string, readonly string[]]> = [
        ['class', AGENT_CLASSES],
        ['privacy_tier', AGENT_PRIVACY_TIERS],
        ['status', AGENT_PRESENCES],
        ['transport_type', AGENT_TRANSPORT_TYPES],
        ['tier', AGENT_TIERS],
        ['installed_from', AGENT_INSTALL_SOURCES],
      ]
      let n = 0
      for (const [column, values] of columns) {
        for (const value of values) await db.insertInto('agents').values(agentRow(`a${n++}`, { [column]: value })).execute()
        await expectCode(db.insertInto('agents').values(agentRow(`a${n++}`, { [column]: 'bogus' })).execute(), 'INVARIANT')
      }
      for (const [table, values] of [
        ['capabilities', CAPABILITY_CATEGORIES],
        ['skills', SKILL_CATEGORIES],
      ] as const) {
        for (const value of values) {
          await db.insertInto(table).values({ id: `${table}-${value}`, slug: `${table}-${value}`, name: value, category: value, created_at: T0 }).execute()
        }
        await expectCode(db.insertInto(table).values({ id: 'x', slug: 'x', name: 'x', category: 'bogus', created_at: T0 }).execute(), 'INVARIANT')
      }
      await db.insertInto('skills').values({ id: 's', slug: 's', name: 's', created_at: T0 }).execute()
      for (const source of SKILL_SOURCES) {
        await db.deleteFrom('agent_skills').execute()
        await db.insertInto('agent_skills').values({ agent_id: 'id-a0', skill_id: 's', source, attached_at: T0 }).execute()
      }
      await expectCode(
        db.insertInto('agent_skills').values({ agent_id: 'id-a1', skill_id: 's', source: 'bogus', attached_at: T0 }).execute(),
        'INVARIANT',
      )
      for (const role of SIGNALDOCK_USER_ROLES) {
        await db.insertInto('users').values({ id: role, email: `${role}@x.io`, role, created_at: T0, updated_at: T0 }).execute()
      }
      await expectCode(
        db.insertInto('users').values({ id: 'u', email: 'u@x.io', role: 'root', created_at: T0, updated_at: T0 }).execute(),
        'INVARIANT',
      )
      expect(AGENT_AVAILABILITY_STATES).toEqual(['available', 'degraded', 'unavailable'])
    })

    it('checks booleans, ranges, hashes and availability consistency', async () => {
      ;({ repo } = await engine.open())
      const db = await raw(repo)
      await expectCode(db.insertInto('agents').values(agentRow('b1', { is_active: 2 })).execute(), 'INVARIANT')
      await expectCode(db.insertInto('agents').values(agentRow('b2', { can_spawn: -1 })).execute(), 'INVARIANT')
      await expectCode(db.insertInto('agents').values(agentRow('b3', { orch_level: 3 })).execute(), 'INVARIANT')
      await expectCode(db.insertInto('agents').values(agentRow('b4', { api_key_hash: 'abc' })).execute(), 'INVARIANT')
      await expectCode(db.insertInto('agents').values(agentRow('b5', { reports_to: 'b5' })).execute(), 'INVARIANT')
      await expectCode(db.insertInto('agents').values(agentRow('')).execute(), 'INVARIANT')
      await db.insertInto('agents').values(agentRow('ok')).execute()
      const av = (values: Record<string, unknown>) =>
        db.insertInto('agent_availability').values({ agent_id: 'id-ok', updated_at: T0, ...values }).execute()
      await expectCode(av({ state: 'unavailable', reason: 'x' }), 'INVARIANT') // no until
      await expectCode(av({ state: 'degraded' }), 'INVARIANT') // no reason
      await expectCode(av({ state: 'available', reason: 'x' }), 'INVARIANT')
      await expectCode(av({ state: 'asleep', reason: 'x' }), 'INVARIANT')
      await av({ state: 'degraded', reason: 'slow' })
    })

    it('slugs, emails, tokens and junction pairs are unique', async () => {
      ;({ repo } = await engine.open())
      const db = await raw(repo)
      await db.insertInto('agents').values(agentRow('dup')).execute()
      await expectCode(db.insertInto('agents').values({ ...agentRow('dup'), id: 'other' }).execute(), 'CONFLICT')
      await db.insertInto('capabilities').values({ id: 'c1', slug: 'chat', name: 'chat', created_at: T0 }).execute()
      await expectCode(db.insertInto('capabilities').values({ id: 'c2', slug: 'chat', name: 'chat', created_at: T0 }).execute(), 'CONFLICT')
      await db.insertInto('agent_capabilities').values({ agent_id: 'id-dup', capability_id: 'c1' }).execute()
      await expectCode(db.insertInto('agent_capabilities').values({ agent_id: 'id-dup', capability_id: 'c1' }).execute(), 'CONFLICT')
      await db.insertInto('users').values({ id: 'u1', email: 'a@x.io', slug: 's', created_at: T0, updated_at: T0 }).execute()
      await expectCode(db.insertInto('users').values({ id: 'u2', email: 'a@x.io', created_at: T0, updated_at: T0 }).execute(), 'CONFLICT')
      await expectCode(db.insertInto('users').values({ id: 'u3', email: 'b@x.io', slug: 's', created_at: T0, updated_at: T0 }).execute(), 'CONFLICT')
      await db.insertInto('organization').values({ id: 'o1', name: 'O', slug: 'o', created_at: T0, updated_at: T0 }).execute()
      await expectCode(db.insertInto('organization').values({ id: 'o2', name: 'O', slug: 'o', created_at: T0, updated_at: T0 }).execute(), 'CONFLICT')
    })

    it('deleting an agent with junction rows cascades to every dependent table (CLEO failed here)', async () => {
      ;({ repo } = await engine.open())
      const db = await raw(repo)
      await repo.users.create({ email: 'owner@x.io' })
      const org = await repo.organizations.create({ name: 'Org' })
      await repo.agents.register({ agentId: 'victim', name: 'V', capabilities: ['chat'], skills: ['ts'] })
      await repo.agents.register({ agentId: 'bystander', name: 'B', capabilities: ['chat'], skills: ['ts'] })
      await repo.connections.connect({ agentId: 'victim', connectionId: 'c1' })
      await repo.claimCodes.create({ agentId: 'victim', ttlMs: 60_000 })
      await repo.organizations.grantAgent({ organizationId: org.id, agentId: 'victim', createdBy: 'me' })
      await repo.availability.markDegraded('victim', { reason: 'slow' })
      const count = async (table: string) =>
        Number((await db.selectFrom(table).select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n)
      expect(await count('agent_capabilities')).toBe(2)

      // Plain DELETE with foreign keys ON: no constraint blocks it.
      await db.deleteFrom('agents').where('agent_id', '=', 'victim').execute()
      for (const table of ['agent_connections', 'claim_codes', 'org_agent_keys', 'agent_availability']) {
        expect(await count(table), table).toBe(0)
      }
      expect(await count('agent_capabilities')).toBe(1)
      expect(await count('agent_skills')).toBe(1)
      expect(await count('capabilities')).toBe(1) // the catalogue stays
      expect((await repo.integrityCheck()).foreignKeyViolations).toEqual([])
    })

    it('deleting a user or an organization sets owners to null and cascades their own rows', async () => {
      ;({ repo } = await engine.open())
      const user = await repo.users.create({ email: 'owner@x.io' })
      const org = await repo.organizations.create({ name: 'Org', ownerId: user.id })
      await repo.agents.register({ agentId: 'a', name: 'A', ownerId: user.id, organizationId: org.id })
      await repo.accounts.link({ userId: user.id, providerId: 'github', accountId: '1' })
      await repo.sessions.create({ userId: user.id, token: 't'.repeat(32), ttlMs: 60_000, activeOrganizationId: org.id })
      await repo.organizations.grantAgent({ organizationId: org.id, agentId: 'a', createdBy: user.id })

      expect(await repo.organizations.remove(org.id)).toBe(true)
      expect((await repo.agents.get('a'))!.organizationId).toBeNull()
      expect(await repo.organizations.listAgentKeys()).toEqual([])
      expect((await repo.sessions.getByToken('t'.repeat(32)))!.activeOrganizationId).toBeNull()

      expect(await repo.users.remove(user.id)).toBe(true)
      expect((await repo.agents.get('a'))!.ownerId).toBeNull()
      expect(await repo.accounts.listForUser(user.id)).toEqual([])
      expect(await repo.sessions.getByToken('t'.repeat(32))).toBeNull()
      expect((await repo.integrityCheck()).ok).toBe(true)
    })
  })
}

describe('signaldock migrations, compiled per dialect', () => {
  it('the migration compiles for PostgreSQL without SQLite-only syntax', async () => {
    const statements: string[] = []
    const pg = new KyselyClass<any>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createDriver: () => new DummyDriver(),
        createIntrospector: (db) => new PostgresIntrospector(db),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
      log: (event) => {
        if (event.level === 'query') statements.push(event.query.sql)
      },
    })
    for (const name of Object.keys(signaldockMigrations).sort()) await signaldockMigrations[name]!.up(pg)
    const text = statements.join(';\n')
    expect(statements.length).toBeGreaterThan(20)
    for (const forbidden of [/\bstrict\b/i, /json_valid/i, /unixepoch/i, /strftime/i, /datetime\(/i, /autoincrement/i, /\bglob\b/i, /"?integer"? primary key/i]) {
      expect(text).not.toMatch(forbidden)
    }
    // Epoch-ms columns are bigint (a PostgreSQL integer would overflow).
    expect(text).toMatch(/"created_at" bigint not null/)
    expect(text).not.toMatch(/_at" integer/)
    // Text columns sort byte-wise on PostgreSQL too, whatever the database's collation.
    expect(text).toMatch(/"agent_id" text collate "C" not null unique/)
    expect(text).not.toMatch(/" text(?! collate "C")/)
  })

  it('the dialect switches leave the SQLite emission, and so the checksums, as released', async () => {
    // Checksums of the releases before issue 11 (SHA-256 of the SQL emitted on SQLite).
    expect(await migrationChecksum(signaldockMigrations['0001_initial']!)).toBe('1efc9fdd1cd3eb48393b508bc963ef6c14d5ee84d3ec0ab1bfb61fab329c427e')
    expect(await migrationChecksum(signaldockMigrations['0002_identity']!)).toBe('8c398bc2b80aafe56ef6c6694ce6fa1df9a1ae8b238b92b509d158349ee1095e')
  })
})
