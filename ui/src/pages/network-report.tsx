import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { get } from '../api';
import { NetDebugView, type NetDebug } from '../components/network-debug';
import type { PostbackJson } from '../components/postback-form';
import { ReEnable } from '../components/re-enable';
import { ListTable, usePages } from '../components/list-table';
import { Badge, Time } from '../components/ui';
import { setQuery, useLocation } from '../router';
import { useLoad } from '../use-load';

interface ReportRow {
  delivery_id: string;
  postback_id: number;
  conversion_id: string;
  transaction_id: string;
  offer_id: number;
  partner_id: number;
  type: string;
  fired_at: number;
  result: string;
  delivery_status: string;
  attempt_count: number;
  next_attempt_at: number | null;
  debug: NetDebug | null;
  attempts?: NetDebug[];
}

const KEYS = ['from', 'to', 'offer_id', 'partner_id', 'postback_id', 'status'] as const;
const ms = (v: string | undefined) => (v ? new Date(v).getTime() : undefined);

/** Everflow's Partner Postback Report: every fire, its URL, status and answer, with View Debug Info. */
export function NetworkReportPage() {
  const { query } = useLocation();
  const applied = Object.fromEntries(KEYS.map((k) => [k, query.get(k) ?? ''])) as Record<(typeof KEYS)[number], string>;
  const [form, setForm] = useState(applied);
  const pages = usePages<number>();
  const report = useLoad(
    () =>
      get<{ rows: ReportRow[]; next_before: number | null }>('/v1/network/reports/postbacks', {
        from: ms(applied.from),
        to: ms(applied.to),
        offer_id: applied.offer_id,
        partner_id: applied.partner_id,
        postback_id: applied.postback_id,
        status: applied.status || undefined,
        include: 'attempts',
        limit: 50,
        before: pages.cursor,
      }),
    JSON.stringify(applied) + (pages.cursor ?? ''),
  );
  const deactivated = useLoad(() => get<{ postbacks: PostbackJson[] }>('/v1/network/postbacks', { status: 'deactivated' }), 'd');
  // Re-enabled here: keep the card (and the test fire's answer) until the page is left.
  const [back, setBack] = useState<Record<number, boolean>>({});
  const input = (k: keyof typeof form) => ({ value: form[k], onInput: (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value }) });
  return (
    <section>
      <h1>Postback report</h1>
      {(deactivated.data?.postbacks ?? []).map((p) => (
        <div key={p.id} class={`notice ${back[p.id] ? 'ok' : 'bad'} deactivated`} data-postback={p.id}>
          <strong>
            Postback {p.id} {back[p.id] ? 'is active again' : 'is deactivated'}
          </strong>
          {back[p.id] ? null : (
            <>
              {' '}
              (<Time ms={p.deactivated_at} />
              ): {p.deactivated_reason}.
            </>
          )}
          <div class="muted small">
            <code>{p.postback_url ?? p.html_code}</code>
          </div>
          <button
            type="button"
            class="ghost"
            onClick={() => {
              pages.newest();
              setForm({ ...form, postback_id: String(p.id), status: 'failure' });
              setQuery({ ...applied, postback_id: String(p.id), status: 'failure' });
            }}
          >
            Show the failures that caused it
          </button>
          <ReEnable
            postbackId={p.id}
            onDone={() => {
              setBack({ ...back, [p.id]: true });
              report.reload();
            }}
          />
        </div>
      ))}
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          pages.newest();
          setQuery(form);
        }}
      >
        <label>
          From
          <input type="datetime-local" name="from" {...input('from')} />
        </label>
        <label>
          To
          <input type="datetime-local" name="to" {...input('to')} />
        </label>
        <label>
          Offer id
          <input name="offer_id" inputMode="numeric" {...input('offer_id')} />
        </label>
        <label>
          Partner id
          <input name="partner_id" inputMode="numeric" {...input('partner_id')} />
        </label>
        <label>
          Postback id
          <input name="postback_id" inputMode="numeric" {...input('postback_id')} />
        </label>
        <label>
          Result
          <select name="status" {...input('status')}>
            <option value="">all</option>
            <option value="success">success</option>
            <option value="failure">failure</option>
            <option value="pending">pending</option>
            <option value="skipped">skipped (postback was off)</option>
          </select>
        </label>
        <div class="actions">
          <button type="submit">Show</button>
        </div>
      </form>
      <ListTable
        rows={report.data?.rows}
        error={report.error}
        errorTitle="Could not load the report"
        empty="No postback fired in this range with these filters (the default range is the last 30 days)."
        class="report"
        head={['fired', 'postback', 'transaction', 'offer / partner', 'result', 'status', 'URL sent', 'response']}
        row={(r) => (
          <Fragment key={r.delivery_id}>
            <tr data-delivery={r.delivery_id}>
              <td>
                <Time ms={r.fired_at} />
              </td>
              <td>{r.postback_id}</td>
              <td>
                <code>{r.transaction_id.slice(0, 12)}…</code>
              </td>
              <td>
                {r.offer_id} / {r.partner_id}
              </td>
              <td>
                <Badge value={r.result} /> <span class="muted small">{r.attempt_count} tries</span>
              </td>
              <td class="status-code">{r.debug?.http_status ?? '—'}</td>
              <td class="wrap">
                <code>{r.debug?.url ?? '—'}</code>
              </td>
              <td class="wrap">{r.debug?.error ?? (r.debug?.response_body ?? '').slice(0, 80)}</td>
            </tr>
            <tr class="debug-row">
              <td colSpan={8}>
                <details class="debug">
                  <summary>View Debug Info</summary>
                  {(r.attempts ?? (r.debug ? [r.debug] : [])).map((a) => (
                    <NetDebugView key={a.attempt} d={a} />
                  ))}
                  {r.result === 'skipped' ? <p class="muted">Skipped: the postback was not active when this conversion happened.</p> : null}
                </details>
              </td>
            </tr>
          </Fragment>
        )}
        pages={pages}
        next={report.data?.next_before}
        end={null}
      />
    </section>
  );
}
