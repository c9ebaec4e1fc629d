import pg from 'pg';
import { postgresDialect } from '../dialect';
import type { Row } from '../ledger-rows';
import type { Step } from '../sql-steps';

export interface PostgresSettings {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  schema?: string | undefined;
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

/** Runs one step of a job (sql-steps.ts) on a client or the pool. */
export async function execStep(db: PgQueryable, step: Step): Promise<unknown> {
  const res = await db.query<Row>(postgresDialect.text(step.sql), step.params);
  if (step.mode === 'all') return res.rows;
  if (step.mode === 'get') return res.rows[0];
  return { changes: res.rowCount ?? 0 };
}

/** SQLSTATEs after which a whole transaction may simply run again (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' /* deadlock_detected */ || code === '40001' /* serialization_failure */;
}
