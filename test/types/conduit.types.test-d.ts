/**
 * The plain conduit types the root module exposes (`src/conduit/conduit.types.ts`) equal what their zod
 * schemas accept or return, in both directions: `npm run typecheck` (tsc -p .) fails
 * on a field that differs. Nothing here runs.
 */
import { expectTypeOf } from 'vitest'
import type { z } from 'zod'

import type * as Types from '../../src/conduit/conduit.types.js'
import type { AcquireWriterLeaseSchema, AddAttachmentVersionSchema, AttachAgentRefSchema, ClaimJobsSchema, ConversationListSchema, CreateAttachmentSchema, CreateGroupSchema, DeadLetterHistorySchema, DeadLetterListSchema, DeadLetterSelectionSchema, EnqueueJobSchema, InboxOptionsSchema, MessageHistoryOptionsSchema, MessageSearchSchema, NackJobSchema, PinMessageSchema, PruneJobsSchema, ReviewAttachmentSchema, SendMessageSchema, SetAttachmentModeSchema, SnapshotCachePolicySchema, SnapshotPutSchema } from '../../src/conduit/conduit.schemas.js'

expectTypeOf<Types.SendMessageInput>().toEqualTypeOf<z.input<typeof SendMessageSchema>>()
expectTypeOf<Types.InboxOptions>().toEqualTypeOf<z.input<typeof InboxOptionsSchema>>()
expectTypeOf<Types.MessageHistoryOptions>().toEqualTypeOf<z.input<typeof MessageHistoryOptionsSchema>>()
expectTypeOf<Types.MessageSearchInput>().toEqualTypeOf<z.input<typeof MessageSearchSchema>>()
expectTypeOf<Types.CreateGroupInput>().toEqualTypeOf<z.input<typeof CreateGroupSchema>>()
expectTypeOf<Types.ConversationListOptions>().toEqualTypeOf<z.input<typeof ConversationListSchema>>()
expectTypeOf<Types.PinMessageInput>().toEqualTypeOf<z.input<typeof PinMessageSchema>>()
expectTypeOf<Types.CreateAttachmentInput>().toEqualTypeOf<z.input<typeof CreateAttachmentSchema>>()
expectTypeOf<Types.AddAttachmentVersionInput>().toEqualTypeOf<z.input<typeof AddAttachmentVersionSchema>>()
expectTypeOf<Types.ReviewAttachmentInput>().toEqualTypeOf<z.input<typeof ReviewAttachmentSchema>>()
expectTypeOf<Types.SetAttachmentModeInput>().toEqualTypeOf<z.input<typeof SetAttachmentModeSchema>>()
expectTypeOf<Types.AttachAgentRefInput>().toEqualTypeOf<z.input<typeof AttachAgentRefSchema>>()
expectTypeOf<Types.EnqueueJobInput>().toEqualTypeOf<z.input<typeof EnqueueJobSchema>>()
expectTypeOf<Types.ClaimJobsOptions>().toEqualTypeOf<z.input<typeof ClaimJobsSchema>>()
expectTypeOf<Types.NackJobOptions>().toEqualTypeOf<z.input<typeof NackJobSchema>>()
expectTypeOf<Types.PruneJobsOptions>().toEqualTypeOf<z.input<typeof PruneJobsSchema>>()
expectTypeOf<Types.DeadLetterListOptions>().toEqualTypeOf<z.input<typeof DeadLetterListSchema>>()
expectTypeOf<Types.DeadLetterHistoryOptions>().toEqualTypeOf<z.input<typeof DeadLetterHistorySchema>>()
expectTypeOf<Types.DeadLetterSelection>().toEqualTypeOf<z.input<typeof DeadLetterSelectionSchema>>()
expectTypeOf<Types.SnapshotCachePolicyInput>().toEqualTypeOf<z.input<typeof SnapshotCachePolicySchema>>()
expectTypeOf<Types.SnapshotPutOptions>().toEqualTypeOf<z.input<typeof SnapshotPutSchema>>()
expectTypeOf<Types.AcquireWriterLeaseOptions>().toEqualTypeOf<z.input<typeof AcquireWriterLeaseSchema>>()
