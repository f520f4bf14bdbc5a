/**
 * `agent_connections`: live transport connections of agents and their heartbeats.
 *
 * @module
 */
import type { Selectable } from 'kysely'
import { z } from 'zod'

import { CleoStoreError } from '../sqlite/errors.js'
import { fromJsonOrNull, toJson } from '../sqlite/json.js'
import { validate } from '../sqlite/validate.js'
import type { SignaldockContext } from './signaldock-context.js'
import { iso, requireAgentKey, transact } from './signaldock-context.js'
import type {
  AgentTransportType,
} from './signaldock.types.js'
import { AgentSlug, ConnectAgentInput as ConnectAgentSchema, DurationMs, JsonObject } from './signaldock.schemas.js'
import type { SignaldockAgentConnectionsTable } from './signaldock.tables.js'
import type { ConnectAgentInput } from './signaldock.types.js'

/** One live connection of an agent. */
export interface AgentConnection {
  readonly id: string
  /** The agent's slug. */
  readonly agentId: string
  readonly connectionId: string
  readonly transportType: AgentTransportType
  readonly connectedAt: string
  readonly lastHeartbeat: string
  readonly metadata: Record<string, unknown> | null
}

const ConnectionKey = z.object({ agentId: AgentSlug, connectionId: z.string().min(1).max(200) })

/**
 * Agent connections: `repo.connections`.
 *
 * @example
 * ```ts
 * await signaldock.connections.connect({ agentId: 'cleo-prime', connectionId: 'sse-1', transportType: 'sse' })
 * await signaldock.connections.heartbeat('cleo-prime', 'sse-1')
 * await signaldock.connections.pruneStale({ olderThanMs: 60_000 })
 * ```
 */
export class AgentConnections {
  readonly #ctx: SignaldockContext

  /** @internal Created by the repository. */
  constructor(ctx: SignaldockContext) {
    this.#ctx = ctx
  }

  /**
   * Records a connection (an upsert by agent and connection id: reconnecting
   * resets `connectedAt` and the heartbeat). `NOT_FOUND` for an unknown agent.
   */
  async connect(input: ConnectAgentInput): Promise<AgentConnection> {
    const ctx = this.#ctx
    const parsed = validate(ConnectAgentSchema, input, 'signaldock.connections.connect', ctx.errors)
    return transact(ctx, async (trx) => {
      const key = await requireAgentKey(ctx, trx, parsed.agentId)
      const now = ctx.clock()
      const metadata = parsed.metadata == null ? null : toJson(parsed.metadata)
      const transport = parsed.transportType ?? 'http'
      await trx
        .insertInto('agent_connections')
        .values({
          id: ctx.newId(),
          agent_id: key,
          connection_id: parsed.connectionId,
          transport_type: transport,
          connected_at: now,
          last_heartbeat: now,
          connection_metadata: metadata,
          created_at: now,
        })
        .onConflict((oc) =>
          oc.columns(['agent_id', 'connection_id']).doUpdateSet({
            transport_type: transport,
            connected_at: now,
            last_heartbeat: now,
            connection_metadata: metadata,
          }),
        )
        .execute()
      const row = await trx
        .selectFrom('agent_connections')
        .selectAll()
        .where('agent_id', '=', key)
        .where('connection_id', '=', parsed.connectionId)
        .executeTakeFirstOrThrow()
      return this.#map(row, parsed.agentId)
    })
  }

  /** Moves the connection's heartbeat to now; `NOT_FOUND` when there is no such connection. */
  async heartbeat(agentId: string, connectionId: string): Promise<void> {
    const ctx = this.#ctx
    const key = validate(ConnectionKey, { agentId, connectionId }, 'signaldock.connections.heartbeat', ctx.errors)
    const result = await transact(ctx, (trx) =>
      trx
        .updateTable('agent_connections')
        .set({ last_heartbeat: ctx.clock() })
        .where('connection_id', '=', key.connectionId)
        .where('agent_id', '=', (eb) => eb.selectFrom('agents').select('id').where('agent_id', '=', key.agentId))
        .executeTakeFirst(),
    )
    if (Number(result.numUpdatedRows) === 0) {
      throw new CleoStoreError('NOT_FOUND', `no connection ${JSON.stringify(connectionId)} of agent ${JSON.stringify(agentId)}`, {
        ...ctx.errors,
        details: key,
      })
    }
  }

  /** Forgets a connection; false when there was none. */
  async disconnect(agentId: string, connectionId: string): Promise<boolean> {
    const ctx = this.#ctx
    const key = validate(ConnectionKey, { agentId, connectionId }, 'signaldock.connections.disconnect', ctx.errors)
    const result = await transact(ctx, (trx) =>
      trx
        .deleteFrom('agent_connections')
        .where('connection_id', '=', key.connectionId)
        .where('agent_id', '=', (eb) => eb.selectFrom('agents').select('id').where('agent_id', '=', key.agentId))
        .executeTakeFirst(),
    )
    return Number(result.numDeletedRows) > 0
  }

  /** The connections of one agent, or of every agent, by agent and connection id. */
  async list(agentId?: string): Promise<AgentConnection[]> {
    const ctx = this.#ctx
    const slug = agentId === undefined ? undefined : validate(AgentSlug, agentId, 'signaldock.connections.list', ctx.errors)
    let query = ctx.kysely
      .selectFrom('agent_connections')
      .innerJoin('agents', 'agents.id', 'agent_connections.agent_id')
      .selectAll('agent_connections')
      .select('agents.agent_id as slug')
    if (slug !== undefined) query = query.where('agents.agent_id', '=', slug)
    const rows = await query.orderBy('agents.agent_id').orderBy('agent_connections.connection_id').execute()
    return rows.map((row) => this.#map(row, row.slug))
  }

  /** Deletes connections whose last heartbeat is older than `olderThanMs`; returns how many. */
  async pruneStale(options: { olderThanMs: number }): Promise<number> {
    const ctx = this.#ctx
    const olderThanMs = validate(DurationMs, options.olderThanMs, 'signaldock.connections.pruneStale', ctx.errors)
    const cutoff = ctx.clock() - olderThanMs
    const result = await transact(ctx, (trx) =>
      trx.deleteFrom('agent_connections').where('last_heartbeat', '<', cutoff).executeTakeFirst(),
    )
    return Number(result.numDeletedRows)
  }

  #map(row: Selectable<SignaldockAgentConnectionsTable>, agentId: string): AgentConnection {
    return {
      id: row.id,
      agentId,
      connectionId: row.connection_id,
      transportType: row.transport_type as AgentTransportType,
      connectedAt: iso(row.connected_at),
      lastHeartbeat: iso(row.last_heartbeat),
      metadata: fromJsonOrNull(row.connection_metadata, 'agent_connections.connection_metadata', this.#ctx.errors, JsonObject),
    }
  }
}
