/**
 * Quickstart: open a real on-disk workspace, look at what was created, and close it.
 *
 *   npm install && npm run demo
 *
 * Pass a project directory as the first argument, or a temporary one is used.
 * The global stores go to `<project>/.global-demo` here so the demo leaves your
 * real ~/.local/share/cleo alone; in an application you would omit `globalDir`.
 */
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { CleoWorkspace } from 'cleo-store'

const projectDir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'cleo-quickstart-'))
const globalDir = join(projectDir, '.global-demo')

// On Node >= 24 (or TypeScript-compiled code) `await using ws = …` closes it for you.
const ws = await CleoWorkspace.open(projectDir, { globalDir })
try {
  console.log(`project:  ${ws.projectDir}`)
  console.log(`global:   ${ws.globalDir}`)
  console.log(`.cleo/:   ${readdirSync(join(projectDir, '.cleo')).filter((n) => n.endsWith('.db')).join(', ')}`)
  console.log(`global/:  ${readdirSync(globalDir).filter((n) => n.endsWith('.db')).join(', ')}`)
  console.log(`telemetry: ${ws.telemetry === null ? 'off (not opted in; no telemetry.db)' : 'on'}`)

  for (const [name, store] of Object.entries({ tasks: ws.tasks, brain: ws.brain, conduit: ws.conduit, signaldock: ws.signaldock, nexus: ws.nexus })) {
    const report = await store.integrityCheck({ quick: true })
    console.log(`${name.padEnd(10)} schema ${store.schemaVersion}  integrity ${report.ok ? 'ok' : report.problems.join('; ')}`)
  }
} finally {
  await ws.close()
}

console.log('closed; run again with the same directory to reopen it:')
console.log(`  node examples/quickstart.ts ${projectDir}`)
