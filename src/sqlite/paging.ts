/**
 * One shape for every paged list: `{ items, nextCursor }` (`nextCursor` is `null` on
 * the last page), and an async iterator over all pages.
 *
 * @module
 */

/**
 * A page of a list and the cursor of the next one (`null` when this is the last).
 *
 * @example
 * ```ts
 * let page = await ws.tasks.list({ limit: 50 })
 * while (page.nextCursor !== null) page = await ws.tasks.list({ limit: 50, cursor: page.nextCursor })
 * ```
 */
export interface Page<T> {
  readonly items: readonly T[]
  readonly nextCursor: string | null
}

/**
 * Iterates every item of a paged list, fetching one page at a time (a page is read
 * when the previous one is used up; each page is one consistent read, the whole
 * iteration is not a snapshot).
 *
 * @example
 * ```ts
 * for await (const task of iteratePages((cursor) => ws.tasks.list({ status: 'pending', cursor }))) console.log(task.id)
 * ```
 */
export async function* iteratePages<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined
  for (;;) {
    const page = await fetchPage(cursor)
    yield* page.items
    if (page.nextCursor === null || page.items.length === 0) return
    cursor = page.nextCursor
  }
}

/**
 * The filter of a paged list without its cursor: what an `iterate(filter)` method
 * takes (`limit` is the page size).
 */
export type IterateFilter<F> = Omit<F, 'cursor'>

const KEYSET_PREFIX = 'k1.'

/**
 * Encodes a keyset position (the sort key of the last item of a page) as an opaque
 * cursor string.
 *
 * @internal
 */
export function encodeKeysetCursor(position: ReadonlyArray<string | number>): string {
  return KEYSET_PREFIX + Buffer.from(JSON.stringify(position)).toString('base64url')
}

/**
 * Decodes a cursor made by {@link encodeKeysetCursor} whose values have the types of
 * `shape` ('n' number, 's' string), or returns `null` when it is not one.
 *
 * @internal
 */
export function decodeKeysetCursor(cursor: string, shape: string): Array<string | number> | null {
  if (!cursor.startsWith(KEYSET_PREFIX)) return null
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(cursor.slice(KEYSET_PREFIX.length), 'base64url').toString('utf8'))
  } catch {
    // Not JSON: `value` stays undefined, which the shape check below refuses.
  }
  if (!Array.isArray(value) || value.length !== shape.length) return null
  for (let i = 0; i < shape.length; i++) {
    if (typeof value[i] !== (shape[i] === 'n' ? 'number' : 'string')) return null
  }
  return value as Array<string | number>
}
