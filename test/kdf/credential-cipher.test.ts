import { randomBytes } from 'node:crypto'

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import {
  CredentialCipher,
  apiKeyHash,
  constantTimeEqual,
  isSealedCredential,
} from '../../src/kdf/credential-cipher.js'
import type { KeyMaterial } from '../../src/kdf/key-files.js'
import { expectCode } from '../helpers.js'

function keys(): KeyMaterial {
  return { machineKey: randomBytes(32), globalSalt: randomBytes(32) }
}

const SECRET = 'sk_live_' + 'ab'.repeat(32)

describe('CredentialCipher', () => {
  it('round-trips any secret for any agent id', () => {
    const cipher = CredentialCipher.fromKeyMaterial(keys())
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }),
        fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }),
        (agentId, secret) => {
          const sealed = cipher.seal(agentId, secret)
          expect(isSealedCredential(sealed)).toBe(true)
          if (secret.length >= 12) expect(sealed).not.toContain(secret)
          expect(cipher.open(agentId, sealed)).toBe(secret)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('uses a fresh IV each time and a version byte of 1', () => {
    const cipher = CredentialCipher.fromKeyMaterial(keys())
    const a = cipher.seal('agent', SECRET)
    const b = cipher.seal('agent', SECRET)
    expect(a).not.toBe(b)
    const bytes = Buffer.from(a, 'base64')
    expect(bytes[0]).toBe(1)
    expect(bytes.subarray(1, 5).toString('hex')).toBe(cipher.keyId)
    expect(bytes.length).toBe(1 + 4 + 12 + Buffer.byteLength(SECRET) + 16)
    expect(Buffer.from(a, 'base64').subarray(5, 17).equals(Buffer.from(b, 'base64').subarray(5, 17))).toBe(false)
  })

  it('derives the same key from the same key material, another from other material', async () => {
    const material = keys()
    const sealed = CredentialCipher.fromKeyMaterial(material).seal('agent', SECRET)
    expect(CredentialCipher.fromKeyMaterial({ ...material }).open('agent', sealed)).toBe(SECRET)
    const error = await expectCode(() => CredentialCipher.fromKeyMaterial(keys()).open('agent', sealed), 'CORRUPT')
    expect(error.details?.['reason']).toBe('other-key')
    const otherSalt = await expectCode(
      () => CredentialCipher.fromKeyMaterial({ machineKey: material.machineKey, globalSalt: randomBytes(32) }).open('agent', sealed),
      'CORRUPT',
    )
    expect(otherSalt.details?.['reason']).toBe('other-key')
  })

  it('any flipped bit makes open throw, never return garbage', async () => {
    const cipher = CredentialCipher.fromKeyMaterial(keys())
    const sealed = Buffer.from(cipher.seal('agent-7', SECRET), 'base64')
    for (let index = 0; index < sealed.length; index++) {
      for (const bit of [0x01, 0x80]) {
        const tampered = Buffer.from(sealed)
        tampered[index]! ^= bit
        let thrown: unknown
        try {
          cipher.open('agent-7', tampered.toString('base64'))
        } catch (error) {
          thrown = error
        }
        expect(thrown, `byte ${index} bit ${bit}`).toBeDefined()
        const code = (thrown as { code: string }).code
        expect(index === 0 ? ['UNSUPPORTED', 'CORRUPT'] : ['CORRUPT']).toContain(code)
        expect(String((thrown as Error).message)).not.toContain(SECRET)
      }
    }
  })

  it("refuses another agent's ciphertext (the agent id is associated data)", async () => {
    const cipher = CredentialCipher.fromKeyMaterial(keys())
    const sealed = cipher.seal('alice', SECRET)
    const error = await expectCode(() => cipher.open('bob', sealed), 'CORRUPT')
    expect(error.details?.['reason']).toBe('tampered')
  })

  it('refuses truncated, padded, plaintext and non-base64 values as CORRUPT', async () => {
    const cipher = CredentialCipher.fromKeyMaterial(keys())
    const sealed = cipher.seal('agent', SECRET)
    const bytes = Buffer.from(sealed, 'base64')
    for (const bad of [
      '',
      SECRET,
      'not base64 at all!',
      bytes.subarray(0, 20).toString('base64'),
      bytes.subarray(0, bytes.length - 1).toString('base64'),
      Buffer.concat([bytes, Buffer.of(0)]).toString('base64'),
    ]) {
      await expectCode(() => cipher.open('agent', bad), 'CORRUPT')
    }
    const future = Buffer.from(bytes)
    future[0] = 2
    await expectCode(() => cipher.open('agent', future.toString('base64')), 'UNSUPPORTED')
    expect(isSealedCredential(future.toString('base64'))).toBe(false)
    expect(isSealedCredential(SECRET)).toBe(false)
    expect(isSealedCredential('ab'.repeat(32))).toBe(false)
    expect(isSealedCredential(42)).toBe(false)
  })

  it('verifies a presented secret', () => {
    const cipher = CredentialCipher.fromKeyMaterial(keys())
    const sealed = cipher.seal('agent', SECRET)
    expect(cipher.verify('agent', sealed, SECRET)).toBe(true)
    expect(cipher.verify('agent', sealed, SECRET.slice(0, -1))).toBe(false)
    expect(cipher.verify('agent', sealed, SECRET + 'x')).toBe(false)
    expect(cipher.verify('agent', sealed, 'X' + SECRET.slice(1))).toBe(false)
  })

  it('validates its inputs without quoting secrets', async () => {
    const cipher = CredentialCipher.fromKeyMaterial(keys())
    await expectCode(() => cipher.seal('', SECRET), 'VALIDATION')
    await expectCode(() => cipher.seal('agent', ''), 'VALIDATION')
    await expectCode(() => cipher.verify('agent', cipher.seal('agent', SECRET), ''), 'VALIDATION')
    await expectCode(() => CredentialCipher.fromKeyMaterial({ machineKey: Buffer.alloc(0), globalSalt: randomBytes(32) }), 'VALIDATION')
    await expectCode(() => CredentialCipher.fromKeyMaterial({ machineKey: randomBytes(32), globalSalt: randomBytes(16) }), 'VALIDATION')
  })
})

describe('constantTimeEqual and apiKeyHash', () => {
  it('constantTimeEqual is string equality', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(constantTimeEqual(a, b)).toBe(a === b)
        expect(constantTimeEqual(a, a)).toBe(true)
      }),
    )
  })

  it('apiKeyHash is hex SHA-256', () => {
    expect(apiKeyHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })
})
