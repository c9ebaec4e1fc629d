import { z } from 'zod';
import { parse } from './args';
import { adminClient } from './client';
import { EXIT, usageError, type CliIo } from './io';

const USAGE = 'closeloop test <destination> [--payout 1.00] [--currency USD] [--platform-click-id ID] [--url GATEWAY] [--json]';
const answer = z
  .object({
    destination: z.string(),
    connector: z.string(),
    ok: z.boolean(),
    duration_ms: z.number().nullable().optional(),
    request: z.object({ method: z.string(), url: z.string(), body: z.string().optional() }).passthrough().nullable().optional(),
    response_status: z.number().nullable().optional(),
    response_body: z.string().nullable().optional(),
    error_kind: z.string().nullable().optional(),
    error_message: z.string().nullable().optional(),
    note: z.string().nullable().optional(),
  })
  .passthrough();

/** `closeloop test`: one synthetic conversion in the platform's test mode (POST /v1/destinations/:id/test); exit 1 when it fails. */
export async function testCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      payout: { type: 'string' },
      currency: { type: 'string' },
      'platform-click-id': { type: 'string' },
    },
    USAGE,
  );
  if (values.help) {
    io.out(`usage: ${USAGE}\n`);
    return EXIT.ok;
  }
  const [destination, ...extra] = positionals;
  if (!destination || extra.length > 0) throw usageError('give one destination id (see GET /v1/destinations)', USAGE);
  const body = {
    ...(values.payout ? { payout: values.payout } : {}),
    ...(values.currency ? { currency: values.currency } : {}),
    ...(values['platform-click-id'] ? { platform_click_id: values['platform-click-id'] } : {}),
  };
  const r = await adminClient(io, values.url).call('POST', `/v1/destinations/${encodeURIComponent(destination)}/test`, answer, body);
  if (values.json) {
    io.out(`${JSON.stringify(r, null, 2)}\n`);
  } else {
    const lines = [`Test conversion to "${r.destination}" (${r.connector}): ${r.ok ? 'succeeded' : 'FAILED'}`];
    if (r.request) lines.push(`  request:  ${r.request.method} ${r.request.url}`);
    if (r.response_status !== undefined && r.response_status !== null)
      lines.push(`  response: ${r.response_status}${r.duration_ms != null ? ` in ${r.duration_ms} ms` : ''}`);
    if (r.response_body) lines.push(`  body:     ${r.response_body.replace(/\s+/g, ' ').slice(0, 300)}`);
    if (!r.ok && r.error_message) lines.push(`  why:      ${r.error_kind ? `${r.error_kind} — ` : ''}${r.error_message}`);
    if (r.note) lines.push(`  note:     ${r.note}`);
    io.out(`${lines.join('\n')}\n`);
  }
  return r.ok ? EXIT.ok : EXIT.problems;
}
