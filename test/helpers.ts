/**
 * Test helpers shared by every suite: temporary directories that clean themselves
 * up, assertions on error codes, and child processes running TypeScript fixtures.
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'

import { afterEach, expect } from 'vitest'

import type { CleoStoreErrorCode } from '../src/sqlite/errors.js'
import { CleoStoreError } from '../src/sqlite/errors.js'

const created: string[] = []
/** Steps to run after the current test, before its directories are removed (see {@link afterThisTest}). */
const restore: Array<() => void> = []

afterEach(() => {
  for (const step of restore.splice(0).reverse()) {
    try {
      step()
    } catch {
      // best effort: attributes and mounts of temporary directories
    }
  }
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** True when `command args` runs and exits 0. */
export function canRun(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** `chattr +i` works here (root on ext4/xfs). */
export function chattrWorks(): boolean {
  if (process.getuid?.() !== 0) return false
  const probe = join(tempDir(), 'probe')
  writeFileSync(probe, '')
  const ok = canRun('chattr', ['+i', probe])
  if (ok) canRun('chattr', ['-i', probe])
  return ok
}

/** Runs `step` after the current test (latest first), before its temporary directories are removed; errors are ignored. */
export function afterThisTest(step: () => void): void {
  restore.push(step)
}

/** Makes `path` immutable (`chattr +i`) until the end of the current test. */
export function immutable(path: string): void {
  execFileSync('chattr', ['+i', path])
  afterThisTest(() => execFileSync('chattr', ['-i', path]))
}

/** A fresh temporary directory, removed after the current test. */
export function tempDir(prefix = 'cleo-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  created.push(dir)
  return dir
}

/** Asserts that `action` rejects (or throws) a CleoStoreError with `code`; returns it. */
export async function expectCode(
  action: Promise<unknown> | (() => unknown),
  code: CleoStoreErrorCode,
): Promise<CleoStoreError> {
  let caught: unknown
  try {
    await (typeof action === 'function' ? action() : action)
  } catch (error) {
    caught = error
  }
  expect(caught, `expected a ${code} error, but nothing was thrown`).toBeInstanceOf(CleoStoreError)
  expect((caught as CleoStoreError).code, (caught as Error).message).toBe(code)
  return caught as CleoStoreError
}

const execFileAsync = promisify(execFile)
export const REPO_ROOT = resolve(import.meta.dirname, '..')

/** Runs a TypeScript fixture (from test/fixtures) in a child Node process; resolves its stdout. */
export async function runFixture(
  name: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test/fixtures', name), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    timeout: 240_000,
  })
}

/** True when this process is root and may run commands as `nobody` (what {@link runFixtureAsNobody} needs). */
export function canRunAsNobody(): boolean {
  return process.getuid?.() === 0 && canRun('runuser', ['-u', 'nobody', '--', 'true'])
}

/**
 * Runs a TypeScript fixture (from test/fixtures) as `nobody` (root may write and signal
 * anything, so refusals of permission are only seen from another user) and parses the one
 * JSON line it prints. In a mutation run the child gets the active mutant (Stryker's
 * instrumented code reads it from the environment), so it runs the code as mutated.
 */
export function runFixtureAsNobody(name: string, args: string[]): Record<string, unknown> {
  const mutant = (globalThis as { __stryker__?: { activeMutant?: string } }).__stryker__?.activeMutant
  const out = execFileSync('runuser', ['-u', 'nobody', '--', process.execPath, '--import', 'tsx', join(REPO_ROOT, 'test/fixtures', name), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...(mutant === undefined ? {} : { __STRYKER_ACTIVE_MUTANT__: String(mutant) }) },
  })
  return JSON.parse(out.trim()) as Record<string, unknown>
}

/**
 * A start gate for `parties` child processes (see test/fixtures/start-gate.ts): pass the
 * returned directory to each child, which calls `passGate(dir)` once it is ready; they all
 * start together however late each of them was scheduled.
 */
export function startGate(parties: number): string {
  const dir = tempDir('cleo-gate-')
  writeFileSync(join(dir, 'parties'), String(parties))
  return dir
}
