import type pg from 'pg';
import { postgresDialect } from '../dialect';
import { runAsync, type StepRunner } from '../sql-steps';
import { PgGroupCommit } from './pg-group-commit';
import { migratePostgres } from './pg-migrate';
import type { DependencyMonitor } from '../../health/monitor';
import { execStep, openPgPool, pgStorageError, type PostgresSettings } from './pg-pool';

export interface PostgresEngine {
  pool: pg.Pool;
  writer: PgGroupCommit;
  runner: StepRunner;
  /** Settles once the schema is migrated; every statement waits for it. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * One process's Postgres engine: the pool, the migrations (run once, before any statement), the
 * group commit for writes and a StepRunner over both for the stores (step-ledger.ts, the network
 * store, the keyv adapter). Opening is synchronous so the gateway wires up the same way on both
 * engines; `ready` is what listen() and the first statement wait for.
 */
export function openPostgresEngine(settings: PostgresSettings, now: () => number = Date.now, monitor?: DependencyMonitor): PostgresEngine {
  const pool = openPgPool(settings);
  const ready = migratePostgres(pool, settings.schema, now()).then(() => undefined);
  // Observed by every caller; this keeps an early failure from being an unhandled rejection.
  ready.catch(() => undefined);
  // One client stays free for reads (the click lookup, the duplicate's stored row) while every batch commits.
  const inFlight = Math.max(1, Math.min(settings.commitsInFlight ?? 2, settings.poolSize - 1));
  const writer = new PgGroupCommit(pool, ready, monitor, inFlight);
  const runner: StepRunner = {
    dialect: postgresDialect,
    async read(job) {
      try {
        await ready;
        return await runAsync(job(postgresDialect), (step) => execStep(pool, step));
      } catch (err) {
        throw pgStorageError(err, monitor);
      }
    },
    write: (job) => writer.run(job),
  };
  let closed: Promise<void> | undefined;
  return {
    pool,
    writer,
    runner,
    ready,
    close() {
      closed ??= (async () => {
        await writer.drain();
        await ready.catch(() => undefined);
        await pool.end();
      })();
      return closed;
    },
  };
}
