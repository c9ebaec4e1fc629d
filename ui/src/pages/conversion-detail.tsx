import { get, post } from '../api';
import { AttemptDebug, type AttemptJson } from '../components/debug-info';
import { Badge, ErrorBox, KeyValues, Link, Time } from '../components/ui';
import { KIND_WORDS, when } from '../format';
import type { ConversionSummary } from './conversions';
import { useAction, useLoad } from '../use-load';

/** The list's row (conversions.tsx) plus what only GET /v1/conversions/:id answers. */
interface Detail extends Omit<ConversionSummary, 'deliveries' | 'warnings'> {
  click: null | {
    id: string;
    link: string;
    platform: string | null;
    platform_click_param: string | null;
    platform_click_id: string | null;
    fbc: string | null;
    landing_url: string | null;
    subs: Record<string, string>;
    created_at: number;
  };
  params: Record<string, string>;
  warnings?: string[];
  /** Retractions / restatements of a reversed conversion, and where it still counts (openapi Correction). */
  corrections?: Correction[];
  /** null: the conversion said nothing, so each destination's default applies. */
  consent?: { ad_user_data: string | null; ad_personalization: string | null; limited_data_use: boolean | null };
  deliveries: Array<{
    id: string;
    destination: string;
    connector: string;
    status: string;
    attempt_count: number;
    max_attempts: number;
    next_attempt_at: number | null;
    last_error: string | null;
    last_kind: string | null;
    attempts: AttemptJson[];
  }>;
}

interface Correction {
  destination: string;
  type: 'retraction' | 'restatement';
  status: string;
  delivery_id: string | null;
  value: string | null;
  currency: string | null;
  adjusted_at: number | null;
  last_error: string | null;
}

const CORRECTION_WORDS: Record<string, string> = {
  pending: 'queued — being sent',
  succeeded: 'corrected at the platform',
  dead: 'failed — retry its delivery below once the cause is fixed',
  cancelled: 'cancelled',
  cannot_be_corrected: 'cannot be retracted: the platform has no way to take a conversion back — it still counts there',
  not_enabled: 'not corrected: set retractions: true on the destination, or retract it there by hand — it still counts there',
};

/** Which destinations were corrected after the network reversed the conversion, which cannot be, which are pending or failed. */
function Corrections({ list }: { list: Correction[] }) {
  return (
    <li class="step corrections">
      <div class="step-head">
        <h3>Corrections</h3>
      </div>
      <ul>
        {list.map((c) => (
          <li key={`${c.destination}-${c.type}`} data-correction={`${c.destination}:${c.type}`}>
            <strong>{c.destination}</strong> — {c.type}
            {c.type === 'restatement' && c.value ? ` to ${c.value} ${c.currency ?? ''}` : ''} <Badge value={c.status} label={c.status.replace(/_/g, ' ')} />{' '}
            <span class="muted">{CORRECTION_WORDS[c.status] ?? c.status}</span>
            {c.last_error ? <p class="why">Last error: {c.last_error}</p> : null}
          </li>
        ))}
      </ul>
    </li>
  );
}

/** `gads#retraction` → "Retraction for gads"; an ordinary delivery → "Delivery to gads". */
function deliveryTitle(destination: string): string {
  const m = /^(.+)#(retraction|restatement)$/.exec(destination);
  return m ? `${m[2] === 'retraction' ? 'Retraction' : 'Restatement'} for ${m[1]}` : `Delivery to ${destination}`;
}

function Delivery({ d, onChange }: { d: Detail['deliveries'][number]; onChange: () => void }) {
  const retry = useAction();
  return (
    <li class="step" data-destination={d.destination}>
      <div class="step-head">
        <h3>{deliveryTitle(d.destination)}</h3> <Badge value={d.status} />{' '}
        <span class="muted">
          {d.connector} · {d.attempt_count} of {d.max_attempts} attempts
        </span>
        {d.status === 'dead' ? (
          <button type="button" disabled={retry.busy} onClick={() => retry.run(() => post(`/v1/deliveries/${d.id}/retry`)).then((r) => r && onChange())}>
            Retry
          </button>
        ) : null}
      </div>
      <ErrorBox error={retry.error} />
      {d.last_error ? (
        <p class="why">
          Last error: {d.last_error} {d.last_kind ? <span class="muted">— {KIND_WORDS[d.last_kind] ?? d.last_kind}</span> : null}
        </p>
      ) : null}
      {d.next_attempt_at ? <p class="muted">Next attempt {when(d.next_attempt_at)}</p> : null}
      {d.attempts.length === 0 ? <p class="muted">Not attempted yet.</p> : null}
      {d.attempts.map((a, i) => (
        <details key={a.attempt} open={i === d.attempts.length - 1} class="debug">
          <summary>
            View Debug Info — attempt {a.attempt}: {a.response_status ?? 'no response'} <Badge value={a.outcome} />
          </summary>
          <AttemptDebug a={a} />
        </details>
      ))}
    </li>
  );
}

const NOT_SAID = "not said (the destination's default)";

/** The conversion's consent signals (the postback's, else the click's), as the platforms will get them. */
function ConsentSignals({ consent }: { consent: Detail['consent'] }) {
  const ldu = consent?.limited_data_use;
  return (
    <div class="consent">
      <h4>Consent</h4>
      <KeyValues
        data={{
          'ad user data (Google)': consent?.ad_user_data ?? NOT_SAID,
          'ad personalization (Google)': consent?.ad_personalization ?? NOT_SAID,
          'limited data use (Meta, TikTok, Reddit)': ldu === true ? 'yes' : ldu === false ? 'no' : NOT_SAID,
        }}
      />
      {consent?.ad_user_data === 'denied' ? <p class="muted">ad user data denied: no hashed email or phone is sent to Google.</p> : null}
    </div>
  );
}

/** The whole loop of one conversion: click → postback → each delivery → every attempt. */
export function ConversionDetailPage({ id }: { id: string }) {
  const { data: c, error, reload } = useLoad(() => get<Detail>(`/v1/conversions/${encodeURIComponent(id)}`), id);
  // The stored click itself (GET /v1/clicks/:id) adds how long it is kept; the rest is on the conversion.
  const clickId = c?.click?.id ?? '';
  const stored = useLoad(() => (clickId ? get<{ expires_at: number | null }>(`/v1/clicks/${clickId}`).catch(() => null) : Promise.resolve(null)), clickId);
  if (error && !c)
    return (
      <section>
        <h1>Conversion</h1>
        <ErrorBox error={error} title="Could not load this conversion" />
        <Link to="/conversions">Back to conversions</Link>
      </section>
    );
  if (!c) return <p class="loading">Loading…</p>;
  return (
    <section>
      <p>
        <Link to="/conversions">← Conversions</Link>
      </p>
      <div class="title-row">
        <h1>Conversion {c.transaction_id}</h1>
        <button type="button" class="ghost" onClick={reload}>
          Refresh
        </button>
      </div>
      <ol class="timeline">
        <li class="step">
          <div class="step-head">
            <h3>Click</h3> {c.click ? <Time ms={c.click.created_at} /> : null}
          </div>
          {c.click ? (
            <KeyValues
              data={{
                'click id': c.click.id,
                link: c.click.link,
                platform: c.click.platform ?? '—',
                [c.click.platform_click_param ?? 'platform click id']: c.click.platform_click_id ?? '—',
                ...(c.click.fbc ? { fbc: c.click.fbc } : {}),
                'landing URL': c.click.landing_url ?? '—',
                ...c.click.subs,
                when: when(c.click.created_at),
                ...(stored.data?.expires_at ? { 'kept until': when(stored.data.expires_at) } : {}),
              }}
            />
          ) : (
            <p class="muted">
              {c.click_id
                ? `No stored click matches click id ${c.click_id} (expired, or never captured: check the link puts the click id into sub5).`
                : 'The postback carried no click id.'}
            </p>
          )}
        </li>
        <li class="step">
          <div class="step-head">
            <h3>Postback from {c.source}</h3> <Badge value={c.status} /> <Time ms={c.received_at} />
          </div>
          <KeyValues
            data={{
              'transaction id': c.transaction_id,
              event: c.event,
              payout: c.payout ? `${c.payout} ${c.currency}` : '—',
              offer: c.offer_id ?? '—',
              matched: c.matched ? 'yes' : 'no',
            }}
          />
          <ConsentSignals consent={c.consent} />
          <h4>Other parameters received</h4>
          <KeyValues data={c.params} />
          {c.warnings?.length ? (
            <div class="warnings">
              <h4>Warnings</h4>
              <ul>
                {c.warnings.map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            </div>
          ) : null}
        </li>
        {c.corrections?.length ? <Corrections list={c.corrections} /> : null}
        {c.deliveries.length === 0 ? (
          <li class="step">
            <p class="muted">No destination was routed for this conversion.</p>
          </li>
        ) : null}
        {c.deliveries.map((d) => (
          <Delivery key={d.id} d={d} onChange={reload} />
        ))}
      </ol>
      <ErrorBox error={error} />
    </section>
  );
}
