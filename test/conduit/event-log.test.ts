import { appendFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { tempDir } from '../helpers.js'
import { readEventLog } from './event-log.js'

describe('readEventLog', () => {
  it('reads the complete lines only: a line a worker is still appending is left for the next read', () => {
    // Seen in CI: the test read the log between a worker's write of part of a line and the rest.
    const file = join(tempDir('event-log-'), 'events.log')
    writeFileSync(file, '{"ev":"start","id":1}\n{"ev":"held","id":1,"token":1,"pid":12')
    expect(readEventLog(file)).toEqual([{ ev: 'start', id: 1 }])
    appendFileSync(file, '3}\n')
    expect(readEventLog(file)).toEqual([{ ev: 'start', id: 1 }, { ev: 'held', id: 1, token: 1, pid: 123 }])
  })

  it('an empty log has no events', () => {
    const file = join(tempDir('event-log-'), 'events.log')
    writeFileSync(file, '')
    expect(readEventLog(file)).toEqual([])
  })
})
