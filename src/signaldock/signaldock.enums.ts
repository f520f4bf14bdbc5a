/**
 * Enumerations of signaldock.db (no zod: the root type graph imports this file).
 *
 * @module
 */

/** Functional classes of an agent (SignalDock's `AgentClass`). */
export const AGENT_CLASSES = [
  'personal_assistant',
  'code_dev',
  'research',
  'orchestrator',
  'security',
  'devops',
  'data',
  'creative',
  'support',
  'testing',
  'documentation',
  'utility_bot',
  'custom',
] as const

/** Discoverability of an agent. */
export const AGENT_PRIVACY_TIERS = ['public', 'discoverable', 'private'] as const

/** Presence reported by an agent's transport (not its availability for work). */
export const AGENT_PRESENCES = ['online', 'offline', 'busy'] as const

/** How an agent is reached. */
export const AGENT_TRANSPORT_TYPES = ['http', 'sse', 'websocket', 'local'] as const

/** Where an agent definition was installed or resolved from (ADR-044). */
export const AGENT_TIERS = ['project', 'global', 'packaged', 'fallback', 'universal'] as const

/** Provenance of an agent install record. */
export const AGENT_INSTALL_SOURCES = ['seed', 'user', 'manual'] as const

/** Categories of the capability catalogue (`other` for entries created on the fly). */
export const CAPABILITY_CATEGORIES = ['communication', 'development', 'execution', 'analysis', 'coordination', 'devops', 'other'] as const

/** Categories of the skill catalogue (`other` for entries created on the fly). */
export const SKILL_CATEGORIES = ['language', 'framework', 'database', 'practice', 'other'] as const

/** How a skill was bound to an agent. */
export const SKILL_SOURCES = ['cant', 'manual', 'computed'] as const

/** Roles of a signaldock user. */
export const SIGNALDOCK_USER_ROLES = ['user', 'admin'] as const

/** Availability of an agent for work. */
export const AGENT_AVAILABILITY_STATES = ['available', 'degraded', 'unavailable'] as const

/**
 * The engine a signaldock repository runs on.
 *
 * @example
 * ```ts
 * if (signaldock.dialect === 'postgres') console.log('identities on', signaldock.path)
 * ```
 */
export type SignaldockDialect = 'sqlite' | 'postgres'
