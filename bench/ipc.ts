/**
 * IPC helpers of the benches that fork child processes (`bench/wake.ts`,
 * `bench/postgres.ts`): the messages of a process or child, read one at a time in
 * order, and a forked `tsx` child whose failure rejects the read that waits for it.
 */
import type { ChildProcess } from 'node:child_process'
import { fork } from 'node:child_process'

/** The messages `source` receives, in order: `next()` is the oldest unread one (or the next to come). */
export function messageReader(source: NodeJS.EventEmitter): { next<T>(): Promise<T>; fail(error: Error): void } {
  const unread: unknown[] = []
  const waiting: Array<{ resolve: (m: unknown) => void; reject: (e: Error) => void }> = []
  let failed: Error | undefined
  source.on('message', (m: unknown) => {
    const reader = waiting.shift()
    if (reader) reader.resolve(m)
    else unread.push(m)
  })
  return {
    next: <T>() => {
      if (unread.length > 0) return Promise.resolve(unread.shift() as T)
      if (failed) return Promise.reject(failed)
      return new Promise<T>((resolve, reject) => waiting.push({ resolve: resolve as (m: unknown) => void, reject }))
    },
    fail: (error: Error) => {
      failed = error
      for (const reader of waiting.splice(0)) reader.reject(error)
    },
  }
}

/** A forked bench child (`node --import tsx <file> …argv`, IPC); a non-zero exit rejects its pending and later reads. */
export interface BenchChild {
  readonly proc: ChildProcess
  next<T>(): Promise<T>
  readonly exited: Promise<void>
}

export function forkChild(file: string, argv: string[]): BenchChild {
  const proc = fork(file, argv, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const reader = messageReader(proc)
  const exited = new Promise<void>((resolve) =>
    proc.on('exit', (code, signal) => {
      if (code !== 0) reader.fail(new Error(`child ${argv.join(' ')} exited with ${code ?? signal}`))
      resolve()
    }),
  )
  return { proc, next: reader.next, exited }
}
