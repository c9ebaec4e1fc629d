import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REDIRECT_PATH } from './lib/workloads';

/**
 * The redirect in-process, this tree against another (a before tree: `git worktree add --detach
 * /tmp/before-r <commit>` with node_modules linked), alternated rounds (before, after, …; medians):
 * each tree's real gateway (openGateway on a fresh SQLite file, synchronous FULL, the bench's
 * config) with its app listener (the hot path) called with stand-in request and response objects,
 * TURN clicks per event-loop turn, each turn awaited until every 302 is sent, i.e. the group commit
 * and its WAL fdatasync done. CPU µs per click of this process (all threads: the sync's too).
 * What it leaves out is node:http's own parsing and socket write, which neither tree changes.
 *   npx tsx bench/redirect-micro.ts /tmp/before-r [rounds=5] [turns=400] [turn=25]
 * Knobs: MICRO_SYNC=NORMAL, MICRO_AFTER_FIRST=1, MICRO_CLOSED, MICRO_SPIN_US, MICRO_AFTER_WRITER (below).
 */
const beforeRoot = resolve(process.argv[2] ?? '/tmp/before-r');
const ROUNDS = Number(process.argv[3] ?? 5);
const TURNS = Number(process.argv[4] ?? 400);
const TURN = Number(process.argv[5] ?? 25);
const afterRoot = resolve(new URL('..', import.meta.url).pathname);
/** MICRO_SYNC=NORMAL: without the WAL fdatasync (the same kernel work on both sides, and its noise). */
const SYNC = process.env.MICRO_SYNC === 'NORMAL' ? 'NORMAL' : 'FULL';
/** The side opened first runs faster on code both share (hotpath-micro.ts): MICRO_AFTER_FIRST=1 swaps. */
const afterFirst = process.env.MICRO_AFTER_FIRST === '1';
/**
 * MICRO_CLOSED=N: closed loop instead of turns, N clicks in flight for TURNS ms a round (a click answered starts
 * the next one on the next turn, as a keep-alive client would): clicks/s of wall time as well as CPU, which is
 * what the group commit's sync policy moves. MICRO_SPIN_US=U: U µs of busy CPU per answer, standing in for
 * node:http's parse and socket write so the loop is as busy as the server's. Both trees may be this one.
 */
const CLOSED = Number(process.env.MICRO_CLOSED ?? 0);
const SPIN_US = Number(process.env.MICRO_SPIN_US ?? 0);
/** MICRO_AFTER_WRITER="serialSyncs=0": fields set, as numbers, on the after side's GroupCommit (0 reads as false). */
const AFTER_WRITER = Object.fromEntries(
  (process.env.MICRO_AFTER_WRITER ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => {
      const [k, v] = kv.split('=');
      return [k as string, Number(v)];
    }),
);

type Listener = (req: unknown, res: unknown) => void;
async function open(root: string, writerFields: Record<string, number> = {}) {
  const m = async (p: string) => import(pathToFileURL(`${root}/${p}`).href);
  const { openGateway } = await m('src/gateway.ts');
  const { createLogger } = await m('src/logger.ts');
  const { benchGatewayConfig } = await m('bench/servers/shared.ts');
  const dir = mkdtempSync(join(tmpdir(), 'closeloop-redirect-micro-'));
  const config = benchGatewayConfig({ sqlitePath: join(dir, 'bench.db'), synchronous: SYNC, clickStore: 'sqlite' }, 'no-delivery');
  const gw = openGateway({ config, logger: createLogger(config.log.level), startWorkers: false });
  await gw.ready;
  Object.assign(gw.writer, writerFields);
  const listener = gw.app.callback() as Listener;
  return {
    listener,
    close: async () => {
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One click through the listener; resolves with the status once the answer is "sent". */
function click(listener: Listener): Promise<number> {
  return new Promise((done) => {
    const res = {
      headersSent: false,
      statusCode: 0,
      writeHead(status: number) {
        this.statusCode = status;
        this.headersSent = true;
        return this;
      },
      end() {
        if (SPIN_US > 0) spin(SPIN_US);
        done(this.statusCode);
      },
      destroy() {
        done(-1);
      },
    };
    listener({ method: 'GET', url: REDIRECT_PATH, headers: { host: '127.0.0.1' }, socket: { remoteAddress: '127.0.0.1' } }, res);
  });
}

function spin(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end);
}

/** Closed loop: CLOSED clicks in flight for `ms`; returns [CPU µs per click, clicks per second]. */
function closed(listener: Listener, ms: number): Promise<[number, number]> {
  return new Promise((finish) => {
    const t = process.cpuUsage();
    const start = performance.now();
    let clicks = 0;
    let open = CLOSED;
    const one = () => {
      if (performance.now() - start >= ms) {
        if (--open === 0) {
          const u = process.cpuUsage(t);
          finish([(u.user + u.system) / clicks, (1000 * clicks) / (performance.now() - start)]);
        }
        return;
      }
      void click(listener).then((status) => {
        if (status !== 302) throw new Error(`not a 302: ${status}`);
        clicks++;
        setImmediate(one);
      });
    };
    for (let i = 0; i < CLOSED; i++) one();
  });
}

async function run(listener: Listener, turns: number): Promise<number> {
  if (CLOSED > 0) {
    const [cpu, rate] = await closed(listener, turns);
    rates.push(rate);
    return cpu;
  }
  const t = process.cpuUsage();
  for (let i = 0; i < turns; i++) {
    const answers = await Promise.all(Array.from({ length: TURN }, () => click(listener)));
    if (answers.some((s) => s !== 302)) throw new Error(`not a 302: ${answers.join(',')}`);
  }
  const u = process.cpuUsage(t);
  return (u.user + u.system) / (turns * TURN);
}

const rates: number[] = [];
const sides = afterFirst
  ? { after: await open(afterRoot, AFTER_WRITER), before: await open(beforeRoot) }
  : { before: await open(beforeRoot), after: await open(afterRoot, AFTER_WRITER) };
for (const s of Object.values(sides)) await run(s.listener, 100); // warm
rates.length = 0;
const results: Record<'before' | 'after', number[]> = { before: [], after: [] };
const rateOf: Record<'before' | 'after', number[]> = { before: [], after: [] };
for (let r = 0; r < ROUNDS; r++)
  for (const side of ['before', 'after'] as const) {
    results[side].push(await run(sides[side].listener, TURNS));
    if (CLOSED > 0) rateOf[side].push(rates.pop() as number);
  }
for (const s of Object.values(sides)) await s.close();
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const load = (await import('node:os'))
  .loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' / ');
const rateLine = (side: 'before' | 'after') =>
  CLOSED > 0 ? `; ${med(rateOf[side]).toFixed(0)} clicks/s (${rateOf[side].map((x) => x.toFixed(0)).join(' / ')})` : '';
process.stdout.write(
  `redirect in-process, ${CLOSED > 0 ? `closed loop of ${CLOSED} for ${TURNS} ms, ${SPIN_US} µs spin per answer` : `${TURN} clicks a turn`}, after's writer ${JSON.stringify(AFTER_WRITER)}, synchronous ${SYNC}, ${ROUNDS} rounds alternated, ${afterFirst ? 'after' : 'before'} opened first, load ${load}\n` +
    `before ${beforeRoot}: ${med(results.before).toFixed(1)} µs CPU/click (${fmt(results.before)})${rateLine('before')}\n` +
    `after  ${afterRoot}: ${med(results.after).toFixed(1)} µs CPU/click (${fmt(results.after)})${rateLine('after')}\n`,
);
