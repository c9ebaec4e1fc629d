import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIntake } from '../src/conversions/intake';
import { openGateway } from '../src/gateway';
import { newId } from '../src/ids';
import { createLogger } from '../src/logger';
import { benchClick } from './lib/workloads';
import { memoryMap } from './scenarios/soak';
import { BENCH_SECRET, benchGatewayConfig, SENT_OFFER } from './servers/shared';

/**
 * RSS against batch sizes: the turns of a stalled server carry ever new numbers of postbacks and
 * clicks, and the ledger and click store write each turn with a multi-row INSERT of that many rows
 * (one SQL text, one prepared statement per row count). In-process, through the real gateway
 * (held-outbox ledger, group commit, click store): one turn of n postbacks and n clicks for every n
 * from 1 to MAX, twice, then RSS and CPU per row. Run under `node --expose-gc --import tsx`:
 *   npx node --expose-gc --import tsx bench/batch-size-probe.ts [max=200]
 */
const MAX = Number(process.argv[2] ?? 200);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const dir = mkdtempSync(join(tmpdir(), 'closeloop-batch-probe-'));
const config = benchGatewayConfig({ sqlitePath: join(dir, 'probe.db'), synchronous: 'FULL', clickStore: 'sqlite' });
const gw = openGateway({ config, logger: createLogger('warn'), startWorkers: false });
const rssMb = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  return process.memoryUsage().rss / 1_048_576;
};
const kinds = () => {
  const m = memoryMap(process.pid);
  return `V8 heap total ${(process.memoryUsage().heapTotal / 1_048_576).toFixed(1)}, V8 pages ${m.v8Pages.toFixed(1)}, brk ${m.brk.toFixed(1)}, other anon ${m.otherAnon.toFixed(1)} MB`;
};
try {
  const click = benchClick();
  await gw.clicks.save(click);
  const intake = createIntake({ config, ledger: gw.ledger, clicks: gw.clicks, now: Date.now });
  let tx = 0;
  const turn = (n: number) =>
    Promise.all([
      ...Array.from({ length: n }, () =>
        intake.receive({ params: { key: BENCH_SECRET, click_id: click.id, payout: '12.50', offer_id: SENT_OFFER, tx_id: `probe-${tx++}` }, ip: '127.0.0.1' }),
      ),
      ...Array.from({ length: n }, () => gw.clicks.save({ ...click, id: newId() })),
    ]);
  for (let i = 0; i < 50; i++) await turn(5); // JIT warm, the fixed statements prepared
  const start = await rssMb();
  const kinds0 = kinds();
  const cpu0 = process.cpuUsage();
  for (let n = 1; n <= MAX; n++) await turn(n);
  const once = await rssMb();
  for (let n = 1; n <= MAX; n++) await turn(n);
  const cpu = process.cpuUsage(cpu0);
  const twice = await rssMb();
  const rows = MAX * (MAX + 1); // postbacks + clicks, both passes
  process.stdout.write(
    `batch sizes 1…${MAX}: RSS ${start.toFixed(1)} → ${once.toFixed(1)} → ${twice.toFixed(1)} MB (+${(twice - start).toFixed(1)}), ` +
      `${((cpu.user + cpu.system) / (2 * rows)).toFixed(1)} µs CPU per postback or click\n  start: ${kinds0}\n  end:   ${kinds()}\n`,
  );
} finally {
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
}
