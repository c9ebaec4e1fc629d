/**
 * The console's only way to the gateway: the same admin API a script uses, authenticated by the
 * session cookie (src/http/admin-auth.ts). Every request that changes something carries the CSRF
 * cookie's value in X-CSRF-Token.
 */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Array<{ field: string; message: string }> = [],
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | undefined | null>;

const listeners = new Set<() => void>();
/** Called when the API answers 401: the session is gone, show the sign-in page. */
export function onSignedOut(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function csrfToken(): string {
  const m = /(?:^|;\s*)closeloop_csrf=([^;]*)/.exec(document.cookie);
  return m ? decodeURIComponent(m[1] ?? '') : '';
}

export function withQuery(path: string, query: Query = {}): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken();
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch {
    throw new ApiFailure(0, 'NETWORK', 'the gateway did not answer (is it running?)');
  }
  const text = await res.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const e = json?.error;
    if (res.status === 401 && path !== '/v1/session') listeners.forEach((fn) => fn());
    // The route itself is missing: an older gateway than this console.
    if (res.status === 404 && (!e || /^no route for /.test(e.message ?? '')))
      throw new ApiFailure(404, 'NO_ROUTE', `this gateway has no ${method} ${path.split('?')[0]} (it is older than the console)`);
    throw new ApiFailure(
      res.status,
      e?.code ?? `HTTP_${res.status}`,
      e?.message ?? (text.slice(0, 200) || res.statusText),
      Array.isArray(e?.details) ? e.details : [],
    );
  }
  return json as T;
}

export const get = <T = any>(path: string, query?: Query) => api<T>('GET', withQuery(path, query));
export const post = <T = any>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const put = <T = any>(path: string, body: unknown) => api<T>('PUT', path, body);
