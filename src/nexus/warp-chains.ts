/**
 * Warp chains: named, versioned workflow definitions. A version never changes (a
 * trigger refuses it); defining a different definition under the same name adds the
 * next version, so running instances keep the definition they started with.
 *
 * @module
 */
import type { z } from 'zod'

import { toIso } from '../sqlite/clock.js'
import { CleoStoreError } from '../sqlite/errors.js'
import { fromJson, toJson } from '../sqlite/json.js'
import { template } from '../sqlite/query-template.js'
import { validate } from '../sqlite/validate.js'
import type { NexusParts } from './nexus-parts.js'
import type {
  DefineWarpChainInput,
} from './nexus.types.js'
import { DefineWarpChainInputSchema, WarpChainDefinitionSchema } from './nexus.schemas.js'
import type { NexusDatabase, WarpChainsTable } from './nexus.tables.js'
import type { WarpChainDefinition } from './warp-chain-definition.js'
import { warpChainDefinitionHash } from './warp-chain-definition.js'

/** One version of a warp chain. */
export interface WarpChain {
  /** Id of this version (instances point at it). */
  readonly id: string
  readonly name: string
  /** 1, 2, … per name. */
  readonly version: number
  readonly description: string | null
  readonly definition: WarpChainDefinition
  /** SHA-256 of the canonical definition. */
  readonly definitionHash: string
  /** ISO-8601 UTC. */
  readonly createdAt: string
}

const BY_ID = template<NexusDatabase, { id: string }>()((db, p) =>
  db.selectFrom('warp_chains').selectAll().where('id', '=', p('id')),
)
const LATEST = template<NexusDatabase, { name: string }>()((db, p) =>
  db.selectFrom('warp_chains').selectAll().where('name', '=', p('name')).orderBy('version', 'desc').limit(1),
)
const BY_VERSION = template<NexusDatabase, { name: string; version: number }>()((db, p) =>
  db.selectFrom('warp_chains').selectAll().where('name', '=', p('name')).where('version', '=', p('version')),
)
const VERSIONS = template<NexusDatabase, { name: string }>()((db, p) =>
  db.selectFrom('warp_chains').selectAll().where('name', '=', p('name')).orderBy('version', 'asc'),
)
const LATEST_OF_EACH = template<NexusDatabase>()((db) =>
  db
    .selectFrom('warp_chains as c')
    .selectAll('c')
    .where(({ eb, selectFrom }) =>
      eb('c.version', '=', selectFrom('warp_chains as v').select((v) => v.fn.max('v.version').as('m')).whereRef('v.name', '=', 'c.name')),
    )
    .orderBy('c.name'),
)
const INSERT = template<NexusDatabase, WarpChainsTable>()((db, p) =>
  db.insertInto('warp_chains').values({
    id: p('id'),
    name: p('name'),
    version: p('version'),
    description: p('description'),
    definition_json: p('definition_json'),
    definition_hash: p('definition_hash'),
    created_at: p('created_at'),
  }),
)
const DELETE = template<NexusDatabase, { id: string }>()((db, p) => db.deleteFrom('warp_chains').where('id', '=', p('id')))

/** Reads a stored definition back through its schema. @internal */
export function parseWarpChainRow(row: WarpChainsTable, context: NexusParts['context']): WarpChain {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    description: row.description,
    definition: fromJson<z.output<typeof WarpChainDefinitionSchema>>(
      row.definition_json,
      'warp_chains.definition_json',
      context,
      WarpChainDefinitionSchema,
    ) as WarpChainDefinition,
    definitionHash: row.definition_hash,
    createdAt: toIso(row.created_at),
  }
}

/**
 * `nexus.chains`: define and read warp chains.
 *
 * @example
 * ```ts
 * const chain = await ws.nexus.chains.define({
 *   name: 'feature',
 *   definition: {
 *     stages: [{ id: 'plan' }, { id: 'build', gates: [{ id: 'tests' }] }],
 *     links: [{ from: 'plan', to: 'build' }],
 *     entryPoint: 'plan',
 *     exitPoints: ['build'],
 *   },
 * })
 * chain.version // 1
 * ```
 */
export class WarpChains {
  readonly #parts: NexusParts

  /** @internal */
  constructor(parts: NexusParts) {
    this.#parts = parts
  }

  /**
   * Defines a chain. The definition is validated (fields and graph) first. If the newest
   * version of `name` has the same definition (key order ignored), that version is
   * returned and nothing is written; otherwise a new version is added.
   *
   * @example
   * ```ts
   * const v2 = await nexus.chains.define({ name: 'feature', definition: changed }) // v2.version === 2
   * ```
   */
  async define(input: DefineWarpChainInput): Promise<WarpChain> {
    const parsed = validate(DefineWarpChainInputSchema, input, 'nexus.chains.define', this.#parts.context)
    const definition = parsed.definition as WarpChainDefinition
    const hash = warpChainDefinitionHash(definition)
    const { engine, newId, clock } = this.#parts
    const row = await engine.write(function* (x) {
      const latest = yield* x.get(LATEST, { name: parsed.name })
      if (latest && latest.definition_hash === hash) return latest
      const fresh: WarpChainsTable = {
        id: newId(),
        name: parsed.name,
        version: (latest?.version ?? 0) + 1,
        description: parsed.description ?? null,
        definition_json: toJson(definition),
        definition_hash: hash,
        created_at: clock(),
      }
      yield* x.run(INSERT, fresh)
      return fresh
    })
    return parseWarpChainRow(row, this.#parts.context)
  }

  /**
   * The chain version with `id`; `NOT_FOUND` otherwise.
   *
   * @example
   * ```ts
   * await nexus.chains.get(instance.chainId)
   * ```
   */
  async get(id: string): Promise<WarpChain> {
    const row = await this.#parts.engine.read((x) => x.get(BY_ID, { id }))
    if (!row) throw new CleoStoreError('NOT_FOUND', `no warp chain with id ${JSON.stringify(id)}`, this.#parts.context)
    return parseWarpChainRow(row, this.#parts.context)
  }

  /**
   * The newest version of the chain `name`, or with `version` that version; `NOT_FOUND`
   * otherwise.
   *
   * @example
   * ```ts
   * await nexus.chains.getByName('feature')     // newest
   * await nexus.chains.getByName('feature', 1)  // version 1
   * ```
   */
  async getByName(name: string, version?: number): Promise<WarpChain> {
    const row = await this.#parts.engine.read((x) =>
      version === undefined ? x.get(LATEST, { name }) : x.get(BY_VERSION, { name, version }),
    )
    if (!row) {
      const what = version === undefined ? '' : ` version ${version}`
      throw new CleoStoreError('NOT_FOUND', `no warp chain named ${JSON.stringify(name)}${what}`, this.#parts.context)
    }
    return parseWarpChainRow(row, this.#parts.context)
  }

  /**
   * Every version of the chain `name`, oldest first.
   *
   * @example
   * ```ts
   * (await nexus.chains.versions('feature')).map((c) => c.version) // [1, 2]
   * ```
   */
  async versions(name: string): Promise<WarpChain[]> {
    const rows = await this.#parts.engine.read((x) => x.all(VERSIONS, { name }))
    return rows.map((row) => parseWarpChainRow(row, this.#parts.context))
  }

  /**
   * The newest version of every chain, by name.
   *
   * @example
   * ```ts
   * const chains = await nexus.chains.list()
   * ```
   */
  async list(): Promise<WarpChain[]> {
    const rows = await this.#parts.engine.read((x) => x.all(LATEST_OF_EACH))
    return rows.map((row) => parseWarpChainRow(row, this.#parts.context))
  }

  /**
   * Deletes one chain version. Refused with `INVARIANT` while instances of it exist
   * (delete those first). Returns false when there was no such version.
   *
   * @example
   * ```ts
   * await nexus.chains.remove(chain.id)
   * ```
   */
  async remove(id: string): Promise<boolean> {
    return this.#parts.engine.write(function* (x) {
      return (yield* x.run(DELETE, { id })).changes > 0
    })
  }
}
