import { useRef, useState } from 'preact/hooks';
import { post, put } from '../api';
import { PARTNER_MACROS } from '../../../connectors/partner-postback/macro-names';
import type { OfferJson, PartnerJson } from '../pages/network-offers';
import { useAction } from '../use-load';
import { Findings, useDoctor } from './doctor-findings';
import { ErrorBox } from './ui';

export interface PostbackJson {
  id: number;
  partner_id: number;
  offer_id: number;
  level: string;
  type: string;
  delivery_method: string;
  status: string;
  postback_url: string | null;
  http_method: string;
  post_body: string | null;
  post_content_type: string;
  html_code: string | null;
  description: string | null;
  delay_ms: number;
  event_id: number;
  deactivated_reason: string | null;
  deactivated_at: number | null;
  consecutive_failures: number;
  streak_started_at: number | null;
  last_failure_at: number | null;
  last_success_at: number | null;
}

/** The body POST/PUT /v1/network/postbacks takes (a full replacement), from the form's values. */
export function postbackBody(v: Partial<PostbackJson>) {
  const html = v.delivery_method === 'html';
  return {
    partner_id: Number(v.partner_id ?? 0),
    offer_id: Number(v.offer_id ?? 0),
    level: v.level ?? 'global',
    type: v.type ?? 'conversion',
    delivery_method: v.delivery_method ?? 'postback',
    status: v.status === 'inactive' ? 'inactive' : 'active',
    ...(html
      ? { html_code: v.html_code ?? '' }
      : { postback_url: v.postback_url ?? '', http_method: v.http_method ?? 'GET', delay_ms: Number(v.delay_ms ?? 0) }),
    ...(!html && v.http_method === 'POST' && v.post_body ? { post_body: v.post_body, post_content_type: v.post_content_type } : {}),
    ...(v.description ? { description: v.description } : {}),
    ...(v.type === 'event' && v.event_id ? { event_id: Number(v.event_id) } : {}),
  };
}

export function PostbackForm({
  initial,
  offers,
  partners,
  onSaved,
  onCancel,
}: {
  initial: Partial<PostbackJson> | null;
  offers: OfferJson[];
  partners: PartnerJson[];
  onSaved: () => void;
  onCancel: () => void;
}) {
  const [v, setV] = useState<Partial<PostbackJson>>(
    initial ?? { level: 'global', type: 'conversion', delivery_method: 'postback', http_method: 'GET', postback_url: '' },
  );
  const urlRef = useRef<HTMLTextAreaElement>(null);
  const save = useAction();
  const html = v.delivery_method === 'html';
  const target = html ? (v.html_code ?? '') : (v.postback_url ?? '');
  const doctor = useDoctor(target, html ? 'pixel' : 'outbound', { scope: v.level, ...(v.offer_id ? { offer_id: String(v.offer_id) } : {}), event: v.type });
  const set = (k: keyof PostbackJson) => (e: Event) => setV({ ...v, [k]: (e.target as HTMLInputElement).value });
  const insert = (macro: string) => {
    const el = urlRef.current;
    const text = `{${macro}}`;
    const key = html ? 'html_code' : 'postback_url';
    const cur = String(v[key] ?? '');
    const at = el ? el.selectionStart : cur.length;
    const end = el ? el.selectionEnd : cur.length;
    setV({ ...v, [key]: cur.slice(0, at) + text + cur.slice(end) });
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(at + text.length, at + text.length);
    });
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const body = postbackBody(v);
    const ok = await save.run(() => (initial?.id ? put(`/v1/network/postbacks/${initial.id}`, body) : post('/v1/network/postbacks', body)));
    if (ok) onSaved();
  };
  return (
    <form class="card pb-form" onSubmit={submit}>
      <h2>{initial?.id ? `Edit postback ${initial.id}` : 'New partner postback'}</h2>
      <div class="filters">
        <label>
          Partner
          <select name="partner_id" value={String(v.partner_id ?? 0)} onChange={set('partner_id')}>
            <option value="0">— none (global offer) —</option>
            {partners.map((p) => (
              <option key={p.id} value={p.id}>
                {p.id} · {p.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Offer
          <select name="offer_id" value={String(v.offer_id ?? 0)} onChange={set('offer_id')}>
            <option value="0">— all offers —</option>
            {offers.map((o) => (
              <option key={o.id} value={o.id}>
                {o.id} · {o.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Scope
          <select name="level" value={v.level} onChange={set('level')}>
            <option value="global">global (every offer of the partner)</option>
            <option value="specific">specific (one offer, one partner)</option>
            <option value="global_offer">global offer (every partner of the offer)</option>
          </select>
        </label>
        <label>
          Fires on
          <select name="type" value={v.type} onChange={set('type')}>
            <option value="conversion">conversion</option>
            <option value="event">event</option>
            <option value="cpc">click (cpc)</option>
          </select>
        </label>
        <label>
          Method
          <select name="delivery_method" value={v.delivery_method} onChange={set('delivery_method')}>
            <option value="postback">server postback</option>
            <option value="html">HTML pixel</option>
          </select>
        </label>
        {!html ? (
          <label>
            HTTP
            <select name="http_method" value={v.http_method} onChange={set('http_method')}>
              <option>GET</option>
              <option>POST</option>
            </select>
          </label>
        ) : null}
        {!html ? (
          <label>
            Delay (ms)
            <input name="delay_ms" type="number" min={0} max={300000} value={v.delay_ms ?? 0} onInput={set('delay_ms')} />
          </label>
        ) : null}
      </div>
      <label class="wide">
        {html ? 'HTML pixel code' : 'Postback URL (keep the { } macros, do not encode them)'}
        <textarea
          ref={urlRef}
          name={html ? 'html_code' : 'postback_url'}
          rows={3}
          value={target}
          onInput={set(html ? 'html_code' : 'postback_url')}
          spellcheck={false}
        />
      </label>
      <Findings url={target} findings={doctor.findings} error={doctor.error} />
      <details class="macros">
        <summary>Insert a macro</summary>
        <div class="chips">
          {PARTNER_MACROS.map((m) => (
            <button key={m} type="button" class="chip" onClick={() => insert(m)}>{`{${m}}`}</button>
          ))}
        </div>
      </details>
      {!html && v.http_method === 'POST' ? (
        <label class="wide">
          POST body
          <textarea name="post_body" rows={3} value={v.post_body ?? ''} onInput={set('post_body')} />
        </label>
      ) : null}
      <label class="wide">
        Description
        <input name="description" value={v.description ?? ''} onInput={set('description')} />
      </label>
      <ErrorBox error={save.error} title="Could not save the postback" />
      <div class="actions">
        <button type="submit" disabled={save.busy}>
          Save
        </button>
        <button type="button" class="ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
