/**
 * zod schema of the agent-credential cache's input (`cleo-store/schemas` exports it).
 *
 * @module
 */
import { z } from 'zod'

import type * as Types from './tasks.types.js'
import { isSealedCredential } from '../kdf/credential-cipher.js'

/** An agent id (slug) of the credential cache. */
export const Slug = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, ".", "_" or "-", starting with a letter or digit')

/** Input of `credentials.put` (an upsert by agent id). */
export const PutAgentCredentialInput = z.strictObject({
  agentId: Slug,
  displayName: z.string().min(1).max(200),
  /** The sealed API key (`CredentialCipher.seal`); plaintext is refused. */
  apiKeyEncrypted: z.string().refine((value) => isSealedCredential(value), {
    message: 'must be a sealed credential (CredentialCipher.seal), never plaintext',
  }),
  /** Hex SHA-256 of the API key. */
  apiKeyHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable()
    .optional(),
  apiBaseUrl: z.string().url().max(2000).optional(),
  classification: z.string().max(200).nullable().optional(),
  privacyTier: z.enum(['public', 'discoverable', 'private']).optional(),
  transportType: z.enum(['http', 'sse', 'websocket', 'local']).optional(),
  transportConfig: z.record(z.string(), z.json()).optional(),
  isActive: z.boolean().optional(),
})

export type PutAgentCredentialInput = Types.PutAgentCredentialInput
