/**
 * The root module's export list, pinned: the surface users program against cannot
 * grow (or shrink) by accident. Run against the built package (`npm run build`).
 * To change the surface on purpose, update `root-exports.json` in the same commit.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
const expected = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'root-exports.json'), 'utf8')) as {
  values: string[]
  types: string[]
}

/** Every name the declarations of `<entry>` (`dist/types/src/<entry>.d.ts`, as package.json says) export, values and types. */
function declaredExports(entry: string): string[] {
  const file = join(ROOT, 'dist/types/src', `${entry}.d.ts`)
  const program = ts.createProgram([file], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true, types: [] })
  const checker = program.getTypeChecker()
  const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!
  return checker.getExportsOfModule(module).map((symbol) => symbol.name).sort()
}

const isSchema = (value: unknown) => typeof value === 'object' && value !== null && '_zod' in value

describe('the root export surface (dist)', () => {
  it('exports exactly the pinned runtime names, none of them a zod schema', async () => {
    const root = (await import(join(ROOT, 'dist/index.js'))) as Record<string, unknown>
    expect(Object.keys(root).sort()).toEqual(expected.values)
    expect(Object.entries(root).filter(([, value]) => isSchema(value)).map(([name]) => name)).toEqual([])
  })

  it('declares exactly the pinned names (values and types) in the root declarations', () => {
    expect(declaredExports('index')).toEqual([...expected.values, ...expected.types].sort())
  })

  it('cleo-store/schemas holds the zod schemas, and only schemas', async () => {
    const schemas = (await import(join(ROOT, 'dist/schemas.js'))) as Record<string, unknown>
    const names = Object.keys(schemas)
    expect(names.length).toBeGreaterThan(100)
    expect(names.filter((name) => !isSchema(schemas[name]))).toEqual([])
    expect(names).toEqual(expect.arrayContaining(['CreateTaskSchema', 'SendMessageSchema', 'timeInput']))
  })
})
