import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { startGoogleAdsFake, type GoogleAdsFake } from './fakes/google-ads';
import { startChildGateway, type ChildGateway } from './helpers/child-gateway';

/**
 * A retraction is queued in the transaction of the reject and survives a kill -9 between that
 * commit and the send: the restarted process sends it again with the same identity (order_id,
 * type, adjustment time), and Google — the fake — applies it once.
 */
const ADMIN = 'retract-crash-admin-token-0123';
const SECRET = 'retract-crash-source-secret-01';
const OAUTH = { clientId: 'crash.apps.googleusercontent.com', clientSecret: 'GOCSPX-crash-secret', refreshToken: '1//crash-refresh' };
const LEASE_MS = 1_500;
const children: ChildGateway[] = [];
let fake: GoogleAdsFake | undefined;
let dir: string | undefined;

after(async () => {
  for (const c of children) c.proc.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, timeoutMs: number, read: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('kill -9 after the reject committed, before Google answered: the restarted gateway retracts with the same identity, applied once', async () => {
  fake = await startGoogleAdsFake({ oauth: OAUTH });
  dir = mkdtempSync(join(tmpdir(), 'closeloop-retract-'));
  const config = {
    server: { host: '127.0.0.1', port: 0 },
    admin: { token: ADMIN },
    storage: { sqlitePath: join(dir, 'closeloop.db'), synchronous: 'FULL', clickStore: 'sqlite' },
    delivery: { concurrency: 4, pollMs: 20, leaseMs: LEASE_MS, maxAttempts: 10, backoff: { baseMs: 50, maxMs: 500 } },
    log: { level: 'error' },
    sources: [{ id: 'net', secret: SECRET, mode: 'direct', platform: 'google' }],
    destinations: [
      {
        id: 'gads',
        connector: 'google-ads',
        retractions: true,
        settings: {
          customerId: '1234567890',
          conversionActionId: '777',
          endpoint: { host: '127.0.0.1', port: fake.port, insecure: true },
          tokenUrl: fake.tokenUrl,
        },
        credentials: { client_id: OAUTH.clientId, client_secret: OAUTH.clientSecret, refresh_token: OAUTH.refreshToken },
      },
    ],
    outbound: { allowPrivateTargets: ['127.0.0.1'] },
  };
  const path = join(dir, 'closeloop.yaml');
  writeFileSync(path, stringify(config));

  const first = await startChildGateway(path);
  children.push(first);
  const admin = async (c: ChildGateway, p: string) => (await fetch(`${c.base}${p}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json() as Promise<any>;
  const postback = (c: ChildGateway, q: Record<string, string>) => fetch(`${c.base}/postback?${new URLSearchParams({ key: SECRET, ...q })}`);

  const res = await postback(first, { click_id: 'EAIaIQobChMI-crash-1', tx_id: 'tx-crash-1', payout: '9.90' });
  const { conversion_id: id } = (await res.json()) as { conversion_id: string };
  await until('the upload', 90_000, async () => (await admin(first, `/v1/conversions/${id}`)).deliveries[0]?.status === 'succeeded');

  // Google holds the adjustment call long enough for the process to die waiting for it.
  fake.next({ delayMs: 3_000 });
  assert.equal((await postback(first, { click_id: 'EAIaIQobChMI-crash-1', tx_id: 'tx-crash-1', status: 'rejected' })).status, 200);
  await until('the retraction to be on its way', 20_000, async () => fake?.calls.some((c) => c.method === 'UploadConversionAdjustments'));
  first.proc.kill('SIGKILL');
  await first.exited;

  const second = await startChildGateway(path);
  children.push(second);
  const detail = await until('the retraction, recorded as done', 90_000, async () => {
    const d = await admin(second, `/v1/conversions/${id}`);
    return d.corrections?.[0]?.status === 'succeeded' ? d : undefined;
  });
  const sent = fake.calls.filter((c) => c.method === 'UploadConversionAdjustments').map((c) => c.request.conversion_adjustments[0]);
  assert.ok(sent.length >= 2, `sent again after the restart (${sent.length} calls)`);
  for (const row of sent) assert.deepEqual(row, sent[0], 'every send is the same adjustment: order_id, type, adjustment time');
  assert.equal(fake.adjustments.length, 1, 'Google applied it once; the resend was "already retracted"');
  const attempts = detail.deliveries.find((d: any) => d.destination === 'gads#retraction').attempts;
  // The killed attempt left no record; the restarted one's is the success (noted "already recorded"
  // when Google had applied the first send meanwhile).
  assert.equal(attempts.at(-1)?.outcome, 'succeeded', JSON.stringify(attempts));
});
