/**
 * Contention: N child processes write mixed operations through the public API on one
 * workspace at the same time. Every acknowledged write is present afterwards, no BUSY
 * reaches a caller within the configured timeout, and every store passes
 * integrity_check. N = 3 here; CLEO_RELIABILITY_HEAVY=1 runs 8 writers × 150 ops.
 */
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { startGate, tempDir } from '../helpers.js'
import { prepareWorkspace, startWriter, verifyWorkspace } from './workspace-writers.js'

const HEAVY = process.env['CLEO_RELIABILITY_HEAVY'] === '1'
const WRITERS = HEAVY ? 8 : 3
const OPS = HEAVY ? 150 : 25

describe('several processes writing one workspace', () => {
  it(`keeps every acknowledged write of ${WRITERS} writers × ${OPS} mixed operations`, { timeout: 240_000 }, async () => {
    const projectDir = tempDir()
    const globalDir = join(tempDir(), 'global')
    await prepareWorkspace(projectDir, globalDir)
    // All writers open first and start writing together (a barrier, not a start time).
    const gate = startGate(WRITERS)
    const writers = Array.from({ length: WRITERS }, (_, i) => startWriter(projectDir, globalDir, String(i), OPS, 20_000, gate))
    const codes = await Promise.all(writers.map((w) => w.exited))
    const acks = writers.flatMap((w) => w.acks)
    expect(acks.filter((a) => a.kind === 'error'), 'errors reported by writers (BUSY would show here)').toEqual([])
    expect(codes).toEqual(writers.map(() => 0))
    expect(acks).toHaveLength(WRITERS * OPS)
    const counts = await verifyWorkspace(projectDir, globalDir, acks)
    if (HEAVY) console.log(`contention: ${WRITERS} processes, ${acks.length} acknowledged writes, lost 0`, counts)
    // Ids allocated in the write transaction: unique and without gaps across processes.
    const taskIds = acks.filter((a) => a.kind === 'task' || a.kind === 'dependent').map((a) => Number(String(a.id).slice(1)))
    expect(new Set(taskIds).size).toBe(taskIds.length)
    expect(Math.max(...taskIds)).toBe(taskIds.length)
  })
})
