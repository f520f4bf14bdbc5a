/**
 * A deterministic, dependency-free embedder: signed feature hashing of words and
 * character trigrams into a fixed number of dimensions, L2-normalised. Each feature
 * is added at 8 pseudo-random positions with pseudo-random signs (a very sparse
 * random projection of the bag of features), so vectors are dense: cosine
 * similarity approximates the overlap of features, and no component dominates (the
 * int8 copy the store keeps for fast candidate search loses little).
 *
 * It knows no semantics (no synonyms), but it is instant, offline and stable, and
 * the trigrams give it what full-text search lacks: tolerance of typos and of word
 * forms the stemmer does not merge ("deployment" ≈ "deploys", "postgres" ≈
 * "postgresql"). Use it in tests, offline, or until a real model is wired in.
 *
 * @module
 */
import type { Embedder } from './embedder.js'

/** Options of {@link FeatureHashingEmbedder}. */
export interface FeatureHashingEmbedderOptions {
  /** Vector length (default 384, the size of common small sentence models). */
  readonly dimensions?: number
  /** Weight of a whole word (default 1). */
  readonly wordWeight?: number
  /** Weight of each character trigram of a word (default 0.35). */
  readonly trigramWeight?: number
}

const WORD = /[\p{L}\p{N}\p{M}]+/gu
/** Positions each feature is spread over. */
const SPREAD = 8

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193

/** FNV-1a step over one UTF-16 code unit. */
function step(h: number, code: number): number {
  return Math.imul(h ^ code, FNV_PRIME)
}

/** FNV-1a state after `prefix` (features are hashed as `w:<word>` and `g:<trigram>`). */
function prefixState(prefix: string): number {
  let h = FNV_OFFSET
  for (let i = 0; i < prefix.length; i++) h = step(h, prefix.charCodeAt(i))
  return h
}

/** murmur3's finaliser: well-mixed bits from an FNV state. */
function finish(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

const WORD_STATE = prefixState('w:')
const GRAM_STATE = prefixState('g:')
const CARET = '^'.charCodeAt(0)
const DOLLAR = '$'.charCodeAt(0)

/**
 * Signed feature hashing of words and character trigrams.
 *
 * @example
 * ```ts
 * import { BrainRepository, FeatureHashingEmbedder } from 'cleo-store'
 *
 * const brain = await BrainRepository.open(':memory:', { embedder: new FeatureHashingEmbedder() })
 * const [v] = await new FeatureHashingEmbedder({ dimensions: 64 }).embed(['hello world'])
 * v.length // 64
 * ```
 */
export class FeatureHashingEmbedder implements Embedder {
  readonly dimensions: number
  readonly modelId: string
  readonly #wordWeight: number
  readonly #trigramWeight: number

  constructor(options: FeatureHashingEmbedderOptions = {}) {
    const dimensions = options.dimensions ?? 384
    if (!Number.isInteger(dimensions) || dimensions < 1) {
      throw new RangeError(`FeatureHashingEmbedder: dimensions must be a positive integer (got ${dimensions})`)
    }
    this.dimensions = dimensions
    this.#wordWeight = options.wordWeight ?? 1
    this.#trigramWeight = options.trigramWeight ?? 0.35
    this.modelId = `cleo-feature-hashing-v1/${dimensions}/s${SPREAD}/w${this.#wordWeight}/t${this.#trigramWeight}`
  }

  /** Embeds synchronously (the interface's `embed` wraps this). */
  embedOne(text: string): Float32Array {
    const dims = this.dimensions
    const vector = new Float32Array(dims)
    const normalized = text.normalize('NFKC').toLowerCase()
    const gram = this.#trigramWeight
    for (const match of normalized.matchAll(WORD)) {
      const word = match[0]
      const n = word.length
      let h = WORD_STATE
      for (let i = 0; i < n; i++) h = step(h, word.charCodeAt(i))
      this.#add(vector, finish(h), this.#wordWeight)
      // Trigrams of "^word$" (UTF-16 code units), hashed without building strings.
      for (let i = 0; i + 3 <= n + 2; i++) {
        let g = GRAM_STATE
        for (let j = i; j < i + 3; j++) g = step(g, j === 0 ? CARET : j === n + 1 ? DOLLAR : word.charCodeAt(j - 1))
        this.#add(vector, finish(g), gram)
      }
    }
    let norm = 0
    for (let i = 0; i < dims; i++) norm += vector[i]! * vector[i]!
    if (norm > 0) {
      const scale = 1 / Math.sqrt(norm)
      for (let i = 0; i < dims; i++) vector[i]! *= scale
    }
    return vector
  }

  /** Adds `weight` at SPREAD positions with signs drawn from xorshift32 seeded by `seed`. */
  #add(vector: Float32Array, seed: number, weight: number): void {
    let x = seed || 0x9e3779b9
    const dims = this.dimensions
    const w = weight / Math.sqrt(SPREAD)
    for (let i = 0; i < SPREAD; i++) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      const u = x >>> 0
      // Position from the high bits (multiply-shift), sign from the lowest.
      vector[Math.floor(((u >>> 1) * dims) / 2147483648)]! += (u & 1) === 0 ? w : -w
    }
  }

  /** One vector per text (a text without words gives the zero vector). */
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((text) => this.embedOne(text))
  }
}
