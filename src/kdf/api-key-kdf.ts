/**
 * The ADR-037 API-key KDF: one 32-byte key per agent, derived from the machine key
 * and the global salt. Pure: no files, no clock, no randomness.
 *
 * @module
 */
import { createHmac } from 'node:crypto'


import { validate } from '../sqlite/validate.js'
import { DeriveApiKeyInput as DeriveApiKeySchema } from './kdf.schemas.js'
import type { DeriveApiKeyInput } from './kdf.types.js'
export { KEY_BYTES } from './key-bytes.js'


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
  const { machineKey, globalSalt, agentId } = validate(DeriveApiKeySchema, input, 'kdf.deriveApiKey', KDF_CONTEXT, { secret: true })
  const hmacKey = Buffer.concat([machineKey, globalSalt])
  try {
    return createHmac('sha256', hmacKey).update(agentId).digest()
  } finally {
    hmacKey.fill(0)
  }
}
