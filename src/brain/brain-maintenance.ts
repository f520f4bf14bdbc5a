/**
 * Maintenance of brain.db: `maintain()` applies the lifecycle rules (promotion,
 * decay, soft eviction) and removes orphan vectors; `reconcileOrphanedRefs()`
 * clears references to tasks and sessions that no longer exist in tasks.db — both
 * in one transaction, the latter set-based (CLEO issued one tasks.db query per row).
 *
 * @module
 */
import { sql } from 'kysely'
import { z } from 'zod'
import type { BrainMaintainOptionsInput, BrainReconcileOptionsInput } from './brain.input.types.js'

import type { SqlDialect } from '../sqlite/query-template.js'
import { template } from '../sqlite/query-template.js'
import { validate } from '../sqlite/validate.js'
import type { Step } from '../sqlite/store-engine.js'
import type { BrainCore, BrainExecutor } from './brain-core.js'
import { BrainMaintainOptions, BrainReconcileOptions } from './brain.schemas.js'
import type { BrainDatabase } from './brain.tables.js'
import type { BrainMaintenanceReport, BrainReconcileReport, BrainTierChange } from './brain.types.js'
import type { BrainMemoryKind } from './memory-kinds.js'
import { BRAIN_MEMORY_KINDS } from './memory-kinds.js'
import { BRAIN_LIFECYCLE, decayLearningConfidence, promotedBrainTier, shouldEvictMemory } from './memory-lifecycle.js'
import { inJsonArray, MEMORY_QUERIES } from './memory-queries.js'
import type { AnyMemoryRow } from './memory-rows.js'

const DECAY_CANDIDATES = template<BrainDatabase, { before: number; at: number }>()((db, p) =>
  db
    .selectFrom('brain_learnings')
    .select(['seq', 'id', 'confidence', 'updated_at', 'decayed_at'])
    .where('updated_at', '<', p('before'))
    .where(sql<boolean>`(invalid_at IS NULL OR invalid_at > ${p('at')})`)
    .orderBy('seq'),
)
const DECAY = template<BrainDatabase, { seq: number; confidence: number; decayed_at: number }>()((db, p) =>
  db.updateTable('brain_learnings').set({ confidence: p('confidence'), decayed_at: p('decayed_at') }).where('seq', '=', p('seq')),
)

const IN_IDS = (column: string, ids: unknown, dialect: SqlDialect) => inJsonArray(column, ids, dialect, 'text')

const FIX_DECISIONS = template<BrainDatabase, { ids: string }>()((db, p, dialect) =>
  db
    .updateTable('brain_decisions')
    .set({
      context_task_id: sql`CASE WHEN ${IN_IDS('context_task_id', p('ids'), dialect)} THEN context_task_id ELSE NULL END`,
      context_epic_id: sql`CASE WHEN ${IN_IDS('context_epic_id', p('ids'), dialect)} THEN context_epic_id ELSE NULL END`,
    })
    .where(
      sql<boolean>`(context_task_id IS NOT NULL AND NOT ${IN_IDS('context_task_id', p('ids'), dialect)})
        OR (context_epic_id IS NOT NULL AND NOT ${IN_IDS('context_epic_id', p('ids'), dialect)})`,
    ),
)
const FIX_OBSERVATIONS = template<BrainDatabase, { ids: string }>()((db, p, dialect) =>
  db
    .updateTable('brain_observations')
    .set({ source_session_id: null })
    .where('source_session_id', 'is not', null)
    .where(sql<boolean>`NOT ${IN_IDS('source_session_id', p('ids'), dialect)}`),
)
const REMOVE_LINKS = template<BrainDatabase, { ids: string }>()((db, p, dialect) =>
  db.deleteFrom('brain_memory_links').where(sql<boolean>`NOT ${IN_IDS('task_id', p('ids'), dialect)}`),
)

const COUNT_DECISIONS = template<BrainDatabase, { ids: string }>()((db, p, dialect) =>
  db
    .selectFrom('brain_decisions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where(
      sql<boolean>`(context_task_id IS NOT NULL AND NOT ${IN_IDS('context_task_id', p('ids'), dialect)})
        OR (context_epic_id IS NOT NULL AND NOT ${IN_IDS('context_epic_id', p('ids'), dialect)})`,
    ),
)
const COUNT_OBSERVATIONS = template<BrainDatabase, { ids: string }>()((db, p, dialect) =>
  db
    .selectFrom('brain_observations')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('source_session_id', 'is not', null)
    .where(sql<boolean>`NOT ${IN_IDS('source_session_id', p('ids'), dialect)}`),
)
const COUNT_LINKS = template<BrainDatabase, { ids: string }>()((db, p, dialect) =>
  db.selectFrom('brain_memory_links').select((eb) => eb.fn.countAll<number>().as('n')).where(sql<boolean>`NOT ${IN_IDS('task_id', p('ids'), dialect)}`),
)

const TaskIds = z.array(z.string().min(1).max(64))

function facts(row: AnyMemoryRow) {
  return {
    tier: row.memory_tier,
    createdAt: row.created_at,
    citationCount: row.citation_count,
    qualityScore: row.quality_score,
    verified: row.verified === 1,
  }
}

/** `maintain` and `reconcileOrphanedRefs`. Internal: exposed by `BrainRepository`. */
export class BrainMaintenance {
  readonly #core: BrainCore

  constructor(core: BrainCore) {
    this.#core = core
  }

  async maintain(options: BrainMaintainOptionsInput = {}): Promise<BrainMaintenanceReport> {
    const { engine, clock, vectors, context } = this.#core
    const o = validate(BrainMaintainOptions, options, 'brain.maintain', context)
    const now = o.at ?? clock()
    const L = BRAIN_LIFECYCLE
    // Through a workspace, maintenance sees tasks.db and reconciles orphaned references too.
    const known = this.#core.knownReferences === undefined ? undefined : await this.#core.knownReferences()
    function* reconcile(x: BrainExecutor): Step<BrainReconcileReport | null> {
      if (known === undefined) return null
      const tasks = JSON.stringify(known.taskIds)
      const sessions = JSON.stringify(known.sessionIds)
      if (o.dryRun) {
        return {
          decisionsFixed: Number((yield* x.get(COUNT_DECISIONS, { ids: tasks }))!.n),
          observationsFixed: Number((yield* x.get(COUNT_OBSERVATIONS, { ids: sessions }))!.n),
          linksRemoved: Number((yield* x.get(COUNT_LINKS, { ids: tasks }))!.n),
        }
      }
      return {
        decisionsFixed: (yield* x.run(FIX_DECISIONS, { ids: tasks })).changes,
        observationsFixed: (yield* x.run(FIX_OBSERVATIONS, { ids: sessions })).changes,
        linksRemoved: (yield* x.run(REMOVE_LINKS, { ids: tasks })).changes,
      }
    }
    function* work(x: BrainExecutor): Step<BrainMaintenanceReport> {
      const promoted: BrainTierChange[] = []
      const evicted: Array<{ kind: BrainMemoryKind; id: string }> = []
      const decayed: Array<{ id: string; from: number; to: number }> = []
      for (const kind of BRAIN_MEMORY_KINDS) {
        const q = MEMORY_QUERIES[kind]
        const candidates = yield* x.all(q.promotionCandidates, {
          at: now,
          short_before: now - L.shortToMediumAgeMs,
          short_citations: L.shortToMediumCitations,
          short_quality: L.shortToMediumQuality,
          medium_before: now - L.mediumToLongAgeMs,
          medium_citations: L.mediumToLongCitations,
        })
        for (const row of candidates) {
          const next = promotedBrainTier(facts(row), now)
          if (next === null) continue
          promoted.push({ kind, id: row.id, from: row.memory_tier, to: next.tier, reason: next.reason })
          if (!o.dryRun) yield* x.run(q.promote, { seq: row.seq, tier: next.tier, at: now, reason: next.reason })
        }
        const stale = yield* x.all(q.evictionCandidates, { before: now - L.evictAgeMs, quality_below: L.evictQualityBelow, at: now })
        for (const row of stale) {
          if (!shouldEvictMemory(facts(row), now)) continue
          evicted.push({ kind, id: row.id })
          if (!o.dryRun) yield* x.run(q.evict, { seq: row.seq, at: now })
        }
      }
      for (const row of yield* x.all(DECAY_CANDIDATES, { before: now - L.decayAfterMs, at: now })) {
        const next = decayLearningConfidence({ confidence: row.confidence, updatedAt: row.updated_at, decayedAt: row.decayed_at }, now)
        if (next === null || next.confidence === row.confidence) continue
        decayed.push({ id: row.id, from: row.confidence, to: next.confidence })
        if (!o.dryRun) yield* x.run(DECAY, { seq: row.seq, confidence: next.confidence, decayed_at: next.decayedAt })
      }
      const orphanVectorsRemoved = yield* vectors.removeOrphans(x, o.dryRun)
      const orphanedRefs = yield* reconcile(x)
      return { promoted, decayed, evicted, orphanVectorsRemoved, orphanedRefs, dryRun: o.dryRun }
    }
    return o.dryRun ? engine.snapshot(work) : engine.write(work)
  }

  async reconcileOrphanedRefs(
    existingTaskIds: Iterable<string>,
    options: BrainReconcileOptionsInput = {},
  ): Promise<BrainReconcileReport> {
    const { engine, context } = this.#core
    const ids = validate(TaskIds, existingTaskIds === null || existingTaskIds === undefined ? existingTaskIds : [...existingTaskIds], 'brain.reconcileOrphanedRefs', context)
    const o = validate(BrainReconcileOptions, options, 'brain.reconcileOrphanedRefs', context)
    const taskJson = JSON.stringify(ids)
    return engine.write(function* (x) {
      const decisionsFixed = (yield* x.run(FIX_DECISIONS, { ids: taskJson })).changes
      const observationsFixed =
        o.existingSessionIds === undefined ? 0 : (yield* x.run(FIX_OBSERVATIONS, { ids: JSON.stringify(o.existingSessionIds) })).changes
      const linksRemoved = (yield* x.run(REMOVE_LINKS, { ids: taskJson })).changes
      return { decisionsFixed, observationsFixed, linksRemoved }
    })
  }
}
