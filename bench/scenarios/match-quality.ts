import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openGateway } from '../../src/gateway';
import { newId } from '../../src/ids';
import { createLogger } from '../../src/logger';
import { migrate } from '../../src/store/migrations';
import { openSqlite } from '../../src/store/sqlite/sqlite-engine';
import { ADMIN_TOKEN, testConfig } from '../../test/helpers/gateway';
import { fmtMs, fmtUs, table } from '../lib/format';

/**
 * GET /v1/stats/match-quality on a big ledger (issue 11 item 7: "cheap on a large ledger"). Fills
 * a fresh SQLite file with BENCH_MQ_N conversions (default 300,000) over 30 days, each delivered
 * to a Meta destination (97 % succeeded) with one of eight identifier-name sets, every third also
 * to TikTok, every fifth to an http-postback tracker (no names). Then the real gateway answers
 * GET /v1/stats/match-quality (7d and 30d) and, as the baseline measured back to back, the
 * overview's GET /v1/stats?window=7d, BENCH_MQ_REPEAT times each (default 30), interleaved:
 * wall p50/p99 over HTTP on 127.0.0.1 and process CPU per request (the client is in-process too).
 *
 * `npm run bench -- match-quality`, or alone: `npx tsx bench/scenarios/match-quality.ts`.
 */
const N = Number(process.env.BENCH_MQ_N ?? 300_000);
const REPEAT = Math.max(5, Number(process.env.BENCH_MQ_REPEAT ?? 30));
const DAY = 86_400_000;
const log = (m: string) => process.stderr.write(`[bench match-quality] ${m}\n`);

const META_SETS = [
  ['fbc', 'ip', 'user_agent'],
  ['fbc', 'ip', 'user_agent', 'email'],
  ['ip', 'user_agent'],
  ['fbc', 'fbp', 'ip', 'user_agent', 'email', 'phone'],
  ['email'],
  ['fbc', 'ip', 'user_agent', 'email', 'first_name', 'last_name'],
  ['ip', 'user_agent', 'external_id'],
  ['fbc', 'ip', 'user_agent', 'email', 'phone', 'external_id'],
].map((s) => JSON.stringify(s));
const TIKTOK_SETS = [['click_id', 'ip', 'user_agent'], ['ip', 'user_agent', 'email'], ['click_id']].map((s) => JSON.stringify(s));

function fill(path: string, end: number): { seconds: number; deliveries: number } {
  const db = openSqlite(path);
  const t0 = performance.now();
  migrate(db, end);
  const ROWS = 400;
  const conv = db.prepare(
    `INSERT INTO conversions (id, source, transaction_id, event, status, payout, currency, offer_id, click_id, matched, click, params,
      received_at, updated_at) VALUES ${Array(ROWS).fill("(?, 'net', ?, 'conversion', 'approved', '12.50', 'USD', NULL, NULL, 0, NULL, '{}', ?, ?)").join(', ')}`,
  );
  const delSql = (n: number) => `INSERT INTO deliveries (id, conversion_id, destination_id, connector, dedup_key, status, attempts, max_attempts,
    next_attempt_at, created_at, updated_at, identifiers_sent) VALUES ${Array(n).fill('(?, ?, ?, ?, ?, ?, 1, 10, ?, ?, ?, ?)').join(', ')}`;
  const step = (30 * DAY) / N;
  let deliveries = 0;
  db.transaction(() => {
    for (let start = 0; start < N; start += ROWS) {
      const c: unknown[] = [];
      const d: unknown[] = [];
      for (let i = start; i < start + ROWS; i++) {
        const at = Math.round(end - 30 * DAY + i * step);
        const id = newId(at);
        c.push(id, `tx-${i}`, at, at);
        const status = i % 100 < 97 ? 'succeeded' : 'dead';
        d.push(newId(at), id, 'fb', 'meta', `m-${i}`, status, at, at, at, META_SETS[i % META_SETS.length]);
        if (i % 3 === 0) d.push(newId(at), id, 'tt', 'tiktok', `t-${i}`, 'succeeded', at, at, at, TIKTOK_SETS[i % TIKTOK_SETS.length]);
        if (i % 5 === 0) d.push(newId(at), id, 'tracker', 'http-postback', `p-${i}`, 'succeeded', at, at, at, null);
      }
      conv.run(...c);
      const rows = d.length / 10;
      deliveries += rows;
      for (let k = 0; k < rows; k += ROWS) {
        const m = Math.min(ROWS, rows - k);
        db.prepare(delSql(m)).run(...d.slice(k * 10, (k + m) * 10));
      }
      if (start % 100_000 === 0) log(`${start.toLocaleString('en-US')} conversions written`);
    }
  })();
  db.exec('ANALYZE');
  db.close();
  return { seconds: (performance.now() - t0) / 1000, deliveries };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;

export async function run(): Promise<{ name: string; lines: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'closeloop-bench-mq-'));
  const path = join(dir, 'mq.db');
  const end = Date.now();
  try {
    log(`filling ${N.toLocaleString('en-US')} conversions`);
    const filled = fill(path, end);
    log(`filled in ${filled.seconds.toFixed(1)} s: ${filled.deliveries.toLocaleString('en-US')} deliveries`);
    const config = testConfig(
      {
        storage: { sqlitePath: path, synchronous: 'NORMAL' },
        destinations: [
          {
            id: 'fb',
            connector: 'meta',
            settings: { pixelId: '123456789012345', baseUrl: 'http://127.0.0.1:9' },
            credentials: { accessToken: 'x'.repeat(20) },
          },
          {
            id: 'tt',
            connector: 'tiktok',
            settings: { pixelCode: 'CBENCH123456', baseUrl: 'http://127.0.0.1:9' },
            credentials: { accessToken: 'x'.repeat(20) },
          },
          { id: 'tracker', connector: 'http-postback', settings: { url: 'http://127.0.0.1:9/t' } },
        ],
      },
      path,
    );
    const gw = openGateway({ config, logger: createLogger('silent'), startWorkers: false });
    const server = await gw.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const queries: Array<[string, string]> = [
      ['baseline: GET /v1/stats?window=7d', '/v1/stats?window=7d'],
      ['match-quality 7d', '/v1/stats/match-quality?window=7d'],
      ['match-quality 30d (every row)', '/v1/stats/match-quality?window=30d'],
    ];
    const times = queries.map(() => [] as number[]);
    const cpu = queries.map(() => 0);
    let delivered30 = 0;
    try {
      for (let r = 0; r < REPEAT; r++) {
        for (const [i, [, q]] of queries.entries()) {
          const c0 = process.cpuUsage();
          const t0 = performance.now();
          const res = await fetch(base + q, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
          const body = (await res.json()) as { destinations?: Array<{ delivered: number }> };
          (times[i] as number[]).push(performance.now() - t0);
          const c = process.cpuUsage(c0);
          cpu[i] = (cpu[i] as number) + c.user + c.system;
          if (res.status !== 200) throw new Error(`${q} answered ${res.status}: ${JSON.stringify(body)}`);
          if (i === 2) delivered30 = (body.destinations ?? []).reduce((a, d) => a + d.delivered, 0);
        }
      }
    } finally {
      await gw.close();
    }
    const base50 = pct(
      [...(times[0] as number[])].sort((a, b) => a - b),
      50,
    );
    const rows = queries.map(([label, q], i) => {
      const t = [...(times[i] as number[])].sort((a, b) => a - b);
      return [label, `\`${q}\``, fmtMs(pct(t, 50)), fmtMs(pct(t, 99)), fmtUs((cpu[i] as number) / REPEAT), `${(pct(t, 50) / base50).toFixed(2)}×`];
    });
    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ');
    return {
      name: 'match quality on a large ledger',
      lines: [
        `${N.toLocaleString('en-US')} conversions over 30 days, ${filled.deliveries.toLocaleString('en-US')} deliveries (${delivered30.toLocaleString('en-US')} succeeded, all in the 30d window); SQLite, ${REPEAT} requests each, interleaved. Load average after the run: ${load}.`,
        '',
        ...table(['query', 'request', 'p50 ms', 'p99 ms', 'CPU µs/request', 'p50 vs baseline'], rows),
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().then(
    (r) => process.stdout.write(`## ${r.name}\n\n${r.lines.join('\n')}\n`),
    (err) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
}
