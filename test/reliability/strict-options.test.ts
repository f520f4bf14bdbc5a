/**
 * Issue 14, items 9, 10 and 12 (options): every options object is strict (an unknown
 * key is VALIDATION naming it), options of the wrong type are VALIDATION, telemetry is
 * opted into only by `true` or an options object — and a refused open creates nothing.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

import { afterEach, describe, expect, it } from 'vitest'

import {
  BrainRepository,
  CleoWorkspace,
  ConduitRepository,
  NexusRepository,
  SignaldockRepository,
  TasksRepository,
  TelemetryRepository,
} from '../../src/index.js'
import { expectCode, tempDir } from '../helpers.js'

const opened: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close()
})

function dirs(): { project: string; global: string } {
  const root = tempDir()
  const project = join(root, 'project')
  mkdirSync(project)
  return { project, global: join(root, 'global') }
}

/** Every file and directory under `root`, relative. */
function tree(root: string): string[] {
  return existsSync(root) ? readdirSync(root, { recursive: true }).map(String).sort() : []
}

describe('item 9: CleoWorkspace.open options are strict', () => {
  it('{ inmemory: true } is VALIDATION naming the key, and nothing is created', async () => {
    const { project, global } = dirs()
    const error = await expectCode(CleoWorkspace.open(project, { globalDir: global, inmemory: true } as never), 'VALIDATION')
    expect(error.details?.['path']).toEqual(['inmemory'])
    expect(error.message).toContain('inmemory')
    expect(tree(project)).toEqual([])
    expect(existsSync(global)).toBe(false)
  })

  it('unknown keys nested in options (busyRetry, telemetry, signaldock) name their path', async () => {
    const { project, global } = dirs()
    const a = await expectCode(CleoWorkspace.open(project, { globalDir: global, busyRetry: { timeoutMS: 5 } } as never), 'VALIDATION')
    expect(a.details?.['path']).toEqual(['busyRetry', 'timeoutMS'])
    const b = await expectCode(CleoWorkspace.open(project, { globalDir: global, telemetry: { retension: {} } } as never), 'VALIDATION')
    expect(b.details?.['path']).toEqual(['telemetry', 'retension'])
    expect(tree(project)).toEqual([])
    expect(existsSync(global)).toBe(false)
  })

  it("inMemory: 'yes', a non-string projectDir and busyTimeoutMs: 'x' are VALIDATION with a path", async () => {
    const { project, global } = dirs()
    const yes = await expectCode(CleoWorkspace.open(project, { globalDir: global, inMemory: 'yes' } as never), 'VALIDATION')
    expect(yes.details?.['path']).toEqual(['inMemory'])
    const dir = await expectCode(CleoWorkspace.open(42 as never, { inMemory: true }), 'VALIDATION')
    expect(dir.details?.['path']).toEqual(['projectDir'])
    const busy = await expectCode(CleoWorkspace.open(project, { inMemory: true, busyTimeoutMs: 'x' } as never), 'VALIDATION')
    expect(busy.details?.['path']).toEqual(['busyTimeoutMs'])
    expect(tree(project)).toEqual([])
  })

  it('every option the workspace documents is still accepted', async () => {
    const { project, global } = dirs()
    const ws = await CleoWorkspace.open(project, {
      globalDir: global,
      telemetry: { retention: { maxRows: 10 } },
      busyTimeoutMs: 1000,
      synchronous: 'FULL',
      statementCacheSize: 16,
      busyRetry: { baseDelayMs: 1 },
      backupsKept: 1,
      clock: () => Date.now(),
    })
    opened.push(ws)
    expect(ws.telemetry).not.toBeNull()
  })
})

describe('item 9: repository open options are strict', () => {
  const OPENERS: Record<string, (options: object) => Promise<{ close(): Promise<void> }>> = {
    TasksRepository: (o) => TasksRepository.open(':memory:', o),
    BrainRepository: (o) => BrainRepository.open(':memory:', o),
    ConduitRepository: (o) => ConduitRepository.open(':memory:', o),
    SignaldockRepository: (o) => SignaldockRepository.open(':memory:', o),
    NexusRepository: (o) => NexusRepository.open(':memory:', o),
    TelemetryRepository: (o) => TelemetryRepository.open(':memory:', o),
  }
  for (const [name, open] of Object.entries(OPENERS)) {
    it(`${name}.open: an unknown key is VALIDATION naming it; a wrong-typed option is VALIDATION with its path`, async () => {
      const unknown = await expectCode(open({ busyTimeoutMS: 10 }), 'VALIDATION')
      expect(unknown.details?.['path']).toEqual(['busyTimeoutMS'])
      const busy = await expectCode(open({ busyTimeoutMs: 'x' }), 'VALIDATION')
      expect(busy.details?.['path']).toEqual(['busyTimeoutMs'])
      const sync = await expectCode(open({ synchronous: 'OFF' }), 'VALIDATION')
      expect(sync.details?.['path']).toEqual(['synchronous'])
      opened.push(await open({ busyTimeoutMs: 100, clock: () => 0 }))
    })
  }
  it('a file path is not created when the options are refused', async () => {
    const dir = tempDir()
    await expectCode(TasksRepository.open(join(dir, 'tasks.db'), { bogus: 1 } as never), 'VALIDATION')
    expect(tree(dir)).toEqual([])
  })
})

describe('item 9: ws.agents and ws.backup options are strict', () => {
  it("ws.agents.register with 'apikey' (typo) is VALIDATION and registers nothing", async () => {
    const { project } = dirs()
    const ws = await CleoWorkspace.open(project, { inMemory: true })
    opened.push(ws)
    const error = await expectCode(ws.agents.register({ agentId: 'typo', name: 'T', apikey: 'sk_live_secret' } as never), 'VALIDATION')
    expect(error.details?.['path']).toEqual(['apikey'])
    expect(error.message).not.toContain('sk_live_secret')
    expect(await ws.signaldock.agents.get('typo')).toBeNull()
    const attach = await expectCode(ws.agents.register({ agentId: 'typo', name: 'T', attach: { rol: 'x' } } as never), 'VALIDATION')
    expect(attach.details?.['path']).toEqual(['attach', 'rol'])
    expect(await ws.signaldock.agents.get('typo')).toBeNull()
  })

  it('ws.agents.list, ws.agents.remove and ws.backup refuse unknown keys', async () => {
    const { project } = dirs()
    const ws = await CleoWorkspace.open(project, { inMemory: true })
    opened.push(ws)
    await ws.agents.register({ agentId: 'a', name: 'A', attach: true })
    const list = await expectCode(ws.agents.list({ globl: true } as never), 'VALIDATION')
    expect(list.details?.['path']).toEqual(['globl'])
    await expectCode(ws.agents.list({ global: 'yes' } as never), 'VALIDATION')
    const remove = await expectCode(ws.agents.remove('a', { Global: true } as never), 'VALIDATION')
    expect(remove.details?.['path']).toEqual(['Global'])
    expect(await ws.agents.get('a')).not.toBeNull()
    const backupDir = tempDir()
    const backup = await expectCode(ws.backup(backupDir, { kepp: 1 } as never), 'VALIDATION')
    expect(backup.details?.['path']).toEqual(['kepp'])
    expect(tree(backupDir)).toEqual([])
  })
})

describe('item 9: restore, check and repair options are strict', () => {
  it('CleoWorkspace.restore, CleoWorkspace.deleteTelemetry, ws.check and ws.repair refuse unknown keys and wrong types, naming them', async () => {
    const { project } = dirs()
    const ws = await CleoWorkspace.open(project, { inMemory: true })
    opened.push(ws)
    const check = await expectCode(ws.check({ ful: true } as never), 'VALIDATION')
    expect(check.details?.['path']).toEqual(['ful'])
    const repair = await expectCode(ws.repair({ full: 'yes' } as never), 'VALIDATION')
    expect(repair.details?.['path']).toEqual(['full'])
    const restore = await expectCode(CleoWorkspace.restore(tempDir(), project, { keepreplaced: false } as never), 'VALIDATION')
    expect(restore.details?.['path']).toEqual(['keepreplaced'])
    const dir = await expectCode(CleoWorkspace.restore(tempDir(), project, { globalDir: 42 } as never), 'VALIDATION')
    expect(dir.details?.['path']).toEqual(['globalDir'])
    const del = await expectCode(CleoWorkspace.deleteTelemetry({ globaldir: tempDir() } as never), 'VALIDATION')
    expect(del.details?.['path']).toEqual(['globaldir'])
  })
})

describe('item 10: telemetry is opt-in only by true or an options object', () => {
  for (const value of [0, '', 'false', '0', 'no', null, 1, 'true', []]) {
    it(`telemetry: ${JSON.stringify(value)} is VALIDATION and creates nothing`, async () => {
      const { project, global } = dirs()
      const error = await expectCode(CleoWorkspace.open(project, { globalDir: global, telemetry: value } as never), 'VALIDATION')
      expect(error.details?.['path']).toEqual(['telemetry'])
      expect(tree(project)).toEqual([])
      expect(existsSync(global)).toBe(false)
    })
  }

  it('false and undefined leave telemetry off; true and {} turn it on', async () => {
    for (const [value, on] of [
      [false, false],
      [undefined, false],
      [true, true],
      [{}, true],
    ] as const) {
      const { project, global } = dirs()
      const ws = await CleoWorkspace.open(project, { globalDir: global, telemetry: value as never })
      expect(ws.telemetry !== null, String(value)).toBe(on)
      await ws.close()
      expect(existsSync(join(global, 'telemetry.db')), String(value)).toBe(on)
    }
  })
})
