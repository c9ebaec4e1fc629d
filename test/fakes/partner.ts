import { startFakeServer, type FakeReply, type RecordedRequest } from '../helpers/fake-server';

/** How the fake partner answers: a status, a reset socket, or silence (the client times out). */
export type PartnerMode = { status: number; body?: string } | 'reset' | 'hang';

/**
 * A partner's postback receiver on 127.0.0.1:0 that fails on demand (the failures of a network's postback
 * guide, https://www.ourdreamaiaffiliate.com/onboarding/postbacks:
 * an error status, no response, a timeout). `fail()`/`ok()` switch every later request; `next`
 * answers the next requests in order, then falls back to the mode.
 */
export async function startFakePartner(initial: PartnerMode = { status: 200, body: 'ok' }) {
  let mode: PartnerMode = initial;
  const script: PartnerMode[] = [];
  const reply = (m: PartnerMode): FakeReply => (m === 'reset' ? { reset: true } : m === 'hang' ? { hang: true } : { status: m.status, body: m.body ?? '' });
  const server = await startFakeServer(() => reply(script.shift() ?? mode));
  return {
    url: server.url,
    port: server.port,
    requests: server.requests,
    waitFor: (n: number, timeoutMs?: number) => server.waitFor(n, timeoutMs),
    /** Requests whose path is `path`. */
    on: (path: string): RecordedRequest[] => server.requests.filter((r) => r.path === path),
    set(next: PartnerMode): void {
      mode = next;
    },
    ok(status = 200): void {
      mode = { status, body: status === 204 ? '' : 'ok' };
    },
    fail(status = 500): void {
      mode = { status, body: `partner error ${status}` };
    },
    next(...modes: PartnerMode[]): void {
      script.push(...modes);
    },
    close: () => server.close(),
  };
}
export type FakePartner = Awaited<ReturnType<typeof startFakePartner>>;
