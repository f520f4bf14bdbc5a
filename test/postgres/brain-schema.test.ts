/**
 * brain's schema on PostgreSQL (migrations/brain/0001_initial.postgres.ts), checked
 * against the SQLite brain.db it renders: the same tables, columns (in order),
 * constraints, indexes and triggers; the guards refuse and allow what SQLite's do,
 * with the same message and code; deleting a memory clears its queue row and links
 * on both; and each memory table's `search_vector` finds, word for word, the rows
 * FTS5 finds. Every comparison runs the same SQL text on both. The PostgreSQL leg
 * is registered when the run has a server; the checksum test always runs.
 */
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'

import { BRAIN_SEARCH_CONFIG } from '../../migrations/brain/0001_initial.postgres.js'
import { brainMigrations } from '../../migrations/brain/index.js'
import { BRAIN_STORE } from '../../src/brain/brain.store.js'
import { toFtsQuery, toTsQuery } from '../../src/sqlite/fts-query.js'
import { migrationChecksum } from '../../src/sqlite/migrate.js'
import { openDatabase } from '../../src/sqlite/open-database.js'
import { POSTGRES_URL, freshSchema } from './pg-test-schemas.js'
import type { GuardCase, RenditionDifferences, Row, SchemaPair } from './schema-pair.js'
import { appliedMigrations, expectSameConstraints, expectSameTables, expectSameTriggers, itRendersEachGuard, schemaPairOpeners } from './schema-pair.js'

const MEMORY_TABLES = ['brain_decisions', 'brain_patterns', 'brain_learnings', 'brain_observations', 'brain_sticky_notes'] as const

/**
 * What the rendition leaves out or adds on purpose (everything else must match):
 * the FTS5 index and its 10 sync triggers; the search vectors and their GIN
 * indexes; the codes as bit strings; the 0/1 flags stay `integer`.
 */
const DIFFERENCES: RenditionDifferences = {
  sqliteOnlyTables: /^brain_memory_fts/,
  sqliteOnlyTriggers: MEMORY_TABLES.flatMap((table) => [`${table}_fts_ai`, `${table}_fts_au`]),
  postgresOnlyColumns: { ...Object.fromEntries(MEMORY_TABLES.map((table) => [table, ['search_vector']])), brain_embedding_codes: ['code_bits'] },
  postgresOnlyIndexes: MEMORY_TABLES.map((table) => `${table}_search_idx`),
  smallIntegers: [
    'brain_decisions.verified',
    'brain_patterns.verified',
    'brain_learnings.verified',
    'brain_observations.verified',
    'brain_learnings.actionable',
  ],
}

/**
 * The checksums of brain's migrations as released (the SHA-256 of their SQLite
 * emission): the PostgreSQL rendition must not change a byte of what SQLite runs.
 */
const RELEASED_CHECKSUMS: Readonly<Record<string, string>> = {
  '0001_initial': '7cf8fb58eaca1174cfc855fc2811f1685465e05517388a958d9ab2245da43e23',
  '0002_memory': 'b36550adeae6b7b4a5d37367f87efc9d716ed84d67e77736ae9fd403d75d57d7',
  '0003_embedding_codes': 'f4437573285e973c9259456b49f362b0e8b7b240dd4666a576505ff8f6c304ce',
}

describe('brain migrations with a PostgreSQL rendition', () => {
  it('emit on SQLite what the released migrations emitted (same checksums)', async () => {
    expect(Object.keys(brainMigrations).sort()).toEqual(Object.keys(RELEASED_CHECKSUMS).sort())
    for (const [name, checksum] of Object.entries(RELEASED_CHECKSUMS)) {
      expect(await migrationChecksum(brainMigrations[name]!), name).toBe(checksum)
    }
  })
})

const KEY_BASE = 2 ** 40
const hash = (n: number) => n.toString(16).padStart(64, '0')

/** Raw inserts of one memory of each kind (seq assigned by the engine), with the fields the FTS index reads. */
const memory = {
  decision: (n: number, decision: string, rationale: string, alternatives = '[]', phase: string | null = null) =>
    `INSERT INTO brain_decisions (id, type, decision, rationale, confidence, alternatives_json, context_phase,
      memory_tier, memory_type, valid_at, content_hash, created_at, updated_at)
      VALUES ('D${n}', 'technical', '${decision}', '${rationale}', 'high', '${alternatives}', ${phase === null ? 'NULL' : `'${phase}'`},
      'short', 'semantic', 0, '${hash(n)}', 0, 0)`,
  pattern: (n: number, pattern: string, context: string, examples = '[]', antiPattern: string | null = null) =>
    `INSERT INTO brain_patterns (id, type, pattern, context, examples_json, anti_pattern,
      memory_tier, memory_type, valid_at, content_hash, created_at, updated_at)
      VALUES ('P${n}', 'workflow', '${pattern}', '${context}', '${examples}', ${antiPattern === null ? 'NULL' : `'${antiPattern}'`},
      'short', 'semantic', 0, '${hash(n)}', 0, 0)`,
  learning: (n: number, insight: string, source: string, application: string | null = null) =>
    `INSERT INTO brain_learnings (id, insight, source, confidence, application,
      memory_tier, memory_type, valid_at, content_hash, created_at, updated_at)
      VALUES ('L${n}', '${insight}', '${source}', 0.5, ${application === null ? 'NULL' : `'${application}'`},
      'short', 'semantic', 0, '${hash(n)}', 0, 0)`,
  observation: (n: number, title: string, subtitle: string | null, narrative: string | null, facts = '[]', concepts = '[]') =>
    `INSERT INTO brain_observations (id, type, title, subtitle, narrative, facts_json, concepts_json,
      memory_tier, memory_type, valid_at, content_hash, created_at, updated_at)
      VALUES ('O${n}', 'discovery', '${title}', ${subtitle === null ? 'NULL' : `'${subtitle}'`}, ${narrative === null ? 'NULL' : `'${narrative}'`},
      '${facts}', '${concepts}', 'short', 'semantic', 0, '${hash(n)}', 0, 0)`,
  sticky: (n: number, content: string, tags = '[]') =>
    `INSERT INTO brain_sticky_notes (id, content, tags_json, content_hash, created_at, updated_at)
      VALUES ('S${n}', '${content}', '${tags}', '${hash(n)}', 0, 0)`,
}

if (POSTGRES_URL !== null) {
  const url = POSTGRES_URL
  const { openPostgres, openPair } = schemaPairOpeners(BRAIN_STORE, url, () => openDatabase(':memory:', { store: BRAIN_STORE }))

  /** A decision, a learning and a sticky note; a link of the decision; both memories queued. */
  const FIXTURE = [
    memory.decision(1, 'Use WAL mode', 'readers never block'),
    memory.learning(2, 'Retries need jitter', 'incident'),
    memory.sticky(3, 'remember the milk'),
    `INSERT INTO brain_memory_links (memory_kind, memory_id, task_id, link_type, created_at) VALUES ('decision', 'D1', 'T1', 'produced_by', 0)`,
    `INSERT INTO brain_embedding_queue (memory_key, reason, queued_at) VALUES (${KEY_BASE + 1}, 'new', 0), (${3 * KEY_BASE + 1}, 'new', 0)`,
  ]

  const STATE = [
    'SELECT seq, id, decision FROM brain_decisions ORDER BY seq',
    'SELECT seq, id, insight FROM brain_learnings ORDER BY seq',
    'SELECT seq, id, content FROM brain_sticky_notes ORDER BY seq',
    'SELECT * FROM brain_memory_links ORDER BY memory_id, task_id, link_type',
    'SELECT memory_key, reason FROM brain_embedding_queue ORDER BY memory_key',
  ]

  const GUARDS: readonly GuardCase[] = [
    ...MEMORY_TABLES.map(
      (table): GuardCase => ({
        trigger: `${table}_seq_fixed`,
        table,
        setup: [
          memory.pattern(4, 'Small commits', 'review'),
          memory.observation(5, 'Cache misses', null, 'after deploy'),
        ],
        refused: `UPDATE ${table} SET seq = seq + 10`,
        // Naming the columns is allowed when they keep their values.
        legal: [`UPDATE ${table} SET seq = seq, id = id`, `UPDATE ${table} SET updated_at = 1`],
      }),
    ),
    {
      trigger: 'brain_memory_links_memory_exists',
      table: 'brain_memory_links',
      setup: [],
      refused: `INSERT INTO brain_memory_links (memory_kind, memory_id, task_id, link_type, created_at) VALUES ('learning', 'D1', 'T2', 'applies_to', 0)`,
      legal: [
        `INSERT INTO brain_memory_links (memory_kind, memory_id, task_id, link_type, created_at) VALUES ('learning', 'L2', 'T2', 'applies_to', 0)`,
        `INSERT INTO brain_memory_links (memory_kind, memory_id, task_id, link_type, created_at) VALUES ('decision', 'D1', 'T3', 'informed_by', 0)`,
      ],
    },
  ]

  describe('brain schema on PostgreSQL', () => {
    it('migrates on the first open into its own schema: checksums, brain_schema_meta seeded as on SQLite; reopens verifying them', async () => {
      const schema = freshSchema('brain')
      const first = await openPostgres(schema)
      const names = Object.keys(brainMigrations).sort()
      expect(first.schemaVersion).toBe(names.at(-1))
      const applied = await appliedMigrations(first, schema)
      expect(applied.map((row) => row.name)).toEqual(names)
      expect(applied.map((row) => row.checksum)).toEqual(names.map((name) => RELEASED_CHECKSUMS[name]))
      const stray = await sql<Row>`select to_regclass('public.brain_decisions') as t, to_regprocedure('public.cleo_json_words(text)') as fn`.execute(first.kysely)
      expect(stray.rows[0]).toEqual({ t: null, fn: null })
      const meta = await sql<Row>`select key, value, updated_at from ${sql.table(`${schema}.brain_schema_meta`)}`.execute(first.kysely)
      expect(meta.rows.map((row) => [row['key'], row['value']])).toEqual([['store', 'brain']])
      expect(Number(meta.rows[0]!['updated_at'])).toBeGreaterThan(Date.UTC(2025, 0, 1))
      await first.close()
      const second = await openPostgres(schema)
      expect(second.schemaVersion).toBe(first.schemaVersion)
      expect((await second.integrityCheck()).ok).toBe(true)
    })

    it('has every table, column (same order, mapped type, nullability, default, generated) and index of a migrated SQLite brain.db', async () => {
      const pair = await openPair()
      await expectSameTables(pair, DIFFERENCES)
      const generated = await sql<Row>`
        select table_name, column_name, data_type from information_schema.columns
        where table_schema = ${pair.pg.schema} and is_generated = 'ALWAYS' order by table_name`.execute(pair.pg.kysely)
      expect(generated.rows.map((row) => `${String(row['table_name'])}.${String(row['column_name'])} ${String(row['data_type'])}`).sort()).toEqual(
        ['brain_embedding_codes.code_bits bit varying', ...MEMORY_TABLES.map((table) => `${table}.search_vector tsvector`)].sort(),
      )
      // The bit string of a code is its bytes, first byte first: the Hamming distance of two codes is bit_count(a # b).
      await pair.onPostgres(`INSERT INTO brain_embedding_codes (memory_key, code) VALUES (1, '\\x0f80'::bytea), (2, '\\x0001'::bytea)`)
      expect(await pair.onPostgres(`SELECT code_bits::text AS bits, bit_count(code_bits # (SELECT code_bits FROM brain_embedding_codes WHERE memory_key = 2)) AS d FROM brain_embedding_codes ORDER BY memory_key`)).toEqual([
        { bits: '0000111110000000', d: '6' },
        { bits: '0000000000000001', d: '0' },
      ])
    })

    it("keeps every CHECK (by count), PRIMARY KEY, UNIQUE and each index's uniqueness and predicate", async () => {
      const facts = await expectSameConstraints(await openPair(), DIFFERENCES)
      expect(facts.filter((fact) => fact.startsWith('index '))).toHaveLength(20)
    })

    it('has a trigger of the same name, timing, event (UPDATE OF columns) and table for every SQLite trigger but the FTS ones', async () => {
      expect(await expectSameTriggers(await openPair(), DIFFERENCES, GUARDS)).toHaveLength(11)
    })

    itRendersEachGuard(GUARDS, openPair, FIXTURE, STATE)

    it('seq is assigned on insert as on SQLite; deleting a memory removes its queue row and its links, nothing else', async () => {
      const pair = await openPair()
      for (const statement of [
        ...FIXTURE,
        memory.decision(4, 'Second decision', 'why'),
        memory.sticky(5, 'another note'),
        `INSERT INTO brain_memory_links (memory_kind, memory_id, task_id, link_type, created_at) VALUES ('decision', 'D4', 'T1', 'applies_to', 0)`,
        `INSERT INTO brain_embedding_queue (memory_key, reason, queued_at) VALUES (${KEY_BASE + 2}, 'new', 0), (${5 * KEY_BASE + 1}, 'new', 0), (${5 * KEY_BASE + 2}, 'failed', 0)`,
      ]) {
        await pair.both(statement)
      }
      const seqs = await pair.select(`SELECT 'D' AS k, seq, id FROM brain_decisions UNION ALL SELECT 'S', seq, id FROM brain_sticky_notes ORDER BY 1, 2`)
      expect(seqs.sqlite).toEqual([
        { k: 'D', seq: 1, id: 'D1' },
        { k: 'D', seq: 2, id: 'D4' },
        { k: 'S', seq: 1, id: 'S3' },
        { k: 'S', seq: 2, id: 'S5' },
      ])
      expect(seqs.postgres).toEqual(seqs.sqlite)
      for (const statement of [`DELETE FROM brain_decisions WHERE id = 'D1'`, `DELETE FROM brain_sticky_notes WHERE id = 'S5'`]) await pair.both(statement)
      const state = async () => ({
        queue: await pair.select('SELECT memory_key, reason FROM brain_embedding_queue ORDER BY memory_key'),
        links: await pair.select('SELECT memory_id, task_id FROM brain_memory_links ORDER BY memory_id, task_id'),
      })
      const after = await state()
      expect(after.queue.sqlite).toEqual([
        { memory_key: KEY_BASE + 2, reason: 'new' },
        { memory_key: 3 * KEY_BASE + 1, reason: 'new' },
        { memory_key: 5 * KEY_BASE + 1, reason: 'new' },
      ])
      expect(after.links.sqlite).toEqual([{ memory_id: 'D4', task_id: 'T1' }])
      expect(after.queue.postgres).toEqual(after.queue.sqlite)
      expect(after.links.postgres).toEqual(after.links.sqlite)
    })

    /**
     * The memory keys a word finds: FTS5 on SQLite, the search vectors (`cleo_brain_search`) on
     * PostgreSQL, each queried as cleo-store queries them (`toFtsQuery`, `toTsQuery`).
     */
    async function matches(pair: SchemaPair, word: string): Promise<{ sqlite: number[]; postgres: number[] }> {
      const fts = toFtsQuery(word)!.replaceAll("'", "''")
      const ts = toTsQuery(word)!.replaceAll("'", "''")
      const sqlite = (await pair.onSqlite(`SELECT rowid AS key FROM brain_memory_fts WHERE brain_memory_fts MATCH '${fts}' ORDER BY rowid`)).map((row) =>
        Number(row['key']),
      )
      const union = MEMORY_TABLES.map(
        (table, i) => `SELECT ${KEY_BASE} * ${i + 1} + seq AS key FROM ${table} WHERE search_vector @@ to_tsquery('${BRAIN_SEARCH_CONFIG}', '${ts}')`,
      ).join(' UNION ALL ')
      const postgres = (await pair.onPostgres(`${union} ORDER BY key`)).map((row) => Number(row['key']))
      return { sqlite, postgres }
    }

    it('search_vector: every word finds the rows FTS5 finds — same text per kind, JSON arrays joined, accents folded, words stemmed', async () => {
      const pair = await openPair()
      for (const statement of [
        memory.decision(1, 'Use connection pooling', 'databases refuse too many clients', '["pgbouncer", "per-request connections", true, 42]', 'implementation'),
        memory.pattern(2, 'Retry with jitter', 'thundering herds after outages', '["exponential backoff", {"note": "capped delays"}]', 'retrying immediately'),
        memory.learning(3, 'Indexes speed lookups', 'benchmarks', 'the queue table'),
        memory.observation(4, 'Café crashed', 'naïve parser', 'the deployment failed twice', '["stack_overflow"]', '["parsing", null]'),
        memory.sticky(5, 'Tests are flaky on Mondays', '["ci", "flakiness"]'),
      ]) {
        await pair.both(statement)
      }
      const words = [
        // titles and bodies of each kind
        ...['connection', 'pooling', 'databases', 'clients', 'pgbouncer', 'request', 'implementation'],
        ...['retry', 'jitter', 'herds', 'outages', 'exponential', 'backoff', 'note', 'capped', 'delays', 'retrying'],
        ...['indexes', 'speed', 'lookups', 'benchmarks', 'queue'],
        ...['cafe', 'crashed', 'naive', 'parser', 'deployment', 'failed', 'stack', 'overflow', 'parsing'],
        ...['tests', 'flaky', 'mondays', 'ci', 'flakiness'],
        // stems: other forms of indexed words
        ...['database', 'client', 'pool', 'retries', 'delay', 'index', 'lookup', 'crash', 'test', 'fail'],
        // JSON: true → 1, numbers as written; null skipped
        ...['1', '42', 'null', 'true'],
        // accents folded on both sides; not indexed
        ...['café', 'CAFÉ', 'naïve', 'missing'],
      ]
      let found = 0
      for (const word of words) {
        const result = await matches(pair, word)
        expect(result.postgres, word).toEqual(result.sqlite)
        if (result.sqlite.length > 0) found++
      }
      expect(found).toBeGreaterThan(45)
      // Where the stemmers differ: FTS5's Porter stems "deploy" to "deploi" but "deployment" to "deploy";
      // Snowball's English (Porter's second version) stems both to "deploy".
      expect(await matches(pair, 'deploy')).toEqual({ sqlite: [], postgres: [4 * KEY_BASE + 1] })
      // An update of an indexed column re-indexes the row, as the FTS5 update trigger does.
      await pair.both(`UPDATE brain_learnings SET application = 'the message bus' WHERE id = 'L3'`)
      for (const word of ['queue', 'message', 'bus']) {
        const result = await matches(pair, word)
        expect(result.postgres, word).toEqual(result.sqlite)
      }
    })

    it('search_vector: the title has weight A, the body B; a GIN index serves each memory table', async () => {
      const pair = await openPair()
      await pair.onPostgres(memory.decision(1, 'Use pooling', 'connections are scarce'))
      const weighted = async (query: string) =>
        (await pair.onPostgres(`SELECT id FROM brain_decisions WHERE search_vector @@ to_tsquery('${BRAIN_SEARCH_CONFIG}', '${query}')`)).map((row) => row['id'])
      expect(await weighted('pooling:A')).toEqual(['D1'])
      expect(await weighted('pooling:B')).toEqual([])
      expect(await weighted('connection:B')).toEqual(['D1'])
      for (const table of MEMORY_TABLES) {
        const index = await pair.onPostgres(`SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = '${table}_search_idx'`)
        expect(String(index[0]?.['indexdef']), table).toMatch(/USING gin \(search_vector\)/)
      }
    })
  })
}
