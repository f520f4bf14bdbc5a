/**
 * The TeleClaude daemon's storage on cleo-store, every flow end to end.
 *
 *   npm run build && node examples/daemon-store.ts [directory]
 *
 * Takes the single-writer lock, runs a session through its lifecycle, feeds the hook
 * outbox (critical events, coalesced bursty events, an orphan) and drains it in
 * per-session order, registers and confirms message deletions (one of them fails and
 * is retried), reads and refreshes the snapshot cache, picks an agent with
 * fallback, and uses settings, voices and the command queue. Run it twice with the same directory: the second run recovers the open
 * session the first left behind.
 */
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { CleoWorkspace, DaemonStore, isCleoStoreError } from 'cleo-store'

const root = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'cleo-daemon-store-'))
const projectDir = join(root, 'project')
const globalDir = join(root, 'global')
mkdirSync(projectDir, { recursive: true })
mkdirSync(globalDir, { recursive: true })

const ws = await CleoWorkspace.open(projectDir, { globalDir })
const daemon = DaemonStore.from(ws, { hooks: { orphanAttempts: 1 } })
const owner = `daemon-${process.pid}`
let lease: Awaited<ReturnType<typeof daemon.lock.acquire>> | undefined
const stopHeartbeat = new AbortController()
try {
  // 1. Exactly one daemon: a lease row in conduit.db, not a pid file.
  lease = await daemon.lock.acquire(owner, { ttlMs: 30_000 })
  console.log(`lock: held by ${lease.owner} (token ${lease.token}); this store's daemon writes are now fenced by it`)
  // keepAlive heartbeats until aborted; it rejects with LEASE_LOST if another daemon takes over.
  const alive = daemon.lock.keepAlive({ intervalMs: 10_000, signal: stopHeartbeat.signal })
  alive.catch((error: unknown) => console.log(`lock: lost (${String(error)}); stop writing`))
  try {
    await daemon.lock.acquire('another-daemon')
  } catch (error) {
    if (!isCleoStoreError(error)) throw error
    console.log(`lock: a second daemon is refused with ${error.code}`)
  }

  // 2. Restart recovery: sessions a previous run left open.
  const recovered = await daemon.sessions.recover()
  console.log(`sessions: ${recovered.length} open session(s) recovered${recovered.length ? `: ${recovered.map((s) => s.id).join(', ')}` : ''}`)

  // 3. Session lifecycle: creating → active (tmux name) → metadata → closed.
  const id = `s-${Date.now().toString(36)}`
  const nativeSessionId = `native-${id}`
  await daemon.sessions.create({ id, agent: 'claude', computer: 'mbp', nativeSessionId, projectPath: '/src/app', thinkingMode: 'slow' })
  await daemon.sessions.activate(id, `tc_${id}`)
  const updated = await daemon.sessions.update(id, { title: 'Fix the parser', adapterMetadata: { telegram: { topicId: 7 } } })
  console.log(`session ${id}: ${updated.status} in ${updated.terminalName}, "${updated.title}"`)
  await daemon.sessions.touch(id) // the hot path: no audit row, coalesced
  const byNative = await daemon.sessions.findByNativeId(nativeSessionId)
  const recent = await daemon.sessions.list({ computer: 'mbp', status: 'active', orderBy: 'lastActivity', limit: 5 })
  console.log(`sessions: ${nativeSessionId} is ${byNative?.id}; most recent on mbp: ${recent.items.map((s) => s.id).join(', ')}`)

  // 4. Hook outbox: the hook side inserts; bursty events coalesce latest-wins.
  await daemon.hooks.enqueue({ sessionId: id, eventType: 'user_prompt_submit', data: { prompt: 'go' } })
  for (let i = 1; i <= 5; i++) await daemon.hooks.enqueue({ sessionId: id, eventType: 'tool_use', data: { tool: 'Read', i } })
  await daemon.hooks.enqueue({ sessionId: id, eventType: 'agent_stop', data: {} })
  await daemon.hooks.enqueue({ sessionId: 'no-such-session', eventType: 'agent_stop', data: {} })
  const report = await daemon.hooks.drain(({ event }) => {
    console.log(`  hook → coordinator: ${event.sessionId} ${event.eventType} ${JSON.stringify(event.data)}`)
  })
  console.log(`hooks: ${report.delivered} delivered, ${report.orphaned} orphan(s) recorded`)
  for (const orphan of await daemon.hooks.orphans()) console.log(`  dead letter: ${orphan.error}`)

  // 5. UX cleanup: each id confirmed on its own; a failure is retried later.
  for (const messageId of ['m1', 'm2', 'm3']) await daemon.cleanup.register({ sessionId: id, messageId, deletionType: 'user_input' })
  for (const item of await daemon.cleanup.take(id, 'user_input')) {
    if (item.messageId === 'm2') {
      const outcome = await daemon.cleanup.fail(item, 'HTTP 429')
      console.log(`cleanup: ${item.messageId} failed, ${outcome.outcome} (${outcome.outcome === 'retry' ? `in ${outcome.delayMs} ms` : ''})`)
    } else {
      await daemon.cleanup.confirm(item)
      console.log(`cleanup: ${item.messageId} deleted and confirmed`)
    }
  }
  console.log(`cleanup: ${(await daemon.cleanup.count(id, 'user_input')).pending} pending`)

  // 6. Snapshot cache: fresh / stale / missing, digest-skipped writes, revalidation.
  const first = await daemon.cache.put('projects:mbp', [{ path: '/src/app' }])
  const again = await daemon.cache.put('projects:mbp', [{ path: '/src/app' }])
  console.log(`cache: first put changed=${first.changed}, same snapshot again changed=${again.changed}`)
  const computers = await daemon.cache.revalidate('computers:mbp', () => ({ cpu: 0.3, online: true }))
  console.log(`cache: computers:mbp ${computers.state} ${JSON.stringify(computers.value)}; todos:mbp ${(await daemon.cache.get('todos:mbp')).state}`)

  console.log(`cache: due for refresh: ${(await daemon.cache.stale({ limit: 10 })).items.length}`)

  // 7. Agent availability with fallback; the CLIs get a minimal identity in signaldock.
  await daemon.agents.track(['claude', 'codex'])
  await daemon.agents.reportRateLimit('claude', { retryAfterMs: 60_000, reason: 'HTTP 429' })
  const choice = await daemon.agents.select(['claude', 'codex'])
  console.log(`agents: chose ${choice.agentId}; skipped ${choice.skipped.map((s) => `${s.agentId} (${s.reason}: ${s.detail})`).join(', ')}`)
  await daemon.agents.reportAvailable('claude')

  // 8. Settings, voices, durable commands.
  await daemon.settings.set('registry.telegram.messageId', 8812)
  await daemon.voices.assign(id, { service: 'elevenlabs', voice: 'Rachel' })
  await daemon.commands.enqueue({ command: 'send_keys', args: { text: 'y' }, sessionId: id, idempotencyKey: `tg:${id}:1` })
  const ran = await daemon.commands.process(({ command }) => console.log(`  command → ${command.command} ${JSON.stringify(command.args)}`))
  console.log(`settings: registry message ${await daemon.settings.get('registry.telegram.messageId')}; voice ${(await daemon.voices.get(id))?.voice}; commands done: ${ran.done}`)

  // 9. Close the session: its pending deletions and cache entry go with it.
  const { session, purgedDeletions } = await daemon.sessions.close(id)
  console.log(`session ${id}: ${session.status} at ${session.endedAt}; ${purgedDeletions} cleanup entr(ies) purged with it`)

  // Leave one open session behind for the next run to recover.
  await daemon.sessions.create({ id: `left-open-${process.pid}`, agent: 'codex' })
} finally {
  stopHeartbeat.abort()
  if (lease) await daemon.lock.release(lease)
  await ws.close()
}
console.log(`done (${root})`)
