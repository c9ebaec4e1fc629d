import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { assertSafeBind, isLoopbackHost } from '../src/bind-guard';
import { ConfigError, parseConfig } from '../src/config';

const example = (env: NodeJS.ProcessEnv = {}) => parseConfig(parseYaml(readFileSync('closeloop.example.yaml', 'utf8')), env);

describe('bind guard', () => {
  test('the example config binds loopback', () => {
    assert.equal(example().server.host, '127.0.0.1');
    assertSafeBind(example());
  });

  test('a non-loopback address with the example secrets is refused, naming each one', () => {
    const config = example({ CLOSELOOP_HOST: '0.0.0.0' });
    assert.throws(
      () => assertSafeBind(config),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(
          err.problems.map((p) => p.slice(0, p.indexOf(':'))),
          ['admin.token', 'sources.0.secret', 'sources.1.secret'],
        );
        assert.match(err.problems[1] as string, /source "everflow" still has the example secret while listening on 0\.0\.0\.0/);
        return true;
      },
    );
  });

  test('only the secrets still at their defaults are named', () => {
    const config = example({
      CLOSELOOP_HOST: '0.0.0.0',
      CLOSELOOP_ADMIN_TOKEN: 'a-real-admin-token-9f8e7d6c',
      CLOSELOOP_EVERFLOW_SECRET: 'a-real-source-secret-1a2b3c',
    });
    assert.throws(
      () => assertSafeBind(config),
      (err: ConfigError) => err.problems.length === 1 && err.problems[0]?.startsWith('sources.1.secret') === true,
    );
    assertSafeBind(
      example({
        CLOSELOOP_HOST: '0.0.0.0',
        CLOSELOOP_ADMIN_TOKEN: 'a-real-admin-token-9f8e7d6c',
        CLOSELOOP_EVERFLOW_SECRET: 'a-real-source-secret-1a2b3c',
        CLOSELOOP_DIRECT_SECRET: 'another-real-secret-4d5e6f',
      }),
    );
  });

  test('loopback forms', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) assert.ok(!isLoopbackHost(h), h);
  });
});

test('gateway.listen refuses a non-loopback address with an example secret, before opening a socket', async () => {
  const { openGateway } = await import('../src/gateway');
  const { createLogger } = await import('../src/logger');
  const config = example({
    CLOSELOOP_DB: ':memory:',
    CLOSELOOP_ADMIN_TOKEN: 'a-real-admin-token-9f8e7d6c',
    CLOSELOOP_DIRECT_SECRET: 'another-real-secret-4d5e6f',
  });
  const gw = openGateway({ config, logger: createLogger('silent'), startWorkers: false });
  try {
    assert.throws(
      () => gw.listen(0, '0.0.0.0'),
      (err: ConfigError) => err.problems.length === 1 && /sources\.0\.secret: source "everflow"/.test(err.problems[0] as string),
    );
  } finally {
    await gw.close();
  }
});
