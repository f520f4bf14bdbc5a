/**
 * Identifier helpers. Rows that need a globally unique id get a UUIDv7
 * (RFC 9562): time-ordered, so they sort by creation and index well.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'

import type { Clock } from './clock.js'
import { systemClock } from './clock.js'

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/**
 * Creates a UUIDv7 generator bound to a clock. Ids from one generator are strictly
 * increasing, even within one millisecond or when the clock steps back
 * (the 12-bit `rand_a` field is used as a counter, RFC 9562 §6.2 method 1).
 *
 * @example
 * ```ts
 * const nextId = uuidv7Generator()
 * nextId() // '0193f1c2-7a4e-7000-8c1d-…'
 * ```
 */
export function uuidv7Generator(clock: Clock = systemClock): () => string {
  let lastMs = -1
  let counter = 0
  return () => {
    let ms = Math.max(Math.floor(clock()), 0)
    if (ms <= lastMs) {
      counter++
      if (counter > 0xfff) {
        // Counter exhausted: borrow the next millisecond.
        lastMs++
        counter = 0
      }
      ms = lastMs
    } else {
      lastMs = ms
      counter = randomBytes(1)[0]! & 0x3f // leave room to count up
    }
    const bytes = randomBytes(16)
    bytes[0] = Math.floor(ms / 2 ** 40) & 0xff
    bytes[1] = Math.floor(ms / 2 ** 32) & 0xff
    bytes[2] = (ms >>> 24) & 0xff
    bytes[3] = (ms >>> 16) & 0xff
    bytes[4] = (ms >>> 8) & 0xff
    bytes[5] = ms & 0xff
    bytes[6] = 0x70 | ((counter >>> 8) & 0x0f)
    bytes[7] = counter & 0xff
    bytes[8] = (bytes[8]! & 0x3f) | 0x80
    let out = ''
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) out += '-'
      out += HEX[bytes[i]!]
    }
    return out
  }
}

/** The epoch-millisecond timestamp embedded in a UUIDv7. */
export function uuidv7Time(id: string): number {
  const hex = id.replace(/-/g, '').slice(0, 12)
  return Number.parseInt(hex, 16)
}
