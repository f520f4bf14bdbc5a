/**
 * conduit.db 0003: versioned, content-addressed attachments.
 * Frozen once released: add a new migration instead.
 *
 * - `attachment_blobs` holds each distinct content once, keyed by its SHA-256 (hex).
 * - `attachment_versions` points every version at a blob; version 1 is the only
 *   `initial` one.
 * - `attachment_approvals`: one row per (attachment, reviewer), naming the version
 *   reviewed (a composite foreign key: the version must exist).
 * - `attachment_contributors`: the per-agent roll-up, kept in the same transaction
 *   as each version.
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

const STATEMENTS = [
  `CREATE TABLE attachment_blobs (
    hash TEXT PRIMARY KEY NOT NULL CHECK (length(hash) = 64 AND hash NOT GLOB '*[^0-9a-f]*'),
    content BLOB NOT NULL,
    size INTEGER NOT NULL CHECK (size = length(content)),
    created_at INTEGER NOT NULL
  ) STRICT`,

  `CREATE TABLE attachments (
    slug TEXT PRIMARY KEY NOT NULL CHECK (length(slug) BETWEEN 1 AND 128),
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    from_agent_id TEXT NOT NULL CHECK (length(from_agent_id) BETWEEN 1 AND 128),
    title TEXT CHECK (title IS NULL OR length(title) <= 512),
    format TEXT NOT NULL DEFAULT 'text' CHECK (format IN ('text', 'markdown', 'json', 'yaml', 'code', 'binary')),
    mode TEXT NOT NULL DEFAULT 'draft' CHECK (mode IN ('draft', 'review', 'locked', 'archived')),
    current_version INTEGER NOT NULL DEFAULT 1 CHECK (current_version >= 1),
    expires_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT`,
  `CREATE INDEX attachments_conversation ON attachments (conversation_id, created_at)`,
  `CREATE INDEX attachments_expiry ON attachments (expires_at) WHERE expires_at IS NOT NULL`,

  `CREATE TABLE attachment_versions (
    slug TEXT NOT NULL REFERENCES attachments (slug) ON DELETE CASCADE,
    version_number INTEGER NOT NULL CHECK (version_number >= 1),
    author_agent_id TEXT NOT NULL CHECK (length(author_agent_id) BETWEEN 1 AND 128),
    change_type TEXT NOT NULL CHECK (change_type IN ('initial', 'patch', 'full_replace')),
    content_hash TEXT NOT NULL REFERENCES attachment_blobs (hash) ON DELETE RESTRICT,
    patch_text TEXT,
    change_summary TEXT CHECK (change_summary IS NULL OR length(change_summary) <= 2000),
    sections_modified TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(sections_modified) AND json_type(sections_modified) = 'array'),
    tokens_added INTEGER NOT NULL DEFAULT 0 CHECK (tokens_added >= 0),
    tokens_removed INTEGER NOT NULL DEFAULT 0 CHECK (tokens_removed >= 0),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (slug, version_number),
    CHECK ((change_type = 'initial') = (version_number = 1))
  ) STRICT, WITHOUT ROWID`,
  `CREATE INDEX attachment_versions_hash ON attachment_versions (content_hash)`,

  `CREATE TABLE attachment_approvals (
    slug TEXT NOT NULL REFERENCES attachments (slug) ON DELETE CASCADE,
    reviewer_agent_id TEXT NOT NULL CHECK (length(reviewer_agent_id) BETWEEN 1 AND 128),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    comment TEXT CHECK (comment IS NULL OR length(comment) <= 4000),
    version_reviewed INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (slug, reviewer_agent_id),
    FOREIGN KEY (slug, version_reviewed) REFERENCES attachment_versions (slug, version_number) ON DELETE CASCADE
  ) STRICT, WITHOUT ROWID`,

  `CREATE TABLE attachment_contributors (
    slug TEXT NOT NULL REFERENCES attachments (slug) ON DELETE CASCADE,
    agent_id TEXT NOT NULL CHECK (length(agent_id) BETWEEN 1 AND 128),
    version_count INTEGER NOT NULL DEFAULT 0 CHECK (version_count >= 0),
    total_tokens_added INTEGER NOT NULL DEFAULT 0 CHECK (total_tokens_added >= 0),
    total_tokens_removed INTEGER NOT NULL DEFAULT 0 CHECK (total_tokens_removed >= 0),
    first_contribution_at INTEGER NOT NULL,
    last_contribution_at INTEGER NOT NULL,
    PRIMARY KEY (slug, agent_id)
  ) STRICT, WITHOUT ROWID`,
]

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db)
}
