import { PARTNER_MACROS } from '../../connectors/partner-postback/macros';
import { adminAuth } from '../../src/http/admin-auth';
import { parseBody } from '../../src/http/body';
import { conversionView } from '../../src/http/views';
import type { TestGateway } from '../helpers/gateway';

/**
 * TEST-ONLY, for developing the console before h4-api's and h5-doctor's routes are merged: a
 * crude stand-in for the CONTRACT.md routes the seed-001 story needs, mounted only when
 * CLOSELOOP_CONSOLE_FAKE=1 and the real route is missing. It is never part of src/, and
 * story.test.ts runs against the real routes whenever they exist.
 */
export function mountContractFake(g: TestGateway): void {
  const { router, ledger, db, engine } = g.gw;
  const { config } = g;
  const auth = adminAuth(config.admin.token);
  const summary = async (id: string) => {
    const c = await ledger.getConversion(id);
    if (!c) return null;
    const { params: _p, ...view } = conversionView(c);
    const deliveries = (await ledger.listDeliveriesOf(id)).map((d) => ({
      destination: d.destinationId,
      status: d.status,
      attempt_count: d.attempts,
      last_kind: d.lastKind,
    }));
    return { ...view, deliveries, warnings: [] as string[] };
  };

  router.get('/v1/conversions', auth, async (ctx) => {
    const tx = typeof ctx.query.tx_id === 'string' ? ctx.query.tx_id : null;
    const rows = db
      .prepare(`SELECT id FROM conversions ${tx ? 'WHERE transaction_id = ?' : ''} ORDER BY received_at DESC LIMIT 50`)
      .all(...(tx ? [tx] : [])) as Array<{ id: string }>;
    ctx.body = { conversions: (await Promise.all(rows.map((r) => summary(r.id)))).filter(Boolean), next_cursor: null };
  });
  router.post('/v1/deliveries/retry', auth, parseBody, async (ctx) => {
    const body = ctx.request.body as { destination?: string };
    const dead = await ledger.listDeliveries({ status: 'dead', limit: 500, ...(body.destination ? { destinationId: body.destination } : {}) });
    for (const d of dead) await ledger.retryDelivery(d.id, Date.now(), config.delivery.maxAttempts);
    engine.notify();
    ctx.status = 202;
    ctx.body = { retried: dead.length, ids: dead.map((d) => d.id) };
  });
  router.get('/v1/sources', auth, (ctx) => {
    ctx.body = {
      sources: config.sources.map((s) => ({
        id: s.id,
        mode: s.mode,
        platform: s.platform ?? null,
        params: {},
        forward_statuses: [],
        allow_ips: [],
        postback_url: `${g.url}/postback?click_id={sub5}&payout={payout}&tx_id={transaction_id}&offer_id={offer_id}&key={secret}`,
      })),
    };
  });
  router.get('/v1/links', auth, (ctx) => {
    ctx.body = { links: config.links.map((l) => ({ id: l.id, offer_url: l.offerUrl, description: null, click_url: `${g.url}/c/${l.id}` })) };
  });
  router.post('/v1/sources/:id/sample', auth, parseBody, async (ctx) => {
    const source = config.sources.find((s) => s.id === ctx.params.id);
    const b = (ctx.request.body ?? {}) as Record<string, string>;
    const q = new URLSearchParams({
      key: source?.secret ?? '',
      tx_id: b.tx_id ?? `sample-${Date.now()}`,
      payout: b.payout ?? '1.00',
      ...(b.click_id ? { click_id: b.click_id } : {}),
    });
    const res = await fetch(`${g.url}/postback?${q}`);
    ctx.status = res.status;
    ctx.body = await res.json();
  });
  router.get('/v1/stats', auth, (ctx) => {
    const to = Date.now();
    const from = to - 86_400_000;
    const bucket = 3_600_000;
    const n = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;
    const received = n('SELECT count(*) AS n FROM conversions WHERE received_at >= ?', from);
    const rejected = n('SELECT count(*) AS n FROM rejections WHERE received_at >= ?', from);
    const matched = n('SELECT count(*) AS n FROM conversions WHERE received_at >= ? AND matched = 1', from);
    const byDest = db.prepare('SELECT destination_id AS d, status AS s, count(*) AS n FROM deliveries WHERE created_at >= ? GROUP BY 1, 2').all(from) as Array<{
      d: string;
      s: string;
      n: number;
    }>;
    const dests = [...new Set(byDest.map((r) => r.d))];
    const series = db
      .prepare(`SELECT d.destination_id AS destination, (a.started_at - ?) / ? AS b, sum(a.outcome = 'succeeded') AS ok, sum(a.outcome = 'failed') AS bad
      FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE a.started_at >= ? GROUP BY 1, 2`)
      .all(from, bucket, from) as Array<{ destination: string; b: number; ok: number; bad: number }>;
    const failed = series.reduce((a, r) => a + r.bad, 0);
    const total = series.reduce((a, r) => a + r.ok + r.bad, 0);
    ctx.body = {
      window: '24h',
      from,
      to,
      bucket_ms: bucket,
      clicks: n('SELECT count(*) AS n FROM conversions WHERE click_id IS NOT NULL AND received_at >= ?', from),
      postbacks: { received: received + rejected, accepted: received, duplicate: 0, rejected },
      matched_pct: received ? matched / received : 0,
      rejected_by_code: Object.fromEntries(
        (db.prepare('SELECT code, count(*) AS n FROM rejections WHERE received_at >= ? GROUP BY 1').all(from) as Array<{ code: string; n: number }>).map(
          (r) => [r.code, r.n],
        ),
      ),
      deliveries: dests.map((d) => {
        const c = (s: string) => byDest.find((r) => r.d === d && r.s === s)?.n ?? 0;
        return { destination: d, pending: c('pending'), succeeded: c('succeeded'), dead: c('dead'), cancelled: c('cancelled'), skipped: c('skipped') };
      }),
      failure_rate: total ? failed / total : 0,
      outbox: { depth: n(`SELECT count(*) AS n FROM deliveries WHERE status = 'pending'`), oldest_pending_age_ms: null },
      series: series.map((r) => ({ t: from + Math.floor(r.b) * bucket, destination: r.destination, conversions: r.ok, failures: r.bad })),
    };
  });
  router.post('/v1/doctor', auth, parseBody, (ctx) => {
    const url = String((ctx.request.body as { url?: string }).url ?? '');
    const known = new Set<string>(PARTNER_MACROS);
    const findings = [...url.matchAll(/\{([^{}]*)\}/g)]
      .filter((m) => !known.has(m[1] ?? ''))
      .map((m) => {
        const guess = (m[1] ?? '').toLowerCase().replace(/[-_]/g, '');
        return {
          severity: 'error',
          code: 'UNKNOWN_MACRO',
          message: `{${m[1]}} is not a macro: it will be sent literally`,
          fix: known.has(guess) ? `use {${guess}} (macro names are case-sensitive)` : 'pick a macro from the list',
          position: { start: m.index ?? 0, end: (m.index ?? 0) + m[0].length },
        };
      });
    ctx.body = { ok: findings.length === 0, findings };
  });
}

/** Whether the gateway routes `method path` (anything but a "no route" 404). */
export async function hasRoute(g: TestGateway, method: string, path: string): Promise<boolean> {
  const r = await g.admin(path, { method, ...(method === 'GET' ? {} : { body: '{}' }) });
  return !(r.status === 404 && /^no route for /.test(r.body?.error?.message ?? ''));
}
