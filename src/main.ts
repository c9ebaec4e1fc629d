import { loadConfig } from './config';
import { openGateway } from './gateway';
import { createLogger } from './logger';

// Thin entry: config → gateway → listen; SIGTERM/SIGINT drain.
const { config, path } = loadConfig();
const logger = createLogger(config.log.level);
const gateway = openGateway({ config, logger });
const server = await gateway.listen();
const address = server.address();
const port = typeof address === 'object' && address ? address.port : config.server.port;
const base = config.server.publicUrl ?? `http://127.0.0.1:${port}`;
logger.info({ config: path, port }, 'closeloop listening');
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
    '',
  ].filter((l) => l !== '').join('\n') + '\n',
);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    gateway.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
