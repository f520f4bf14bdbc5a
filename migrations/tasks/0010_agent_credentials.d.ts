/**
 * tasks.db 0010: `agent_credentials`, the project's local cache of signaldock
 * agent identity and of the agent's **sealed** API key (AES-256-GCM text from
 * `CredentialCipher.seal`; never the key, never a derived key). signaldock.db is
 * the source of truth: registration writes it first, then this cache.
 *
 * Frozen once released: add a new migration instead.
 */
import type { Kysely } from 'kysely';
export declare function up(db: Kysely<any>): Promise<void>;
