/**
 * tasks.db 0005: architecture decision records, their task links and their
 * relations. Frozen once released: add a new migration instead.
 *
 * `adr_relations` is the source of truth; triggers keep the pointer columns of
 * `architecture_decisions` (`supersedes_id`, `superseded_by_id`, `amends_id`) and
 * the mirror row of a symmetric `related` relation in step with it, both ways, so
 * the two views cannot disagree — whoever writes.
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

const STATEMENTS: readonly string[] = [
  `CREATE TABLE architecture_decisions (
    id TEXT PRIMARY KEY CHECK (id GLOB 'ADR-[0-9]*' AND substr(id, 5) NOT GLOB '*[^0-9]*'),
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    status TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'accepted', 'superseded', 'deprecated')),
    supersedes_id TEXT REFERENCES architecture_decisions (id) ON DELETE SET NULL,
    superseded_by_id TEXT REFERENCES architecture_decisions (id) ON DELETE SET NULL,
    amends_id TEXT REFERENCES architecture_decisions (id) ON DELETE SET NULL,
    consensus_manifest_id TEXT REFERENCES manifest_entries (id) ON DELETE SET NULL,
    content TEXT NOT NULL DEFAULT '',
    summary TEXT,
    keywords_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(keywords_json) AND json_type(keywords_json) = 'array'),
    topics_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(topics_json) AND json_type(topics_json) = 'array'),
    gate TEXT CHECK (gate IS NULL OR gate IN ('HITL', 'automated')),
    gate_status TEXT CHECK (gate_status IS NULL OR gate_status IN ('pending', 'passed', 'failed', 'waived')),
    file_path TEXT,
    decided_on TEXT CHECK (decided_on IS NULL OR decided_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    accepted_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK (supersedes_id IS NULL OR supersedes_id <> id),
    CHECK (superseded_by_id IS NULL OR superseded_by_id <> id),
    CHECK (amends_id IS NULL OR amends_id <> id),
    CHECK (superseded_by_id IS NULL OR status = 'superseded')
  ) STRICT`,
  'CREATE INDEX architecture_decisions_status_idx ON architecture_decisions (status, id)',
  'CREATE INDEX architecture_decisions_supersedes_idx ON architecture_decisions (supersedes_id) WHERE supersedes_id IS NOT NULL',
  'CREATE INDEX architecture_decisions_superseded_by_idx ON architecture_decisions (superseded_by_id) WHERE superseded_by_id IS NOT NULL',
  'CREATE INDEX architecture_decisions_amends_idx ON architecture_decisions (amends_id) WHERE amends_id IS NOT NULL',
  'CREATE INDEX architecture_decisions_manifest_idx ON architecture_decisions (consensus_manifest_id) WHERE consensus_manifest_id IS NOT NULL',

  `CREATE TABLE adr_task_links (
    adr_id TEXT NOT NULL REFERENCES architecture_decisions (id) ON DELETE CASCADE,
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    link_type TEXT NOT NULL DEFAULT 'related' CHECK (link_type IN ('related', 'governed_by', 'implements')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (adr_id, task_id)
  ) STRICT, WITHOUT ROWID`,
  'CREATE INDEX adr_task_links_task_idx ON adr_task_links (task_id, adr_id)',

  `CREATE TABLE adr_relations (
    from_adr_id TEXT NOT NULL REFERENCES architecture_decisions (id) ON DELETE CASCADE,
    to_adr_id TEXT NOT NULL REFERENCES architecture_decisions (id) ON DELETE CASCADE,
    relation_type TEXT NOT NULL CHECK (relation_type IN ('supersedes', 'amends', 'related')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (from_adr_id, to_adr_id, relation_type),
    CHECK (from_adr_id <> to_adr_id)
  ) STRICT, WITHOUT ROWID`,
  'CREATE INDEX adr_relations_to_idx ON adr_relations (to_adr_id, relation_type)',
  // The pointer columns hold one value: an ADR supersedes at most one, is superseded
  // by at most one, and amends at most one.
  `CREATE UNIQUE INDEX adr_relations_supersedes_from_idx ON adr_relations (from_adr_id) WHERE relation_type = 'supersedes'`,
  `CREATE UNIQUE INDEX adr_relations_supersedes_to_idx ON adr_relations (to_adr_id) WHERE relation_type = 'supersedes'`,
  `CREATE UNIQUE INDEX adr_relations_amends_from_idx ON adr_relations (from_adr_id) WHERE relation_type = 'amends'`,

  `CREATE TRIGGER adr_relations_supersedes_insert AFTER INSERT ON adr_relations
    WHEN NEW.relation_type = 'supersedes'
    BEGIN
      UPDATE architecture_decisions SET supersedes_id = NEW.to_adr_id WHERE id = NEW.from_adr_id;
      UPDATE architecture_decisions SET superseded_by_id = NEW.from_adr_id, status = 'superseded' WHERE id = NEW.to_adr_id;
    END`,
  `CREATE TRIGGER adr_relations_supersedes_delete AFTER DELETE ON adr_relations
    WHEN OLD.relation_type = 'supersedes'
    BEGIN
      UPDATE architecture_decisions SET supersedes_id = NULL WHERE id = OLD.from_adr_id AND supersedes_id = OLD.to_adr_id;
      UPDATE architecture_decisions
        SET superseded_by_id = NULL,
            status = CASE WHEN status = 'superseded' THEN 'accepted' ELSE status END
        WHERE id = OLD.to_adr_id AND superseded_by_id = OLD.from_adr_id;
    END`,
  `CREATE TRIGGER adr_relations_amends_insert AFTER INSERT ON adr_relations
    WHEN NEW.relation_type = 'amends'
    BEGIN
      UPDATE architecture_decisions SET amends_id = NEW.to_adr_id WHERE id = NEW.from_adr_id;
    END`,
  `CREATE TRIGGER adr_relations_amends_delete AFTER DELETE ON adr_relations
    WHEN OLD.relation_type = 'amends'
    BEGIN
      UPDATE architecture_decisions SET amends_id = NULL WHERE id = OLD.from_adr_id AND amends_id = OLD.to_adr_id;
    END`,
  // 'related' is symmetric: the mirror row comes and goes with the row.
  `CREATE TRIGGER adr_relations_related_insert AFTER INSERT ON adr_relations
    WHEN NEW.relation_type = 'related'
    BEGIN
      INSERT OR IGNORE INTO adr_relations (from_adr_id, to_adr_id, relation_type, created_at)
        VALUES (NEW.to_adr_id, NEW.from_adr_id, 'related', NEW.created_at);
    END`,
  `CREATE TRIGGER adr_relations_related_delete AFTER DELETE ON adr_relations
    WHEN OLD.relation_type = 'related'
    BEGIN
      DELETE FROM adr_relations
        WHERE from_adr_id = OLD.to_adr_id AND to_adr_id = OLD.from_adr_id AND relation_type = 'related';
    END`,
  // The pointer columns are derived: setting one that adr_relations does not back is
  // refused, so they can never disagree. The triggers above pass this guard because
  // they run after the relation row is written (and clearing a pointer is allowed).
  `CREATE TRIGGER architecture_decisions_pointers_guard BEFORE UPDATE OF supersedes_id, superseded_by_id, amends_id
    ON architecture_decisions
    WHEN (NEW.supersedes_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM adr_relations
            WHERE from_adr_id = NEW.id AND to_adr_id = NEW.supersedes_id AND relation_type = 'supersedes'))
      OR (NEW.superseded_by_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM adr_relations
            WHERE from_adr_id = NEW.superseded_by_id AND to_adr_id = NEW.id AND relation_type = 'supersedes'))
      OR (NEW.amends_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM adr_relations
            WHERE from_adr_id = NEW.id AND to_adr_id = NEW.amends_id AND relation_type = 'amends'))
    BEGIN
      SELECT RAISE(ABORT, 'architecture_decisions: supersedes_id, superseded_by_id and amends_id follow adr_relations; change the relation instead');
    END`,
]

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db)
}
