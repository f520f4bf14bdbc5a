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

async function startServer(): Promise<{ url: string; dir: string } | { reason: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('bash', [resolve(REPO_ROOT, 'scripts/test-postgres.sh'), 'start'], {
      cwd: REPO_ROOT,
      timeout: 300_000,
    })
    const url = /^export CLEO_TEST_PG_URL=(\S+)$/m.exec(stdout)?.[1]
    const dir = /^export CLEO_TEST_PG_DIR=(\S+)$/m.exec(stdout)?.[1]
    if (url && dir) return { url, dir }
    return { reason: `scripts/test-postgres.sh start gave no server: ${(stdout + stderr).trim().replace(/\s+/g, ' ')}` }
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

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let url = process.env['CLEO_TEST_PG_URL'] || undefined
  let startedDir: string | undefined
  if (url === undefined) {
    const started = await startServer()
    if ('reason' in started) {
      console.warn(`[cleo-store] PostgreSQL leg skipped: ${started.reason}`)
      project.provide('cleoPostgres', { url: null, reason: started.reason })
      return async () => {}
    }
    url = started.url
    startedDir = started.dir
  }
  const database = `cleo_run_${process.pid}_${randomBytes(4).toString('hex')}`
  try {
    await withClient(url, async (client) => {
      try {
        await client.query(`CREATE DATABASE ${database} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`)
      } catch {
        await client.query(`CREATE DATABASE ${database}`)
      }
    })
  } catch (error) {
    const reason = `cannot create a test database on ${new URL(url).host}: ${(error as Error).message}`
    console.warn(`[cleo-store] PostgreSQL leg skipped: ${reason}`)
    project.provide('cleoPostgres', { url: null, reason })
    if (startedDir) await execFileAsync('bash', [resolve(REPO_ROOT, 'scripts/test-postgres.sh'), 'stop', startedDir])
    return async () => {}
  }
  project.provide('cleoPostgres', { url: withDatabase(url, database), reason: null })
  const serverUrl = url
  return async () => {
    // A server of our own goes with its data; on a given server, only the run's database.
    if (startedDir) await execFileAsync('bash', [resolve(REPO_ROOT, 'scripts/test-postgres.sh'), 'stop', startedDir])
    else await withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`))
  }
}
