import { createHmac, randomBytes } from 'node:crypto'

import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'

import { deriveApiKey } from '../../src/kdf/api-key-kdf.js'
import { expectCode } from '../helpers.js'

/** The ADR-037 definition, computed independently of the implementation. */
function reference(machineKey: Uint8Array, globalSalt: Uint8Array, agentId: string): Buffer {
  const hmac = createHmac('sha256', Buffer.concat([Buffer.from(machineKey), Buffer.from(globalSalt)]))
  hmac.update(new TextEncoder().encode(agentId))
  return hmac.digest()
}

describe('deriveApiKey', () => {
  it('equals HMAC-SHA256(machineKey ‖ globalSalt, UTF-8 agentId) for random inputs', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 96 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.string({ minLength: 1, maxLength: 64, unit: 'grapheme' }),
        (machineKey, globalSalt, agentId) => {
          const key = deriveApiKey({ machineKey, globalSalt, agentId })
          expect(key.length).toBe(32)
          expect(key.equals(reference(machineKey, globalSalt, agentId))).toBe(true)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('is pinned to a known vector', () => {
    const machineKey = Buffer.alloc(32, 0x11)
    const globalSalt = Buffer.alloc(32, 0x22)
    const key = deriveApiKey({ machineKey, globalSalt, agentId: 'cleo-prime' })
    expect(key.toString('hex')).toBe('57e5f248c3bec503cf573d62e44c75ad5282a520d542001f8eb79f03981dd4b5')
  })

  it('separates agents, salts and machines', () => {
    const machineKey = randomBytes(32)
    const globalSalt = randomBytes(32)
    const a = deriveApiKey({ machineKey, globalSalt, agentId: 'a' })
    expect(a.equals(deriveApiKey({ machineKey, globalSalt, agentId: 'b' }))).toBe(false)
    expect(a.equals(deriveApiKey({ machineKey, globalSalt: randomBytes(32), agentId: 'a' }))).toBe(false)
    expect(a.equals(deriveApiKey({ machineKey: randomBytes(32), globalSalt, agentId: 'a' }))).toBe(false)
    expect(a.equals(deriveApiKey({ machineKey, globalSalt, agentId: 'a' }))).toBe(true)
  })

  it('wipes the HMAC key it assembled (machine key ‖ salt) once the key is derived', () => {
    const concat = vi.spyOn(Buffer, 'concat')
    try {
      const key = deriveApiKey({ machineKey: Buffer.alloc(32, 0xcd), globalSalt: Buffer.alloc(32, 0xab), agentId: 'a' })
      expect(key.length).toBe(32)
      const assembled = concat.mock.results.map((r) => r.value as Buffer).find((b) => b.length === 64)
      expect(assembled, 'the assembled HMAC key').toBeDefined()
      expect(assembled!.every((byte) => byte === 0)).toBe(true)
    } finally {
      concat.mockRestore()
    }
  })

  it('refuses bad inputs with VALIDATION naming the field, without quoting key material', async () => {
    const salt = Buffer.alloc(32, 0xab)
    const key = Buffer.alloc(32, 0xcd)
    const cases: Array<[unknown, string]> = [
      [{ machineKey: Buffer.alloc(0), globalSalt: salt, agentId: 'a' }, 'machineKey'],
      [{ machineKey: 'not-bytes', globalSalt: salt, agentId: 'a' }, 'machineKey'],
      [{ machineKey: key, globalSalt: Buffer.alloc(31, 0xab), agentId: 'a' }, 'globalSalt'],
      [{ machineKey: key, globalSalt: Buffer.alloc(33, 0xab), agentId: 'a' }, 'globalSalt'],
      [{ machineKey: key, globalSalt: salt, agentId: '' }, 'agentId'],
      [{ machineKey: key, globalSalt: salt, agentId: 42 }, 'agentId'],
    ]
    for (const [input, field] of cases) {
      const error = await expectCode(() => deriveApiKey(input as never), 'VALIDATION')
      expect(error.details?.['path']).toEqual([field])
      // The refusal names the operation, so a caller sees which call it came from.
      expect(error.details?.['operation']).toBe('kdf.deriveApiKey')
      expect(error.message).not.toMatch(/171|205|not-bytes|"0":/)
      expect(error.cause).toBeUndefined()
    }
  })
})
