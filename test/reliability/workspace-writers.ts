/**
 * Shared by the contention and crash suites: starts reliability-writer children on
 * one workspace, collects the writes they acknowledged, and checks every one of
 * them (and the all-or-nothing invariants) against the databases.
 */
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { join } from 'node:path'

import { expect } from 'vitest'

import { CleoWorkspace } from '../../src/index.js'
import { REPO_ROOT } from '../helpers.js'

/** One acknowledged write, as the child reported it. */
export interface Ack {
  readonly worker: string
  readonly kind: 'ready' | 'task' | 'dependent' | 'message' | 'job' | 'memory' | 'error'
  readonly id?: string | number
  readonly on?: string
  readonly code?: string
  readonly message?: string
}

export interface Writer {
  readonly child: ChildProcess
  readonly acks: Ack[]
  /** Resolves when the child printed `ready` (workspace open). */
  readonly ready: Promise<void>
  readonly exited: Promise<number | null>
  /** Resolves once the child has acknowledged `n` writes (rejects if it exits first). */
  acked(n: number): Promise<void>
}

/**
 * Starts a writer child; `ops` 0 writes until killed. With a `gate` (test/helpers.ts
 * `startGate`) the writers open the workspace, then wait for each other before writing.
 */
export function startWriter(projectDir: string, globalDir: string, worker: string, ops: number, busyTimeoutMs = 20_000, gate = ''): Writer {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'test/fixtures/reliability-writer.ts'), projectDir, globalDir, worker, String(ops), String(busyTimeoutMs), gate],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const acks: Ack[] = []
  const ackWaiters: Array<{ n: number; resolve: () => void }> = []
  let buffered = ''
  let markReady!: () => void
  const ready = new Promise<void>((resolve) => (markReady = resolve))
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    let newline: number
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      const ack = JSON.parse(line) as Ack
      if (ack.kind === 'ready') markReady()
      else acks.push(ack)
    }
    for (const waiter of ackWaiters.filter((w) => acks.length >= w.n)) {
      ackWaiters.splice(ackWaiters.indexOf(waiter), 1)
      waiter.resolve()
    }
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const acked = (n: number): Promise<void> =>
    acks.length >= n
      ? Promise.resolve()
      : Promise.race([
          new Promise<void>((resolve) => ackWaiters.push({ n, resolve })),
          exited.then((code) => {
            if (acks.length < n) throw new Error(`writer ${worker} exited (${code}) after ${acks.length} of ${n} writes`)
          }),
        ])
  return { child, acks, ready, exited, acked }
}

/** Prepares a workspace the writers can message in (two attached agents). */
export async function prepareWorkspace(projectDir: string, globalDir: string): Promise<void> {
  const ws = await CleoWorkspace.open(projectDir, { globalDir })
  try {
    for (const agentId of ['writer-a', 'writer-b']) await ws.agents.register({ agentId, name: agentId, attach: true })
  } finally {
    await ws.close()
  }
}

/**
 * Verifies that every acknowledged write is present, that multi-row operations are
 * all-or-nothing (every task has its create audit row; every dependent task has its
 * dependency), and that every store passes integrity_check. Returns counts.
 */
export async function verifyWorkspace(projectDir: string, globalDir: string, acks: readonly Ack[]): Promise<Record<string, number>> {
  const ws = await CleoWorkspace.open(projectDir, { globalDir })
  try {
    const counts: Record<string, number> = {}
    for (const ack of acks) {
      counts[ack.kind] = (counts[ack.kind] ?? 0) + 1
      switch (ack.kind) {
        case 'task':
        case 'dependent':
          expect(await ws.tasks.find(String(ack.id)), `task ${ack.id}`).not.toBeNull()
          break
        case 'message':
          expect(await ws.conduit.messages.get(String(ack.id)), `message ${ack.id}`).toBeDefined()
          break
        case 'job': {
          const job = await ws.conduit.kysely.selectFrom('delivery_jobs').select('status').where('id', '=', Number(ack.id)).executeTakeFirst()
          expect(job?.status, `job ${ack.id}`).toBe('done')
          break
        }
        case 'memory':
          expect(await ws.brain.find(String(ack.id)), `memory ${ack.id}`).not.toBeNull()
          break
        case 'error':
          throw new Error(`a writer reported an error: ${ack.code} ${ack.message}`)
      }
    }
    // All-or-nothing, over everything in the file (acknowledged or not).
    const tasksWithoutAudit = await ws.tasks.kysely
      .selectFrom('tasks')
      .select('id')
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('audit_log').select('audit_log.id').where('audit_log.entity_type', '=', 'task').whereRef('audit_log.entity_id', '=', 'tasks.id'))),
      )
      .execute()
    expect(tasksWithoutAudit, 'tasks without their audit row').toEqual([])
    const dependentsWithoutEdge = await ws.tasks.kysely
      .selectFrom('tasks')
      .select('id')
      .where('title', 'like', '% dependent %')
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('task_dependencies').select('task_id').whereRef('task_dependencies.task_id', '=', 'tasks.id'))))
      .execute()
    expect(dependentsWithoutEdge, 'dependent tasks without their dependency').toEqual([])
    const report = await ws.check({ full: true })
    expect(report.ok, JSON.stringify(report.findings)).toBe(true)
    return counts
  } finally {
    await ws.close()
  }
}
