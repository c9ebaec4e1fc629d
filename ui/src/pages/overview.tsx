import { get } from '../api';
import { StackedColumns } from '../components/chart';
import { ListTable } from '../components/list-table';
import { Empty, ErrorBox, Stat } from '../components/ui';
import { duration, pct, refusal } from '../format';
import { setQuery, useLocation } from '../router';
import { useLoad } from '../use-load';

interface Stats {
  window: string;
  from: number;
  to: number;
  bucket_ms: number;
  clicks: number;
  postbacks: { received: number; accepted: number; duplicate: number; rejected: number };
  matched_pct: number;
  rejected_by_code: Record<string, number>;
  deliveries: Array<{ destination: string; pending: number; succeeded: number; dead: number; cancelled: number; skipped: number }>;
  failure_rate: number;
  outbox: { depth: number; oldest_pending_age_ms: number | null };
  series: Array<{ t: number; destination: string; conversions: number; failures: number }>;
}

export function OverviewPage() {
  const { query } = useLocation();
  const window = query.get('window') === '7d' ? '7d' : '24h';
  const { data: s, error, loading } = useLoad(() => get<Stats>('/v1/stats', { window }), window);
  return (
    <section>
      <div class="title-row">
        <h1>Overview</h1>
        <div class="tabs" role="tablist">
          {(['24h', '7d'] as const).map((w) => (
            <button
              key={w}
              type="button"
              role="tab"
              aria-selected={w === window}
              class={w === window ? 'tab active' : 'tab'}
              onClick={() => setQuery({ window: w })}
            >
              Last {w === '24h' ? '24 hours' : '7 days'}
            </button>
          ))}
        </div>
      </div>
      <ErrorBox error={error} title="Could not load the numbers" />
      {loading && !s ? <p class="loading">Loading…</p> : null}
      {s ? (
        <>
          <div class="stats">
            <Stat label="clicks" value={s.clicks} />
            <Stat
              label="postbacks received"
              value={s.postbacks.received}
              hint={`${s.postbacks.accepted} accepted · ${s.postbacks.duplicate} duplicate · ${s.postbacks.rejected} refused`}
            />
            <Stat label="matched to a click" value={pct(s.matched_pct)} />
            <Stat label="delivery failure rate" value={pct(s.failure_rate)} />
            <Stat
              label="waiting in the outbox"
              value={s.outbox.depth}
              hint={s.outbox.oldest_pending_age_ms ? `oldest waits ${duration(s.outbox.oldest_pending_age_ms)}` : 'nothing waiting'}
            />
          </div>
          <div class="grid2">
            <StackedColumns
              title="Conversions delivered, per destination"
              points={s.series.map((p) => ({ t: p.t, series: p.destination, value: p.conversions }))}
              bucketMs={s.bucket_ms}
              from={s.from}
              to={s.to}
              empty="No conversions in this window yet."
            />
            <StackedColumns
              title="Failed attempts, per destination"
              points={s.series.map((p) => ({ t: p.t, series: p.destination, value: p.failures }))}
              bucketMs={s.bucket_ms}
              from={s.from}
              to={s.to}
              empty="No failures in this window."
            />
          </div>
          <div class="grid2">
            <div>
              <h2>Deliveries by destination</h2>
              <ListTable
                rows={s.deliveries}
                empty="No deliveries in this window."
                rowKey={(d) => d.destination}
                columns={[
                  { head: 'destination', cell: (d) => d.destination },
                  { head: 'delivered', cell: (d) => d.succeeded },
                  { head: 'waiting', cell: (d) => d.pending },
                  { head: 'dead', cell: (d) => d.dead, class: (d) => (d.dead ? 'bad' : '') },
                  { head: 'cancelled', cell: (d) => d.cancelled },
                  { head: 'skipped', cell: (d) => d.skipped },
                ]}
              />
            </div>
            <div>
              <h2>Postbacks refused, by reason</h2>
              {Object.keys(s.rejected_by_code).length === 0 ? (
                <Empty>No postback was refused in this window.</Empty>
              ) : (
                <ul class="reasons">
                  {Object.entries(s.rejected_by_code)
                    .sort((a, b) => b[1] - a[1])
                    .map(([code, n]) => (
                      <li key={code}>
                        <strong>{n}</strong> × {refusal(code).what} <span class="muted">({code})</span>
                      </li>
                    ))}
                </ul>
              )}
            </div>
          </div>
        </>
      ) : null}
    </section>
  );
}
