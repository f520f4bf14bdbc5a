/**
 * Issue 17 item 8: the invariants hold for any writer. The files are opened with a
 * plain `node:sqlite` connection — no cleo-store code, as a Python daemon or a shell
 * would — and every violation is refused by the schema itself.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { DaemonStore } from '../../src/daemon/daemon-store.js'
import { HOOK_OUTBOX_QUEUE } from '../../src/daemon/hook-outbox.js'
import { CleoWorkspace } from '../../src/workspace/workspace.js'

let conduit: DatabaseSync
let tasks: DatabaseSync
let signaldock: DatabaseSync
let leased: { id: number; token: number }
let pendingId: number
let root: string

/** What another-language writer must set on every connection. */
function open(file: string): DatabaseSync {
  const db = new DatabaseSync(file)
  db.exec('PRAGMA foreign_keys = ON')
  db.exec('PRAGMA busy_timeout = 5000')
  return db
}

beforeAll(async () => {
  // The files live across the tests of this file (tempDir() would remove them after the first).
  root = mkdtempSync(join(tmpdir(), 'cleo-any-writer-'))
  const dirs = { projectDir: join(root, 'project'), globalDir: join(root, 'global') }
  mkdirSync(dirs.projectDir)
  mkdirSync(dirs.globalDir)
  const ws = await CleoWorkspace.open(dirs.projectDir, { globalDir: dirs.globalDir })
  const daemon = DaemonStore.from(ws)
  await daemon.sessions.create({ id: 's1' })
  await daemon.sessions.create({ id: 'done-session' })
  await daemon.sessions.close('done-session')
  await daemon.agents.reportRateLimit('claude')
  await daemon.hooks.enqueue({ sessionId: 's1', eventType: 'agent_stop' })
  await daemon.hooks.enqueue({ sessionId: 's2', eventType: 'agent_stop' })
  const [job] = await ws.conduit.queue.claim(1, { queue: HOOK_OUTBOX_QUEUE, owner: 'daemon-1', leaseMs: 3_600_000 })
  leased = { id: job!.id, token: job!.lease.token }
  pendingId = leased.id + 1
  await ws.close()
  conduit = open(join(dirs.projectDir, '.cleo', 'conduit.db'))
  tasks = open(join(dirs.projectDir, '.cleo', 'tasks.db'))
  signaldock = open(join(dirs.globalDir, 'signaldock.db'))
})

afterAll(() => {
  for (const db of [conduit, tasks, signaldock]) db?.close()
  rmSync(root, { recursive: true, force: true })
})

/** Runs `statement` in a BEGIN IMMEDIATE transaction, as a foreign writer should; rolls back on error. */
function write(db: DatabaseSync, statement: string): void {
  db.exec('BEGIN IMMEDIATE')
  try {
    db.exec(statement)
    db.exec('COMMIT')
  } catch (error) {
    db.exec('ROLLBACK')
    throw error
  }
}

const job = (id: number) => conduit.prepare('SELECT * FROM delivery_jobs WHERE id = ?').get(id) as Record<string, unknown>
const now = () => Date.now()

describe('delivery queue invariants hold for any writer', () => {
  it('a leased job cannot become done or dead without the current lease token', () => {
    const finish = (status: string, fence: string) =>
      `UPDATE delivery_jobs SET status = '${status}', finished_at = ${now()}, updated_at = ${now()}, lease_owner = NULL,
         lease_expires_at = NULL${fence} WHERE id = ${leased.id}`
    expect(() => write(conduit, finish('done', ''))).toThrow(/requires fence_token = the current lease_token/)
    expect(() => write(conduit, finish('dead', ''))).toThrow(/requires fence_token/)
    expect(() => write(conduit, finish('done', `, fence_token = ${leased.token - 1}`))).toThrow(/requires fence_token/)
    expect(() => write(conduit, finish('done', `, fence_token = ${leased.token + 1}`))).toThrow(/requires fence_token/)
    expect(job(leased.id)['status']).toBe('leased')
  })

  it('a leased job cannot go back to pending (released) without the token', () => {
    expect(() =>
      write(conduit, `UPDATE delivery_jobs SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL WHERE id = ${leased.id}`),
    ).toThrow(/requires fence_token/)
  })

  it('a lease cannot change owner except by a claim of an expired lease with the next token', () => {
    expect(() => write(conduit, `UPDATE delivery_jobs SET lease_owner = 'thief' WHERE id = ${leased.id}`)).toThrow(/changes owner only by a claim/)
    // a claim over a live lease (expires in an hour) is refused even with the next token
    expect(() =>
      write(conduit, `UPDATE delivery_jobs SET lease_owner = 'thief', lease_token = lease_token + 1, updated_at = ${now()} WHERE id = ${leased.id}`),
    ).toThrow(/changes owner only by a claim/)
    expect(() => write(conduit, `UPDATE delivery_jobs SET lease_token = lease_token - 1 WHERE id = ${leased.id}`)).toThrow(/changes owner only by a claim/)
    expect(() => write(conduit, `UPDATE delivery_jobs SET lease_token = lease_token + 5, lease_owner = 'x' WHERE id = ${pendingId}`)).toThrow(
      /changes owner only by a claim/,
    )
    expect(job(leased.id)['lease_owner']).toBe('daemon-1')
  })

  it('a pending job cannot be marked done or dead directly', () => {
    expect(() => write(conduit, `UPDATE delivery_jobs SET status = 'done', finished_at = ${now()} WHERE id = ${pendingId}`)).toThrow(
      /only from a lease/,
    )
    expect(() => write(conduit, `UPDATE delivery_jobs SET status = 'dead', finished_at = ${now()} WHERE id = ${pendingId}`)).toThrow(
      /only from a lease/,
    )
  })

  it('attempts never goes backwards', () => {
    expect(() => write(conduit, `UPDATE delivery_jobs SET attempts = attempts - 1 WHERE id = ${leased.id}`)).toThrow(/attempts never goes backwards/)
    expect(() => write(conduit, `UPDATE delivery_jobs SET attempts = 0 WHERE id = ${leased.id}`)).toThrow(/attempts never goes backwards/)
  })

  it('the guard is satisfiable: a writer presenting the current token may finish the job', () => {
    write(
      conduit,
      `UPDATE delivery_jobs SET status = 'done', finished_at = ${now()}, updated_at = ${now()}, lease_owner = NULL,
         lease_expires_at = NULL, fence_token = ${leased.token} WHERE id = ${leased.id} AND lease_token = ${leased.token}`,
    )
    expect(job(leased.id)['status']).toBe('done')
    expect(() => write(conduit, `UPDATE delivery_jobs SET status = 'pending', finished_at = NULL WHERE id = ${leased.id}`)).not.toThrow()
  })

  it('pending-deletion queues are well-formed', () => {
    const insert = (queue: string, payload: object, dedup: string | null) =>
      `INSERT INTO delivery_jobs (queue, payload, status, dedup_key, max_attempts, available_at, created_at, updated_at)
       VALUES ('${queue}', '${JSON.stringify(payload)}', 'pending', ${dedup === null ? 'NULL' : `'${dedup}'`}, 5, 0, 0, 0)`
    const good = { sessionId: 's1', messageId: 'm1', deletionType: 'user_input' }
    for (const [queue, payload, dedup] of [
      ['ux-cleanup:bogus:s1', { ...good, deletionType: 'bogus' }, 'm1'],
      ['ux-cleanup:user_input', good, 'm1'],
      ['ux-cleanup:user_input:s2', good, 'm1'],
      ['ux-cleanup:feedback:s1', good, 'm1'],
      ['ux-cleanup:user_input:s1', { sessionId: 's1', deletionType: 'user_input' }, 'm1'],
      ['ux-cleanup:user_input:s1', good, null],
      ['ux-cleanup:user_input:s1', good, 'other'],
      [`ux-cleanup:user_input:${'x'.repeat(101)}`, { ...good, sessionId: 'x'.repeat(101) }, 'm1'],
    ] as const) {
      expect(() => write(conduit, insert(queue, payload, dedup)), queue).toThrow(/ux-cleanup job needs queue/)
    }
    write(conduit, insert('ux-cleanup:user_input:s1', good, 'm1'))
    expect(() => write(conduit, `UPDATE delivery_jobs SET queue = 'ux-cleanup:feedback:s1' WHERE queue = 'ux-cleanup:user_input:s1'`)).toThrow(
      /keeps its queue/,
    )
    expect(() => write(conduit, `UPDATE delivery_jobs SET queue = 'elsewhere' WHERE queue = 'ux-cleanup:user_input:s1'`)).toThrow(/keeps its queue/)
  })
})

describe('tasks.db invariants hold for any writer', () => {
  it("a session's status only moves forward", () => {
    const status = (id: string) => (tasks.prepare('SELECT status FROM sessions WHERE id = ?').get(id) as { status: string }).status
    expect(status('done-session')).toBe('ended')
    expect(() => write(tasks, `UPDATE sessions SET status = 'active', ended_at = NULL WHERE id = 'done-session'`)).toThrow(/only moves forward/)
    expect(() => write(tasks, `UPDATE sessions SET status = 'orphaned' WHERE id = 'done-session'`)).toThrow(/only moves forward/)
    write(tasks, `UPDATE sessions SET status = 'active' WHERE id = 's1'`)
    expect(() => write(tasks, `UPDATE sessions SET status = 'creating' WHERE id = 's1'`)).toThrow(/only moves forward/)
    // ending it records the end event that makes the daemon purge its deletions
    write(tasks, `UPDATE sessions SET status = 'ended', ended_at = 1 WHERE id = 's1'`)
    expect(tasks.prepare(`SELECT reason FROM session_end_events WHERE session_id = 's1'`).get()).toEqual({ reason: 'ended' })
  })

  it('a writer fence never goes backwards', () => {
    write(tasks, `INSERT INTO writer_fences (name, token) VALUES ('lock', 5)`)
    expect(() => write(tasks, `UPDATE writer_fences SET token = 4 WHERE name = 'lock'`)).toThrow(/never goes backwards/)
  })
})

describe('signaldock.db invariants hold for any writer', () => {
  it('agent_availability refuses text where epoch ms belong', () => {
    expect(() => write(signaldock, `UPDATE agent_availability SET until_at = '2026-01-01T00:00:00Z'`)).toThrow(/cannot store TEXT/)
  })
})
