import type { ComponentChildren } from 'preact';
import { ApiFailure } from '../api';
import { ago, when } from '../format';
import { navigate } from '../router';

/** The API's error, as it said it: code, message and each field it named. */
export function ErrorBox({ error, title }: { error: Error | null | undefined; title?: string }) {
  if (!error) return null;
  const f = error instanceof ApiFailure ? error : null;
  return (
    <div class="error" role="alert">
      <strong>{title ?? 'The gateway refused this'}</strong>
      {f && f.status ? (
        <span class="muted">
          {' '}
          ({f.status} {f.code})
        </span>
      ) : null}
      <div>{error.message}</div>
      {f && f.details.length > 0 ? (
        <ul>
          {f.details.map((d) => (
            <li key={d.field + d.message}>
              <code>{d.field}</code>: {d.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

const TONE: Record<string, string> = {
  succeeded: 'ok',
  success: 'ok',
  active: 'ok',
  ok: 'ok',
  accepted: 'ok',
  done: 'ok',
  approved: 'ok',
  pending: 'wait',
  retry: 'wait',
  paused: 'warn',
  inactive: 'muted',
  skipped: 'muted',
  cancelled: 'muted',
  dead: 'bad',
  failure: 'bad',
  // Corrections of a reversed conversion (Conversion.corrections): it still counts there.
  cannot_be_corrected: 'warn',
  not_enabled: 'warn',
  failed: 'bad',
  deactivated: 'bad',
  rejected: 'bad',
  failing: 'bad',
  error: 'bad',
  warning: 'warn',
  info: 'muted',
};

export function Badge({ value, label }: { value: string; label?: string }) {
  return <span class={`badge ${TONE[value] ?? 'muted'}`}>{label ?? value}</span>;
}

export function Time({ ms }: { ms: number | null | undefined }) {
  if (ms === null || ms === undefined) return <span class="muted">—</span>;
  return (
    <time dateTime={new Date(ms).toISOString()} title={when(ms)}>
      {ago(ms)}
    </time>
  );
}

/** Text shown exactly as received (a request, a body), selectable and wrapping. */
export function Code({ children, label }: { children: string | null | undefined; label?: string }) {
  if (children === null || children === undefined || children === '') return <span class="muted">(empty)</span>;
  return (
    // biome-ignore lint/a11y/useAriaPropsSupportedByRole: the label names each code block (request line, body…) for screen readers; a <pre> has no role that takes one
    <pre class="code" aria-label={label}>
      {children}
    </pre>
  );
}

export function KeyValues({ data }: { data: Record<string, unknown> | null | undefined }) {
  const entries = Object.entries(data ?? {});
  if (entries.length === 0) return <span class="muted">(none)</span>;
  return (
    <table class="kv">
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <th>{k}</th>
            <td>
              <code>{typeof v === 'string' ? v : JSON.stringify(v)}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** An in-app link (history navigation, no reload). */
export function Link({ to, children, class: cls }: { to: string; children: ComponentChildren; class?: string }) {
  return (
    <a
      href={`/ui${to}`}
      class={cls}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

export function Stat({ label, value, hint }: { label: string; value: ComponentChildren; hint?: string }) {
  return (
    <div class="stat">
      <div class="stat-value">{value}</div>
      <div class="stat-label">{label}</div>
      {hint ? <div class="muted small">{hint}</div> : null}
    </div>
  );
}
