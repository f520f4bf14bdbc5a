/**
 * How the root module types `repo.kysely` without loading Kysely's declarations
 * (which cost a type-checking consumer ~230,000 instantiations; see
 * docs/api-conventions.md § "Type-check cost of importing cleo-store").
 *
 * At the root, `repo.kysely` is a {@link KyselyHandle}: opaque, no methods. Importing
 * the `cleo-store/kysely` subpath anywhere in a program (even `import type {} from
 * 'cleo-store/kysely'`) fills {@link RepositoryKyselyTypes}, and `repo.kysely` becomes
 * the fully typed `Kysely<TasksDatabase>` (`Kysely<BrainDatabase>`, …) everywhere.
 * The object is the same Kysely instance either way; only its type changes.
 *
 * @example
 * ```ts
 * import type {} from 'cleo-store/kysely' // types repo.kysely as Kysely<TasksDatabase>
 * const rows = await tasks.kysely.selectFrom('tasks').select(['id', 'title']).execute()
 * ```
 *
 * @module
 */
import type { StoreName } from './store-name.js'

declare const kyselyStore: unique symbol

/**
 * `repo.kysely` while `cleo-store/kysely` is not imported: an opaque handle of the
 * store's Kysely instance. Import `cleo-store/kysely` (types only is enough) to type it
 * as `Kysely<…>`.
 *
 * @example
 * ```ts
 * const handle: KyselyHandle<'tasks'> = tasks.kysely // without cleo-store/kysely
 * ```
 */
export interface KyselyHandle<S extends StoreName = StoreName> {
  /** The store the handle belongs to (a type-level brand; no such property exists). */
  readonly [kyselyStore]: S
}

/**
 * Store name → the type of `repo.kysely`. Empty at the root; `cleo-store/kysely`
 * adds `tasks: Kysely<TasksDatabase>`, `brain: Kysely<BrainDatabase>`, … by module
 * augmentation.
 *
 * @example
 * ```ts
 * type TasksKysely = RepositoryKyselyTypes['tasks'] // with cleo-store/kysely imported
 * ```
 */
export interface RepositoryKyselyTypes {}

/**
 * The type of `repo.kysely` for store `S`: `Kysely<…>` once `cleo-store/kysely` is
 * imported, else a {@link KyselyHandle}.
 *
 * @example
 * ```ts
 * const db: RepositoryKysely<'tasks'> = tasks.kysely
 * ```
 */
export type RepositoryKysely<S extends StoreName> = S extends keyof RepositoryKyselyTypes ? RepositoryKyselyTypes[S] : KyselyHandle<S>
