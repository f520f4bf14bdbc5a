/**
 * Messaging: send targets, the direct conversation of a pair, counters, threads,
 * idempotency, delivery jobs, inbox pages with a durable cursor, receipts, history.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import type { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import { CONDUIT_LIMITS, MESSAGE_DELIVERY_QUEUE } from '../../src/conduit/conduit.schemas.js'
import { expectCode } from '../helpers.js'
import { openConduitTarget } from '../fixtures/conduit-target.js'
import { CONDUIT_ENGINES, openTestConduit, rows, sharedTestTarget, T0 } from './conduit-fixtures.js'

describe.each(CONDUIT_ENGINES)('messages on %s', (engine) => {
  let conduit: ConduitRepository
  let clock: Awaited<ReturnType<typeof openTestConduit>>['clock']

  beforeEach(async () => {
    ;({ conduit, clock } = await openTestConduit({ agents: ['alice', 'bob', 'carol', 'dave'] }, engine))
  })
  afterEach(async () => {
    await conduit.close()
  })

  describe('send', () => {
    it('to an agent: finds or creates the one direct conversation of the pair, whichever side writes', async () => {
      const first = await conduit.messages.send({ from: 'bob', to: 'alice', content: 'hi' })
      clock.advance(5)
      const second = await conduit.messages.send({ from: 'alice', to: 'bob', content: 'hello' })
      expect(second.message.conversationId).toBe(first.message.conversationId)
      expect(first.recipients).toEqual(['alice'])
      expect(second.recipients).toEqual(['bob'])

      const conversation = await conduit.conversations.get(first.message.conversationId)
      expect(conversation).toMatchObject({
        kind: 'direct',
        participants: ['alice', 'bob'],
        messageCount: 2,
        lastMessageAt: new Date(T0 + 5).toISOString(),
        createdBy: 'bob',
      })
      // Participants live in one place only: the junction table, one row per agent.
      expect(await rows(conduit, 'SELECT agent_id FROM conversation_participants ORDER BY agent_id')).toEqual([
        { agent_id: 'alice' },
        { agent_id: 'bob' },
      ])
      expect(await rows(conduit, 'SELECT count(*) AS n FROM conversations')).toEqual([{ n: 1 }])
      expect((await conduit.conversations.direct('alice', 'bob')).id).toBe(conversation!.id)
    })

    it('to a group by name and to a conversation by id: every other participant receives it', async () => {
      const group = await conduit.conversations.createGroup({ createdBy: 'alice', participants: ['bob', 'carol'], name: 'team', title: 'Team' })
      expect(group).toMatchObject({ kind: 'group', name: 'team', participants: ['alice', 'bob', 'carol'] })
      const byName = await conduit.messages.send({ from: 'bob', group: 'team', content: 'standup' })
      expect(byName.recipients).toEqual(['alice', 'carol'])
      const byId = await conduit.messages.send({ from: 'carol', conversationId: group.id, content: 'done' })
      expect(byId.recipients).toEqual(['alice', 'bob'])
      expect((await conduit.conversations.get(group.id))!.messageCount).toBe(2)
    })

    it('refuses senders outside the conversation and unknown targets', async () => {
      const group = await conduit.conversations.createGroup({ createdBy: 'alice', participants: ['bob'], name: 'pair' })
      await expectCode(conduit.messages.send({ from: 'carol', conversationId: group.id, content: 'x' }), 'INVARIANT')
      await expectCode(conduit.messages.send({ from: 'carol', group: 'pair', content: 'x' }), 'INVARIANT')
      await expectCode(conduit.messages.send({ from: 'alice', group: 'nope', content: 'x' }), 'NOT_FOUND')
      await expectCode(conduit.messages.send({ from: 'alice', conversationId: 'nope', content: 'x' }), 'NOT_FOUND')
      const unknown = await expectCode(conduit.messages.send({ from: 'alice', to: 'mallory', content: 'x' }), 'NOT_FOUND')
      expect(unknown.details).toMatchObject({ id: 'mallory', reason: 'not_attached' })
      await expectCode(conduit.messages.send({ from: 'mallory', to: 'alice', content: 'x' }), 'NOT_FOUND')
      await conduit.agentRefs.detach('dave')
      const detached = await expectCode(conduit.messages.send({ from: 'alice', to: 'dave', content: 'x' }), 'NOT_FOUND')
      expect(detached.details).toMatchObject({ reason: 'detached' })
      // Nothing was written by the refused sends.
      expect(await rows(conduit, 'SELECT count(*) AS n FROM messages')).toEqual([{ n: 0 }])
    })

    it('validates targets, content and size limits before writing', async () => {
      await expectCode(conduit.messages.send({ from: 'alice', content: 'x' }), 'VALIDATION')
      await expectCode(conduit.messages.send({ from: 'alice', to: 'bob', group: 'g', content: 'x' }), 'VALIDATION')
      await expectCode(conduit.messages.send({ from: 'alice', to: 'alice', content: 'x' }), 'VALIDATION')
      await expectCode(conduit.messages.send({ from: 'alice', to: 'bob', content: '' }), 'VALIDATION')
      await expectCode(conduit.messages.send({ from: 'alice', to: 'bob', content: 'x', contentType: 'exe' as never }), 'VALIDATION')
      await expectCode(conduit.messages.send({ from: 'al\u0000ice', to: 'bob', content: 'x' }), 'VALIDATION')

      const big = 'é'.repeat(CONDUIT_LIMITS.maxMessageBytes / 2 + 1) // over the limit in UTF-8 bytes, not in characters
      const error = await expectCode(conduit.messages.send({ from: 'alice', to: 'bob', content: big }), 'VALIDATION')
      expect(error.details).toMatchObject({ path: ['content'], limit: CONDUIT_LIMITS.maxMessageBytes, size: CONDUIT_LIMITS.maxMessageBytes + 2 })
      expect(error.message).toContain(String(CONDUIT_LIMITS.maxMessageBytes))
      const huge = { blob: 'x'.repeat(CONDUIT_LIMITS.maxMetadataBytes) }
      await expectCode(conduit.messages.send({ from: 'alice', to: 'bob', content: 'x', metadata: huge }), 'VALIDATION')
      await conduit.messages.send({ from: 'alice', to: 'bob', content: 'x'.repeat(CONDUIT_LIMITS.maxMessageBytes) })
    })

    it('keeps metadata and content type, and records the sender as used', async () => {
      const { message } = await conduit.messages.send({
        from: 'alice',
        to: 'bob',
        content: '{"a":1}',
        contentType: 'json',
        metadata: { trace: 'abc', n: 2 },
      })
      expect(await conduit.messages.get(message.id)).toEqual(message)
      expect(message).toMatchObject({ contentType: 'json', metadata: { trace: 'abc', n: 2 }, createdAt: new Date(T0).toISOString() })
      expect((await conduit.agentRefs.get('alice'))!.lastUsedAt).toBe(new Date(T0).toISOString())
      expect((await conduit.agentRefs.get('bob'))!.lastUsedAt).toBeNull()
    })

    it('an idempotency key makes a repeated send return the first message', async () => {
      const first = await conduit.messages.send({ from: 'alice', to: 'bob', content: 'once', idempotencyKey: 'k1', deliver: true })
      const again = await conduit.messages.send({ from: 'alice', to: 'bob', content: 'once', idempotencyKey: 'k1', deliver: true })
      expect(again).toEqual({ message: first.message, recipients: ['bob'], deliveryJobIds: [], deduplicated: true })
      expect((await conduit.conversations.get(first.message.conversationId))!.messageCount).toBe(1)
      expect((await conduit.queue.stats(MESSAGE_DELIVERY_QUEUE)).ready).toBe(1)
      // The key is per sender.
      expect((await conduit.messages.send({ from: 'bob', to: 'alice', content: 'once', idempotencyKey: 'k1' })).deduplicated).toBe(false)
    })

    it('deliver: one job per recipient in the same transaction, ordered per recipient', async () => {
      await conduit.conversations.createGroup({ createdBy: 'alice', participants: ['bob', 'carol'], name: 'team' })
      const sent = await conduit.messages.send({ from: 'alice', group: 'team', content: 'first', deliver: { maxAttempts: 2 } })
      await conduit.messages.send({ from: 'alice', group: 'team', content: 'second', deliver: true })
      expect(sent.deliveryJobIds).toHaveLength(2)
      const jobs = await conduit.queue.claim(10, { queue: MESSAGE_DELIVERY_QUEUE, owner: 'transport', leaseMs: 1000 })
      // Strict per-recipient order: only each recipient's first message is claimable.
      expect(jobs.map((j) => [j.partitionKey, j.payload])).toEqual([
        ['bob', { messageId: sent.message.id, conversationId: sent.message.conversationId, fromAgentId: 'alice', recipientId: 'bob' }],
        ['carol', { messageId: sent.message.id, conversationId: sent.message.conversationId, fromAgentId: 'alice', recipientId: 'carol' }],
      ])
      expect(jobs.every((j) => j.ordered && j.maxAttempts === 2 && j.dedupKey === `message:${sent.message.id}:${j.partitionKey}`)).toBe(true)
    })

    it('a failing send writes nothing: no message, recipients, counters or jobs', async () => {
      const { message } = await conduit.messages.send({ from: 'alice', to: 'bob', content: 'root' })
      const other = await conduit.messages.send({ from: 'carol', to: 'dave', content: 'elsewhere' })
      // replyTo from another conversation is refused after the conversation was resolved.
      await expectCode(
        conduit.messages.send({ from: 'alice', to: 'bob', content: 'reply', replyTo: other.message.id, deliver: true }),
        'INVARIANT',
      )
      await expectCode(conduit.messages.send({ from: 'alice', to: 'bob', content: 'reply', replyTo: 'missing' }), 'NOT_FOUND')
      expect(await rows(conduit, 'SELECT count(*) AS n FROM messages')).toEqual([{ n: 2 }])
      expect((await conduit.conversations.get(message.conversationId))!.messageCount).toBe(1)
      expect((await conduit.queue.stats(MESSAGE_DELIVERY_QUEUE)).depth).toBe(0)
    })
  })

  describe('threads and history', () => {
    it('thread() returns root and every reply below it, from any message of the thread', async () => {
      const root = await conduit.messages.send({ from: 'alice', to: 'bob', content: 'root' })
      const conversationId = root.message.conversationId
      const a = await conduit.messages.send({ from: 'bob', conversationId, content: 'a', replyTo: root.message.id })
      const b = await conduit.messages.send({ from: 'alice', conversationId, content: 'b', replyTo: a.message.id })
      const c = await conduit.messages.send({ from: 'bob', conversationId, content: 'c', replyTo: root.message.id })
      await conduit.messages.send({ from: 'bob', conversationId, content: 'unrelated' })
      for (const id of [root.message.id, b.message.id, c.message.id]) {
        expect((await conduit.messages.thread(id)).map((m) => m.content)).toEqual(['root', 'a', 'b', 'c'])
      }
      await expectCode(conduit.messages.thread('missing'), 'NOT_FOUND')
    })

    it('history pages a conversation newest first', async () => {
      const first = await conduit.messages.send({ from: 'alice', to: 'bob', content: 'm0' })
      for (let i = 1; i < 5; i++) await conduit.messages.send({ from: 'alice', to: 'bob', content: `m${i}` })
      const id = first.message.conversationId
      const page1 = await conduit.messages.history(id, { limit: 2 })
      const page2 = await conduit.messages.history(id, { limit: 2, cursor: page1.nextCursor! })
      const page3 = await conduit.messages.history(id, { limit: 2, cursor: page2.nextCursor! })
      expect([page1, page2, page3].map((p) => p.items.map((m) => m.content))).toEqual([['m4', 'm3'], ['m2', 'm1'], ['m0']])
      expect(page3.nextCursor).toBeNull()
      await expectCode(conduit.messages.history('missing'), 'NOT_FOUND')
      await expectCode(conduit.messages.history(id, { cursor: 'not-a-cursor' }), 'VALIDATION')
    })
  })

  describe('inbox', () => {
    it('pages the messages addressed to an agent, with since compared as time (not text)', async () => {
      await conduit.messages.send({ from: 'alice', to: 'bob', content: 'early' })
      clock.advance(60_000)
      await conduit.messages.send({ from: 'carol', to: 'bob', content: 'later' })
      await conduit.messages.send({ from: 'bob', to: 'alice', content: 'own message, not in bob’s inbox' })

      const all = await conduit.inbox.page('bob')
      expect(all.items.map((m) => m.content)).toEqual(['early', 'later'])
      // CLEO compared an INTEGER column with an ISO string: the filter never matched.
      const since = await conduit.inbox.page('bob', { since: new Date(T0 + 60_000).toISOString() })
      expect(since.items.map((m) => m.content)).toEqual(['later'])
      expect((await conduit.inbox.page('bob', { since: new Date(T0 + 60_001) })).items).toEqual([])
      const fromAlice = await conduit.inbox.page('bob', { conversationId: all.items[0]!.conversationId })
      expect(fromAlice.items.map((m) => m.content)).toEqual(['early'])
      expect((await conduit.inbox.page('nobody')).items).toEqual([])
    })

    it('the cursor is durable: it survives a reopen and only moves forward', async () => {
      // A database file, or a PostgreSQL schema opened anew.
      const file = await sharedTestTarget(engine)
      const onDisk = await openConduitTarget(file)
      for (let i = 0; i < 5; i++) await onDisk.messages.send({ from: 'alice', to: 'bob', content: `m${i}` })
      const page = await onDisk.inbox.page('bob', { limit: 3 })
      expect(page.items.map((m) => m.content)).toEqual(['m0', 'm1', 'm2'])
      // Not committed: the next page starts at the beginning again (nothing is skipped after a crash).
      expect((await onDisk.inbox.page('bob', { limit: 1 })).items[0]!.content).toBe('m0')
      expect(await onDisk.inbox.commit('bob', page.position)).toBe(page.position)
      await onDisk.close()

      const reopened = await openConduitTarget(file)
      try {
        expect(await reopened.inbox.cursor('bob')).toBe(page.position)
        const rest = await reopened.inbox.page('bob')
        expect(rest.items.map((m) => m.content)).toEqual(['m3', 'm4'])
        const empty = await reopened.inbox.page('bob', { cursor: rest.position })
        expect(empty).toEqual({ items: [], nextCursor: null, position: rest.position })
        // Committing an older cursor keeps the newer one; consumers are independent.
        await reopened.inbox.commit('bob', rest.position)
        expect(await reopened.inbox.commit('bob', page.position)).toBe(rest.position)
        expect(await reopened.inbox.cursor('bob', { consumer: 'mailer' })).toBeNull()
        expect((await reopened.inbox.page('bob', { consumer: 'mailer' })).items).toHaveLength(5)
      } finally {
        await reopened.close()
      }
    })

    it('tracks delivered, read and acked per recipient', async () => {
      await conduit.conversations.createGroup({ createdBy: 'alice', participants: ['bob', 'carol'], name: 'team' })
      const { message } = await conduit.messages.send({ from: 'alice', group: 'team', content: 'review please' })
      expect(await conduit.inbox.unreadCount('bob')).toBe(1)

      clock.advance(10)
      await conduit.inbox.markDelivered('bob', [message.id])
      clock.advance(10)
      await conduit.inbox.markRead('bob', [message.id])
      clock.advance(10)
      await conduit.inbox.markRead('bob', [message.id]) // keeps the first time
      await conduit.inbox.ack('carol', [message.id]) // ack implies delivered, not read

      expect(await conduit.inbox.receipts(message.id)).toEqual([
        { agentId: 'bob', deliveredAt: new Date(T0 + 10).toISOString(), readAt: new Date(T0 + 20).toISOString(), ackedAt: null },
        { agentId: 'carol', deliveredAt: new Date(T0 + 30).toISOString(), readAt: null, ackedAt: new Date(T0 + 30).toISOString() },
      ])
      expect(await conduit.inbox.unreadCount('bob')).toBe(0)
      expect(await conduit.inbox.unreadCount('carol')).toBe(1)
      const [inCarolsInbox] = (await conduit.inbox.page('carol')).items
      expect(inCarolsInbox).toMatchObject({ id: message.id, readAt: null, ackedAt: new Date(T0 + 30).toISOString() })
      expect((await conduit.inbox.page('carol', { unreadOnly: true })).items).toHaveLength(1)
      expect((await conduit.inbox.page('bob', { unreadOnly: true })).items).toHaveLength(0)
    })

    it('marking is all or nothing; the sender is not a recipient', async () => {
      const a = await conduit.messages.send({ from: 'alice', to: 'bob', content: 'a' })
      const b = await conduit.messages.send({ from: 'bob', to: 'alice', content: 'b' })
      await expectCode(conduit.inbox.markRead('bob', [a.message.id, b.message.id]), 'NOT_FOUND')
      expect(await conduit.inbox.unreadCount('bob')).toBe(1) // a was rolled back
      await expectCode(conduit.inbox.markRead('bob', []), 'VALIDATION')
      await expectCode(conduit.inbox.receipts('missing'), 'NOT_FOUND')
    })
  })

  describe('conversations', () => {
    it('lists an agent’s conversations, most recently active first', async () => {
      const ab = await conduit.messages.send({ from: 'alice', to: 'bob', content: '1' })
      clock.advance(1)
      const ac = await conduit.messages.send({ from: 'alice', to: 'carol', content: '2' })
      clock.advance(1)
      const group = await conduit.conversations.createGroup({ createdBy: 'dave', participants: ['alice'] })
      clock.advance(1)
      await conduit.messages.send({ from: 'bob', to: 'alice', content: '3' })
      const list = await conduit.conversations.list({ agentId: 'alice' })
      expect(list.map((c) => c.id)).toEqual([ab.message.conversationId, group.id, ac.message.conversationId])
      expect((await conduit.conversations.list({ agentId: 'alice', kind: 'group' })).map((c) => c.id)).toEqual([group.id])
      expect(await conduit.conversations.list({ agentId: 'nobody' })).toEqual([])
      expect(await conduit.conversations.list({ limit: 2 })).toHaveLength(2)
    })

    it('manages group members; direct conversations are fixed', async () => {
      const group = await conduit.conversations.createGroup({ createdBy: 'alice', participants: ['bob'] })
      expect((await conduit.conversations.addParticipants(group.id, ['carol', 'bob'])).participants).toEqual(['alice', 'bob', 'carol'])
      expect((await conduit.conversations.removeParticipant(group.id, 'bob')).participants).toEqual(['alice', 'carol'])
      await expectCode(conduit.conversations.removeParticipant(group.id, 'bob'), 'NOT_FOUND')
      await expectCode(conduit.conversations.addParticipants(group.id, ['mallory']), 'NOT_FOUND')
      await expectCode(conduit.conversations.addParticipants('missing', ['bob']), 'NOT_FOUND')
      const dm = await conduit.conversations.direct('alice', 'bob')
      await expectCode(conduit.conversations.addParticipants(dm.id, ['carol']), 'INVARIANT')
      await expectCode(conduit.conversations.direct('alice', 'alice'), 'VALIDATION')
    })

    it('group names are unique', async () => {
      await conduit.conversations.createGroup({ createdBy: 'alice', name: 'ops' })
      await expectCode(conduit.conversations.createGroup({ createdBy: 'bob', name: 'ops' }), 'CONFLICT')
      await expectCode(conduit.conversations.createGroup({ createdBy: 'mallory' }), 'NOT_FOUND')
    })
  })
})
