import type { KeyvStoreAdapter } from 'keyv';
import type { Config } from '../config';
import { startCheckpointer } from './checkpointer';
import { GroupCommit } from './group-commit';
import type { Ledger } from './ledger';
import { migrate } from './migrations';
import { openPostgresEngine } from './postgres/pg-engine';
import { PgKeyvAdapter } from './postgres/pg-keyv-adapter';
import type { StepRunner } from './sql-steps';
import { openSqlite, walToSync, type SqliteDb } from './sqlite';
import { SqliteKeyvAdapter } from './sqlite-keyv-adapter';
import { createSqliteLedger } from './sqlite-ledger';
import { sqliteStepRunner } from './sqlite-steps';
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
  /** Settles when the schema is migrated and statements may run (SQLite: at once). */
  ready: Promise<void>;
  /** SQLite only: the handle and its group commit (benchmarks, SQLite-specific tests). */
  sqlite: { db: SqliteDb; writer: GroupCommit } | null;
  close(): Promise<void>;
}

export function openStorage(config: Config, now: () => number, onCheckpointError: (message: string) => void): Storage {
  const s = config.storage;
  if (s.engine === 'postgres') {
    const pg = openPostgresEngine(s.postgres, now);
    return {
      engine: 'postgres',
      ledger: createStepLedger(pg.runner, () => pg.close()),
      runner: pg.runner,
      clickAdapter: (clock) => {
        const adapter = new PgKeyvAdapter(pg.runner, clock);
        return { store: adapter, purge: () => adapter.purgeExpired() };
      },
      ready: pg.ready,
      sqlite: null,
      close: () => pg.close(),
    };
  }
  const db = openSqlite(s.sqlitePath);
  migrate(db, now());
  const writer = new GroupCommit(db, { syncWal: walToSync(s.sqlitePath, s.synchronous) });
  const checkpointer = startCheckpointer(db, s.sqlitePath, 250, onCheckpointError);
  const ledger = createSqliteLedger(db, writer);
  return {
    engine: 'sqlite',
    ledger,
    runner: sqliteStepRunner(db, writer),
    clickAdapter: (clock) => {
      const adapter = new SqliteKeyvAdapter(db, writer, clock);
      return { store: adapter, purge: () => adapter.purgeExpired() };
    },
    ready: Promise.resolve(),
    sqlite: { db, writer },
    async close() {
      await checkpointer?.stop();
      await ledger.close();
    },
  };
}
