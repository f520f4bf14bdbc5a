/**
 * `cleo-store/telemetry`: the telemetry.db repository and its types.
 *
 * @module
 */
export { TelemetryRepository } from './telemetry-repository.js'
export type {
  TelemetryAggregate,
  TelemetryEvent,
  TelemetryPruneResult,
  TelemetryRepositoryOptions,
} from './telemetry-repository.js'
export type * from './telemetry.tables.js'
export { TELEMETRY_STORE } from './telemetry.store.js'
export * from './telemetry.schemas.js'
