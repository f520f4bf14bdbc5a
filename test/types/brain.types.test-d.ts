/**
 * The plain brain types the root module exposes (`src/brain/brain.input.types.ts`) equal what their zod
 * schemas accept or return, in both directions: `npm run typecheck` (tsc -p .) fails
 * on a field that differs. Nothing here runs.
 */
import { expectTypeOf } from 'vitest'
import type { z } from 'zod'

import type * as Types from '../../src/brain/brain.input.types.js'
import type { BrainDecisionInput, BrainDecisionPatch, BrainInvalidateOptions, BrainLearningInput, BrainLearningPatch, BrainListOptions, BrainMaintainOptions, BrainMemoryLinkInput, BrainObservationInput, BrainObservationPatch, BrainPatternInput, BrainPatternPatch, BrainReconcileOptions, BrainReindexOptions, BrainSearchOptions, BrainStickyNoteInput, BrainStickyNoteListOptions, BrainStickyNotePatch } from '../../src/brain/brain.schemas.js'

expectTypeOf<Types.BrainDecisionRecordInput>().toEqualTypeOf<z.input<typeof BrainDecisionInput>>()
expectTypeOf<Types.BrainPatternRecordInput>().toEqualTypeOf<z.input<typeof BrainPatternInput>>()
expectTypeOf<Types.BrainLearningRecordInput>().toEqualTypeOf<z.input<typeof BrainLearningInput>>()
expectTypeOf<Types.BrainObservationRecordInput>().toEqualTypeOf<z.input<typeof BrainObservationInput>>()
expectTypeOf<Types.BrainDecisionPatchInput>().toEqualTypeOf<z.input<typeof BrainDecisionPatch>>()
expectTypeOf<Types.BrainPatternPatchInput>().toEqualTypeOf<z.input<typeof BrainPatternPatch>>()
expectTypeOf<Types.BrainLearningPatchInput>().toEqualTypeOf<z.input<typeof BrainLearningPatch>>()
expectTypeOf<Types.BrainObservationPatchInput>().toEqualTypeOf<z.input<typeof BrainObservationPatch>>()
expectTypeOf<Types.BrainInvalidateOptionsInput>().toEqualTypeOf<z.input<typeof BrainInvalidateOptions>>()
expectTypeOf<Types.BrainListOptionsInput>().toEqualTypeOf<z.input<typeof BrainListOptions>>()
expectTypeOf<Types.BrainSearchOptionsInput>().toEqualTypeOf<z.input<typeof BrainSearchOptions>>()
expectTypeOf<Types.BrainStickyNoteAddInput>().toEqualTypeOf<z.input<typeof BrainStickyNoteInput>>()
expectTypeOf<Types.BrainStickyNotePatchInput>().toEqualTypeOf<z.input<typeof BrainStickyNotePatch>>()
expectTypeOf<Types.BrainStickyNoteListOptionsInput>().toEqualTypeOf<z.input<typeof BrainStickyNoteListOptions>>()
expectTypeOf<Types.BrainMemoryLinkAddInput>().toEqualTypeOf<z.input<typeof BrainMemoryLinkInput>>()
expectTypeOf<Types.BrainReindexOptionsInput>().toEqualTypeOf<z.input<typeof BrainReindexOptions>>()
expectTypeOf<Types.BrainMaintainOptionsInput>().toEqualTypeOf<z.input<typeof BrainMaintainOptions>>()
expectTypeOf<Types.BrainReconcileOptionsInput>().toEqualTypeOf<z.input<typeof BrainReconcileOptions>>()
