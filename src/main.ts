import { assertSafeBind, exampleSecrets } from './bind-guard';
import { ConfigError, loadConfig } from './config';
import { openGateway } from './gateway';
import { createLogger } from './logger';

// Thin entry: config → gateway → listen; SIGTERM/SIGINT drain.
const { config, path } = exitOnConfigError(loadConfig);
exitOnConfigError(() => assertSafeBind(config));
const logger = createLogger(config.log.level);
const gateway = exitOnConfigError(() => openGateway({ config, logger }));
const server = await gateway.listen();
const address = server.address();
const port = typeof address === 'object' && address ? address.port : config.server.port;
const base = config.server.publicUrl ?? `http://127.0.0.1:${port}`;
logger.info({ config: path, port }, 'closeloop listening');
// What was loaded, so a typo in the config shows at a glance (ids and kinds only, never secrets).
const loaded = {
  links: config.links.map((l) => l.id),
  sources: config.sources.map((s) => `${s.id} (${s.mode}${s.platform ? `, ${s.platform}` : ''})`),
  destinations: config.destinations.map((d) => `${d.id} (${d.connector}${d.enabled ? '' : ', disabled'})`),
};
logger.info(loaded, 'configuration loaded');
// On loopback the example secrets are allowed (a first run), but never silently.
const examples = exampleSecrets(config);
if (examples.length > 0)
  logger.warn(
    { keys: examples },
    `example secrets in use (${examples.join(', ')}): fine on 127.0.0.1, refused on any other address — replace them before going live`,
  );
const link = config.links[0];
const source = config.sources[0];
process.stdout.write(
  [
    '',
    `Closeloop is up on ${base} (config: ${path}, storage: ${config.storage.engine === 'postgres' ? 'postgres' : config.storage.sqlitePath})`,
    link ? `  click:    curl -si '${base}/c/${link.id}?gclid=TeSt-GcLiD-123' | grep -i location` : '',
    source ? `  postback: curl -s '${base}/postback?key=<${source.id} secret>&click_id=<sub5 from the click>&payout=12.50&tx_id=tx-1'` : '',
    `  admin:    curl -s -H 'Authorization: Bearer <admin token>' '${base}/v1/deliveries'`,
    `  health:   ${base}/healthz  ${base}/readyz`,
    `  metrics:  curl -s -H 'Authorization: Bearer <admin or metrics token>' '${base}/metrics'`,
    `  loaded:   links ${loaded.links.join(', ') || '(none)'}; sources ${loaded.sources.join(', ') || '(none)'}; destinations ${loaded.destinations.join(', ') || '(none)'}`,
    '',
  ]
    .filter((l) => l !== '')
    .join('\n') + '\n',
);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, deadlineMs: config.server.shutdownTimeoutMs }, 'draining');
    // The gateway drains within the deadline; this is the backstop if something still hangs
    // (a dead disk's fsync, a driver that ignores its timeout): exit anyway, non-zero.
    setTimeout(() => {
      logger.error({ deadlineMs: config.server.shutdownTimeoutMs }, 'shutdown deadline passed; exiting');
      process.exit(1);
    }, config.server.shutdownTimeoutMs).unref();
    gateway.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}

/** A config problem prints as `path: problem — fix` lines and exits 1, never as a stack trace. */
function exitOnConfigError<T>(step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(
      `closeloop: ${err.problems.length === 1 ? 'the configuration has a problem' : 'the configuration has problems'}:\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`,
    );
    process.exit(1);
  }
}
