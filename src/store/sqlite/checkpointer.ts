import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { SqliteDb } from './sqlite-engine';

/**
 * WAL checkpoints on their own thread. SQLite's automatic checkpoint runs inside the COMMIT that
 * crosses 1,000 WAL pages, with its fsyncs, on the thread that commits — here the event loop,
 * where the benchmark saw it as the p99 tail of every commit. Instead the main connection never
 * checkpoints, and this worker, on its own connection to the same file, runs a PASSIVE
 * checkpoint every `intervalMs` (it never blocks the writer; https://sqlite.org/c3ref/wal_checkpoint_v2.html).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
db.pragma('synchronous = NORMAL');
let timer = null;
function tick() {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (err) { parentPort.postMessage({ error: String(err && err.message || err) }); }
  timer = setTimeout(tick, workerData.intervalMs);
}
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearTimeout(timer);
  try { db.pragma('wal_checkpoint(PASSIVE)'); db.close(); } finally { parentPort.postMessage('stopped'); }
});
tick();
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(db: SqliteDb, path: string, intervalMs = 250, onError: (message: string) => void = () => {}): Checkpointer | null {
  if (path === ':memory:') return null;
  db.pragma('wal_autocheckpoint = 0');
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  // Named: the thread shows as "checkpointer" in top -H and /proc/<pid>/task/*/comm.
  const worker = new Worker(WORKER_SOURCE, { eval: true, name: 'checkpointer', workerData: { driver, path, intervalMs } });
  worker.unref();
  worker.on('message', (m: unknown) => {
    if (m && typeof m === 'object' && 'error' in m) onError(String((m as { error: unknown }).error));
  });
  worker.on('error', (err) => onError(err.message));
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        const done = () => resolve();
        worker.once('message', (m) => (m === 'stopped' ? void worker.terminate().then(done, done) : undefined));
        worker.once('exit', done);
        worker.postMessage('stop');
      });
      return stopping;
    },
  };
}
