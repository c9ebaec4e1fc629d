import { useState } from 'preact/hooks';
import { ApiFailure, get } from '../api';
import { ListTable, usePages } from '../components/list-table';
import { Badge, KeyValues, Link, Time } from '../components/ui';
import { refusal } from '../format';
import { setQuery, useLocation } from '../router';
import { useLoad } from '../use-load';

interface PostbackJson {
  id: string;
  source: string;
  received_at: number;
  outcome: 'accepted' | 'rejected';
  http_status: number;
  code: string | null;
  message: string | null;
  params: Record<string, string>;
  conversion_id: string | null;
}
type Page = { postbacks: PostbackJson[]; next_cursor: string | null; fallback?: boolean };

const iso = (v: string | undefined) => (v ? new Date(v).toISOString() : undefined);

/** Every postback that reached the gateway — Everflow's Advertiser Postback Report. */
export function PostbacksPage() {
  const { query } = useLocation();
  const applied = { source: query.get('source') ?? '', outcome: query.get('outcome') ?? '', from: query.get('from') ?? '', to: query.get('to') ?? '' };
  const [form, setForm] = useState(applied);
  const pages = usePages();
  const cursor = pages.cursor;
  const { data, error, loading } = useLoad<Page>(
    async () => {
      const q = { source: applied.source, outcome: applied.outcome, from: iso(applied.from), to: iso(applied.to), cursor, limit: 50 };
      try {
        return await get<Page>('/v1/postbacks', q);
      } catch (err) {
        // A gateway without the merged list still has its refusals.
        if (!(err instanceof ApiFailure && err.code === 'NO_ROUTE')) throw err;
        const r = await get<{ rejections: Omit<PostbackJson, 'outcome' | 'conversion_id'>[]; next_cursor: string | null }>('/v1/rejections', {
          cursor,
          limit: 50,
        });
        return {
          postbacks: r.rejections.map((x) => ({ ...x, outcome: 'rejected' as const, conversion_id: null })),
          next_cursor: r.next_cursor,
          fallback: true,
        };
      }
    },
    JSON.stringify(applied) + (cursor ?? ''),
  );
  const input = (k: keyof typeof form) => ({ value: form[k], onInput: (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value }) });
  return (
    <section>
      <h1>Postbacks received</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          pages.newest();
          setQuery(form);
        }}
      >
        <label>
          Source
          <input name="source" {...input('source')} />
        </label>
        <label>
          Outcome
          <select name="outcome" {...input('outcome')}>
            <option value="">accepted and refused</option>
            <option value="accepted">accepted</option>
            <option value="rejected">refused</option>
          </select>
        </label>
        <label>
          From
          <input type="datetime-local" name="from" {...input('from')} />
        </label>
        <label>
          To
          <input type="datetime-local" name="to" {...input('to')} />
        </label>
        <div class="actions">
          <button type="submit">Show</button>
        </div>
      </form>
      {data?.fallback ? <div class="notice">This gateway lists refused postbacks only; accepted ones are on the Conversions page.</div> : null}
      <ListTable
        rows={data?.postbacks}
        error={error}
        errorTitle="Could not load postbacks"
        loading={loading}
        empty="No postback matches. A network's postback shows up here the moment it reaches the gateway — accepted or refused."
        cards="rows"
        row={(p) => {
          const why = p.outcome === 'rejected' ? refusal(p.code) : null;
          return (
            <article key={p.id} class={`card postback ${p.outcome}`} data-postback={p.id}>
              <div class="title-row">
                <div>
                  <Badge value={p.outcome} label={p.outcome === 'rejected' ? `refused ${p.http_status}` : 'accepted'} /> from <strong>{p.source}</strong>{' '}
                  <Time ms={p.received_at} />
                </div>
                {p.conversion_id ? <Link to={`/conversions/${p.conversion_id}`}>open conversion</Link> : null}
              </div>
              {why ? (
                <div class="why">
                  <p>
                    <strong>Why:</strong> {p.message ?? why.what}
                  </p>
                  <p>
                    <strong>What to fix:</strong> {why.fix}
                  </p>
                </div>
              ) : null}
              <details>
                <summary>Exact parameters</summary>
                <KeyValues data={p.params} />
              </details>
            </article>
          );
        }}
        pages={pages}
        next={data?.next_cursor}
      />
    </section>
  );
}
