import { useEffect, useState } from 'preact/hooks';

/** A tiny history router under /ui (the gateway answers index.html for every /ui/* path). */
export const BASE = '/ui';

const subscribers = new Set<() => void>();
const notify = () => subscribers.forEach((fn) => fn());
if (typeof window !== 'undefined') window.addEventListener('popstate', notify);

export function navigate(to: string, replace = false): void {
  const url = to.startsWith(BASE) ? to : BASE + to;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  notify();
  if (!replace) window.scrollTo(0, 0);
}

export interface Location {
  /** The path after /ui, always starting with "/". */
  path: string;
  query: URLSearchParams;
}

function current(): Location {
  const p = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return { path: p === '' ? '/' : p, query: new URLSearchParams(location.search) };
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const fn = () => setLoc(current());
    subscribers.add(fn);
    return () => void subscribers.delete(fn);
  }, []);
  return loc;
}

/** `/conversions/:id` against `/conversions/abc` → {id: 'abc'}; null when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const a = pattern.split('/');
  const b = path.replace(/\/$/, '').split('/');
  if (a.length !== b.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    const seg = a[i] as string;
    if (seg.startsWith(':')) out[seg.slice(1)] = decodeURIComponent(b[i] as string);
    else if (seg !== b[i]) return null;
  }
  return out;
}

/** Keeps a page's filters in the address bar so a view can be shared and reloaded. */
export function setQuery(values: Record<string, string | undefined>): void {
  const { path } = current();
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) qs.set(k, v);
  const s = qs.toString();
  navigate(path + (s ? `?${s}` : ''), true);
}
