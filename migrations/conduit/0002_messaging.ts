/**
 * conduit.db 0002: conversations, their participants, messages, per-recipient state,
 * durable inbox cursors, pins, and the message FTS5 index with its triggers.
 * Frozen once released: add a new migration instead.
 *
 * - Participants are stored one way only: rows of `conversation_participants`
 *   (read back sorted by the primary key). A direct conversation also carries
 *   `direct_key`, the canonical JSON of its sorted pair, under a UNIQUE constraint so
 *   one pair can never get two direct conversations, whatever the concurrency.
 * - `messages.seq` (AUTOINCREMENT, never reused) is the FTS rowid and the inbox
 *   cursor position.
 * - `messages_fts` is an external-content FTS5 table kept current by triggers; it is
 *   created here and never rebuilt when the store opens.
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

const STATEMENTS = [
  `CREATE TABLE conversations (
    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 128),
    kind TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
    direct_key TEXT UNIQUE,
    name TEXT UNIQUE CHECK (name IS NULL OR length(name) BETWEEN 1 AND 128),
    title TEXT CHECK (title IS NULL OR length(title) <= 512),
    visibility TEXT NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'public', 'shared')),
    created_by TEXT NOT NULL CHECK (length(created_by) BETWEEN 1 AND 128),
    message_count INTEGER NOT NULL DEFAULT 0 CHECK (message_count >= 0),
    last_message_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK ((kind = 'direct') = (direct_key IS NOT NULL)),
    CHECK (kind = 'group' OR name IS NULL)
  ) STRICT`,

  `CREATE TABLE conversation_participants (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    agent_id TEXT NOT NULL CHECK (length(agent_id) BETWEEN 1 AND 128),
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, agent_id)
  ) STRICT, WITHOUT ROWID`,
  `CREATE INDEX conversation_participants_agent ON conversation_participants (agent_id, conversation_id)`,

  `CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE CHECK (length(id) BETWEEN 1 AND 128),
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    from_agent_id TEXT NOT NULL CHECK (length(from_agent_id) BETWEEN 1 AND 128),
    content TEXT NOT NULL,
    content_type TEXT NOT NULL DEFAULT 'text'
      CHECK (content_type IN ('text', 'markdown', 'json', 'image', 'file', 'video', 'audio', 'link', 'rich_text', 'mixed')),
    reply_to TEXT REFERENCES messages (id) ON DELETE SET NULL,
    idempotency_key TEXT CHECK (idempotency_key IS NULL OR length(idempotency_key) BETWEEN 1 AND 256),
    metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata) AND json_type(metadata) = 'object'),
    created_at INTEGER NOT NULL
  ) STRICT`,
  `CREATE INDEX messages_conversation ON messages (conversation_id, seq)`,
  `CREATE INDEX messages_reply_to ON messages (reply_to) WHERE reply_to IS NOT NULL`,
  `CREATE UNIQUE INDEX messages_idempotency ON messages (from_agent_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,

  `CREATE TABLE message_recipients (
    agent_id TEXT NOT NULL CHECK (length(agent_id) BETWEEN 1 AND 128),
    message_seq INTEGER NOT NULL REFERENCES messages (seq) ON DELETE CASCADE,
    delivered_at INTEGER,
    read_at INTEGER,
    acked_at INTEGER,
    PRIMARY KEY (agent_id, message_seq),
    CHECK (read_at IS NULL OR delivered_at IS NOT NULL),
    CHECK (acked_at IS NULL OR delivered_at IS NOT NULL)
  ) STRICT, WITHOUT ROWID`,
  `CREATE INDEX message_recipients_message ON message_recipients (message_seq)`,
  `CREATE INDEX message_recipients_unread ON message_recipients (agent_id, message_seq) WHERE read_at IS NULL`,

  `CREATE TABLE inbox_cursors (
    agent_id TEXT NOT NULL CHECK (length(agent_id) BETWEEN 1 AND 128),
    consumer TEXT NOT NULL CHECK (length(consumer) BETWEEN 1 AND 128),
    position INTEGER NOT NULL CHECK (position >= 0),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (agent_id, consumer)
  ) STRICT, WITHOUT ROWID`,

  `CREATE TABLE message_pins (
    message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    pinned_by TEXT NOT NULL CHECK (length(pinned_by) BETWEEN 1 AND 128),
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    note TEXT CHECK (note IS NULL OR length(note) <= 2000),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (message_id, pinned_by)
  ) STRICT, WITHOUT ROWID`,
  `CREATE INDEX message_pins_conversation ON message_pins (conversation_id, created_at)`,
  `CREATE INDEX message_pins_pinned_by ON message_pins (pinned_by, created_at)`,

  `CREATE VIRTUAL TABLE messages_fts USING fts5(
    content,
    content = 'messages',
    content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2'
  )`,
  `CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.seq, new.content);
  END`,
  `CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.seq, old.content);
  END`,
  `CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.seq, old.content);
    INSERT INTO messages_fts (rowid, content) VALUES (new.seq, new.content);
  END`,
]

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db)
}
