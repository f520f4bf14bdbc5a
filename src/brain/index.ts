/**
 * `cleo-store/brain`: the brain.db repository and its types.
 *
 * @module
 */
export { BRAIN_DEFAULT_MMAP_SIZE, BrainRepository } from './brain-repository.js'
export type { BrainPostgresOptions, BrainRepositoryOptions } from './brain-repository.js'
export type * from './brain.tables.js'
export type * from './brain.types.js'
export type * from './brain.input.types.js'
export * from './brain.schemas.js'
export { BRAIN_STORE } from './brain.store.js'
export { BRAIN_ENTRY_KINDS, BRAIN_MEMORY_KINDS } from './memory-kinds.js'
export type { BrainEntryKind, BrainMemoryKind } from './memory-kinds.js'
export type { Embedder } from './embedder.js'
export { MAX_EMBEDDING_DIMENSIONS } from './embedder.js'
export { FeatureHashingEmbedder } from './feature-hashing-embedder.js'
export type { FeatureHashingEmbedderOptions } from './feature-hashing-embedder.js'
export type { BrainEmbedderChangePolicy, BrainSearchTuning } from './vector-tuning.js'
export { BRAIN_LIFECYCLE, decayLearningConfidence, nextBrainTier, promotedBrainTier, shouldEvictMemory } from './memory-lifecycle.js'
export type { BrainTierFacts } from './memory-lifecycle.js'
export { BRAIN_RRF_K, BRAIN_SCORE_FUSION_WEIGHT, brainFtsSignal, fuseBrainSignals, brainSingleSignal, brainVectorSignal } from './search-fusion.js'
export type { BrainFusedCandidate, BrainSignalCandidate } from './search-fusion.js'
export type { BrainStickyNotes, BrainStickyNoteAddResult, BrainStickyConvertInput } from './sticky-notes.js'
export type { BrainMemoryLinks } from './memory-links.js'
export { FTS_ROW_BUDGET as BRAIN_FTS_ROW_BUDGET, planFtsQuery as planBrainFtsQuery } from './fts-plan.js'
export type { FtsPlan as BrainFtsPlan, ProbedTerm as BrainProbedTerm } from './fts-plan.js'
export { contentHash as brainContentHash, normalizeText as normalizeBrainText } from './memory-rows.js'
// embedder adapters and optional sqlite-vec (issue 15 items 6 and 8)
export { openAiCompatibleEmbedder } from './openai-compatible-embedder.js'
export type { EmbedderFetch, OpenAiCompatibleEmbedderOptions } from './openai-compatible-embedder.js'
export { TRANSFORMERS_FIX, transformersEmbedder } from './transformers-embedder.js'
export type {
  TransformersEmbedderOptions,
  TransformersFeatureExtractor,
  TransformersPipelineFactory,
  TransformersPipelineRequest,
  TransformersPooling,
  TransformersTensor,
} from './transformers-embedder.js'
export { SQLITE_VEC_FIX, SQLITE_VEC_PLATFORMS } from '../sqlite/sqlite-vec.js'
// Brain maintenance sees tasks through a workspace (issue 16)
export type { BrainKnownReferences } from './brain.types.js'
