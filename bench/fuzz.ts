import { execSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { buildRequest, loadOperations, type FuzzContext, type FuzzRequest } from './lib/fuzz-requests';
import { FUZZ_ADMIN_TOKEN, FUZZ_SECRETS, startFuzzTarget, type FuzzTarget } from './lib/fuzz-target';
import { chance, pick, prng } from './lib/fuzz-values';

/**
 * `npm run fuzz [-- --requests N --seconds S --connections C --seed X]`: hostile requests at every
 * route of openapi.yaml on the real gateway process (bench/lib/fuzz-target.ts). Counts answers
 * by status class and route, lists every 5xx with the request that caused it (and goes on), and
 * checks at the end that the process is still up, /readyz answers 200 and SIGTERM exits 0.
 * Writes bench/results/fuzz.md (anything after its CRASH_MARKER line is kept). Exit 1 on any 5xx,
 * connection failure on the server's side, death or unreadiness.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results/fuzz.md', import.meta.url));
const CRASH_MARKER = '<!-- crash runs below: kept when the fuzzer rewrites this file -->';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '200000' },
    seconds: { type: 'string', default: '900' },
    connections: { type: 'string', default: '32' },
    seed: { type: 'string', default: '7' },
    out: { type: 'string', default: RESULTS },
  },
});
const REQUESTS = Number(args.requests);
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const SEED = Number(args.seed);
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const log = (s: string) => process.stderr.write(`${s}\n`);
const uptime = () => execSync('uptime').toString().trim();

/** Real ids for the path parameters: a few clicks, conversions, deliveries and network entities. */
async function seed(t: FuzzTarget, ctx: FuzzContext): Promise<void> {
  const add = (prefix: string, id: unknown) => {
    if (id === undefined || id === null) return;
    ctx.known.set(prefix, [...(ctx.known.get(prefix) ?? []), String(id)]);
  };
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(t.base + path, {
      method,
      headers: { authorization: `Bearer ${FUZZ_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (res.ok) return (await res.json()) as any;
    log(`seed: ${method} ${path} → ${res.status} ${await res.text()}`);
    return null;
  };
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${t.base}/c/demo?gclid=seed-${i}`, { redirect: 'manual' });
    const cid = new URL(res.headers.get('location') ?? 'http://x/').searchParams.get('sub5');
    add('/v1/clicks/', cid);
    const pb = await fetch(`${t.base}/postback?${new URLSearchParams({ key: FUZZ_SECRETS.net, tx_id: `seed-tx-${i}`, click_id: cid ?? '', payout: '1.50' })}`);
    add('/v1/conversions/', ((await pb.json()) as { conversion_id?: string }).conversion_id);
  }
  await new Promise((r) => setTimeout(r, 500));
  for (const d of (await admin('GET', '/v1/deliveries?limit=5'))?.deliveries ?? []) add('/v1/deliveries/', d.id);
  add('/v1/destinations/', 'tracker');
  for (const s of ['net', 'direct']) add('/v1/sources/', s);
  const offer = await admin('POST', '/v1/network/offers', { name: 'Fuzz offer', payout_amount: '2.00' });
  const partner = await admin('POST', '/v1/network/partners', { name: 'Fuzz partner' });
  const postback = await admin('POST', '/v1/network/postbacks', {
    level: 'global',
    partner_id: partner?.id,
    postback_url: `${t.base.replace(/:\d+$/, ':9')}/pb?tx={transaction_id}`,
  });
  add('/v1/network/offers/', offer?.id);
  add('/v1/network/partners/', partner?.id);
  add('/v1/network/postbacks/', postback?.id);
  const signIn = await fetch(`${t.base}/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: FUZZ_ADMIN_TOKEN }),
  });
  const cookies = signIn.headers.getSetCookie().map((c) => c.split(';')[0] as string);
  const csrf = cookies.find((c) => c.startsWith('closeloop_csrf='))?.split('=')[1];
  if (signIn.ok && csrf) ctx.session = { cookie: cookies.join('; '), csrf };
  else log(`seed: sign-in answered ${signIn.status}`);
}

interface RouteCount {
  total: number;
  classes: Record<string, number>;
  statuses: Map<number, number>;
}
interface Failure {
  req: FuzzRequest;
  status: number | string;
  answer: string;
}

const describe = (req: FuzzRequest) => {
  const body =
    req.body === undefined
      ? ''
      : Buffer.isBuffer(req.body)
        ? `<${req.body.length} bytes: ${req.body.toString('hex').slice(0, 80)}>`
        : req.body.length > 300
          ? `${req.body.slice(0, 300)}… (${req.body.length} chars)`
          : req.body;
  const headers = Object.entries(req.headers)
    .map(([k, v]) => `${k}: ${v.length > 120 ? `${v.slice(0, 120)}…` : v}`)
    .join(' | ');
  return `\`${req.method} ${req.path.length > 400 ? `${req.path.slice(0, 400)}… (${req.path.length} chars)` : req.path}\`${headers ? ` headers ${JSON.stringify(headers)}` : ''}${body ? ` body ${JSON.stringify(body)}` : ''}`;
};

async function main(): Promise<number> {
  const loadBefore = uptime();
  const ops = loadOperations(`${ROOT}/openapi.yaml`);
  log(
    `fuzz: ${ops.length} operations from openapi.yaml (+ /ui and unknown paths), ${REQUESTS} requests max, ${SECONDS} s max, ${CONNECTIONS} connections, seed ${SEED}`,
  );
  const target = await startFuzzTarget(ROOT);
  const ctx: FuzzContext = { adminToken: FUZZ_ADMIN_TOKEN, sourceSecrets: Object.values(FUZZ_SECRETS), known: new Map() };
  await seed(target, ctx);

  const pool = new Pool(target.base, { connections: CONNECTIONS, pipelining: 1, headersTimeout: 15_000, bodyTimeout: 15_000 });
  const r = prng(SEED);
  const routes = new Map<string, RouteCount>();
  const classes: Record<string, number> = {};
  const fivexx: Failure[] = [];
  const clientErrors: Failure[] = [];
  let sent = 0;
  let done = 0;
  const t0 = Date.now();
  const deadline = t0 + SECONDS * 1_000;
  const progress = setInterval(
    () =>
      log(`fuzz: ${done} answered, ${fivexx.length} × 5xx, ${clientErrors.length} connection errors, ${Math.round(done / ((Date.now() - t0) / 1000))} req/s`),
    10_000,
  );

  const worker = async () => {
    while (sent < REQUESTS && Date.now() < deadline && !target.exit) {
      sent++;
      let op = pick(r, ops);
      // The 1 MB reference page script is served from disk like any static file: fetch it rarely.
      while (op.template === '/docs/redoc.standalone.js' && !chance(r, 0.05)) op = pick(r, ops);
      const req = buildRequest(r, op, ctx);
      const count: RouteCount = routes.get(req.route) ?? { total: 0, classes: {}, statuses: new Map() };
      routes.set(req.route, count);
      count.total++;
      let status: number | string;
      let answer = '';
      try {
        const res = await pool.request({
          path: req.path,
          method: req.method as 'GET',
          headers: req.headers,
          ...(req.body !== undefined ? { body: req.body } : {}),
        });
        status = res.statusCode;
        if (status >= 500) answer = (await res.body.text()).slice(0, 400);
        else await res.body.dump({ limit: 2 * 1024 * 1024 });
      } catch (err) {
        status = `${(err as { code?: string }).code ?? (err as Error).name}`;
        answer = (err as Error).message;
      }
      done++;
      // RFC 9110 §15.6.2: 501 is the right answer to a method the server does not recognise (the
      // router's allowedMethods does it); counted apart. A request undici refused to send is no answer.
      const unknownMethod = status === 501 && !KNOWN_METHODS.has(req.method);
      const refused = status === 'UND_ERR_INVALID_ARG';
      const cls = unknownMethod
        ? '501 to an unknown method'
        : refused
          ? 'not sent (refused by the client)'
          : typeof status === 'number'
            ? `${Math.floor(status / 100)}xx`
            : 'connection error';
      classes[cls] = (classes[cls] ?? 0) + 1;
      count.classes[cls] = (count.classes[cls] ?? 0) + 1;
      if (typeof status === 'number') count.statuses.set(status, (count.statuses.get(status) ?? 0) + 1);
      if (unknownMethod || refused) continue;
      if (typeof status === 'number' && status >= 500) {
        fivexx.push({ req, status, answer });
        if (fivexx.length <= 20) log(`5xx: ${status} ${describe(req)} → ${answer}`);
      } else if (typeof status === 'string') {
        clientErrors.push({ req, status, answer });
        if (clientErrors.length <= 20) log(`connection error: ${status} ${describe(req)} → ${answer}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  clearInterval(progress);
  const elapsed = (Date.now() - t0) / 1000;
  await pool.close();

  const alive = target.exit === null;
  const ready = alive
    ? await fetch(`${target.base}/readyz`).then(
        async (res) => ({ status: res.status, body: await res.text() }),
        (e: Error) => ({ status: 0, body: e.message }),
      )
    : { status: 0, body: 'process gone' };
  const delivered = target.destinationRequests();
  const errorLines = target.errorLines();
  const stop = await target.stop();
  const loadAfter = uptime();

  const ok = fivexx.length === 0 && clientErrors.length === 0 && alive && ready.status === 200 && stop.code === 0;
  const lines = [
    '# Fuzz: hostile requests at every route (`npm run fuzz`)',
    '',
    `${new Date().toISOString()}, commit ${execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim()}, Node ${process.version}, seed ${SEED}, ${CONNECTIONS} keep-alive connections (undici Pool).`,
    `Target: \`src/main.ts\` as a child process, fresh SQLite file, link \`demo\`, sources \`net\` (tracked) and \`direct\` (google), http-postback destination at a local fake; ${ops.length} operations (every path and method of openapi.yaml, plus /ui and unknown paths).`,
    '',
    `- load before: \`${loadBefore}\``,
    `- load after: \`${loadAfter}\` (1-min load average ${loadavg()[0]?.toFixed(2)})`,
    '',
    `**${done} requests in ${elapsed.toFixed(1)} s (${Math.round(done / elapsed)} req/s): ${Object.entries(classes)
      .sort()
      .map(([k, v]) => `${v} × ${k}`)
      .join(', ')}.**`,
    '',
    `- 5xx: **${fivexx.length}**; connection errors: **${clientErrors.length}**`,
    `- process alive at the end: **${alive ? 'yes' : `no (${JSON.stringify(target.exit)})`}**; \`GET /readyz\` → **${ready.status}** \`${ready.body.slice(0, 200)}\``,
    `- SIGTERM after the run: exit code ${stop.code}${stop.signal ? ` (signal ${stop.signal})` : ''} in ${stop.ms} ms`,
    `- gateway log lines at level error/fatal: ${errorLines.length}; requests that reached the fake destination: ${delivered}`,
    '',
  ];
  if (fivexx.length + clientErrors.length > 0) {
    lines.push('## 5xx and connection errors (each with the request that caused it; first 50)', '');
    for (const f of [...fivexx, ...clientErrors].slice(0, 50))
      lines.push(`- ${f.status} on ${f.req.route}: ${describe(f.req)} → \`${f.answer.replace(/`/g, "'").slice(0, 300)}\``);
    lines.push('');
  }
  if (errorLines.length > 0) lines.push('## Error-level log lines (first 10)', '', ...errorLines.slice(0, 10).map((l) => `- \`${l.replace(/`/g, "'")}\``), '');
  lines.push(
    '## By route (the operation the request was built from; ~12 % of requests use another method)',
    '',
    '| route | requests | 2xx | 3xx | 4xx | 5xx | statuses |',
    '|---|---:|---:|---:|---:|---:|---|',
  );
  for (const [route, c] of [...routes].sort(([a], [b]) => a.localeCompare(b))) {
    const statuses = [...c.statuses]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    lines.push(
      `| \`${route}\` | ${c.total} | ${c.classes['2xx'] ?? 0} | ${c.classes['3xx'] ?? 0} | ${c.classes['4xx'] ?? 0} | ${c.classes['5xx'] ?? 0} | ${statuses} |`,
    );
  }
  const previous = existsSync(args.out) ? readFileSync(args.out, 'utf8') : '';
  const kept = previous.includes(CRASH_MARKER) ? previous.slice(previous.indexOf(CRASH_MARKER)) : `${CRASH_MARKER}\n`;
  writeFileSync(args.out, `${lines.join('\n')}\n\n${kept}`);
  log(lines.slice(0, 16).join('\n'));
  log(`fuzz: ${ok ? 'PASS' : 'FAIL'}; results in ${args.out}`);
  return ok ? 0 : 1;
}

process.exitCode = await main();
