import { isIP } from 'node:net';
import { ConfigError, type Config } from './config';

/**
 * The example config's secrets are public (they are in the repository). On loopback they are a
 * convenience for a first run; on any other address they let anyone post conversions or read the
 * admin API, so the gateway refuses to listen there until they are replaced.
 */
const EXAMPLE_SECRET = /change[-_ ]?me/i;

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/** The config keys still holding an example secret (names only, never the values). */
export function exampleSecrets(config: Config): string[] {
  const keys = EXAMPLE_SECRET.test(config.admin.token) ? ['admin.token'] : [];
  config.sources.forEach((s, i) => {
    if (EXAMPLE_SECRET.test(s.secret)) keys.push(`sources.${i}.secret (source "${s.id}")`);
  });
  return keys;
}

/** Throws a ConfigError naming every example secret still in place when `host` is not loopback. */
export function assertSafeBind(config: Config, host: string = config.server.host): void {
  if (isLoopbackHost(host)) return;
  const problems: string[] = [];
  const fix = `set a secret of your own (e.g. \`openssl rand -hex 24\`), or bind server.host to 127.0.0.1`;
  if (EXAMPLE_SECRET.test(config.admin.token))
    problems.push(`admin.token: still the example default while listening on ${host} — ${fix} (CLOSELOOP_ADMIN_TOKEN)`);
  config.sources.forEach((s, i) => {
    if (EXAMPLE_SECRET.test(s.secret)) problems.push(`sources.${i}.secret: source "${s.id}" still has the example secret while listening on ${host} — ${fix}`);
  });
  if (problems.length > 0) throw new ConfigError(`refusing to listen on ${host}:\n  ${problems.join('\n  ')}`, problems);
}
