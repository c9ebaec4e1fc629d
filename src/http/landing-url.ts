import type { Context } from 'koa';
import { isLoopbackHost } from '../bind-guard';
import type { Config } from '../config';

/**
 * The origin a click's landing URL is built on. The Host header is the visitor's to set: trusted
 * blindly, a forged `Host: evil.example` would be stored as the landing page and sent to TikTok
 * as `page.url` and to Meta as `event_source_url`. So: `server.publicUrl` when set (recommended);
 * else a Host named in `server.allowedHosts` (or a loopback name, for local runs); else none —
 * the click is kept without a landing URL.
 */
export function landingOrigin(config: Config, ctx: Context): string | null {
  if (config.server.publicUrl) return config.server.publicUrl.replace(/\/$/, '');
  const host = ctx.host;
  return isAllowedHost(host, config.server.allowedHosts) ? `${ctx.protocol}://${host}` : null;
}

/** This request's URL on the landing origin (before personal parameters are stripped: capture.ts), or null. */
export function landingUrlOf(config: Config, ctx: Context): string | null {
  const origin = landingOrigin(config, ctx);
  return origin === null ? null : `${origin}${ctx.url}`.slice(0, 4096);
}

/** `host[:port]` against the allow-list (names compared without port, case-insensitive). */
export function isAllowedHost(host: string, allowed: readonly string[]): boolean {
  if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i.test(host)) return false;
  const name = host.replace(/:\d{1,5}$/, '').toLowerCase();
  if (isLoopbackHost(name)) return true;
  return allowed.some((a) => a.toLowerCase() === name || a.toLowerCase() === host.toLowerCase());
}
