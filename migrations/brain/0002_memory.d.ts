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
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
