/**
 * The workspace check of agents whose sealed API key this machine cannot open
 * (`requiresReauth` in signaldock): after a restore from another machine without
 * its key files, or when the key files were lost and created again while sealed
 * keys existed. Not repairable: each agent must be registered again with its key.
 *
 * @module
 */
import type { WorkspaceCheck, WorkspaceCheckTarget, WorkspaceFinding } from './check-types.js'

/**
 * signaldock agents marked `requiresReauth` (sealed under other key files). Part of
 * the built-in checks of `ws.check()`.
 *
 * @example
 * ```ts
 * const report = await ws.check({ checks: [AGENT_REAUTH_CHECK] })
 * const agents = report.findings[0]?.details?.['agents']
 * ```
 */
export const AGENT_REAUTH_CHECK: WorkspaceCheck = Object.freeze({
  name: 'agents.requires-reauth',
  description: 'every sealed agent API key opens with this machine’s key files (no agent needs re-authentication)',
  async run(target: WorkspaceCheckTarget): Promise<WorkspaceFinding[]> {
    const signaldock = target.signaldock
    if (!signaldock) return []
    const marked: string[] = []
    let after: string | undefined
    for (;;) {
      const page = await signaldock.agents.list({ limit: 1000, ...(after === undefined ? {} : { after }) })
      marked.push(...page.filter((agent) => agent.requiresReauth).map((agent) => agent.agentId))
      if (page.length < 1000) break
      after = page[page.length - 1]!.agentId
    }
    if (marked.length === 0) return []
    return [
      {
        check: 'agents.requires-reauth',
        store: 'signaldock',
        severity: 'error',
        code: 'requires-reauth',
        message: `${marked.length} agent(s) need re-authentication: their API keys were sealed under other key files (register each again with its API key)`,
        repairable: false,
        details: { agents: marked, count: marked.length },
      },
    ]
  },
})
