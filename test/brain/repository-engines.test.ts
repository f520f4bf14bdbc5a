/**
 * BrainRepository on either engine (issue 21): its dialect and status, and the
 * options `openPostgres` refuses.
 */
import { describe, expect, it } from 'vitest'

import { BrainRepository } from '../../src/brain/index.js'
import { expectCode } from '../helpers.js'
import { samples } from './brain-helpers.js'
import { BRAIN_ENGINES, openBrainOn } from './open-brain.js'

describe.each(BRAIN_ENGINES)('BrainRepository on %s', (engine) => {
  it('says its dialect; without an embedder its status says so, and sqlite-vec is no concern on PostgreSQL', async () => {
    const { brain } = await openBrainOn(engine)
    expect(brain.dialect).toBe(engine)
    await brain.record(samples.decision())
    const status = await brain.embeddingStatus()
    expect(status).toMatchObject({ embedder: false, modelId: null, dimensions: null, vectors: 0 })
    if (engine === 'postgres') {
      expect(status.sqliteVecMissing).toBeNull()
      expect(brain.path).toMatch(/^postgres:\/\//)
    }
    await expectCode(brain.reindex(), 'UNSUPPORTED')
  })

  it('refuses out-of-range search tuning with VALIDATION', async () => {
    await expectCode(openBrainOn(engine, { searchTuning: { exactSearchUpTo: -1 } }), 'VALIDATION')
    await expectCode(openBrainOn(engine, { searchTuning: { ftsRowBudget: 0.5 } }), 'VALIDATION')
  })
})

describe('BrainRepository.openPostgres options', () => {
  it('refuses unknown options, SQLite-only options (mmapSize, synchronous) and malformed ones with VALIDATION, before connecting', async () => {
    // An unreachable target: VALIDATION must come first.
    const target = 'postgres://nobody@127.0.0.1:1/x'
    await expectCode(BrainRepository.openPostgres(target, { nope: 1 } as never), 'VALIDATION')
    await expectCode(BrainRepository.openPostgres(target, { mmapSize: 0 } as never), 'VALIDATION')
    await expectCode(BrainRepository.openPostgres(target, { synchronous: 'FULL' } as never), 'VALIDATION')
    await expectCode(BrainRepository.openPostgres(target, { embedderChange: 'drop' } as never), 'VALIDATION')
    await expectCode(BrainRepository.openPostgres(target, { searchTuning: { bogus: 1 } } as never), 'VALIDATION')
    await expectCode(BrainRepository.openPostgres(target, { clock: 5 } as never), 'VALIDATION')
  })
})
