import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClickRecord } from '../src/clicks/click';
import type { ClickStore } from '../src/clicks/click-store';
import { createSpooledClickStore } from '../src/clicks/spooled-click-store';
import { DependencyMonitor } from '../src/health/monitor';
import { ClickStoreUnavailableError } from '../src/health/unavailable';
import { createLogger } from '../src/logger';
import { GroupCommit } from '../src/store/sqlite/group-commit';
import { migrate } from '../src/store/migrations';
import { openSqlite } from '../src/store/sqlite/sqlite-engine';
import { createStepClickSpool } from '../src/store/step-click-spool';
import { sqliteStepRunner } from '../src/store/sqlite/sqlite-steps';

/** The spool and its mover against a scripted primary (the Redis fault suite runs the real one). */

const DAY = 86_400_000;
const silent = createLogger('silent');

function click(n: number, createdAt: number): ClickRecord {
  return {
    id: n.toString(16).padStart(32, '0'),
    link: 'demo',
    platform: 'google',
    platformClickParam: 'gclid',
    platformClickId: `g-${n}`,
    platformClickIds: { gclid: `g-${n}` },
    ip: null,
    userAgent: null,
    referrer: null,
    landingUrl: null,
    subs: {},
    fbp: null,
    fbc: null,
    createdAt,
  };
}

/** A primary that keeps clicks in a Map and fails while `down` is set. */
function scriptedPrimary() {
  const data = new Map<string, { click: ClickRecord; ttlMs: number | undefined }>();
  const state = { down: false, saves: 0 };
  const fail = () => {
    if (state.down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  };
  const primary: ClickStore = {
    save: async (c, ttlMs) => {
      fail();
      state.saves++;
      data.set(c.id, { click: c, ttlMs });
    },
    get: async (id) => {
      fail();
      return data.get(id)?.click;
    },
    ping: async () => fail(),
    purgeExpired: async () => 0,
    close: async () => {},
  };
  return { primary, data, state };
}

function setup(at: { t: number }) {
  const db = openSqlite(':memory:');
  migrate(db, at.t);
  const writer = new GroupCommit(db);
  const spool = createStepClickSpool(sqliteStepRunner(db, writer), () => at.t);
  const p = scriptedPrimary();
  const writes = new DependencyMonitor('click_store_writes', silent, () => at.t);
  const reads = new DependencyMonitor('click_store_reads', silent, () => at.t);
  const store = createSpooledClickStore({ primary: p.primary, spool, ttlMs: 7 * DAY, now: () => at.t, writes, reads, moveEveryMs: 3_600_000 });
  const spooled = () => (db.prepare('SELECT COUNT(*) AS n FROM click_spool').get() as { n: number }).n;
  return { db, store, spooled, writes, reads, spool, ...p };
}

test('a click the primary refuses is spooled and matches; the mover replays it with its remaining TTL and only then deletes it', async () => {
  const at = { t: 1_000 * DAY };
  const s = setup(at);
  s.state.down = true;
  const c = click(1, at.t);
  await s.store.save(c);
  assert.equal(s.spooled(), 1);
  assert.equal(s.data.size, 0);
  assert.deepEqual(await s.store.get(c.id), c, 'matched from the spool while the primary is down');

  // Still down: the mover keeps the row.
  assert.equal(await s.store.move(), 0);
  assert.equal(s.spooled(), 1);

  s.state.down = false;
  at.t += DAY;
  assert.equal(await s.store.move(), 1);
  assert.equal(s.spooled(), 0);
  assert.equal(s.data.get(c.id)?.ttlMs, 6 * DAY, 'the attribution window still counts from the click');
  assert.deepEqual(await s.store.get(c.id), c);
  assert.equal(s.writes.snapshot().counters.replayed, 1);
  assert.equal(s.writes.healthy, true);
  s.db.close();
});

test('a spooled click past its window is dropped, not replayed; a read the primary cannot answer is 503, never "no such click"', async () => {
  const at = { t: 1_000 * DAY };
  const s = setup(at);
  s.state.down = true;
  await s.store.save(click(2, at.t));
  at.t += 8 * DAY;
  await assert.rejects(s.store.get(click(2, 0).id), ClickStoreUnavailableError, 'expired in the spool, primary down: unknown, not a miss');
  s.state.down = false;
  at.t += 2_000; // past the read breaker
  assert.equal(await s.store.move(), 0);
  assert.equal(s.spooled(), 0);
  assert.equal(s.data.size, 0);
  assert.equal(s.writes.snapshot().counters.spool_expired, 1);
  assert.equal(await s.store.get(click(2, 0).id), undefined, 'a real miss once the primary answers');
  s.db.close();
});

test('after a failure the primary is skipped for a second (writes and reads apart), then tried again', async () => {
  const at = { t: 1_000 * DAY };
  const s = setup(at);
  s.state.down = true;
  await s.store.save(click(3, at.t));
  s.state.down = false;
  await s.store.save(click(4, at.t)); // within the breaker: spooled without asking the primary
  assert.equal(s.state.saves, 0);
  assert.equal(s.spooled(), 2);
  assert.equal(await s.store.get(click(5, 0).id), undefined, 'reads were not failing: asked at once');
  at.t += 1_001;
  await s.store.save(click(6, at.t));
  assert.equal(s.state.saves, 1, 'tried again after the break');
  assert.equal(s.spooled(), 2);
  s.db.close();
});
