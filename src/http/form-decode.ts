/**
 * A query or form component decoded as application/x-www-form-urlencoded reads it (`+` is a
 * space, https://url.spec.whatwg.org/#urlencoded-parsing); a malformed escape stays as it came.
 * Without `%` there is no escape to decode, so no regex and no decodeURIComponent call: it runs on
 * every parameter name of every redirect and postback.
 */
export function decodeFormComponent(raw: string): string {
  if (!raw.includes('%')) return raw.includes('+') ? raw.replace(/\+/g, ' ') : raw;
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** The decoded name of a `name=value` pair of a query string. */
export function pairName(pair: string): string {
  const eq = pair.indexOf('=');
  return decodeFormComponent(eq === -1 ? pair : pair.slice(0, eq));
}
