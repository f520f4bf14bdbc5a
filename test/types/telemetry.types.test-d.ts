/**
 * The plain telemetry types the root module exposes (`src/telemetry/telemetry.types.ts`) equal what their zod
 * schemas accept or return, in both directions: `npm run typecheck` (tsc -p .) fails
 * on a field that differs. Nothing here runs.
 */
import { expectTypeOf } from 'vitest'
import type { z } from 'zod'

import type * as Types from '../../src/telemetry/telemetry.types.js'
import type { TelemetryAggregateOptionsSchema, TelemetryEventInputSchema, TelemetryRetentionSchema } from '../../src/telemetry/telemetry.schemas.js'

expectTypeOf<Types.TelemetryEventInput>().toEqualTypeOf<z.input<typeof TelemetryEventInputSchema>>()
expectTypeOf<Types.TelemetryRetention>().toEqualTypeOf<z.output<typeof TelemetryRetentionSchema>>()
expectTypeOf<Types.TelemetryAggregateOptions>().toEqualTypeOf<z.input<typeof TelemetryAggregateOptionsSchema>>()
