/**
 * FROZEN with the PostgreSQL baselines that import it (conduit and tasks
 * `0001_initial.postgres.ts`): what every store's PostgreSQL rendition shares — the
 * text column type, the schema-local functions the CHECKs and guards call, and the
 * shape of a guard trigger. SQLite never runs any of it, so no checksum covers it;
 * a change here changes the schema of every store created afterwards, so it is a
 * new file (or a new function name) instead.
 *
 * The functions are created in the store's schema (the caller sets `search_path`,
 * see `searchStoreSchema`), one copy per store: stores never share a schema.
 */

/** A text column: byte-ordered, as SQLite's BINARY collation. */
export const TEXT = 'text collate "C"'

/**
 * The schema-local functions of every store's CHECKs and guards. The SQL functions
 * have standard bodies (`return …`), bound when created: they resolve nothing
 * through `search_path` when called.
 *
 * - `cleo_json_valid(text)`: true when the text parses as JSON (RFC 8259, any
 *   top-level value, duplicate keys allowed — as SQLite's `json_valid`); NULL for
 *   NULL. Differs from SQLite on nesting depth only: SQLite refuses documents nested
 *   deeper than 1000 levels, PostgreSQL accepts them up to its stack limit.
 * - `cleo_json_type(text)`: SQLite's `json_type` names (`object`, `array`, `text`,
 *   `integer`, `real`, `true`, `false`, `null`); NULL for NULL and for malformed
 *   JSON (SQLite raises "malformed JSON" there; in a CHECK both end as `INVARIANT`).
 * - `cleo_raise_invariant()`: the body of every guard trigger (see {@link guard}).
 * - `cleo_search_text(text)`: what a `search_vector` indexes: the text in NFD with
 *   the combining marks U+0300–U+036F removed (accents folded, like FTS5's
 *   `remove_diacritics`) and ASCII punctuation turned into spaces, so the parser
 *   splits `foo-bar`, `a_b`, e-mail addresses and paths into words as FTS5's
 *   `unicode61` does. The query side folds its words the same way (`toTsQuery`).
 */
/** The meta table every store creates first (`schema-meta-v1` on SQLite): key → value, stamped. */
export function schemaMetaTable(name: string): string {
  return `create table ${name} (
    key ${TEXT} primary key check (length(key) > 0),
    value ${TEXT} not null,
    updated_at bigint not null
  )`
}

export const SHARED_FUNCTIONS: readonly string[] = [
  `create function cleo_search_text(value text) returns text
    language sql immutable strict parallel safe
    return regexp_replace(regexp_replace(normalize(value, NFD), '[\\u0300-\\u036f]', '', 'g'), '[!-/:-@\\[-\`{-~]', ' ', 'g')`,
  `create function cleo_json_valid(value text) returns boolean
    language plpgsql immutable strict parallel safe
    as $$
    begin
      perform value::json;
      return true;
    exception
      when data_exception or statement_too_complex then
        return false;
    end
    $$`,
  `create function cleo_json_type(value text) returns text
    language sql immutable strict parallel safe
    return case when cleo_json_valid(value) then
      case json_typeof(value::json)
        when 'string' then 'text'
        when 'number' then case when btrim(value, E' \\t\\n\\r') ~ '^-?[0-9]+$' then 'integer' else 'real' end
        when 'boolean' then btrim(value, E' \\t\\n\\r')
        else json_typeof(value::json)
      end
    end`,
  `create function cleo_raise_invariant() returns trigger
    language plpgsql
    as $$
    begin
      raise exception using
        message = tg_argv[0], errcode = '23514', schema = tg_table_schema, table = tg_table_name, constraint = tg_name;
    end
    $$`,
]

/**
 * A guard: the rendition of a SQLite `BEFORE … BEGIN SELECT RAISE(ABORT, message) END`
 * trigger — a BEFORE row trigger of the same name and event (`UPDATE OF` columns
 * kept), refusing the row with `message` and SQLSTATE 23514 (cleo-store's
 * `INVARIANT`) when `when` holds, or always when `when` is null (SQLite's trigger
 * had no WHEN). A condition that reads other rows calls a schema-local SQL function
 * (PostgreSQL allows no subquery in a trigger's WHEN).
 *
 * @example
 * ```ts
 * guard('writer_fences_forward', 'update of token on writer_fences', 'new.token < old.token', 'writer_fences.token never goes backwards')
 * ```
 */
export function guard(name: string, event: string, when: string | null, message: string): string {
  return `create trigger ${name} before ${event} for each row
    ${when === null ? '' : `when (${when})`}
    execute function cleo_raise_invariant('${message.replaceAll("'", "''")}')`
}
