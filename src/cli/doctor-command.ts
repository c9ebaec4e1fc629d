import { z } from 'zod';
import { DOCTOR_KINDS, DOCTOR_SCOPES, findingSchema } from '../doctor/findings';
import { parse } from './args';
import { adminClient } from './client';
import { EXIT, usageError, type CliIo } from './io';
import { formatFindings } from './print';

const USAGE =
  'closeloop doctor <url> [--kind inbound|outbound|pixel] [--live] [--scope global|specific|global_offer] [--source ID] [--traffic meta,google] [--url GATEWAY] [--json]';
const answer = z.object({ ok: z.boolean(), findings: z.array(findingSchema), live: z.unknown().optional() });

/** `closeloop doctor`: POST /v1/doctor; exit 1 when a finding is an error. */
export async function doctorCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      kind: { type: 'string', default: 'outbound' },
      live: { type: 'boolean', default: false },
      scope: { type: 'string' },
      source: { type: 'string' },
      traffic: { type: 'string' },
    },
    USAGE,
  );
  if (values.help) {
    io.out(`usage: ${USAGE}\n`);
    return EXIT.ok;
  }
  const [url, ...extra] = positionals;
  if (url === undefined || extra.length > 0)
    throw usageError(
      url === undefined ? 'give the URL to check (quote it: the shell eats & and {})' : `one URL at a time (got ${positionals.length}); quote the URL`,
      USAGE,
    );
  const kind = z.enum(DOCTOR_KINDS).safeParse(values.kind);
  if (!kind.success) throw usageError(`--kind must be one of ${DOCTOR_KINDS.join(', ')}`, USAGE);
  const scope = values.scope === undefined ? undefined : z.enum(DOCTOR_SCOPES).safeParse(values.scope);
  if (scope && !scope.success) throw usageError(`--scope must be one of ${DOCTOR_SCOPES.join(', ')}`, USAGE);
  const context = {
    ...(scope?.data ? { scope: scope.data } : {}),
    ...(values.source ? { source: values.source } : {}),
    ...(values.traffic
      ? {
          traffic_sources: values.traffic
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        }
      : {}),
  };
  const result = await adminClient(io, values.url).call('POST', '/v1/doctor', answer, { url, kind: kind.data, live: values.live, context });
  if (values.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
  else io.out(formatFindings(url, result.findings));
  return result.ok ? EXIT.ok : EXIT.problems;
}
