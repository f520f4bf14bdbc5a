/**
 * Importing an existing CLEO project: a dry run first (what would be imported, what
 * skipped and why), then the import, then the project opened as a workspace with
 * CLEO's task ids and ready work.
 *
 *   npm run build && node examples/cleo-import.ts [projectDir]
 *
 * With a directory holding a CLEO project (`.cleo/tasks.db` …), that project is imported
 * (stop CLEO first). Without one, the example writes a small CLEO-format tasks.db
 * (CLEO's Drizzle journal, its column names and text timestamps) into a temporary
 * directory and imports that. The global stores go to `<project>/.global-demo` so the
 * demo leaves your real ~/.local/share/cleo alone; in an application omit `globalDir`.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { CleoWorkspace } from 'cleo-store'

const projectDir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'cleo-import-'))
const globalDir = join(projectDir, '.global-demo')

if (!existsSync(join(projectDir, '.cleo', 'tasks.db'))) writeDemoCleoProject(projectDir)

// 1. Dry run: builds and checks every store in a private temporary folder; writes nothing.
const plan = await CleoWorkspace.importFromCleo(projectDir, { globalDir, dryRun: true })
for (const store of plan.stores) {
  console.log(`${store.store} (${store.mode}): ${store.source}`)
  for (const table of store.tables) {
    console.log(`  ${table.source} → ${table.target ?? '(not imported)'}: ${table.read} read, ${table.imported} imported, ${table.skipped} skipped`)
    for (const skip of table.reasons.slice(0, 3)) console.log(`    skipped ${skip.key}: ${skip.reason}`)
  }
}

// 2. The import: CLEO's files move, byte-identical, to .cleo/cleo-legacy-<time>/.
const report = await CleoWorkspace.importFromCleo(projectDir, { globalDir })
console.log(`moved aside: ${report.movedAside.map((m) => m.to).join(', ')}`)

// 3. The project opens as a workspace; ids stay as CLEO wrote them and continue its sequence.
const ws = await CleoWorkspace.open(projectDir, { globalDir })
try {
  const ready = await ws.tasks.dependencies.ready()
  console.log(`ready: ${ready.items.map((t) => `${t.id} ${t.title}`).join('; ')}`)
  const next = await ws.tasks.create({ title: 'First task written by cleo-store', parentId: 'T001' })
  console.log(`next id: ${next.id}`)
} finally {
  await ws.close()
}

// A second run finds no CLEO store left: nothing to do.
const again = await CleoWorkspace.importFromCleo(projectDir, { globalDir })
console.log(`second run: ${again.stores.length} stores`)

/** A minimal CLEO-format tasks.db: CLEO's journal and markers, an epic with two tasks, one blocking the other. */
function writeDemoCleoProject(dir: string): void {
  mkdirSync(join(dir, '.cleo'), { recursive: true })
  const db = new DatabaseSync(join(dir, '.cleo', 'tasks.db'))
  db.exec(`
    CREATE TABLE __drizzle_migrations (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric);
    INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('demo', 1774000000000);
    CREATE TABLE schema_meta (key text PRIMARY KEY NOT NULL, value text NOT NULL);
    CREATE TABLE sessions (id text PRIMARY KEY NOT NULL, name text NOT NULL, status text DEFAULT 'active' NOT NULL,
      scope_json text DEFAULT '{"type":"global"}' NOT NULL, started_at text DEFAULT (datetime('now')) NOT NULL, ended_at text);
    CREATE TABLE tasks (id text PRIMARY KEY NOT NULL, title text NOT NULL, description text, status text DEFAULT 'pending' NOT NULL,
      priority text DEFAULT 'medium' NOT NULL, type text, parent_id text REFERENCES tasks(id), pipeline_stage text,
      labels_json text DEFAULT '[]', created_at text DEFAULT (datetime('now')) NOT NULL, updated_at text, completed_at text);
    CREATE TABLE task_dependencies (task_id text NOT NULL, depends_on text NOT NULL, PRIMARY KEY (task_id, depends_on));
    CREATE TABLE task_relations (task_id text NOT NULL, related_to text NOT NULL, relation_type text DEFAULT 'related' NOT NULL,
      reason text, PRIMARY KEY (task_id, related_to));
    CREATE TABLE lifecycle_pipelines (id text PRIMARY KEY NOT NULL, task_id text NOT NULL, status text DEFAULT 'active' NOT NULL,
      current_stage_id text, started_at text DEFAULT (datetime('now')) NOT NULL);
    INSERT INTO schema_meta VALUES ('task_id_sequence', '{"counter":3,"lastId":"T003","checksum":"demo"}');
    INSERT INTO tasks (id, title, type, parent_id, priority, created_at) VALUES
      ('T001', 'Storage layer', 'epic', NULL, 'high', '2026-04-01 09:00:00'),
      ('T002', 'Write the schema', 'task', 'T001', 'high', '2026-04-01 09:05:00'),
      ('T003', 'Write the queries', 'task', 'T001', 'medium', '2026-04-01 09:10:00');
    INSERT INTO task_dependencies VALUES ('T003', 'T002');
  `)
  db.close()
  console.log(`wrote a demo CLEO project in ${dir}`)
}
