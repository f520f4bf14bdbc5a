/**
 * The plain daemon types the root module exposes (`src/daemon/daemon.types.ts`) equal what their zod
 * schemas accept or return, in both directions: `npm run typecheck` (tsc -p .) fails
 * on a field that differs. Nothing here runs.
 */
import { expectTypeOf } from 'vitest'
import type { z } from 'zod'

import type * as Types from '../../src/daemon/daemon.types.js'
import type { DaemonClaimSchema, DaemonCommandInputSchema, DaemonStoreOptionsSchema, HookEventInputSchema, RegisterDeletionSchema } from '../../src/daemon/daemon.schemas.js'

expectTypeOf<Types.HookEventInput>().toEqualTypeOf<z.input<typeof HookEventInputSchema>>()
expectTypeOf<Types.RegisterDeletionInput>().toEqualTypeOf<z.input<typeof RegisterDeletionSchema>>()
expectTypeOf<Types.DaemonClaimOptions>().toEqualTypeOf<z.input<typeof DaemonClaimSchema>>()
expectTypeOf<Types.DaemonStoreOptions>().toEqualTypeOf<z.input<typeof DaemonStoreOptionsSchema>>()
expectTypeOf<Types.DaemonCommandInput>().toEqualTypeOf<z.input<typeof DaemonCommandInputSchema>>()
