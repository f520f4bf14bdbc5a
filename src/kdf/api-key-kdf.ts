/**
 * The ADR-037 API-key KDF: one 32-byte key per agent, derived from the machine key
 * and the global salt. Pure: no files, no clock, no randomness.
 *
 * @module
 */
import { createHmac } from 'node:crypto'

import { z } from 'zod'

import type * as Types from './kdf.types.js'
import { validate } from '../sqlite/validate.js'


/** Length in bytes of the global salt, the machine key and a derived key. */
export const KEY_BYTES = 32

const bytes = z.custom<Uint8Array>((value) => value instanceof Uint8Array, { message: 'expected a Uint8Array (or Buffer)' })

/** zod schema of {@link deriveApiKey}'s input. */
export const DeriveApiKeyInput = z.strictObject({
  /** The machine key: any non-empty byte string (the `machine-key` file holds 32 bytes). */
  machineKey: bytes.refine((value) => value.length > 0, { message: 'must not be empty' }),
  /** The global salt: exactly 32 bytes (the `global-salt` file). */
  globalSalt: bytes.refine((value) => value.length === KEY_BYTES, { message: `must be exactly ${KEY_BYTES} bytes` }),
  /** The agent's business id (slug), hashed as UTF-8. */
  agentId: z.string().min(1, 'must not be empty'),
})

/** Input of {@link deriveApiKey}. */
export type DeriveApiKeyInput = Types.DeriveApiKeyInput

const KDF_CONTEXT = Object.freeze({ store: 'kdf' })

/**
 * Derives an agent's 32-byte API key (ADR-037 §5):
 * `HMAC-SHA256(key = machineKey ‖ globalSalt, message = UTF-8(agentId))`.
 *
 * The inputs are validated first (non-empty machine key, a 32-byte salt, a non-empty
 * agent id); a bad input throws `VALIDATION` naming the field, never a weak key.
 * Losing either key file changes every derived key.
 *
 * @example
 * ```ts
 * import { deriveApiKey, loadKeyMaterial } from 'cleo-store/kdf'
 *
 * const { machineKey, globalSalt } = loadKeyMaterial(globalDir)
 * const key = deriveApiKey({ machineKey, globalSalt, agentId: 'cleo-prime' })
 * key.length // 32
 * ```
 */
export function deriveApiKey(input: DeriveApiKeyInput): Buffer {
  const { machineKey, globalSalt, agentId } = validate(DeriveApiKeyInput, input, 'kdf.deriveApiKey', KDF_CONTEXT, { secret: true })
  const hmacKey = Buffer.concat([machineKey, globalSalt])
  try {
    return createHmac('sha256', hmacKey).update(agentId, 'utf8').digest()
  } finally {
    hmacKey.fill(0)
  }
}
