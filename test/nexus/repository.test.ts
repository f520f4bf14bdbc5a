/**
 * NexusRepository on either engine: its dialect, and `openPostgres`'s strict
 * options (refused before connecting, as `open`'s are).
 */
import { describe, expect, it } from 'vitest'

import { NexusRepository } from '../../src/index.js'
import { expectCode } from '../helpers.js'
import { POSTGRES_URL } from '../postgres/pg-test-schemas.js'
import { NEXUS_ENGINES, openNexus } from './open-nexus.js'

describe.each(NEXUS_ENGINES)('NexusRepository on %s', (engine) => {
  it('says its dialect and where it lives', async () => {
    const nexus = await openNexus(engine)
    expect(nexus.dialect).toBe(engine)
    expect(nexus.path).toMatch(engine === 'postgres' ? /^postgres:\/\/.*#nexus_/ : /^:memory:$/)
    expect(nexus.schemaVersion).toBe('0004_registry_paths_and_gateway')
  })
})

describe('NexusRepository.openPostgres options', () => {
  it('refuses unknown options, SQLite-only options and bad values with VALIDATION, before connecting', async () => {
    // An unreachable target: VALIDATION must come first.
    const target = 'postgres://nobody@127.0.0.1:1/x'
    await expectCode(NexusRepository.openPostgres(target, { nope: 1 } as never), 'VALIDATION')
    await expectCode(NexusRepository.openPostgres(target, { synchronous: 'FULL' } as never), 'VALIDATION')
    await expectCode(NexusRepository.openPostgres(target, { clock: 5 } as never), 'VALIDATION')
    await expectCode(NexusRepository.openPostgres(target, { poolSize: 0 }), 'VALIDATION')
    await expectCode(NexusRepository.openPostgres(target, { schema: 'Not A Schema' }), 'VALIDATION')
  })

  it.skipIf(POSTGRES_URL === null)('is the same store as nexus.db: its schema is marked nexus, not another store', async () => {
    const nexus = await openNexus('postgres')
    const meta = await nexus.kysely.selectFrom('nexus_schema_meta').select(['key', 'value']).execute()
    expect(meta).toEqual([{ key: 'store', value: 'nexus' }])
  })
})
