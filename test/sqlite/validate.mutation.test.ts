/**
 * Input validation (`src/sqlite/validate.ts`) and the structural guard in front of it
 * (`src/sqlite/input-guard.ts`), to the detail a mutation run checks (issue 14 item 14):
 * the exact message and `details` of each refusal, what is quoted and what is redacted,
 * the boundaries of the guard's limits and the paths and indexes it reports.
 */
import { z } from 'zod'
import { describe, expect, it } from 'vitest'

import { inspectInput } from '../../src/sqlite/input-guard.js'
import { isSecretPath, quote, validate } from '../../src/sqlite/validate.js'
import { expectCode } from '../helpers.js'

const Title = z.object({ title: z.string() })

/** A schema whose only check is one custom issue at `path`. */
function issueAt(path: PropertyKey[]): z.ZodType {
  return z.unknown().superRefine((_value, ctx) => {
    ctx.addIssue({ code: 'custom', message: 'bad', path })
  })
}

describe('validate: what a refusal says', () => {
  it('names operation, path and rule, quotes the value, keeps the context and a cause', async () => {
    const error = await expectCode(
      () => validate(Title, { title: 7 }, 'tasks.create', { store: 'tasks', file: '/x/tasks.db' }),
      'VALIDATION',
    )
    expect(error.message).toBe('VALIDATION: tasks.create: title: Invalid input: expected string, received number (got 7)')
    expect(error.store).toBe('tasks')
    expect(error.file).toBe('/x/tasks.db')
    expect(error.details).toEqual({
      operation: 'tasks.create',
      path: ['title'],
      issues: [{ path: ['title'], message: 'Invalid input: expected string, received number' }],
    })
    expect(error.cause).toBeInstanceOf(z.ZodError)
  })

  it('calls the input itself "input" and prefixes `at` to every path', async () => {
    const bare = await expectCode(() => validate(z.string(), 5, 'op'), 'VALIDATION')
    expect(bare.message).toBe('VALIDATION: op: input: Invalid input: expected string, received number (got 5)')
    expect(bare.details?.['path']).toEqual([])
    const at = await expectCode(() => validate(Title, { title: 1 }, 'op', {}, { at: ['args', 0] }), 'VALIDATION')
    expect(at.message).toBe('VALIDATION: op: args.0.title: Invalid input: expected string, received number (got 1)')
    expect(at.details).toMatchObject({ path: ['args', 0, 'title'], issues: [{ path: ['args', 0, 'title'] }] })
  })

  it('returns the parsed value, defaults applied, when the input fits', () => {
    expect(validate(z.object({ n: z.number().default(3) }), {}, 'op', {}, { at: ['x'] })).toEqual({ n: 3 })
  })

  it('reports every issue, the first one in the message', async () => {
    const Two = z.object({ a: z.string(), b: z.number() })
    const error = await expectCode(() => validate(Two, { a: 1, b: 'x' }, 'op'), 'VALIDATION')
    expect(error.message).toBe('VALIDATION: op: a: Invalid input: expected string, received number (got 1)')
    expect(error.details?.['issues']).toEqual([
      { path: ['a'], message: 'Invalid input: expected string, received number' },
      { path: ['b'], message: 'Invalid input: expected number, received string' },
    ])
  })

  it('points an unknown key at the key and never quotes its value (a misspelt secret field)', async () => {
    const error = await expectCode(() => validate(z.strictObject({ a: z.string() }), { a: 'x', apikey: 'sk_1' }, 'op'), 'VALIDATION')
    expect(error.message).toBe('VALIDATION: op: apikey: Unrecognized key: "apikey"')
    expect(error.details?.['path']).toEqual(['apikey'])
  })

  it('renders a symbol in a path as text', async () => {
    const error = await expectCode(() => validate(issueAt([Symbol('s'), 'k']), 1, 'op'), 'VALIDATION')
    expect(error.message).toBe('VALIDATION: op: Symbol(s).k: bad (got undefined)')
    expect(error.details?.['path']).toEqual(['Symbol(s)', 'k'])
  })

  it('quotes nothing (undefined) when the path runs through a primitive or null', async () => {
    const through = await expectCode(() => validate(issueAt(['a', 'b', 'c']), { a: 's' }, 'op'), 'VALIDATION')
    expect(through.message).toBe('VALIDATION: op: a.b.c: bad (got undefined)')
    const nul = await expectCode(() => validate(issueAt(['a', 'b']), { a: null }, 'op'), 'VALIDATION')
    expect(nul.message).toBe('VALIDATION: op: a.b: bad (got undefined)')
    const found = await expectCode(() => validate(issueAt(['a', 'b']), { a: { b: 'v' } }, 'op'), 'VALIDATION')
    expect(found.message).toBe('VALIDATION: op: a.b: bad (got "v")')
  })
})

describe('validate: secrets', () => {
  const Key = z.object({ apiKey: z.string().length(4), title: z.string() })

  it('with { secret: true }: names the field and the rule only, no cause', async () => {
    const error = await expectCode(() => validate(z.string().length(4), 'sk_secret', 'agents.verify', { store: 's' }, { secret: true, at: ['key'] }), 'VALIDATION')
    expect(error.message).toBe('VALIDATION: agents.verify: key: Too big: expected string to have exactly 4 characters')
    expect(error.store).toBe('s')
    expect(error.cause).toBeUndefined()
    expect(error.details).toEqual({
      operation: 'agents.verify',
      path: ['key'],
      issues: [{ path: ['key'], message: 'Too big: expected string to have exactly 4 characters' }],
    })
  })

  it('an issue on a secret field, even not the first one, drops the quote and the cause', async () => {
    const error = await expectCode(() => validate(Key, { apiKey: 'sk_secret', title: 5 }, 'op', { store: 's' }), 'VALIDATION')
    expect(error.message).toBe('VALIDATION: op: apiKey: Too big: expected string to have exactly 4 characters')
    expect(error.cause).toBeUndefined()
    expect(error.store).toBe('s')
    expect(error.details).toEqual({
      operation: 'op',
      path: ['apiKey'],
      issues: [
        { path: ['apiKey'], message: 'Too big: expected string to have exactly 4 characters' },
        { path: ['title'], message: 'Invalid input: expected string, received number' },
      ],
    })
    const second = await expectCode(
      () => validate(z.object({ title: z.string(), token: z.string().length(2) }), { title: 5, token: 'tok_secret' }, 'op'),
      'VALIDATION',
    )
    expect(second.message).toBe('VALIDATION: op: title: Invalid input: expected string, received number')
    expect(second.cause).toBeUndefined()
  })

  it('isSecretPath: any string key of the path that names a secret field', () => {
    expect(isSecretPath(['config', 'apiKey'])).toBe(true)
    expect(isSecretPath(['apiKey', 0])).toBe(true)
    expect(isSecretPath(['config', 0])).toBe(false)
    expect(isSecretPath([])).toBe(false)
  })

  it('redacts secret fields inside a quoted object, and elides below four levels', async () => {
    const Shape = z.object({ a: z.string() })
    const secret = await expectCode(() => validate(Shape, { a: { token: 'tok_x', n: 1 } }, 'op'), 'VALIDATION')
    expect(secret.message).toBe('VALIDATION: op: a: Invalid input: expected string, received object (got {"token":"[redacted]","n":1})')
    const deep = await expectCode(() => validate(Shape, { a: { b: { c: { d: { e: { f: 1 } } } } } }, 'op'), 'VALIDATION')
    expect(deep.message).toBe('VALIDATION: op: a: Invalid input: expected string, received object (got {"b":{"c":{"d":{"e":"…"}}}})')
    const four = await expectCode(() => validate(Shape, { a: { b: { c: { d: { e: 1 } } } } }, 'op'), 'VALIDATION')
    expect(four.message).toContain('(got {"b":{"c":{"d":{"e":1}}}})')
  })

  it('quotes at most 16 items of an array, dates as dates, and nested arrays redacted too', async () => {
    const Shape = z.object({ a: z.string() })
    const many = await expectCode(() => validate(Shape, { a: new Array(20).fill(0) }, 'op'), 'VALIDATION')
    expect(many.message).toContain(`(got [${new Array(16).fill(0).join(',')}])`)
    const date = await expectCode(() => validate(Shape, { a: new Date(5) }, 'op'), 'VALIDATION')
    expect(date.message).toContain('(got a Date (5 ms since 1970))')
    const nested = await expectCode(() => validate(Shape, { a: [{ value: 'v_secret' }] }, 'op'), 'VALIDATION')
    expect(nested.message).toContain('(got [{"value":"[redacted]"}])')
    // Arrays count as levels too: the fifth level is elided.
    const arrays = await expectCode(() => validate(Shape, { a: [[[[{ x: 1 }]]]] }, 'op'), 'VALIDATION')
    expect(arrays.message).toContain('(got [[[["…"]]]])')
  })

  it('points at an unknown key only for zod’s unrecognized_keys issue with a key', async () => {
    const custom = z.unknown().superRefine((_value, ctx) => {
      ctx.addIssue({ code: 'custom', message: 'bad', path: ['a'], keys: ['k'] } as never)
    })
    const error = await expectCode(() => validate(custom, { a: 1 }, 'op'), 'VALIDATION')
    expect(error.details?.['path']).toEqual(['a'])
    const noKeys = z.unknown().superRefine((_value, ctx) => {
      ctx.addIssue({ code: 'unrecognized_keys', message: 'bad', path: ['a'], keys: [] } as never)
    })
    const empty = await expectCode(() => validate(noKeys, { a: 1 }, 'op'), 'VALIDATION')
    expect(empty.details?.['path']).toEqual(['a'])
  })

  it('strips `input` from the cause’s issues whatever the schema reported', async () => {
    const raw = new z.ZodError([{ code: 'custom', path: ['a'], message: 'bad', input: 'sk_secret' } as never])
    const schema = { safeParse: () => ({ success: false, error: raw }) } as unknown as z.ZodType
    const error = await expectCode(() => validate(schema, { a: 1 }, 'op'), 'VALIDATION')
    expect(error.cause).toBe(raw)
    expect(raw.issues[0]).not.toHaveProperty('input')
    expect(JSON.stringify(raw.issues)).not.toContain('sk_secret')
  })
})

describe('validate: the structural guard first', () => {
  it('names operation, path, rule and limit, and runs before the schema', async () => {
    let parsed = false
    const Spy = z.unknown().superRefine(() => {
      parsed = true
    })
    const deep = await expectCode(() => validate(Spy, { a: nestedArrays(100) }, 'op', { store: 'x' }, { at: ['in'] }), 'VALIDATION')
    expect(parsed).toBe(false)
    expect(deep.store).toBe('x')
    expect(deep.message).toBe(`VALIDATION: op: in.a.${new Array(99).fill(0).join('.')}: is nested deeper than 100 levels`)
    expect(deep.details).toEqual({
      operation: 'op',
      path: ['in', 'a', ...new Array(99).fill(0)],
      rule: 'depth',
      limit: 100,
      issues: [{ path: ['in', 'a', ...new Array(99).fill(0)], message: 'is nested deeper than 100 levels' }],
    })
  })

  it('has no limit for a rule without one, and calls the input itself "input"', async () => {
    const error = await expectCode(() => validate(z.string(), 'a\0', 'op'), 'VALIDATION')
    expect(error.message).toBe('VALIDATION: op: input: text must not contain U+0000 (at index 1)')
    expect(Object.keys(error.details ?? {})).not.toContain('limit')
    expect(error.details).toEqual({
      operation: 'op',
      path: [],
      rule: 'nul',
      issues: [{ path: [], message: 'text must not contain U+0000 (at index 1)' }],
    })
  })
})

describe('quote', () => {
  it('renders each kind of value on one short line', () => {
    expect(quote('a"b')).toBe('"a\\"b"')
    expect(quote(undefined)).toBe('undefined')
    expect(quote(12n)).toBe('12n')
    expect(quote(null)).toBe('null')
    expect(quote({ a: [1] })).toBe('{"a":[1]}')
    expect(quote(new Date(Number.NaN))).toBe('Invalid Date')
    expect(quote(new Date(1_700_000_000_000))).toBe('a Date (1700000000000 ms since 1970)')
    expect(quote(Symbol('s'))).toBe('Symbol(s)')
    expect(quote(function named() {})).toBe('function named() {}')
  })

  it('falls back to String, then to the kind, when JSON cannot render it', () => {
    const circular: Record<string, unknown> = {}
    circular['self'] = circular
    expect(quote(circular)).toBe('[object Object]')
    const bare = Object.create(null) as Record<string, unknown>
    bare['self'] = bare
    expect(quote(bare)).toBe('object')
    const list: unknown[] = []
    list.push(list)
    Object.defineProperty(list, 'toString', { value: null })
    expect(quote(list)).toBe('an array')
  })

  it('cuts after 80 characters', () => {
    expect(quote('x'.repeat(78))).toBe(`"${'x'.repeat(78)}"`)
    expect(quote('x'.repeat(79))).toBe(`"${'x'.repeat(79)}…`)
  })
})

function nestedArrays(depth: number): unknown {
  let value: unknown = 1
  for (let i = 0; i < depth; i++) value = [value]
  return value
}

describe('inspectInput: limits, paths and messages', () => {
  it('depth: the path of the first container too deep, the limit, the message', () => {
    expect(inspectInput({ a: [[1]] }, { maxDepth: 3, maxValues: 100 })).toBeNull()
    expect(inspectInput({ a: [[1]] }, { maxDepth: 2, maxValues: 100 })).toEqual({
      rule: 'depth',
      path: ['a', 0],
      message: 'is nested deeper than 2 levels',
      limit: 2,
    })
  })

  it('size: counts containers, items and what is still to visit', () => {
    const limits = (maxValues: number) => ({ maxDepth: 10, maxValues })
    expect(inspectInput([1, 2, 3], limits(4))).toBeNull()
    expect(inspectInput([1, 2, 3], limits(3))).toEqual({ rule: 'size', path: [], message: 'input holds more than 3 values', limit: 3 })
    // {a:[1,2], b:[3]}: 6 values; at `a`, 2 seen + `b` waiting + 2 items = 5.
    expect(inspectInput({ a: [1, 2], b: [3] }, limits(6))).toBeNull()
    expect(inspectInput({ a: [1, 2], b: [3] }, limits(5))).toMatchObject({ rule: 'size', path: ['b'] })
    expect(inspectInput({ a: [1, 2], b: [3] }, limits(4))).toMatchObject({ rule: 'size', path: ['a'] })
    expect(inspectInput({ a: 1, b: 2 }, limits(2))).toMatchObject({ rule: 'size', path: [] })
  })

  it('cycle: the path to the value that contains itself, with the message', () => {
    const a: unknown[] = []
    a.push({ back: a })
    expect(inspectInput({ list: a })).toEqual({ rule: 'cycle', path: ['list', 0, 'back'], message: 'is circular (it contains itself)' })
  })

  it('walks objects without a prototype, visiting the first item and key too', () => {
    const bare = Object.assign(Object.create(null) as object, { t: 'x\0' })
    expect(inspectInput({ a: bare })).toEqual({ rule: 'nul', path: ['a', 't'], message: 'text must not contain U+0000 (at index 1)' })
    expect(inspectInput(['\0', 'ok'])).toMatchObject({ rule: 'nul', path: [0] })
    expect(inspectInput({ first: '\0', second: 'ok' })).toMatchObject({ rule: 'nul', path: ['first'] })
    expect(inspectInput({ ['k\0']: 1, ok: 2 })).toEqual({
      rule: 'nul',
      path: [],
      message: 'a property name must not contain U+0000 (at index 1)',
    })
    expect(inspectInput([[['\0']]])).toMatchObject({ path: [0, 0, 0] })
  })

  it('lone surrogates: the index of the first one, each boundary of the ranges', () => {
    const at = (text: string) => inspectInput(text)?.message ?? null
    const lone = (i: number) => `text must be well-formed Unicode (lone surrogate at index ${i})`
    expect(at('ab\uD800')).toBe(lone(2)) // high at the end
    expect(at('\uD800a')).toBe(lone(0)) // high, then not a low
    expect(at('a\uDC00')).toBe(lone(1)) // low alone
    expect(at('\uD83D\uDE80\uDC00')).toBe(lone(2)) // a pair, then a lone low
    expect(at('\uDBFF\uDFFF')).toBeNull() // the last pair
    expect(at('\uD800\uDC00')).toBeNull() // the first pair
    expect(at('\uDBFF\uDBFF')).toBe(lone(0))
    expect(at('\uD800\uE000')).toBe(lone(0))
    expect(at('\uDFFF')).toBe(lone(0))
    expect(at('\uDC00\uDC00')).toBe(lone(0)) // a low is never the start of a pair
    expect(at('\uD7FF\uE000')).toBeNull() // just outside the surrogates
    expect(at('\uD7FF\uDC00')).toBe(lone(1))
    expect(inspectInput({ ['\uDC00']: 1 })?.message).toBe('a property name must be well-formed Unicode (lone surrogate at index 0)')
  })

  it('a lone surrogate is reported before a NUL; clean text passes', () => {
    expect(inspectInput('\0\uD800')).toMatchObject({ rule: 'unicode' })
    expect(inspectInput('plain text')).toBeNull()
    expect(inspectInput({ x: 1, y: null, z: true })).toBeNull()
  })
})
