import { loadConfig } from '../config';
import { migrate } from './migrations';
import { migratePostgres } from './postgres/pg-migrate';
import { openPgPool } from './postgres/pg-pool';
import { openSqlite } from './sqlite/sqlite-engine';

// `npm run migrate`: brings the configured database (CLOSELOOP_CONFIG, storage.engine) to the
// latest schema version and says which versions it applied. The gateway also migrates at start;
// this is for deploys that migrate once before starting several processes.
const { config, path } = loadConfig();
const s = config.storage;
let applied: number[];
if (s.engine === 'postgres') {
  const pool = openPgPool(s.postgres);
  try {
    applied = await migratePostgres(pool, s.postgres.schema);
  } finally {
    await pool.end();
  }
} else {
  const db = openSqlite(s.sqlitePath);
  applied = migrate(db);
  db.close();
}
const where = s.engine === 'postgres' ? `postgres${s.postgres.schema ? ` (schema ${s.postgres.schema})` : ''}` : s.sqlitePath;
process.stdout.write(`${path}: ${where}: ${applied.length ? `applied migrations ${applied.join(', ')}` : 'schema up to date'}\n`);
