/**
 * Issue 14, items 7, 8 and 12 (paths): every text is well-formed Unicode, every
 * hostile shape (deep nesting, cycles, oversize, NUL) is a typed VALIDATION that
 * names the field — never a raw RangeError, INTERNAL or INVARIANT — and nothing is
 * written. The structural guard's limits are the exported INPUT_LIMITS.
 */
import type { Kysely } from 'kysely'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { CleoWorkspace, INPUT_LIMITS } from '../../src/index.js'
import type { CleoStoreError } from '../../src/index.js'
import { expectCode, tempDir } from '../helpers.js'

let ws: CleoWorkspace

beforeAll(async () => {
  ws = await CleoWorkspace.open(tempDir(), { inMemory: true, telemetry: true })
  await ws.agents.register({ agentId: 'agent-a', name: 'A', attach: true })
  await ws.agents.register({ agentId: 'agent-b', name: 'B', attach: true })
})

afterAll(async () => {
  await ws.close()
})

async function rows(store: { kysely: unknown }, table: string): Promise<number> {
  const k = store.kysely as Kysely<any>
  const row = await k.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  return Number(row.n)
}

function nested(depth: number, leaf: unknown = 1, asArray = true): unknown {
  let value: unknown = leaf
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { x: value }
  return value
}

function circular(): Record<string, unknown> {
  const a: Record<string, unknown> = { name: 'loop' }
  a['self'] = { back: a }
  return a
}

describe('item 7: text is well-formed Unicode everywhere', () => {
  it('agentRefs.attach refuses a lone surrogate, so two ids can no longer collide into one ref', async () => {
    const before = await rows(ws.conduit, 'project_agent_refs')
    const first = await expectCode(ws.conduit.agentRefs.attach('bob\uD800'), 'VALIDATION')
    await expectCode(ws.conduit.agentRefs.attach('bob\uDBFF'), 'VALIDATION')
    expect(first.details?.['path']).toEqual(['agentId'])
    expect(first.message).toMatch(/well-formed Unicode/)
    expect(await rows(ws.conduit, 'project_agent_refs')).toBe(before)
  })

  it('queues and dedup keys with lone surrogates are refused, naming the field', async () => {
    const queue = await expectCode(ws.conduit.queue.enqueue({ queue: 'q\uD800', payload: 1 }), 'VALIDATION')
    expect(queue.details?.['path']).toEqual(['queue'])
    const dedup = await expectCode(ws.conduit.queue.enqueue({ queue: 'q', payload: 1, dedupKey: 'k\uDC00' }), 'VALIDATION')
    expect(dedup.details?.['path']).toEqual(['dedupKey'])
    await expectCode(ws.conduit.queue.claim(1, { owner: 'w', leaseMs: 1000, queue: 'q\uDC00' }), 'VALIDATION')
  })

  it('well-formed text, astral characters included, round-trips exactly', async () => {
    const title = 'emoji 🚀 and 𝄞 and é'
    const task = await ws.tasks.create({ title })
    expect((await ws.tasks.get(task.id))!.title).toBe(title)
  })

  const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code))
  const withLone = fc
    .tuple(fc.string({ maxLength: 20 }), lone, fc.string({ maxLength: 20 }))
    // A high surrogate directly followed by a low one is a valid pair: keep it lone.
    .filter(([a, s, b]) => !(/[\uD800-\uDBFF]$/.test(a) && s >= '\uDC00') && !(s < '\uDC00' && /^[\uDC00-\uDFFF]/.test(b)))
    .map(([a, s, b]) => `a${a}${s}${b}`.replace(/\0/g, ''))

  const FIELDS: Array<[string, ReadonlyArray<string | number>, (text: string) => Promise<unknown>]> = [
    ['tasks.create title', ['title'], (t) => ws.tasks.create({ title: t })],
    ['tasks.create description', ['description'], (t) => ws.tasks.create({ title: 'x', description: t })],
    ['tasks.create labels', ['labels', 0], (t) => ws.tasks.create({ title: 'x', labels: [t] })],
    ['brain.record insight', ['insight'], (t) => ws.brain.record({ kind: 'learning', insight: t, source: 's', confidence: 0.5 })],
    ['conduit.messages.send content', ['content'], (t) => ws.conduit.messages.send({ from: 'agent-a', to: 'agent-b', content: t })],
    ['conduit.queue.enqueue payload', ['payload', 'note'], (t) => ws.conduit.queue.enqueue({ queue: 'q', payload: { note: t } })],
    ['conduit.queue.enqueue payload key', ['payload'], (t) => ws.conduit.queue.enqueue({ queue: 'q', payload: { [t]: 1 } })],
    ['nexus.audit.append action', ['action'], (t) => ws.nexus.audit.append({ action: t })],
    ['nexus.audit.append details', ['details', 'why'], (t) => ws.nexus.audit.append({ action: 'a', details: { why: t } })],
    ['signaldock.agents.register name', ['name'], (t) => ws.signaldock.agents.register({ agentId: 'u1', name: t })],
    ['signaldock.agents.register transportConfig', ['transportConfig', 'k'], (t) => ws.signaldock.agents.register({ agentId: 'u1', name: 'U', transportConfig: { k: t } })],
    ['signaldock.agents.update description', ['description'], (t) => ws.signaldock.agents.update('agent-a', { description: t })],
  ]

  it('a lone surrogate anywhere in every text field is VALIDATION naming that field, and writes nothing', { timeout: 60_000 }, async () => {
    const counts = async () => [
      await rows(ws.tasks, 'tasks'),
      await rows(ws.brain, 'brain_memories').catch(() => -1),
      await rows(ws.conduit, 'messages'),
      await rows(ws.conduit, 'delivery_jobs').catch(() => -1),
      await rows(ws.nexus, 'nexus_audit_log').catch(() => -1),
      await rows(ws.signaldock, 'agents'),
    ]
    const before = await counts()
    for (const [name, path, call] of FIELDS) {
      await fc.assert(
        fc.asyncProperty(withLone, async (text) => {
          const error = await expectCode(call(text), 'VALIDATION')
          expect(error.details?.['path'], name).toEqual(path)
        }),
        { numRuns: 20 },
      )
    }
    expect(await counts()).toEqual(before)
  })
})

describe('item 8: hostile shapes are VALIDATION', () => {
  const METHODS: Record<string, (input: unknown) => Promise<unknown>> = {
    'tasks.create': (i) => ws.tasks.create(i as never),
    'tasks.update': (i) => ws.tasks.update('T1', i as never),
    'tasks.dependencies.add': (i) => ws.tasks.dependencies.add(i as never, 'T1'),
    'tasks.relations.add': (i) => ws.tasks.relations.add(i as never),
    'tasks.sessions.start': (i) => ws.tasks.sessions.start(i as never),
    'tasks.sessions.upsert': (i) => ws.tasks.sessions.upsert(i as never),
    'tasks.claims.claim': (i) => ws.tasks.claims.claim('T1', i as never),
    'brain.stickyNotes.add': (i) => ws.brain.stickyNotes.add(i as never),
    'conduit.queue.claim': (i) => ws.conduit.queue.claim(3, i as never),
    'conduit.attachments.create': (i) => ws.conduit.attachments.create(i as never),
    'signaldock.connections.connect': (i) => ws.signaldock.connections.connect(i as never),
    'signaldock.agents.update': (i) => ws.signaldock.agents.update('agent-a', i as never),
    'brain.record': (i) => ws.brain.record(i as never),
    'conduit.messages.send': (i) => ws.conduit.messages.send(i as never),
    'conduit.queue.enqueue': (i) => ws.conduit.queue.enqueue(i as never),
    'conduit.agentRefs.attach': (i) => ws.conduit.agentRefs.attach(i as never),
    'signaldock.agents.register': (i) => ws.signaldock.agents.register(i as never),
    'agents.register': (i) => ws.agents.register(i as never),
    'nexus.projects.register': (i) => ws.nexus.projects.register(i as never),
    'nexus.audit.append': (i) => ws.nexus.audit.append(i as never),
    'telemetry.record': (i) => ws.telemetry!.record(i as never),
  }

  it('an array or object nested 10,000 deep is VALIDATION for every mutating method (never a raw RangeError)', async () => {
    for (const [name, call] of Object.entries(METHODS)) {
      for (const input of [nested(10_000), nested(10_000, 1, false), { title: nested(10_000) }]) {
        const error = await expectCode(call(input), 'VALIDATION').catch((e: unknown) => {
          throw new Error(`${name}: ${String(e)}`)
        })
        expect(error.details?.['rule'], name).toBe('depth')
      }
    }
  })

  it('a circular object in transportConfig, connection metadata or audit details is VALIDATION naming the field', async () => {
    const t = await expectCode(ws.signaldock.agents.register({ agentId: 'cyc', name: 'C', transportConfig: circular() as never }), 'VALIDATION')
    expect(t.details).toMatchObject({ rule: 'cycle', path: ['transportConfig', 'self', 'back'] })
    const m = await expectCode(ws.signaldock.connections.connect({ agentId: 'agent-a', connectionId: 'c1', metadata: circular() as never }), 'VALIDATION')
    expect(m.details).toMatchObject({ rule: 'cycle', path: ['metadata', 'self', 'back'] })
    const d = await expectCode(ws.nexus.audit.append({ action: 'x', details: circular() }), 'VALIDATION')
    expect(d.details).toMatchObject({ rule: 'cycle', path: ['details', 'self', 'back'] })
    expect(await ws.signaldock.agents.get('cyc')).toBeNull()
  })

  it('a shared (non-circular) sub-object is fine', async () => {
    const shared = { a: 1 }
    await ws.nexus.audit.append({ action: 'shared', details: { one: shared, two: shared } })
  })

  it('JSON deeper than SQLite can index is VALIDATION (not INVARIANT) as a queue payload or audit details; the limit itself is accepted', async () => {
    const before = await rows(ws.conduit, 'delivery_jobs').catch(() => 0)
    const payload = await expectCode(ws.conduit.queue.enqueue({ queue: 'deep', payload: nested(1_001) }), 'VALIDATION')
    expect(payload.details).toMatchObject({ rule: 'depth', limit: INPUT_LIMITS.maxDepth })
    const details = await expectCode(ws.nexus.audit.append({ action: 'deep', details: { d: nested(1_001, 1, false) } }), 'VALIDATION')
    expect((details.details?.['path'] as unknown[]).slice(0, 2)).toEqual(['details', 'd'])
    expect(await rows(ws.conduit, 'delivery_jobs').catch(() => 0)).toBe(before)
    // Exactly at the limit (the payload itself counts as one level).
    await ws.conduit.queue.enqueue({ queue: 'deep', payload: nested(INPUT_LIMITS.maxDepth - 1) })
    await expectCode(ws.conduit.queue.enqueue({ queue: 'deep', payload: nested(INPUT_LIMITS.maxDepth) }), 'VALIDATION')
  })

  it('more values than the size limit is VALIDATION with the limit in details', async () => {
    const big = new Array(INPUT_LIMITS.maxValues + 1).fill(0)
    const error = await expectCode(ws.conduit.queue.enqueue({ queue: 'big', payload: big }), 'VALIDATION')
    expect(error.details).toMatchObject({ rule: 'size', limit: INPUT_LIMITS.maxValues })
  })

  it("a title of '\\0' (or any text holding U+0000) is VALIDATION naming the field, not INVARIANT", async () => {
    const error = await expectCode(ws.tasks.create({ title: '\0' }), 'VALIDATION')
    expect(error.details?.['path']).toEqual(['title'])
    const inner = await expectCode(ws.tasks.create({ title: 'a\0b' }), 'VALIDATION')
    expect(inner.details?.['path']).toEqual(['title'])
    const msg = await expectCode(ws.conduit.messages.send({ from: 'agent-a', to: 'agent-b', content: 'x\0' }), 'VALIDATION')
    expect(msg.details?.['path']).toEqual(['content'])
  })

  it('the guard never quotes the value it refused', async () => {
    const secret = 'sk_live_' + 'f'.repeat(40)
    const error: CleoStoreError = await expectCode(
      ws.signaldock.agents.register({ agentId: 'x1', name: 'X', transportConfig: { token: `${secret}\uD800` } }),
      'VALIDATION',
    )
    expect(JSON.stringify({ m: error.message, d: error.details })).not.toContain(secret)
  })
})

describe('item 12: details.path names the field', () => {
  it('an unknown key gives the key as the path', async () => {
    const error = await expectCode(ws.tasks.create({ title: 'x', bogus: 1 } as never), 'VALIDATION')
    expect(error.details?.['path']).toEqual(['bogus'])
    const inner = await expectCode(ws.nexus.projects.list({ health: 'healthy', orderby: 'name' } as never), 'VALIDATION')
    expect(inner.details?.['path']).toEqual(['orderby'])
    const deeper = await expectCode(ws.signaldock.agents.register({ agentId: 'k1', name: 'K', apikey: 'sk_live_typo_secret' } as never), 'VALIDATION')
    expect(JSON.stringify({ m: deeper.message, d: deeper.details })).not.toContain('sk_live_typo_secret')
    expect(deeper.cause === undefined || !JSON.stringify(deeper.cause).includes('sk_live_typo_secret')).toBe(true)
    expect(deeper.details?.['path']).toEqual(['apikey'])
  })

  it('a bad agentId in agents.register names agentId', async () => {
    const error = await expectCode(ws.agents.register({ agentId: 'Not A Slug', name: 'N', apiKey: 'k' }), 'VALIDATION')
    expect(error.details?.['path']).toEqual(['agentId'])
    const noKey = await expectCode(ws.agents.register({ agentId: 'Not A Slug', name: 'N' }), 'VALIDATION')
    expect(noKey.details?.['path']).toEqual(['agentId'])
  })

  it('a refused Date is not printed as a valid-looking date', async () => {
    const record = (validAt: unknown) =>
      ws.brain.record({ kind: 'learning', insight: 'i', source: 's', confidence: 0.5, validAt } as never)
    const before1970 = await expectCode(record(new Date(-1)), 'VALIDATION')
    expect(before1970.details?.['path']).toEqual(['validAt'])
    expect(before1970.message).not.toMatch(/got "?\d{4}-\d{2}-\d{2}T/)
    expect(before1970.message).toMatch(/Date/)
    const invalid = await expectCode(record(new Date(Number.NaN)), 'VALIDATION')
    expect(invalid.message).toMatch(/Invalid Date/)
  })
})
