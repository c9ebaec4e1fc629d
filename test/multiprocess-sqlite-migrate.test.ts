import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { MIGRATIONS } from '../src/store/migrations';
import { freePort, startGatewayProcess, type GatewayProcess } from './helpers/processes';

/**
 * Two processes opening one NEW SQLite file at the same moment both find no schema; without a
 * write lock around "read schema_migrations, apply what is missing" the second one fails on
 * `table kv already exists` (or a duplicate schema_migrations row). migrate() runs each migration
 * in BEGIN IMMEDIATE and re-reads schema_migrations under that lock.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'closeloop-migrate-race-'));
const procs: GatewayProcess[] = [];
after(async () => {
  for (const p of procs) if (!p.exit) p.proc.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  rmSync(dir, { recursive: true, force: true });
});

/** A process that opens `file` and migrates it at wall-clock time `at` (all of them at once), printing what it applied. */
function migrateAt(file: string, at: number): Promise<{ code: number | null; out: string; err: string }> {
  const engine = join(ROOT, 'src/store/sqlite/sqlite-engine.ts');
  const migrations = join(ROOT, 'src/store/migrations.ts');
  const code = `
    const { openSqlite } = await import(${JSON.stringify(engine)});
    const { migrate } = await import(${JSON.stringify(migrations)});
    while (Date.now() < ${at}) {}
    const db = openSqlite(${JSON.stringify(file)});
    process.stdout.write(JSON.stringify(migrate(db)));
    db.close();
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  // stdout is the JSON answer alone; stderr (a Node line's warnings, a failure) is kept apart.
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString('utf8');
  });
  child.stderr.on('data', (b: Buffer) => {
    err += b.toString('utf8');
  });
  return new Promise((resolve) => child.on('exit', (c) => resolve({ code: c, out, err })));
}

test('three processes migrating one new SQLite file at the same moment: all succeed, each migration applied once', { timeout: 120_000 }, async () => {
  const all = MIGRATIONS.map((m) => m.version);
  for (let trial = 0; trial < 4; trial++) {
    const file = join(dir, `race-${trial}.db`);
    // Far enough ahead that all three have loaded tsx and the modules before the moment comes.
    const at = Date.now() + 4_000;
    const results = await Promise.all([migrateAt(file, at), migrateAt(file, at), migrateAt(file, at)]);
    for (const r of results) assert.equal(r.code, 0, `a concurrent first start failed (trial ${trial}):\n${r.out}${r.err}`);
    const applied = results.flatMap((r) => JSON.parse(r.out) as number[]).sort((a, b) => a - b);
    assert.deepEqual(applied, all, `each migration applied by exactly one process (trial ${trial})`);
    const db = new Database(file, { readonly: true });
    const versions = (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>).map((r) => r.version);
    db.close();
    assert.deepEqual(versions, all);
  }
});

test('two gateway processes started at once on one new SQLite file both come up and serve', { timeout: 120_000 }, async () => {
  const configPath = join(dir, 'closeloop.yaml');
  writeFileSync(
    configPath,
    stringify({
      server: { host: '127.0.0.1', port: 0 },
      admin: { token: 'race-admin-token-0123456789' },
      storage: { sqlitePath: join(dir, 'gateways.db'), synchronous: 'NORMAL', clickStore: 'sqlite' },
      log: { level: 'warn' },
      links: [{ id: 'demo', offerUrl: 'https://offer.example.com/lp' }],
    }),
  );
  const ports = await Promise.all([freePort(), freePort()]);
  const started = await Promise.allSettled(ports.map((port) => startGatewayProcess(configPath, port, 60_000, '/readyz')));
  for (const s of started) if (s.status === 'fulfilled') procs.push(s.value);
  for (const s of started) assert.equal(s.status, 'fulfilled', s.status === 'rejected' ? String(s.reason) : '');
  // A click taken by one is matched by the other's store: both run on the same, fully migrated file.
  const res = await fetch(`${procs[0]?.base}/c/demo?gclid=race`, { redirect: 'manual' });
  assert.equal(res.status, 302);
  for (const p of procs) p.proc.kill('SIGTERM');
  await Promise.all(procs.map((p) => p.exited));
  for (const p of procs) assert.equal(p.exit?.code, 0, p.output());
});
