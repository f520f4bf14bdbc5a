/**
 * `cleo-store/kdf`: the ADR-037 API-key KDF, the key files of the global
 * directory (`global-salt`, `machine-key`), and the credential cipher that seals
 * agent secrets at rest. Pure functions and files only: no database.
 *
 * @module
 */
export { KEY_BYTES, deriveApiKey } from './api-key-kdf.js'
export { DeriveApiKeyInput } from './kdf.schemas.js'
export {
  GLOBAL_SALT_FILE,
  KEY_FILE_MODE,
  MACHINE_KEY_FILE,
  ensureKeyFile,
  keyFilePaths,
  loadKeyMaterial,
  readKeyFile,
} from './key-files.js'
export type { KeyMaterial, LoadKeyMaterialOptions } from './key-files.js'
export {
  CREDENTIAL_FORMAT_VERSION,
  CredentialCipher,
  apiKeyHash,
  constantTimeEqual,
  isSealedCredential,
} from './credential-cipher.js'
// Keys in backups and re-authentication (issue 16)
export { installKeyFile } from './key-files.js'
export { sealedKeyId } from './credential-cipher.js'
