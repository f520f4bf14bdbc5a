/**
 * Shared setup of the signaldock suites, which are contract suites: written once,
 * run on every engine — SQLite always, PostgreSQL when the run has a server (see
 * test/postgres/global-setup.ts). Without a server the PostgreSQL leg is simply not
 * registered; the global setup printed why.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'

import { dropSchemasAfterEach, freshSchema, POSTGRES_SKIP_REASON, POSTGRES_URL } from '../postgres/pg-test-schemas.js'

import { CredentialCipher } from '../../src/kdf/credential-cipher.js'
import type { SignaldockRepositoryOptions } from '../../src/signaldock/signaldock-repository.js'
import { SignaldockRepository } from '../../src/signaldock/signaldock-repository.js'
import type { Clock } from '../../src/sqlite/clock.js'
import { manualClock } from '../../src/sqlite/clock.js'
import { tempDir } from '../helpers.js'

/** 2026-01-01T00:00:00Z */
export const T0 = Date.UTC(2026, 0, 1)

/** Where a signaldock store lives, as JSON a child process can be given. */
export type SignaldockTarget = { readonly sqlite: string } | { readonly postgres: string; readonly schema: string }

/** Options every engine understands. */
export interface EngineOpenOptions {
  readonly clock?: Clock
  readonly busyTimeoutMs?: number
}

/** One engine of the contract suites. */
export interface SignaldockEngine {
  readonly name: 'sqlite' | 'postgres'
  /** A fresh, empty store (in memory / in a new schema), with a manual clock at {@link T0}; closed after the test. */
  open(options?: EngineOpenOptions): Promise<{ repo: SignaldockRepository; clock: ReturnType<typeof manualClock> }>
  /** A fresh location several processes can share. */
  target(): SignaldockTarget
}

const opened: SignaldockRepository[] = []
dropSchemasAfterEach(() => Promise.allSettled(opened.splice(0).map((repo) => repo.close())))

/** Key material shared by every "host" of the PostgreSQL tests. */
export const SHARED_TEST_CIPHER = CredentialCipher.fromKeyMaterial({ machineKey: randomBytes(32), globalSalt: randomBytes(32) })

/** Opens `target`; the repository is closed after the test. */
export async function openTarget(target: SignaldockTarget, options: SignaldockRepositoryOptions = {}): Promise<SignaldockRepository> {
  const repo =
    'sqlite' in target
      ? await SignaldockRepository.open(target.sqlite, options)
      : await SignaldockRepository.openPostgres(target.postgres, {
          schema: target.schema,
          ...(options.clock === undefined ? {} : { clock: options.clock }),
          ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
          // The cloud tier's cipher: key material every host shares (here: one per test process).
          credentialCipher: options.credentialCipher ?? SHARED_TEST_CIPHER,
        })
  opened.push(repo)
  return repo
}

export { freshSchema, POSTGRES_SKIP_REASON, POSTGRES_URL }

const sqliteEngine: SignaldockEngine = {
  name: 'sqlite',
  async open(options = {}) {
    const clock = manualClock(T0)
    const repo = await openTarget({ sqlite: ':memory:' }, { clock, ...options })
    return { repo, clock }
  },
  target: () => ({ sqlite: join(tempDir(), 'signaldock.db') }),
}

function postgresEngine(url: string): SignaldockEngine {
  return {
    name: 'postgres',
    async open(options = {}) {
      const clock = manualClock(T0)
      const repo = await openTarget({ postgres: url, schema: freshSchema() }, { clock, ...options })
      return { repo, clock }
    },
    target: () => ({ postgres: url, schema: freshSchema('shared') }),
  }
}

/** The engines of this run: SQLite, and PostgreSQL when a server is available. */
export const ENGINES: readonly SignaldockEngine[] = POSTGRES_URL === null ? [sqliteEngine] : [sqliteEngine, postgresEngine(POSTGRES_URL)]

/** The PostgreSQL engine of this run, or null. */
export const POSTGRES_ENGINE: SignaldockEngine | null = ENGINES.find((engine) => engine.name === 'postgres') ?? null

/** `openSignaldock()` of the SQLite-only suites: a fresh in-memory store. */
export function openSignaldock(options: EngineOpenOptions = {}) {
  return sqliteEngine.open(options)
}
