/**
 * zod schema of the KDF's input (`cleo-store/schemas` exports it).
 *
 * @module
 */
import { z } from 'zod'

import type * as Types from './kdf.types.js'
import { KEY_BYTES } from './key-bytes.js'

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
