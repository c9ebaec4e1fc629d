/**
 * Where the SQL of the two engines differs — all of it, in one place. Every statement of the
 * ledger (ledger-sql.ts), the network (network/network-sql.ts) and the migrations is written once
 * in the dialect SQLite (≥ 3.35) and Postgres share; a dialect only rewrites that text.
 */
export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /**
   * Appended to a SELECT that reads a row the transaction will then write from what it read (a
   * failure streak, a conversion's status). Postgres: a row lock, so two processes serialise on
   * that row (https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE).
   * SQLite: nothing — one writer holds the whole database for the transaction.
   */
  readonly forUpdate: string;
  /** The claim's inner SELECT: skip rows another process is claiming right now. */
  readonly claimLock: string;
  /** The text the driver runs (placeholders). */
  text(sql: string): string;
  /** A migration's DDL for this engine. */
  migration(sql: string): string;
  /**
   * `rows` rows of `?` placeholders as a table `v` with the named columns, to join in an
   * UPDATE … FROM (one statement for many rows with different values). Postgres types the first
   * row's placeholders (a VALUES list's parameters are otherwise text).
   */
  valuesTable(columns: ReadonlyArray<readonly [name: string, pgType: string]>, rows: number): string;
}

const placeholderRows = (first: string, width: number, rows: number) => [first, ...Array(rows - 1).fill(`(${Array(width).fill('?').join(', ')})`)].join(', ');

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  forUpdate: '',
  claimLock: '',
  text: (sql) => sql,
  migration: (sql) => sql,
  // SQLite names a VALUES list's columns column1, column2, … (https://sqlite.org/lang_select.html#values).
  valuesTable: (columns, rows) =>
    `(SELECT ${columns.map(([name], i) => `column${i + 1} AS ${name}`).join(', ')} FROM (VALUES ${placeholderRows(`(${columns.map(() => '?').join(', ')})`, columns.length, rows)})) AS v`,
};

const pgTexts = new Map<string, string>();

/** `?` → `$1, $2, …` (no statement of ours has a `?` inside a string literal; checked here anyway). */
function numbered(sql: string): string {
  let out = '';
  let n = 0;
  let quoted = false;
  for (const ch of sql) {
    if (ch === "'") quoted = !quoted;
    out += ch === '?' && !quoted ? `$${++n}` : ch;
  }
  return out;
}

export const postgresDialect: Dialect = {
  name: 'postgres',
  forUpdate: ' FOR UPDATE',
  // https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE (SKIP LOCKED)
  claimLock: ' FOR UPDATE SKIP LOCKED',
  text(sql) {
    let t = pgTexts.get(sql);
    if (t === undefined) {
      t = numbered(sql);
      if (pgTexts.size < 5000) pgTexts.set(sql, t);
    }
    return t;
  },
  // The shared DDL (TEXT, BIGINT, INTEGER, standard constraints) runs on Postgres unchanged;
  // a later migration that needs an engine-specific type adds its rewrite here.
  migration: (sql) => sql,
  valuesTable: (columns, rows) =>
    `(VALUES ${placeholderRows(`(${columns.map(([, type]) => `?::${type}`).join(', ')})`, columns.length, rows)}) AS v (${columns.map(([name]) => name).join(', ')})`,
};

export const dialects = { sqlite: sqliteDialect, postgres: postgresDialect } as const;
