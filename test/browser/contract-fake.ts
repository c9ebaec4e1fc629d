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
    const deliveries = (await ledger.listDeliveriesOf(id)).map((d) => ({ destination: d.destinationId, status: d.status, attempt_count: d.attempts, last_kind: d.lastKind }));
    return { ...view, deliveries, warnings: [] as string[] };
  };

  router.get('/v1/conversions', auth, async (ctx) => {
    const tx = typeof ctx.query.tx_id === 'string' ? ctx.query.tx_id : null;
    const rows = db.prepare(`SELECT id FROM conversions ${tx ? 'WHERE transaction_id = ?' : ''} ORDER BY received_at DESC LIMIT 50`).all(...(tx ? [tx] : [])) as Array<{ id: string }>;
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
        id: s.id, mode: s.mode, platform: s.platform ?? null, params: {}, forward_statuses: [], allow_ips: [],
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
    const q = new URLSearchParams({ key: source?.secret ?? '', tx_id: b.tx_id ?? `sample-${Date.now()}`, payout: b.payout ?? '1.00', ...(b.click_id ? { click_id: b.click_id } : {}) });
    const res = await fetch(`${g.url}/postback?${q}`);
    ctx.status = res.status;
    ctx.body = await res.json();
  });
  router.post('/v1/doctor', auth, parseBody, (ctx) => {
    const url = String((ctx.request.body as { url?: string }).url ?? '');
    const known = new Set<string>(PARTNER_MACROS);
    const findings = [...url.matchAll(/\{([^{}]*)\}/g)]
      .filter((m) => !known.has(m[1] ?? ''))
      .map((m) => {
        const guess = (m[1] ?? '').toLowerCase().replace(/[-_]/g, '');
        return {
          severity: 'error', code: 'UNKNOWN_MACRO', message: `{${m[1]}} is not a macro: it will be sent literally`,
          fix: known.has(guess) ? `use {${guess}} (macro names are case-sensitive)` : 'pick a macro from the list', position: { start: m.index ?? 0, end: (m.index ?? 0) + m[0].length },
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
