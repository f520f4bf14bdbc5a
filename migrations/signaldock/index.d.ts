/**
 * The frozen migrations of signaldock.db, by name (applied in name order). A static map,
 * so the bundle needs no folder reads at run time. Append new files; never edit one
 * that was released.
 */
import type { Migration } from 'kysely/migration';
/**
 * The same map serves SQLite and PostgreSQL: a migration branches on the dialect
 * where it must (see dialect.ts), never changing what it emits on SQLite.
 */
export declare const signaldockMigrations: Readonly<Record<string, Migration>>;
