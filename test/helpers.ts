/**
 * Test helpers shared by every suite: temporary directories that clean themselves
 * up, assertions on error codes, and child processes running TypeScript fixtures.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'

import { afterEach, expect } from 'vitest'

import type { CleoStoreErrorCode } from '../src/sqlite/errors.js'
import { CleoStoreError } from '../src/sqlite/errors.js'

const created: string[] = []

afterEach(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true })
})

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
