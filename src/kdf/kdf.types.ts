/**
 * Plain types of the key-derivation inputs. The root module's types come from here, not from zod;
 * `test/types/kdf.types.test-d.ts` keeps each one equal to its schema.
 *
 * @module
 */

/** Input of `deriveApiKey`. */
export interface DeriveApiKeyInput {
  /** The machine key: any non-empty byte string (the `machine-key` file holds 32 bytes). */
  machineKey: Uint8Array<ArrayBufferLike>
  /** The global salt: exactly 32 bytes (the `global-salt` file). */
  globalSalt: Uint8Array<ArrayBufferLike>
  /** The agent's business id (slug), hashed as UTF-8. */
  agentId: string
}
