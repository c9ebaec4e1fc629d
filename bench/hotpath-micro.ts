import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The hot path's per-request pieces, this tree against another (a before tree: `git worktree add
 * /tmp/before-h <commit>` with its node_modules), in ONE process, alternated (before, after,
 * before, after…; the median of each side): CPU µs per call of the observe middleware (access +
 * intake line, metrics, redaction), of a log line written to /dev/null one syscall per line vs
 * one per turn, of the router's match for GET /postback, of the text guard, splitPersonal,
 * parsePostback, the dedup key, newId, and a matched postback's click lookup (+ its conversion row). Far below what a server run resolves on a shared
 * machine; the end-to-end figure stays cpu-probe.ts / bench/run.ts.
 *   npx tsx bench/hotpath-micro.ts /tmp/before-h [rounds=5]
 */
const tmp = mkdtempSync(join(tmpdir(), 'closeloop-hotpath-micro-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const beforeRoot = resolve(process.argv[2] ?? '/tmp/before-h');
const ROUNDS = Number(process.argv[3] ?? 5);
const afterRoot = resolve(new URL('..', import.meta.url).pathname);

type Mod = Record<string, any>;
async function load(root: string) {
  const m = async (p: string): Promise<Mod> => import(pathToFileURL(`${root}/src/${p}`).href);
  return {
    root,
    observe: await m('metrics/observe.ts'),
    logger: await m('logger.ts'),
    metrics: await m('metrics/metrics.ts'),
    guard: await m('text-guard.ts'),
    personal: await m('privacy/personal-params.ts'),
    identifiers: await m('privacy/identifiers.ts'),
    input: await m('conversions/postback-input.ts'),
    routing: await m('conversions/routing.ts'),
    ids: await m('ids.ts'),
    offerUrl: await m('clicks/offer-url.ts'),
    capture: await m('clicks/capture.ts'),
    config: await m('config.ts'),
    clickStore: await m('clicks/click-store.ts'),
    intake: await m('conversions/intake.ts'),
    rows: await m('store/ledger-rows.ts'),
    sqlite: await m('store/sqlite/sqlite-engine.ts'),
    migrations: await m('store/migrations.ts'),
    keyv: await m('store/sqlite/sqlite-keyv-adapter.ts'),
    groupCommit: await m('store/sqlite/group-commit.ts'),
    koaRouter: (await import(pathToFileURL(`${root}/node_modules/@koa/router/lib/router.js`).href)).default,
  };
}

const SECRET = 's3cr3t-s3cr3t-s3cr3t';
const QUERY = `key=${SECRET}&click_id=01a2323584537416af2f4e4ad74463e2&payout=12.50&offer_id=offer-7&tx_id=probe-123456`;
/** The redirect's offer URL work: the bench link's offer URL, two subs and sub5 (bench/lib/workloads.ts). */
const OFFER = 'https://offer.example.com/lp?aff_id=7&offer_id=42';
const SUBS = [
  ['sub1', 'campaign-7'],
  ['sub2', 'adset-3'],
  ['sub5', '01a2323584537416af2f4e4ad74463e2'],
] as const;
const CLICK_QUERY = { gclid: 'Cj0KCQ-bench-gclid-0123456789', sub1: 'campaign-7', sub2: 'adset-3' };
const TARGET = `${OFFER}&sub1=campaign-7&sub2=adset-3&sub5=01a2323584537416af2f4e4ad74463e2`;
const PARAMS = { key: SECRET, click_id: '01a2323584537416af2f4e4ad74463e2', payout: '12.50', offer_id: 'offer-7', tx_id: 'probe-123456' };

function setup(mod: Awaited<ReturnType<typeof load>>) {
  const config = mod.config.parseConfig({
    admin: { token: 'a'.repeat(32) },
    sources: [{ id: 'net', secret: SECRET, mode: 'tracked' }],
    links: [{ id: 'demo', offerUrl: 'https://offer.example/lp?o=1' }],
  });
  const source = config.sources[0];
  const sink = { write: (_: string) => {} };
  const logger = mod.logger.createLogger('info', sink);
  const observeDeps = { config, logger, metrics: mod.metrics.createMetrics(), tally: { add() {} } };
  // Since h-http the middleware takes the observer shared with the hot listener.
  const mw = mod.observe.createObserver ? mod.observe.observe(mod.observe.createObserver(observeDeps)) : mod.observe.observe(observeDeps);
  const body = {
    conversion_id: '01a2323584537416af2f4e4ad74463e2',
    duplicate: false,
    updated: false,
    matched: true,
    status: 'approved',
    deliveries: [{}],
    warnings: [],
  };
  const ctx = {
    get: () => '',
    set() {},
    state: {},
    method: 'GET',
    path: '/postback',
    querystring: QUERY,
    status: 200,
    body,
    params: {},
    _matchedRoute: '/postback',
  };
  const next = async () => {};
  const index = mod.identifiers.personalNameIndex({ names: source.personalFields, exclude: Object.values(source.params) });
  const clickIndex = mod.identifiers.personalNameIndex({ names: source.personalFields, exclude: [] });
  // The router's match for GET /postback: before, the one router of ~80 routes; after, the hot one.
  const big = new mod.koaRouter();
  for (let i = 0; i < 75; i++) big.get(`/v1/thing${i}/:id`, () => {});
  const hot = new mod.koaRouter();
  for (const p of ['/postback', '/postback/:source']) {
    hot.get(p, () => {});
    hot.post(p, () => {});
  }
  hot.get('/c/:link', () => {});
  big.get('/postback', () => {});
  // The click lookup of a matched postback and the conversion's row: a click stored as the
  // redirect stores it (keyv's envelope) in a small database of each tree's schema.
  const db = mod.sqlite.openSqlite(join(tmp, `${mod.root.replaceAll('/', '_')}.db`));
  mod.migrations.migrate(db);
  const adapter = new mod.keyv.SqliteKeyvAdapter(db, new mod.groupCommit.GroupCommit(db));
  const clicks = mod.clickStore.createLedgerClickStore({ store: adapter, ttlMs: 86_400_000, purge: async () => 0 });
  const click = mod.capture.buildClick({
    link: 'demo',
    input: CLICK_QUERY,
    ip: '127.0.0.1',
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15',
    referrer: null,
    landingUrl: TARGET,
    cookies: {},
    now: Date.now(),
  });
  db.prepare('INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?)').run(
    `click:${click.id}`,
    JSON.stringify({ value: click, expires: Date.now() + 86_400_000 }),
    Date.now() + 86_400_000,
  );
  const conversion = {
    id: mod.ids.newId(),
    source: 'net',
    transactionId: 'probe-123456',
    event: 'conversion',
    status: 'approved',
    payout: '12.50',
    currency: 'USD',
    offerId: 'offer-7',
    clickId: click.id,
    matched: true,
    params: {},
    identifiers: {},
    consent: {},
    warnings: [],
    receivedAt: Date.now(),
    updatedAt: Date.now(),
  };
  // intake.receive's own CPU: a ledger that answers at once (conversionToRow of the conversion
  // included, as recordMany runs it) and the click lookup's parse of the stored JSON, with the
  // bench's one source and with eight (every source's key is compared).
  const clickText = JSON.stringify({ value: click, expires: Date.now() + 86_400_000 });
  const receiver = (sources: number) => {
    const cfg = mod.config.parseConfig({
      admin: { token: 'a'.repeat(32) },
      sources: Array.from({ length: sources }, (_, i) => ({ id: i === 0 ? 'net' : `net-${i}`, secret: i === 0 ? SECRET : `${SECRET}-${i}`, mode: 'tracked' })),
      links: [{ id: 'demo', offerUrl: 'https://offer.example/lp?o=1' }],
      outbound: { allowPrivateTargets: ['127.0.0.1'] },
      destinations: [{ id: 'tracker', connector: 'http-postback', settings: { url: 'http://127.0.0.1:9/postback?cid={click_id}' } }],
    });
    const ledger = {
      recordPostback: async (write: { conversion: { id: string }; route: (c: unknown) => Array<{ destinationId: string }> }) => {
        mod.rows.conversionToRow(write.conversion);
        const deliveries = write.route(write.conversion).map((t) => ({ id: mod.ids.newId(), destinationId: t.destinationId, status: 'pending' }));
        return { conversion: write.conversion, duplicate: false, updated: false, deliveries };
      },
    };
    const fakeClicks = { get: async () => (JSON.parse(clickText) as { value: unknown }).value };
    const intake = mod.intake.createIntake({ config: cfg, ledger, clicks: fakeClicks, now: Date.now });
    let n = 0;
    return () => intake.receive({ params: { ...PARAMS, click_id: click.id, tx_id: `probe-${n++}` }, ip: '127.0.0.1' });
  };
  const receive1 = receiver(1);
  const receive8 = receiver(8);
  return {
    receive: receive1,
    receive8Sources: receive8,
    observe: () => mw(ctx, next),
    guard: () => mod.guard.assertCleanText(PARAMS),
    splitPersonal: () => mod.personal.splitPersonal(PARAMS, index, {}),
    parsePostback: () => mod.input.parsePostback(PARAMS, source),
    dedupKey: () => mod.routing.dedupKey({ source: 'net', transactionId: 'probe-123456', event: 'conversion' }, 'tracker'),
    newId: () => mod.ids.newId(),
    // intake.receive's guard and parse: before, parsePostback walked the parameters again.
    guardAndParse: () => {
      mod.guard.assertCleanText(PARAMS);
      return mod.input.parsePostback(PARAMS, source, { textChecked: true });
    },
    withParams: () => mod.offerUrl.withParams(OFFER, SUBS),
    clickSchema: () => mod.capture.clickInputSchema.safeParse(CLICK_QUERY),
    stripPersonalQuery: () => mod.personal.stripPersonalQuery(TARGET, clickIndex),
    routerMatchBig: () => big.match('/postback', 'GET'),
    routerMatchHot: () => hot.match('/postback', 'GET'),
    clickGet: () => clicks.get(click.id),
    clickGetAndRow: async () => mod.rows.conversionToRow({ ...conversion, click: await clicks.get(click.id) }),
  };
}

/** µs CPU per call of fn, over n calls (awaited when it returns a promise). */
async function time(fn: () => unknown, n: number): Promise<number> {
  const t = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const r = fn();
    if (r instanceof Promise) await r;
  }
  const u = process.cpuUsage(t);
  return (u.user + u.system) / n;
}

/** A log line to /dev/null: one synchronous write per line (pino's default) vs the turn-buffered stdout, 20 lines a turn. */
async function logWrites(mod: Awaited<ReturnType<typeof load>>, n: number): Promise<number> {
  const fd = openSync('/dev/null', 'w');
  const line = `${JSON.stringify({ level: 30, time: Date.now(), reqId: 'x'.repeat(32), url: `/postback?${QUERY}`, msg: 'request' })}\n`;
  const dest = mod.logger.turnBufferedStdout ? mod.logger.turnBufferedStdout(fd) : (await import('pino')).default.destination({ dest: fd, sync: true });
  const t = process.cpuUsage();
  for (let i = 0; i < n / 20; i++) {
    for (let j = 0; j < 20; j++) dest.write(line);
    await new Promise((r) => setImmediate(r));
  }
  const u = process.cpuUsage(t);
  return (u.user + u.system) / n;
}

// The side set up first is the faster one by up to ~50 % on functions neither tree changed (shared
// packages turn polymorphic once the second tree's calls reach them): HOTPATH_AFTER_FIRST=1
// swaps the order, and a figure counts only when it holds both ways.
const afterFirst = process.env.HOTPATH_AFTER_FIRST === '1';
const mods = afterFirst ? { after: await load(afterRoot), before: await load(beforeRoot) } : { before: await load(beforeRoot), after: await load(afterRoot) };
const sides = afterFirst ? { after: setup(mods.after), before: setup(mods.before) } : { before: setup(mods.before), after: setup(mods.after) };
// HOTPATH_ONLY=parsePostback,clickGet: only these pieces (a shorter locked run).
const only = process.env.HOTPATH_ONLY?.split(',');
const names = (Object.keys(sides.before) as Array<keyof typeof sides.before>).filter((n) => !only || only.includes(n));
const results: Record<string, { before: number[]; after: number[] }> = {};
for (const name of [...names, ...(only ? [] : ['logWrite' as const])]) results[name] = { before: [], after: [] };
for (const side of ['before', 'after'] as const) for (const name of names) await time(sides[side][name], 20_000); // warm
for (let r = 0; r < ROUNDS; r++) {
  for (const side of ['before', 'after'] as const) {
    for (const name of names) results[name]?.[side].push(await time(sides[side][name], name === 'observe' ? 20_000 : 50_000));
    if (!only) results.logWrite?.[side].push(await logWrites(mods[side], 20_000));
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
process.stdout.write(
  `before ${beforeRoot}, after ${afterRoot}, ${ROUNDS} rounds alternated, ${afterFirst ? 'after' : 'before'} set up first, load ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
for (const [name, r] of Object.entries(results))
  process.stdout.write(`${name.padEnd(16)} ${med(r.before).toFixed(2)} → ${med(r.after).toFixed(2)} µs CPU/call\n`);
