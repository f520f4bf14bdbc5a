/**
 * The plain kdf types the root module exposes (`src/kdf/kdf.types.ts`) equal what their zod
 * schemas accept or return, in both directions: `npm run typecheck` (tsc -p .) fails
 * on a field that differs. Nothing here runs.
 */
import { expectTypeOf } from 'vitest'
import type { z } from 'zod'

import type * as Types from '../../src/kdf/kdf.types.js'
import type { DeriveApiKeyInput } from '../../src/kdf/kdf.schemas.js'

expectTypeOf<Types.DeriveApiKeyInput>().toEqualTypeOf<z.input<typeof DeriveApiKeyInput>>()
