/**
 * Encryption at rest of the secret an agent presents (its API key): AES-256-GCM
 * with a key derived by HKDF-SHA256 from the machine key and the global salt, a
 * random 12-byte IV per encryption, and the agent id as associated data, so a
 * ciphertext copied onto another agent's row does not decrypt.
 *
 * Sealed format (base64 text, so it fits a TEXT column on any database):
 *
 * | bytes | field |
 * | --- | --- |
 * | 1 | format version (`0x01`) |
 * | 4 | key id: names the key that sealed it, so a changed key file is told apart from tampering |
 * | 12 | IV |
 * | n | ciphertext of the UTF-8 secret |
 * | 16 | GCM tag |
 *
 * The associated data is the 5-byte header followed by the UTF-8 agent id. Any
 * changed bit makes {@link CredentialCipher.open} throw `CORRUPT` — never garbage.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'

import { CleoStoreError } from '../sqlite/errors.js'
import { KEY_BYTES } from './api-key-kdf.js'
import type { KeyMaterial } from './key-files.js'

/** The version byte written by this library. */
export const CREDENTIAL_FORMAT_VERSION = 1
const HEADER_BYTES = 1 + 4
const IV_BYTES = 12
const TAG_BYTES = 16
const MIN_SEALED_BYTES = HEADER_BYTES + IV_BYTES + TAG_BYTES
const HKDF_INFO = Buffer.from('cleo-store/credential-key/v1', 'utf8')
const KEY_ID_LABEL = Buffer.from('cleo-store/credential-key-id/v1', 'utf8')
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const CONTEXT = Object.freeze({ store: 'kdf' })

function decodeSealed(sealed: unknown): Buffer | undefined {
  if (typeof sealed !== 'string' || sealed.length % 4 !== 0 || !BASE64.test(sealed)) return undefined
  const bytes = Buffer.from(sealed, 'base64')
  return bytes.length >= MIN_SEALED_BYTES ? bytes : undefined
}

/**
 * The hex id of the key that sealed `sealed` (compare with `cipher.keyId`), or
 * null when it is not a sealed credential. Reads the header only; reveals nothing.
 *
 * @example
 * ```ts
 * sealedKeyId(agent.apiKeyEncrypted) === cipher.keyId // false: sealed on another machine
 * ```
 */
export function sealedKeyId(sealed: unknown): string | null {
  const bytes = decodeSealed(sealed)
  return bytes === undefined ? null : bytes.subarray(1, HEADER_BYTES).toString('hex')
}

/**
 * True when `value` has the shape of a sealed credential of a known version (it
 * says nothing about which key sealed it). Stores use it to refuse plaintext.
 *
 * @example
 * ```ts
 * isSealedCredential('sk_live_0123') // false
 * isSealedCredential(cipher.seal('cleo-prime', 'sk_live_0123')) // true
 * ```
 */
export function isSealedCredential(value: unknown): value is string {
  const bytes = decodeSealed(value)
  return bytes !== undefined && bytes[0] === CREDENTIAL_FORMAT_VERSION
}

function requireAgentId(agentId: unknown, operation: string): string {
  if (typeof agentId !== 'string' || agentId.length === 0) {
    throw new CleoStoreError('VALIDATION', `${operation}: agentId must be a non-empty string`, {
      ...CONTEXT,
      details: { operation, path: ['agentId'] },
    })
  }
  return agentId
}

function requireSecret(secret: unknown, operation: string, field: string): string {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new CleoStoreError('VALIDATION', `${operation}: ${field} must be a non-empty string`, {
      ...CONTEXT,
      details: { operation, path: [field] },
    })
  }
  return secret
}

/**
 * Seals and opens agent secrets with the key of one machine. Create it once per
 * global directory with {@link CredentialCipher.fromKeyMaterial}; the derived key
 * stays in a private field.
 *
 * @example
 * ```ts
 * import { CredentialCipher, loadKeyMaterial } from 'cleo-store/kdf'
 *
 * const cipher = CredentialCipher.fromKeyMaterial(loadKeyMaterial(globalDir))
 * const sealed = cipher.seal('cleo-prime', 'sk_live_…')   // store this
 * cipher.open('cleo-prime', sealed)                        // 'sk_live_…'
 * cipher.verify('cleo-prime', sealed, presentedKey)        // constant-time check
 * ```
 */
export class CredentialCipher {
  readonly #key: Buffer
  readonly #keyId: Buffer

  private constructor(key: Buffer) {
    this.#key = key
    this.#keyId = createHmac('sha256', key).update(KEY_ID_LABEL).digest().subarray(0, 4)
  }

  /**
   * Derives the cipher key: HKDF-SHA256 with the machine key as input keying
   * material, the global salt as salt, and a versioned `info` label.
   */
  static fromKeyMaterial(keys: KeyMaterial): CredentialCipher {
    const { machineKey, globalSalt } = keys as Partial<KeyMaterial>
    if (!(machineKey instanceof Uint8Array) || machineKey.length === 0) {
      throw new CleoStoreError('VALIDATION', 'credential cipher: machineKey must be a non-empty byte string', {
        ...CONTEXT,
        details: { path: ['machineKey'] },
      })
    }
    if (!(globalSalt instanceof Uint8Array) || globalSalt.length !== KEY_BYTES) {
      throw new CleoStoreError('VALIDATION', `credential cipher: globalSalt must be exactly ${KEY_BYTES} bytes`, {
        ...CONTEXT,
        details: { path: ['globalSalt'] },
      })
    }
    return new CredentialCipher(Buffer.from(hkdfSync('sha256', machineKey, globalSalt, HKDF_INFO, KEY_BYTES)))
  }

  /** Hex id of this cipher's key (4 bytes of an HMAC of it; reveals nothing about the key). */
  get keyId(): string {
    return this.#keyId.toString('hex')
  }

  #aad(header: Buffer, agentId: string): Buffer {
    return Buffer.concat([header, Buffer.from(agentId, 'utf8')])
  }

  /** Encrypts `secret` for `agentId`; returns the sealed base64 text. */
  seal(agentId: string, secret: string): string {
    requireAgentId(agentId, 'credential.seal')
    requireSecret(secret, 'credential.seal', 'secret')
    const header = Buffer.concat([Buffer.of(CREDENTIAL_FORMAT_VERSION), this.#keyId])
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES })
    cipher.setAAD(this.#aad(header, agentId))
    const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()])
    return Buffer.concat([header, iv, body, cipher.getAuthTag()]).toString('base64')
  }

  /**
   * Decrypts a sealed secret of `agentId`. Throws `CORRUPT` when the text is not a
   * sealed credential, was sealed under another key (`details.reason: 'other-key'`),
   * or fails authentication (`'tampered'`: any changed byte, or another agent's
   * ciphertext); `UNSUPPORTED` for an unknown format version.
   */
  open(agentId: string, sealed: string): string {
    requireAgentId(agentId, 'credential.open')
    const bytes = decodeSealed(sealed)
    if (bytes === undefined) {
      throw new CleoStoreError('CORRUPT', `credential of ${JSON.stringify(agentId)} is not a sealed credential`, {
        ...CONTEXT,
        details: { reason: 'malformed' },
      })
    }
    const version = bytes[0]!
    if (version !== CREDENTIAL_FORMAT_VERSION) {
      throw new CleoStoreError('UNSUPPORTED', `credential of ${JSON.stringify(agentId)} has format version ${version}`, {
        ...CONTEXT,
        details: { version },
      })
    }
    const header = bytes.subarray(0, HEADER_BYTES)
    if (!timingSafeEqual(header.subarray(1), this.#keyId)) {
      throw new CleoStoreError(
        'CORRUPT',
        `credential of ${JSON.stringify(agentId)} was sealed under another machine key or salt; re-register the agent`,
        { ...CONTEXT, details: { reason: 'other-key', keyId: header.subarray(1).toString('hex') } },
      )
    }
    const iv = bytes.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES)
    const tag = bytes.subarray(bytes.length - TAG_BYTES)
    const body = bytes.subarray(HEADER_BYTES + IV_BYTES, bytes.length - TAG_BYTES)
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES })
      decipher.setAAD(this.#aad(header, agentId))
      decipher.setAuthTag(tag)
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')
    } catch (cause) {
      throw new CleoStoreError(
        'CORRUPT',
        `credential of ${JSON.stringify(agentId)} failed authentication (tampered, or another agent's)`,
        { ...CONTEXT, cause, details: { reason: 'tampered' } },
      )
    }
  }

  /**
   * True when `presented` equals the sealed secret of `agentId`. The comparison
   * takes the same time wherever the first difference is (SHA-256 digests compared
   * with `timingSafeEqual`). A sealed value that does not open throws, as in
   * {@link open}.
   */
  verify(agentId: string, sealed: string, presented: string): boolean {
    requireSecret(presented, 'credential.verify', 'presented')
    const stored = this.open(agentId, sealed)
    return constantTimeEqual(stored, presented)
  }
}

/**
 * Compares two strings in time independent of where they differ (and of their
 * lengths): SHA-256 of each, compared with `timingSafeEqual`.
 *
 * @example
 * ```ts
 * constantTimeEqual(presentedKey, storedKey) // true or false
 * ```
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest()
  const db = createHash('sha256').update(b, 'utf8').digest()
  return timingSafeEqual(da, db)
}

/**
 * The verifier hash stored beside a sealed credential (`api_key_hash`): hex
 * SHA-256 of the secret, as the SignalDock server stores it. Lets a caller find
 * the agent a presented key belongs to without decrypting every row.
 *
 * @example
 * ```ts
 * apiKeyHash('sk_live_0123') // 64 hex characters
 * ```
 */
export function apiKeyHash(secret: string): string {
  requireSecret(secret, 'credential.apiKeyHash', 'secret')
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}
