import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import type { WarpChainDefinitionInput } from '../../src/index.js'
import { warpChainDefinitionHash } from '../../src/index.js'
import { WarpChainDefinitionSchema } from '../../src/schemas.js'
import { expectCode } from '../helpers.js'
import { NEXUS_ENGINES, openNexus } from './open-nexus.js'

const FEATURE: WarpChainDefinitionInput = {
  stages: [{ id: 'plan', gates: [{ id: 'approved' }] }, { id: 'build', gates: [{ id: 'tests' }, { id: 'lint', required: false }] }, { id: 'ship' }],
  links: [
    { from: 'plan', to: 'build' },
    { from: 'build', to: 'ship' },
  ],
  entryPoint: 'plan',
  exitPoints: ['ship'],
  variables: { branch: { type: 'string', required: true } },
}

function problemsOf(definition: unknown): Array<{ path: PropertyKey[]; message: string }> {
  const result = WarpChainDefinitionSchema.safeParse(definition)
  return result.success ? [] : result.error.issues.map((i) => ({ path: i.path, message: i.message }))
}

describe('warp chain definitions', () => {
  it('accepts a sound graph and applies defaults', () => {
    const parsed = WarpChainDefinitionSchema.parse(FEATURE)
    expect(parsed.stages[1]?.gates).toEqual([
      { id: 'tests', required: true },
      { id: 'lint', required: false },
    ])
    expect(parsed.stages[2]?.gates).toEqual([])
  })

  it.each([
    ['a cycle', { ...FEATURE, links: [...FEATURE.links!, { from: 'ship', to: 'plan' }] }, /cycle/],
    ['an unknown stage in a link', { ...FEATURE, links: [{ from: 'plan', to: 'nowhere' }] }, /unknown stage "nowhere"/],
    ['an unknown entry point', { ...FEATURE, entryPoint: 'start' }, /unknown stage "start"/],
    ['an unknown exit point', { ...FEATURE, exitPoints: ['done'] }, /unknown stage "done"/],
    ['an unreachable stage', { ...FEATURE, stages: [...FEATURE.stages, { id: 'orphan' }], exitPoints: ['ship', 'orphan'] }, /not reachable/],
    ['a dead end', { ...FEATURE, stages: [...FEATURE.stages, { id: 'stuck' }], links: [...FEATURE.links!, { from: 'plan', to: 'stuck' }] }, /cannot reach an exit/],
    ['a duplicate stage', { ...FEATURE, stages: [...FEATURE.stages, { id: 'plan' }] }, /duplicate stage id/],
    ['a duplicate gate', { ...FEATURE, stages: [{ id: 'plan', gates: [{ id: 'g' }, { id: 'g' }] }, { id: 'build' }, { id: 'ship' }] }, /duplicate gate id/],
    ['a self-link', { ...FEATURE, links: [...FEATURE.links!, { from: 'build', to: 'build' }] }, /links to itself/],
    ['a default of the wrong type', { ...FEATURE, variables: { n: { type: 'number', default: 'x' } } }, /not a number/],
    ['an unknown key', { ...FEATURE, script: 'rm -rf /' }, /Unrecognized key/],
  ])('rejects %s', (_name, definition, message) => {
    const problems = problemsOf(definition)
    expect(problems.length).toBeGreaterThan(0)
    expect(problems.map((p) => p.message).join('\n')).toMatch(message)
  })

  it('accepts every DAG where all stages lie on a path from the entry to an exit (property)', () => {
    // Stages 0..n-1 in topological order; 0 is the entry, n-1 the exit; every stage i>0
    // gets a link from some j<i, every stage i<n-1 a link to some k>i.
    const dag = fc.integer({ min: 1, max: 12 }).chain((n) =>
      fc.tuple(
        fc.constant(n),
        fc.array(fc.nat(), { minLength: n, maxLength: n }),
        fc.array(fc.nat(), { minLength: n, maxLength: n }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 20 }),
      ),
    )
    fc.assert(
      fc.property(dag, ([n, from, to, extra]) => {
        const edges = new Set<string>()
        for (let i = 1; i < n; i++) edges.add(`${from[i]! % i}>${i}`)
        for (let i = 0; i < n - 1; i++) edges.add(`${i}>${i + 1 + (to[i]! % (n - 1 - i))}`)
        for (const [a, b] of extra) {
          const [x, y] = [a % n, b % n]
          if (x < y) edges.add(`${x}>${y}`)
        }
        const definition = {
          stages: Array.from({ length: n }, (_, i) => ({ id: `s${i}` })),
          links: [...edges].map((e) => {
            const [x, y] = e.split('>')
            return { from: `s${x}`, to: `s${y}` }
          }),
          entryPoint: 's0',
          exitPoints: [`s${n - 1}`],
        }
        expect(problemsOf(definition)).toEqual([])
        // …and adding any back edge closes a cycle.
        if (n > 1) {
          const cyclic = { ...definition, links: [...definition.links, { from: `s${n - 1}`, to: 's0' }] }
          expect(problemsOf(cyclic).some((p) => /cycle/.test(p.message))).toBe(true)
        }
      }),
      { numRuns: 200 },
    )
  })

  it('hashes definitions independently of key order', () => {
    const a = WarpChainDefinitionSchema.parse(FEATURE)
    const b = WarpChainDefinitionSchema.parse({ variables: FEATURE.variables, exitPoints: FEATURE.exitPoints, entryPoint: 'plan', links: FEATURE.links, stages: FEATURE.stages })
    expect(warpChainDefinitionHash(a as never)).toBe(warpChainDefinitionHash(b as never))
  })
})

describe.each(NEXUS_ENGINES)('nexus.chains (%s)', (engine) => {
  it('versions definitions: the same definition is idempotent, a different one adds a version', async () => {
    const nexus = await openNexus(engine)
    const v1 = await nexus.chains.define({ name: 'feature', definition: FEATURE, description: 'ship a feature' })
    expect(v1).toMatchObject({ name: 'feature', version: 1, description: 'ship a feature' })
    expect(v1.definition.entryPoint).toBe('plan')
    const same = await nexus.chains.define({ name: 'feature', definition: { ...FEATURE } })
    expect(same.id).toBe(v1.id)
    const v2 = await nexus.chains.define({ name: 'feature', definition: { ...FEATURE, exitPoints: ['ship', 'build'] } })
    expect(v2.version).toBe(2)
    expect((await nexus.chains.versions('feature')).map((c) => c.version)).toEqual([1, 2])
    expect((await nexus.chains.getByName('feature')).id).toBe(v2.id)
    expect((await nexus.chains.getByName('feature', 1)).id).toBe(v1.id)
    expect(await nexus.chains.get(v1.id)).toEqual(v1)
    await nexus.chains.define({ name: 'hotfix', definition: { stages: [{ id: 'fix' }], entryPoint: 'fix', exitPoints: ['fix'] } })
    expect((await nexus.chains.list()).map((c) => `${c.name}@${c.version}`)).toEqual(['feature@2', 'hotfix@1'])
    await expectCode(nexus.chains.getByName('feature', 9), 'NOT_FOUND')
    await expectCode(nexus.chains.get('00000000-0000-7000-8000-000000000000'), 'NOT_FOUND')
  })

  it('lists the newest version of each chain by name, byte-wise on either engine', async () => {
    const nexus = await openNexus(engine)
    const one = { stages: [{ id: 'a' }], entryPoint: 'a', exitPoints: ['a'] }
    for (const name of ['deploy', 'Deploy', 'ärger', '_ops', 'build']) await nexus.chains.define({ name, definition: one })
    await nexus.chains.define({ name: 'build', definition: { ...one, stages: [{ id: 'a', description: 'v2' }] } })
    expect((await nexus.chains.list()).map((c) => `${c.name}@${c.version}`)).toEqual(['Deploy@1', '_ops@1', 'build@2', 'deploy@1', 'ärger@1'])
  })

  it('refuses an invalid definition before writing, naming the field', async () => {
    const nexus = await openNexus(engine)
    const error = await expectCode(nexus.chains.define({ name: 'bad', definition: { ...FEATURE, entryPoint: 'nope' } }), 'VALIDATION')
    expect(error.details?.['path']).toEqual(['definition', 'entryPoint'])
    expect(await nexus.chains.list()).toEqual([])
  })

  it('keeps versions immutable in SQL, and refuses to delete a version with instances', async () => {
    const nexus = await openNexus(engine)
    const chain = await nexus.chains.define({ name: 'feature', definition: FEATURE })
    await expectCode(nexus.kysely.updateTable('warp_chains').set({ definition_json: '{}' }).execute(), 'INVARIANT')
    await nexus.kysely.updateTable('warp_chains').set({ description: 'edited' }).execute()
    const run = await nexus.instances.create({ chainId: chain.id, variables: { branch: 'b' } })
    await expectCode(nexus.chains.remove(chain.id), 'INVARIANT')
    await nexus.instances.remove(run.id)
    expect(await nexus.chains.remove(chain.id)).toBe(true)
    expect(await nexus.chains.remove(chain.id)).toBe(false)
  })
})
