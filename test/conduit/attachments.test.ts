/**
 * Attachments: content addressing, versions, reviews, contributor roll-up, the
 * draft → review → locked → archived lifecycle, size limits, removal and expiry.
 */
import { createHash } from 'node:crypto'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import type { ConduitRepository } from '../../src/conduit/conduit-repository.js'
import { CONDUIT_LIMITS } from '../../src/conduit/conduit.schemas.js'
import { expectCode } from '../helpers.js'
import { CONDUIT_ENGINES, openTestConduit, rows, T0 } from './conduit-fixtures.js'

describe.each(CONDUIT_ENGINES)('attachments on %s', (engine) => {
  let conduit: ConduitRepository
  let clock: Awaited<ReturnType<typeof openTestConduit>>['clock']
  let conversationId: string

  const sha = (text: string | Uint8Array) => createHash('sha256').update(text).digest('hex')
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

  beforeEach(async () => {
    ;({ conduit, clock } = await openTestConduit({ agents: ['alice', 'bob', 'carol', 'outsider'] }, engine))
    conversationId = (await conduit.conversations.createGroup({ createdBy: 'alice', participants: ['bob', 'carol'] })).id
  })
  afterEach(async () => {
    await conduit.close()
  })

  describe('attachments', () => {
    it('creates a draft at version 1, content-addressed by SHA-256', async () => {
      const doc = await conduit.attachments.create({ conversationId, agentId: 'alice', slug: 'plan', title: 'Plan', format: 'markdown', content: '# Plan', tokens: 3 })
      expect(doc).toEqual({
        slug: 'plan',
        conversationId,
        fromAgentId: 'alice',
        title: 'Plan',
        format: 'markdown',
        mode: 'draft',
        currentVersion: 1,
        contentHash: sha('# Plan'),
        size: 6,
        expiresAt: null,
        createdAt: new Date(T0).toISOString(),
        updatedAt: new Date(T0).toISOString(),
      })
      expect(text(await conduit.attachments.content('plan'))).toBe('# Plan')
      expect(text((await conduit.attachments.contentByHash(sha('# Plan')))!)).toBe('# Plan')
      expect(await conduit.attachments.contentByHash(sha('other'))).toBeUndefined()
      expect(await conduit.attachments.get('plan')).toEqual(doc)
      expect(await conduit.attachments.contributors('plan')).toEqual([
        {
          slug: 'plan',
          agentId: 'alice',
          versionCount: 1,
          tokensAdded: 3,
          tokensRemoved: 0,
          firstContributionAt: new Date(T0).toISOString(),
          lastContributionAt: new Date(T0).toISOString(),
        },
      ])
    })

    it('stores identical content once, across versions and attachments', async () => {
      const bytes = new Uint8Array([0, 1, 2, 255])
      await conduit.attachments.create({ conversationId, agentId: 'alice', slug: 'a', format: 'binary', content: bytes })
      await conduit.attachments.create({ conversationId, agentId: 'bob', slug: 'b', format: 'binary', content: bytes })
      await conduit.attachments.addVersion('a', { agentId: 'alice', content: 'changed' })
      await conduit.attachments.addVersion('a', { agentId: 'alice', content: bytes }) // back to the first content
      expect(await rows(conduit, 'SELECT hash FROM attachment_blobs ORDER BY hash')).toEqual(
        [sha(bytes), sha('changed')].sort().map((hash) => ({ hash })),
      )
      expect(await conduit.attachments.content('a', { version: 1 })).toEqual(bytes)
      expect(text(await conduit.attachments.content('a', { version: 2 }))).toBe('changed')
    })

    it('adds versions with change type and summary; the contributor roll-up follows in the same transaction', async () => {
      await conduit.attachments.create({ conversationId, agentId: 'alice', slug: 'plan', content: 'v1', tokens: 10 })
      clock.advance(100)
      await conduit.attachments.addVersion('plan', {
        agentId: 'bob',
        content: 'v2',
        changeType: 'patch',
        patchText: '-v1\n+v2',
        summary: 'fix',
        sectionsModified: ['Intro'],
        tokensAdded: 4,
        tokensRemoved: 1,
      })
      clock.advance(100)
      const doc = await conduit.attachments.addVersion('plan', { agentId: 'bob', content: 'v3', tokensAdded: 2, expectedVersion: 2 })
      expect(doc).toMatchObject({ currentVersion: 3, contentHash: sha('v3'), updatedAt: new Date(T0 + 200).toISOString() })

      const versions = await conduit.attachments.versions('plan')
      expect(versions.map((v) => [v.version, v.authorAgentId, v.changeType, v.size])).toEqual([
        [1, 'alice', 'initial', 2],
        [2, 'bob', 'patch', 2],
        [3, 'bob', 'full_replace', 2],
      ])
      expect(versions[1]).toMatchObject({ patchText: '-v1\n+v2', changeSummary: 'fix', sectionsModified: ['Intro'], tokensAdded: 4, tokensRemoved: 1 })
      expect(await conduit.attachments.contributors('plan')).toMatchObject([
        { agentId: 'alice', versionCount: 1, tokensAdded: 10, tokensRemoved: 0 },
        {
          agentId: 'bob',
          versionCount: 2,
          tokensAdded: 6,
          tokensRemoved: 1,
          firstContributionAt: new Date(T0 + 100).toISOString(),
          lastContributionAt: new Date(T0 + 200).toISOString(),
        },
      ])
    })

    it('refuses a stale expectedVersion with CONFLICT and writes nothing', async () => {
      await conduit.attachments.create({ conversationId, agentId: 'alice', slug: 'plan', content: 'v1' })
      await conduit.attachments.addVersion('plan', { agentId: 'bob', content: 'v2', expectedVersion: 1 })
      const error = await expectCode(conduit.attachments.addVersion('plan', { agentId: 'carol', content: 'v2b', expectedVersion: 1 }), 'CONFLICT')
      expect(error.details).toMatchObject({ expectedVersion: 1, currentVersion: 2 })
      expect(await conduit.attachments.contributors('plan')).toHaveLength(2)
      expect(await conduit.attachments.contentByHash(sha('v2b'))).toBeUndefined()
    })

    it('walks the lifecycle: review, approvals per reviewer with the version, lock, archive', async () => {
      await conduit.attachments.create({ conversationId, agentId: 'alice', slug: 'plan', content: 'v1' })
      await expectCode(conduit.attachments.review('plan', { reviewerId: 'bob', status: 'approved' }), 'INVARIANT') // still a draft
      await conduit.attachments.setMode('plan', { mode: 'review' })
      await conduit.attachments.review('plan', { reviewerId: 'bob', status: 'rejected', comment: 'typo' })
      await conduit.attachments.addVersion('plan', { agentId: 'alice', content: 'v2' }) // fix during review
      await expectCode(conduit.attachments.setMode('plan', { mode: 'locked', requireApproval: true }), 'INVARIANT') // v2 not approved

      clock.advance(50)
      const approval = await conduit.attachments.review('plan', { reviewerId: 'bob', status: 'approved' })
      expect(approval).toMatchObject({ reviewerId: 'bob', status: 'approved', comment: null, versionReviewed: 2, createdAt: new Date(T0).toISOString(), updatedAt: new Date(T0 + 50).toISOString() })
      await conduit.attachments.review('plan', { reviewerId: 'carol', status: 'approved', version: 1 })
      expect((await conduit.attachments.approvals('plan')).map((a) => [a.reviewerId, a.status, a.versionReviewed])).toEqual([
        ['bob', 'approved', 2],
        ['carol', 'approved', 1],
      ])
      await expectCode(conduit.attachments.review('plan', { reviewerId: 'carol', status: 'approved', version: 3 }), 'NOT_FOUND')

      expect((await conduit.attachments.setMode('plan', { mode: 'locked', requireApproval: true })).mode).toBe('locked')
      await expectCode(conduit.attachments.addVersion('plan', { agentId: 'alice', content: 'v3' }), 'INVARIANT')
      await expectCode(conduit.attachments.review('plan', { reviewerId: 'bob', status: 'rejected' }), 'INVARIANT')
      await expectCode(conduit.attachments.setMode('plan', { mode: 'draft' }), 'INVARIANT')
      expect((await conduit.attachments.setMode('plan', { mode: 'archived' })).mode).toBe('archived')
      await expectCode(conduit.attachments.setMode('plan', { mode: 'review' }), 'INVARIANT')
      expect((await conduit.attachments.setMode('plan', { mode: 'archived' })).mode).toBe('archived') // no-op
    })

    it('enforces size limits with the limit in the error', async () => {
      const tooBig = new Uint8Array(CONDUIT_LIMITS.maxAttachmentBytes + 1)
      const error = await expectCode(conduit.attachments.create({ conversationId, agentId: 'alice', content: tooBig, format: 'binary' }), 'VALIDATION')
      expect(error.details).toMatchObject({ path: ['content'], limit: CONDUIT_LIMITS.maxAttachmentBytes, size: CONDUIT_LIMITS.maxAttachmentBytes + 1 })
      await conduit.attachments.create({ conversationId, agentId: 'alice', slug: 'ok', content: 'x' })
      await expectCode(conduit.attachments.addVersion('ok', { agentId: 'alice', content: tooBig }), 'VALIDATION')
      await expectCode(
        conduit.attachments.addVersion('ok', { agentId: 'alice', content: 'y', patchText: 'p'.repeat(CONDUIT_LIMITS.maxPatchBytes + 1) }),
        'VALIDATION',
      )
      expect(await rows(conduit, 'SELECT count(*) AS n FROM attachment_blobs')).toEqual([{ n: 1 }])
    })

    it('refuses unknown ids, outsiders and bad input', async () => {
      await expectCode(conduit.attachments.create({ conversationId: 'missing', agentId: 'alice', content: 'x' }), 'NOT_FOUND')
      await expectCode(conduit.attachments.create({ conversationId, agentId: 'mallory', content: 'x' }), 'NOT_FOUND')
      await expectCode(conduit.attachments.create({ conversationId, agentId: 'outsider', content: 'x' }), 'INVARIANT')
      await expectCode(conduit.attachments.create({ conversationId, agentId: 'alice', slug: 'Bad Slug', content: 'x' }), 'VALIDATION')
      await conduit.attachments.create({ conversationId, agentId: 'alice', slug: 'taken', content: 'x' })
      await expectCode(conduit.attachments.create({ conversationId, agentId: 'alice', slug: 'taken', content: 'y' }), 'CONFLICT')
      await expectCode(conduit.attachments.addVersion('missing', { agentId: 'alice', content: 'x' }), 'NOT_FOUND')
      await expectCode(conduit.attachments.addVersion('taken', { agentId: 'outsider', content: 'x' }), 'INVARIANT')
      await expectCode(conduit.attachments.content('taken', { version: 9 }), 'NOT_FOUND')
      await expectCode(conduit.attachments.versions('missing'), 'NOT_FOUND')
      expect(await conduit.attachments.get('missing')).toBeUndefined()
    })

    it('lists by conversation and mode; generates a slug when none is given', async () => {
      const generated = await conduit.attachments.create({ conversationId, agentId: 'alice', content: 'x' })
      expect(generated.slug).toMatch(/^[0-9a-f-]{36}$/)
      clock.advance(1)
      await conduit.attachments.create({ conversationId, agentId: 'bob', slug: 'second', content: 'y' })
      await conduit.attachments.setMode('second', { mode: 'review' })
      expect((await conduit.attachments.list({ conversationId })).map((a) => a.slug)).toEqual(['second', generated.slug])
      expect((await conduit.attachments.list({ conversationId, mode: 'review' })).map((a) => a.slug)).toEqual(['second'])
    })

    it('removes an attachment with everything it owns, keeping shared content', async () => {
      await conduit.attachments.create({ conversationId, agentId: 'alice', slug: 'a', content: 'shared' })
      await conduit.attachments.addVersion('a', { agentId: 'alice', content: 'only in a' })
      await conduit.attachments.setMode('a', { mode: 'review' })
      await conduit.attachments.review('a', { reviewerId: 'bob', status: 'approved' })
      await conduit.attachments.create({ conversationId, agentId: 'bob', slug: 'b', content: 'shared' })
      await conduit.attachments.remove('a')
      expect(await conduit.attachments.get('a')).toBeUndefined()
      expect(await conduit.attachments.contentByHash(sha('only in a'))).toBeUndefined()
      expect(text((await conduit.attachments.contentByHash(sha('shared')))!)).toBe('shared')
      for (const table of ['attachment_versions', 'attachment_approvals', 'attachment_contributors']) {
        expect(await rows(conduit, `SELECT count(*) AS n FROM ${table} WHERE slug = 'a'`)).toEqual([{ n: 0 }])
      }
      await expectCode(conduit.attachments.remove('a'), 'NOT_FOUND')
      expect((await conduit.integrityCheck()).ok).toBe(true)
    })

    it('purges expired attachments on the injected clock', async () => {
      await conduit.attachments.create({ conversationId, agentId: 'alice', slug: 'temp', content: 't', expiresAt: new Date(T0 + 1000).toISOString() })
      await conduit.attachments.create({ conversationId, agentId: 'alice', slug: 'keep', content: 'k' })
      expect((await conduit.attachments.get('temp'))!.expiresAt).toBe(new Date(T0 + 1000).toISOString())
      expect(await conduit.attachments.purgeExpired()).toBe(0)
      clock.advance(1000)
      expect(await conduit.attachments.purgeExpired()).toBe(1)
      expect((await conduit.attachments.list({ conversationId })).map((a) => a.slug)).toEqual(['keep'])
    })
  })
})
