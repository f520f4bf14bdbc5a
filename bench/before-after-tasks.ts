/**
 * Before/after for issue 19: seeds tasks.db files of 1k / 10k / 100k tasks (epics of
 * 50, 30 % done, every task but the epics with two dependencies), ANALYZEs them, and
 * prints the p50 of ready, blockers and descendants through the public API of the
 * tree it runs in. Run it in this tree and in a checkout of an older commit
 * (`git archive <commit> src migrations | tar -x -C /tmp/old`, with node_modules
 * linked) to compare: `node --import tsx bench/before-after-tasks.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { TasksRepository } from '../src/tasks/index.js'
const T0 = 1_700_000_000_000
const counter = (c: number, name = 'n') => `WITH RECURSIVE ${name}(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM ${name} WHERE i < ${c})`
const seed = (count: number) => `${counter(count)}
    INSERT INTO tasks (seq, id, title, description, status, priority, type, parent_id, labels_json, created_at, updated_at, completed_at)
    SELECT i, 'T' || i, 'task number ' || i, 'what task ' || i || ' is about',
      CASE WHEN i % 50 = 1 THEN 'pending' WHEN i % 10 < 3 THEN 'done' ELSE 'pending' END,
      CASE i % 4 WHEN 0 THEN 'critical' WHEN 1 THEN 'high' WHEN 2 THEN 'medium' ELSE 'low' END,
      CASE WHEN i % 50 = 1 THEN 'epic' ELSE 'task' END,
      CASE WHEN i % 50 = 1 THEN NULL ELSE 'T' || (i - (i - 1) % 50) END,
      '["bench"]', ${T0} + i, ${T0} + i, CASE WHEN i % 50 <> 1 AND i % 10 < 3 THEN ${T0} + i END
    FROM n;
    UPDATE schema_meta SET value = CAST(${count} AS TEXT) WHERE key = 'task_id_sequence';
    ${counter(count)} INSERT OR IGNORE INTO task_dependencies (task_id, depends_on, created_at)
    SELECT 'T' || i, 'T' || (1 + (i * 104729) % (i - 1)), ${T0} FROM n WHERE i > 2 AND i % 50 <> 1;
    ${counter(count)} INSERT OR IGNORE INTO task_dependencies (task_id, depends_on, created_at)
    SELECT 'T' || i, 'T' || (1 + (i * 7919 + 13) % (i - 1)), ${T0} FROM n WHERE i > 2 AND i % 50 <> 1;`
async function p50(fn: () => unknown) {
  for (let i = 0; i < 3; i++) await fn()
  const t: number[] = []
  const end = performance.now() + 600
  while (t.length < 9 || (performance.now() < end && t.length < 500)) { const s = performance.now(); await fn(); t.push(performance.now() - s) }
  t.sort((a, b) => a - b)
  return t[Math.floor(t.length / 2)]!
}
const dir = mkdtempSync(join(tmpdir(), 'h19ba-'))
const out: Record<string, Record<number, string>> = {}
for (const n of [1_000, 10_000, 100_000]) {
  const file = join(dir, `t${n}.db`)
  await (await TasksRepository.open(file)).close()
  const db = new DatabaseSync(file)
  db.exec(`BEGIN IMMEDIATE; ${seed(n)} COMMIT; ANALYZE;`)
  db.close()
  const tasks = await TasksRepository.open(file)
  const deep = `T${n - 7}`
  const epic = `T${Math.floor((n - 1) / 50) * 50 + 1 - 50}`
  const ready = (await tasks.dependencies.ready()).items.length
  const rec = (k: string, ms: number) => { (out[k] ??= {})[n] = ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms` }
  rec(`ready() (limit 100; returns ${ready} at this size)`, await p50(() => tasks.dependencies.ready()))
  rec('ready({ limit: 20 })', await p50(() => tasks.dependencies.ready({ limit: 20 })))
  rec('blockers (direct)', await p50(() => tasks.dependencies.blockers(deep)))
  rec('blockers (transitive)', await p50(() => tasks.dependencies.blockers(deep, { transitive: true })))
  rec('descendants (epic of 49)', await p50(() => tasks.descendants(epic)))
  await tasks.close()
  console.log(n, JSON.stringify(out))
}
rmSync(dir, { recursive: true, force: true })
console.log(JSON.stringify(out, null, 1))
