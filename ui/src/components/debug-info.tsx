import { duration, KIND_WORDS, NEXT_WORDS, when } from '../format';
import { Badge, Code, KeyValues } from './ui';

export interface AttemptJson {
  attempt: number;
  started_at: number;
  duration_ms: number | null;
  request: { method: string; url: string; headers?: Record<string, string>; body?: string } | null;
  response_status: number | null;
  response_headers?: Record<string, string>;
  response_body: string | null;
  outcome: string;
  error_kind: string | null;
  error_message: string | null;
  platform_code?: string | null;
  note?: string | null;
  next_step: string;
  next_attempt_at: number | null;
}

/** One attempt, as Everflow's "View Debug Info": the exact request and the answer, and what happens next. */
export function AttemptDebug({ a }: { a: AttemptJson }) {
  return (
    <div class="attempt" data-attempt={a.attempt}>
      <div class="attempt-head">
        <strong>Attempt {a.attempt}</strong> <Badge value={a.outcome} />{' '}
        <span class="muted">
          {when(a.started_at)} · {duration(a.duration_ms)}
        </span>
      </div>
      <div class="grid2">
        <section>
          <h4>Request sent</h4>
          {a.request ? (
            <>
              <Code label="request line">{`${a.request.method} ${a.request.url}`}</Code>
              {a.request.headers && Object.keys(a.request.headers).length ? <KeyValues data={a.request.headers} /> : null}
              {a.request.body ? <Code label="request body">{a.request.body}</Code> : null}
            </>
          ) : (
            <p class="muted">No request was sent (it failed before sending).</p>
          )}
        </section>
        <section>
          <h4>Response</h4>
          <p>
            Status: <strong class="status-code">{a.response_status ?? 'no response'}</strong>
          </p>
          {a.response_headers && Object.keys(a.response_headers).length ? <KeyValues data={a.response_headers} /> : null}
          <Code label="response body">{a.response_body}</Code>
        </section>
      </div>
      {a.error_kind || a.error_message ? (
        <p class="why">
          <strong>Why it failed:</strong> {a.error_message}
          {a.error_kind ? <span class="muted"> — {KIND_WORDS[a.error_kind] ?? a.error_kind}</span> : null}
          {a.platform_code ? <span class="muted"> (platform code {a.platform_code})</span> : null}
        </p>
      ) : null}
      {a.note ? <p class="muted">Note: {a.note}</p> : null}
      <p>
        <strong>Next step:</strong> {NEXT_WORDS[a.next_step] ?? a.next_step}
        {a.next_attempt_at ? <span class="muted"> at {when(a.next_attempt_at)}</span> : null}
      </p>
    </div>
  );
}
