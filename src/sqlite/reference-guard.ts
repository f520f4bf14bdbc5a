/**
 * Cross-database write guards (CLEO's soft-FK write guards, T185/T238): a store
 * names ids that live in another database file (a brain memory names a task, a
 * credential cache names a signaldock agent) and cannot check them itself. A
 * workspace gives each store a {@link ReferenceGuard} that looks the ids up in
 * their own database before the write; a repository opened on its own has none,
 * and its references stay soft (found later by `ws.check()`).
 *
 * @module
 */

/**
 * One id a write names in another database.
 *
 * @example
 * ```ts
 * const ref: SoftReference = { kind: 'task', id: 'T42', path: ['contextTaskId'] }
 * ```
 */
export interface SoftReference {
  /** What the id names: a tasks.db task or session, or a signaldock agent. */
  readonly kind: 'task' | 'session' | 'agent'
  readonly id: string
  /** Where the id sits in the input, as in `VALIDATION` details (`['contextTaskId']`, `[2, 'sourceSessionId']`). */
  readonly path: ReadonlyArray<string | number>
}

/**
 * Checks the soft references of one write before it is made; throws `NOT_FOUND`
 * (nothing written) when one names nothing.
 *
 * @example
 * ```ts
 * const guard: ReferenceGuard = async (operation, refs) => {
 *   for (const ref of refs) if (!(await exists(ref))) throw new CleoStoreError('NOT_FOUND', `${operation}: ${ref.kind} ${ref.id} does not exist`)
 * }
 * await BrainRepository.open(file, { referenceGuard: guard })
 * ```
 */
export type ReferenceGuard = (operation: string, refs: readonly SoftReference[]) => void | Promise<void>

/**
 * Runs `guard` over `refs` (nothing to do without a guard or references).
 *
 * @internal
 */
export async function guardReferences(guard: ReferenceGuard | undefined, operation: string, refs: readonly SoftReference[]): Promise<void> {
  if (guard !== undefined && refs.length > 0) await guard(operation, refs)
}
