/**
 * Backup and restore, with the nexus registry and opt-in telemetry on the way:
 *
 * 1. open a workspace (it registers itself in nexus.db under a stable project id);
 * 2. run a warp chain instance and record a telemetry event (telemetry is opted in here);
 * 3. check the workspace, then take an online backup with progress;
 * 4. change something, close, restore the backup, and see the change undone.
 *
 *   npm run build && node examples/backup-restore.ts [directory]
 *
 * Everything goes under the given directory (or a temporary one): the project, its
 * global directory and the backups.
 */
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { CleoWorkspace, listWorkspaceBackups } from 'cleo-store'

const root = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'cleo-backup-restore-'))
const projectDir = join(root, 'project')
const globalDir = join(root, 'global')
const backupsDir = join(root, 'backups')
mkdirSync(projectDir, { recursive: true })

let backupPath: string
const ws = await CleoWorkspace.open(projectDir, { globalDir, telemetry: true })
try {
  const project = await ws.nexus.projects.get(ws.projectId)
  console.log(`project ${project.name} registered as ${project.id}`)
  console.log(`  path hash ${project.hash.slice(0, 12)}…, ${await ws.nexus.projects.count()} project(s) known`)

  const chain = await ws.nexus.chains.define({
    name: 'feature',
    definition: {
      stages: [{ id: 'plan', gates: [{ id: 'approved' }] }, { id: 'build' }],
      links: [{ from: 'plan', to: 'build' }],
      entryPoint: 'plan',
      exitPoints: ['build'],
    },
  })
  const run = await ws.nexus.instances.create({ chainId: chain.id, projectId: ws.projectId })
  await ws.nexus.instances.start(run.id)
  await ws.nexus.instances.recordGate(run.id, { stage: 'plan', gate: 'approved', result: 'pass' })
  const moved = await ws.nexus.instances.advance(run.id, { to: 'build' })
  console.log(`warp chain ${chain.name}@${chain.version}: instance now in stage "${moved.currentStage}"`)

  await ws.telemetry?.record({ command: 'example.backup', domain: 'example', operation: 'backup', durationMs: 42, exitCode: 0 })
  const [stats] = (await ws.telemetry?.aggregate()) ?? []
  console.log(`telemetry (opted in): ${stats?.command} ran ${stats?.count} time(s), p95 ${stats?.p95DurationMs} ms`)

  const report = await ws.check()
  console.log(`check: ${report.ok ? 'ok' : 'problems found'} (${report.checks.join(', ')})`)

  const backup = await ws.backup(backupsDir, {
    keep: 3,
    onProgress: (p) => {
      if (p.phase === 'done') console.log(`  backed up ${p.store.padEnd(10)} ${p.totalPages} page(s)`)
    },
  })
  backupPath = backup.path
  console.log(`backup: ${backup.path}`)

  // Something we will regret:
  await ws.nexus.instances.remove(run.id)
  console.log(`removed the instance; instances now: ${(await ws.nexus.instances.list()).length}`)
} finally {
  await ws.close()
}

const [latest] = await listWorkspaceBackups(backupsDir)
console.log(`newest backup: ${latest?.manifest.createdAt}, ${latest?.manifest.stores.length} store(s), checksums in manifest.json`)
const restored = await CleoWorkspace.restore(backupPath, projectDir, { globalDir })
console.log(`restored ${restored.restored.map((r) => r.store).join(', ')}; replaced files kept in:`)
for (const dir of restored.replacedDirs) console.log(`  ${dir}`)

const again = await CleoWorkspace.open(projectDir, { globalDir })
try {
  console.log(`instances after restore: ${(await again.nexus.instances.list()).length}`)
  console.log(`check after restore: ${(await again.check({ full: true })).ok ? 'ok' : 'problems found'}`)
  console.log(`same project id: ${again.projectId}`)
} finally {
  await again.close()
}
