/**
 * An {@link Embedder} running a sentence-embedding model in-process with
 * `@huggingface/transformers` (transformers.js, ONNX Runtime), an optional peer
 * dependency loaded with a dynamic import on first use.
 *
 * What was exercised by this library's tests: the adapter's own logic (batching,
 * pooling/normalize options, splitting the output tensor, the dimension probe and
 * check, model paths, the missing-package error) against an injected fake pipeline.
 * The default pipeline factory — the calls into the real `@huggingface/transformers`
 * — was type-checked only: no model could be downloaded where it was written.
 *
 * @module
 */
import { basename, dirname, isAbsolute, resolve } from 'node:path'

import { z } from 'zod'

import { CleoStoreError } from '../sqlite/errors.js'
import { validate } from '../sqlite/validate.js'
import type { Embedder } from './embedder.js'
import { MAX_EMBEDDING_DIMENSIONS } from './embedder.js'

/**
 * The output of a feature-extraction pipeline: a `[texts, dimensions]` tensor (transformers.js `Tensor`).
 *
 * @example
 * ```ts
 * const tensor: TransformersTensor = { dims: [2, 3], data: new Float32Array([1, 0, 0, 0, 1, 0]) }
 * ```
 */
export interface TransformersTensor {
  readonly dims: readonly number[]
  readonly data: ArrayLike<number>
}

/**
 * A loaded feature-extraction pipeline: texts in, one pooled vector per text out.
 *
 * @example
 * ```ts
 * const extractor: TransformersFeatureExtractor = async (texts) => ({ dims: [texts.length, 2], data: new Float32Array(texts.length * 2).fill(0.5) })
 * ```
 */
export type TransformersFeatureExtractor = (
  texts: string[],
  options: { pooling: TransformersPooling; normalize: boolean },
) => Promise<TransformersTensor>

/**
 * How token vectors become one text vector (transformers.js `pooling`).
 *
 * @example
 * ```ts
 * await transformersEmbedder({ model: 'BAAI/bge-small-en-v1.5', pooling: 'cls' satisfies TransformersPooling })
 * ```
 */
export type TransformersPooling = 'mean' | 'cls' | 'none'

/**
 * What the pipeline factory receives (this library's names; the default factory maps them to transformers.js).
 *
 * @example
 * ```ts
 * const request: TransformersPipelineRequest = { model: 'all-MiniLM-L6-v2', localModelPath: '/opt/models', localFilesOnly: true }
 * ```
 */
export interface TransformersPipelineRequest {
  /** A Hugging Face model id (`Xenova/all-MiniLM-L6-v2`), or a folder name under `localModelPath`. */
  readonly model: string
  /** Set when `model` was a path: the folder holding the model folder; no download is attempted. */
  readonly localModelPath?: string
  readonly localFilesOnly: boolean
  readonly cacheDir?: string
  readonly dtype?: string
  readonly device?: string
  readonly revision?: string
}

/**
 * Creates the pipeline (default: `@huggingface/transformers`' `pipeline('feature-extraction', …)`).
 *
 * @example
 * ```ts
 * import { pipeline } from '@huggingface/transformers'
 * const factory: TransformersPipelineFactory = async (r) => (await pipeline('feature-extraction', r.model, { dtype: 'fp32' })) as never
 * ```
 */
export type TransformersPipelineFactory = (request: TransformersPipelineRequest) => Promise<TransformersFeatureExtractor>

/**
 * Options of {@link transformersEmbedder}.
 *
 * @example
 * ```ts
 * const options: TransformersEmbedderOptions = { model: 'Xenova/all-MiniLM-L6-v2', dimensions: 384, dtype: 'q8' }
 * ```
 */
export interface TransformersEmbedderOptions {
  /**
   * A model id on the Hugging Face hub with ONNX weights (e.g. `Xenova/all-MiniLM-L6-v2`,
   * 384 dimensions), or a path (absolute, or starting with `./` or `../`) to a local
   * model folder — then nothing is downloaded.
   */
  readonly model: string
  /** Expected vector length; checked against a probe embedding. Default: whatever the model returns. */
  readonly dimensions?: number
  /** Default `mean` (what sentence-transformers models use). */
  readonly pooling?: TransformersPooling
  /** Scale vectors to unit length (default true). */
  readonly normalize?: boolean
  /** Texts per pipeline call (default 32). */
  readonly batchSize?: number
  /** Weights precision, e.g. `fp32`, `q8` (transformers.js `dtype`). */
  readonly dtype?: string
  /** Where inference runs, e.g. `cpu` (transformers.js `device`). */
  readonly device?: string
  /** Download cache folder (transformers.js `cache_dir`). */
  readonly cacheDir?: string
  /** Never download: use the cache or the local path only (default: true for a path, else false). */
  readonly localFilesOnly?: boolean
  /** Model revision on the hub (branch, tag or commit). */
  readonly revision?: string
  /** Recorded in brain.db and compared on later opens (default `model`; set it when `model` is a path). */
  readonly modelId?: string
  /** Replaces `@huggingface/transformers` (tests, or a pipeline you built yourself). */
  readonly pipelineFactory?: TransformersPipelineFactory
}

const Options = z.strictObject({
  model: z.string().min(1).max(1000),
  dimensions: z.number().int().min(1).max(MAX_EMBEDDING_DIMENSIONS).optional(),
  pooling: z.enum(['mean', 'cls', 'none']).optional(),
  normalize: z.boolean().optional(),
  batchSize: z.number().int().min(1).max(1024).optional(),
  dtype: z.string().min(1).optional(),
  device: z.string().min(1).optional(),
  cacheDir: z.string().min(1).optional(),
  localFilesOnly: z.boolean().optional(),
  revision: z.string().min(1).optional(),
  modelId: z.string().min(1).max(200).optional(),
  pipelineFactory: z.custom<TransformersPipelineFactory>((value) => typeof value === 'function', 'must be a function').optional(),
})

const CONTEXT = { store: 'brain' } as const
const PACKAGE = '@huggingface/transformers'
/**
 * The fix quoted when the package is missing.
 *
 * @example
 * ```ts
 * try { await transformersEmbedder({ model }) } catch (e) { if (isCleoStoreError(e, 'UNSUPPORTED')) console.log(TRANSFORMERS_FIX) }
 * ```
 */
export const TRANSFORMERS_FIX = `install the optional peer dependency: npm install ${PACKAGE}`

/**
 * Loads a transformers.js feature-extraction model and returns an embedder for it.
 * Asynchronous because the vector length is learnt (or checked) by embedding a probe
 * text. Without `@huggingface/transformers` installed: `UNSUPPORTED` naming the fix.
 *
 * @example
 * ```ts
 * import { BrainRepository, transformersEmbedder } from 'cleo-store'
 *
 * // npm install @huggingface/transformers
 * const embedder = await transformersEmbedder({ model: 'Xenova/all-MiniLM-L6-v2' }) // 384 dimensions, downloaded once
 * const offline = await transformersEmbedder({ model: './models/all-MiniLM-L6-v2', modelId: 'all-MiniLM-L6-v2' })
 * await using brain = await BrainRepository.open('.cleo/brain.db', { embedder })
 * ```
 */
export async function transformersEmbedder(options: TransformersEmbedderOptions): Promise<Embedder> {
  const o = validate(Options, options, 'transformersEmbedder', CONTEXT)
  const pooling = o.pooling ?? 'mean'
  const normalize = o.normalize ?? true
  const batchSize = o.batchSize ?? 32
  const isPath = isAbsolute(o.model) || /^\.\.?[\\/]/.test(o.model)
  const request: TransformersPipelineRequest = {
    ...(isPath ? { model: basename(resolve(o.model)), localModelPath: dirname(resolve(o.model)) } : { model: o.model }),
    localFilesOnly: o.localFilesOnly ?? isPath,
    ...(o.cacheDir === undefined ? {} : { cacheDir: o.cacheDir }),
    ...(o.dtype === undefined ? {} : { dtype: o.dtype }),
    ...(o.device === undefined ? {} : { device: o.device }),
    ...(o.revision === undefined ? {} : { revision: o.revision }),
  }
  const factory = o.pipelineFactory ?? defaultPipelineFactory
  let extractor: TransformersFeatureExtractor
  try {
    extractor = await factory(request)
  } catch (error) {
    if (error instanceof CleoStoreError) throw error
    throw new CleoStoreError('IO', `transformers.js could not load the model ${o.model}: ${error instanceof Error ? error.message : String(error)}`, {
      ...CONTEXT,
      cause: error,
    })
  }

  const run = async (texts: string[], expected: number | undefined): Promise<Float32Array[]> => {
    const tensor = await extractor(texts, { pooling, normalize })
    const dims = tensor.dims
    if (dims.length !== 2 || dims[0] !== texts.length) {
      throw new CleoStoreError(
        'VALIDATION',
        `the pipeline of ${o.model} returned a tensor of shape [${dims.join(', ')}] for ${texts.length} texts; ` +
          `expected [${texts.length}, dimensions]` + (pooling === 'none' ? " (pooling 'none' keeps one vector per token: use 'mean' or 'cls')" : ''),
        { ...CONTEXT, details: { path: ['pooling'], shape: [...dims] } },
      )
    }
    const width = dims[1]!
    if (expected !== undefined && width !== expected) {
      throw new CleoStoreError('VALIDATION', `${o.model} returns ${width}-dimensional vectors, but dimensions is ${expected}`, {
        ...CONTEXT,
        details: { path: ['dimensions'], expected, actual: width },
      })
    }
    const out: Float32Array[] = []
    for (let i = 0; i < texts.length; i++) {
      const vector = new Float32Array(width)
      for (let j = 0; j < width; j++) vector[j] = tensor.data[i * width + j]!
      out.push(vector)
    }
    return out
  }

  const [probe] = await run(['dimension probe'], o.dimensions)
  const dimensions = probe!.length
  if (dimensions < 1 || dimensions > MAX_EMBEDDING_DIMENSIONS) {
    throw new CleoStoreError('VALIDATION', `${o.model} returns ${dimensions}-dimensional vectors; at most ${MAX_EMBEDDING_DIMENSIONS} are supported`, {
      ...CONTEXT,
      details: { path: ['dimensions'], actual: dimensions },
    })
  }
  return Object.freeze({
    dimensions,
    modelId: o.modelId ?? o.model,
    async embed(texts: readonly string[]): Promise<Float32Array[]> {
      const out: Float32Array[] = []
      for (let i = 0; i < texts.length; i += batchSize) out.push(...(await run(texts.slice(i, i + batchSize), dimensions)))
      return out
    },
  })
}

interface TransformersModule {
  pipeline(task: 'feature-extraction', model: string, options: Record<string, unknown>): Promise<TransformersFeatureExtractor>
  env: { localModelPath: string; allowLocalModels: boolean; allowRemoteModels: boolean }
}

/**
 * The default factory: `pipeline('feature-extraction', model, { dtype, device,
 * cache_dir, local_files_only, revision })` from `@huggingface/transformers`. For a
 * local path it sets the library's `env.localModelPath` (a process-wide setting of
 * transformers.js) and `env.allowLocalModels`. Not exercised by this library's tests.
 */
async function defaultPipelineFactory(request: TransformersPipelineRequest): Promise<TransformersFeatureExtractor> {
  let module: TransformersModule
  try {
    const specifier = PACKAGE // a variable: the package is optional and absent at type-check time
    module = (await import(specifier)) as TransformersModule
  } catch (error) {
    throw new CleoStoreError('UNSUPPORTED', `${PACKAGE} is not installed (${error instanceof Error ? error.message : String(error)}). Fix: ${TRANSFORMERS_FIX}`, {
      ...CONTEXT,
      cause: error,
      details: { missing: PACKAGE },
    })
  }
  if (request.localModelPath !== undefined) {
    module.env.localModelPath = request.localModelPath.endsWith('/') ? request.localModelPath : `${request.localModelPath}/`
    module.env.allowLocalModels = true
  }
  return module.pipeline('feature-extraction', request.model, {
    local_files_only: request.localFilesOnly,
    ...(request.cacheDir === undefined ? {} : { cache_dir: request.cacheDir }),
    ...(request.dtype === undefined ? {} : { dtype: request.dtype }),
    ...(request.device === undefined ? {} : { device: request.device }),
    ...(request.revision === undefined ? {} : { revision: request.revision }),
  })
}
