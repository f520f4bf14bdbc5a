/**
 * sqlite-vec is an optional dependency (issue 15 item 6). A child process whose
 * module resolution refuses `sqlite-vec` (as after `npm install --omit=optional`, or
 * on a platform without a binary) opens a workspace and a brain store; full-text
 * search works, vector features are UNSUPPORTED with the fix. Files move between
 * processes with and without the extension in both directions.
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { BrainRepository, FeatureHashingEmbedder } from '../../src/index.js'
import { SQLITE_VEC_PLATFORMS } from '../../src/sqlite/sqlite-vec.js'
import { REPO_ROOT, runFixture, tempDir } from '../helpers.js'
import { track } from './brain-helpers.js'

const embedder = () => new FeatureHashingEmbedder({ dimensions: 64 })

function dirs() {
  const root = tempDir('cleo-novec-')
  const projectDir = join(root, 'project')
  const globalDir = join(root, 'global')
  mkdirSync(projectDir)
  return { root, projectDir, globalDir }
}

describe('sqlite-vec optional', () => {
  it('without sqlite-vec: workspace and brain open, memories record, FTS works, vector/hybrid/reindex are UNSUPPORTED with the fix', async () => {
    const { projectDir, globalDir } = dirs()
    const { stdout } = await runFixture('brain-without-sqlite-vec.ts', [projectDir, globalDir])
    const out = JSON.parse(stdout)
    expect(out.refused).toBe(true)
    expect(out.workspaceOpened).toBe(true)
    expect(out.recorded).toBe('none') // no vector table can be created: nothing to embed into
    // The default mode falls back to full-text.
    expect(out.defaultSearch).toEqual([{ id: true, fts: true, vector: false }])
    expect(out.fts).toBe(1)
    for (const key of ['vector', 'hybrid', 'reindex']) {
      expect(out[key].code, key).toBe('UNSUPPORTED')
      expect(out[key].message).toMatch(/sqlite-vec/)
      expect(out[key].message).toMatch(/npm install sqlite-vec/)
      expect(out[key].message).toMatch(/macOS x64\/arm64/)
    }
    expect(out.status).toMatchObject({ embedder: true, dimensions: null, vectors: 0 })
    expect(out.status.sqliteVecMissing).toMatch(/sqlite-vec/)
    expect(out.check).toEqual({ code: null, message: 'ok' })
    expect(out.backup).toEqual({ code: null, message: 'ok' })

    // The same files opened with sqlite-vec: the vector table is created, every entry queued, embedded, searchable.
    const brain = track(await BrainRepository.open(join(projectDir, '.cleo', 'brain.db'), { embedder: embedder() }))
    expect(await brain.embeddingStatus()).toMatchObject({ dimensions: 64, vectors: 0, queued: 1, sqliteVecMissing: null })
    expect((await brain.reindex()).embedded).toBe(1)
    const hits = await brain.search('journal', { mode: 'vector' })
    expect(hits[0]?.kind).toBe('decision')
  })

  it('a store made with vectors opens without sqlite-vec (FTS, writes, check, backup); back with sqlite-vec, stale vectors are gone and reindex catches up', async () => {
    const { projectDir, globalDir } = dirs()
    // The workspace's brain.db, created with vectors.
    const file = join(projectDir, '.cleo', 'brain.db')
    mkdirSync(join(projectDir, '.cleo'), { recursive: true }) // a repository never creates directories
    const brain = await BrainRepository.open(file, { embedder: embedder() })
    const a = (await brain.record({ kind: 'learning', insight: 'WAL checkpoint starvation under long readers', source: 't', confidence: 0.9 })).memory
    const b = (await brain.record({ kind: 'learning', insight: 'Checkpoint after bulk imports', source: 't', confidence: 0.9 })).memory
    expect(await brain.embeddingStatus()).toMatchObject({ vectors: 2, queued: 0 })
    await brain.close()

    const { stdout } = await runFixture('brain-without-sqlite-vec.ts', [projectDir, globalDir, file])
    const out = JSON.parse(stdout)
    // The workspace part ran on this file (its vec0 table present, the extension absent).
    expect(out.recorded).toBe('queued')
    expect(out.vector.code).toBe('UNSUPPORTED')
    expect(out.check).toEqual({ code: null, message: 'ok' })
    expect(out.backup).toEqual({ code: null, message: 'ok' })
    const { existing } = out
    expect(existing.status).toMatchObject({ embedder: true, dimensions: 64, vectors: 2, queued: 1 })
    expect(existing.status.sqliteVecMissing).toMatch(/sqlite-vec/)
    expect([...existing.fts].sort()).toEqual([a.id, b.id].sort())
    expect(existing.vector.code).toBe('UNSUPPORTED')
    expect(existing.updated).toBe(b.id)
    expect(existing.deleted).toBe(true)
    expect(existing.maintain).toEqual({ code: null, message: 'ok' })
    // Vectors could not be touched: b's is stale, a's an orphan; b, the decision and the new memory wait in the queue.
    expect(existing.after).toMatchObject({ vectors: 2, queued: 3 })
    // A different embedder is still refused; a reset needs sqlite-vec (it drops the vector table).
    expect(out.mismatch.code).toBe('VALIDATION')
    expect(out.reset.code).toBe('UNSUPPORTED')
    expect(out.reset.message).toMatch(/npm install sqlite-vec/)

    const back = track(await BrainRepository.open(file, { embedder: embedder() }))
    // Opening with sqlite-vec removed the stale vector of the queued (updated) memory; a's orphan is left to maintain().
    expect(await back.embeddingStatus()).toMatchObject({ vectors: 1, queued: 3, sqliteVecMissing: null })
    expect((await back.search('bananas apples', { mode: 'vector' })).map((h) => h.id)).toEqual([])
    expect((await back.maintain()).orphanVectorsRemoved).toBe(1)
    expect(await back.reindex()).toMatchObject({ embedded: 3, remaining: 0 })
    expect((await back.search('bananas apples', { mode: 'vector', limit: 1 }))[0]?.id).toBe(b.id)
    expect((await back.search('cinnamon walnuts', { mode: 'vector', limit: 1 }))[0]?.id).toBe(existing.recorded)
    expect(await back.embeddingStatus()).toMatchObject({ vectors: 3, queued: 0 })
  })

  it('the documented platform list is sqlite-vec’s own list of native packages (no windows-arm64)', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/sqlite-vec/package.json'), 'utf8'))
    const shipped = Object.keys(pkg.optionalDependencies)
      .map((name: string) => name.replace('sqlite-vec-', '').replace('windows', 'win32'))
      .sort()
    expect(shipped).toEqual([...SQLITE_VEC_PLATFORMS].sort())
    expect(SQLITE_VEC_PLATFORMS).not.toContain('win32-arm64')
    const ours = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'))
    expect(ours.optionalDependencies['sqlite-vec']).toBeDefined()
    expect(ours.dependencies['sqlite-vec']).toBeUndefined()
  })
})
