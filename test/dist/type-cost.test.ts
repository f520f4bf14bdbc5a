/**
 * What a program that imports cleo-store pays to type-check (issue 15 item 2): a
 * consumer project against the built package (`npm run build`), `skipLibCheck: false`,
 * checked by this repository's TypeScript (the lockfile pins it; instantiation counts
 * depend on the TypeScript version, not on the machine's speed).
 *
 * - The root module's declarations must not load zod or Kysely, and the 6-line consumer
 *   must stay within {@link ROOT_BUDGET} instantiations (432,160 before; 24,119 at the
 *   change, of which `@types/node` alone is ~23,000).
 * - Every subpath's declarations must type-check (`stripInternal` must not leave a
 *   dangling name), and importing `cleo-store/kysely` must type `repo.kysely` and the
 *   dialect as Kysely's.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { afterAll, describe, expect, it } from 'vitest'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc')
/** Instantiations allowed for the root consumer (a third of the 432,000–458,000 is 144,000). */
const ROOT_BUDGET = 150_000

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** A consumer project in a temp dir whose `node_modules/cleo-store` is this repository (its dist/). */
function consumer(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cleo-store-consumer-'))
  dirs.push(dir)
  mkdirSync(join(dir, 'node_modules/@types'), { recursive: true })
  symlinkSync(ROOT, join(dir, 'node_modules/cleo-store'), 'dir')
  symlinkSync(join(ROOT, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'), 'dir')
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2023',
        lib: ['ES2023', 'ESNext.Disposable'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        types: ['node'],
      },
      files: Object.keys(files),
    }),
  )
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

interface CheckResult {
  readonly status: number | null
  readonly output: string
  readonly instantiations: number
  readonly files: readonly string[]
}

/** `tsc -p dir --extendedDiagnostics --listFiles`: exit status, errors, instantiations and the program's files. */
function typeCheck(dir: string): CheckResult {
  const run = spawnSync(process.execPath, [TSC, '-p', dir, '--extendedDiagnostics', '--listFiles'], { encoding: 'utf8' })
  const output = `${run.stdout}${run.stderr}`
  const instantiations = Number(/^Instantiations:\s+(\d+)$/m.exec(output)?.[1] ?? Number.NaN)
  const files = output.split('\n').filter((line) => /\.[cm]?tsx?$/.test(line.trim())).map((line) => line.trim())
  return { status: run.status, output, instantiations, files }
}

const fromPackage = (files: readonly string[], name: string) => files.filter((file) => file.includes(`/node_modules/${name}/`))

describe('type-check cost of importing cleo-store (dist)', () => {
  it(`a 6-line consumer of the root module loads neither zod nor Kysely and stays within ${ROOT_BUDGET} instantiations`, () => {
    const dir = consumer({
      'main.ts': [
        "import { CleoWorkspace, type CreateTaskInput, type Task } from 'cleo-store'",
        'await using ws = await CleoWorkspace.open(process.cwd())',
        "const input: CreateTaskInput = { title: 'Write the parser', priority: 'high' }",
        'const task: Task = await ws.tasks.create(input)',
        "const page = await ws.conduit.inbox.page('bob', { limit: 20 })",
        'console.log(task.id, page.items.length)',
        '',
      ].join('\n'),
    })
    const result = typeCheck(dir)
    expect(result.output).not.toMatch(/error TS\d+/)
    expect(result.status).toBe(0)
    expect(fromPackage(result.files, 'zod')).toEqual([])
    expect(fromPackage(result.files, 'kysely')).toEqual([])
    expect(result.files.some((file) => file.endsWith('/dist/types/src/index.d.ts'))).toBe(true)
    expect(result.instantiations).toBeLessThanOrEqual(ROOT_BUDGET)
  }, 180_000)

  it('every subpath type-checks, and cleo-store/kysely types repo.kysely and the dialect as Kysely', () => {
    const dir = consumer({
      'main.ts': [
        "import { DatabaseSync } from 'node:sqlite'",
        "import { Kysely } from 'kysely'",
        "import { NodeSqliteDialect, TasksRepository } from 'cleo-store'",
        "import type { TasksDatabase } from 'cleo-store/kysely'",
        "import { CreateTaskSchema } from 'cleo-store/schemas'",
        "import type {} from 'cleo-store/tasks'",
        "import type {} from 'cleo-store/brain'",
        "import type {} from 'cleo-store/conduit'",
        "import type {} from 'cleo-store/signaldock'",
        "import type {} from 'cleo-store/nexus'",
        "import type {} from 'cleo-store/telemetry'",
        "import type {} from 'cleo-store/kdf'",
        "import type {} from 'cleo-store/daemon'",
        "await using tasks = await TasksRepository.open(':memory:')",
        "const rows: { id: string; title: string }[] = await tasks.kysely.selectFrom('tasks').select(['id', 'title']).execute()",
        "const own = new Kysely<TasksDatabase>({ dialect: new NodeSqliteDialect({ database: new DatabaseSync(':memory:') }) })",
        "console.log(rows.length, CreateTaskSchema.parse({ title: 'x' }).title, own)",
        '',
      ].join('\n'),
    })
    // kysely resolves from the consumer's node_modules, as for a user who installed it next to cleo-store.
    symlinkSync(join(ROOT, 'node_modules/kysely'), join(dir, 'node_modules/kysely'), 'dir')
    const result = typeCheck(dir)
    expect(result.output).not.toMatch(/error TS\d+/)
    expect(result.status).toBe(0)
  }, 300_000)
})
