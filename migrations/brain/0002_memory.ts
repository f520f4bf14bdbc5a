/**
 * brain.db 0002: the memory tables, their full-text index and the embedding queue.
 * Frozen once released: add a new migration instead.
 *
 * - Four typed memory tables (decisions, patterns, learnings, observations) sharing
 *   CLEO's quality / tier / validity / hash columns as real, CHECKed columns; sticky
 *   notes; memory ↔ task links; the embedding queue.
 * - Every memory row has a stable `seq INTEGER PRIMARY KEY`. Its *memory key*,
 *   `kind code × 2^40 + seq`, is the rowid in the shared FTS table (and in the
 *   vector table, which is created at run time because its dimension comes from the
 *   embedder). Kind codes: decision 1, pattern 2, learning 3, observation 4,
 *   sticky note 5.
 * - One FTS5 table over every kind, so BM25 statistics are shared and scores are
 *   comparable across kinds. Contentless (`content=''`, `contentless_delete=1`): the
 *   text lives only in the memory tables; triggers keep the index in step.
 * - Polymorphic links are checked by triggers (the memory must exist) and removed
 *   when their memory is deleted.
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

const KEY_BASE = 1099511627776 // 2^40

const SHARED_COLUMNS = `
  quality_score REAL CHECK (quality_score IS NULL OR (quality_score >= 0 AND quality_score <= 1)),
  memory_tier TEXT NOT NULL CHECK (memory_tier IN ('short', 'medium', 'long')),
  memory_type TEXT NOT NULL CHECK (memory_type IN ('semantic', 'episodic', 'procedural')),
  verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
  source_confidence TEXT NOT NULL DEFAULT 'agent' CHECK (source_confidence IN ('owner', 'task-outcome', 'agent', 'speculative')),
  citation_count INTEGER NOT NULL DEFAULT 0 CHECK (citation_count >= 0),
  valid_at INTEGER NOT NULL,
  invalid_at INTEGER,
  superseded_by TEXT CHECK (superseded_by IS NULL OR (invalid_at IS NOT NULL AND superseded_by <> id)),
  tier_promoted_at INTEGER,
  tier_promotion_reason TEXT CHECK ((tier_promoted_at IS NULL) = (tier_promotion_reason IS NULL)),
  content_hash TEXT NOT NULL CHECK (length(content_hash) = 64),
  idempotency_key TEXT CHECK (idempotency_key IS NULL OR length(idempotency_key) BETWEEN 1 AND 200),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL`

const ID_COLUMNS = `
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE CHECK (length(id) BETWEEN 1 AND 64)`

function jsonArray(column: string, defaultValue = true): string {
  return `${column} TEXT NOT NULL${defaultValue ? ` DEFAULT '[]'` : ''} CHECK (json_valid(${column}) AND json_type(${column}) = 'array')`
}

/** Space-joined elements of a JSON array column of `row` (`new`/`old`). */
function joined(row: string, column: string): string {
  return `coalesce((SELECT group_concat(value, ' ') FROM json_each(${row}.${column})), '')`
}

interface KindSpec {
  readonly table: string
  readonly code: number
  readonly kind: string
  /** Columns whose change re-indexes the row. */
  readonly textColumns: readonly string[]
  readonly title: (row: string) => string
  readonly body: (row: string) => string
  /** Typed memory (not a sticky note): links, shared indexes. */
  readonly memory: boolean
}

const KINDS: readonly KindSpec[] = [
  {
    table: 'brain_decisions',
    code: 1,
    kind: 'decision',
    textColumns: ['decision', 'rationale', 'alternatives_json', 'context_phase'],
    title: (r) => `${r}.decision`,
    body: (r) => `${r}.rationale || ' ' || ${joined(r, 'alternatives_json')} || ' ' || coalesce(${r}.context_phase, '')`,
    memory: true,
  },
  {
    table: 'brain_patterns',
    code: 2,
    kind: 'pattern',
    textColumns: ['pattern', 'context', 'anti_pattern', 'mitigation', 'examples_json'],
    title: (r) => `${r}.pattern`,
    body: (r) =>
      `${r}.context || ' ' || coalesce(${r}.anti_pattern, '') || ' ' || coalesce(${r}.mitigation, '') || ' ' || ${joined(r, 'examples_json')}`,
    memory: true,
  },
  {
    table: 'brain_learnings',
    code: 3,
    kind: 'learning',
    textColumns: ['insight', 'source', 'application'],
    title: (r) => `${r}.insight`,
    body: (r) => `${r}.source || ' ' || coalesce(${r}.application, '')`,
    memory: true,
  },
  {
    table: 'brain_observations',
    code: 4,
    kind: 'observation',
    textColumns: ['title', 'subtitle', 'narrative', 'facts_json', 'concepts_json'],
    title: (r) => `${r}.title || ' ' || coalesce(${r}.subtitle, '')`,
    body: (r) => `coalesce(${r}.narrative, '') || ' ' || ${joined(r, 'facts_json')} || ' ' || ${joined(r, 'concepts_json')}`,
    memory: true,
  },
  {
    table: 'brain_sticky_notes',
    code: 5,
    kind: 'sticky',
    textColumns: ['content', 'tags_json'],
    title: () => `''`,
    body: (r) => `${r}.content || ' ' || ${joined(r, 'tags_json')}`,
    memory: false,
  },
]

const TABLES: readonly string[] = [
  `CREATE TABLE brain_decisions (${ID_COLUMNS},
  type TEXT NOT NULL CHECK (type IN ('architecture', 'technical', 'process', 'strategic', 'tactical')),
  decision TEXT NOT NULL CHECK (length(trim(decision)) > 0),
  rationale TEXT NOT NULL,
  confidence TEXT NOT NULL CHECK (confidence IN ('low', 'medium', 'high')),
  outcome TEXT CHECK (outcome IN ('success', 'failure', 'mixed', 'pending')),
  ${jsonArray('alternatives_json')},
  context_epic_id TEXT,
  context_task_id TEXT,
  context_phase TEXT,${SHARED_COLUMNS}
) STRICT`,
  `CREATE TABLE brain_patterns (${ID_COLUMNS},
  type TEXT NOT NULL CHECK (type IN ('workflow', 'blocker', 'success', 'failure', 'optimization')),
  pattern TEXT NOT NULL CHECK (length(trim(pattern)) > 0),
  context TEXT NOT NULL,
  frequency INTEGER NOT NULL DEFAULT 1 CHECK (frequency >= 1),
  success_rate REAL CHECK (success_rate IS NULL OR (success_rate >= 0 AND success_rate <= 1)),
  impact TEXT CHECK (impact IN ('low', 'medium', 'high')),
  anti_pattern TEXT,
  mitigation TEXT,
  ${jsonArray('examples_json')},${SHARED_COLUMNS}
) STRICT`,
  `CREATE TABLE brain_learnings (${ID_COLUMNS},
  insight TEXT NOT NULL CHECK (length(trim(insight)) > 0),
  source TEXT NOT NULL,
  confidence REAL NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  actionable INTEGER NOT NULL DEFAULT 0 CHECK (actionable IN (0, 1)),
  application TEXT,
  ${jsonArray('applicable_types_json')},
  decayed_at INTEGER,${SHARED_COLUMNS}
) STRICT`,
  `CREATE TABLE brain_observations (${ID_COLUMNS},
  type TEXT NOT NULL CHECK (type IN ('discovery', 'change', 'feature', 'bugfix', 'decision', 'refactor', 'diary')),
  title TEXT NOT NULL CHECK (length(trim(title)) > 0),
  subtitle TEXT,
  narrative TEXT,
  ${jsonArray('facts_json')},
  ${jsonArray('concepts_json')},
  ${jsonArray('files_read_json')},
  ${jsonArray('files_modified_json')},
  project TEXT,
  source_session_id TEXT,
  source_type TEXT NOT NULL DEFAULT 'agent' CHECK (source_type IN ('agent', 'session-debrief', 'claude-mem', 'manual')),
  agent TEXT,
  discovery_tokens INTEGER CHECK (discovery_tokens IS NULL OR discovery_tokens >= 0),${SHARED_COLUMNS}
) STRICT`,
  `CREATE TABLE brain_sticky_notes (${ID_COLUMNS},
  content TEXT NOT NULL CHECK (length(trim(content)) > 0),
  ${jsonArray('tags_json')},
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'converted', 'archived')),
  converted_to_kind TEXT CHECK (converted_to_kind IN ('decision', 'pattern', 'learning', 'observation')),
  converted_to_id TEXT,
  color TEXT CHECK (color IN ('yellow', 'blue', 'green', 'red', 'purple')),
  priority TEXT CHECK (priority IN ('low', 'medium', 'high')),
  content_hash TEXT NOT NULL CHECK (length(content_hash) = 64),
  idempotency_key TEXT CHECK (idempotency_key IS NULL OR length(idempotency_key) BETWEEN 1 AND 200),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK ((converted_to_kind IS NULL) = (converted_to_id IS NULL)),
  CHECK ((status = 'converted') = (converted_to_id IS NOT NULL))
) STRICT`,
  `CREATE TABLE brain_memory_links (
  memory_kind TEXT NOT NULL CHECK (memory_kind IN ('decision', 'pattern', 'learning', 'observation')),
  memory_id TEXT NOT NULL,
  task_id TEXT NOT NULL CHECK (length(task_id) BETWEEN 1 AND 64),
  link_type TEXT NOT NULL CHECK (link_type IN ('produced_by', 'applies_to', 'informed_by', 'contradicts')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (memory_id, task_id, link_type)
) STRICT, WITHOUT ROWID`,
  `CREATE TABLE brain_embedding_queue (
  memory_key INTEGER PRIMARY KEY,
  reason TEXT NOT NULL CHECK (reason IN ('new', 'failed', 'changed', 'reset', 'no_embedder')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error TEXT,
  queued_at INTEGER NOT NULL
) STRICT`,
]

function indexes(): string[] {
  const out: string[] = []
  for (const { table, memory } of KINDS) {
    if (memory) {
      out.push(`CREATE UNIQUE INDEX ${table}_content_hash ON ${table} (content_hash) WHERE invalid_at IS NULL`)
      out.push(`CREATE INDEX ${table}_tier_created ON ${table} (memory_tier, created_at)`)
    } else {
      out.push(`CREATE UNIQUE INDEX ${table}_content_hash ON ${table} (content_hash) WHERE status = 'active'`)
      out.push(`CREATE INDEX ${table}_status_id ON ${table} (status, id)`)
    }
    out.push(`CREATE UNIQUE INDEX ${table}_idempotency_key ON ${table} (idempotency_key) WHERE idempotency_key IS NOT NULL`)
  }
  out.push(`CREATE INDEX brain_decisions_context_task ON brain_decisions (context_task_id) WHERE context_task_id IS NOT NULL`)
  out.push(`CREATE INDEX brain_decisions_context_epic ON brain_decisions (context_epic_id) WHERE context_epic_id IS NOT NULL`)
  out.push(`CREATE INDEX brain_observations_session ON brain_observations (source_session_id) WHERE source_session_id IS NOT NULL`)
  out.push(`CREATE INDEX brain_learnings_updated ON brain_learnings (updated_at)`)
  out.push(`CREATE INDEX brain_memory_links_task ON brain_memory_links (task_id)`)
  return out
}

const FTS: readonly string[] = [
  `CREATE VIRTUAL TABLE brain_memory_fts USING fts5(title, body, content='', contentless_delete=1, tokenize='porter unicode61 remove_diacritics 2')`,
  `INSERT INTO brain_memory_fts (brain_memory_fts, rank) VALUES ('rank', 'bm25(2.0, 1.0)')`,
]

function triggers(): string[] {
  const out: string[] = []
  for (const spec of KINDS) {
    const { table, code, textColumns, title, body } = spec
    const key = (row: string) => `${KEY_BASE} * ${code} + ${row}.seq`
    out.push(`CREATE TRIGGER ${table}_fts_ai AFTER INSERT ON ${table} BEGIN
  INSERT INTO brain_memory_fts (rowid, title, body) VALUES (${key('new')}, ${title('new')}, ${body('new')});
END`)
    out.push(`CREATE TRIGGER ${table}_ad AFTER DELETE ON ${table} BEGIN
  DELETE FROM brain_memory_fts WHERE rowid = ${key('old')};
  DELETE FROM brain_embedding_queue WHERE memory_key = ${key('old')};${
    spec.memory ? `\n  DELETE FROM brain_memory_links WHERE memory_id = old.id;` : ''
  }
END`)
    const changed = textColumns.map((c) => `old.${c} IS NOT new.${c}`).join(' OR ')
    out.push(`CREATE TRIGGER ${table}_fts_au AFTER UPDATE OF ${textColumns.join(', ')} ON ${table} WHEN ${changed} BEGIN
  DELETE FROM brain_memory_fts WHERE rowid = ${key('old')};
  INSERT INTO brain_memory_fts (rowid, title, body) VALUES (${key('new')}, ${title('new')}, ${body('new')});
END`)
    out.push(`CREATE TRIGGER ${table}_seq_fixed BEFORE UPDATE OF seq, id ON ${table} WHEN old.seq IS NOT new.seq OR old.id IS NOT new.id BEGIN
  SELECT RAISE(ABORT, '${table}: seq and id are immutable');
END`)
  }
  const exists = KINDS.filter((k) => k.memory)
    .map((k) => `WHEN '${k.kind}' THEN EXISTS (SELECT 1 FROM ${k.table} WHERE id = new.memory_id)`)
    .join(' ')
  out.push(`CREATE TRIGGER brain_memory_links_memory_exists BEFORE INSERT ON brain_memory_links
  WHEN NOT (CASE new.memory_kind ${exists} ELSE 0 END) BEGIN
  SELECT RAISE(ABORT, 'brain_memory_links: memory does not exist');
END`)
  return out
}

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of [...TABLES, ...indexes(), ...FTS, ...triggers()]) {
    await sql.raw(statement).execute(db)
  }
}
