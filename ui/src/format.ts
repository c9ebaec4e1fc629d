/** Plain words for what the API says in codes. */
const dateTime = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function when(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : dateTime.format(new Date(ms));
}

export function ago(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined) return 'never';
  const s = Math.round((now - ms) / 1000);
  const future = s < 0;
  const a = Math.abs(s);
  if (a < 5) return future ? 'in a moment' : 'just now';
  const text = a < 60 ? `${a} s` : a < 3600 ? `${Math.round(a / 60)} min` : a < 86_400 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86_400)} d`;
  return future ? `in ${text}` : `${text} ago`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

export function pct(x: number | null | undefined): string {
  return x === null || x === undefined || Number.isNaN(x) ? '—' : `${(x * (x <= 1 ? 100 : 1)).toFixed(1)} %`;
}

/** The error kinds of src/connector-kit/delivery-error.ts, as a user reads them. */
export const KIND_WORDS: Record<string, string> = {
  transient: 'temporary failure (network, timeout or 5xx) — retried with backoff',
  rate_limited: 'rate limited by the destination — retried later',
  auth: 'credentials refused — the destination is paused until you fix them and resume it',
  config: 'configuration problem (wrong id, URL or account) — paused until fixed',
  payload: 'the destination refused this conversion (bad or missing field) — not retried',
};

export const NEXT_WORDS: Record<string, string> = {
  done: 'done — delivered',
  retry: 'will be retried',
  dead: 'gave up — retry it by hand once the cause is fixed',
  paused: 'destination paused — resume it on the Destinations page',
};

/** Refusal codes of the intake (openapi.yaml), with what to fix. */
export const REFUSAL_WORDS: Record<string, { what: string; fix: string }> = {
  INVALID_POSTBACK: {
    what: 'a parameter was missing or malformed',
    fix: 'check the postback URL in the network: tx_id must be set, payout a decimal like 12.50, macros spelled exactly (e.g. {transaction_id})',
  },
  UNSUBSTITUTED_MACRO: {
    what: 'a {macro} arrived literally: the network did not fill it',
    fix: "the macro name is wrong for this network (names are case-sensitive: {sub5}, not {Sub5}) — fix it in the network's postback URL",
  },
  IP_NOT_ALLOWED: { what: "the sender's IP is not in the source's allowIps", fix: "add the network's server IPs to the source's allowIps, or remove the list" },
  UNAUTHORIZED: { what: 'the key did not match any source', fix: 'paste the exact URL from Links & sources, with the key parameter' },
  INVALID_BODY: { what: 'the request body could not be read', fix: 'send a GET with query parameters, or a JSON / form body' },
};

export function refusal(code: string | null | undefined): { what: string; fix: string } {
  return (
    REFUSAL_WORDS[code ?? ''] ?? { what: code ? code.toLowerCase().replace(/_/g, ' ') : 'refused', fix: 'read the message; the doctor explains URL problems' }
  );
}
