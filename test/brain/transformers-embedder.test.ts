/**
 * transformersEmbedder (issue 15 item 8b). `@huggingface/transformers` is not
 * installed here and no model can be downloaded, so: the missing-package path runs
 * for real; everything else runs against an injected fake pipeline (the adapter's
 * logic: batching, options, output splitting, the dimension probe and check, model
 * paths). The default factory's calls into the real library are not exercised.
 */
import { resolve } from 'node:path'

import { describe, expect, it } from 'vitest'

import type { TransformersFeatureExtractor, TransformersPipelineRequest } from '../../src/brain/index.js'
import { FeatureHashingEmbedder, transformersEmbedder } from '../../src/brain/index.js'
import { expectCode } from '../helpers.js'
import { openBrain } from './brain-helpers.js'

/** A fake pipeline factory: hashing vectors laid out as a `[texts, width]` tensor (or per token with pooling 'none'). */
function fake(width = 24) {
  const requests: TransformersPipelineRequest[] = []
  const calls: Array<{ texts: string[]; pooling: string; normalize: boolean }> = []
  const hashing = new FeatureHashingEmbedder({ dimensions: width })
  const factory = async (request: TransformersPipelineRequest): Promise<TransformersFeatureExtractor> => {
    requests.push(request)
    return async (texts, options) => {
      calls.push({ texts: [...texts], ...options })
      const vectors = await hashing.embed(texts)
      const data = new Float32Array(texts.length * width)
      vectors.forEach((v, i) => data.set(v, i * width))
      if (options.pooling === 'none') return { dims: [texts.length, 3, width], data: new Float32Array(texts.length * 3 * width) }
      return { dims: [texts.length, width], data }
    }
  }
  return { factory, requests, calls, hashing }
}

describe('transformersEmbedder', () => {
  it('without @huggingface/transformers installed: UNSUPPORTED with the fix (real missing package)', async () => {
    const error = await expectCode(transformersEmbedder({ model: 'Xenova/all-MiniLM-L6-v2' }), 'UNSUPPORTED')
    expect(error.message).toMatch(/npm install @huggingface\/transformers/)
    expect(error.details?.['missing']).toBe('@huggingface/transformers')
  })

  it('learns the dimension from a probe, batches, passes pooling/normalize, splits the tensor per text in order', async () => {
    const { factory, requests, calls, hashing } = fake(24)
    const embedder = await transformersEmbedder({ model: 'Xenova/all-MiniLM-L6-v2', batchSize: 2, pipelineFactory: factory })
    expect(embedder.dimensions).toBe(24)
    expect(embedder.modelId).toBe('Xenova/all-MiniLM-L6-v2')
    expect(requests).toEqual([{ model: 'Xenova/all-MiniLM-L6-v2', localFilesOnly: false }])
    const texts = ['one', 'two words', 'three little words', 'four', 'five']
    const vectors = await embedder.embed(texts)
    expect(calls.map((c) => c.texts.length)).toEqual([1, 2, 2, 1]) // probe, then batches of 2
    expect(calls.every((c) => c.pooling === 'mean' && c.normalize === true)).toBe(true)
    expect(vectors).toEqual(await hashing.embed(texts))
  })

  it('options reach the pipeline: cls pooling, no normalisation, dtype, device, cache, revision', async () => {
    const { factory, requests, calls } = fake(8)
    await (
      await transformersEmbedder({
        model: 'BAAI/bge-small-en-v1.5',
        pooling: 'cls',
        normalize: false,
        dtype: 'q8',
        device: 'cpu',
        cacheDir: '/tmp/models',
        revision: 'main',
        modelId: 'bge-small',
        pipelineFactory: factory,
      })
    ).embed(['x'])
    expect(requests[0]).toEqual({ model: 'BAAI/bge-small-en-v1.5', localFilesOnly: false, cacheDir: '/tmp/models', dtype: 'q8', device: 'cpu', revision: 'main' })
    expect(calls.every((c) => c.pooling === 'cls' && c.normalize === false)).toBe(true)
  })

  it('a local model path loads from its folder without downloading', async () => {
    const { factory, requests } = fake(8)
    const embedder = await transformersEmbedder({ model: './models/all-MiniLM-L6-v2', modelId: 'all-MiniLM-L6-v2', pipelineFactory: factory })
    expect(requests[0]).toEqual({ model: 'all-MiniLM-L6-v2', localModelPath: resolve('./models'), localFilesOnly: true })
    expect(embedder.modelId).toBe('all-MiniLM-L6-v2')
    await transformersEmbedder({ model: '/opt/models/e5-small', pipelineFactory: factory })
    expect(requests[1]).toEqual({ model: 'e5-small', localModelPath: '/opt/models', localFilesOnly: true })
  })

  it('a declared dimension that the model does not return is VALIDATION; pooling none is VALIDATION naming pooling', async () => {
    const mismatch = await expectCode(transformersEmbedder({ model: 'm', dimensions: 384, pipelineFactory: fake(24).factory }), 'VALIDATION')
    expect(mismatch.details).toMatchObject({ path: ['dimensions'], expected: 384, actual: 24 })
    const perToken = await expectCode(transformersEmbedder({ model: 'm', pooling: 'none', pipelineFactory: fake(24).factory }), 'VALIDATION')
    expect(perToken.details?.['path']).toEqual(['pooling'])
    expect((await transformersEmbedder({ model: 'm', dimensions: 24, pipelineFactory: fake(24).factory })).dimensions).toBe(24)
  })

  it('a model that fails to load is IO; bad options are VALIDATION', async () => {
    const broken = async () => {
      throw new Error('Could not locate file: onnx/model.onnx')
    }
    const error = await expectCode(transformersEmbedder({ model: 'nope/nope', pipelineFactory: broken }), 'IO')
    expect(error.message).toMatch(/model\.onnx/)
    await expectCode(transformersEmbedder({ model: '' }), 'VALIDATION')
    await expectCode(transformersEmbedder({ model: 'm', pooling: 'max' as never }), 'VALIDATION')
    await expectCode(transformersEmbedder({ model: 'm', quantized: true } as never), 'VALIDATION')
  })

  it('plugs into the brain store (fake pipeline): record, vector search', async () => {
    const embedder = await transformersEmbedder({ model: 'fake/hashing', pipelineFactory: fake(32).factory })
    const { brain } = await openBrain({ embedder })
    const { memory } = await brain.record({ kind: 'learning', insight: 'Checkpoint the WAL after bulk imports', source: 't', confidence: 0.9 })
    await brain.record({ kind: 'learning', insight: 'Bananas ripen next to apples', source: 't', confidence: 0.9 })
    expect((await brain.search('wal checkpoint', { mode: 'vector', minScore: 0.2 })).map((h) => h.id)).toEqual([memory.id])
  })
})
