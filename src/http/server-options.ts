import type { ServerOptions } from 'node:http';
import type { Config } from '../config';

/**
 * Options of the node http server. Node enforces requestTimeout/headersTimeout only when it
 * checks its connections (`connectionsCheckingInterval`, 30 s by default), so the interval is
 * tightened too, or a trickling body could outlive its deadline by half a minute
 * (nodejs.org/api/http.html#httpcreateserveroptions-requestlistener).
 */
export function serverOptions(config: Config): ServerOptions {
  const { requestTimeoutMs, headersTimeoutMs } = config.server;
  return {
    requestTimeout: requestTimeoutMs,
    headersTimeout: headersTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.floor(headersTimeoutMs / 4)),
  };
}
