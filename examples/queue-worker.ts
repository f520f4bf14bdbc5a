/**
 * A worker loop over conduit's durable delivery queue.
 *
 *   npm run build && node examples/queue-worker.ts [directory]
 *
 * Producers enqueue work (message deliveries, ordered hook events with a coalescing
 * "latest wins" key, a job that always fails); a worker claims batches under a lease,
 * keeps long jobs alive with a heartbeat, acks what succeeded and nacks what failed
 * (backoff, then a dead letter). Run it twice with the same directory: the queue is
 * on disk, and whatever a killed worker held comes back after its lease.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

import { ConduitRepository, isCleoStoreError } from 'cleo-store'
import type { ClaimedJob, MessageDeliveryPayload } from 'cleo-store'

const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'cleo-queue-worker-'))
const conduit = await ConduitRepository.open(join(dir, 'conduit.db'))
const owner = `worker-${process.pid}`
const LEASE_MS = 2000

/** Renews the lease every third of its length while `work` runs. */
async function withHeartbeat<T>(job: ClaimedJob, work: () => Promise<T>): Promise<T> {
  let lease = job.lease
  const timer = setInterval(() => {
    conduit.queue.extend(lease, { leaseMs: LEASE_MS }).then(
      (renewed) => (lease = renewed),
      () => clearInterval(timer), // LEASE_LOST: someone else has the job now; the ack will say so
    )
  }, LEASE_MS / 3)
  try {
    return await work()
  } finally {
    clearInterval(timer)
  }
}

type HookEvent = { session: string; event: string }
const handlers: Record<string, (job: ClaimedJob) => Promise<void>> = {
  // A transport: hand the message over, then record it delivered.
  'conduit.delivery': async (job) => {
    const { messageId, recipientId } = job.payload as MessageDeliveryPayload
    await conduit.inbox.markDelivered(recipientId, [messageId])
    console.log(`  delivered message …${messageId.slice(-6)} to ${recipientId}`)
  },
  hooks: async (job) => {
    const { session, event } = job.payload as HookEvent
    if (event === 'explode') throw new Error('handler crashed on this payload')
    await sleep(5)
    console.log(`  hook ${session}: ${event}`)
  },
}

try {
  // Producers -----------------------------------------------------------------
  for (const agent of ['alice', 'bob', 'carol']) await conduit.agentRefs.attach(agent)
  await conduit.conversations.createGroup({ createdBy: 'alice', participants: ['bob', 'carol'], name: 'team' })
  await conduit.messages.send({ from: 'alice', group: 'team', content: 'release at 5pm', deliver: true })
  await conduit.messages.send({ from: 'bob', to: 'alice', content: 'ack', deliver: true })

  const hook = (event: string, extra: object = {}) =>
    conduit.queue.enqueue({ queue: 'hooks', payload: { session: 's-1', event }, partitionKey: 's-1', ordered: true, ...extra })
  await hook('session_start')
  await hook('tool_use #1', { coalesceKey: 's-1:tool_use' })
  await hook('tool_use #2', { coalesceKey: 's-1:tool_use' }) // replaces #1: latest wins
  await hook('agent_stop')
  await conduit.queue.enqueue({ queue: 'hooks', payload: { session: 's-2', event: 'explode' }, maxAttempts: 2 })
  const again = await conduit.queue.enqueue({ queue: 'hooks', payload: { session: 's-1', event: 'session_start' }, dedupKey: 's-1:start' })
  const dup = await conduit.queue.enqueue({ queue: 'hooks', payload: { session: 's-1', event: 'session_start' }, dedupKey: 's-1:start' })
  console.log(`enqueued; a repeated dedup key gave "${dup.outcome}" (job ${dup.job.id} = ${again.job.id})`)

  // The worker loop -------------------------------------------------------------
  for (const queue of Object.keys(handlers)) {
    console.log(`draining ${queue}:`)
    for (;;) {
      const jobs = await conduit.queue.claim(10, { queue, owner, leaseMs: LEASE_MS })
      if (jobs.length === 0) {
        if ((await conduit.queue.stats(queue)).depth === 0) break
        await sleep(20) // delayed retries, or another worker's leases
        continue
      }
      for (const job of jobs) {
        try {
          await withHeartbeat(job, () => handlers[queue]!(job))
          await conduit.queue.ack(job.lease)
        } catch (error) {
          if (isCleoStoreError(error, 'LEASE_LOST')) continue // another worker owns it now
          const result = await conduit.queue.nack(job.lease, { error: String(error), backoff: { baseMs: 10 } })
          console.log(`  job ${job.id} failed (attempt ${job.attempts}/${job.maxAttempts}): ${result.outcome}`)
        }
      }
    }
  }

  // Operations ------------------------------------------------------------------
  for (const letter of await conduit.queue.deadLetters()) {
    console.log(`dead letter: job ${letter.job.id} (${letter.job.queue}) ${letter.reason} after ${letter.attempts} attempts: ${letter.error}`)
  }
  console.log('receipts of the group message:', JSON.stringify((await conduit.inbox.receipts((await conduit.inbox.page('bob')).items[0]!.id)).map((r) => [r.agentId, r.deliveredAt !== null])))
  console.log('hooks stats:', JSON.stringify(await conduit.queue.stats('hooks')))
  console.log(`pruned ${await conduit.queue.prune({ olderThanMs: 0 })} done jobs`)
  console.log(`queue file: ${join(dir, 'conduit.db')}`)
} finally {
  await conduit.close()
}
