import { z } from 'zod';
import { parse, parseSince } from './args';
import { adminClient } from './client';
import { EXIT, usageError, type CliIo } from './io';

const USAGE = 'closeloop replay --dead [--destination D] [--since 24h|ISO|ms] [--url GATEWAY] [--json]';
/** CONTRACT.md: POST /v1/deliveries/retry → 202 {retried, ids}. */
const answer = z.object({ retried: z.number().int().min(0), ids: z.array(z.string()) });

/** `closeloop replay --dead`: bulk retry of dead deliveries with a fresh attempt budget. */
export async function replayCommand(argv: string[], io: CliIo, now: () => number = Date.now): Promise<number> {
  const { values, positionals } = parse(argv, { dead: { type: 'boolean', default: false }, destination: { type: 'string' }, since: { type: 'string' } }, USAGE);
  if (values.help) {
    io.out(`usage: ${USAGE}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw usageError(`unexpected argument "${positionals[0]}"`, USAGE);
  // Only dead deliveries are replayed in bulk: pending ones are retried anyway, succeeded ones must not be sent twice.
  if (!values.dead) throw usageError('say which deliveries: --dead (the only bulk replay there is)', USAGE);
  let since: number | undefined;
  if (values.since !== undefined) {
    const t = parseSince(values.since, now());
    if (t === null) throw usageError(`--since "${values.since}" is not a time: use 30m, 24h, 7d, an ISO date or epoch ms`, USAGE);
    since = t;
  }
  const body = { status: 'dead', ...(values.destination ? { destination: values.destination } : {}), ...(since !== undefined ? { since } : {}) };
  const r = await adminClient(io, values.url).call('POST', '/v1/deliveries/retry', answer, body);
  if (values.json) io.out(`${JSON.stringify(r, null, 2)}\n`);
  else {
    const scope = [
      values.destination ? `destination ${values.destination}` : 'every destination',
      since !== undefined ? `dead since ${new Date(since).toISOString()}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    io.out(
      r.retried === 0
        ? `No dead deliveries to replay (${scope}).\n`
        : `Queued ${r.retried} dead ${r.retried === 1 ? 'delivery' : 'deliveries'} again (${scope}):\n${r.ids.map((id) => `  ${id}`).join('\n')}\n`,
    );
  }
  return EXIT.ok;
}
