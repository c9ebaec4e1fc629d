import pg from 'pg';
import type { DependencyMonitor } from '../../health/monitor';
import { StorageUnavailableError } from '../../health/unavailable';
import { postgresDialect } from '../dialect';
import type { Row } from '../ledger-rows';
import type { Step } from '../sql-steps';

export interface PostgresSettings {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  schema?: string | undefined;
  /** Group-commit batches in flight at once (pg-group-commit.ts); at most poolSize - 1. */
  commitsInFlight?: number | undefined;
}

export type PgQueryable = Pick<pg.PoolClient, 'query'>;

/**
 * The connection pool of one process. `schema`, when set, is the search_path of every connection
 * (passed at connection start, https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNECT-OPTIONS),
 * so tests and tenants can share one database. BIGINT comes back as text; ledger-rows.ts and
 * network/rows.ts Number() every numeric column.
 */
export function openPgPool(s: PostgresSettings): pg.Pool {
  const pool = new pg.Pool({
    connectionString: s.url,
    max: s.poolSize,
    statement_timeout: s.statementTimeoutMs,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    ...(s.schema ? { options: `-c search_path=${s.schema}` } : {}),
  });
  // An idle client that loses its connection emits here; without a listener it kills the process.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * INSERTs run as named prepared statements: the server parses and plans each text once per
 * connection instead of once per execution (a turn's multi-row INSERT has up to 128 × 17
 * parameters), which is most of what intake costs it besides the WAL. node-postgres keeps the
 * names each connection has prepared (https://node-postgres.com/features/queries#prepared-statements).
 * Only INSERTs whose result columns are named: a plan with `*` would fail with "cached plan must
 * not change result type" once a newer process adds a column. The texts are few (row counts are
 * powers of two, ledger-sql.ts); past PREPARED_MAX the rest run unnamed, so a connection never
 * holds more.
 */
const PREPARED_MAX = 256;
const prepared = new Map<string, { text: string; name: string | undefined }>();
let names = 0;

function statementOf(sql: string): { text: string; name: string | undefined } {
  const known = prepared.get(sql);
  if (known) return known;
  const text = postgresDialect.text(sql);
  if (prepared.size >= PREPARED_MAX) return { text, name: undefined };
  const name = /^\s*INSERT\b/i.test(sql) && !/RETURNING\s+\*/i.test(sql) ? `closeloop_${++names}` : undefined;
  const statement = { text, name };
  prepared.set(sql, statement);
  return statement;
}

/** Runs one step of a job (sql-steps.ts) on a client or the pool. */
export async function execStep(db: PgQueryable, step: Step): Promise<unknown> {
  const { text, name } = statementOf(step.sql);
  const res = name ? await db.query<Row>({ name, text, values: step.params }) : await db.query<Row>(text, step.params);
  if (step.mode === 'all') return res.rows;
  if (step.mode === 'get') return res.rows[0];
  return { changes: res.rowCount ?? 0 };
}

/** SQLSTATEs after which a whole transaction may simply run again (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' /* deadlock_detected */ || code === '40001' /* serialization_failure */;
}

/**
 * Errors that mean "the database cannot take this now" rather than "this statement is wrong": the
 * connection refused, lost or timed out, the server shutting down or out of disk/memory, a
 * statement over statement_timeout. SQLSTATE classes 08 (connection exception), 53 (insufficient
 * resources, e.g. 53100 disk_full), 57 (operator intervention: 57014 query_canceled, 57P01
 * admin_shutdown…), 58 (system error, e.g. I/O) — https://www.postgresql.org/docs/current/errcodes-appendix.html.
 * node-postgres reports a lost or unobtainable connection with a plain Error and no SQLSTATE.
 */
const PG_UNAVAILABLE = /^(08|53|57|58)/;
const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const PG_CLIENT_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|not queryable|Client was closed|Cannot use a pool after calling end/;

export function isPgUnavailable(err: unknown): boolean {
  if (err instanceof StorageUnavailableError) return true;
  const e = err as { code?: unknown; message?: unknown; errors?: unknown } | null;
  if (!e) return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (NET_CODES.has(code) || (code.length === 5 && PG_UNAVAILABLE.test(code))) return true;
  // AggregateError (every address of a host refused).
  if (Array.isArray(e.errors) && e.errors.some(isPgUnavailable)) return true;
  return typeof e.message === 'string' && PG_CLIENT_MESSAGES.test(e.message);
}

/** A storage-class failure becomes StorageUnavailableError (counted by the monitor); others pass as they are. */
export function pgStorageError(err: unknown, monitor?: DependencyMonitor): unknown {
  if (!isPgUnavailable(err)) return err;
  monitor?.failed(err);
  return err instanceof StorageUnavailableError ? err : new StorageUnavailableError(err);
}
