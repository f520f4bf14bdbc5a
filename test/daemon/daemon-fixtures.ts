/** Shared setup of the daemon suites: an in-memory workspace on a manual clock. */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

import { afterEach } from 'vitest'

import { DaemonStore } from '../../src/daemon/daemon-store.js'
import type { DaemonStoreOptions } from '../../src/daemon/daemon.schemas.js'
import { manualClock } from '../../src/sqlite/clock.js'
import { CleoWorkspace } from '../../src/workspace/workspace.js'
import { tempDir } from '../helpers.js'

/** 2026-01-01T00:00:00Z */
export const T0 = Date.UTC(2026, 0, 1)

/** A fresh in-memory workspace with a manual clock at {@link T0}, and its daemon store. */
export async function openDaemon(options: DaemonStoreOptions = {}) {
  const clock = manualClock(T0)
  const ws = await CleoWorkspace.open(tempDir('cleo-daemon-'), { inMemory: true, clock })
  return { ws, daemon: DaemonStore.from(ws, options), clock }
}

/**
 * A `setup(options)` for one test file: each call opens {@link openDaemon}, and an
 * `afterEach` closes every workspace it opened.
 */
export function daemonSetup(): (options?: DaemonStoreOptions) => ReturnType<typeof openDaemon> {
  const workspaces: CleoWorkspace[] = []
  afterEach(async () => {
    for (const ws of workspaces.splice(0)) await ws.close()
  })
  return async (options = {}) => {
    const opened = await openDaemon(options)
    workspaces.push(opened.ws)
    return opened
  }
}

/** A project directory and a global directory on disk, for restart and process tests. */
export function diskDirs(): { projectDir: string; globalDir: string } {
  const root = tempDir('cleo-daemon-disk-')
  const projectDir = join(root, 'project')
  const globalDir = join(root, 'global')
  mkdirSync(projectDir)
  mkdirSync(globalDir)
  return { projectDir, globalDir }
}
