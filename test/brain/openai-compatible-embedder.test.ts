/**
 * openAiCompatibleEmbedder (issue 15 item 8a) against a small OpenAI-compatible
 * `/v1/embeddings` server started in the test (node:http on 127.0.0.1, port 0):
 * batching, retries on 429/5xx/network errors/timeouts, the dimension check, error
 * statuses, and that the API key never appears in an error.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

import { afterEach, describe, expect, it } from 'vitest'

import { FeatureHashingEmbedder, openAiCompatibleEmbedder } from '../../src/brain/index.js'
import * as root from '../../src/index.js'
import { CleoStoreError } from '../../src/sqlite/errors.js'
import { expectCode } from '../helpers.js'
import { openBrain } from './brain-helpers.js'

const KEY = 'sk-test-0123456789-SECRET'

interface Seen {
  readonly path: string
  readonly authorization: string | undefined
  readonly body: { model: string; input: string[]; encoding_format?: string; dimensions?: number }
}

type Handler = (request: Seen, res: ServerResponse) => void

const servers: Server[] = []
const held: ServerResponse[] = []

afterEach(async () => {
  for (const res of held.splice(0)) res.destroy()
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))))
})

/** Starts a server answering each request with the next handler (the last one repeats). */
async function serve(...handlers: Handler[]): Promise<{ baseUrl: string; seen: Seen[] }> {
  const seen: Seen[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = ''
    req.on('data', (chunk) => (raw += chunk))
    req.on('end', () => {
      const request: Seen = { path: req.url ?? '', authorization: req.headers.authorization, body: JSON.parse(raw) }
      seen.push(request)
      handlers[Math.min(seen.length - 1, handlers.length - 1)]!(request, res)
    })
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, seen }
}

const hashing = new FeatureHashingEmbedder({ dimensions: 16 })

/** Answers with the hashing embedder's vectors (optionally another width, optionally in reverse order). */
function embeddings(options: { width?: number; reverse?: boolean } = {}): Handler {
  return (request, res) => {
    void hashing.embed(request.body.input).then((vectors) => {
      const data = vectors.map((v, index) => ({ object: 'embedding', index, embedding: [...v].slice(0, options.width ?? 16) }))
      if (options.reverse) data.reverse()
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ object: 'list', model: request.body.model, data }))
    })
  }
}

function status(code: number, body = '', headers: Record<string, string> = {}): Handler {
  return (_request, res) => {
    res.writeHead(code, { 'content-type': 'application/json', ...headers })
    res.end(body)
  }
}

/** Never answers (the client's timeout must fire). */
const hang: Handler = (_request, res) => {
  held.push(res)
}

function noSecret(error: CleoStoreError): void {
  const everything = [error.message, JSON.stringify(error.details ?? {}), String(error.cause ?? ''), error.stack ?? ''].join('\n')
  expect(everything).not.toContain(KEY)
  expect(everything).not.toContain('SECRET')
}

describe('openAiCompatibleEmbedder', () => {
  it('both adapters are exported from the root module and the brain subpath', async () => {
    const brain = await import('../../src/brain/index.js')
    expect(root.openAiCompatibleEmbedder).toBe(brain.openAiCompatibleEmbedder)
    expect(root.transformersEmbedder).toBe(brain.transformersEmbedder)
  })

  it('batches texts (batchSize per request), sends model, key and float encoding, and returns vectors in input order', async () => {
    const { baseUrl, seen } = await serve(embeddings({ reverse: true }))
    const embedder = openAiCompatibleEmbedder({ baseUrl: `${baseUrl}/`, model: 'nomic-embed-text', apiKey: KEY, dimensions: 16, batchSize: 2 })
    expect(embedder.dimensions).toBe(16)
    expect(embedder.modelId).toBe('nomic-embed-text')
    const texts = ['alpha beta', 'gamma', 'delta epsilon', 'zeta', 'eta theta']
    const vectors = await embedder.embed(texts)
    expect(seen.map((s) => s.body.input)).toEqual([texts.slice(0, 2), texts.slice(2, 4), texts.slice(4)])
    expect(seen.every((s) => s.path === '/v1/embeddings' && s.authorization === `Bearer ${KEY}`)).toBe(true)
    expect(seen[0]!.body).toMatchObject({ model: 'nomic-embed-text', encoding_format: 'float' })
    expect(seen[0]!.body.dimensions).toBeUndefined()
    expect(vectors).toEqual(await hashing.embed(texts))
    expect(await embedder.embed([])).toEqual([])
    expect(seen).toHaveLength(3)
  })

  it('requestDimensions sends dimensions; no apiKey sends no Authorization header', async () => {
    const { baseUrl, seen } = await serve(embeddings())
    await openAiCompatibleEmbedder({ baseUrl, model: 'text-embedding-3-small', dimensions: 16, requestDimensions: true, modelId: 'te3s-16' }).embed(['x'])
    expect(seen[0]!.body.dimensions).toBe(16)
    expect(seen[0]!.authorization).toBeUndefined()
  })

  it('retries 503 and 429 (Retry-After) and then succeeds', async () => {
    const { baseUrl, seen } = await serve(status(503, '{"error":"loading model"}'), status(429, '', { 'retry-after': '0' }), embeddings())
    const embedder = openAiCompatibleEmbedder({ baseUrl, model: 'm', dimensions: 16, retries: 2, retryDelayMs: 0 })
    expect(await embedder.embed(['hello'])).toEqual(await hashing.embed(['hello']))
    expect(seen).toHaveLength(3)
  })

  it('gives up after `retries` retries with IO naming the last status and the attempts', async () => {
    const { baseUrl, seen } = await serve(status(500, '{"error":"boom"}'))
    const embedder = openAiCompatibleEmbedder({ baseUrl, model: 'm', apiKey: KEY, dimensions: 16, retries: 2, retryDelayMs: 0 })
    const error = await expectCode(embedder.embed(['hello']), 'IO')
    expect(seen).toHaveLength(3)
    expect(error.message).toMatch(/HTTP 500/)
    expect(error.details).toMatchObject({ status: 500, attempts: 3 })
    noSecret(error)
  })

  it('a request that gets no answer is aborted after timeoutMs and retried', async () => {
    const { baseUrl, seen } = await serve(hang, embeddings())
    // A generous timeout: only the hanging request may run into it, however loaded the machine.
    const embedder = openAiCompatibleEmbedder({ baseUrl, model: 'm', dimensions: 16, timeoutMs: 1500, retries: 3, retryDelayMs: 0 })
    expect(await embedder.embed(['hello'])).toHaveLength(1)
    expect(seen.length).toBeGreaterThanOrEqual(2)

    const stuck = await serve(hang)
    const once = openAiCompatibleEmbedder({ baseUrl: stuck.baseUrl, model: 'm', dimensions: 16, timeoutMs: 200, retries: 0 })
    const error = await expectCode(once.embed(['hello']), 'IO')
    expect(error.message).toMatch(/no response within 200 ms/)
    expect(stuck.seen).toHaveLength(1)
  })

  it('network errors (nothing listening) are retried, then IO', async () => {
    const { baseUrl } = await serve(embeddings())
    const server = servers.pop()!
    await new Promise<void>((r) => server.close(() => r()))
    const embedder = openAiCompatibleEmbedder({ baseUrl, model: 'm', apiKey: KEY, dimensions: 16, retries: 2, retryDelayMs: 0 })
    const error = await expectCode(embedder.embed(['hello']), 'IO')
    expect(error.message).toMatch(/network error: .*ECONNREFUSED/)
    expect(error.details).toMatchObject({ status: null, attempts: 3 })
    noSecret(error)
  })

  it('a dimension mismatch is VALIDATION (expected vs actual), not retried', async () => {
    const { baseUrl, seen } = await serve(embeddings({ width: 12 }))
    const embedder = openAiCompatibleEmbedder({ baseUrl, model: 'm', dimensions: 16, retries: 3, retryDelayMs: 0 })
    const error = await expectCode(embedder.embed(['hello']), 'VALIDATION')
    expect(error.details).toMatchObject({ path: ['dimensions'], expected: 16, actual: 12 })
    expect(seen).toHaveLength(1)
  })

  it('4xx statuses fail at once with IO; a body echoing the key is quoted with the key redacted', async () => {
    const { baseUrl, seen } = await serve(status(401, JSON.stringify({ error: { message: `Incorrect API key provided: ${KEY}` } })))
    const embedder = openAiCompatibleEmbedder({ baseUrl, model: 'm', apiKey: KEY, dimensions: 16, retries: 3, retryDelayMs: 0 })
    const error = await expectCode(embedder.embed(['hello']), 'IO')
    expect(seen).toHaveLength(1)
    expect(error.message).toMatch(/HTTP 401/)
    expect(error.message).toMatch(/\[redacted\]/)
    expect(error.details).toMatchObject({ status: 401, attempts: 1 })
    noSecret(error)

    const azure = await serve(status(403, `bad api-key ${KEY}`))
    const headerKey = await expectCode(
      openAiCompatibleEmbedder({ baseUrl: azure.baseUrl, model: 'm', dimensions: 16, headers: { 'api-key': KEY } }).embed(['x']),
      'IO',
    )
    noSecret(headerKey)

    const bad = await serve(status(404, 'model "m" not found'))
    const missing = await expectCode(openAiCompatibleEmbedder({ baseUrl: bad.baseUrl, model: 'm', dimensions: 16 }).embed(['x']), 'IO')
    expect(missing.message).toMatch(/HTTP 404: model "m" not found/)
  })

  it('malformed responses are IO: not JSON, wrong count, base64 strings', async () => {
    for (const body of ['<html>', JSON.stringify({ data: [] }), JSON.stringify({ data: [{ index: 0, embedding: 'AAAA' }] })]) {
      const { baseUrl } = await serve(status(200, body))
      await expectCode(openAiCompatibleEmbedder({ baseUrl, model: 'm', dimensions: 16, retries: 0 }).embed(['x']), 'IO')
    }
  })

  it('options are validated strictly; the key is never quoted', async () => {
    const base = { baseUrl: 'http://127.0.0.1:1/v1', model: 'm', dimensions: 16 }
    const unknown = await expectCode(() => openAiCompatibleEmbedder({ ...base, apiKey: KEY, dimension: 3 } as never), 'VALIDATION')
    noSecret(unknown)
    expect((await expectCode(() => openAiCompatibleEmbedder({ ...base, baseUrl: 'ftp://x' }), 'VALIDATION')).details?.['path']).toEqual(['baseUrl'])
    expect((await expectCode(() => openAiCompatibleEmbedder({ ...base, dimensions: 0 }), 'VALIDATION')).details?.['path']).toEqual(['dimensions'])
    const key = await expectCode(() => openAiCompatibleEmbedder({ ...base, apiKey: 42 as never }), 'VALIDATION')
    expect(key.details?.['path']).toEqual(['apiKey'])
  })

  it('plugs into the brain store: records are embedded through the server and vector search finds them', async () => {
    const { baseUrl, seen } = await serve(embeddings())
    const embedder = openAiCompatibleEmbedder({ baseUrl, model: 'hashing-16', dimensions: 16 })
    const { brain } = await openBrain({ embedder })
    const { memory, embedding } = await brain.record({ kind: 'learning', insight: 'Checkpoint the WAL after bulk imports', source: 't', confidence: 0.9 })
    expect(embedding).toBe('stored')
    await brain.record({ kind: 'learning', insight: 'Bananas ripen next to apples', source: 't', confidence: 0.9 })
    const hits = await brain.search('wal checkpoint', { mode: 'vector', minScore: 0.2 })
    expect(hits.map((h) => h.id)).toEqual([memory.id])
    expect(seen.length).toBeGreaterThanOrEqual(3)
    expect(await brain.embeddingStatus()).toMatchObject({ modelId: 'hashing-16', dimensions: 16, vectors: 2 })
  })
})
