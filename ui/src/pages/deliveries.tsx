import { get, post } from '../api';
import { ListTable, usePages } from '../components/list-table';
import { Badge, ErrorBox, Link, Time } from '../components/ui';
import { KIND_WORDS } from '../format';
import { setQuery, useLocation } from '../router';
import { useAction, useLoad } from '../use-load';
import type { DestinationJson } from './destinations';

interface DeliveryJson {
  id: string;
  conversion_id: string;
  destination: string;
  status: string;
  attempt_count: number;
  max_attempts: number;
  next_attempt_at: number | null;
  last_error: string | null;
  last_kind: string | null;
  created_at: number;
}

function Row({ d, onChange }: { d: DeliveryJson; onChange: () => void }) {
  const retry = useAction<DeliveryJson>();
  return (
    <tr data-delivery={d.id}>
      <td>
        <Time ms={d.created_at} />
      </td>
      <td>
        <Link to={`/conversions/${d.conversion_id}`}>{d.conversion_id.slice(0, 12)}…</Link>
      </td>
      <td>{d.destination}</td>
      <td>
        <Badge value={retry.result?.status ?? d.status} />
      </td>
      <td>
        {d.attempt_count} / {d.max_attempts}
      </td>
      <td class="wrap">
        {d.last_error ?? <span class="muted">—</span>}
        {d.last_kind ? <div class="muted small">{KIND_WORDS[d.last_kind] ?? d.last_kind}</div> : null}
      </td>
      <td>{d.next_attempt_at ? <Time ms={d.next_attempt_at} /> : <span class="muted">—</span>}</td>
      <td>
        {d.status === 'dead' && !retry.result ? (
          <button
            type="button"
            disabled={retry.busy}
            onClick={() => retry.run(() => post(`/v1/deliveries/${d.id}/retry`)).then((r) => r && setTimeout(onChange, 300))}
          >
            Retry
          </button>
        ) : null}
        {retry.result ? <span class="ok-text">queued again</span> : null}
        <ErrorBox error={retry.error} title="Retry refused" />
      </td>
    </tr>
  );
}

/** The outbox: what waits, what died and why, per destination; retry one or all dead of a destination. */
export function DeliveriesPage() {
  const { query } = useLocation();
  const status = query.get('status') ?? 'dead';
  const destination = query.get('destination') ?? '';
  const pages = usePages();
  const cursor = pages.cursor;
  const list = useLoad(
    () =>
      get<{ deliveries: DeliveryJson[]; next_cursor: string | null }>('/v1/deliveries', {
        status: status === 'all' ? undefined : status,
        destination: destination || undefined,
        cursor,
        limit: 50,
      }),
    `${status}|${destination}|${cursor ?? ''}`,
  );
  const dests = useLoad(() => get<{ destinations: DestinationJson[] }>('/v1/destinations'), 'd');
  const bulk = useAction<{ retried: number; ids: string[] }>();
  const paused = (dests.data?.destinations ?? []).filter((d) => d.paused);
  const rows = list.data?.deliveries ?? [];
  const pick = (next: Record<string, string>) => {
    pages.newest();
    bulk.clear();
    setQuery({ status, destination, ...next });
  };
  return (
    <section>
      <h1>Deliveries</h1>
      {paused.length ? (
        <div class="notice warn">
          Paused:{' '}
          {paused.map((d) => (
            <strong key={d.id}>{d.id} </strong>
          ))}{' '}
          — their deliveries wait until you <Link to="/destinations">resume them</Link>.
        </div>
      ) : null}
      <div class="filters inline">
        <div class="tabs" role="tablist">
          {['pending', 'dead', 'succeeded', 'cancelled', 'all'].map((s) => (
            <button
              key={s}
              type="button"
              role="tab"
              aria-selected={s === status}
              class={s === status ? 'tab active' : 'tab'}
              onClick={() => pick({ status: s })}
            >
              {s === 'pending' ? 'waiting' : s}
            </button>
          ))}
        </div>
        <label>
          Destination
          <select name="destination" value={destination} onChange={(e) => pick({ destination: (e.target as HTMLSelectElement).value })}>
            <option value="">all destinations</option>
            {(dests.data?.destinations ?? []).map((d) => (
              <option key={d.id} value={d.id}>
                {d.id}
              </option>
            ))}
          </select>
        </label>
        {status === 'dead' ? (
          <button
            type="button"
            class="danger"
            disabled={bulk.busy || rows.length === 0}
            onClick={() =>
              bulk
                .run(() => post('/v1/deliveries/retry', { status: 'dead', ...(destination ? { destination } : {}) }))
                .then((r) => r && setTimeout(list.reload, 300))
            }
          >
            Retry all dead{destination ? ` of ${destination}` : ''}
          </button>
        ) : null}
      </div>
      {bulk.result ? <div class="notice ok">{bulk.result.retried} dead deliveries queued again with a fresh attempt budget.</div> : null}
      <ErrorBox error={bulk.error} title="Bulk retry refused" />
      <ListTable
        rows={list.data?.deliveries}
        error={list.error}
        errorTitle="Could not load deliveries"
        empty={status === 'dead' ? 'No dead deliveries — nothing needs a retry.' : `No ${status === 'pending' ? 'waiting' : status} deliveries.`}
        head={['created', 'conversion', 'destination', 'status', 'attempts', 'last error', 'next attempt', '']}
        row={(d) => <Row key={d.id} d={d} onChange={list.reload} />}
        pages={pages}
        next={list.data?.next_cursor}
      />
    </section>
  );
}
