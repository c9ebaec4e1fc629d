import { useState } from 'preact/hooks';
import { api, get, post, put } from '../api';
import { NetDebugView, type NetDebug } from '../components/network-debug';
import { PostbackForm, postbackBody, type PostbackJson } from '../components/postback-form';
import { ReEnable } from '../components/re-enable';
import { ListTable } from '../components/list-table';
import { Badge, ErrorBox, Link, Time } from '../components/ui';
import { setQuery, useLocation } from '../router';
import { useAction, useLoad } from '../use-load';
import type { OfferJson, PartnerJson } from './network-offers';

function Row({ p, names, onEdit, onChange }: { p: PostbackJson; names: (p: PostbackJson) => string; onEdit: () => void; onChange: () => void }) {
  const test = useAction<{ debug?: NetDebug; html?: string; request_body?: string | null }>();
  const act = useAction();
  // Re-enabled from this card: keep the answer of the test fire in view.
  const [reenabled, setReenabled] = useState(false);
  return (
    <article class={`card pb ${p.status}`} data-postback={p.id}>
      <div class="title-row">
        <h3>
          Postback {p.id} <Badge value={p.status} />
        </h3>
        <span class="muted">{names(p)}</span>
      </div>
      <pre class="code">{p.delivery_method === 'html' ? p.html_code : `${p.http_method} ${p.postback_url}`}</pre>
      <p class="muted small">
        {p.level} · fires on {p.type}
        {p.delay_ms ? ` · delayed ${p.delay_ms} ms` : ''} · last success <Time ms={p.last_success_at} /> · {p.consecutive_failures} failures in a row
      </p>
      {p.status === 'deactivated' || reenabled ? (
        <div class={`notice ${reenabled ? 'ok' : 'bad'}`}>
          {reenabled ? (
            <strong>Active again. </strong>
          ) : (
            <>
              <strong>Deactivated</strong> <Time ms={p.deactivated_at} />: {p.deactivated_reason}.{' '}
            </>
          )}
          <Link to={`/network/report?postback_id=${p.id}&status=failure`}>See the failures that caused it</Link>
          <ReEnable
            postbackId={p.id}
            onDone={() => {
              setReenabled(true);
              onChange();
            }}
          />
        </div>
      ) : null}
      <div class="actions">
        <button type="button" class="ghost" onClick={onEdit}>
          Edit
        </button>
        <button type="button" class="ghost" disabled={test.busy} onClick={() => test.run(() => post(`/v1/network/postbacks/${p.id}/test`, { params: {} }))}>
          Test fire
        </button>
        {p.status === 'active' ? (
          <button
            type="button"
            class="ghost"
            disabled={act.busy}
            onClick={() => act.run(() => put(`/v1/network/postbacks/${p.id}`, postbackBody({ ...p, status: 'inactive' }))).then((r) => r && onChange())}
          >
            Disable
          </button>
        ) : null}
        {p.status === 'inactive' ? (
          <button
            type="button"
            class="ghost"
            disabled={act.busy}
            onClick={() => act.run(() => post(`/v1/network/postbacks/${p.id}/enable`, {})).then((r) => r && onChange())}
          >
            Enable
          </button>
        ) : null}
        <button
          type="button"
          class="ghost danger-text"
          disabled={act.busy}
          onClick={() => confirm(`Delete postback ${p.id}?`) && act.run(() => api('DELETE', `/v1/network/postbacks/${p.id}`)).then(() => onChange())}
        >
          Delete
        </button>
      </div>
      <ErrorBox error={test.error || act.error} />
      {test.result?.debug ? (
        <div role="status">
          <NetDebugView d={test.result.debug} body={test.result.request_body} />
        </div>
      ) : null}
      {test.result?.html !== undefined ? (
        <pre class="code" role="status">
          {test.result.html}
        </pre>
      ) : null}
    </article>
  );
}

export function NetworkPostbacksPage() {
  const { query } = useLocation();
  const status = query.get('status') ?? '';
  const list = useLoad(() => get<{ postbacks: PostbackJson[] }>('/v1/network/postbacks', { status: status || undefined }), status);
  const offers = useLoad(() => get<{ offers: OfferJson[] }>('/v1/network/offers'), 'o');
  const partners = useLoad(() => get<{ partners: PartnerJson[] }>('/v1/network/partners'), 'p');
  const [editing, setEditing] = useState<Partial<PostbackJson> | null | 'new'>(null);
  const offerName = (id: number) => offers.data?.offers.find((o) => o.id === id)?.name ?? `offer ${id}`;
  const partnerName = (id: number) => partners.data?.partners.find((o) => o.id === id)?.name ?? `partner ${id}`;
  const names = (p: PostbackJson) =>
    [p.partner_id ? partnerName(p.partner_id) : 'every partner', p.offer_id ? offerName(p.offer_id) : 'every offer'].join(' · ');
  const rows = list.data?.postbacks ?? [];
  const deactivated = rows.filter((p) => p.status === 'deactivated').length;
  return (
    <section>
      <div class="title-row">
        <h1>Partner postbacks</h1>
        <button type="button" onClick={() => setEditing('new')}>
          + Postback
        </button>
      </div>
      <div class="tabs" role="tablist">
        {['', 'active', 'inactive', 'deactivated'].map((s) => (
          <button
            key={s}
            type="button"
            role="tab"
            aria-selected={s === status}
            class={s === status ? 'tab active' : 'tab'}
            onClick={() => setQuery({ status: s || undefined })}
          >
            {s || 'all'}
          </button>
        ))}
      </div>
      {deactivated && !status ? (
        <div class="notice bad">
          {deactivated} postback{deactivated > 1 ? 's were' : ' was'} deactivated after repeated failures.
        </div>
      ) : null}
      {editing ? (
        <PostbackForm
          initial={editing === 'new' ? null : editing}
          offers={offers.data?.offers ?? []}
          partners={partners.data?.partners ?? []}
          onSaved={() => {
            setEditing(null);
            list.reload();
          }}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      <ListTable
        rows={list.data?.postbacks}
        error={list.error}
        errorTitle="Could not load partner postbacks"
        empty={`No partner postback${status ? ` is ${status}` : ' yet'}. Create one with “+ Postback”.`}
        cards="rows"
        row={(p) => <Row key={p.id} p={p} names={names} onEdit={() => setEditing(p)} onChange={list.reload} />}
      />
    </section>
  );
}
