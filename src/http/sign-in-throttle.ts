/**
 * Failed console sign-ins per client address. The admin token is the only thing between the
 * internet and the console, and a user may choose a short one: after `maxFailures` wrong tokens
 * from one address within `windowMs`, that address gets 429 + Retry-After until the window
 * ends (OWASP's "Blocking Brute Force Attacks":
 * https://owasp.org/www-community/controls/Blocking_Brute_Force_Attacks). A right token clears
 * the address's count. Per process: behind a load balancer each process counts its own tries,
 * which still bounds the rate at N × maxFailures per window.
 */
export interface SignInThrottle {
  /** Seconds to wait, or 0 when this address may try now. */
  blockedFor(ip: string, now: number): number;
  failed(ip: string, now: number): void;
  succeeded(ip: string): void;
}

export function signInThrottle(opts: { maxFailures?: number; windowMs?: number; maxAddresses?: number } = {}): SignInThrottle {
  const maxFailures = opts.maxFailures ?? 10;
  const windowMs = opts.windowMs ?? 15 * 60_000;
  // Bounded memory under a spray from many addresses: the oldest window is forgotten first.
  const maxAddresses = opts.maxAddresses ?? 10_000;
  const tries = new Map<string, { count: number; since: number }>();
  const current = (ip: string, now: number) => {
    const t = tries.get(ip);
    if (t && now - t.since >= windowMs) {
      tries.delete(ip);
      return undefined;
    }
    return t;
  };
  return {
    blockedFor(ip, now) {
      const t = current(ip, now);
      return t && t.count >= maxFailures ? Math.ceil((t.since + windowMs - now) / 1000) : 0;
    },
    failed(ip, now) {
      const t = current(ip, now);
      if (t) t.count++;
      else {
        if (tries.size >= maxAddresses) tries.delete(tries.keys().next().value as string);
        tries.set(ip, { count: 1, since: now });
      }
    },
    succeeded(ip) {
      tries.delete(ip);
    },
  };
}
