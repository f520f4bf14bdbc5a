/**
 * FROZEN with the migrations that import it (their checksums cover what they emit
 * through it): signaldock's dialect switches, which are the shared ones
 * (../_shared/dialect.ts). A switch never changes what a migration emits on SQLite.
 */
export { isPostgres, textType, withPostgresRendition } from '../_shared/dialect.js'
