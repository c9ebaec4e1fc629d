import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIntake } from '../src/conversions/intake';
import { openGateway } from '../src/gateway';
import { newId } from '../src/ids';
import { createLogger } from '../src/logger';
import { benchClick } from './lib/workloads';
import { BENCH_SECRET, benchGatewayConfig, SENT_OFFER } from './servers/shared';

/**
 * Intake without HTTP: `intake.receive()` of the held-outbox workload (conversion + one outbox row,
 * a stored click's id, a unique tx_id) in-process, BATCH postbacks per event-loop turn through the
 * real ledger and group commit (WAL fdatasync included, as in the gateway). Prints CPU µs per
 * postback: the change-by-change figure for intake code, far less noisy than a server run; then
 * the redirect's click save through the gateway's click store the same way.
 *   npx tsx bench/intake-probe.ts [turns=400] [batch=25]
 */
const TURNS = Number(process.argv[2] ?? 400);
const BATCH = Number(process.argv[3] ?? 25);
const dir = mkdtempSync(join(tmpdir(), 'closeloop-intake-probe-'));
const config = benchGatewayConfig({ sqlitePath: join(dir, 'probe.db'), synchronous: 'FULL', clickStore: 'sqlite' });
const gw = openGateway({ config, logger: createLogger('warn'), startWorkers: false });
try {
  const click = benchClick();
  await gw.clicks.save(click);
  const intake = createIntake({ config, ledger: gw.ledger, clicks: gw.clicks, now: Date.now });
  let n = 0;
  const turn = () =>
    Promise.all(
      Array.from({ length: BATCH }, () =>
        intake.receive({ params: { key: BENCH_SECRET, click_id: click.id, payout: '12.50', offer_id: SENT_OFFER, tx_id: `probe-${n++}` }, ip: '127.0.0.1' }),
      ),
    );
  for (let i = 0; i < 200; i++) await turn(); // JIT warm, some depth in the trees
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < TURNS; i++) await turn();
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  const per = (cpu.user + cpu.system) / (TURNS * BATCH);
  process.stdout.write(
    `intake.receive, held-outbox, ${BATCH} per turn: ${per.toFixed(1)} µs CPU per postback, ${((1000 * wall) / (TURNS * BATCH)).toFixed(1)} µs wall\n`,
  );

  // The redirect's write: a click saved through the gateway's click store, BATCH per turn.
  const saves = () => Promise.all(Array.from({ length: BATCH }, () => gw.clicks.save({ ...click, id: newId() })));
  for (let i = 0; i < 200; i++) await saves();
  const c0 = process.cpuUsage();
  for (let i = 0; i < TURNS; i++) await saves();
  const c = process.cpuUsage(c0);
  process.stdout.write(`click save (redirect), ${BATCH} per turn: ${((c.user + c.system) / (TURNS * BATCH)).toFixed(1)} µs CPU per click\n`);
} finally {
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
}
