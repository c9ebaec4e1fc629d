import { createRequire } from 'node:module';
import type * as BizSdk from 'facebook-nodejs-business-sdk';

type Sdk = typeof BizSdk;
// A local name, not `require`: esbuild leaves the call alone and the package stays external in
// the bundle (scripts/build.mjs), resolved from node_modules next to dist/ at run time.
const requireFrom = createRequire(import.meta.url);
let sdk: Sdk | undefined;

/**
 * facebook-nodejs-business-sdk, loaded when a Meta destination is configured (openGateway calls
 * the connector's `load`) or on its first event, never at start: the package costs ≈ 11 MB of RSS
 * and 0.4 s of require, which a gateway without a Meta destination does not pay (bench/README.md
 * "Memory (h-rss)"). Synchronous, because `validate` and `build` are. Its crash reporter is
 * switched off as it loads, before anything can initialise the SDK.
 */
export function metaSdk(): Sdk {
  if (sdk) return sdk;
  const loaded = requireFrom('facebook-nodejs-business-sdk') as Sdk;
  disableSdkCrashReporter(loaded);
  sdk = loaded;
  return loaded;
}

/**
 * The SDK's crash reporter posts stack traces to graph.facebook.com from a process-wide
 * `uncaughtException` listener that FacebookAdsApi.init() installs (the SDK's
 * src/crash-reporter.js). We never call init(), but other code in the process might. CrashReporter.disable() alone is a no-op until
 * enable() has created the singleton (src/crash-reporter.js: `if (this._instance == null) return`),
 * so create it, switch it off, and take back the listener enable() added: afterwards init() finds
 * the singleton, installs nothing, and nothing is ever reported.
 */
function disableSdkCrashReporter(loaded: Sdk): void {
  const { CrashReporter } = loaded;
  const before = new Set(process.listeners('uncaughtException'));
  CrashReporter.enable();
  CrashReporter.disable();
  for (const listener of process.listeners('uncaughtException')) {
    if (!before.has(listener)) process.removeListener('uncaughtException', listener);
  }
}
