/**
 * Agents: register an agent in the global identity store, attach it to a project,
 * list what the project sees, check its API key, pick an agent by availability,
 * then detach it.
 *
 *   npm run build && node examples/agents.ts [projectDir]
 *
 * The global stores and the key files go to `<project>/.global-demo` so the demo
 * leaves your real ~/.local/share/cleo alone; in an application omit `globalDir`.
 */
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { CleoWorkspace } from 'cleo-store'

const projectDir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'cleo-agents-'))
const globalDir = join(projectDir, '.global-demo')

const ws = await CleoWorkspace.open(projectDir, { globalDir })
try {
  // 1. Register: signaldock.db first (idempotent by slug), then the sealed key into tasks.db.
  const apiKey = 'sk_live_' + 'c0ffee'.repeat(10)
  const { agent, created } = await ws.agents.register({
    agentId: 'cleo-prime',
    name: 'Cleo Prime',
    class: 'orchestrator',
    capabilities: ['chat', 'tools'],
    skills: ['typescript'],
    apiKey,
  })
  console.log(`registered ${agent.agentId} (${created ? 'new' : 'already known, updated'}); capabilities: ${agent.capabilities.join(', ')}`)
  await ws.agents.register({ agentId: 'helper', name: 'Helper', class: 'code_dev' })
  console.log(`key files: ${readdirSync(globalDir).filter((n) => !n.endsWith('.db') && !n.includes('.db-')).sort().join(', ')}`)

  // 2. Attach to this project: only attached agents are visible here (ADR-037).
  await ws.agents.attach('cleo-prime', { role: 'lead' })
  const here = await ws.agents.list()
  console.log(`visible in this project: ${here.map((row) => `${row.agent.agentId} (role ${row.ref?.role})`).join(', ')}`)
  const everywhere = await ws.agents.list({ global: true })
  console.log(`registered globally: ${everywhere.map((row) => `${row.agent.agentId}${row.attached ? ' [attached]' : ''}`).join(', ')}`)

  // 3. The key is stored sealed (AES-256-GCM); verification is constant-time.
  console.log(`api key verifies: ${await ws.agents.verifyApiKey('cleo-prime', apiKey)}`)
  console.log(`wrong key verifies: ${await ws.agents.verifyApiKey('cleo-prime', 'sk_live_guess')}`)

  // 4. Availability: mark one agent rate-limited, let selection fall back deterministically.
  await ws.signaldock.availability.markUnavailable('cleo-prime', { reason: 'rate limited', forMs: 15 * 60_000 })
  const choice = await ws.signaldock.availability.selectAgent(['cleo-prime', 'helper'])
  console.log(`selected: ${choice.agentId}; skipped: ${choice.skipped.map((s) => `${s.agentId} (${s.reason}: ${s.detail})`).join(', ')}`)
  await ws.signaldock.availability.markAvailable('cleo-prime')

  // 5. Detach: hidden from this project, identity kept.
  await ws.agents.detach('cleo-prime')
  console.log(`after detach, visible here: ${(await ws.agents.list()).length}; with detached: ${(await ws.agents.list({ includeDisabled: true })).length}`)
} finally {
  await ws.close()
}
console.log('closed')
