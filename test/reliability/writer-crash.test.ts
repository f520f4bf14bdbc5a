/**
 * Crash: a writer child is SIGKILLed at random moments (after a random number of
 * acknowledged writes, while it performs the next), many times. Each write is
 * reported to the parent only after its call returned; after every kill the
 * workspace reopens, every reported write is present, multi-row operations are
 * all-or-nothing, and every store passes integrity_check.
 * CLEO_RELIABILITY_HEAVY=1 kills 40 times instead of 6.
 */
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { tempDir } from '../helpers.js'
import type { Ack } from './workspace-writers.js'
import { prepareWorkspace, startWriter, verifyWorkspace } from './workspace-writers.js'

const HEAVY = process.env['CLEO_RELIABILITY_HEAVY'] === '1'
const KILLS = HEAVY ? 40 : 6

describe('SIGKILL of a writer at random moments', () => {
  it(`loses no acknowledged write across ${KILLS} kills`, { timeout: 300_000 }, async () => {
    const projectDir = tempDir()
    const globalDir = join(tempDir(), 'global')
    await prepareWorkspace(projectDir, globalDir)
    const acknowledged: Ack[] = []
    let killedMidWrite = 0
    for (let round = 0; round < KILLS; round++) {
      const writer = startWriter(projectDir, globalDir, `r${round}`, 0)
      await writer.ready
      // Kill once the writer has acknowledged a random number of writes (a handshake,
      // not a delay): it is then in the middle of its next write, however busy the machine.
      await writer.acked(1 + Math.floor(Math.random() * 12))
      writer.child.kill('SIGKILL')
      await writer.exited
      acknowledged.push(...writer.acks)
      if (writer.acks.length > 0) killedMidWrite++
      await verifyWorkspace(projectDir, globalDir, acknowledged)
    }
    expect(acknowledged.filter((a) => a.kind === 'error')).toEqual([])
    expect(killedMidWrite, 'a kill landed before the writer had written').toBe(KILLS)
    if (HEAVY) console.log(`crash: ${KILLS} kills, ${acknowledged.length} acknowledged writes, lost 0`)
  })
})
