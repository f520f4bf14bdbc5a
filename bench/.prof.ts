import { existsSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import { BrainRepository } from '../src/brain/index.js'
import { memoryText, TopicEmbedder } from './workloads/brain.js'
const file = '/tmp/h19s/topic100k.db'
const embedder = new TopicEmbedder()
if (!existsSync(file)) {
  const seed = await BrainRepository.open(file, { embedder })
  for (let start = 0; start < 100_000; start += 1000) {
    const batch = []
    for (let i = start; i < start + 1000; i++) batch.push({ kind: 'observation' as const, ...memoryText(i) })
    await seed.recordMany(batch)
  }
  await seed.close()
}
const t0 = performance.now()
const ours = await BrainRepository.open(file, { embedder })
console.log('open ms', performance.now() - t0)
const raw = new DatabaseSync(file)
console.log(raw.prepare("select value from brain_schema_meta where key='embedding.search_plan'").get())
const exact = await BrainRepository.open(file, { embedder, searchTuning: { binaryPreselection: 'never' } })
const q = 'sqlite writer busy after deploy'
for (const [name, fn] of [
  ['hybrid ours', () => ours.search(q, { mode: 'hybrid', limit: 10 })],
  ['hybrid exact', () => exact.search(q, { mode: 'hybrid', limit: 10 })],
  ['vector ours', () => ours.search(q, { mode: 'vector', limit: 10 })],
  ['vector exact', () => exact.search(q, { mode: 'vector', limit: 10 })],
  ['fts', () => ours.search(q, { mode: 'fts', limit: 10 })],
] as const) {
  const ts: number[] = []
  for (let i = 0; i < 15; i++) { const t = performance.now(); await fn(); ts.push(performance.now() - t) }
  ts.sort((a, b) => a - b)
  console.log(name.padEnd(14), ts[7]!.toFixed(1))
}
import { captureCalls } from './workloads/common.js'
import * as sqliteVec from 'sqlite-vec'
for (const [name, h, mode] of [['ours', ours, 'hybrid'], ['exact', exact, 'hybrid']] as const) {
  const calls = await captureCalls(() => h.search(q, { mode, limit: 10 }))
  const db = new DatabaseSync(file, { allowExtension: true }); db.loadExtension(sqliteVec.getLoadablePath()); db.exec('PRAGMA mmap_size=1073741824')
  const agg = new Map<string, [number, number]>()
  for (let r = 0; r < 5; r++) for (const c of calls) {
    const st = db.prepare(c.sql); const t = performance.now(); (st as any)[c.method](...c.args); const d = performance.now() - t
    const k = c.sql.slice(0, 90); const a = agg.get(k) ?? [0, 0]; a[0] += d / 5; a[1] += 1 / 5; agg.set(k, a)
  }
  console.log('==', name, calls.length, 'calls')
  for (const [k, [t, n]] of [...agg].sort((a, b) => b[1][0] - a[1][0]).slice(0, 8)) console.log(t.toFixed(2).padStart(8), 'ms', String(n).padStart(4), 'x', k)
}
