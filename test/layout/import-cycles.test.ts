import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const SRC = join(ROOT, 'src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

/** Every relative module a file names in `import … from`, `export … from`, `import('…')` (type-only imports included). */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specifiers = new Set<string>()
  for (const match of text.matchAll(/\bfrom\s+'(\.{1,2}\/[^']+)'|\bimport\s*\(\s*'(\.{1,2}\/[^']+)'\s*\)|^\s*import\s+'(\.{1,2}\/[^']+)'/gm)) {
    specifiers.add((match[1] ?? match[2] ?? match[3])!)
  }
  return [...specifiers].map((specifier) => resolve(dirname(file), specifier.replace(/\.js$/, '.ts')))
}

/** The import cycles of a graph, each as a list of files (Tarjan's strongly connected components of size > 1, or a self-import). */
export function importCycles(graph: Map<string, string[]>): string[][] {
  let index = 0
  const indices = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const cycles: string[][] = []
  const visit = (node: string): void => {
    indices.set(node, index)
    low.set(node, index)
    index += 1
    stack.push(node)
    onStack.add(node)
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue
      if (!indices.has(next)) {
        visit(next)
        low.set(node, Math.min(low.get(node)!, low.get(next)!))
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, indices.get(next)!))
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = []
      let member: string
      do {
        member = stack.pop()!
        onStack.delete(member)
        component.push(member)
      } while (member !== node)
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort())
    }
  }
  for (const node of graph.keys()) if (!indices.has(node)) visit(node)
  return cycles
}

describe('src/ import graph', () => {
  it('the cycle finder finds a cycle when there is one (so the real check can fail)', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ])
    expect(importCycles(graph)).toEqual([['a', 'b', 'c']])
    expect(importCycles(new Map([['a', ['b']], ['b', []]]))).toEqual([])
  })

  it('has no import cycles between files in src/ and migrations/ (type-only imports count too)', () => {
    const files = [...sourceFiles(SRC), ...sourceFiles(join(ROOT, 'migrations'))]
    const graph = new Map(files.map((file) => [file, relativeImports(file)]))
    const unresolved = [...graph.values()].flat().filter((target) => !graph.has(target))
    expect(unresolved).toEqual([])
    const cycles = importCycles(graph).map((cycle) => cycle.map((file) => relative(ROOT, file)))
    expect(cycles).toEqual([])
  })
})
