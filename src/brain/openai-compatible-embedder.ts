/**
 * An {@link Embedder} for any OpenAI-compatible `/v1/embeddings` endpoint: OpenAI,
 * Ollama, LM Studio, vLLM, llama.cpp's server, text-embeddings-inference, …
 *
 * - Texts are sent in batches of `batchSize` (one request each, in order).
 * - Each request is aborted after `timeoutMs` (an `AbortSignal`).
 * - 429, 5xx, network failures and timeouts are retried up to `retries` times with
 *   exponential backoff (a `Retry-After` header is honoured, capped); other
 *   statuses fail at once.
 * - Every returned vector must have `dimensions` finite values (else `VALIDATION`).
 * - The API key is sent as a bearer token and never appears in an error's message,
 *   `details` or `cause` (it is also scrubbed from quoted response bodies).
 *
 * A failed embed is a rejected promise: the brain store still stores the memory and
 * queues it for `reindex()`.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises'

import { z } from 'zod'

import { CleoStoreError } from '../sqlite/errors.js'
import { validate } from '../sqlite/validate.js'
import type { Embedder } from './embedder.js'
import { MAX_EMBEDDING_DIMENSIONS } from './embedder.js'

/**
 * The `fetch` the adapter calls (the global one by default).
 *
 * @example
 * ```ts
 * const viaProxy: EmbedderFetch = (url, init) => fetch(url, { ...init, dispatcher: proxyAgent } as RequestInit)
 * ```
 */
export type EmbedderFetch = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{
  readonly ok: boolean
  readonly status: number
  readonly headers: { get(name: string): string | null }
  text(): Promise<string>
}>

/**
 * Options of {@link openAiCompatibleEmbedder}.
 *
 * @example
 * ```ts
 * const options: OpenAiCompatibleEmbedderOptions = { baseUrl: 'http://127.0.0.1:1234/v1', model: 'text-embedding-nomic-embed-text-v1.5', dimensions: 768 }
 * ```
 */
export interface OpenAiCompatibleEmbedderOptions {
  /**
   * The API root, up to and including the version: `https://api.openai.com/v1`,
   * `http://127.0.0.1:11434/v1` (Ollama), `http://127.0.0.1:1234/v1` (LM Studio),
   * `http://127.0.0.1:8000/v1` (vLLM). `/embeddings` is appended.
   */
  readonly baseUrl: string
  /** The model name the server knows, e.g. `text-embedding-3-small`, `nomic-embed-text`. */
  readonly model: string
  /** Sent as `Authorization: Bearer …` when given. Never quoted in errors. */
  readonly apiKey?: string | undefined
  /** Length of every vector the model returns (checked on every response). */
  readonly dimensions: number
  /** Texts per request (default 64; 1–2048). */
  readonly batchSize?: number
  /** Per-request timeout in ms (default 30 000). */
  readonly timeoutMs?: number
  /** Retries after a 429, a 5xx, a network failure or a timeout (default 3; 0–10). */
  readonly retries?: number
  /** First backoff delay in ms, doubled per retry, capped at 30 s (default 500). */
  readonly retryDelayMs?: number
  /** Also send `dimensions` in the request (OpenAI's text-embedding-3 models shorten their vectors to it). Default false. */
  readonly requestDimensions?: boolean
  /** Recorded in brain.db and compared on later opens (default `model`). */
  readonly modelId?: string
  /** Extra request headers (e.g. an organisation id). */
  readonly headers?: Readonly<Record<string, string>>
  /** The fetch implementation (default: the global `fetch`). */
  readonly fetch?: EmbedderFetch
}

const Options = z.strictObject({
  baseUrl: z.url({ protocol: /^https?$/ }),
  model: z.string().min(1).max(200),
  apiKey: z.string().min(1).optional(),
  dimensions: z.number().int().min(1).max(MAX_EMBEDDING_DIMENSIONS),
  batchSize: z.number().int().min(1).max(2048).optional(),
  timeoutMs: z.number().int().min(1).max(600_000).optional(),
  retries: z.number().int().min(0).max(10).optional(),
  retryDelayMs: z.number().int().min(0).max(60_000).optional(),
  requestDimensions: z.boolean().optional(),
  modelId: z.string().min(1).max(200).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  fetch: z.custom<EmbedderFetch>((value) => typeof value === 'function', 'must be a function').optional(),
})

const CONTEXT = { store: 'brain' } as const
const MAX_BACKOFF_MS = 30_000
const BODY_QUOTE = 300

/**
 * An embedder calling an OpenAI-compatible `POST {baseUrl}/embeddings` endpoint.
 * Invalid options are `VALIDATION` (naming the option; the key is never quoted).
 *
 * @example
 * ```ts
 * import { CleoWorkspace, openAiCompatibleEmbedder } from 'cleo-store'
 *
 * // Ollama: `ollama pull nomic-embed-text`, then
 * const embedder = openAiCompatibleEmbedder({ baseUrl: 'http://127.0.0.1:11434/v1', model: 'nomic-embed-text', dimensions: 768 })
 * // OpenAI:
 * const openai = openAiCompatibleEmbedder({
 *   baseUrl: 'https://api.openai.com/v1', model: 'text-embedding-3-small', dimensions: 1536, apiKey: process.env.OPENAI_API_KEY,
 * })
 * await using ws = await CleoWorkspace.open('.', { embedder })
 * ```
 */
export function openAiCompatibleEmbedder(options: OpenAiCompatibleEmbedderOptions): Embedder {
  const o = validate(Options, options, 'openAiCompatibleEmbedder', CONTEXT, { secret: true })
  const url = `${o.baseUrl.replace(/\/+$/, '')}/embeddings`
  const apiKey = o.apiKey
  const batchSize = o.batchSize ?? 64
  const timeoutMs = o.timeoutMs ?? 30_000
  const retries = o.retries ?? 3
  const retryDelayMs = o.retryDelayMs ?? 500
  const doFetch: EmbedderFetch = o.fetch ?? (globalThis.fetch as unknown as EmbedderFetch)
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...o.headers }
  if (apiKey !== undefined) headers['authorization'] = `Bearer ${apiKey}`
  // The key (and any extra header value, e.g. Azure's `api-key`) is never quoted.
  const secrets = [apiKey, ...Object.values(o.headers ?? {})].filter((v): v is string => v !== undefined && v.length >= 8)
  const scrub = (text: string) => secrets.reduce((t, secret) => t.split(secret).join('[redacted]'), text)
  const where = `${o.model} at ${scrub(url)}`

  async function request(texts: readonly string[]): Promise<Float32Array[]> {
    const body = JSON.stringify({
      model: o.model,
      input: texts,
      encoding_format: 'float',
      ...(o.requestDimensions ? { dimensions: o.dimensions } : {}),
    })
    for (let attempt = 0; ; attempt++) {
      const retryable = (why: string, status: number | null, retryAfterMs: number | null): number => {
        if (attempt >= retries) {
          throw new CleoStoreError('IO', `embedding request to ${where} failed after ${attempt + 1} attempts: ${why}`, {
            ...CONTEXT,
            details: { status, attempts: attempt + 1 },
          })
        }
        const backoff = Math.min(retryDelayMs * 2 ** attempt, MAX_BACKOFF_MS)
        return retryAfterMs === null ? backoff : Math.min(Math.max(retryAfterMs, backoff), MAX_BACKOFF_MS)
      }
      const signal = AbortSignal.timeout(timeoutMs)
      let wait: number
      try {
        const response = await doFetch(url, { method: 'POST', headers, body, signal })
        const text = await response.text()
        if (response.ok) return parse(text, texts.length)
        const quoted = scrub(text.slice(0, BODY_QUOTE))
        const why = `HTTP ${response.status}${quoted ? `: ${quoted}` : ''}`
        if (response.status !== 429 && response.status < 500) {
          throw new CleoStoreError('IO', `embedding request to ${where} was refused: ${why}`, {
            ...CONTEXT,
            details: { status: response.status, attempts: attempt + 1 },
          })
        }
        wait = retryable(why, response.status, retryAfter(response.headers.get('retry-after')))
      } catch (error) {
        if (error instanceof CleoStoreError) throw error
        // A network failure or the timeout: the cause is dropped on purpose (it may carry the request).
        const why = signal.aborted ? `no response within ${timeoutMs} ms` : `network error: ${scrub(networkReason(error))}`
        wait = retryable(why, null, null)
      }
      await sleep(wait)
    }
  }

  function parse(text: string, count: number): Float32Array[] {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw new CleoStoreError('IO', `embedding response from ${where} is not JSON: ${scrub(text.slice(0, BODY_QUOTE))}`, CONTEXT)
    }
    const data = (json as { data?: unknown })?.data
    if (!Array.isArray(data) || data.length !== count) {
      throw new CleoStoreError(
        'IO',
        `embedding response from ${where} holds ${Array.isArray(data) ? data.length : 'no'} embeddings for ${count} texts`,
        CONTEXT,
      )
    }
    const out = new Array<Float32Array>(count)
    data.forEach((item: unknown, position: number) => {
      const { embedding, index } = (item ?? {}) as { embedding?: unknown; index?: unknown }
      const at = typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < count ? index : position
      if (!Array.isArray(embedding)) {
        throw new CleoStoreError('IO', `embedding ${at} from ${where} is not a list of numbers (base64 is not requested)`, CONTEXT)
      }
      if (embedding.length !== o.dimensions) {
        throw new CleoStoreError(
          'VALIDATION',
          `${where} returned ${embedding.length}-dimensional vectors, but the embedder is configured with dimensions ${o.dimensions}`,
          { ...CONTEXT, details: { path: ['dimensions'], expected: o.dimensions, actual: embedding.length } },
        )
      }
      const vector = Float32Array.from(embedding as number[])
      if (!vector.every(Number.isFinite)) {
        throw new CleoStoreError('VALIDATION', `embedding ${at} from ${where} holds a non-number or non-finite value`, {
          ...CONTEXT,
          details: { path: ['embedding', at] },
        })
      }
      out[at] = vector
    })
    for (let i = 0; i < count; i++) {
      if (out[i] === undefined) throw new CleoStoreError('IO', `embedding response from ${where} repeats an index and misses ${i}`, CONTEXT)
    }
    return out
  }

  return Object.freeze({
    dimensions: o.dimensions,
    modelId: o.modelId ?? o.model,
    async embed(texts: readonly string[]): Promise<Float32Array[]> {
      const out: Float32Array[] = []
      for (let i = 0; i < texts.length; i += batchSize) out.push(...(await request(texts.slice(i, i + batchSize))))
      return out
    },
  })
}

/** `Retry-After` in ms (seconds or an HTTP date), or null. */
function retryAfter(value: string | null): number | null {
  if (value === null) return null
  const seconds = Number(value)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now())
}

/** A fetch failure's reason: undici says "fetch failed" and puts the system error (ECONNREFUSED …) in `cause`. */
function networkReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined
  return detail === undefined ? message : `${message} (${detail})`
}
