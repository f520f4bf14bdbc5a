/**
 * The plain nexus types the root module exposes (`src/nexus/nexus.types.ts`) equal what their zod
 * schemas accept or return, in both directions: `npm run typecheck` (tsc -p .) fails
 * on a field that differs. Nothing here runs.
 */
import { expectTypeOf } from 'vitest'
import type { z } from 'zod'

import type * as Types from '../../src/nexus/nexus.types.js'
import type { AdvanceWarpInstanceInputSchema, AppendNexusAuditInputSchema, AssignWarpStageTaskInputSchema, CreateWarpChainInstanceInputSchema, DefineWarpChainInputSchema, ListNexusAuditOptionsSchema, ListNexusProjectsOptionsSchema, ListWarpChainInstancesOptionsSchema, NexusProjectHealthSchema, NexusProjectPermissionSchema, RecordWarpGateInputSchema, RegisterNexusProjectInputSchema, UpdateNexusProjectHealthInputSchema, UpdateNexusProjectInputSchema, WarpChainDefinitionSchema, WarpChainInstanceStatusSchema, WarpGateOutcomeSchema, WarpInstanceTransitionInputSchema } from '../../src/nexus/nexus.schemas.js'

expectTypeOf<Types.NexusProjectHealth>().toEqualTypeOf<z.infer<typeof NexusProjectHealthSchema>>()
expectTypeOf<Types.NexusProjectPermission>().toEqualTypeOf<z.infer<typeof NexusProjectPermissionSchema>>()
expectTypeOf<Types.RegisterNexusProjectInput>().toEqualTypeOf<z.input<typeof RegisterNexusProjectInputSchema>>()
expectTypeOf<Types.UpdateNexusProjectInput>().toEqualTypeOf<z.input<typeof UpdateNexusProjectInputSchema>>()
expectTypeOf<Types.UpdateNexusProjectHealthInput>().toEqualTypeOf<z.input<typeof UpdateNexusProjectHealthInputSchema>>()
expectTypeOf<Types.ListNexusProjectsOptions>().toEqualTypeOf<z.input<typeof ListNexusProjectsOptionsSchema>>()
expectTypeOf<Types.AppendNexusAuditInput>().toEqualTypeOf<z.input<typeof AppendNexusAuditInputSchema>>()
expectTypeOf<Types.ListNexusAuditOptions>().toEqualTypeOf<z.input<typeof ListNexusAuditOptionsSchema>>()
expectTypeOf<Types.WarpChainDefinitionInput>().toEqualTypeOf<z.input<typeof WarpChainDefinitionSchema>>()
expectTypeOf<Types.DefineWarpChainInput>().toEqualTypeOf<z.input<typeof DefineWarpChainInputSchema>>()
expectTypeOf<Types.WarpGateOutcome>().toEqualTypeOf<z.infer<typeof WarpGateOutcomeSchema>>()
expectTypeOf<Types.CreateWarpChainInstanceInput>().toEqualTypeOf<z.input<typeof CreateWarpChainInstanceInputSchema>>()
expectTypeOf<Types.AssignWarpStageTaskInput>().toEqualTypeOf<z.input<typeof AssignWarpStageTaskInputSchema>>()
expectTypeOf<Types.RecordWarpGateInput>().toEqualTypeOf<z.input<typeof RecordWarpGateInputSchema>>()
expectTypeOf<Types.AdvanceWarpInstanceInput>().toEqualTypeOf<z.input<typeof AdvanceWarpInstanceInputSchema>>()
expectTypeOf<Types.WarpInstanceTransitionInput>().toEqualTypeOf<z.input<typeof WarpInstanceTransitionInputSchema>>()
expectTypeOf<Types.WarpChainInstanceStatus>().toEqualTypeOf<z.infer<typeof WarpChainInstanceStatusSchema>>()
expectTypeOf<Types.ListWarpChainInstancesOptions>().toEqualTypeOf<z.input<typeof ListWarpChainInstancesOptionsSchema>>()
