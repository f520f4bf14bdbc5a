/**
 * `cleo-store/conduit`: the conduit.db repository and its types.
 *
 * @module
 */
export { ConduitRepository } from './conduit-repository.js'
export type { ConduitRepositoryOptions } from './conduit-repository.js'
export type * from './conduit.tables.js'
export { CONDUIT_STORE } from './conduit.store.js'
