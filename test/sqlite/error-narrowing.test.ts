/**
 * Typed errors that narrow (issue 15 item 3): `isCleoStoreError(e, code)` narrows
 * `e.code` and `e.details`; search hits narrow by kind. The type-level assertions
 * (`expectTypeOf`, `@ts-expect-error`) are checked by `tsc -p .`, which type-checks
 * this file; the runtime assertions run real failures through the same guards.
 */
import { describe, expect, expectTypeOf, it } from 'vitest'

import type {
  AnyCleoStoreError,
  BrainDecision,
  BrainSearchHit,
  BrainStickyNote,
  CleoStoreErrorCode,
  CleoStoreFieldPath,
  CleoStoreValidationIssue,
} from '../../src/index.js'
import { CleoStoreError, FeatureHashingEmbedder, isCleoStoreError } from '../../src/index.js'
import { openBrain, samples } from '../brain/brain-helpers.js'
import { openTasks } from '../tasks/open-tasks.js'

async function caught(action: Promise<unknown>): Promise<unknown> {
  try {
    await action
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

describe('isCleoStoreError narrows code and details', () => {
  it('with one code: code is that literal, details that code’s shape (CYCLE path from a real cycle)', async () => {
    const { tasks } = await openTasks()
    const a = await tasks.create({ title: 'a' })
    const b = await tasks.create({ title: 'b' })
    await tasks.dependencies.add(b.id, a.id)
    const error = await caught(tasks.dependencies.add(a.id, b.id))
    if (!isCleoStoreError(error, 'CYCLE')) throw new Error(`expected CYCLE, got ${String(error)}`)
    expectTypeOf(error.code).toEqualTypeOf<'CYCLE'>()
    expectTypeOf(error.details).toEqualTypeOf<CleoStoreError<'CYCLE'>['details']>()
    expectTypeOf(error.details!.path).toEqualTypeOf<readonly string[]>()
    // @ts-expect-error — a CYCLE error's code cannot be compared with another code
    expect(error.code === 'BUSY').toBe(false)
    expect(error.details?.path).toEqual([a.id, b.id, a.id])
    expect(error.details?.path.join(' → ')).toBe(`${a.id} → ${b.id} → ${a.id}`)
  })

  it('VALIDATION: details.path is a field path, details.issues lists every problem', async () => {
    const { tasks } = await openTasks()
    const error = await caught(tasks.create({ title: '' }))
    expect(isCleoStoreError(error, 'NOT_FOUND')).toBe(false)
    if (!isCleoStoreError(error, 'VALIDATION')) throw new Error(`expected VALIDATION, got ${String(error)}`)
    expectTypeOf(error.details!.path).toEqualTypeOf<CleoStoreFieldPath | undefined>()
    expectTypeOf(error.details!.issues).toEqualTypeOf<readonly CleoStoreValidationIssue[] | undefined>()
    expectTypeOf(error.details!.operation).toEqualTypeOf<string | undefined>()
    // Facts other than the typed ones are unknown until checked.
    expectTypeOf(error.details!['somethingElse']).toBeUnknown()
    expect(error.details?.path).toEqual(['title'])
    expect(error.details?.issues?.[0]?.path).toEqual(['title'])
    expect(typeof error.details?.issues?.[0]?.message).toBe('string')
  })

  it('NOT_FOUND, BUSY, LEASE_LOST and UNSUPPORTED details have their own shapes', () => {
    expectTypeOf<CleoStoreError<'NOT_FOUND'>['details']>().toEqualTypeOf<
      | ({ readonly [fact: string]: unknown } & { readonly id?: string | number; readonly kind?: string; readonly path?: CleoStoreFieldPath })
      | undefined
    >()
    expectTypeOf<NonNullable<CleoStoreError<'BUSY'>['details']>['attempts']>().toEqualTypeOf<number | undefined>()
    expectTypeOf<NonNullable<CleoStoreError<'BUSY'>['details']>['waitedMs']>().toEqualTypeOf<number | undefined>()
    expectTypeOf<NonNullable<CleoStoreError<'LEASE_LOST'>['details']>['token']>().toEqualTypeOf<string | number | null | undefined>()
    expectTypeOf<NonNullable<CleoStoreError<'UNSUPPORTED'>['details']>['missing']>().toEqualTypeOf<string | undefined>()
    // The constructor checks details against the code's shape.
    // @ts-expect-error — a CYCLE path is a list of ids, not a string
    void new CleoStoreError('CYCLE', 'x', { details: { path: 'a → b' } })
    // @ts-expect-error — BUSY attempts is a number
    void new CleoStoreError('BUSY', 'x', { details: { attempts: 'three' } })
    const busy = new CleoStoreError('BUSY', 'locked', { details: { attempts: 3, waitedMs: 120 } })
    expect(isCleoStoreError(busy, 'BUSY') && busy.details?.attempts).toBe(3)
  })

  it('with a list of codes: code is one of them', async () => {
    const { brain } = await openBrain()
    const error = await caught(brain.get('01890000-0000-7000-8000-000000000000'))
    if (!isCleoStoreError(error, ['NOT_FOUND', 'CLOSED'])) throw new Error(`expected NOT_FOUND, got ${String(error)}`)
    expectTypeOf(error.code).toEqualTypeOf<'NOT_FOUND' | 'CLOSED'>()
    expect(error.code).toBe('NOT_FOUND')
    expect(isCleoStoreError(error, ['BUSY', 'CLOSED'])).toBe(false)
    expect(isCleoStoreError(new Error('plain'), ['NOT_FOUND'])).toBe(false)
  })

  it('without a code: a union per code, so switch (error.code) narrows details', async () => {
    const { tasks } = await openTasks()
    const a = await tasks.create({ title: 'a' })
    await tasks.dependencies.add(a.id, (await tasks.create({ title: 'b' })).id)
    const errors = [
      await caught(tasks.dependencies.add(a.id, a.id)),
      await caught(tasks.create({ title: '' })),
      await caught(tasks.get('T999')),
      new Error('not ours'),
    ]
    const explain = (error: unknown): string => {
      if (!isCleoStoreError(error)) return 'foreign'
      expectTypeOf(error).toEqualTypeOf<AnyCleoStoreError>()
      expectTypeOf(error.code).toEqualTypeOf<CleoStoreErrorCode>()
      switch (error.code) {
        case 'CYCLE':
          expectTypeOf(error.details).toEqualTypeOf<CleoStoreError<'CYCLE'>['details']>()
          return `cycle ${error.details?.path.length}`
        case 'VALIDATION':
          return `validation ${error.details?.path?.join('.')}`
        case 'NOT_FOUND':
          return `not found`
        default:
          return error.code
      }
    }
    expect(errors.map(explain)).toEqual(['cycle 2', 'validation title', 'not found', 'foreign'])
  })
})

describe('search hits narrow by kind', () => {
  it('hit.kind === "decision" narrows hit.entry to a decision; "sticky" to a sticky note', async () => {
    const { brain } = await openBrain({ embedder: new FeatureHashingEmbedder() })
    await brain.record(samples.decision('Use SQLite WAL mode so readers never block the writer'))
    await brain.record(samples.learning('WAL readers see a snapshot'))
    await brain.stickyNotes.add({ content: 'WAL checkpoint starvation?' })
    const hits = await brain.search('wal')
    expectTypeOf(hits).toEqualTypeOf<BrainSearchHit[]>()
    const seen: string[] = []
    for (const hit of hits) {
      // @ts-expect-error — without narrowing, entry is any kind: `rationale` is not on every kind
      void hit.entry.rationale
      if (hit.kind === 'decision') {
        expectTypeOf(hit.entry).toEqualTypeOf<BrainDecision>()
        seen.push(`decision:${hit.entry.rationale.length > 0}`)
      } else if (hit.kind === 'sticky') {
        expectTypeOf(hit.entry).toEqualTypeOf<BrainStickyNote>()
        seen.push(`sticky:${hit.entry.content}`)
      } else if (hit.kind === 'learning') {
        seen.push(`learning:${hit.entry.insight}`)
      }
      expect(hit.entry.kind).toBe(hit.kind)
    }
    expect(seen.sort()).toEqual(['decision:true', 'learning:WAL readers see a snapshot', 'sticky:WAL checkpoint starvation?'])
  })
})
