/**
 * The six store names (no Kysely: the root type graph imports this file).
 *
 * @module
 */

/** The six CLEO databases. */
export type StoreName = 'tasks' | 'brain' | 'conduit' | 'signaldock' | 'nexus' | 'telemetry'
