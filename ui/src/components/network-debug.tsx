import { duration, when } from '../format';
import { Badge, Code } from './ui';

/** The network side's DebugInfo (src/network/tools.ts): one request of a partner postback and its answer. */
export interface NetDebug {
  attempt: number;
  url: string | null;
  method: string | null;
  http_status: number | null;
  response_body: string | null;
  duration_ms: number;
  error: string | null;
  outcome: 'succeeded' | 'failed';
  started_at: number;
}

export function NetDebugView({ d, body }: { d: NetDebug; body?: string | null }) {
  return (
    <div class="attempt" data-attempt={d.attempt}>
      <div class="attempt-head">
        <strong>Attempt {d.attempt}</strong> <Badge value={d.outcome} />{' '}
        <span class="muted">
          {when(d.started_at)} · {duration(d.duration_ms)}
        </span>
      </div>
      <h4>URL sent</h4>
      <Code label="request line">{d.url ? `${d.method ?? 'GET'} ${d.url}` : null}</Code>
      {body ? <Code label="request body">{body}</Code> : null}
      <p>
        Status: <strong class="status-code">{d.http_status ?? 'no response'}</strong>
      </p>
      <h4>Response body</h4>
      <Code label="response body">{d.response_body}</Code>
      {d.error ? (
        <p class="why">
          <strong>Why it failed:</strong> {d.error}
        </p>
      ) : null}
    </div>
  );
}
