/**
 * Event match quality of one destination (GET /v1/stats/match-quality): for each matching signal
 * its connector can send, the share of delivered conversions that carried it, as a bar and a
 * percentage, with the API's hint under a low share. Bars are inline SVG (the CSP allows no
 * inline styles).
 */
export interface MatchQualityJson {
  destination: string;
  connector: string;
  supported: boolean;
  delivered: number;
  measured: number;
  identifiers: Array<{ name: string; count: number; share: number | null }>;
  hints: Array<{ identifier: string; missing_share: number; message: string }>;
}

/** What each signal is, in the user's words. */
const LABELS: Record<string, string> = {
  click_id: 'platform click id',
  fbc: 'fbc (Meta click id)',
  fbp: 'fbp (Meta browser id)',
  ip: 'IP address',
  user_agent: 'user agent',
  email: 'email (hashed)',
  phone: 'phone (hashed)',
  first_name: 'first name (hashed)',
  last_name: 'last name (hashed)',
  external_id: 'external id (hashed)',
};

const pct = (share: number) => `${Math.round(share * 100)} %`;
/** The API orders hints most useful first; the rest wait behind a click. */
const SHOWN_HINTS = 2;

function Hints({ hints }: { hints: MatchQualityJson['hints'] }) {
  if (hints.length === 0) return null;
  return (
    <ul class="hints">
      {hints.map((h) => (
        <li key={h.identifier} class="notice warn" data-hint={h.identifier}>
          {h.message}
        </li>
      ))}
    </ul>
  );
}

export function MatchQuality({ q, windowLabel }: { q: MatchQualityJson | undefined; windowLabel: string }) {
  if (!q?.supported) return null;
  const low = new Set(q.hints.map((h) => h.identifier));
  return (
    <section class="match-quality" aria-label="Match quality">
      <h4>Match quality — {windowLabel}</h4>
      {q.measured === 0 ? (
        <p class="muted small">No conversion delivered in this window{q.delivered > 0 ? ' with its signals recorded' : ''}.</p>
      ) : (
        <>
          <p class="muted small">
            Share of the {q.measured} conversion{q.measured === 1 ? '' : 's'} delivered that carried each signal
            {q.delivered > q.measured ? ` (${q.delivered - q.measured} more delivered before signals were recorded)` : ''}.
          </p>
          <ul class="signals">
            {q.identifiers.map((i) => (
              <li key={i.name} data-identifier={i.name} class={low.has(i.name) ? 'low' : ''}>
                <span class="signal-name">{LABELS[i.name] ?? i.name}</span>
                <svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" role="img" aria-label={`${i.name}: ${pct(i.share ?? 0)}`}>
                  <rect class="track" width="100" height="8" />
                  <rect class="fill" width={Math.round((i.share ?? 0) * 100)} height="8" />
                </svg>
                <span class={`signal-pct${i.count === 0 ? ' muted' : ''}`}>{pct(i.share ?? 0)}</span>
              </li>
            ))}
          </ul>
          <Hints hints={q.hints.slice(0, SHOWN_HINTS)} />
          {q.hints.length > SHOWN_HINTS ? (
            <details class="more-hints">
              <summary>
                {q.hints.length - SHOWN_HINTS} more suggestion{q.hints.length - SHOWN_HINTS === 1 ? '' : 's'}
              </summary>
              <Hints hints={q.hints.slice(SHOWN_HINTS)} />
            </details>
          ) : null}
        </>
      )}
    </section>
  );
}
