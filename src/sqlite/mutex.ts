/**
 * A FIFO async mutex with a synchronous fast path. node:sqlite is synchronous, so a
 * transaction whose body is synchronous cannot interleave with other work; the
 * mutex only matters when an asynchronous transaction (Kysely's, the migrator's)
 * holds the connection across `await`s. Uncontended acquisition costs one branch.
 *
 * @module
 */
export class Mutex {
  #locked = false
  readonly #waiters: Array<() => void> = []

  /** True while someone holds the lock. */
  get locked(): boolean {
    return this.#locked
  }

  /** Takes the lock if it is free and returns true; never waits. */
  tryAcquire(): boolean {
    if (this.#locked) return false
    this.#locked = true
    return true
  }

  /** Waits for the lock. Resolves once the caller holds it. */
  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /** Hands the lock to the next waiter, or frees it. */
  release(): void {
    const next = this.#waiters.shift()
    if (next) next()
    else this.#locked = false
  }
}
