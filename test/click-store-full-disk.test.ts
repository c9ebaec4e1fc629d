import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { openGateway } from '../src/gateway';
import { createLogger } from '../src/logger';
import { SOURCE_SECRET, testConfig } from './helpers/gateway';

/**
 * A full disk with the default SQLite click store (issue 7 item 4): every write answers 503
 * STORAGE_UNAVAILABLE with Retry-After (postbacks, click redirects, click registrations), /readyz
 * names the ledger, one log line per episode however many requests fail, and the gateway recovers
 * by itself. The disk is "full" through the group commit's seam (a SQLITE_FULL at COMMIT, exactly
 * what SQLite raises; src/store/group-commit.test.ts shows the real SQLITE_FULL takes the same path).
 */

test('full disk: 503 STORAGE_UNAVAILABLE + Retry-After on intake and clicks, logged once per episode, recovery automatic', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'closeloop-full-'));
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  const config = testConfig({}, join(dir, 'full.db'));
  const gw = openGateway({ config, logger: createLogger('info', sink) });
  const server = await gw.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const postback = async (tx: string) => {
    const res = await fetch(`${url}/postback?${new URLSearchParams({ key: SOURCE_SECRET, tx_id: tx, payout: '1.00' })}`);
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any };
  };
  const count = (table: string) => (gw.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  try {
    assert.equal((await postback('before')).status, 200);
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    gw.writer.beforeCommit = () => {
      throw full;
    };

    for (let i = 0; i < 50; i++) {
      const pb = await postback(`full-${i}`);
      assert.equal(pb.status, 503, JSON.stringify(pb.body));
      assert.equal(pb.body.error.code, 'STORAGE_UNAVAILABLE');
      assert.ok(Number(pb.retryAfter) >= 1);
    }
    const c = await fetch(`${url}/c/demo?gclid=full-disk`, { redirect: 'manual' });
    assert.equal(c.status, 503, 'no redirect with a click id that was never stored');
    assert.equal(c.headers.get('location'), null);
    assert.equal(((await c.json()) as any).error.code, 'STORAGE_UNAVAILABLE');
    assert.ok(Number(c.headers.get('retry-after')) >= 1);
    const reg = await fetch(`${url}/v1/clicks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ gclid: 'x' }) });
    assert.equal(reg.status, 503);
    assert.equal(((await reg.json()) as any).error.code, 'STORAGE_UNAVAILABLE');

    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 503);
    const body = (await ready.json()) as any;
    assert.deepEqual(body.failing, ['ledger']);
    assert.match(body.checks.ledger.error, /SQLITE_FULL|full/);
    assert.equal(body.checks.click_store.ok, true, 'reads still work');

    assert.equal(count('conversions'), 1, 'nothing stored during the episode');
    assert.equal(count('kv'), 0);
    const errors = lines.filter((l) => l.level >= 50);
    assert.equal(errors.length, 1, `one error line for the episode, not one per request: ${JSON.stringify(errors.slice(0, 3))}`);
    assert.match(errors[0]?.msg ?? '', /ledger failing/);
    const ledger = gw.health.snapshot().find((d) => d.name === 'ledger');
    assert.ok(ledger && ledger.failures >= 52 && ledger.episodes === 1 && !ledger.healthy, JSON.stringify(ledger));

    // Space again: the very next request succeeds, no restart.
    gw.writer.beforeCommit = null;
    const again = await postback('full-0');
    assert.equal(again.status, 200);
    assert.equal(again.body.duplicate, false, 'the 503 stored nothing');
    assert.equal((await fetch(`${url}/c/demo?gclid=after`, { redirect: 'manual' })).status, 302);
    assert.equal(gw.health.snapshot().find((d) => d.name === 'ledger')?.healthy, true);
    assert.ok(lines.some((l) => /ledger recovered/.test(l.msg)));
    const deadline = Date.now() + 10_000;
    while ((await fetch(`${url}/readyz`)).status !== 200) {
      assert.ok(Date.now() < deadline, '/readyz ready again once writes succeed');
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    gw.writer.beforeCommit = null;
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
