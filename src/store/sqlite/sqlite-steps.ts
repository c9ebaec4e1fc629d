import { sqliteDialect } from '../dialect';
import type { GroupCommit } from './group-commit';
import { runSync, type Job, type Step, type StepRunner } from '../sql-steps';
import { sqlRunner, type SqliteDb } from './sqlite-engine';

/**
 * The SQLite StepRunner: each step answered synchronously from cached prepared statements, write
 * jobs inside the process's group commit (one better-sqlite3 transaction per event-loop turn).
 */
export function sqliteStepRunner(db: SqliteDb, writer: GroupCommit): StepRunner {
  const sql = sqlRunner(db);
  const exec = (step: Step): unknown =>
    step.mode === 'all' ? sql.all(step.sql, ...step.params) : step.mode === 'get' ? sql.get(step.sql, ...step.params) : sql.run(step.sql, ...step.params);
  const now = <T>(job: Job<T>): T => runSync(job(sqliteDialect), exec);
  return {
    dialect: sqliteDialect,
    read: async (job) => now(job),
    write: (job) => writer.run(() => now(job)),
    readNow: now,
  };
}
