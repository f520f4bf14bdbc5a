/**
 * FROZEN — never edit this file: applied migrations import it, and their checksums
 * cover the SQL it emits. A different meta table shape needs a new helper file.
 *
 * Creates a store's key/value meta table (STRICT, epoch-ms `updated_at`) and seeds
 * the `store` key.
 */
import type { Kysely } from 'kysely';
export declare function createSchemaMetaV1(db: Kysely<any>, table: string, store: string): Promise<void>;
