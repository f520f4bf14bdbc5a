/** Shared setup of the signaldock suites. */
import { manualClock } from '../../src/sqlite/clock.js'
import type { SignaldockRepositoryOptions } from '../../src/signaldock/signaldock-repository.js'
import { SignaldockRepository } from '../../src/signaldock/signaldock-repository.js'

/** 2026-01-01T00:00:00Z */
export const T0 = Date.UTC(2026, 0, 1)

/** A fresh in-memory signaldock.db with a manual clock at {@link T0}. */
export async function openSignaldock(options: SignaldockRepositoryOptions = {}) {
  const clock = manualClock(T0)
  const repo = await SignaldockRepository.open(':memory:', { clock, ...options })
  return { repo, clock }
}
