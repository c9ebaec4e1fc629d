import { z } from 'zod';
import { parse } from './args';
import { adminClient } from './client';
import { EXIT, usageError, type CliIo } from './io';

const USAGE = 'closeloop urls [--reveal] [--url GATEWAY] [--json]';
const sources = z.object({
  sources: z.array(z.object({ id: z.string(), mode: z.string(), platform: z.string().nullable(), postback_url: z.string() }).passthrough()),
});
const links = z.object({ links: z.array(z.object({ id: z.string(), offer_url: z.string(), description: z.string().nullable(), click_url: z.string() })) });
const secret = z.object({ secret: z.string() });

/** `closeloop urls`: the postback URL to paste into each network (per source) and the click URL of each link. */
export async function urlsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, { reveal: { type: 'boolean', default: false } }, USAGE);
  if (values.help) {
    io.out(`usage: ${USAGE}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw usageError(`unexpected argument "${positionals[0]}"`, USAGE);
  const api = adminClient(io, values.url);
  const s = await api.call('GET', '/v1/sources', sources);
  const l = await api.call('GET', '/v1/links', links);
  const paste = await Promise.all(
    s.sources.map(async (src) => {
      if (!values.reveal) return src.postback_url;
      const { secret: value } = await api.call('GET', `/v1/sources/${encodeURIComponent(src.id)}/secret`, secret);
      return src.postback_url.replace('{secret}', encodeURIComponent(value));
    }),
  );
  if (values.json) {
    io.out(`${JSON.stringify({ sources: s.sources.map((src, i) => ({ id: src.id, mode: src.mode, postback_url: paste[i] })), links: l.links }, null, 2)}\n`);
    return EXIT.ok;
  }
  const lines = ["Postback URLs — paste into the network's postback field, macros as they are:"];
  if (s.sources.length === 0) lines.push('  (no sources configured)');
  s.sources.forEach((src, i) => lines.push(`  ${src.id} (${src.mode}${src.platform ? `, ${src.platform}` : ''})`, `    ${paste[i]}`));
  if (!values.reveal && s.sources.length > 0) lines.push("  {secret} is the source's secret: run with --reveal to print it in place.");
  lines.push('', "Click URLs — use as the ad's destination; the visitor is sent on to the offer:");
  if (l.links.length === 0) lines.push('  (no links configured)');
  for (const link of l.links) lines.push(`  ${link.id}${link.description ? ` — ${link.description}` : ''} → ${link.offer_url}`, `    ${link.click_url}`);
  io.out(`${lines.join('\n')}\n`);
  return EXIT.ok;
}
