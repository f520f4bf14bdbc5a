import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { ensureKeyFile, keyFilePaths, loadKeyMaterial, readKeyFile } from '../../src/kdf/key-files.js'
import { expectCode, runFixture, startGate, tempDir } from '../helpers.js'

const POSIX = process.platform !== 'win32'

describe('key files', () => {
  it('creates both files on first use: 32 random bytes, mode 0600, and never rewrites them', () => {
    const dir = join(tempDir(), 'global')
    const first = loadKeyMaterial(dir)
    const paths = keyFilePaths(dir)
    for (const file of [paths.machineKey, paths.globalSalt]) {
      const stat = statSync(file)
      expect(stat.size).toBe(32)
      if (POSIX) expect(stat.mode & 0o777).toBe(0o600)
    }
    expect(first.machineKey.equals(first.globalSalt)).toBe(false)
    expect(readFileSync(paths.machineKey).equals(first.machineKey)).toBe(true)

    const again = loadKeyMaterial(dir)
    expect(again.machineKey.equals(first.machineKey)).toBe(true)
    expect(again.globalSalt.equals(first.globalSalt)).toBe(true)
    expect(readdirSync(dir).sort()).toEqual(['global-salt', 'machine-key'])
  })

  it('creates 0600 files whatever the umask', () => {
    if (!POSIX) return
    const dir = tempDir()
    const previous = process.umask(0o377)
    try {
      ensureKeyFile(join(dir, 'machine-key'))
    } finally {
      process.umask(previous)
    }
    expect(statSync(join(dir, 'machine-key')).mode & 0o777).toBe(0o600)
  })

  it('with create: false, a missing file is NOT_FOUND and nothing is created', async () => {
    const dir = tempDir()
    await expectCode(() => loadKeyMaterial(dir, { create: false }), 'NOT_FOUND')
    expect(readdirSync(dir)).toEqual([])
  })

  it('refuses a file of the wrong size with KEY_FILE and leaves it untouched', async () => {
    const dir = tempDir()
    for (const size of [0, 31, 33, 64]) {
      const file = join(dir, `key-${size}`)
      writeFileSync(file, Buffer.alloc(size, 7), { mode: 0o600 })
      const error = await expectCode(() => ensureKeyFile(file), 'KEY_FILE')
      expect(error.details?.['size']).toBe(size)
      expect(readFileSync(file).equals(Buffer.alloc(size, 7))).toBe(true)
    }
  })

  it('refuses a file readable by others (mode 0644, 0640, 0400) with KEY_FILE', async () => {
    if (!POSIX) return
    const dir = tempDir()
    const bytes = Buffer.alloc(32, 9)
    for (const mode of [0o644, 0o640, 0o400, 0o700]) {
      const file = join(dir, `key-${mode.toString(8)}`)
      writeFileSync(file, bytes)
      chmodSync(file, mode)
      const error = await expectCode(() => loadKeyMaterialFile(file), 'KEY_FILE')
      expect(error.details?.['mode']).toBe(mode)
      expect(statSync(file).mode & 0o777).toBe(mode)
      expect(readFileSync(file).equals(bytes)).toBe(true)
    }
  })

  it('refuses a symlink, even to a valid key file, and a directory', async () => {
    const dir = tempDir()
    const target = join(dir, 'real-key')
    writeFileSync(target, Buffer.alloc(32, 1), { mode: 0o600 })
    const link = join(dir, 'machine-key')
    symlinkSync(target, link)
    await expectCode(() => readKeyFile(link), 'KEY_FILE')
    await expectCode(() => ensureKeyFile(link), 'KEY_FILE')
    const dangling = join(dir, 'global-salt')
    symlinkSync(join(dir, 'nowhere'), dangling)
    await expectCode(() => ensureKeyFile(dangling), 'KEY_FILE')
    expect(readdirSync(dir).sort()).toEqual(['global-salt', 'machine-key', 'real-key'])

    const sub = join(dir, 'sub')
    mkdirSync(join(sub, 'machine-key'), { recursive: true })
    await expectCode(() => loadKeyMaterial(sub), 'KEY_FILE')
  })

  it('reads an existing valid file as is', () => {
    const dir = tempDir()
    const bytes = Buffer.from('0123456789abcdef0123456789abcdef')
    writeFileSync(join(dir, 'machine-key'), bytes, { mode: 0o600 })
    chmodSync(join(dir, 'machine-key'), 0o600)
    expect(loadKeyMaterial(dir).machineKey.equals(bytes)).toBe(true)
  })

  it('concurrent first runs in several processes agree on one file each', async () => {
    const dir = join(tempDir(), 'fresh-global')
    const gate = startGate(6)
    const runs = await Promise.all(
      Array.from({ length: 6 }, () => runFixture('key-file-race.ts', [dir, gate])),
    )
    const results = runs.map((run) => JSON.parse(run.stdout.trim()) as { ok: boolean; machineKey: string; globalSalt: string })
    for (const result of results) expect(result.ok, JSON.stringify(result)).toBe(true)
    expect(new Set(results.map((r) => r.machineKey)).size).toBe(1)
    expect(new Set(results.map((r) => r.globalSalt)).size).toBe(1)
    const onDisk = loadKeyMaterial(dir, { create: false })
    expect(onDisk.machineKey.toString('hex')).toBe(results[0]!.machineKey)
    expect(onDisk.globalSalt.toString('hex')).toBe(results[0]!.globalSalt)
    // No temporary file is left behind.
    expect(readdirSync(dir).sort()).toEqual(['global-salt', 'machine-key'])
  })
})

function loadKeyMaterialFile(file: string): Buffer {
  return readKeyFile(file)
}
