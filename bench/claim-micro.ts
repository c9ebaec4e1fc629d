/**
 * The dispatcher's SQL alone, per delivery, CPU µs per statement kind (process.cpuUsage around
 * each call, so a loaded machine's waits are not counted): N due outbox rows, then rounds of claim
 * (the ledger's claimSql) → exchanges + attempts multi-row INSERTs → the finishing UPDATE … FROM
 * VALUES → COMMIT, B rows a statement, with LAG claimed rounds kept leased ahead of the due rows
 * (what the claim walks past). Variants: base, partial2 / partial3 (deliveries_due replaced by a
 * partial index on pending rows), partial (one added), nofk (foreign_keys off), pre65 (the due and
 * outcome indexes as before migration 65), halfway (migration 65's due index alone, the outcome index whole). Autocheckpoint off. `RETURNING=narrow`, `FIN=values`: see below.
 *   B=32 EQP=1 npx tsx bench/claim-micro.ts base|partial2|partial3|nofk|pre65|halfway [n=10000] [lag=3]
 */
import { openSqlite } from '../src/store/sqlite/sqlite-engine';
import { migrate } from '../src/store/migrations';
import { claimSql } from '../src/store/step-ledger';
import { finishDeliveries, finishSharedDeliveries, insertAttempts, insertExchanges } from '../src/store/attempt-records';
import { sqliteDialect } from '../src/store/dialect';
import { newId } from '../src/ids';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const variant = process.argv[2] ?? 'base';
const N = Number(process.argv[3] ?? 10000);
const B = Number(process.env.B ?? 32);
const path = join(mkdtempSync(join(tmpdir(), 'closeloop-claim-micro-')), 'micro.db');
const db = openSqlite(path);
migrate(db);
db.pragma('wal_autocheckpoint = 0');
if (variant === 'partial') db.exec(`CREATE INDEX deliveries_claim ON deliveries (next_attempt_at, lease_until, destination_id) WHERE status = 'pending'`);
if (variant === 'partial2')
  db.exec(`DROP INDEX deliveries_due; CREATE INDEX deliveries_due ON deliveries (next_attempt_at, lease_until, destination_id) WHERE status = 'pending'`);
if (variant === 'partial3') db.exec(`DROP INDEX deliveries_due; CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending'`);
if (variant === 'nofk') db.pragma('foreign_keys = OFF');
// Before migration 65: both status-led indexes whole, so a success moves an entry in each.
if (variant === 'pre65')
  db.exec(`DROP INDEX deliveries_due; CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
    DROP INDEX deliveries_outcome; CREATE INDEX deliveries_outcome ON deliveries (status, destination_id, conversion_id)`);
// Before migration 65 only: the outcome index whole (its succeeded entries), the due index partial.
if (variant === 'halfway') db.exec(`DROP INDEX deliveries_outcome; CREATE INDEX deliveries_outcome ON deliveries (status, destination_id, conversion_id)`);
/** `RETURNING=narrow`: the claim returns the columns the engine reads rather than the whole row (a measurement, not the ledger's text). */
const NARROW = 'RETURNING id, conversion_id, destination_id, connector, dedup_key, status, attempts, max_attempts, adjustment';
const claimText = process.env.RETURNING === 'narrow' ? claimSql(sqliteDialect, 0).replace('RETURNING *', NARROW) : claimSql(sqliteDialect, 0);
const t0 = Date.now() - 1000;
const insC = db.prepare(
  `INSERT INTO conversions (id, source, transaction_id, event, status, payout, currency, offer_id, click_id, matched, click, params, received_at, updated_at) VALUES (?, 'b', ?, 'conversion', 'approved', '1', 'USD', '1', NULL, 1, NULL, '{}', ?, ?)`,
);
const insD = db.prepare(
  `INSERT INTO deliveries (id, conversion_id, destination_id, connector, dedup_key, status, attempts, max_attempts, next_attempt_at, created_at, updated_at) VALUES (?, ?, 'tracker', 'http-postback', ?, 'pending', 0, 6, ?, ?, ?)`,
);
db.transaction(() => {
  for (let i = 0; i < N; i++) {
    const c = newId();
    insC.run(c, c, t0, t0);
    insD.run(newId(), c, c, t0 - N + i, t0, t0);
  }
})();
db.pragma('wal_checkpoint(TRUNCATE)');
const claim = db.prepare(claimText);
if (process.env.EQP)
  console.log(
    db
      .prepare('EXPLAIN QUERY PLAN ' + claimSql(sqliteDialect, 0))
      .all('w', 1, 1, 1, 1, 1)
      .map((r: any) => r.detail)
      .join(' | '),
  );
// The ledger's own statement texts (src/store/attempt-records.ts), B rows each.
// Every row here shares its new values, so the ledger finishes them with finishSharedDeliveries;
// `FIN=values` times the VALUES-table form it uses for rows with values of their own.
const BY_VALUES = process.env.FIN === 'values';
const fin = db.prepare(finishDeliveries(sqliteDialect, B));
const finShared = db.prepare(finishSharedDeliveries(B));
const insA = db.prepare(insertAttempts(B));
const insE = db.prepare(insertExchanges(B));
const begin = db.prepare('BEGIN IMMEDIATE'),
  commit = db.prepare('COMMIT');
const tm: Record<string, number> = { claim: 0, exch: 0, att: 0, fin: 0, commit: 0 };
const T = (k: string, f: () => unknown) => {
  const s = process.cpuUsage();
  const r = f();
  const c = process.cpuUsage(s);
  tm[k] = (tm[k] ?? 0) + c.user + c.system;
  return r;
};
// Keep `LAG` claimed-not-finished rounds in flight (leased rows the claim walks past), like the engine.
const LAG = Number(process.argv[4] ?? 3);
const inflight: string[][] = [];
let done = 0;
const cpu0 = process.cpuUsage();
const req = JSON.stringify({ method: 'GET', url: 'http://127.0.0.1:9/pb?tx=0000&cid=x&p=12.5', headers: {} });
while (true) {
  const now = Date.now();
  begin.run();
  const rows = T('claim', () => claim.all('w1', now + 60000, now, now, now, B)) as Array<{ id: string }>;
  if (rows.length) inflight.push(rows.map((r) => r.id));
  if (inflight.length > LAG || rows.length === 0) {
    const ids = inflight.shift();
    if (!ids) {
      commit.run();
      break;
    }
    const p = ids.length === B ? ids : null;
    if (p) {
      const ex = p.map(() => newId());
      T('exch', () => insE.run(...p.flatMap((_, i) => [ex[i], req, 200, 'ok', '{}'])));
      T('att', () => insA.run(...p.flatMap((id, i) => [newId(), id, 1, now, 1, ex[i], 'succeeded', null, null, null, null, 'done', null])));
      if (BY_VALUES) T('fin', () => fin.run(...p.flatMap((id) => [id, 'w1', 'succeeded', now, null, null, now, '["tx"]'])));
      else T('fin', () => finShared.run('succeeded', now, null, null, now, '["tx"]', 'w1', ...p));
      done += p.length;
    }
  }
  T('commit', () => commit.run());
}
const cpu = process.cpuUsage(cpu0);
rmSync(join(path, '..'), { recursive: true, force: true });
console.log(
  variant,
  `N ${N} done ${done}`,
  Object.entries(tm)
    .map(([k, v]) => `${k} ${(v / done).toFixed(1)}`)
    .join('  '),
  `| total CPU ${((cpu.user + cpu.system) / done).toFixed(1)} µs/delivery`,
);
