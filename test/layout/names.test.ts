/** The accessor names of docs/names.md: each "agents" and "sessions" name says what it holds. */
import { describe, expect, it } from 'vitest'

import { CleoWorkspace } from '../../src/index.js'
import { AuthSessions, SignaldockAgents } from '../../src/signaldock/index.js'
import { TaskAgentInstances, TaskSessions } from '../../src/tasks/index.js'
import { ProjectAgentRefs } from '../../src/conduit/index.js'
import { tempDir } from '../helpers.js'

describe('names of agents and sessions (docs/names.md)', () => {
  it('tasks.agentInstances and signaldock.authSessions replace tasks.agents and signaldock.sessions', async () => {
    await using ws = await CleoWorkspace.open(tempDir(), { inMemory: true })
    expect(ws.tasks.agentInstances).toBeInstanceOf(TaskAgentInstances)
    expect(ws.signaldock.authSessions).toBeInstanceOf(AuthSessions)
    expect('agents' in ws.tasks).toBe(false)
    expect('sessions' in ws.signaldock).toBe(false)
    // The names that stay.
    expect(ws.tasks.sessions).toBeInstanceOf(TaskSessions)
    expect(ws.signaldock.agents).toBeInstanceOf(SignaldockAgents)
    expect(ws.conduit.agentRefs).toBeInstanceOf(ProjectAgentRefs)
    expect(typeof ws.agents.attach).toBe('function')
  })

  it('operation names in errors use the new accessor names', async () => {
    await using ws = await CleoWorkspace.open(tempDir(), { inMemory: true })
    await expect(ws.tasks.agentInstances.register({} as never)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('tasks.agentInstances.') })
    await expect(ws.signaldock.authSessions.getByToken('')).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('signaldock.authSessions.') })
  })
})
