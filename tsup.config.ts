import { defineConfig } from 'tsup'

const stores = ['tasks', 'brain', 'conduit', 'signaldock', 'nexus', 'telemetry', 'kdf', 'daemon']

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    schemas: 'src/schemas.ts',
    kysely: 'src/kysely.ts',
    ...Object.fromEntries(stores.map((name) => [`${name}/index`, `src/${name}/index.ts`])),
  },
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  dts: false, // tsc -p tsconfig.build.json emits the declarations (dist/types), one per source file
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  // Optional packages stay imports: a missing one fails only where it is used.
  external: ['sqlite-vec', '@huggingface/transformers'],
})
