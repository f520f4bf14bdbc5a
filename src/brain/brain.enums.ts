/**
 * Enumerations and limits of brain.db (no zod: the root type graph imports this file).
 *
 * @module
 */

/** Memory tiers (CLEO's short → medium → long). */
export const BRAIN_MEMORY_TIERS = Object.freeze(['short', 'medium', 'long'] as const)

/** Memory types. */
export const BRAIN_MEMORY_TYPES = Object.freeze(['semantic', 'episodic', 'procedural'] as const)

/** Who vouches for a memory. */
export const BRAIN_SOURCE_CONFIDENCES = Object.freeze(['owner', 'task-outcome', 'agent', 'speculative'] as const)

/** Decision types. */
export const BRAIN_DECISION_TYPES = Object.freeze(['architecture', 'technical', 'process', 'strategic', 'tactical'] as const)

/** Decision confidence levels. */
export const BRAIN_DECISION_CONFIDENCES = Object.freeze(['low', 'medium', 'high'] as const)

/** Decision outcomes. */
export const BRAIN_DECISION_OUTCOMES = Object.freeze(['success', 'failure', 'mixed', 'pending'] as const)

/** Pattern types. */
export const BRAIN_PATTERN_TYPES = Object.freeze(['workflow', 'blocker', 'success', 'failure', 'optimization'] as const)

/** Pattern impact levels. */
export const BRAIN_PATTERN_IMPACTS = Object.freeze(['low', 'medium', 'high'] as const)

/** Observation types. */
export const BRAIN_OBSERVATION_TYPES = Object.freeze(['discovery', 'change', 'feature', 'bugfix', 'decision', 'refactor', 'diary'] as const)

/** Where an observation came from. */
export const BRAIN_OBSERVATION_SOURCE_TYPES = Object.freeze(['agent', 'session-debrief', 'claude-mem', 'manual'] as const)

/** Sticky-note states. */
export const BRAIN_STICKY_STATUSES = Object.freeze(['active', 'converted', 'archived'] as const)

/** Sticky-note colours. */
export const BRAIN_STICKY_COLORS = Object.freeze(['yellow', 'blue', 'green', 'red', 'purple'] as const)

/** Sticky-note priorities. */
export const BRAIN_STICKY_PRIORITIES = Object.freeze(['low', 'medium', 'high'] as const)

/** Memory ↔ task link types. */
export const BRAIN_LINK_TYPES = Object.freeze(['produced_by', 'applies_to', 'informed_by', 'contradicts'] as const)

/** Search modes. */
export const BRAIN_SEARCH_MODES = Object.freeze(['fts', 'vector', 'hybrid'] as const)

/** Hybrid fusions. */
export const BRAIN_SEARCH_FUSIONS = Object.freeze(['score', 'rrf'] as const)

/** Longest text field accepted, in UTF-16 code units. */
export const BRAIN_MAX_TEXT = 100_000

/** `short` | `medium` | `long`. */
export type BrainMemoryTier = (typeof BRAIN_MEMORY_TIERS)[number]

/** `semantic` | `episodic` | `procedural`. */
export type BrainMemoryType = (typeof BRAIN_MEMORY_TYPES)[number]

/** `owner` | `task-outcome` | `agent` | `speculative`. */
export type BrainSourceConfidence = (typeof BRAIN_SOURCE_CONFIDENCES)[number]

/** Memory ↔ task link type. */
export type BrainLinkType = (typeof BRAIN_LINK_TYPES)[number]
