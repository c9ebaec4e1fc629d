import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, post } from '../api';
import { Badge } from './ui';

export interface Finding {
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  fix: string;
  position: { start: number; end: number } | null;
}

/** Runs the postback doctor (POST /v1/doctor) on a URL as it is typed, a moment after the last key. */
export function useDoctor(url: string, kind: 'inbound' | 'outbound' | 'pixel', context: Record<string, unknown>) {
  const [state, setState] = useState<{ findings: Finding[] | null; error: string | null }>({ findings: null, error: null });
  const ctx = JSON.stringify(context);
  useEffect(() => {
    if (!url.trim()) {
      setState({ findings: null, error: null });
      return;
    }
    let live = true;
    const t = setTimeout(() => {
      post<{ ok: boolean; findings: Finding[] }>('/v1/doctor', { url, kind, context: JSON.parse(ctx) }).then(
        (r) => live && setState({ findings: r.findings, error: null }),
        (e: Error) =>
          live &&
          setState({
            findings: null,
            error: e instanceof ApiFailure && e.code === 'NO_ROUTE' ? 'The postback doctor is not available on this gateway.' : e.message,
          }),
      );
    }, 300);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [url, kind, ctx]);
  return state;
}

export function Findings({ url, findings, error }: { url: string; findings: Finding[] | null; error: string | null }) {
  if (error) return <p class="muted small">{error}</p>;
  if (!findings) return null;
  if (findings.length === 0)
    return (
      <p class="ok-text small" role="status">
        The doctor found nothing wrong with this URL.
      </p>
    );
  return (
    <ul class="findings" role="status" aria-label="doctor findings">
      {findings.map((f, i) => (
        <li key={i} class={f.severity} data-code={f.code}>
          <Badge value={f.severity} /> {f.message}
          {f.position ? <code class="at">{url.slice(f.position.start, f.position.end)}</code> : null}
          <div>
            <strong>Fix:</strong> {f.fix}
          </div>
        </li>
      ))}
    </ul>
  );
}
