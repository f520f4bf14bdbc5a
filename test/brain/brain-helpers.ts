/**
 * Helpers shared by the brain suites: fresh stores with a manual clock, and test
 * embedders (known vectors, failing on demand, malformed on demand).
 */
import { afterEach } from 'vitest'

import type { BrainRepositoryOptions, Embedder } from '../../src/brain/index.js'
import { BrainRepository } from '../../src/brain/index.js'
import { manualClock } from '../../src/sqlite/clock.js'

/** 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1)
export const DAY = 86_400_000

const open: BrainRepository[] = []

afterEach(async () => {
  for (const brain of open.splice(0)) await brain.close()
})

/** A fresh in-memory brain store with a manual clock (closed after the test). */
export async function openBrain(
  options: BrainRepositoryOptions = {},
  path = ':memory:',
): Promise<{ brain: BrainRepository; clock: ReturnType<typeof manualClock> }> {
  const clock = manualClock(T0)
  const brain = await BrainRepository.open(path, { clock, ...options })
  open.push(brain)
  return { brain, clock }
}

/** Tracks a store opened elsewhere so it is closed after the test. */
export function track<T extends BrainRepository>(brain: T): T {
  open.push(brain)
  return brain
}

/**
 * An embedder whose vectors are given per text (by substring match on a key), the
 * rest mapped to `fallback` (default: a constant vector along the last axis).
 */
export class KnownVectorEmbedder implements Embedder {
  readonly modelId: string
  calls = 0
  constructor(
    readonly dimensions: number,
    readonly table: ReadonlyArray<readonly [key: string, vector: readonly number[]]>,
    readonly fallback?: readonly number[],
  ) {
    this.modelId = `known-${dimensions}`
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.calls++
    return texts.map((text) => {
      const hit = this.table.find(([key]) => text.includes(key))
      const values = hit?.[1] ?? this.fallback ?? [...Array(this.dimensions - 1).fill(0), 1]
      return Float32Array.from(values)
    })
  }
}

/** Wraps an embedder; `mode` switches it to failing or malformed output. */
export class ControlledEmbedder implements Embedder {
  mode: 'ok' | 'throw' | 'wrong-length' | 'nan' | 'wrong-count' = 'ok'
  calls = 0
  constructor(readonly inner: Embedder) {}

  get dimensions(): number {
    return this.inner.dimensions
  }

  get modelId(): string | undefined {
    return this.inner.modelId
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.calls++
    switch (this.mode) {
      case 'throw':
        throw new Error('model server unavailable')
      case 'wrong-length':
        return texts.map(() => new Float32Array(this.dimensions + 1))
      case 'nan':
        return texts.map(() => Float32Array.from({ length: this.dimensions }, (_, i) => (i === 0 ? Number.NaN : 1)))
      case 'wrong-count':
        return []
      default:
        return this.inner.embed(texts)
    }
  }
}

/** Minimal valid inputs of each kind. */
export const samples = {
  decision: (decision = 'Use SQLite WAL mode for every store') =>
    ({ kind: 'decision', type: 'technical', decision, rationale: 'readers never block the writer', confidence: 'high' }) as const,
  pattern: (pattern = 'Retry a transaction whole when it meets BUSY') =>
    ({ kind: 'pattern', type: 'workflow', pattern, context: 'write paths under concurrency' }) as const,
  learning: (insight = 'A deferred transaction that upgrades gets BUSY without waiting') =>
    ({ kind: 'learning', insight, source: 'incident T12', confidence: 0.8 }) as const,
  observation: (title = 'The deploy step times out on cold caches') =>
    ({ kind: 'observation', title, narrative: 'seen three times this week' }) as const,
}
