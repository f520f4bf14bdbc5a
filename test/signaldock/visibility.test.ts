import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import type { AgentVisibilityRef } from '../../src/signaldock/agent-visibility.js'
import { visibleAgents } from '../../src/signaldock/agent-visibility.js'
import { expectCode } from '../helpers.js'

interface Agent {
  agentId: string
  name: string
}

/** ADR-037 written as the naive nested-loop join it describes. */
function naive(agents: Agent[], refs: AgentVisibilityRef[], global: boolean, includeDisabled: boolean) {
  const rows: Array<{ agentId: string; ref: AgentVisibilityRef | null; attached: boolean }> = []
  for (const agent of agents) {
    let counted: AgentVisibilityRef | null = null
    let attached = false
    for (const ref of refs) {
      if (ref.agentId !== agent.agentId) continue
      if (ref.enabled) attached = true
      if (ref.enabled || includeDisabled) counted = ref
    }
    if (global || counted !== null) rows.push({ agentId: agent.agentId, ref: counted, attached })
  }
  return rows.sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0))
}

describe('visibleAgents', () => {
  const id = fc.string({ minLength: 1, maxLength: 3, unit: fc.constantFrom('a', 'b', 'c', '-', '1') })
  const agents = fc.uniqueArray(fc.record({ agentId: id, name: fc.string({ maxLength: 4 }) }), { selector: (a) => a.agentId, maxLength: 12 })
  const refs = fc.uniqueArray(
    fc.record({ agentId: id, enabled: fc.boolean(), role: fc.option(fc.constantFrom('lead', 'worker'), { nil: null }) }),
    { selector: (r) => r.agentId, maxLength: 12 },
  )

  it('equals a naive join for random agent and ref sets, under every option', () => {
    fc.assert(
      fc.property(agents, refs, fc.boolean(), fc.boolean(), (as, rs, global, includeDisabled) => {
        const got = visibleAgents(as, rs, { global, includeDisabled }).map((row) => ({
          agentId: row.agent.agentId,
          ref: row.ref,
          attached: row.attached,
        }))
        expect(got).toEqual(naive(as, rs, global, includeDisabled))
      }),
      { numRuns: 500 },
    )
  })

  it('returns the agent objects themselves and drops dangling refs', () => {
    const agent = { agentId: 'cleo', name: 'Cleo', extra: 1 }
    const rows = visibleAgents([agent], [
      { agentId: 'cleo', enabled: true },
      { agentId: 'ghost', enabled: true },
    ])
    expect(rows).toHaveLength(1)
    expect(rows[0]!.agent).toBe(agent)
    expect(visibleAgents([], [{ agentId: 'ghost', enabled: true }], { global: true, includeDisabled: true })).toEqual([])
  })

  it('default, includeDisabled and global views', () => {
    const all = [{ agentId: 'a' }, { agentId: 'b' }, { agentId: 'c' }]
    const rs = [
      { agentId: 'a', enabled: true },
      { agentId: 'b', enabled: false },
    ]
    expect(visibleAgents(all, rs).map((r) => r.agent.agentId)).toEqual(['a'])
    expect(visibleAgents(all, rs, { includeDisabled: true }).map((r) => [r.agent.agentId, r.attached])).toEqual([
      ['a', true],
      ['b', false],
    ])
    expect(visibleAgents(all, rs, { global: true }).map((r) => [r.agent.agentId, r.attached, r.ref?.agentId ?? null])).toEqual([
      ['a', true, 'a'],
      ['b', false, null],
      ['c', false, null],
    ])
  })

  it('refuses duplicate ids instead of picking one silently, naming the list and the id', async () => {
    const agentsError = await expectCode(() => visibleAgents([{ agentId: 'a' }, { agentId: 'a' }], []), 'VALIDATION')
    expect(agentsError.store).toBe('signaldock')
    expect(agentsError.details).toEqual({ agentId: 'a', kind: 'agents' })
    expect(agentsError.message).toContain('visibleAgents: two agents share the agent id "a"')
    const refsError = await expectCode(
      () =>
        visibleAgents(
          [{ agentId: 'a' }],
          [
            { agentId: 'a', enabled: true },
            { agentId: 'a', enabled: false },
          ],
        ),
      'VALIDATION',
    )
    expect(refsError.details).toEqual({ agentId: 'a', kind: 'refs' })
    expect(refsError.message).toContain('visibleAgents: two refs share the agent id "a"')
  })

  it('orders the rows by agent id whatever the input order (a long shuffled list)', () => {
    const ids = Array.from({ length: 300 }, (_, i) => `agent-${String(i).padStart(3, '0')}`)
    // A fixed permutation (i * 7 mod 300 visits every index once): no randomness in the test.
    const shuffled = ids.map((_, i) => ({ agentId: ids[(i * 7) % 300]! }))
    const reversed = [...ids].reverse().map((agentId) => ({ agentId }))
    for (const agents of [shuffled, reversed]) {
      expect(visibleAgents(agents, [], { global: true }).map((row) => row.agent.agentId)).toEqual(ids)
      const refs = agents.filter((_, i) => i % 3 === 0).map((a) => ({ agentId: a.agentId, enabled: true }))
      expect(visibleAgents(agents, refs).map((row) => row.agent.agentId)).toEqual(refs.map((r) => r.agentId).sort())
    }
  })
})
