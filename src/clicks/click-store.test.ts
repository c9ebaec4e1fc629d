import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { migrate } from '../store/migrations';
import { GroupCommit } from '../store/sqlite/group-commit';
import { openSqlite } from '../store/sqlite/sqlite-engine';
import { SqliteKeyvAdapter } from '../store/sqlite/sqlite-keyv-adapter';
import { buildClick, clickInputSchema } from './capture';
import { createKeyvClickStore, createLedgerClickStore } from './click-store';

const dir = mkdtempSync(join(tmpdir(), 'closeloop-click-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const click = (gclid: string) =>
  buildClick({
    link: 'demo',
    input: clickInputSchema.parse({ gclid, sub1: 'c-7' }),
    ip: '203.0.113.9',
    userAgent: 'test',
    referrer: null,
    landingUrl: 'https://offer.example.com/lp',
    cookies: {},
    now: Date.now(),
  });

test('the ledger click store and the keyv one read each other’s clicks (same keys, same JSON): an upgrade loses no stored click', async () => {
  const db = openSqlite(join(dir, 'compat.db'));
  migrate(db);
  const writer = new GroupCommit(db);
  const adapter = new SqliteKeyvAdapter(db, writer);
  const purge = () => adapter.purgeExpired();
  const ttlMs = 60_000;
  const viaKeyv = createKeyvClickStore({ store: adapter, ttlMs, purge });
  const direct = createLedgerClickStore({ store: adapter, ttlMs, purge });

  const old = click('Cj0-stored-by-keyv');
  await viaKeyv.save(old);
  assert.deepEqual(await direct.get(old.id), old);

  const fresh = click('Cj0-stored-directly');
  await direct.save(fresh);
  assert.deepEqual(await viaKeyv.get(fresh.id), fresh);
  assert.deepEqual(await direct.get(fresh.id), fresh);

  assert.equal(await direct.get('0123456789abcdef0123456789abcdef'), undefined, 'no such click');
  await direct.ping();
  db.close();
});

test('a click saved with a ttl is gone from the ledger click store once the ttl has passed', async () => {
  let now = Date.now();
  const db = openSqlite(join(dir, 'ttl.db'));
  migrate(db);
  const adapter = new SqliteKeyvAdapter(db, new GroupCommit(db), () => now);
  const store = createLedgerClickStore({ store: adapter, ttlMs: 1_000, purge: () => adapter.purgeExpired() });
  const c = click('Cj0-short-lived');
  await store.save(c);
  assert.deepEqual(await store.get(c.id), c);
  now += 1_001;
  assert.equal(await store.get(c.id), undefined);
  assert.equal(await store.purgeExpired(), 1);
  db.close();
});
