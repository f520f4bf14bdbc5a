/**
 * vitest globalSetup (unit project): a PostgreSQL server for the PostgreSQL leg of
 * the contract suites, once per run.
 *
 * - `CLEO_TEST_PG_URL` set: that server is used. Otherwise `scripts/test-postgres.sh
 *   start` starts a throw-away server on loopback (installing Debian's postgresql
 *   package when missing and running as root) and it is stopped afterwards.
 * - Either way the run gets its own database (`cleo_run_<pid>_<random>`, dropped at
 *   the end), created with an ICU `en-US` default collation when the server has ICU,
 *   so ordering bugs that a `C` locale would hide show up. Each test then opens its
 *   store in a schema of its own.
 * - When no server can be had, the tests see `url: null` and a reason, which is
 *   printed here: the PostgreSQL leg is then not registered (the only skip).
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { resolve } from 'node:path'
import { promisify } from 'node:util'

import pg from 'pg'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    cleoPostgres: { url: string | null; reason: string | null }
  }
}

const execFileAsync = promisify(execFile)
const REPO_ROOT = resolve(import.meta.dirname, '../..')

/** Starts a server; a second and third try cover a port another run took meanwhile. */
async function startServer(): Promise<{ url: string; dir: string } | { reason: string }> {
  let last: { reason: string } = { reason: 'not tried' }
  for (let attempt = 1; attempt <= 3; attempt++) {
    const started = await startServerOnce()
    if (!('reason' in started)) return started
    last = started
  }
  return last
}

async function startServerOnce(): Promise<{ url: string; dir: string } | { reason: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('bash', [resolve(REPO_ROOT, 'scripts/test-postgres.sh'), 'start'], {
      cwd: REPO_ROOT,
      timeout: 300_000,
    })
    const url = /^export CLEO_TEST_PG_URL=(\S+)$/m.exec(stdout)?.[1]
    const dir = /^export CLEO_TEST_PG_DIR=(\S+)$/m.exec(stdout)?.[1]
    if (url && dir) return { url, dir }
    // The script speaks shell (it is meant for eval): `echo 'why' >&2`.
    const why = /^echo '(.*)' >&2$/m.exec(stdout)?.[1] ?? (stdout + stderr).trim().replace(/\s+/g, ' ')
    return { reason: `scripts/test-postgres.sh start gave no server: ${why}` }
  } catch (error) {
    return { reason: `scripts/test-postgres.sh start failed: ${String((error as Error).message).trim().split('\n')[0]}` }
  }
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

/** Creates the run's database on the server of `url`; returns its URL. */
async function createRunDatabase(url: string, database: string): Promise<string> {
  await withClient(url, async (client) => {
    try {
      await client.query(`CREATE DATABASE ${database} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`)
    } catch {
      await client.query(`CREATE DATABASE ${database}`)
    }
  })
  return withDatabase(url, database)
}

function skip(project: TestProject, reasons: string[]): () => Promise<void> {
  const reason = reasons.join('; ')
  console.warn(`[cleo-store] PostgreSQL leg skipped: ${reason}`)
  project.provide('cleoPostgres', { url: null, reason })
  return async () => {}
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const database = `cleo_run_${process.pid}_${randomBytes(4).toString('hex')}`
  const reasons: string[] = []
  const given = process.env['CLEO_TEST_PG_URL'] || undefined
  if (given !== undefined) {
    try {
      project.provide('cleoPostgres', { url: await createRunDatabase(given, database), reason: null })
      return async () => {
        await withClient(given, (client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`))
      }
    } catch (error) {
      reasons.push(`CLEO_TEST_PG_URL is unusable (${(error as Error).message})`)
      console.warn(`[cleo-store] ${reasons[0]}; starting a throw-away server instead`)
    }
  }
  const started = await startServer()
  if ('reason' in started) return skip(project, [...reasons, started.reason])
  const stop = () => execFileAsync('bash', [resolve(REPO_ROOT, 'scripts/test-postgres.sh'), 'stop', started.dir]).then(() => {})
  try {
    project.provide('cleoPostgres', { url: await createRunDatabase(started.url, database), reason: null })
  } catch (error) {
    await stop()
    return skip(project, [...reasons, `cannot create a test database: ${(error as Error).message}`])
  }
  // The server goes with its data directory.
  return stop
}
