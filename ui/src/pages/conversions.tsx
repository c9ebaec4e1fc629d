import { useState } from 'preact/hooks';
import { get, withQuery } from '../api';
import { ListTable, usePages } from '../components/list-table';
import { Badge, Link, Time } from '../components/ui';
import { setQuery, useLocation } from '../router';
import { useLoad } from '../use-load';

const FILTERS = ['tx_id', 'click_id', 'source', 'offer', 'status', 'matched', 'outcome', 'destination', 'has_warnings', 'from', 'to'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

export interface ConversionSummary {
  id: string;
  source: string;
  transaction_id: string;
  event: string;
  status: string;
  payout: string | null;
  currency: string;
  offer_id: string | null;
  click_id: string | null;
  matched: boolean;
  received_at: number;
  deliveries: Array<{ destination: string; status: string; attempt_count: number; last_kind: string | null }>;
  warnings: string[];
}

/** A date input's value (local) as the ISO 8601 the API takes. */
const iso = (v: string | undefined) => (v ? new Date(v).toISOString() : undefined);

export function ConversionsPage() {
  const { query } = useLocation();
  const applied: Filters = Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? undefined]).filter(([, v]) => v));
  const [form, setForm] = useState<Filters>(applied);
  const pages = usePages();
  const cursor = pages.cursor;
  const apiQuery = { ...applied, from: iso(applied.from), to: iso(applied.to) };
  const key = JSON.stringify(apiQuery) + (cursor ?? '');
  const { data, error, loading } = useLoad(
    () => get<{ conversions: ConversionSummary[]; next_cursor: string | null }>('/v1/conversions', { ...apiQuery, cursor, limit: 50 }),
    key,
  );
  const field = (k: keyof Filters) => ({ value: form[k] ?? '', onInput: (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value }) });
  const submit = (e: Event) => {
    e.preventDefault();
    pages.newest();
    setQuery(form as Record<string, string | undefined>);
  };
  return (
    <section>
      <div class="title-row">
        <h1>Conversions</h1>
        <a class="button ghost" href={withQuery('/v1/conversions.csv', apiQuery)} download>
          Export CSV
        </a>
      </div>
      <form class="filters" onSubmit={submit}>
        <label>
          Transaction id
          <input name="tx_id" {...field('tx_id')} />
        </label>
        <label>
          Click id
          <input name="click_id" {...field('click_id')} />
        </label>
        <label>
          Source
          <input name="source" {...field('source')} />
        </label>
        <label>
          Offer
          <input name="offer" {...field('offer')} />
        </label>
        <label>
          Status
          <select name="status" {...field('status')}>
            <option value="">any</option>
            <option>approved</option>
            <option>pending</option>
            <option>rejected</option>
          </select>
        </label>
        <label>
          Matched
          <select name="matched" {...field('matched')}>
            <option value="">any</option>
            <option value="true">matched to a click</option>
            <option value="false">unmatched</option>
          </select>
        </label>
        <label>
          Delivery outcome
          <select name="outcome" {...field('outcome')}>
            <option value="">any</option>
            <option>succeeded</option>
            <option>pending</option>
            <option>dead</option>
            <option>paused</option>
            <option>cancelled</option>
          </select>
        </label>
        <label>
          Destination
          <input name="destination" {...field('destination')} />
        </label>
        <label class="check">
          <input
            type="checkbox"
            name="has_warnings"
            checked={form.has_warnings === 'true'}
            onChange={(e) => setForm({ ...form, has_warnings: (e.target as HTMLInputElement).checked ? 'true' : undefined })}
          />{' '}
          with warnings only
        </label>
        <label>
          From
          <input type="datetime-local" name="from" {...field('from')} />
        </label>
        <label>
          To
          <input type="datetime-local" name="to" {...field('to')} />
        </label>
        <div class="actions">
          <button type="submit">Search</button>
          <button
            type="button"
            class="ghost"
            onClick={() => {
              setForm({});
              pages.newest();
              setQuery({});
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <ListTable
        rows={data?.conversions}
        error={error}
        errorTitle="Could not search conversions"
        loading={loading}
        empty={
          Object.keys(applied).length
            ? 'No conversion matches these filters.'
            : 'No conversion yet. They appear here as soon as a network fires its postback at the gateway (see Links & sources).'
        }
        rowKey={(c) => c.id}
        columns={[
          { head: 'received', cell: (c) => <Time ms={c.received_at} /> },
          {
            head: 'transaction id',
            cell: (c) => (
              <>
                <Link to={`/conversions/${c.id}`}>{c.transaction_id}</Link>
                {c.warnings.length ? (
                  <span class="badge warn" title={c.warnings.join('\n')}>
                    {c.warnings.length} warning{c.warnings.length > 1 ? 's' : ''}
                  </span>
                ) : null}
              </>
            ),
          },
          { head: 'source', cell: (c) => c.source },
          { head: 'offer', cell: (c) => c.offer_id ?? '—' },
          { head: 'payout', cell: (c) => (c.payout ? `${c.payout} ${c.currency}` : '—') },
          { head: 'click', cell: (c) => (c.matched ? <Badge value="ok" label="matched" /> : <Badge value="warning" label="unmatched" />) },
          {
            head: 'deliveries',
            cell: (c) =>
              c.deliveries.length === 0 ? (
                <span class="muted">none</span>
              ) : (
                c.deliveries.map((d) => <Badge key={d.destination} value={d.status} label={`${d.destination}: ${d.status}`} />)
              ),
          },
        ]}
        pages={pages}
        next={data?.next_cursor}
      />
    </section>
  );
}
