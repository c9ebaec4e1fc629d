import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AttemptResult, DestinationState, Ledger, OutboxStats } from '../store/ledger';

/**
 * The gateway's Prometheus instruments on ONE registry per gateway (never prom-client's global
 * one), so tests can run several gateways in a process and read each one's counts.
 * Names and units follow https://prometheus.io/docs/practices/naming/ (base units, `_total`).
 */
export function createMetrics() {
  const registry = new Registry();
  // Process metrics, among them nodejs_eventloop_lag_seconds (https://github.com/siimon/prom-client#default-metrics).
  collectDefaultMetrics({ register: registry });

  const httpRequests = new Counter({
    name: 'closeloop_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern (not the raw path) and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'closeloop_http_request_duration_seconds',
    help: 'Time to answer an HTTP request (until the handler is done; a streamed body may take longer), by route pattern.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const postbacks = new Counter({
    name: 'closeloop_postbacks_total',
    help: 'Postbacks received: accepted (new conversion or status change), duplicate, or rejected with its error code.',
    labelNames: ['outcome', 'code'] as const,
    registers: [registry],
  });
  const clicks = new Counter({ name: 'closeloop_clicks_total', help: 'Clicks stored (redirects and registrations).', registers: [registry] });
  const attempts = new Counter({
    name: 'closeloop_delivery_attempts_total',
    help: 'Delivery attempts, by destination, outcome (succeeded, failed) and error kind (none on success).',
    labelNames: ['destination', 'outcome', 'kind'] as const,
    registers: [registry],
  });
  const finished = new Counter({
    name: 'closeloop_deliveries_finished_total',
    help: 'Deliveries that reached a final state in this process, by destination and status (succeeded, dead).',
    labelNames: ['destination', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'closeloop_delivery_attempt_duration_seconds',
    help: 'Duration of one request to a destination (a batch counts once), by destination.',
    labelNames: ['destination'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });

  /** Scrape-time readings, shared by the gauges of one scrape (prom-client collects them in parallel). */
  let sources: { ledger: Ledger; deactivated?: () => Promise<number>; now: () => number } | null = null;
  let reading: { at: number; value: Promise<{ outbox: OutboxStats; states: DestinationState[]; deactivated: number | null }> } | null = null;
  const read = () => {
    const s = sources;
    if (!s) return null;
    const t = Date.now();
    if (!reading || t - reading.at > 500) {
      reading = {
        at: t,
        value: (async () => ({
          outbox: await s.ledger.outboxStats(),
          states: await s.ledger.destinationStates(),
          deactivated: s.deactivated ? await s.deactivated() : null,
        }))(),
      };
    }
    return reading.value;
  };
  new Gauge({
    name: 'closeloop_outbox_depth',
    help: 'Pending deliveries in the outbox (read from the ledger at scrape).',
    registers: [registry],
    async collect() {
      const r = await read();
      if (r) this.set(r.outbox.depth);
    },
  });
  new Gauge({
    name: 'closeloop_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest pending delivery; 0 when the outbox is empty.',
    registers: [registry],
    async collect() {
      const r = await read();
      if (r) this.set(r.outbox.oldestPendingAt === null ? 0 : Math.max(0, (sources?.now() ?? Date.now()) - r.outbox.oldestPendingAt) / 1000);
    },
  });
  new Gauge({
    name: 'closeloop_destinations_paused',
    help: 'Destinations paused by an auth or config error until resumed.',
    registers: [registry],
    async collect() {
      const r = await read();
      if (r) this.set(r.states.filter((s) => s.paused).length);
    },
  });
  new Gauge({
    name: 'closeloop_destination_paused',
    help: '1 while the destination is paused.',
    labelNames: ['destination'] as const,
    registers: [registry],
    async collect() {
      const r = await read();
      if (!r) return;
      this.reset();
      for (const s of r.states) this.set({ destination: s.destinationId }, s.paused ? 1 : 0);
    },
  });
  new Gauge({
    name: 'closeloop_partner_postbacks_deactivated',
    help: 'Partner postbacks deactivated by the failure rule (network side).',
    registers: [registry],
    async collect() {
      const r = await read();
      if (r && r.deactivated !== null) this.set(r.deactivated);
    },
  });

  return {
    registry,
    /** Where the scrape-time gauges read from (the app binds its ledger). */
    bind(s: NonNullable<typeof sources>): void {
      sources = s;
    },
    request(method: string, route: string, status: number, seconds: number): void {
      httpRequests.inc({ method, route, status: String(status) });
      httpDuration.observe({ method, route }, seconds);
    },
    postback(outcome: 'accepted' | 'duplicate' | 'rejected', code = ''): void {
      postbacks.inc({ outcome, code });
    },
    click(): void {
      clicks.inc();
    },
    /** The engine's results of one batch (wired as its afterAttempts hook). */
    attempts(results: readonly AttemptResult[]): void {
      const timed = new Set<string>();
      for (const r of results) {
        const a = r.attempt;
        attempts.inc({ destination: r.destinationId, outcome: a.outcome, kind: a.errorKind ?? 'none' });
        if (r.status === 'succeeded' || r.status === 'dead') finished.inc({ destination: r.destinationId, status: r.status });
        // One observation per HTTP request: the items of a batch share its exchange.
        const key = a.exchangeId ?? `${r.deliveryId}`;
        if (a.exchangeId === null && a.responseStatus === null && a.durationMs === 0) continue;
        if (timed.has(key)) continue;
        timed.add(key);
        latency.observe({ destination: r.destinationId }, a.durationMs / 1000);
      }
    },
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
