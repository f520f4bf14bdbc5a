/**
 * telemetry.db 0002: telemetry events. Frozen once released: add a new migration instead.
 *
 * An event holds what ran and how it ended — never arguments, paths or content. The
 * CHECKs repeat the input schema's character classes, so even a write that bypasses the
 * repository cannot store a path or free text in the identifier columns.
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
