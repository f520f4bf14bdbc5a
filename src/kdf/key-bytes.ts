/**
 * The key length of the ADR-037 KDF (no zod: the root type graph imports this file).
 *
 * @module
 */

/** Length in bytes of the global salt, the machine key and a derived key. */
export const KEY_BYTES = 32
