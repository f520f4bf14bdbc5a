/**
 * Long-running child processes for workspace tests: started with `node --import tsx`,
 * talked to through stdin/stdout lines.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { spawn } from 'node:child_process'
import { join } from 'node:path'

import { REPO_ROOT } from '../helpers.js'

/** A running fixture: wait for a line, end its stdin, wait for it to exit. */
export interface Child {
  readonly process: ChildProcessWithoutNullStreams
  /** Resolves with the first stdout line matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>
  /** Ends stdin and resolves with the whole stdout once the child exited. */
  finish(): Promise<string>
}

export function startFixture(name: string, args: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test/fixtures', name), ...args], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  const waiters: Array<() => void> = []
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    for (const w of waiters.splice(0)) w()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return {
    process: child,
    waitFor(pattern, timeoutMs = 110_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; stdout: ${stdout}; stderr: ${stderr}`)), timeoutMs)
        const look = () => {
          const line = stdout.split('\n').find((l) => pattern.test(l))
          if (line !== undefined) {
            clearTimeout(timer)
            resolve(line)
          } else waiters.push(look)
        }
        void exited.then(() => {
          if (!stdout.split('\n').some((l) => pattern.test(l))) {
            clearTimeout(timer)
            reject(new Error(`child exited before ${pattern}; stdout: ${stdout}; stderr: ${stderr}`))
          }
        })
        look()
      })
    },
    async finish() {
      child.stdin.end()
      const code = await exited
      if (code !== 0) throw new Error(`child exited with ${code}; stderr: ${stderr}`)
      return stdout
    },
  }
}
