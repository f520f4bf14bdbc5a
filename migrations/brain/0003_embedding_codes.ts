/**
 * brain.db 0003: binary codes of the stored vectors, for pre-selection in vector
 * search at scale (issue 19 item 7). Frozen once released: add a new migration instead.
 *
 * One row per vector of the run-time vec0 table `brain_embeddings` (same memory
 * key): `code` is the vector's sign pattern after a fixed, seeded random rotation
 * (a blob of whole bytes; its length follows the embedding dimension, which is why
 * it is a plain BLOB here). A kNN search above the exact-search size ranks the codes
 * by Hamming distance (`vec_distance_hamming`, one pass over ~64 bytes per entry)
 * and re-ranks the best candidates by exact cosine distance. The rows are written by
 * the repository next to each vector; a store opened before this migration gets its
 * codes computed from its stored vectors on the first open that has sqlite-vec.
 */
import type { Kysely } from 'kysely'
import { sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE brain_embedding_codes (
    memory_key INTEGER PRIMARY KEY,
    code BLOB NOT NULL CHECK (length(code) > 0)
  ) STRICT`.execute(db)
}
