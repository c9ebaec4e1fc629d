import type { KeyvStoreAdapter } from 'keyv';
import type { ClickSpool } from '../clicks/spooled-click-store';
import type { Config } from '../config';
import type { DependencyMonitor } from '../health/monitor';
import { startCheckpointer } from './sqlite/checkpointer';
import { GroupCommit } from './sqlite/group-commit';
import type { Ledger } from './ledger';
import { migrate } from './migrations';
import { openPostgresEngine, type PostgresEngine } from './postgres/pg-engine';
import { PgKeyvAdapter } from './postgres/pg-keyv-adapter';
import type { StepRunner } from './sql-steps';
import { openSqlite, walToSync, type SqliteDb } from './sqlite/sqlite-engine';
import { SqliteKeyvAdapter } from './sqlite/sqlite-keyv-adapter';
import { sqliteStepRunner } from './sqlite/sqlite-steps';
import { createStepClickSpool } from './step-click-spool';
import { createStepLedger } from './step-ledger';

/**
 * The one place the engine is chosen (`storage.engine`). Everything above storage sees the same
 * ports: the Ledger, a StepRunner for the network store, and a keyv adapter for clicks kept in
 * the ledger's database.
 */
export interface Storage {
  engine: 'sqlite' | 'postgres';
  ledger: Ledger;
  runner: StepRunner;
  /** Clicks in the ledger's own database, with their purge of expired keys. */
  clickAdapter(now: () => number): { store: KeyvStoreAdapter; purge: () => Promise<number> };
  /** The spool for clicks a redis:// click store could not take, in the ledger's database. */
  clickSpool(now: () => number): ClickSpool;
  /** Settles when the schema is migrated and statements may run (SQLite: at once). */
  ready: Promise<void>;
  /** SQLite only: the handle and its group commit (benchmarks, SQLite-specific tests). */
  sqlite: { db: SqliteDb; writer: GroupCommit } | null;
  /** Postgres only: the pool and its group commit (benchmarks, Postgres-specific tests). */
  postgres: Pick<PostgresEngine, 'pool' | 'writer'> | null;
  close(): Promise<void>;
}

/**
 * `monitor` counts storage failures (a full disk, an unreachable database) once per episode; a
 * write that fails that way rejects with StorageUnavailableError (503 STORAGE_UNAVAILABLE).
 */
export function openStorage(config: Config, now: () => number, onCheckpointError: (message: string) => void, monitor?: DependencyMonitor): Storage {
  const s = config.storage;
  if (s.engine === 'postgres') {
    const pg = openPostgresEngine(s.postgres, now, monitor);
    return {
      engine: 'postgres',
      ledger: createStepLedger(pg.runner, () => pg.close()),
      runner: pg.runner,
      clickSpool: (clock) => createStepClickSpool(pg.runner, clock),
      clickAdapter: (clock) => {
        const adapter = new PgKeyvAdapter(pg.runner, clock);
        return { store: adapter, purge: () => adapter.purgeExpired() };
      },
      ready: pg.ready,
      sqlite: null,
      postgres: { pool: pg.pool, writer: pg.writer },
      close: () => pg.close(),
    };
  }
  const db = openSqlite(s.sqlitePath);
  migrate(db, now());
  const writer = new GroupCommit(db, { syncWal: walToSync(s.sqlitePath, s.synchronous), ...(monitor ? { monitor } : {}) });
  const checkpointer = startCheckpointer(db, s.sqlitePath, 250, onCheckpointError);
  const runner = sqliteStepRunner(db, writer);
  const ledger = createStepLedger(runner, async () => {
    await writer.drain();
    db.close();
  });
  return {
    engine: 'sqlite',
    ledger,
    runner,
    clickSpool: (clock) => createStepClickSpool(runner, clock),
    clickAdapter: (clock) => {
      const adapter = new SqliteKeyvAdapter(db, writer, clock);
      return { store: adapter, purge: () => adapter.purgeExpired() };
    },
    ready: Promise.resolve(),
    sqlite: { db, writer },
    postgres: null,
    async close() {
      await checkpointer?.stop();
      await ledger.close();
    },
  };
}
