/** Message pins: one per (message, pinner). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import type { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import { expectCode } from '../helpers.js'
import { CONDUIT_ENGINES, openTestConduit, rows, T0 } from './conduit-fixtures.js'

describe.each(CONDUIT_ENGINES)('pins on %s', (engine) => {
  let conduit: ConduitRepository
  let clock: Awaited<ReturnType<typeof openTestConduit>>['clock']

  beforeEach(async () => {
    ;({ conduit, clock } = await openTestConduit({ agents: ['alice', 'bob', 'carol'] }, engine))
  })
  afterEach(async () => {
    await conduit.close()
  })

  describe('pins', () => {
    it('keeps one pin per (message, pinner); pinning again replaces the note', async () => {
      const { message } = await conduit.messages.send({ from: 'alice', to: 'bob', content: 'decision: ship it' })
      const pin = await conduit.pins.pin({ messageId: message.id, agentId: 'bob', note: 'decision' })
      expect(pin).toEqual({ messageId: message.id, conversationId: message.conversationId, pinnedBy: 'bob', note: 'decision', createdAt: new Date(T0).toISOString() })
      clock.advance(10)
      expect(await conduit.pins.pin({ messageId: message.id, agentId: 'bob', note: 'the decision' })).toEqual({ ...pin, note: 'the decision' })
      await conduit.pins.pin({ messageId: message.id, agentId: 'alice' })
      expect(await rows(conduit, 'SELECT count(*) AS n FROM message_pins')).toEqual([{ n: 2 }])
      expect((await conduit.pins.list({ conversationId: message.conversationId })).map((p) => p.pinnedBy).sort()).toEqual(['alice', 'bob'])
      expect((await conduit.pins.list({ pinnedBy: 'bob' })).map((p) => p.note)).toEqual(['the decision'])

      await conduit.pins.unpin(message.id, 'bob')
      await expectCode(conduit.pins.unpin(message.id, 'bob'), 'NOT_FOUND')
      expect((await conduit.pins.list({ pinnedBy: 'bob' }))).toEqual([])
    })

    it('only participants pin; unknown messages are NOT_FOUND', async () => {
      const { message } = await conduit.messages.send({ from: 'alice', to: 'bob', content: 'private' })
      await expectCode(conduit.pins.pin({ messageId: message.id, agentId: 'carol' }), 'INVARIANT')
      await expectCode(conduit.pins.pin({ messageId: 'missing', agentId: 'bob' }), 'NOT_FOUND')
      await expectCode(conduit.pins.pin({ messageId: message.id, agentId: 'mallory' }), 'NOT_FOUND')
      await expectCode(conduit.pins.list({}), 'VALIDATION')
    })
  })
})
