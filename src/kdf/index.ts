/**
 * `cleo-store/kdf`: the API-key KDF, key files and the credential cipher
 * (filled in by the signaldock/KDF work).
 *
 * @module
 */
export {}
