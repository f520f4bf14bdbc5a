/**
 * The plain signaldock types the root module exposes (`src/signaldock/signaldock.types.ts`) equal what their zod
 * schemas accept or return, in both directions: `npm run typecheck` (tsc -p .) fails
 * on a field that differs. Nothing here runs.
 */
import { expectTypeOf } from 'vitest'
import type { z } from 'zod'

import type * as Types from '../../src/signaldock/signaldock.types.js'
import type { AgentAvailabilityState, AgentClass, AgentInstallSource, AgentPresence, AgentPrivacyTier, AgentTier, AgentTransportType, BanUserInput, CapabilityCategory, ConnectAgentInput, CreateAuthSessionInput, CreateClaimCodeInput, CreateOrganizationInput, CreateUserInput, CreateVerificationInput, DefineCatalogEntryInput, LinkAccountInput, ListAgentsFilter, MarkDegradedInput, MarkUnavailableInput, RegisterAgentInput, SelectAgentOptions, SignaldockUserRole, SkillCategory, SkillSource, UpdateAgentInput, UpdateOrganizationInput, UpdateUserInput } from '../../src/signaldock/signaldock.schemas.js'

expectTypeOf<Types.AgentClass>().toEqualTypeOf<z.infer<typeof AgentClass>>()
expectTypeOf<Types.AgentPrivacyTier>().toEqualTypeOf<z.infer<typeof AgentPrivacyTier>>()
expectTypeOf<Types.AgentPresence>().toEqualTypeOf<z.infer<typeof AgentPresence>>()
expectTypeOf<Types.AgentTransportType>().toEqualTypeOf<z.infer<typeof AgentTransportType>>()
expectTypeOf<Types.AgentTier>().toEqualTypeOf<z.infer<typeof AgentTier>>()
expectTypeOf<Types.AgentInstallSource>().toEqualTypeOf<z.infer<typeof AgentInstallSource>>()
expectTypeOf<Types.CapabilityCategory>().toEqualTypeOf<z.infer<typeof CapabilityCategory>>()
expectTypeOf<Types.SkillCategory>().toEqualTypeOf<z.infer<typeof SkillCategory>>()
expectTypeOf<Types.SkillSource>().toEqualTypeOf<z.infer<typeof SkillSource>>()
expectTypeOf<Types.SignaldockUserRole>().toEqualTypeOf<z.infer<typeof SignaldockUserRole>>()
expectTypeOf<Types.AgentAvailabilityState>().toEqualTypeOf<z.infer<typeof AgentAvailabilityState>>()
expectTypeOf<Types.RegisterAgentInput>().toEqualTypeOf<z.input<typeof RegisterAgentInput>>()
expectTypeOf<Types.UpdateAgentInput>().toEqualTypeOf<z.input<typeof UpdateAgentInput>>()
expectTypeOf<Types.ListAgentsFilter>().toEqualTypeOf<z.input<typeof ListAgentsFilter>>()
expectTypeOf<Types.DefineCatalogEntryInput>().toEqualTypeOf<z.input<typeof DefineCatalogEntryInput>>()
expectTypeOf<Types.ConnectAgentInput>().toEqualTypeOf<z.input<typeof ConnectAgentInput>>()
expectTypeOf<Types.CreateUserInput>().toEqualTypeOf<z.input<typeof CreateUserInput>>()
expectTypeOf<Types.UpdateUserInput>().toEqualTypeOf<z.input<typeof UpdateUserInput>>()
expectTypeOf<Types.BanUserInput>().toEqualTypeOf<z.input<typeof BanUserInput>>()
expectTypeOf<Types.LinkAccountInput>().toEqualTypeOf<z.input<typeof LinkAccountInput>>()
expectTypeOf<Types.CreateAuthSessionInput>().toEqualTypeOf<z.input<typeof CreateAuthSessionInput>>()
expectTypeOf<Types.CreateVerificationInput>().toEqualTypeOf<z.input<typeof CreateVerificationInput>>()
expectTypeOf<Types.CreateOrganizationInput>().toEqualTypeOf<z.input<typeof CreateOrganizationInput>>()
expectTypeOf<Types.UpdateOrganizationInput>().toEqualTypeOf<z.input<typeof UpdateOrganizationInput>>()
expectTypeOf<Types.CreateClaimCodeInput>().toEqualTypeOf<z.input<typeof CreateClaimCodeInput>>()
expectTypeOf<Types.MarkDegradedInput>().toEqualTypeOf<z.input<typeof MarkDegradedInput>>()
expectTypeOf<Types.MarkUnavailableInput>().toEqualTypeOf<z.input<typeof MarkUnavailableInput>>()
expectTypeOf<Types.SelectAgentOptions>().toEqualTypeOf<z.input<typeof SelectAgentOptions>>()
