/**
 * Properties of the pure rules and of input validation: any input either passes
 * or is refused with VALIDATION (naming a path) before anything is written.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import {
  CreateTaskSchema,
  TASK_STATUS_TRANSITIONS,
  TASK_STATUSES,
  TASK_TYPES,
  TaskIdSchema,
  canTransitionTask,
  inferTaskType,
  retypeForParent,
  taskParentAllowed,
} from '../../src/tasks/index.js'
import { isCleoStoreError } from '../../src/sqlite/errors.js'
import { countRows, openTasks } from './open-tasks.js'

const status = fc.constantFrom(...TASK_STATUSES)
const type = fc.constantFrom(...TASK_TYPES)
const parent = fc.option(type, { nil: null })

describe('task rules (pure)', () => {
  it('a status may always stay; terminal statuses only reopen to pending', () => {
    fc.assert(
      fc.property(status, status, (from, to) => {
        expect(canTransitionTask(from, from)).toBe(true)
        if (from !== to) expect(canTransitionTask(from, to)).toBe(TASK_STATUS_TRANSITIONS[from].includes(to))
        if ((from === 'done' || from === 'cancelled') && from !== to) expect(canTransitionTask(from, to)).toBe(to === 'pending')
      }),
    )
  })

  it('an inferred or retyped type always fits its parent', () => {
    fc.assert(
      fc.property(type, parent, (current, parentType) => {
        const inferred = inferTaskType(parentType)
        if (inferred !== null) expect(taskParentAllowed(inferred, parentType)).toBe(true)
        else expect(parentType).toBe('subtask')
        const retyped = retypeForParent(current, parentType)
        if (retyped !== null) expect(taskParentAllowed(retyped, parentType)).toBe(true)
        if (current === 'epic' && retyped !== null) expect(retyped).toBe('epic')
      }),
    )
  })

  it('task ids are T followed by a number without leading zeros', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(TaskIdSchema.safeParse(text).success).toBe(/^T[1-9][0-9]{0,15}$/.test(text))
      }),
    )
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (n) => {
        expect(TaskIdSchema.parse(`T${n}`)).toBe(`T${n}`)
      }),
    )
  })
})

describe('input validation (property)', () => {
  it('create: any input passes, or fails with VALIDATION and writes nothing', async () => {
    const { tasks } = await openTasks()
    const junk = fc.oneof(
      fc.anything(),
      fc.record(
        {
          title: fc.oneof(fc.string({ maxLength: 250 }), fc.integer(), fc.constant(null)),
          priority: fc.oneof(fc.constantFrom('critical', 'high', 'low', 'urgent'), fc.integer()),
          labels: fc.oneof(fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), fc.string()),
          parentId: fc.oneof(fc.constant('T0'), fc.constant('x'), fc.constant(null)),
          status: fc.constantFrom('pending', 'done', 'proposed', 'archived'),
        },
        { requiredKeys: [] },
      ),
    )
    await fc.assert(
      fc.asyncProperty(junk, async (input) => {
        const before = await countRows(tasks, 'tasks')
        const audits = await countRows(tasks, 'audit_log')
        const valid = CreateTaskSchema.safeParse(input).success
        try {
          await tasks.create(input as never)
          expect(valid).toBe(true)
          expect(await countRows(tasks, 'tasks')).toBe(before + 1)
        } catch (error) {
          expect(isCleoStoreError(error, 'VALIDATION') || isCleoStoreError(error, 'INVARIANT'), String(error)).toBe(true)
          if (isCleoStoreError(error, 'VALIDATION')) {
            expect(valid).toBe(false)
            expect(Array.isArray(error.details?.path)).toBe(true)
          }
          expect(await countRows(tasks, 'tasks')).toBe(before)
          expect(await countRows(tasks, 'audit_log')).toBe(audits)
        }
      }),
      { numRuns: 150 },
    )
  })
})
