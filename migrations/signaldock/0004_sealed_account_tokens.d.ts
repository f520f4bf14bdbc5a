/**
 * signaldock.db 0004: OAuth tokens of `accounts` are sealed at rest (issue 14).
 *
 * Schema only: a `tokens_sealed` flag (0 = the row's `access_token`, `refresh_token`
 * and `id_token` are plaintext as written by an older version; 1 = they are sealed
 * by the credential cipher, bound to the row's id and the field name). Existing rows
 * get 0. A migration cannot seal them itself: sealing needs the key files of the
 * machine (or the cipher the caller passes), which migrations never read — their SQL
 * must be deterministic (its checksum is verified on every open). The repository
 * seals the rows still flagged 0 right after opening, in one transaction, idempotently
 * (see `sealLegacyAccountTokens`).
 *
 * A partial index on the rows still flagged 0 lets that check, made on every open,
 * find them without scanning the table.
 *
 * Portable: the same statements on SQLite and PostgreSQL (an integer boolean with a
 * named CHECK, as in 0002; partial indexes exist on both). Frozen once released.
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
