/**
 * tasks.db 0003: the RCASD-IVTR+C lifecycle — pipelines, their ten stages, gate
 * results, evidence, stage transitions — and the manifests and release manifests.
 * Frozen once released: add a new migration instead.
 *
 * Fixes over CLEO: one *active* pipeline per task (partial UNIQUE); one row per
 * (pipeline, stage) and the stage's sequence tied to its name by a CHECK, so the
 * order of the ten stages lives in the schema; `current_stage` always holds a
 * stage *name* (CLEO stored a name in one writer and an id in the other); every
 * enum is a CHECK; gate results are appended (CLEO upserted, keeping only the last).
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
