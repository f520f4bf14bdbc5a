/**
 * The JSON-lines event log that the queue worker fixtures append to, read while
 * they are still writing. Internal to the tests.
 *
 * @module
 */
import { readFileSync } from 'node:fs'

/**
 * The events of a log, one JSON object per line. Only complete lines count: a
 * worker appends each event with one `write`, but a reader may see part of it, so
 * text after the last newline is left for the next read.
 */
export function readEventLog<T>(file: string): T[] {
  const text = readFileSync(file, 'utf8')
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T)
}
