import { DatabaseSync } from 'node:sqlite'
import { BrainRepository } from '../src/brain/index.js'
import { TopicEmbedder } from './workloads/brain.js'
import { captureCalls } from './workloads/common.js'
const file = '/tmp/h19s/topic100k.db'
const ours = await BrainRepository.open(file, { embedder: new TopicEmbedder() })
const calls = await captureCalls(() => ours.search('sqlite writer busy after deploy', { mode: 'fts', limit: 10 }))
const db = new DatabaseSync(file)
for (const c of calls) {
  const st = db.prepare(c.sql); const ts: number[] = []
  let n = 0
  for (let r = 0; r < 5; r++) { const t = performance.now(); const res = (st as any)[c.method](...c.args); ts.push(performance.now() - t); n = Array.isArray(res) ? res.length : 1 }
  ts.sort((a, b) => a - b)
  console.log(ts[2]!.toFixed(2).padStart(7), 'rows', String(n).padStart(4), c.sql.slice(0, 60), JSON.stringify(c.args, (k, v) => typeof v === 'bigint' ? String(v) : v))
}
