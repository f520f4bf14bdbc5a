/**
 * tasks.db 0005: architecture decision records, their task links and their
 * relations. Frozen once released: add a new migration instead.
 *
 * `adr_relations` is the source of truth; triggers keep the pointer columns of
 * `architecture_decisions` (`supersedes_id`, `superseded_by_id`, `amends_id`) and
 * the mirror row of a symmetric `related` relation in step with it, both ways, so
 * the two views cannot disagree — whoever writes.
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
