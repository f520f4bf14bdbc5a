/**
 * `cleo-store/signaldock`: the signaldock.db repository and its types.
 *
 * @module
 */
export { SignaldockRepository } from './signaldock-repository.js'
export type { SignaldockRepositoryOptions } from './signaldock-repository.js'
export type * from './signaldock.tables.js'
export { SIGNALDOCK_STORE } from './signaldock.store.js'
