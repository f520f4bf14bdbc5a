/**
 * The plain workspace types the root module exposes (`src/workspace/backup.types.ts`) equal what their zod
 * schemas accept or return, in both directions: `npm run typecheck` (tsc -p .) fails
 * on a field that differs. Nothing here runs.
 */
import { expectTypeOf } from 'vitest'
import type { z } from 'zod'

import type * as Types from '../../src/workspace/backup.types.js'
import type { WorkspaceBackupKeySchema, WorkspaceBackupManifestSchema, WorkspaceBackupStoreSchema } from '../../src/workspace/backup.schemas.js'

expectTypeOf<Types.WorkspaceBackupStore>().toEqualTypeOf<z.output<typeof WorkspaceBackupStoreSchema>>()
expectTypeOf<Types.WorkspaceBackupKey>().toEqualTypeOf<z.output<typeof WorkspaceBackupKeySchema>>()
expectTypeOf<Types.WorkspaceBackupManifest>().toEqualTypeOf<z.output<typeof WorkspaceBackupManifestSchema>>()
