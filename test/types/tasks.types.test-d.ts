/**
 * The plain tasks types the root module exposes (`src/tasks/tasks.types.ts`) equal what their zod
 * schemas accept or return, in both directions: `npm run typecheck` (tsc -p .) fails
 * on a field that differs. Nothing here runs.
 */
import { expectTypeOf } from 'vitest'
import type { z } from 'zod'

import type * as Types from '../../src/tasks/tasks.types.js'
import type { PutAgentCredentialInput } from '../../src/tasks/agent-credentials.schemas.js'
import type { SessionActivityFilterSchema } from '../../src/tasks/task-sessions.js'
import type { AddEvidenceSchema, AddManifestEntrySchema, AddTaskRelationSchema, AdrListFilterSchema, AdvanceReleaseSchema, AdvanceStageSchema, AgentHeartbeatSchema, AgentInstanceFilterSchema, ArchiveTaskOptionsSchema, ClaimTaskSchema, CreateAdrSchema, CreateReleaseSchema, CreateTaskSchema, EndTaskSessionSchema, LinkExternalTaskSchema, PipelineManifestFilterSchema, RecordAuditOperationSchema, RecordGateSchema, RecordPipelineManifestSchema, RecordTokenUsageSchema, RegisterAgentInstanceSchema, RestoreTaskOptionsSchema, SetPipelineStatusSchema, StartTaskSessionSchema, TaskAuditFilterSchema, TaskListFilterSchema, TaskMutationOptionsSchema, TaskReadyQuerySchema, TaskSessionHandoffSchema, TaskSessionListFilterSchema, TaskSessionScopeSchema, TaskVerificationSchema, TaskWriteOptionsSchema, TokenAggregateQuerySchema, UpdateAdrSchema, UpdateTaskSchema, UpsertTaskSessionSchema, ValidateStageSchema } from '../../src/tasks/tasks.schemas.js'

expectTypeOf<Types.TaskMutationOptions>().toEqualTypeOf<z.input<typeof TaskMutationOptionsSchema>>()
expectTypeOf<Types.TaskVerification>().toEqualTypeOf<z.infer<typeof TaskVerificationSchema>>()
expectTypeOf<Types.CreateTaskInput>().toEqualTypeOf<z.input<typeof CreateTaskSchema>>()
expectTypeOf<Types.UpdateTaskInput>().toEqualTypeOf<z.input<typeof UpdateTaskSchema>>()
expectTypeOf<Types.TaskWriteOptions>().toEqualTypeOf<z.input<typeof TaskWriteOptionsSchema>>()
expectTypeOf<Types.ArchiveTaskOptions>().toEqualTypeOf<z.input<typeof ArchiveTaskOptionsSchema>>()
expectTypeOf<Types.RestoreTaskOptions>().toEqualTypeOf<z.input<typeof RestoreTaskOptionsSchema>>()
expectTypeOf<Types.TaskListFilter>().toEqualTypeOf<z.input<typeof TaskListFilterSchema>>()
expectTypeOf<Types.TaskReadyQuery>().toEqualTypeOf<z.input<typeof TaskReadyQuerySchema>>()
expectTypeOf<Types.AddTaskRelationInput>().toEqualTypeOf<z.input<typeof AddTaskRelationSchema>>()
expectTypeOf<Types.ClaimTaskInput>().toEqualTypeOf<z.input<typeof ClaimTaskSchema>>()
expectTypeOf<Types.TaskSessionScope>().toEqualTypeOf<z.infer<typeof TaskSessionScopeSchema>>()
expectTypeOf<Types.StartTaskSessionInput>().toEqualTypeOf<z.input<typeof StartTaskSessionSchema>>()
expectTypeOf<Types.UpsertTaskSessionInput>().toEqualTypeOf<z.input<typeof UpsertTaskSessionSchema>>()
expectTypeOf<Types.EndTaskSessionInput>().toEqualTypeOf<z.input<typeof EndTaskSessionSchema>>()
expectTypeOf<Types.TaskSessionHandoffInput>().toEqualTypeOf<z.input<typeof TaskSessionHandoffSchema>>()
expectTypeOf<Types.TaskSessionListFilter>().toEqualTypeOf<z.input<typeof TaskSessionListFilterSchema>>()
expectTypeOf<Types.RecordGateInput>().toEqualTypeOf<z.input<typeof RecordGateSchema>>()
expectTypeOf<Types.AddEvidenceInput>().toEqualTypeOf<z.input<typeof AddEvidenceSchema>>()
expectTypeOf<Types.AdvanceStageInput>().toEqualTypeOf<z.input<typeof AdvanceStageSchema>>()
expectTypeOf<Types.SetPipelineStatusInput>().toEqualTypeOf<z.input<typeof SetPipelineStatusSchema>>()
expectTypeOf<Types.ValidateStageInput>().toEqualTypeOf<z.input<typeof ValidateStageSchema>>()
expectTypeOf<Types.AddManifestEntryInput>().toEqualTypeOf<z.input<typeof AddManifestEntrySchema>>()
expectTypeOf<Types.RecordPipelineManifestInput>().toEqualTypeOf<z.input<typeof RecordPipelineManifestSchema>>()
expectTypeOf<Types.PipelineManifestFilter>().toEqualTypeOf<z.input<typeof PipelineManifestFilterSchema>>()
expectTypeOf<Types.CreateReleaseInput>().toEqualTypeOf<z.input<typeof CreateReleaseSchema>>()
expectTypeOf<Types.AdvanceReleaseInput>().toEqualTypeOf<z.input<typeof AdvanceReleaseSchema>>()
expectTypeOf<Types.CreateAdrInput>().toEqualTypeOf<z.input<typeof CreateAdrSchema>>()
expectTypeOf<Types.UpdateAdrInput>().toEqualTypeOf<z.input<typeof UpdateAdrSchema>>()
expectTypeOf<Types.AdrListFilter>().toEqualTypeOf<z.input<typeof AdrListFilterSchema>>()
expectTypeOf<Types.TaskAuditFilter>().toEqualTypeOf<z.input<typeof TaskAuditFilterSchema>>()
expectTypeOf<Types.RecordAuditOperationInput>().toEqualTypeOf<z.input<typeof RecordAuditOperationSchema>>()
expectTypeOf<Types.RecordTokenUsageInput>().toEqualTypeOf<z.input<typeof RecordTokenUsageSchema>>()
expectTypeOf<Types.TokenAggregateQuery>().toEqualTypeOf<z.input<typeof TokenAggregateQuerySchema>>()
expectTypeOf<Types.LinkExternalTaskInput>().toEqualTypeOf<z.input<typeof LinkExternalTaskSchema>>()
expectTypeOf<Types.RegisterAgentInstanceInput>().toEqualTypeOf<z.input<typeof RegisterAgentInstanceSchema>>()
expectTypeOf<Types.AgentHeartbeatInput>().toEqualTypeOf<z.input<typeof AgentHeartbeatSchema>>()
expectTypeOf<Types.AgentInstanceFilter>().toEqualTypeOf<z.input<typeof AgentInstanceFilterSchema>>()
expectTypeOf<Types.PutAgentCredentialInput>().toEqualTypeOf<z.input<typeof PutAgentCredentialInput>>()
expectTypeOf<Types.SessionActivityFilter>().toEqualTypeOf<z.input<typeof SessionActivityFilterSchema>>()
