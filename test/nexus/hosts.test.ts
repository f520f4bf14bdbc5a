/**
 * nexus shared by hosts (issue 21, item 3): several repositories — each with its own
 * pool, as separate hosts — and several processes on one PostgreSQL schema, writing
 * at once. Writes run SERIALIZABLE and a lost race is retried whole, so what each
 * operation reads is what it writes on: no registration, audit row, gate result or
 * chain version is lost or doubled, and refusals are the typed ones SQLite gives one
 * writer at a time. No timing: the concurrent calls are started together and every
 * interleaving must end in the asserted state.
 */
import { describe, expect, it } from 'vitest'

import type { NexusRepository, WarpChainDefinitionInput } from '../../src/index.js'
import { resolveProjectPath } from '../../src/index.js'
import { runFixture, startGate, tempDir } from '../helpers.js'
import { POSTGRES_URL } from '../postgres/pg-test-schemas.js'
import { openNexusSharingSchema } from './open-nexus.js'

const HOSTS = 4

const CHAIN: WarpChainDefinitionInput = {
  stages: [{ id: 'plan', gates: [{ id: 'approved' }] }, { id: 'ship' }],
  links: [{ from: 'plan', to: 'ship' }],
  entryPoint: 'plan',
  exitPoints: ['ship'],
}

/** Every entry of the audit log, through its keyset pages (small pages: several of them). */
async function allAudit(nexus: NexusRepository) {
  const entries = []
  for await (const entry of nexus.audit.iterate({ limit: 3, order: 'asc' })) entries.push(entry)
  return entries
}

/** The codes of the rejected calls, sorted. */
function rejectedCodes(outcomes: readonly PromiseSettledResult<unknown>[]): string[] {
  return outcomes
    .filter((o): o is PromiseRejectedResult => o.status === 'rejected')
    .map((o) => String((o.reason as { code?: string }).code))
    .sort()
}

describe.skipIf(POSTGRES_URL === null)('nexus shared by hosts (PostgreSQL)', () => {
  it('hosts registering one project at one path at once: one row, one registered, the others refreshed, one audit row', async () => {
    const { hosts } = await openNexusSharingSchema(HOSTS)
    const dir = tempDir()
    for (let round = 0; round < 3; round++) {
      const id = `p${round}`
      const outcomes = await Promise.all(hosts.map((nexus) => nexus.projects.register({ projectId: id, path: `${dir}/${round}` })))
      expect(outcomes.map((o) => o.outcome).sort(), `round ${round}`).toEqual(['refreshed', 'refreshed', 'refreshed', 'registered'])
      expect(outcomes.every((o) => o.evicted.length === 0)).toBe(true)
    }
    expect(await hosts[0]!.projects.count()).toBe(3)
    const audit = await allAudit(hosts[1]!)
    expect(audit.map((e) => `${e.action} ${e.projectId}`).sort()).toEqual(['project.registered p0', 'project.registered p1', 'project.registered p2'])
  }, 120_000)

  it('hosts registering different projects at one path at once: the path keeps one, every other is evicted once, audited', async () => {
    const { hosts } = await openNexusSharingSchema(HOSTS)
    const path = resolveProjectPath(tempDir())
    const ids = hosts.map((_, i) => `h${i}`)
    const outcomes = await Promise.all(hosts.map((nexus, i) => nexus.projects.register({ projectId: ids[i]!, path })))
    expect(outcomes.every((o) => o.outcome === 'registered')).toBe(true)
    const rows = await hosts[0]!.projects.list()
    expect(rows).toHaveLength(1)
    const survivor = rows[0]!.id
    // What the calls say they evicted is what the log says: every id but the survivor, once each.
    const evicted = outcomes.flatMap((o) => o.evicted).sort()
    expect(evicted).toEqual(ids.filter((id) => id !== survivor).sort())
    const audit = await allAudit(hosts[2]!)
    expect(audit.filter((e) => e.action === 'project.registered').map((e) => e.projectId).sort()).toEqual([...ids].sort())
    const evictions = audit.filter((e) => e.action === 'project.evicted')
    expect(evictions.map((e) => e.projectId).sort()).toEqual(evicted)
    expect(evictions.every((e) => e.details?.['path'] === path)).toBe(true)
    // Each eviction names the project that took the path from its victim: one chain, as if
    // the hosts had registered one after another, from the first registered to the survivor.
    const next = new Map(evictions.map((e) => [e.projectId!, String(e.details?.['replacedBy'])]))
    const first = ids.filter((id) => ![...next.values()].includes(id))
    expect(first).toHaveLength(1)
    const chain = [first[0]!]
    while (next.has(chain.at(-1)!)) chain.push(next.get(chain.at(-1)!)!)
    expect(chain).toHaveLength(HOSTS)
    expect(chain.at(-1)).toBe(survivor)
  }, 120_000)

  it('a warp chain instance moves once: concurrent starts give one active and INVARIANT, stale versions CONFLICT, gate results all kept', async () => {
    const { hosts } = await openNexusSharingSchema(HOSTS)
    const chain = await hosts[0]!.chains.define({ name: 'release', definition: CHAIN })
    const run = await hosts[0]!.instances.create({ chainId: chain.id })

    const starts = await Promise.allSettled(hosts.map((nexus) => nexus.instances.start(run.id)))
    expect(starts.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
    expect(rejectedCodes(starts)).toEqual(['INVARIANT', 'INVARIANT', 'INVARIANT'])
    const started = await hosts[1]!.instances.get(run.id)
    expect(started).toMatchObject({ status: 'active', version: 2 })

    const assigned = await Promise.allSettled(
      hosts.map((nexus, i) => nexus.instances.assignTask(run.id, { stage: 'ship', taskId: `T${i}`, expectedVersion: started.version })),
    )
    expect(assigned.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
    expect(rejectedCodes(assigned)).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT'])

    // Read-modify-write of the gate results from every host: none is lost.
    const rounds = 3
    await Promise.all(
      hosts.map(async (nexus, i) => {
        for (let r = 0; r < rounds; r++) await nexus.instances.recordGate(run.id, { stage: 'plan', gate: 'approved', result: 'pass', by: `host-${i}`, note: String(r) })
      }),
    )
    const after = await hosts[2]!.instances.get(run.id)
    expect(after.gateResults).toHaveLength(HOSTS * rounds)
    expect(after.version).toBe(3 + HOSTS * rounds)
    for (let i = 0; i < HOSTS; i++) {
      // Each host's results in the order it recorded them.
      expect(after.gateResults.filter((g) => g.by === `host-${i}`).map((g) => g.note)).toEqual(['0', '1', '2'])
    }

    const advanced = await Promise.allSettled(hosts.map((nexus) => nexus.instances.advance(run.id, { to: 'ship' })))
    expect(advanced.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
    // Once in `ship` there is no link on: the others are refused by the rules, not lost.
    expect(rejectedCodes(advanced)).toEqual(['INVARIANT', 'INVARIANT', 'INVARIANT'])
    const completed = await Promise.allSettled(hosts.map((nexus) => nexus.instances.complete(run.id)))
    expect(completed.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
    expect(rejectedCodes(completed)).toEqual(['INVARIANT', 'INVARIANT', 'INVARIANT'])
    expect(await hosts[3]!.instances.get(run.id)).toMatchObject({ status: 'completed', currentStage: 'ship', version: 5 + HOSTS * rounds })
  }, 120_000)

  it('hosts defining one chain name at once get consecutive versions; the same definition is one version', async () => {
    const { hosts } = await openNexusSharingSchema(HOSTS)
    const defined = await Promise.all(
      hosts.map((nexus, i) => nexus.chains.define({ name: 'feature', definition: { ...CHAIN, exitPoints: ['ship'], variables: { [`v${i}`]: { type: 'string' } } } })),
    )
    expect(defined.map((c) => c.version).sort()).toEqual([1, 2, 3, 4])
    expect((await hosts[0]!.chains.versions('feature')).map((c) => c.id)).toEqual([...defined].sort((a, b) => a.version - b.version).map((c) => c.id))
    const same = await Promise.all(hosts.map((nexus) => nexus.chains.define({ name: 'hotfix', definition: CHAIN })))
    expect(new Set(same.map((c) => c.id)).size).toBe(1)
    expect((await hosts[1]!.chains.list()).map((c) => `${c.name}@${c.version}`)).toEqual(['feature@4', 'hotfix@1'])
  }, 120_000)

  it('processes registering, recording gates and appending audit rows at once: nothing lost or doubled', async () => {
    const { hosts, schema } = await openNexusSharingSchema(1)
    const [nexus] = hosts
    const chain = await nexus!.chains.define({ name: 'release', definition: CHAIN })
    const run = await nexus!.instances.create({ chainId: chain.id })
    await nexus!.instances.start(run.id)
    const path = resolveProjectPath(tempDir())
    const processes = Array.from({ length: HOSTS }, (_, i) => `host-${i}`)
    const rounds = 5
    const gate = startGate(processes.length)
    const target = JSON.stringify({ postgres: POSTGRES_URL, schema })
    const outputs = await Promise.all(processes.map((host) => runFixture('nexus-host.ts', [target, gate, host, path, run.id, String(rounds)])))
    const results = outputs.map((o) => JSON.parse(o.stdout.trim()) as { ok: boolean; outcome?: string; message?: string })
    for (const r of results) expect(r.ok, r.message).toBe(true)
    expect(results.map((r) => r.outcome).sort()).toEqual(['refreshed', 'refreshed', 'refreshed', 'registered'])

    expect((await nexus!.projects.list()).map((p) => [p.id, p.path])).toEqual([['shared', path]])
    const after = await nexus!.instances.get(run.id)
    expect(after.gateResults).toHaveLength(HOSTS * rounds)
    expect(after.version).toBe(2 + HOSTS * rounds)
    for (const host of processes) expect(after.gateResults.filter((g) => g.by === host).map((g) => g.note)).toEqual(['0', '1', '2', '3', '4'])
    const audit = await allAudit(nexus!)
    expect(new Set(audit.map((e) => e.id)).size).toBe(audit.length)
    expect(audit.filter((e) => e.action === 'project.registered').map((e) => e.projectId)).toEqual(['shared'])
    for (const host of processes) {
      expect(audit.filter((e) => e.action === 'host.step' && e.source === host).map((e) => e.details?.['step']).sort()).toEqual([0, 1, 2, 3, 4])
    }
  }, 240_000)
})
