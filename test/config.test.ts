import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import { ConfigError, parseConfig } from '../src/config';

const base = { admin: { token: 'admin-token-0123456789' } };

function problemsOf(raw: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(raw, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `not a ConfigError: ${String(err)}`);
    return err.problems;
  }
  assert.fail('the config was accepted');
}

describe('config: unknown keys', () => {
  test('a misspelled top-level section is an error with a did-you-mean', () => {
    const problems = problemsOf({ ...base, destinatons: [{ id: 'x', connector: 'http-postback' }] });
    assert.deepEqual(problems, ['destinatons: unknown key "destinatons" — did you mean "destinations"?']);
  });

  test('unknown keys are found at every level: nested objects and array items', () => {
    const problems = problemsOf({
      ...base,
      server: { prot: 8080 },
      sources: [{ id: 'net', secret: 'secret-0123456789abcdef', parms: {} }],
      destinations: [{ id: 'd', connector: 'http-postback', filters: { sorces: ['net'] } }],
      network: { deactivation: { failurs: 3 } },
    });
    assert.deepEqual(problems.sort(), [
      'destinations.0.filters.sorces: unknown key "sorces" — did you mean "sources"?',
      'network.deactivation.failurs: unknown key "failurs" — did you mean "failures"?',
      'server.prot: unknown key "prot" — did you mean "port"?',
      'sources.0.parms: unknown key "parms" — did you mean "params"?',
    ]);
  });

  test('a key far from every known one gets no guess, only the fix', () => {
    const [line] = problemsOf({ ...base, storage: { zzzzqqqq: 1 } });
    assert.match(line as string, /^storage\.zzzzqqqq: unknown key "zzzzqqqq" — remove it/);
  });

  test('free-form records (settings, credentials) are not checked', () => {
    const c = parseConfig({ ...base, destinations: [{ id: 'd', connector: 'http-postback', settings: { anything: 1 }, credentials: { whatever: 'x' } }] });
    assert.deepEqual(c.destinations[0]?.settings, { anything: 1 });
  });

  test('the example config has no unknown key', () => {
    parseConfig(parseYaml(readFileSync('closeloop.example.yaml', 'utf8')), {});
  });
});

describe('config: ${ENV} for numbers and booleans', () => {
  test('a number and a boolean read from the environment are coerced', () => {
    const c = parseConfig(
      {
        ...base,
        server: { port: '${PORT_X}' },
        delivery: { maxAttempts: '${ATTEMPTS:-7}' },
        destinations: [{ id: 'd', connector: 'http-postback', enabled: '${D_ON}' }],
      },
      { PORT_X: '9090', D_ON: 'false' },
    );
    assert.equal(c.server.port, 9090);
    assert.equal(c.delivery.maxAttempts, 7);
    assert.equal(c.destinations[0]?.enabled, false);
  });

  test('text where a number belongs is one readable line', () => {
    assert.deepEqual(problemsOf({ ...base, server: { port: '${PORT_X}' } }, { PORT_X: 'eighty' }), [
      'server.port: must be a number, got text — write a number (unquoted)',
    ]);
  });

  test('a missing variable names itself once, with the fix', () => {
    assert.deepEqual(problemsOf({ admin: { token: '${NO_SUCH_TOKEN}' } }), [
      'admin.token: environment variable NO_SUCH_TOKEN is not set — set it, or give a default with ${NO_SUCH_TOKEN:-value}',
    ]);
  });
});

describe('config: error lines', () => {
  test('every problem is a "path: problem — fix" line', () => {
    const problems = problemsOf({ admin: { token: 'short' }, log: { level: 'loud' }, delivery: { concurrency: 0 } });
    assert.deepEqual(problems.sort(), [
      'admin.token: the admin token needs at least 16 characters — use a length of at least 16',
      'delivery.concurrency: is too small — use at least 1',
      'log.level: is not an allowed value — use one of: trace, debug, info, warn, error, fatal, silent',
    ]);
  });

  test('main.ts prints the lines and exits 1, without a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'closeloop-config-'));
    try {
      const path = join(dir, 'bad.yaml');
      writeFileSync(path, 'admin: { token: admin-token-0123456789 }\nstorage: { sqlitePath: ":memory:" }\ndestinatons: []\n');
      const run = promisify(execFile);
      const err = await run(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, CLOSELOOP_CONFIG: path }, timeout: 20_000 }).then(
        () => assert.fail('main.ts started'),
        (e: { code: number; stderr: string }) => e,
      );
      assert.equal(err.code, 1);
      assert.match(err.stderr, /destinatons: unknown key "destinatons" — did you mean "destinations"\?/);
      assert.doesNotMatch(err.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
