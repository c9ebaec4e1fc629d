import { startFakePartner, type FakePartner } from '../fakes/partner';
import { startFakeServer, type FakeReply, type FakeServer } from '../helpers/fake-server';
import { startTestGateway, type TestGateway } from '../helpers/gateway';

/**
 * The gateway the browser tests drive: one http-postback destination ("tracker") on a fake
 * tracker whose answer the test switches (ok, a 400 with a body, a 401), and the network side
 * with partner postbacks allowed to reach the fake partner on 127.0.0.1. Deactivation after 2
 * failures instead of 10 and 1 retry instead of 5 keep the suite fast; the rule is the same.
 */
export interface ConsoleGateway {
  g: TestGateway;
  tracker: FakeServer & { answer(reply: FakeReply): void };
  partner: FakePartner;
  close(): Promise<void>;
}

export async function startConsoleGateway(): Promise<ConsoleGateway> {
  let reply: FakeReply = { status: 200, body: 'ok' };
  const server = await startFakeServer(() => reply);
  const tracker = Object.assign(server, { answer: (r: FakeReply) => void (reply = r) });
  const partner = await startFakePartner();
  const g = await startTestGateway({
    configOverrides: {
      delivery: { concurrency: 4, pollMs: 20, leaseMs: 5_000, maxAttempts: 2, backoff: { baseMs: 5, maxMs: 10 } },
      destinations: [{ id: 'tracker', connector: 'http-postback', settings: { url: `${server.url}/conv?cid={click_id}&payout={payout}&tx={transaction_id}` } }],
      network: { allowPrivateTargets: ['127.0.0.1'], timeoutMs: 1_000, retries: 1, deactivation: { failures: 2, windowHours: 72 } },
    },
  });
  return {
    g,
    tracker,
    partner,
    async close() {
      await g.close();
      await server.close();
      await partner.close();
    },
  };
}
