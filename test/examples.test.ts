/**
 * Issue 17 item 9: every program in examples/ runs in the test suite, each in a child
 * process (the repository's Node + tsx; `cleo-store` resolves to src/ through the
 * tsconfig paths) against a temporary directory: its argument, TMPDIR and CLEO_HOME
 * all point inside it, so nothing is written elsewhere. A new example is picked up
 * by itself (the folder is listed, not a fixed list).
 */
import { execFile } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

import { describe, expect, inject, it } from 'vitest'

import { REPO_ROOT, tempDir } from './helpers.js'

const run = promisify(execFile)
const EXAMPLES = readdirSync(join(REPO_ROOT, 'examples'))
  .filter((name) => name.endsWith('.ts'))
  .sort()

describe('examples', () => {
  it('lists the examples folder', () => {
    expect(EXAMPLES).toContain('daemon-store.ts')
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(8)
  })

  it.each(EXAMPLES)('%s runs to completion against a temporary directory', { timeout: 120_000 }, async (name) => {
    const dir = tempDir(`cleo-example-${name.replace(/\.ts$/, '')}-`)
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: dir, CLEO_HOME: join(dir, 'cleo-home') }
    const pg = inject('cleoPostgres')
    if ((name === 'signaldock-postgres.ts' || name === 'fleet-on-postgres.ts') && pg?.url) env['CLEO_PG_URL'] = pg.url
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'examples', name), dir], {
      cwd: REPO_ROOT,
      env,
      timeout: 110_000,
      maxBuffer: 16 * 1024 * 1024,
    })
    expect(stdout.length).toBeGreaterThan(0)
    // With the run's server the PostgreSQL examples really ran (they only say what they need without one).
    if (env['CLEO_PG_URL'] !== undefined) expect(stdout).not.toContain('set CLEO_PG_URL')
  })
})
