/**
 * The `Embedder` interface through which brain.db gets vectors, and the checks every
 * vector passes before it is written.
 *
 * @module
 */
import type { ErrorContext } from '../sqlite/errors.js'
import { CleoStoreError } from '../sqlite/errors.js'

/**
 * Turns texts into vectors. Real models (local or remote) plug in through this; the
 * store ships {@link FeatureHashingEmbedder} for offline use and tests, and adapters
 * for models that understand meaning: `openAiCompatibleEmbedder` (Ollama, LM Studio,
 * vLLM, OpenAI) and `transformersEmbedder` (`@huggingface/transformers`, in-process).
 *
 * - `dimensions` is fixed: the vector table is created with it, and a store created
 *   with one dimension (or model id) refuses another (`VALIDATION`) unless it is
 *   opened with `embedderChange: 'reset'`.
 * - `embed` returns one vector per text, in order, each of length `dimensions`
 *   with finite values. A rejected promise is a *failed* embed: the memory is still
 *   stored and queued for `reindex()`. A malformed result is refused with
 *   `VALIDATION` before anything is written.
 *
 * @example
 * ```ts
 * const embedder: Embedder = {
 *   modelId: 'all-MiniLM-L6-v2',
 *   dimensions: 384,
 *   embed: async (texts) => (await pipeline(texts)).map((t) => new Float32Array(t.data)),
 * }
 * const brain = await BrainRepository.open('.cleo/brain.db', { embedder })
 * ```
 */
export interface Embedder {
  /** Length of every vector. */
  readonly dimensions: number
  /** Identifies the model; recorded in the store and compared on later opens. Strongly recommended. */
  readonly modelId?: string | undefined
  /** One vector per text, in order. */
  embed(texts: readonly string[]): Promise<Float32Array[]>
}

/** Largest vector dimension accepted (sqlite-vec's own limit is 8192). */
export const MAX_EMBEDDING_DIMENSIONS = 8192

/** Checks an embedder's declared dimension; `VALIDATION` when it is not a usable integer. */
export function checkEmbedder(embedder: Embedder, context: ErrorContext): void {
  const { dimensions } = embedder
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_EMBEDDING_DIMENSIONS) {
    throw new CleoStoreError(
      'VALIDATION',
      `embedder.dimensions must be an integer in 1..${MAX_EMBEDDING_DIMENSIONS} (got ${String(dimensions)})`,
      { ...context, details: { path: ['embedder', 'dimensions'] } },
    )
  }
  if (typeof embedder.embed !== 'function') {
    throw new CleoStoreError('VALIDATION', 'embedder.embed must be a function', { ...context, details: { path: ['embedder', 'embed'] } })
  }
  if (embedder.modelId !== undefined && (typeof embedder.modelId !== 'string' || embedder.modelId.length === 0 || embedder.modelId.length > 200)) {
    throw new CleoStoreError('VALIDATION', 'embedder.modelId must be a non-empty string of at most 200 characters', {
      ...context,
      details: { path: ['embedder', 'modelId'] },
    })
  }
}

/**
 * Checks vectors returned by an embedder: `count` of them, each a Float32Array of
 * `dimensions` finite values. Throws `VALIDATION` naming the first bad one.
 */
export function checkVectors(vectors: unknown, count: number, dimensions: number, context: ErrorContext): Float32Array[] {
  if (!Array.isArray(vectors) || vectors.length !== count) {
    throw new CleoStoreError(
      'VALIDATION',
      `embedder returned ${Array.isArray(vectors) ? vectors.length : typeof vectors} vectors for ${count} texts`,
      { ...context, details: { path: ['embedding'] } },
    )
  }
  for (let i = 0; i < count; i++) {
    const vector: unknown = vectors[i]
    if (!(vector instanceof Float32Array) || vector.length !== dimensions) {
      const got = vector instanceof Float32Array ? `length ${vector.length}` : typeof vector
      throw new CleoStoreError('VALIDATION', `embedding ${i} must be a Float32Array of length ${dimensions} (got ${got})`, {
        ...context,
        details: { path: ['embedding', i], expected: dimensions },
      })
    }
    for (let j = 0; j < dimensions; j++) {
      if (!Number.isFinite(vector[j]!)) {
        throw new CleoStoreError('VALIDATION', `embedding ${i} holds a non-finite value at ${j} (${vector[j]})`, {
          ...context,
          details: { path: ['embedding', i, j] },
        })
      }
    }
  }
  return vectors as Float32Array[]
}

/** True when every component is 0 (no direction: cosine is undefined, nothing is stored). */
export function isZeroVector(vector: Float32Array): boolean {
  for (let i = 0; i < vector.length; i++) if (vector[i] !== 0) return false
  return true
}

/** The little-endian float32 bytes sqlite-vec reads (a view, no copy). */
export function vectorBytes(vector: Float32Array): Uint8Array {
  return new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength)
}
