/**
 * The secret-bearing field names no error quotes (no zod: the root type graph imports this file).
 *
 * @module
 */

/**
 * The secret-bearing field names, declared once for every store: a field with one
 * of these names, at any depth of any input, carries a secret (an API key, a sealed
 * credential, an OAuth token, a password hash, a bearer token, a verification value,
 * a claim code, key material, or a verifier hash of one). Its received value is
 * never quoted in a validation error: the message names the field and the rule only,
 * `details` holds paths and rule messages only, and the error has no `cause` (zod's
 * error object would hold the input). A whole input validated with
 * `{ secret: true }` (a bare token argument) is treated the same way.
 *
 * @example
 * ```ts
 * SECRET_FIELDS.has('accessToken') // true
 * SECRET_FIELDS.has('title')       // false
 * ```
 */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'apiKey',
  'apiKeyEncrypted',
  'apiKeyHash',
  'webhookSecretEncrypted',
  'accessToken',
  'refreshToken',
  'idToken',
  'password',
  'passwordHash',
  'token',
  'value',
  'code',
  'secret',
  'sealed',
  'presented',
  'machineKey',
  'globalSalt',
])
