/**
 * The frozen migrations of nexus.db, by name (applied in name order). A static map,
 * so the bundle needs no folder reads at run time. Append new files; never edit one
 * that was released.
 */
import type { Migration } from 'kysely/migration';
export declare const nexusMigrations: Readonly<Record<string, Migration>>;
