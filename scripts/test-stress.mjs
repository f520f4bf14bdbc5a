#!/usr/bin/env node
/**
 * npm run test:stress — runs the vitest suite while a CPU-heavy load runs beside it.
 *
 * Starts N busy-loop child processes (N = CLEO_STRESS_LOAD, default: the number of
 * cores), runs `vitest run` with the arguments given after `--`, stops the load when
 * vitest ends, and prints one summary line: the verdict, the test counts, the duration
 * and the load average seen during the run. Exits with vitest's exit code.
 *
 *   npm run test:stress                         # whole suite, load = cores
 *   CLEO_STRESS_LOAD=6 npm run test:stress -- test/conduit
 *
 * The busy loops check every so often that this script is still alive and exit when
 * it is gone, so they never outlive a killed run.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const cores = availableParallelism()
const load = Number(process.env.CLEO_STRESS_LOAD ?? cores)
if (!Number.isInteger(load) || load < 0) {
  console.error(`CLEO_STRESS_LOAD must be a non-negative integer (got ${process.env.CLEO_STRESS_LOAD})`)
  process.exit(2)
}

const busyLoop = `const parent = ${process.pid}
for (let i = 0; ; i++) {
  if ((i & 0x3ffffff) === 0) { try { process.kill(parent, 0) } catch { process.exit(0) } }
}`
const burners = Array.from({ length: load }, () => spawn(process.execPath, ['-e', busyLoop], { stdio: 'ignore' }))
const stopLoad = () => {
  for (const burner of burners) if (burner.exitCode === null && burner.signalCode === null) burner.kill('SIGKILL')
}
process.on('exit', stopLoad)

const samples = []
const sample = () => samples.push(loadavg()[0])
sample()
const sampler = setInterval(sample, 5_000)

const out = mkdtempSync(join(tmpdir(), 'cleo-stress-'))
const report = join(out, 'vitest.json')
const started = Date.now()
const vitest = spawn(
  process.execPath,
  [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
)
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    vitest.kill(signal)
    stopLoad()
  })
}
vitest.on('exit', (code, signal) => {
  clearInterval(sampler)
  sample()
  stopLoad()
  const seconds = Math.round((Date.now() - started) / 1000)
  let counts = 'no report'
  try {
    const r = JSON.parse(readFileSync(report, 'utf8'))
    counts = `${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped of ${r.numTotalTests} tests in ${r.testResults.length} files`
  } catch {}
  rmSync(out, { recursive: true, force: true })
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length
  const verdict = code === 0 ? 'GREEN' : `RED (exit ${code ?? signal})`
  console.log(
    `\ntest:stress ${verdict}: ${counts}; ${seconds} s; extra load ${load} busy processes on ${cores} cores; ` +
      `load average (1 min) mean ${mean.toFixed(1)}, max ${Math.max(...samples).toFixed(1)}`,
  )
  process.exit(code ?? 1)
})
