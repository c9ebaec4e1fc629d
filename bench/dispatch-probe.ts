import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { profileWindow } from './lib/in-process-profile';
import { trackerPostback } from './lib/workloads';

/**
 * The delivery engine's own cost per delivery, this tree against another (a before tree: `git
 * worktree add /tmp/before-hd <commit>` with its node_modules), in ONE process, alternated
 * (before, after, before, after…; medians): the real gateway (SQLite file, group commit, WAL
 * fdatasync) drains N outbox rows through the real engine, but the HTTP client answers 200 at
 * once (no socket), so what is left is the claim, the connector, the attempt record, the streak
 * hook and the commits — the part of the dispatcher's CPU that is neither undici nor node:net.
 * Rows: a static http-postback destination (`core`), partner postbacks (`partner`, the
 * dispatch scenario's drain row) and, with `BENCH_PROBE_CASES=tiktok`, a batched TikTok
 * destination (`tiktok`, the batching scenario's connector). A last untimed pass per side times each SQL statement kind
 * (better-sqlite3's run/get/all wrapped; COMMIT included), per delivery.
 *   npx tsx bench/dispatch-probe.ts /tmp/before-hd [rounds=3] [n=5000]
 */
const beforeRoot = resolve(process.argv[2] ?? '/tmp/before-hd');
const afterRoot = resolve(new URL('..', import.meta.url).pathname);
const ROUNDS = Number(process.argv[3] ?? 3);
const N = Number(process.argv[4] ?? 5000);
/** `BENCH_PROBE_PROFILE=PREFIX`: a CPU profile of the after side's timed windows (PREFIX-core.cpuprofile…; the last stays). */
const PROFILE = process.env.BENCH_PROBE_PROFILE;
const CASES = (process.env.BENCH_PROBE_CASES ?? 'core,partner').split(',');

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

async function load(root: string) {
  const m = async (p: string): Promise<Any> => import(pathToFileURL(`${root}/src/${p}`).href);
  // Each tree's own better-sqlite3: the statement timer wraps the prototype the side really uses.
  const sqlite = (await import(pathToFileURL(`${root}/node_modules/better-sqlite3/lib/index.js`).href)).default;
  return { gateway: await m('gateway.ts'), config: await m('config.ts'), logger: await m('logger.ts'), ids: await m('ids.ts'), sqlite };
}
type Mod = Awaited<ReturnType<typeof load>>;

/**
 * `BENCH_PROBE_DELAY_MS` (2): each answer after a random 0–2× that delay, so answers spread over
 * event-loop turns as a real sink's do (an instant answer puts a whole round in one turn and one
 * commit: no engine sees batches that large). 0: at once.
 */
const DELAY_MS = Number(process.env.BENCH_PROBE_DELAY_MS ?? 2);
const answer = { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok', durationMs: 0 };
/** TikTok's success envelope, for requests to the `tiktok` case's destination. */
const tiktokAnswer = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"code":0,"message":"OK","data":{}}', durationMs: 0 };
const answerFor = (request?: { url?: string }) => (request?.url?.includes('/open_api/') ? tiktokAnswer : answer);
const fakeHttp = {
  send: (request?: { url?: string }) => {
    const a = answerFor(request);
    return DELAY_MS > 0 ? new Promise<typeof answer>((res) => setTimeout(() => res({ ...a }), Math.random() * 2 * DELAY_MS)) : Promise.resolve({ ...a });
  },
  close: async () => undefined,
};
const URL_TEMPLATE = 'http://127.0.0.1:9/pb?tx={transaction_id}&cid={conversion_id}&p={payout}&s1={sub1}&o={offer_id}&a={affiliate_id}';

/**
 * `BENCH_PROBE_MIXED=1`: the TikTok destination is configured in every case, not only in `tiktok`
 * (a gateway with a batching destination beside one-per-request ones: claims are sized by the
 * largest batch).
 */
const MIXED = process.env.BENCH_PROBE_MIXED === '1';

function open(mod: Mod, dir: string, kind: string) {
  const config = mod.config.parseConfig({
    admin: { token: 'bench-admin-token-0123456789' },
    storage: { sqlitePath: join(dir, 'probe.db'), synchronous: 'FULL' },
    log: { level: 'silent' },
    delivery: { concurrency: 32 },
    outbound: { allowPrivateTargets: ['127.0.0.1'] },
    destinations: [
      { id: 'tracker', connector: 'http-postback', settings: { url: URL_TEMPLATE } },
      ...(kind === 'tiktok' || MIXED
        ? [{ id: 'tt', connector: 'tiktok', settings: { baseUrl: 'http://127.0.0.1:9', pixelCode: 'BENCHPIXEL01' }, credentials: { accessToken: TT_TOKEN } }]
        : []),
    ],
  });
  return mod.gateway.openGateway({ config, logger: mod.logger.createLogger('silent'), startWorkers: false, http: fakeHttp });
}

async function fillCore(mod: Mod, gw: Any): Promise<void> {
  for (let i = 0; i < N; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, N - i) }, () => {
        const at = Date.now();
        return gw.ledger.recordPostback(trackerPostback(mod.ids.newId(), at), at);
      }),
    );
  }
}

const TT_TOKEN = 'bench-tiktok-access-token-0123456789abcdef';

/**
 * The `tiktok` case: the batching scenario's connector (batches of 50, a JSON body, identifiersSent
 * per item), each conversion with a TikTok click (ttclid, ip, user agent) so `validate` passes.
 */
async function fillTiktok(mod: Mod, gw: Any): Promise<void> {
  for (let i = 0; i < N; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, N - i) }, () => {
        const at = Date.now();
        const id = mod.ids.newId();
        const base = trackerPostback(id, at);
        const click = {
          id: `clk-${id}`,
          link: 'bench',
          platform: 'tiktok',
          platformClickParam: 'ttclid',
          platformClickId: `E.C.P.${id}`,
          platformClickIds: { ttclid: `E.C.P.${id}` },
          ip: '203.0.113.7',
          userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
          referrer: null,
          landingUrl: 'https://shop.example/landing',
          subs: {},
          fbp: null,
          fbc: null,
          createdAt: at - 60_000,
        };
        return gw.ledger.recordPostback(
          {
            conversion: { ...base.conversion, clickId: click.id, click },
            route: (c: { id: string }) => [{ destinationId: 'tt', connector: 'tiktok', dedupKey: c.id, maxAttempts: 6 }],
          },
          at,
        );
      }),
    );
  }
}

async function fillPartner(gw: Any): Promise<void> {
  const e = gw.network.entities;
  const offer = await e.createOffer({
    name: 'bench',
    status: 'active',
    currency: 'USD',
    payout_type: 'cpa',
    payout_amount: '12.5',
    revenue_type: 'cpa',
    revenue_amount: '20',
    allow_duplicates: false,
    fire_postbacks: true,
    events: [],
  });
  const partner = await e.createPartner({ name: 'bench', status: 'active' });
  const pb = await e.createPostback({
    partner_id: partner.id,
    offer_id: 0,
    level: 'global',
    type: 'conversion',
    delivery_method: 'postback',
    status: 'active',
    postback_url: URL_TEMPLATE,
    http_method: 'GET',
    post_content_type: 'application/x-www-form-urlencoded',
    delay_ms: 0,
    event_id: 0,
  });
  // The partner connector sends through the network's own pool: the same instant answer instead.
  const dest = gw.network.directory.get(`pp-${pb.id}`);
  if (!dest) throw new Error('partner postback destination not found');
  dest.connector.send = () => fakeHttp.send();
  for (let i = 0; i < N; i += 500) {
    const clicks = await Promise.all(
      Array.from({ length: Math.min(500, N - i) }, (_, j) =>
        gw.network.store.recordClick(
          { offerId: offer.id, partnerId: partner.id, sourceId: 'bench', subs: { sub1: `camp-${i + j}` }, ipHash: null },
          Date.now(),
        ),
      ),
    );
    await Promise.all(
      clicks.map((r: Any) => gw.network.tracking.registerConversion({ transaction_id: r.click.transactionId, event_id: 0, status: 'approved' })),
    );
  }
}

/** Per statement kind: calls and µs (wall, on this thread) while `fn` runs. */
async function timedStatements(Database: Any, fn: () => Promise<void>): Promise<Map<string, { n: number; us: number }>> {
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<'run' | 'get' | 'all', (...a: unknown[]) => unknown>;
  probe.close();
  const originals = { run: proto.run, get: proto.get, all: proto.all };
  const by = new Map<string, { n: number; us: number }>();
  for (const method of ['run', 'get', 'all'] as const) {
    const original = originals[method];
    proto[method] = function (this: { source: string }, ...args: unknown[]) {
      const t = process.hrtime.bigint();
      try {
        return original.apply(this, args);
      } finally {
        const k = kindOf(this.source);
        const e = by.get(k) ?? { n: 0, us: 0 };
        e.n++;
        e.us += Number(process.hrtime.bigint() - t) / 1000;
        by.set(k, e);
      }
    };
  }
  try {
    await fn();
  } finally {
    Object.assign(proto, originals);
  }
  return by;
}

function kindOf(sql: string): string {
  const words = sql.trim().replace(/\s+/g, ' ').split(' ');
  const verb = (words[0] ?? '').toUpperCase();
  if (verb === 'INSERT') return `INSERT ${words[2] ?? ''}`;
  if (verb === 'UPDATE') return `UPDATE ${words[1] ?? ''} ${words[3] ?? ''}`;
  const from = words.findIndex((w) => w.toUpperCase() === 'FROM');
  return from >= 0 ? `${verb} ${words[from + 1] ?? ''}` : verb;
}

interface Run {
  cpuUs: number;
  perSecond: number;
  commits: number;
  statements?: Map<string, { n: number; us: number }>;
}

async function once(mod: Mod, kind: string, timed: boolean): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'closeloop-dprobe-'));
  const gw = open(mod, dir, kind);
  try {
    if (kind === 'core') await fillCore(mod, gw);
    else if (kind === 'tiktok') await fillTiktok(mod, gw);
    else await fillPartner(gw);
    const window = async () => {
      gw.engine.start();
      for (;;) {
        if (gw.engine.stats.failed > 0)
          throw new Error(
            `${gw.engine.stats.failed} attempts failed: ${JSON.stringify(gw.db.prepare("SELECT error_kind, error_message FROM attempts WHERE outcome = 'failed' LIMIT 1").get())}`,
          );
        if (gw.engine.stats.succeeded >= N) return;
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    const commits0 = gw.writer.batches;
    if (timed) {
      const statements = await timedStatements(mod.sqlite, window);
      return { cpuUs: 0, perSecond: 0, commits: (gw.writer.batches - commits0) / N, statements };
    }
    const profiler = PROFILE && mod === mods.after ? await profileWindow(`${PROFILE}-${kind}.cpuprofile`) : null;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await window();
    const s = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await profiler?.();
    return { cpuUs: (cpu.user + cpu.system) / N, perSecond: N / s, commits: (gw.writer.batches - commits0) / N };
  } finally {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const mods = { before: await load(beforeRoot), after: await load(afterRoot) };
const os = await import('node:os');
process.stdout.write(
  `before ${beforeRoot}, after ${afterRoot}, N ${N}, ${ROUNDS} rounds alternated, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}\n`,
);
for (const kind of CASES) {
  const runs: Record<'before' | 'after', Run[]> = { before: [], after: [] };
  await once(mods.before, kind, false); // warm both sides' code
  await once(mods.after, kind, false);
  for (let r = 0; r < ROUNDS; r++) for (const side of ['before', 'after'] as const) runs[side].push(await once(mods[side], kind, false));
  const line = (side: 'before' | 'after') =>
    `${runs[side].map((x) => x.cpuUs.toFixed(0)).join(' / ')} µs (median ${med(runs[side].map((x) => x.cpuUs)).toFixed(1)}), ` +
    `${med(runs[side].map((x) => x.perSecond)).toFixed(0)}/s, commits/delivery ${med(runs[side].map((x) => x.commits)).toFixed(3)}`;
  process.stdout.write(
    `\n## ${kind}: CPU µs per delivery (fake HTTP answering after 0–${2 * DELAY_MS} ms)\nbefore: ${line('before')}\nafter:  ${line('after')}\n`,
  );
  for (const side of ['before', 'after'] as const) {
    const t = await once(mods[side], kind, true);
    const rows = [...(t.statements ?? [])].sort((a, b) => b[1].us - a[1].us);
    const total = rows.reduce((s, [, v]) => s + v.us, 0);
    process.stdout.write(
      `${side} statements (per delivery: calls, µs wall): total ${(rows.reduce((s, [, v]) => s + v.n, 0) / N).toFixed(2)}, ${(total / N).toFixed(1)} µs — ` +
        rows.map(([k, v]) => `${k} ${(v.n / N).toFixed(2)} ${(v.us / N).toFixed(1)}`).join(', ') +
        '\n',
    );
  }
}
process.stdout.write(
  `load at end ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}\n`,
);
