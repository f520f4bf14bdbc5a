/**
 * Deliveries tied to messages (issue 16 item 6): a `send({ deliver: true })` job
 * carries its message and recipient; acking it marks that recipient's copy
 * delivered in the same transaction; `deadLetters({ messageId })` finds a message's
 * dead letters; dead-letter history survives `prune` and replay.
 */
import { afterEach, describe, expect, it } from 'vitest'

import type { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import { MESSAGE_DELIVERY_QUEUE } from '../../src/conduit/conduit.schemas.js'
import { expectCode } from '../helpers.js'
import { CONDUIT_ENGINES, openTestConduit, rows, T0 } from './conduit-fixtures.js'

describe.each(CONDUIT_ENGINES)('message deliveries on %s', (engine) => {
  let open: ConduitRepository | undefined
  afterEach(async () => {
    await open?.close()
    open = undefined
  })

  async function setup() {
    const { conduit, clock } = await openTestConduit({ agents: ['alice', 'bob', 'carol'] }, engine)
    open = conduit
    await conduit.conversations.createGroup({ createdBy: 'alice', participants: ['bob', 'carol'], name: 'team' })
    return { conduit, clock }
  }

  async function deliveredAt(conduit: ConduitRepository, messageId: string): Promise<Record<string, number | null>> {
    const result = await rows<{ agent_id: string; delivered_at: number | null }>(
      conduit,
      `SELECT r.agent_id, r.delivered_at FROM message_recipients r JOIN messages m ON m.seq = r.message_seq WHERE m.id = '${messageId}' ORDER BY r.agent_id`,
    )
    return Object.fromEntries(result.map((row) => [row.agent_id, row.delivered_at]))
  }

  describe('deliveries tied to messages', () => {
    it('a delivery job carries its message and recipient; acking it marks that copy delivered', async () => {
      const { conduit, clock } = await setup()
      const sent = await conduit.messages.send({ from: 'alice', group: 'team', content: 'hello', deliver: true })
      const jobs = await conduit.queue.claim(10, { queue: MESSAGE_DELIVERY_QUEUE, owner: 'transport', leaseMs: 60_000 })
      expect(jobs.map((j) => [j.messageId, j.recipientId])).toEqual([
        [sent.message.id, 'bob'],
        [sent.message.id, 'carol'],
      ])
      expect(await deliveredAt(conduit, sent.message.id)).toEqual({ bob: null, carol: null })
      clock.advance(500)
      await conduit.queue.ack(jobs[0]!.lease)
      // Bob's copy is delivered by the ack itself; Carol's is not (her job is still leased).
      expect(await deliveredAt(conduit, sent.message.id)).toEqual({ bob: T0 + 500, carol: null })
      // An earlier markDelivered is kept (first time wins).
      await conduit.inbox.markDelivered('carol', [sent.message.id])
      clock.advance(500)
      await conduit.queue.ack(jobs[1]!.lease)
      expect(await deliveredAt(conduit, sent.message.id)).toEqual({ bob: T0 + 500, carol: T0 + 500 })
      // A job of the user's own is tied to nothing.
      const { job } = await conduit.queue.enqueue({ payload: { any: 1 } })
      expect([job.messageId, job.recipientId]).toEqual([null, null])
    })

    it('deadLetters({ messageId }) finds a message’s dead letters; history survives replay and prune', async () => {
      const { conduit, clock } = await setup()
      const sent = await conduit.messages.send({ from: 'alice', group: 'team', content: 'hello', deliver: true })
      const other = await conduit.messages.send({ from: 'bob', to: 'alice', content: 'unrelated', deliver: true })
      let jobs = await conduit.queue.claim(10, { queue: MESSAGE_DELIVERY_QUEUE, owner: 'transport', leaseMs: 60_000 })
      for (const job of jobs) await conduit.queue.nack(job.lease, { error: `no route to ${job.recipientId}`, retry: false })

      const letters = await conduit.queue.deadLetters({ messageId: sent.message.id })
      expect(letters.map((l) => [l.job.recipientId, l.reason, l.error])).toEqual([
        ['bob', 'rejected', 'no route to bob'],
        ['carol', 'rejected', 'no route to carol'],
      ])
      expect((await conduit.queue.deadLetters({ messageId: other.message.id })).map((l) => l.job.recipientId)).toEqual(['alice'])
      await expectCode(conduit.queue.deadLetters({ messageId: '' }), 'VALIDATION')

      // Replay bob's letter, deliver it, then prune finished jobs.
      const bobJob = letters[0]!.job.id
      await conduit.queue.replayDeadLetters({ jobIds: [bobJob] })
      expect((await conduit.queue.deadLetters({ messageId: sent.message.id })).map((l) => l.job.recipientId)).toEqual(['carol'])
      jobs = await conduit.queue.claim(10, { queue: MESSAGE_DELIVERY_QUEUE, owner: 'transport', leaseMs: 60_000 })
      expect(jobs.map((j) => j.id)).toEqual([bobJob])
      await conduit.queue.ack(jobs[0]!.lease)
      clock.advance(1000)
      expect(await conduit.queue.prune({ olderThanMs: 0 })).toBe(1)
      expect(await conduit.queue.get(bobJob)).toBeUndefined()

      const history = await conduit.queue.deadLetterHistory({ messageId: sent.message.id })
      expect(history.items.map((h) => [h.recipientId, h.reason, h.replayedAt !== null, h.jobId])).toEqual([
        ['carol', 'rejected', false, letters[1]!.job.id],
        ['bob', 'rejected', true, bobJob],
      ])
      expect(history.nextCursor).toBeNull()
      // Purging the dead job keeps its history too.
      await conduit.queue.purgeDeadLetters({ jobIds: [letters[1]!.job.id] })
      expect((await conduit.queue.deadLetterHistory({ messageId: sent.message.id })).items).toHaveLength(2)
      // Paging.
      const first = await conduit.queue.deadLetterHistory({ limit: 2 })
      expect(first.items).toHaveLength(2)
      const second = await conduit.queue.deadLetterHistory({ limit: 2, cursor: first.nextCursor! })
      expect(second.items.map((h) => h.messageId)).toEqual([sent.message.id])
      await expectCode(conduit.queue.deadLetterHistory({ cursor: 'bogus' }), 'VALIDATION')
      await expectCode(conduit.queue.deadLetterHistory({ nope: 1 } as never), 'VALIDATION')
    })

    it('any writer’s ack delivers: the rule is a trigger', async () => {
      const { conduit } = await setup()
      const sent = await conduit.messages.send({ from: 'alice', to: 'bob', content: 'raw', deliver: true })
      await conduit.queue.claim(10, { queue: MESSAGE_DELIVERY_QUEUE, owner: 'transport', leaseMs: 60_000 })
      // A foreign writer acks as the schema demands (migration 0008): from the lease, naming its token.
      await rows(conduit, `UPDATE delivery_jobs SET status = 'done', finished_at = ${T0 + 7}, lease_owner = NULL, lease_expires_at = NULL, fence_token = lease_token WHERE message_id = '${sent.message.id}'`)
      expect(await deliveredAt(conduit, sent.message.id)).toEqual({ bob: T0 + 7 })
    })
  })
})
