/** nexus.db 0001: the store's meta table. Frozen once released: add a new migration instead. */
import type { Kysely } from 'kysely'

import { createSchemaMetaV1 } from '../_frozen/schema-meta-v1.js'

export async function up(db: Kysely<any>): Promise<void> {
  await createSchemaMetaV1(db, 'nexus_schema_meta', 'nexus')
}
